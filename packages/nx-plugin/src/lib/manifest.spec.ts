import { createHash } from 'node:crypto';
import { MEDIA_TYPES } from '../types/media-types';
import { annotatedManifest, inputsFromManifest, platformEntryOf, platformIndex, type ImageIndex, type ImageManifest } from './manifest';

const config = { mediaType: MEDIA_TYPES.dockerConfig, digest: 'sha256:c0', size: 1470 };
const layer = (n: number) => ({ mediaType: MEDIA_TYPES.dockerLayer, digest: `sha256:l${n}`, size: 1000 + n });
const dockerManifest = JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.dockerManifest, config, layers: [layer(1), layer(2)] });
const record = {
  'org.opencontainers.image.base.name': 'mcr.microsoft.com/dotnet/runtime:8.0',
  'org.opencontainers.image.base.digest': 'sha256:base',
  'io.platform-images.context.digest': 'sha256:ctx',
};

describe('annotatedManifest', () => {
  it('keeps every blob and renames Docker media types to their OCI equivalents', () => {
    const out = JSON.parse(annotatedManifest(dockerManifest, undefined, record).manifest) as ImageManifest;
    expect(out).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: 'sha256:c0', size: 1470 },
      layers: [
        { mediaType: MEDIA_TYPES.ociLayer, digest: 'sha256:l1', size: 1001 },
        { mediaType: MEDIA_TYPES.ociLayer, digest: 'sha256:l2', size: 1002 },
      ],
      annotations: record,
    });
  });

  it('names the digest of exactly the bytes it returns', () => {
    const out = annotatedManifest(dockerManifest, undefined, record);
    expect(out.digest).toBe(`sha256:${createHash('sha256').update(out.manifest).digest('hex')}`);
    expect(out.mediaType).toBe(MEDIA_TYPES.ociManifest);
  });

  it('gives the same bytes for the same inputs, whatever order the annotations come in', () => {
    const reversed = Object.fromEntries(Object.entries(record).reverse());
    expect(annotatedManifest(dockerManifest, undefined, reversed).manifest).toBe(
      annotatedManifest(dockerManifest, undefined, record).manifest,
    );
  });

  it('merges into annotations an OCI manifest already has, ours winning', () => {
    const oci = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { ...config, mediaType: MEDIA_TYPES.ociConfig },
      layers: [],
      annotations: { a: '1', 'org.opencontainers.image.base.digest': 'old' },
    });
    const out = JSON.parse(annotatedManifest(oci, undefined, record).manifest) as ImageManifest;
    expect(out.annotations).toEqual({ a: '1', ...record });
  });

  it('takes the media type from the registry when the manifest omits it', () => {
    const bare = JSON.stringify({ schemaVersion: 2, config, layers: [layer(1)] });
    expect((JSON.parse(annotatedManifest(bare, MEDIA_TYPES.dockerManifest, record).manifest) as ImageManifest).layers).toHaveLength(1);
  });

  it.each([
    [
      'a schema 1 manifest',
      JSON.stringify({ schemaVersion: 1, mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws' }),
      /expected an image manifest or an image index, got application\/vnd.docker.distribution.manifest.v1\+prettyjws/,
    ],
    [
      'an index listing no manifests',
      JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] }),
      /the image index lists no manifests/,
    ],
    [
      'a manifest list without manifests',
      JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.dockerList }),
      /the image index lists no manifests/,
    ],
    [
      'an index entry without a digest',
      JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [{ mediaType: MEDIA_TYPES.ociManifest, size: 1 }] }),
      /a manifest without a digest or media type/,
    ],
    ['no JSON', '{', /not JSON/],
    ['no config', JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.dockerManifest, layers: [] }), /no config/],
    ['no media type anywhere', JSON.stringify({ schemaVersion: 2, config, layers: [] }), /without a media type/],
  ])('refuses %s', (_, text, message) => {
    expect(() => annotatedManifest(text, undefined, record)).toThrow(message);
  });
});

