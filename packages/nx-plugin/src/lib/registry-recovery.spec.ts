import type { EcrImage } from './ecr';
import { leftoverTags, owedAnnouncements, sbomOwed } from './registry-recovery';

const PREFIX = '6.0-bullseye-slim';
const NOW = new Date('2024-03-07T12:00:00Z');
const HOUR = 3_600_000;
const RUN_A = '0123456789abcdef';
const RUN_B = 'fedcba9876543210';

const image = (digest: string, tags: string[], pushedAt?: string): EcrImage => ({
  digest: `sha256:${digest}`,
  tags,
  ...(pushedAt ? { pushedAt: new Date(pushedAt) } : {}),
});

describe('owedAnnouncements', () => {
  it.each<[string, EcrImage[], Array<{ marker: string; versionTag: string; tags: string[] }>]>([
    ['nothing published', [], []],
    ['every version announced', [image('a', [`${PREFIX}-1.0.0`]), image('b', [`${PREFIX}-1.1.0`, 'latest'])], []],
    [
      'the newest version unannounced',
      [image('a', [`${PREFIX}-1.0.0`]), image('b', [`unannounced-${RUN_B}`, `${PREFIX}-1.1.0`, 'latest', '6.0'])],
      [{ marker: `unannounced-${RUN_B}`, versionTag: `${PREFIX}-1.1.0`, tags: [`${PREFIX}-1.1.0`, 'latest', '6.0'] }],
    ],
    [
      'two versions unannounced, oldest first',
      [image('b', [`${PREFIX}-1.10.0`, `unannounced-${RUN_B}`]), image('a', [`unannounced-${RUN_A}`, `${PREFIX}-1.9.0`])],
      [
        { marker: `unannounced-${RUN_A}`, versionTag: `${PREFIX}-1.9.0`, tags: [`${PREFIX}-1.9.0`] },
        { marker: `unannounced-${RUN_B}`, versionTag: `${PREFIX}-1.10.0`, tags: [`${PREFIX}-1.10.0`] },
      ],
    ],
    ['a marker whose version was never written is no card, but a leftover', [image('a', [`unannounced-${RUN_A}`])], []],
    ["a marker on another image of the repository is that image's", [image('a', [`unannounced-${RUN_A}`, '8.0-bookworm-slim-1.0.0'])], []],
    ['a marker on an image only latest names is no version', [image('a', [`unannounced-${RUN_A}`, 'latest'])], []],
    ['a staging tag is no marker', [image('a', [`staging-${RUN_A}`, `${PREFIX}-1.0.0`])], []],
    ['a tag that only looks like a marker', [image('a', ['unannounced-by-hand', `${PREFIX}-1.0.0`])], []],
    [
      "a version's untagged SBOM referrer and a referrers tag beside it: no card",
      [image('a', [`${PREFIX}-1.0.0`]), image('sbom', []), image('ri', [`sha256-${'a'.repeat(64)}`])],
      [],
    ],
  ])('%s', (_name, images, expected) => {
    expect(owedAnnouncements(PREFIX, images).map(({ marker, versionTag, tags }) => ({ marker, versionTag, tags }))).toEqual(expected);
  });

  it('carries the digest the card names', () => {
    expect(owedAnnouncements(PREFIX, [image('b', [`unannounced-${RUN_B}`, `${PREFIX}-1.1.0`])])).toEqual([
      { marker: `unannounced-${RUN_B}`, versionTag: `${PREFIX}-1.1.0`, version: '1.1.0', digest: 'sha256:b', tags: [`${PREFIX}-1.1.0`] },
    ]);
  });
});

describe('leftoverTags', () => {
  const old = '2024-03-07T10:00:00Z';
  const young = '2024-03-07T11:30:00Z';
  it.each<[string, EcrImage[], string[]]>([
    ['nothing', [], []],
    ['a staging tag older than the threshold', [image('s', [`staging-${RUN_A}`], old)], [`staging-${RUN_A}`]],
    ['a staging tag of a run that may still be publishing', [image('s', [`staging-${RUN_A}`], young)], []],
    ['exactly at the threshold: still young', [image('s', [`staging-${RUN_A}`], '2024-03-07T11:00:00Z')], []],
    [
      'a staging tag on an image a version names too: only the tag goes',
      [image('s', [`staging-${RUN_A}`, `${PREFIX}-1.0.0`], old)],
      [`staging-${RUN_A}`],
    ],
    ['a marker whose version was never written', [image('u', [`unannounced-${RUN_A}`], old)], [`unannounced-${RUN_A}`]],
    [
      'a marker and a staging tag alone on one image',
      [image('u', [`unannounced-${RUN_A}`, `staging-${RUN_A}`], old)],
      [`staging-${RUN_A}`, `unannounced-${RUN_A}`],
    ],
    ['a marker whose version is out: a card owed, never a leftover', [image('u', [`unannounced-${RUN_A}`, `${PREFIX}-1.0.0`], old)], []],
    ['a marker on an image with any other tag', [image('u', [`unannounced-${RUN_A}`, 'kept-by-hand'], old)], []],
    ['no push time given', [image('s', [`staging-${RUN_A}`])], []],
    [
      'tags of people, whatever their age',
      [image('x', ['staging', 'staging-by-hand', 'unannounced', 'latest', `${PREFIX}-1.0.0`], '2020-01-01T00:00:00Z')],
      [],
    ],
    ['an SBOM referrer: untagged, so no run tag to remove, however old', [image('sbom', [], '2020-01-01T00:00:00Z')], []],
    [
      'a referrers tag (sha256-<hex>) a registry without the referrers API needs: never a run tag',
      [image('ri', [`sha256-${'a'.repeat(64)}`], '2020-01-01T00:00:00Z')],
      [],
    ],
  ])('%s', (_name, images, expected) => {
    expect(leftoverTags(images, NOW, HOUR).map((l) => l.tag)).toEqual(expected);
  });

  it('says what each is and when it was pushed', () => {
    expect(leftoverTags([image('s', [`staging-${RUN_A}`], old)], NOW, HOUR)).toEqual([
      { tag: `staging-${RUN_A}`, kind: 'staging', digest: 'sha256:s', pushedAt: '2024-03-07T10:00:00.000Z' },
    ]);
  });
});

describe('sbomOwed', () => {
  const OCI = 'application/vnd.oci.image.manifest.v1+json';
  const V = 'sha256:v';
  const version = (mediaType?: string): EcrImage => ({ digest: V, tags: [`${PREFIX}-1.0.0`], ...(mediaType ? { mediaType } : {}) });
  const referrer = (subject: string, digest = 'sha256:r'): EcrImage => ({ digest, tags: [], mediaType: OCI, subject });
  it.each<[string, EcrImage[], boolean]>([
    ['a version with its SBOM referrer', [version(OCI), referrer(V)], false],
    ['a version nothing refers to: owed', [version(OCI)], true],
    ['a Docker manifest nothing refers to: owed', [version('application/vnd.docker.distribution.manifest.v2+json')], true],
    ['a referrer of another image does not count', [version(OCI), referrer('sha256:other')], true],
    [
      'any referrer counts (a signature beside it): never judged owed wrongly, run after run',
      [version(OCI), referrer(V, 'sha256:sig')],
      false,
    ],
    [
      'an index: its SBOMs refer to its platform manifests, so the listing cannot tell',
      [version('application/vnd.oci.image.index.v1+json')],
      false,
    ],
    ['a listing without media types says nothing', [version()], false],
    ['a digest not listed', [], false],
  ])('%s', (_name, images, owed) => {
    expect(sbomOwed(images, V)).toBe(owed);
  });
});
