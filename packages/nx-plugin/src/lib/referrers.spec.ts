import { createHash } from 'node:crypto';
import { UserError } from '../types/errors';
import { MEDIA_TYPES } from '../types/media-types';
import {
  artifactManifest,
  attachArtifact,
  EMPTY_CONFIG,
  findReferrers,
  isPlainMediaType,
  referrersTag,
  withReferrer,
  type Artifact,
  type ReferrerRegistry,
} from './referrers';
import type { Descriptor } from './registry-client';

const sha = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const REF = { registry: 'localhost:5002', repository: 'runtime' };
const SUBJECT: Descriptor = { mediaType: MEDIA_TYPES.ociManifest, digest: sha('image'), size: 500 };
const SBOM = Buffer.from('{"bomFormat":"CycloneDX"}');
const ARTIFACT: Artifact = {
  artifactType: MEDIA_TYPES.cyclonedx,
  content: SBOM,
  subject: SUBJECT,
  annotations: { 'org.opencontainers.image.created': '2026-11-29T10:00:00Z' },
};

describe('referrersTag', () => {
  // The OCI distribution spec's own table ("Referrers Tag Schema").
  it.each([
    [`sha256:${'a'.repeat(64)}`, `sha256-${'a'.repeat(64)}`],
    [`sha512:${'a'.repeat(128)}`, `sha512-${'a'.repeat(64)}`],
    [
      'test+algorithm+using+algorithm+separators+and+lots+of+characters+to+excercise+overall+truncation:alsoSome=InTheEncodedSectionToShowHyphenReplacementAndLotsAndLotsOfCharactersToExcerciseEncodedTruncation',
      'test-algorithm-using-algorithm-s-alsoSome-InTheEncodedSectionToShowHyphenReplacementAndLotsAndLot',
    ],
  ])('%s → %s', (digest, tag) => {
    expect(referrersTag(digest)).toBe(tag);
  });
});

describe('isPlainMediaType', () => {
  it.each([
    ['application/vnd.cyclonedx+json', true],
    ['application/spdx+json', true],
    ['application/vnd.dev.sigstore.bundle+json;version=0.2', false],
    ['application/vnd.cyclonedx+json; version=1.6', false],
    ['cyclonedx', false],
    ['', false],
  ])('%j: %s', (type, plain) => {
    expect(isPlainMediaType(type)).toBe(plain);
  });
});

describe('artifactManifest', () => {
  it('is an OCI image manifest with the artifactType, the empty config, the content as its layer and the subject', () => {
    const manifest = JSON.parse(
      artifactManifest(ARTIFACT, { digest: sha(SBOM), size: SBOM.length }, { digest: sha(EMPTY_CONFIG), size: 2 }).toString(),
    ) as unknown;
    expect(manifest).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.cyclonedx+json',
      config: {
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
        size: 2,
      },
      layers: [{ mediaType: 'application/vnd.cyclonedx+json', digest: sha(SBOM), size: SBOM.length }],
      subject: SUBJECT,
      annotations: { 'org.opencontainers.image.created': '2026-11-29T10:00:00Z' },
    });
  });
});

describe('withReferrer', () => {
  const entry: Descriptor = { mediaType: MEDIA_TYPES.ociManifest, digest: sha('sbom'), size: 10, artifactType: MEDIA_TYPES.cyclonedx };
  const other: Descriptor = {
    mediaType: MEDIA_TYPES.ociManifest,
    digest: sha('sig'),
    size: 9,
    artifactType: 'application/vnd.dev.cosign.simplesigning.v1+json',
  };
  const index = (manifests: Descriptor[]) => ({
    bytes: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests })),
    mediaType: MEDIA_TYPES.ociIndex,
  });
  const manifestsOf = (bytes: Buffer | undefined) => (JSON.parse(bytes!.toString()) as { manifests: Descriptor[] }).manifests;

  it.each<[string, { bytes: Buffer; mediaType: string } | undefined, Descriptor[] | undefined]>([
    ['no tag yet: an index of this one', undefined, [entry]],
    ['an index of others: appended', index([other]), [other, entry]],
    ['listed already: nothing to write', index([other, entry]), undefined],
  ])('%s', (_, current, expected) => {
    const result = withReferrer(current, entry, 'r:sha256-x');
    if (expected) expect(manifestsOf(result)).toEqual(expected);
    else expect(result).toBeUndefined();
  });

  it.each([
    [
      'an image manifest',
      {
        bytes: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, layers: [] })),
        mediaType: MEDIA_TYPES.ociManifest,
      },
    ],
    ['not JSON', { bytes: Buffer.from('<html>'), mediaType: 'text/html' }],
  ])('a tag naming %s is reported, not overwritten', (_, current) => {
    expect(() => withReferrer(current, entry, 'r:sha256-x')).toThrow(UserError);
  });
});