/** The index Docker 29 pushes: the image for linux/amd64, then its provenance attestation manifest (BuildKit's attestation storage). */
const imageEntry = {
  mediaType: MEDIA_TYPES.ociManifest,
  digest: 'sha256:img',
  size: 1234,
  platform: { architecture: 'amd64', os: 'linux' },
};
const attestationEntry = {
  mediaType: MEDIA_TYPES.ociManifest,
  digest: 'sha256:att',
  size: 566,
  annotations: { 'vnd.docker.reference.digest': 'sha256:img', 'vnd.docker.reference.type': 'attestation-manifest' },
  platform: { architecture: 'unknown', os: 'unknown' },
};
const pushedIndex = JSON.stringify(
  { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [imageEntry, attestationEntry] },
  null,
  2,
);
const dockerEntries = [
  { mediaType: MEDIA_TYPES.dockerManifest, digest: 'sha256:amd', size: 529, platform: { architecture: 'amd64', os: 'linux' } },
  {
    mediaType: MEDIA_TYPES.dockerManifest,
    digest: 'sha256:arm',
    size: 529,
    platform: { architecture: 'arm64', os: 'linux', variant: 'v8' },
  },
];
const subject = { mediaType: MEDIA_TYPES.ociManifest, digest: 'sha256:subj', size: 10 };
/** The record as written: keys sorted. */
const written = {
  'io.platform-images.context.digest': 'sha256:ctx',
  'org.opencontainers.image.base.digest': 'sha256:base',
  'org.opencontainers.image.base.name': 'mcr.microsoft.com/dotnet/runtime:8.0',
};

describe('annotatedManifest of an image index', () => {
  it.each<[string, string, string | undefined, object]>([
    [
      'the index Docker 29 pushes: the same entries, the record on the index',
      pushedIndex,
      undefined,
      { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [imageEntry, attestationEntry], annotations: written },
    ],
    [
      'a Docker manifest list: an OCI index, its entries keeping their Docker media types',
      JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.dockerList, manifests: dockerEntries }),
      undefined,
      { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: dockerEntries, annotations: written },
    ],
    [
      'an index with annotations of its own: merged, ours winning',
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociIndex,
        manifests: [imageEntry],
        annotations: { 'org.opencontainers.image.base.digest': 'old', a: '1' },
      }),
      undefined,
      { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [imageEntry], annotations: { a: '1', ...written } },
    ],
    [
      'an index whose media type only the registry names',
      JSON.stringify({ schemaVersion: 2, manifests: [imageEntry] }),
      MEDIA_TYPES.ociIndex,
      { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [imageEntry], annotations: written },
    ],
    [
      'an index with an artifact type and a subject, both kept',
      JSON.stringify({
        subject,
        manifests: [imageEntry],
        artifactType: 'application/x.example',
        mediaType: MEDIA_TYPES.ociIndex,
        schemaVersion: 2,
      }),
      undefined,
      {
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociIndex,
        artifactType: 'application/x.example',
        manifests: [imageEntry],
        subject,
        annotations: written,
      },
    ],
  ])('%s', (_name, text, registryType, expected) => {
    const out = annotatedManifest(text, registryType, record);
    expect(out.mediaType).toBe(MEDIA_TYPES.ociIndex);
    // toEqual ignores key order; the bytes are what the digest is of.
    expect(out.manifest).toBe(JSON.stringify(expected));
    expect(out.digest).toBe(`sha256:${createHash('sha256').update(out.manifest).digest('hex')}`);
  });

  it('lists every entry exactly as pushed: nothing re-uploaded, no platform or attestation dropped', () => {
    const out = annotatedManifest(pushedIndex, undefined, record).manifest;
    expect(out).toContain(`"manifests":${JSON.stringify((JSON.parse(pushedIndex) as ImageIndex).manifests)}`);
  });

  it('gives the same bytes for the same index, whatever order the annotations come in', () => {
    const reversed = Object.fromEntries(Object.entries(record).reverse());
    const own = (annotations: Record<string, string>) =>
      JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [imageEntry], annotations });
    expect(annotatedManifest(pushedIndex, undefined, reversed).manifest).toBe(annotatedManifest(pushedIndex, undefined, record).manifest);
    expect(annotatedManifest(own({ b: '2', a: '1' }), undefined, record).manifest).toBe(
      annotatedManifest(own({ a: '1', b: '2' }), undefined, record).manifest,
    );
  });

  it('annotating an annotated index again changes nothing', () => {
    const once = annotatedManifest(pushedIndex, undefined, record);
    expect(annotatedManifest(once.manifest, once.mediaType, record)).toEqual(once);
  });
});

