import { manifestDigest } from './backing-registry';
import { referrerOf, referrersIndex, refusedMediaType } from './referrers';

const OCI = 'application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';
const S = `sha256:${'a'.repeat(64)}`;
const body = (manifest: Record<string, unknown>) => Buffer.from(JSON.stringify(manifest));

describe('referrerOf', () => {
  it.each<[string, Record<string, unknown>, string | undefined, Record<string, unknown> | undefined]>([
    [
      'an artifact: its artifactType and annotations',
      {
        mediaType: OCI,
        artifactType: 'application/vnd.cyclonedx+json',
        config: { mediaType: 'application/vnd.oci.empty.v1+json' },
        subject: { digest: S },
        annotations: { a: '1' },
      },
      undefined,
      { mediaType: OCI, artifactType: 'application/vnd.cyclonedx+json', annotations: { a: '1' } },
    ],
    [
      'no artifactType: the config media type stands for it',
      { mediaType: OCI, config: { mediaType: 'application/vnd.example.sbom.v1' }, subject: { digest: S } },
      undefined,
      { mediaType: OCI, artifactType: 'application/vnd.example.sbom.v1' },
    ],
    ['an index without artifactType: none', { mediaType: INDEX, manifests: [], subject: { digest: S } }, undefined, { mediaType: INDEX }],
    [
      'no mediaType field: the Content-Type sent',
      { config: { mediaType: 'x/y' }, subject: { digest: S } },
      OCI,
      { mediaType: OCI, artifactType: 'x/y' },
    ],
    ['no subject: not a referrer', { mediaType: OCI, config: { mediaType: 'x/y' } }, undefined, undefined],
  ])('%s', (_, manifest, contentType, expected) => {
    const bytes = body(manifest);
    const found = referrerOf(bytes, manifestDigest(bytes), contentType);
    if (!expected) expect(found).toBeUndefined();
    else expect(found).toEqual({ subject: S, record: { digest: manifestDigest(bytes), size: bytes.length, ...expected } });
  });

  it('ignores what is not JSON', () => {
    expect(referrerOf(Buffer.from('nope'), S, OCI)).toBeUndefined();
  });
});

describe('refusedMediaType', () => {
  it.each([
    [{ artifactType: 'application/vnd.cyclonedx+json', layers: [{ mediaType: 'application/vnd.cyclonedx+json' }] }, undefined],
    [
      { artifactType: 'application/vnd.dev.sigstore.bundle+json;version=0.2', layers: [] },
      'application/vnd.dev.sigstore.bundle+json;version=0.2',
    ],
    [{ layers: [{ mediaType: 'text/plain; charset=utf-8' }] }, 'text/plain; charset=utf-8'],
    [{ config: { mediaType: 'application/vnd.docker.container.image.v1+json' }, layers: [] }, undefined],
  ])('%j → %s', (manifest, refused) => {
    expect(refusedMediaType(body(manifest))).toBe(refused);
  });
});

describe('referrersIndex', () => {
  const records = [
    { mediaType: OCI, digest: `sha256:${'b'.repeat(64)}`, size: 1, artifactType: 'application/vnd.cyclonedx+json' },
    { mediaType: OCI, digest: `sha256:${'c'.repeat(64)}`, size: 2, artifactType: 'application/spdx+json' },
  ];
  it.each<[string | null, number, boolean]>([
    [null, 2, false],
    ['application/spdx+json', 1, true],
    ['application/none', 0, true],
  ])('artifactType %s: %i listed, filtered %s', (artifactType, count, filtered) => {
    const out = referrersIndex(records, artifactType);
    expect(out.filtered).toBe(filtered);
    expect((JSON.parse(out.body) as { mediaType: string; manifests: unknown[] }).manifests).toHaveLength(count);
    expect((JSON.parse(out.body) as { mediaType: string }).mediaType).toBe(INDEX);
  });
});
