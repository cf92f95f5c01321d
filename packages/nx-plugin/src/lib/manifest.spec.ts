import { createHash } from 'node:crypto';
import { annotatedManifest, MEDIA_TYPES, recordFromManifest } from './manifest';

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
    const out = JSON.parse(annotatedManifest(dockerManifest, undefined, record).manifest);
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
    expect(annotatedManifest(dockerManifest, undefined, reversed).manifest).toBe(annotatedManifest(dockerManifest, undefined, record).manifest);
  });

  it('merges into annotations an OCI manifest already has, ours winning', () => {
    const oci = JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { ...config, mediaType: MEDIA_TYPES.ociConfig }, layers: [], annotations: { a: '1', 'org.opencontainers.image.base.digest': 'old' } });
    const out = JSON.parse(annotatedManifest(oci, undefined, record).manifest);
    expect(out.annotations).toEqual({ a: '1', ...record });
  });

  it('takes the media type from the registry when the manifest omits it', () => {
    const bare = JSON.stringify({ schemaVersion: 2, config, layers: [layer(1)] });
    expect(JSON.parse(annotatedManifest(bare, MEDIA_TYPES.dockerManifest, record).manifest).layers).toHaveLength(1);
  });

  it.each([
    ['an index', JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] }), /single-platform image manifest, got application\/vnd.oci.image.index/],
    ['a manifest list', JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.dockerList, manifests: [] }), /manifest.list/],
    ['no JSON', '{', /not JSON/],
    ['no config', JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.dockerManifest, layers: [] }), /no config/],
    ['no media type anywhere', JSON.stringify({ schemaVersion: 2, config, layers: [] }), /without a media type/],
  ])('refuses %s', (_, text, message) => {
    expect(() => annotatedManifest(text, undefined, record)).toThrow(message);
  });
});

describe('recordFromManifest', () => {
  const annotated = annotatedManifest(dockerManifest, undefined, record).manifest;
  it.each([
    ['an annotated manifest', annotated, record],
    ['a Docker manifest (labels only)', dockerManifest, undefined],
    ['annotations without the context digest', JSON.stringify({ annotations: { 'org.opencontainers.image.base.digest': 'sha256:b' } }), undefined],
    ['annotations without the base digest', JSON.stringify({ annotations: { 'io.platform-images.context.digest': 'sha256:c' } }), undefined],
    ['empty values', JSON.stringify({ annotations: { 'org.opencontainers.image.base.digest': '', 'io.platform-images.context.digest': 'sha256:c' } }), undefined],
    ['only the digests', JSON.stringify({ annotations: { 'org.opencontainers.image.base.digest': 'sha256:b', 'io.platform-images.context.digest': 'sha256:c', other: 'x' } }),
      { 'org.opencontainers.image.base.digest': 'sha256:b', 'io.platform-images.context.digest': 'sha256:c' }],
    ['not JSON', 'nope', undefined],
    ['annotations that are not an object', JSON.stringify({ annotations: 'x' }), undefined],
  ])('%s', (_, text, expected) => {
    expect(recordFromManifest(text)).toEqual(expected);
  });
});
