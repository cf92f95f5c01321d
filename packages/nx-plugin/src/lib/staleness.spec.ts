import { decideStaleness, pinBehindWarning, type PublishedVersion, type Reason, short, type StalenessInput } from './staleness';

const BASE = 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim';
const OLD = `sha256:${'1'.repeat(64)}`;
const NEW = `sha256:${'2'.repeat(64)}`;
const CTX = `sha256:${'c'.repeat(64)}`;
const CTX2 = `sha256:${'d'.repeat(64)}`;

const published = (over: Partial<PublishedVersion> = {}): PublishedVersion => ({
  versionTag: '6.0-bullseye-slim-1.2.0',
  digest: `sha256:${'9'.repeat(64)}`,
  baseName: BASE,
  baseDigest: OLD,
  contextDigest: CTX,
  ...over,
});

const input = (over: Partial<StalenessInput> = {}): StalenessInput => ({
  force: false,
  baseName: BASE,
  baseDigest: OLD,
  contextDigest: CTX,
  published: published(),
  ...over,
});

describe('decideStaleness', () => {
  it.each<[string, StalenessInput, boolean, Reason, string]>([
    ['forced even when current', input({ force: true }), true, 'forced', 'forced update requested'],
    ['forced with nothing published', input({ force: true, published: undefined }), true, 'forced', 'forced update requested'],
    ['nothing published', input({ published: undefined }), true, 'nothing-published', 'no version published yet'],
    [
      'no base digest label',
      input({ published: published({ baseDigest: undefined }) }),
      true,
      'unlabelled',
      '6.0-bullseye-slim-1.2.0 does not record its base digest and context digest',
    ],
    [
      'no context digest label',
      input({ published: published({ contextDigest: undefined }) }),
      true,
      'unlabelled',
      '6.0-bullseye-slim-1.2.0 does not record its base digest and context digest',
    ],
    [
      'unlabelled wins over a moved base',
      input({ baseDigest: NEW, published: published({ contextDigest: undefined }) }),
      true,
      'unlabelled',
      '6.0-bullseye-slim-1.2.0 does not record its base digest and context digest',
    ],
    [
      'base image renamed',
      input({ baseName: 'mcr.microsoft.com/dotnet/runtime:8.0' }),
      true,
      'base-changed',
      `base changed from ${BASE} to mcr.microsoft.com/dotnet/runtime:8.0`,
    ],
    [
      'base changed wins over moved',
      input({ baseName: 'mcr.microsoft.com/dotnet/runtime:8.0', baseDigest: NEW }),
      true,
      'base-changed',
      `base changed from ${BASE} to mcr.microsoft.com/dotnet/runtime:8.0`,
    ],
    [
      'missing base name label does not count as changed',
      input({ published: published({ baseName: undefined }) }),
      false,
      'current',
      `6.0-bullseye-slim-1.2.0 is built on sha256:111111111111, the current base`,
    ],
    ['base digest moved', input({ baseDigest: NEW }), true, 'base-moved', `${BASE} moved from sha256:111111111111 to sha256:222222222222`],
    [
      'base moved wins over context changed',
      input({ baseDigest: NEW, contextDigest: CTX2 }),
      true,
      'base-moved',
      `${BASE} moved from sha256:111111111111 to sha256:222222222222`,
    ],
    [
      'context changed',
      input({ contextDigest: CTX2 }),
      true,
      'context-changed',
      'Dockerfile or build context changed since 6.0-bullseye-slim-1.2.0',
    ],
    [
      'a build arg changed (the context digest covers it)',
      input({
        contextDigest: CTX2,
        buildArgs: { TAG: 'sha256:new', URL: 'sha256:u' },
        published: published({ buildArgs: { TAG: 'sha256:old', URL: 'sha256:u' } }),
      }),
      true,
      'build-args-changed',
      'build arg TAG changed since 6.0-bullseye-slim-1.2.0',
    ],
    [
      'a build arg no longer passed',
      input({ contextDigest: CTX2, buildArgs: {}, published: published({ buildArgs: { TAG: 'sha256:old' } }) }),
      true,
      'build-args-changed',
      'build arg TAG changed since 6.0-bullseye-slim-1.2.0',
    ],
    [
      'build args a version did not record',
      input({ contextDigest: CTX2, buildArgs: { A: 'sha256:a', B: 'sha256:b' } }),
      true,
      'build-args-changed',
      'build args A, B now count as input, and 6.0-bullseye-slim-1.2.0 did not record them',
    ],
    [
      'the same build args: the files changed',
      input({ contextDigest: CTX2, buildArgs: { TAG: 'sha256:t' }, published: published({ buildArgs: { TAG: 'sha256:t' } }) }),
      true,
      'context-changed',
      'Dockerfile or build context changed since 6.0-bullseye-slim-1.2.0',
    ],
    [
      'the same digests: current, build args or not',
      input({ buildArgs: { TAG: 'sha256:t' }, published: published({ buildArgs: { TAG: 'sha256:t' } }) }),
      false,
      'current',
      '6.0-bullseye-slim-1.2.0 is built on sha256:111111111111, the current base',
    ],
    ['current', input(), false, 'current', '6.0-bullseye-slim-1.2.0 is built on sha256:111111111111, the current base'],
    [
      'pinned and current',
      input({ pinned: true }),
      false,
      'current',
      '6.0-bullseye-slim-1.2.0 is built on sha256:111111111111, the pinned base',
    ],
    [
      'pin moved',
      input({ pinned: true, baseDigest: NEW }),
      true,
      'base-moved',
      `the pin of ${BASE} moved from sha256:111111111111 to sha256:222222222222`,
    ],
    [
      'the same base spelt the short way when published',
      input({ baseName: 'docker.io/library/debian:12', published: published({ baseName: 'debian:12' }) }),
      false,
      'current',
      '6.0-bullseye-slim-1.2.0 is built on sha256:111111111111, the current base',
    ],
    [
      'the same base spelt with index.docker.io-style full name',
      input({ baseName: 'docker.io/library/debian:12', published: published({ baseName: 'docker.io/debian:12' }) }),
      false,
      'current',
      '6.0-bullseye-slim-1.2.0 is built on sha256:111111111111, the current base',
    ],
    [
      'a published name with the digest it was pinned to',
      input({ published: published({ baseName: `${BASE}@${OLD}` }) }),
      false,
      'current',
      '6.0-bullseye-slim-1.2.0 is built on sha256:111111111111, the current base',
    ],
    [
      'another tag of the same repository is another base',
      input({ baseName: 'docker.io/library/debian:13', published: published({ baseName: 'debian:12' }) }),
      true,
      'base-changed',
      'base changed from debian:12 to docker.io/library/debian:13',
    ],
  ])('%s', (_name, given, stale, reason, message) => {
    expect(decideStaleness(given)).toEqual({ stale, reason, message });
  });
});

