import { decideStaleness, type PublishedRecord, type Reason, short, type StalenessInput } from './staleness';

const BASE = 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim';
const OLD = `sha256:${'1'.repeat(64)}`;
const NEW = `sha256:${'2'.repeat(64)}`;
const CTX = `sha256:${'c'.repeat(64)}`;
const CTX2 = `sha256:${'d'.repeat(64)}`;

const published = (over: Partial<PublishedRecord> = {}): PublishedRecord => ({
  versionTag: '6.0-bullseye-slim-1.2.0',
  digest: `sha256:${'9'.repeat(64)}`,
  baseName: BASE,
  baseDigest: OLD,
  contextDigest: CTX,
  ...over,
});

const input = (over: Partial<StalenessInput> = {}): StalenessInput => ({ force: false, baseName: BASE, baseDigest: OLD, contextDigest: CTX, published: published(), ...over });

describe('decideStaleness', () => {
  it.each<[string, StalenessInput, boolean, Reason, string]>([
    ['forced even when current', input({ force: true }), true, 'forced', 'forced update requested'],
    ['forced with nothing published', input({ force: true, published: undefined }), true, 'forced', 'forced update requested'],
    ['nothing published', input({ published: undefined }), true, 'nothing-published', 'no version published yet'],
    ['no base digest label', input({ published: published({ baseDigest: undefined }) }), true, 'unlabelled', '6.0-bullseye-slim-1.2.0 does not record its base digest and context digest'],
    ['no context digest label', input({ published: published({ contextDigest: undefined }) }), true, 'unlabelled', '6.0-bullseye-slim-1.2.0 does not record its base digest and context digest'],
    ['unlabelled wins over a moved base', input({ baseDigest: NEW, published: published({ contextDigest: undefined }) }), true, 'unlabelled', '6.0-bullseye-slim-1.2.0 does not record its base digest and context digest'],
    ['base image renamed', input({ baseName: 'mcr.microsoft.com/dotnet/runtime:8.0' }), true, 'base-changed', `base changed from ${BASE} to mcr.microsoft.com/dotnet/runtime:8.0`],
    ['base changed wins over moved', input({ baseName: 'mcr.microsoft.com/dotnet/runtime:8.0', baseDigest: NEW }), true, 'base-changed', `base changed from ${BASE} to mcr.microsoft.com/dotnet/runtime:8.0`],
    ['missing base name label does not count as changed', input({ published: published({ baseName: undefined }) }), false, 'current', `6.0-bullseye-slim-1.2.0 is built on sha256:111111111111, the current base`],
    ['base digest moved', input({ baseDigest: NEW }), true, 'base-moved', `${BASE} moved from sha256:111111111111 to sha256:222222222222`],
    ['base moved wins over context changed', input({ baseDigest: NEW, contextDigest: CTX2 }), true, 'base-moved', `${BASE} moved from sha256:111111111111 to sha256:222222222222`],
    ['context changed', input({ contextDigest: CTX2 }), true, 'context-changed', 'Dockerfile or build context changed since 6.0-bullseye-slim-1.2.0'],
    ['current', input(), false, 'current', '6.0-bullseye-slim-1.2.0 is built on sha256:111111111111, the current base'],
  ])('%s', (_name, given, stale, reason, message) => {
    expect(decideStaleness(given)).toEqual({ stale, reason, message });
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
