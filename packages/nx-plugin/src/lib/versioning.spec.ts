import { malformedVersionTags, nextVersion, versionTags } from './versioning';

const PREFIX = '6.0-bullseye-slim';

describe('versionTags', () => {
  it.each<[string, string, string[], string[]]>([
    ['no tags', PREFIX, [], []],
    [
      'ordered highest first',
      PREFIX,
      [`${PREFIX}-1.0.0`, `${PREFIX}-1.10.0`, `${PREFIX}-1.2.0`, `${PREFIX}-1.9.3`],
      [`${PREFIX}-1.10.0`, `${PREFIX}-1.9.3`, `${PREFIX}-1.2.0`, `${PREFIX}-1.0.0`],
    ],
    ['a referrers tag (sha256-<hex>) is no version', PREFIX, [`sha256-${'a'.repeat(64)}`, `${PREFIX}-1.0.0`], [`${PREFIX}-1.0.0`]],
    [
      'other prefixes ignored',
      PREFIX,
      [`${PREFIX}-arm64-1.5.0`, `${PREFIX}-1.1.0`, `6.0-bullseye-1.9.0`, `x${PREFIX}-1.8.0`],
      [`${PREFIX}-1.1.0`],
    ],
    [
      'malformed ignored',
      PREFIX,
      [
        `${PREFIX}-1.x.0`,
        `${PREFIX}-01.2.3`,
        `${PREFIX}-1.02.3`,
        `${PREFIX}-1.2`,
        `${PREFIX}-1.2.3.4`,
        `${PREFIX}-1.2.3-rc.1`,
        `${PREFIX}-v1.2.3`,
        'latest',
        '6.0',
        PREFIX,
        `${PREFIX}-1.0.0`,
      ],
      [`${PREFIX}-1.0.0`],
    ],
    [
      'prefix with regex characters is literal',
      '6.0+x(1)',
      ['6.0+x(1)-1.0.0', '6.00x(1)-2.0.0', '6.0+xx1)-3.0.0', '6.0x(1)-4.0.0'],
      ['6.0+x(1)-1.0.0'],
    ],
    ['dot in prefix is literal', '6.0', ['6.0-1.0.0', '610-2.0.0', '6x0-3.0.0'], ['6.0-1.0.0']],
  ])('%s', (_name, prefix, tags, expected) => {
    expect(versionTags(prefix, tags).map((v) => v.tag)).toEqual(expected);
  });

  it('returns the version next to each tag', () => {
    expect(versionTags(PREFIX, [`${PREFIX}-2.3.0`])).toEqual([{ tag: `${PREFIX}-2.3.0`, version: '2.3.0' }]);
  });

  it('accepts any iterable', () => {
    expect(versionTags(PREFIX, new Set([`${PREFIX}-1.0.0`, `${PREFIX}-1.1.0`])).map((v) => v.version)).toEqual(['1.1.0', '1.0.0']);
  });
});

describe('nextVersion', () => {
  it.each<[string, string, string[], string]>([
    ['empty repository', PREFIX, [], '1.0.0'],
    ['only latest and moving tags', PREFIX, ['latest', '6.0', '20240101'], '1.0.0'],
    ['first published', PREFIX, [`${PREFIX}-1.0.0`, 'latest'], '1.1.0'],
    ['unordered tags', PREFIX, [`${PREFIX}-1.2.0`, `${PREFIX}-1.10.0`, `${PREFIX}-1.9.0`], '1.11.0'],
    ['patch versions count', PREFIX, [`${PREFIX}-1.4.7`], '1.5.0'],
    ['major bump present', PREFIX, [`${PREFIX}-1.9.0`, `${PREFIX}-2.3.0`, `${PREFIX}-2.0.0`], '2.4.0'],
    ['other prefix is not ours', PREFIX, [`${PREFIX}-arm64-1.5.0`, `${PREFIX}-1.0.0`], '1.1.0'],
    ['only another prefix', PREFIX, [`${PREFIX}-arm64-1.5.0`], '1.0.0'],
    ['malformed only', PREFIX, [`${PREFIX}-1.x.0`, `${PREFIX}-01.2.3`, `${PREFIX}-1.2`, 'latest', '6.0'], '1.0.0'],
    ['malformed higher than real', PREFIX, [`${PREFIX}-09.0.0`, `${PREFIX}-1.1.0`], '1.2.0'],
    ['latest moved by hand is irrelevant', PREFIX, ['latest', `${PREFIX}-1.3.0`], '1.4.0'],
    ['regex prefix', '6.0+x(1)', ['6.0+x(1)-1.0.0', '6.0Xx1-5.0.0'], '1.1.0'],
  ])('%s', (_name, prefix, tags, version) => {
    expect(nextVersion(prefix, tags)).toEqual({ tag: `${prefix}-${version}`, version });
  });
});

