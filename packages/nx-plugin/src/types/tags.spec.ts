import { extraTagProblem, movingTags, REPOSITORY_NAME, tagBehaviour, VERSION_PREFIX, versionTag, type TagBehaviour } from './tags';

describe('tagBehaviour: which tags move', () => {
  it.each<[string, TagBehaviour]>([
    ['latest', 'moving'],
    ['6.0', 'moving'],
    ['stable-bookworm', 'moving'],
    ['6.0-{version}', 'per-version'],
    ['{version}', 'per-version'],
    ['{version}-{version}', 'per-version'],
    ['{buildNumber}', 'per-run'],
    ['6.0-{version}-{buildNumber}', 'per-run'],
    ['sha-{sourceVersion}', 'per-run'],
    ['d{date}', 'per-run'],
    ['id-{buildId}', 'per-run'],
  ])('%s is %s', (template, behaviour) => {
    expect(tagBehaviour(template)).toBe(behaviour);
  });
});

describe('movingTags', () => {
  it.each<[string, { extraTags: string[]; latest: boolean }, string[]]>([
    [
      'latest first, then the extra tags without placeholders',
      { extraTags: ['6.0', '6.0-{version}', '{buildNumber}'], latest: true },
      ['latest', '6.0'],
    ],
    ['no latest when the image does not own it', { extraTags: ['6.0'], latest: false }, ['6.0']],
    ['latest named again as an extra tag counts once', { extraTags: ['latest', '6.0', '6.0'], latest: true }, ['latest', '6.0']],
    ['nothing moves', { extraTags: ['{version}'], latest: false }, []],
  ])('%s', (_name, image, expected) => {
    expect(movingTags(image)).toEqual(expected);
  });
});

describe('extraTagProblem: the rule config and generator share', () => {
  it.each<[string, RegExp | undefined]>([
    ['6.0', undefined],
    ['6.0-{version}', undefined],
    ['{buildNumber}', undefined],
    ['{build}', /^"\{build\}" has an unknown placeholder \{build\}$/],
    ['{constructor}', /unknown placeholder \{constructor\}/],
    ['.hidden', /^"\.hidden" is not a valid Docker tag$/],
    ['a b', /is not a valid Docker tag/],
    ['x'.repeat(129), /is not a valid Docker tag/],
    ['staging-x', /^"staging-x" starts with "staging-", which this product's own run tags use$/],
    ['unannounced-{buildId}', /starts with "unannounced-"/],
    ['1.2.3', /^"1\.2\.3" looks like a version tag$/],
    ['6.0-bullseye-slim-extra', /looks like a version tag/],
  ])('%j → %s', (template, problem) => {
    const found = extraTagProblem(template, '6.0-bullseye-slim');
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found?.problem).toMatch(problem);
    // Every problem comes with a fix.
    if (found) expect(found.fix.length).toBeGreaterThan(10);
  });
});

describe('names', () => {
  it.each<[string, boolean]>([
    ['runtime', true],
    ['dotnet/aspnet', true],
    ['a.b_c-d/e', true],
    ['Runtime', false],
    ['dotnet//aspnet', false],
    ['-runtime', false],
    ['runtime/', false],
  ])('repository %j valid: %s', (name, valid) => {
    expect(REPOSITORY_NAME.test(name)).toBe(valid);
  });

  it('a version prefix leaves room for the version within the 128 characters of a tag', () => {
    const longest = 'a'.repeat(101);
    expect(VERSION_PREFIX.test(longest)).toBe(true);
    expect(VERSION_PREFIX.test(`${longest}a`)).toBe(false);
    expect(versionTag(longest, '999.999.999').length).toBeLessThanOrEqual(128);
  });
});
