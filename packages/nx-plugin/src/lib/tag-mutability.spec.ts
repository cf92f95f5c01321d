import { exclusionFiltersFor, isTagMutable, movingTagsFor, planMovingTags, unfinishedTags } from './tag-mutability';

describe('isTagMutable', () => {
  it.each<[string, string, string[], boolean]>([
    ['latest', 'MUTABLE', [], true],
    ['latest', 'IMMUTABLE', [], false],
    ['latest', 'IMMUTABLE', ['latest'], false],
    ['latest', 'IMMUTABLE_WITH_EXCLUSION', ['latest'], true],
    ['8.0', 'IMMUTABLE_WITH_EXCLUSION', ['latest'], false],
    ['8.0', 'IMMUTABLE_WITH_EXCLUSION', ['latest', '8.*'], true],
    ['8.0-bookworm-slim-1.2.0', 'IMMUTABLE_WITH_EXCLUSION', ['8.*'], true],
    ['8x0', 'IMMUTABLE_WITH_EXCLUSION', ['8.0'], false],
    ['20261123.7', 'IMMUTABLE_WITH_EXCLUSION', ['*'], true],
    ['latest', 'MUTABLE_WITH_EXCLUSION', ['*-1.*'], true],
    ['8.0-bookworm-slim-1.2.0', 'MUTABLE_WITH_EXCLUSION', ['*-1.*'], false],
  ])('%s in %s with exclusions %j → %s', (tag, mutability, filters, expected) => {
    expect(isTagMutable(tag, mutability, filters)).toBe(expected);
  });
});

describe('planMovingTags', () => {
  it.each<[string, string[], string[], string, string[], { push: string[]; blocked: string[] }]>([
    ['mutable: everything moves', ['latest', '8.0'], ['latest', '8.0'], 'MUTABLE', [], { push: ['latest', '8.0'], blocked: [] }],
    ['immutable, first publish: tags are created', ['latest', '8.0'], [], 'IMMUTABLE', [], { push: ['latest', '8.0'], blocked: [] }],
    [
      'immutable, later publish: existing tags cannot move',
      ['latest', '8.0', '20261123.7'],
      ['latest', '8.0'],
      'IMMUTABLE',
      [],
      { push: ['20261123.7'], blocked: ['latest', '8.0'] },
    ],
    [
      'exclusion for latest only',
      ['latest', '8.0'],
      ['latest', '8.0'],
      'IMMUTABLE_WITH_EXCLUSION',
      ['latest'],
      { push: ['latest'], blocked: ['8.0'] },
    ],
  ])('%s', (_name, tags, existing, mutability, filters, expected) => {
    expect(planMovingTags(tags, existing, mutability, filters)).toEqual(expected);
  });
});

describe('movingTagsFor', () => {
  it.each<[string, string[], boolean, string[]]>([
    ['latest and a static tag', ['6.0', '{buildNumber}'], true, ['latest', '6.0']],
    ['no latest', ['6.0', '{buildNumber}'], false, ['6.0']],
    ['a per-version tag is filled', ['6.0-v{version}'], false, ['6.0-v1.2.0']],
    ['run-bound placeholders are never moved', ['{date}', '{sourceVersion}', 'b{buildId}', '6.0-{version}-{date}'], false, []],
    ['duplicates once', ['latest', 'latest'], true, ['latest']],
    ['nothing configured', [], false, []],
  ])('%s', (_name, extraTags, latest, expected) => {
    expect(movingTagsFor(extraTags, latest, '1.2.0')).toEqual(expected);
  });
});

describe('exclusionFiltersFor', () => {
  it.each<[string, Array<{ extraTags: string[]; latest: boolean }>, string[]]>([
    ['one image', [{ extraTags: ['6.0', '{buildNumber}'], latest: false }], ['6.0']],
    [
      'images sharing a repository',
      [
        { extraTags: ['6.0', '{buildNumber}'], latest: false },
        { extraTags: ['10.0'], latest: true },
      ],
      ['10.0', '6.0', 'latest'],
    ],
    ['per-version tags stay immutable', [{ extraTags: ['6.0-{version}'], latest: false }], []],
    ['nothing moves', [{ extraTags: [], latest: false }], []],
  ])('%s', (_name, images, expected) => {
    expect(exclusionFiltersFor(images)).toEqual(expected);
  });
});

describe('unfinishedTags', () => {
  const NEW = 'sha256:new';
  const OLD = 'sha256:old';
  it.each<[string, string[], Array<{ digest: string; tags: string[] }>, string, string[], string[]]>([
    [
      'all moved already',
      ['latest', '6.0'],
      [
        { digest: NEW, tags: ['v-1.1.0', 'latest', '6.0'] },
        { digest: OLD, tags: ['v-1.0.0'] },
      ],
      'MUTABLE',
      [],
      [],
    ],
    [
      'a publish that stopped after the version tag',
      ['latest', '6.0'],
      [
        { digest: NEW, tags: ['v-1.1.0'] },
        { digest: OLD, tags: ['v-1.0.0', 'latest', '6.0'] },
      ],
      'MUTABLE',
      [],
      ['latest', '6.0'],
    ],
    ['a tag never created', ['6.0'], [{ digest: NEW, tags: ['v-1.0.0'] }], 'IMMUTABLE', [], ['6.0']],
    [
      'immutable tags cannot be finished',
      ['latest', '6.0'],
      [
        { digest: NEW, tags: ['v-1.1.0'] },
        { digest: OLD, tags: ['v-1.0.0', 'latest', '6.0'] },
      ],
      'IMMUTABLE',
      [],
      [],
    ],
    [
      'exclusions let them move',
      ['latest', '6.0'],
      [
        { digest: NEW, tags: ['v-1.1.0', 'latest'] },
        { digest: OLD, tags: ['v-1.0.0', '6.0'] },
      ],
      'IMMUTABLE_WITH_EXCLUSION',
      ['latest', '6.0'],
      ['6.0'],
    ],
    [
      "the versions' untagged SBOM referrers and a referrers tag: nothing to finish",
      ['latest', '6.0'],
      [
        { digest: NEW, tags: ['v-1.1.0', 'latest', '6.0'] },
        { digest: 'sha256:sbom-new', tags: [] },
        { digest: OLD, tags: ['v-1.0.0'] },
        { digest: 'sha256:sbom-old', tags: [] },
        { digest: 'sha256:referrers', tags: [`sha256-${'a'.repeat(64)}`] },
      ],
      'IMMUTABLE_WITH_EXCLUSION',
      ['latest', '6.0'],
      [],
    ],
  ])('%s', (_name, wanted, images, mutability, filters, expected) => {
    expect(unfinishedTags(wanted, images, NEW, mutability, filters)).toEqual(expected);
  });
});