const AMD = `sha256:${'a'.repeat(64)}`;
const AMD2 = `sha256:${'b'.repeat(64)}`;
const ARM = `sha256:${'e'.repeat(64)}`;
const ARM2 = `sha256:${'f'.repeat(64)}`;
const TWO = ['linux/amd64', 'linux/arm64'];
/** A version built for both platforms on index OLD, recording each platform's base manifest. */
const both = (over: Partial<PublishedVersion> = {}): PublishedVersion =>
  published({ basePlatformDigests: { 'linux/amd64': AMD, 'linux/arm64': ARM }, ...over });

describe('decideStaleness per platform', () => {
  it.each<[string, StalenessInput, boolean, Reason, string]>([
    [
      'the same platform manifests under the same index',
      input({ platforms: TWO, basePlatformDigests: { 'linux/amd64': AMD, 'linux/arm64': ARM }, published: both() }),
      false,
      'current',
      '6.0-bullseye-slim-1.2.0 is built on sha256:111111111111, the current base',
    ],
    [
      'the index moved for a platform not built (arm/v7): current, and says so',
      input({ platforms: TWO, baseDigest: NEW, basePlatformDigests: { 'linux/amd64': AMD, 'linux/arm64': ARM }, published: both() }),
      false,
      'current',
      `${BASE} moved from sha256:111111111111 to sha256:222222222222, ` +
        'but not for the platforms 6.0-bullseye-slim-1.2.0 is built for (linux/amd64, linux/arm64: their manifests are the same)',
    ],
    [
      'arm64 moved: stale, naming it',
      input({ platforms: TWO, baseDigest: NEW, basePlatformDigests: { 'linux/amd64': AMD, 'linux/arm64': ARM2 }, published: both() }),
      true,
      'base-moved',
      `${BASE} moved for linux/arm64 from sha256:eeeeeeeeeeee to sha256:ffffffffffff`,
    ],
    [
      'both moved: both named, sorted',
      input({ platforms: TWO, baseDigest: NEW, basePlatformDigests: { 'linux/amd64': AMD2, 'linux/arm64': ARM2 }, published: both() }),
      true,
      'base-moved',
      `${BASE} moved for linux/amd64 from sha256:aaaaaaaaaaaa to sha256:bbbbbbbbbbbb, linux/arm64 from sha256:eeeeeeeeeeee to sha256:ffffffffffff`,
    ],
    [
      'a pinned base whose pin moved for amd64',
      input({
        pinned: true,
        platforms: TWO,
        baseDigest: NEW,
        basePlatformDigests: { 'linux/amd64': AMD2, 'linux/arm64': ARM },
        published: both(),
      }),
      true,
      'base-moved',
      `the pin of ${BASE} moved for linux/amd64 from sha256:aaaaaaaaaaaa to sha256:bbbbbbbbbbbb`,
    ],
    [
      'a platform added to the list',
      input({ platforms: [...TWO, 'linux/arm/v7'], basePlatformDigests: { 'linux/amd64': AMD, 'linux/arm64': ARM }, published: both() }),
      true,
      'platforms-changed',
      'platforms changed from linux/amd64, linux/arm64 to linux/amd64, linux/arm/v7, linux/arm64',
    ],
    [
      'a platform dropped from the list, the base unchanged',
      input({ platforms: ['linux/amd64'], basePlatformDigests: { 'linux/amd64': AMD }, published: both() }),
      true,
      'platforms-changed',
      'platforms changed from linux/amd64, linux/arm64 to linux/amd64',
    ],
    [
      'the list reordered is the same list',
      input({
        platforms: ['linux/arm64', 'linux/amd64'],
        basePlatformDigests: { 'linux/amd64': AMD, 'linux/arm64': ARM },
        published: both(),
      }),
      false,
      'current',
      '6.0-bullseye-slim-1.2.0 is built on sha256:111111111111, the current base',
    ],
    [
      'platforms changed wins over a moved base',
      input({ platforms: TWO, baseDigest: NEW, basePlatformDigests: { 'linux/amd64': AMD2, 'linux/arm64': ARM2 } }),
      true,
      'platforms-changed',
      'platforms changed from linux/amd64 to linux/amd64, linux/arm64',
    ],
    [
      'a version without per-platform records: the index digest decides (moved)',
      input({ baseDigest: NEW, basePlatformDigests: { 'linux/amd64': AMD } }),
      true,
      'base-moved',
      `${BASE} moved from sha256:111111111111 to sha256:222222222222`,
    ],
    [
      'a version without per-platform records: the index digest decides (same)',
      input({ basePlatformDigests: { 'linux/amd64': AMD } }),
      false,
      'current',
      '6.0-bullseye-slim-1.2.0 is built on sha256:111111111111, the current base',
    ],
    [
      'a platform not built moved, but the context changed',
      input({
        platforms: TWO,
        baseDigest: NEW,
        contextDigest: CTX2,
        basePlatformDigests: { 'linux/amd64': AMD, 'linux/arm64': ARM },
        published: both(),
      }),
      true,
      'context-changed',
      'Dockerfile or build context changed since 6.0-bullseye-slim-1.2.0',
    ],
    [
      'a single-platform image recorded per platform: the amd64 manifest decides',
      input({
        baseDigest: NEW,
        basePlatformDigests: { 'linux/amd64': AMD },
        published: published({ basePlatformDigests: { 'linux/amd64': AMD } }),
      }),
      false,
      'current',
      `${BASE} moved from sha256:111111111111 to sha256:222222222222, but not for the platforms 6.0-bullseye-slim-1.2.0 is built for (linux/amd64: their manifests are the same)`,
    ],
  ])('%s', (_name, given, stale, reason, message) => {
    expect(decideStaleness(given)).toEqual({ stale, reason, message });
  });
});

describe('pinBehindWarning', () => {
  it.each<[string, string | undefined, string | undefined]>([
    ['the tag still names the pin', OLD, undefined],
    [
      'the tag moved on',
      NEW,
      `${BASE} is pinned to sha256:111111111111, but the tag has moved on to sha256:222222222222 upstream: the pin is behind (update the digest in FROM, e.g. with Renovate)`,
    ],
    [
      'the tag is gone',
      undefined,
      `${BASE} is pinned to sha256:111111111111, and the tag no longer exists upstream: the pin cannot be updated from it`,
    ],
  ])('%s', (_name, tagDigest, expected) => {
    expect(pinBehindWarning(BASE, OLD, tagDigest)).toBe(expected);
  });
});

describe('short', () => {
  it.each([
    [`sha256:${'ab'.repeat(32)}`, 'sha256:abababababab'],
    ['sha256:abc', 'sha256:abc'],
    ['not-a-digest', 'not-a-digest'],
  ])('%s → %s', (digest, expected) => {
    expect(short(digest)).toBe(expected);
  });
});