describe('malformedVersionTags', () => {
  it.each<[string, string, string[], string[]]>([
    ['no tags', PREFIX, [], []],
    ['only well-formed versions', PREFIX, [`${PREFIX}-1.0.0`, `${PREFIX}-1.10.0`, `${PREFIX}-0.0.0`, `${PREFIX}-10.20.30`], []],
    ['a referrers tag (sha256-<hex>) claims no prefix', PREFIX, [`sha256-${'a'.repeat(64)}`], []],
    [
      "the issue's examples",
      PREFIX,
      [`${PREFIX}-1.x.0`, `${PREFIX}-01.2.3`, 'other-prefix-9.9.9', `${PREFIX}-1.0.0`],
      [`${PREFIX}-01.2.3`, `${PREFIX}-1.x.0`],
    ],
    [
      'leading zeros anywhere',
      PREFIX,
      [`${PREFIX}-1.02.3`, `${PREFIX}-1.2.03`, `${PREFIX}-00.1.0`],
      [`${PREFIX}-00.1.0`, `${PREFIX}-1.02.3`, `${PREFIX}-1.2.03`],
    ],
    [
      'too few or too many parts',
      PREFIX,
      [`${PREFIX}-1.2`, `${PREFIX}-1.2.3.4`, `${PREFIX}-1`],
      [`${PREFIX}-1`, `${PREFIX}-1.2`, `${PREFIX}-1.2.3.4`],
    ],
    [
      'prerelease, v prefix, words',
      PREFIX,
      [`${PREFIX}-1.2.3-rc.1`, `${PREFIX}-v1.2.3`, `${PREFIX}-latest`, `${PREFIX}-`],
      [`${PREFIX}-`, `${PREFIX}-1.2.3-rc.1`, `${PREFIX}-latest`, `${PREFIX}-v1.2.3`],
    ],
    [
      'tags of other prefixes are not ours to judge',
      PREFIX,
      ['other-prefix-9.9.9', 'other-prefix-1.x.0', '6.0-bullseye-1.x.0', `x${PREFIX}-1.x.0`, 'latest', '6.0', PREFIX],
      [],
    ],
    ['versions of a longer prefix sharing the repository are well-formed', PREFIX, [`${PREFIX}-arm64-1.5.0`, `${PREFIX}-arm64-2.0.0`], []],
    ['a malformed version of a longer prefix is listed', PREFIX, [`${PREFIX}-arm64-01.5.0`], [`${PREFIX}-arm64-01.5.0`]],
    ['repeats once, sorted', PREFIX, [`${PREFIX}-1.x.0`, `${PREFIX}-01.2.3`, `${PREFIX}-1.x.0`], [`${PREFIX}-01.2.3`, `${PREFIX}-1.x.0`]],
    ['prefix with regex characters is literal', '6.0+x(1)', ['6.0+x(1)-1.x.0', '6.00x(1)-1.x.0', '6.0+x(1)-1.0.0'], ['6.0+x(1)-1.x.0']],
  ])('%s', (_name, prefix, tags, expected) => {
    expect(malformedVersionTags(prefix, tags)).toEqual(expected);
  });

  it('never lists a tag versionTags counts', () => {
    const tags = [`${PREFIX}-1.0.0`, `${PREFIX}-1.x.0`, `${PREFIX}-01.2.3`, `${PREFIX}-2.3.4`, `${PREFIX}-1.2`];
    const counted = new Set(versionTags(PREFIX, tags).map((v) => v.tag));
    expect(malformedVersionTags(PREFIX, tags).filter((t) => counted.has(t))).toEqual([]);
    expect(counted.size + malformedVersionTags(PREFIX, tags).length).toBe(tags.length);
  });
});
