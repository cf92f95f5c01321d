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