describe('inputsFromManifest', () => {
  const annotated = annotatedManifest(dockerManifest, undefined, record).manifest;
  it.each([
    ['an annotated manifest', annotated, record],
    ['an annotated index', annotatedManifest(pushedIndex, undefined, record).manifest, record],
    ['an index as Docker pushed it (no record)', pushedIndex, undefined],
    ['a Docker manifest (labels only)', dockerManifest, undefined],
    [
      'annotations without the context digest',
      JSON.stringify({ annotations: { 'org.opencontainers.image.base.digest': 'sha256:b' } }),
      undefined,
    ],
    [
      'annotations without the base digest',
      JSON.stringify({ annotations: { 'io.platform-images.context.digest': 'sha256:c' } }),
      undefined,
    ],
    [
      'empty values',
      JSON.stringify({ annotations: { 'org.opencontainers.image.base.digest': '', 'io.platform-images.context.digest': 'sha256:c' } }),
      undefined,
    ],
    [
      'only the digests',
      JSON.stringify({
        annotations: { 'org.opencontainers.image.base.digest': 'sha256:b', 'io.platform-images.context.digest': 'sha256:c', other: 'x' },
      }),
      { 'org.opencontainers.image.base.digest': 'sha256:b', 'io.platform-images.context.digest': 'sha256:c' },
    ],
    [
      'when the base was built, beside the digests',
      JSON.stringify({
        annotations: {
          'org.opencontainers.image.base.digest': 'sha256:b',
          'io.platform-images.context.digest': 'sha256:c',
          'io.platform-images.base.created': 'linux/amd64=2024-03-05T21:14:07.000Z',
        },
      }),
      {
        'org.opencontainers.image.base.digest': 'sha256:b',
        'io.platform-images.context.digest': 'sha256:c',
        'io.platform-images.base.created': 'linux/amd64=2024-03-05T21:14:07.000Z',
      },
    ],
    [
      'when the base was built, alone: no record',
      JSON.stringify({ annotations: { 'io.platform-images.base.created': 'linux/amd64=2024-03-05T21:14:07.000Z' } }),
      undefined,
    ],
    ['not JSON', 'nope', undefined],
    ['annotations that are not an object', JSON.stringify({ annotations: 'x' }), undefined],
  ])('%s', (_, text, expected) => {
    expect(inputsFromManifest(text)).toEqual(expected);
  });
});

describe('platformIndex', () => {
  const m = (platform: string, n: string) => ({
    platform,
    digest: `sha256:${n.repeat(64)}`,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 100,
  });

  it('lists each platform with its OCI platform object, sorted, the record on the index, the same bytes for the same input', () => {
    const annotations = { 'z.key': '1', 'a.key': '2' };
    const one = platformIndex([m('linux/arm/v7', '7'), m('linux/amd64', 'a'), m('linux/arm64', 'e')], annotations);
    const two = platformIndex([m('linux/arm64', 'e'), m('linux/amd64', 'a'), m('linux/arm/v7', '7')], { 'a.key': '2', 'z.key': '1' });
    expect(two).toEqual(one);
    expect(one.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(JSON.parse(one.manifest)).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { ...m('linux/amd64', 'a'), platform: { architecture: 'amd64', os: 'linux' } },
        { ...m('linux/arm/v7', '7'), platform: { architecture: 'arm', os: 'linux', variant: 'v7' } },
        { ...m('linux/arm64', 'e'), platform: { architecture: 'arm64', os: 'linux' } },
      ].map(({ platform: p, mediaType, digest, size }) => ({ mediaType, digest, size, platform: p })),
      annotations: { 'a.key': '2', 'z.key': '1' },
    });
    expect(Object.keys(JSON.parse(one.manifest) as object)).toEqual(['schemaVersion', 'mediaType', 'manifests', 'annotations']);
    expect(one.digest).toBe(`sha256:${createHash('sha256').update(one.manifest).digest('hex')}`);
    expect(inputsFromManifest(one.manifest)).toBeUndefined();
  });

  it('refuses no platforms and a malformed platform', () => {
    expect(() => platformIndex([], {})).toThrow('an image index needs at least one platform manifest');
    expect(() => platformIndex([m('arm64', 'e')], {})).toThrow('"arm64" is not a platform (os/architecture[/variant])');
  });
});

describe('platformEntryOf', () => {
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: 'sha256:amd',
        size: 11,
        platform: { os: 'linux', architecture: 'amd64' },
      },
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: 'sha256:arm64',
        size: 12,
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      },
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: 'sha256:att',
        size: 13,
        platform: { os: 'unknown', architecture: 'unknown' },
      },
    ],
  });

  it.each([
    ['linux/amd64', 'sha256:amd', 11],
    ['linux/arm64', 'sha256:arm64', 12],
    ['linux/arm64/v8', 'sha256:arm64', 12],
  ])('%s → %s (size %d)', (platform, digest, size) => {
    expect(platformEntryOf(index, platform)).toEqual({ digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size });
  });

  it('undefined for a platform the index lists no manifest for', () => {
    expect(platformEntryOf(index, 'linux/arm/v7')).toBeUndefined();
  });
});