/** A registry held in memory: blobs, manifests by digest and tag, and whether it serves the referrers API. */
function memoryRegistry(options: { api: boolean; refuseTagRewrite?: boolean }) {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  const calls: string[] = [];
  const registry: ReferrerRegistry = {
    pushBlob: (_ref, bytes) => {
      calls.push(`blob ${sha(bytes).slice(0, 15)}`);
      blobs.set(sha(bytes), bytes);
      return Promise.resolve({ digest: sha(bytes), size: bytes.length });
    },
    putManifest: (_ref, reference, bytes, mediaType) => {
      calls.push(`put ${reference.slice(0, 15)} ${mediaType}`);
      if (options.refuseTagRewrite && manifests.has(reference)) return Promise.reject(new UserError('HTTP 400: TAG_INVALID immutable', ''));
      manifests.set(reference, { bytes, mediaType });
      const body = JSON.parse(bytes.toString()) as { subject?: Descriptor };
      return Promise.resolve({ digest: sha(bytes), subject: options.api ? body.subject?.digest : undefined });
    },
    getManifest: (_ref, reference) => Promise.resolve(manifests.get(reference)),
    referrers: (_ref, digest) => {
      if (!options.api) return Promise.resolve(undefined);
      const found = [...manifests.entries()]
        .filter(([key]) => key.startsWith('sha256:'))
        .map(([key, m]) => ({
          key,
          body: JSON.parse(m.bytes.toString()) as { subject?: Descriptor; artifactType?: string },
          size: m.bytes.length,
        }))
        .filter((m) => m.body.subject?.digest === digest)
        .map((m) => ({ mediaType: MEDIA_TYPES.ociManifest, digest: m.key, size: m.size, artifactType: m.body.artifactType }));
      return Promise.resolve({ manifests: found, filtered: false });
    },
  };
  return { registry, blobs, manifests, calls };
}

describe('attachArtifact and findReferrers', () => {
  it('on a registry with the referrers API: the manifest by digest, no tag', async () => {
    const { registry, manifests, blobs, calls } = memoryRegistry({ api: true });
    const attached = await attachArtifact(registry, REF, ARTIFACT);
    expect(attached).toMatchObject({ via: 'referrers-api' });
    expect(attached.tag).toBeUndefined();
    expect([...manifests.keys()]).toEqual([attached.digest]);
    expect(blobs.get(sha(SBOM))).toEqual(SBOM);
    expect(blobs.get(sha(EMPTY_CONFIG))).toEqual(EMPTY_CONFIG);
    expect(calls).toHaveLength(3);
    await expect(findReferrers(registry, REF, SUBJECT.digest, MEDIA_TYPES.cyclonedx)).resolves.toEqual([
      expect.objectContaining({ digest: attached.digest, artifactType: MEDIA_TYPES.cyclonedx }),
    ]);
  });

  it('on a registry without it: the referrers tag lists the artifact, once however often it is attached', async () => {
    const { registry, manifests } = memoryRegistry({ api: false });
    const first = await attachArtifact(registry, REF, ARTIFACT);
    const again = await attachArtifact(registry, REF, ARTIFACT);
    expect(first).toEqual(again);
    expect(first).toMatchObject({ via: 'referrers-tag', tag: referrersTag(SUBJECT.digest) });
    const index = JSON.parse(manifests.get(first.tag!)!.bytes.toString()) as { mediaType: string; manifests: Descriptor[] };
    expect(index.mediaType).toBe(MEDIA_TYPES.ociIndex);
    expect(index.manifests).toEqual([
      {
        mediaType: MEDIA_TYPES.ociManifest,
        digest: first.digest,
        size: first.size,
        artifactType: MEDIA_TYPES.cyclonedx,
        annotations: { 'org.opencontainers.image.created': '2026-11-29T10:00:00Z' },
      },
    ]);
    await expect(findReferrers(registry, REF, SUBJECT.digest, MEDIA_TYPES.cyclonedx)).resolves.toEqual(index.manifests);
    await expect(findReferrers(registry, REF, SUBJECT.digest, 'application/spdx+json')).resolves.toEqual([]);
    await expect(findReferrers(registry, REF, sha('another image'), MEDIA_TYPES.cyclonedx)).resolves.toEqual([]);
  });

  it('a second referrer where the referrers tag cannot be rewritten (immutable) fails naming why', async () => {
    const { registry } = memoryRegistry({ api: false, refuseTagRewrite: true });
    await attachArtifact(registry, REF, ARTIFACT);
    await expect(attachArtifact(registry, REF, { ...ARTIFACT, content: Buffer.from('{"other":1}') })).rejects.toThrow(
      /has no referrers API, and refused the referrers list under sha256-[0-9a-f]{64}: HTTP 400: TAG_INVALID immutable/,
    );
  });

  it('refuses an artifact type with parameters before pushing anything', async () => {
    const { registry, calls } = memoryRegistry({ api: true });
    await expect(
      attachArtifact(registry, REF, { ...ARTIFACT, artifactType: 'application/vnd.cyclonedx+json;version=1.6' }),
    ).rejects.toThrow('ECR refuses such types');
    expect(calls).toEqual([]);
  });
});
