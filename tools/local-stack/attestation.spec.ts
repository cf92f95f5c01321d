import { createHash } from 'node:crypto';
import {
  attestedPush,
  authorizationFor,
  blobOf,
  imagePurl,
  MEDIA,
  pushResultLine,
  SLSA_PROVENANCE_V02,
  type PushedImage,
} from './attestation';

/** An in-toto statement of SLSA provenance, the fields the tests read back. */
interface ProvenanceStatement {
  _type: string;
  predicateType: string;
  subject: { name: string; digest: Record<string, string> }[];
  predicate: { buildType: string; materials: unknown[]; metadata: Record<string, unknown> };
}

const sha = (text: string | Buffer) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const IMAGE_DIGEST = `sha256:${'a'.repeat(64)}`;
const RUN = { invocationId: 'inv1', startedOn: '2026-11-29T10:00:00.000Z', finishedOn: '2026-11-29T10:01:00.000Z' };

const image = (over: Partial<PushedImage> = {}): PushedImage => ({
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  digest: IMAGE_DIGEST,
  size: 524,
  platform: { architecture: 'amd64', os: 'linux' },
  reference: 'localhost:5002/e2e-x/runtime:staging-1',
  ...over,
});

describe('attestedPush', () => {
  it.each<[string, PushedImage, { platform: object; purlPlatform: string; materials: number }]>([
    [
      'a Docker v2 manifest for linux/amd64 (what the engine here pushes)',
      image(),
      { platform: { architecture: 'amd64', os: 'linux' }, purlPlatform: 'linux%2Famd64', materials: 0 },
    ],
    [
      'an OCI manifest (what a containerd store pushes)',
      image({ mediaType: MEDIA.ociManifest }),
      { platform: { architecture: 'amd64', os: 'linux' }, purlPlatform: 'linux%2Famd64', materials: 0 },
    ],
    [
      'an arm64/v8 image',
      image({ platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } }),
      { platform: { architecture: 'arm64', os: 'linux', variant: 'v8' }, purlPlatform: 'linux%2Farm64%2Fv8', materials: 0 },
    ],
    [
      'an image recording its base',
      image({ base: { name: 'mcr.microsoft.com/dotnet/runtime:8.0', digest: `sha256:${'b'.repeat(64)}` } }),
      { platform: { architecture: 'amd64', os: 'linux' }, purlPlatform: 'linux%2Famd64', materials: 1 },
    ],
  ])('%s', (_name, pushed, expected) => {
    const { blobs, attestation, index } = attestedPush(pushed, RUN);
    const [statementBlob, configBlob] = blobs;

    // The index: the image first with its platform, then the attestation manifest for it.
    const idx: unknown = JSON.parse(index.bytes.toString('utf8'));
    expect(idx).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [
        { mediaType: pushed.mediaType, digest: IMAGE_DIGEST, size: 524, platform: expected.platform },
        {
          mediaType: MEDIA.ociManifest,
          digest: attestation.digest,
          size: attestation.size,
          annotations: { 'vnd.docker.reference.digest': IMAGE_DIGEST, 'vnd.docker.reference.type': 'attestation-manifest' },
          platform: { architecture: 'unknown', os: 'unknown' },
        },
      ],
    });

    // The attestation manifest: an image config for unknown/unknown, one in-toto layer.
    expect(JSON.parse(attestation.bytes.toString('utf8'))).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: configBlob.digest, size: configBlob.size },
      layers: [
        {
          mediaType: MEDIA.inToto,
          digest: statementBlob.digest,
          size: statementBlob.size,
          annotations: { 'in-toto.io/predicate-type': SLSA_PROVENANCE_V02 },
        },
      ],
    });
    expect(JSON.parse(configBlob.bytes.toString('utf8'))).toEqual({
      architecture: 'unknown',
      os: 'unknown',
      config: {},
      rootfs: { type: 'layers', diff_ids: [statementBlob.digest] },
    });

    // The statement: SLSA v0.2 provenance about the image manifest.
    const statement = JSON.parse(statementBlob.bytes.toString('utf8')) as ProvenanceStatement;
    expect(statement._type).toBe('https://in-toto.io/Statement/v0.1');
    expect(statement.predicateType).toBe(SLSA_PROVENANCE_V02);
    expect(statement.subject).toEqual([
      { name: `pkg:docker/localhost:5002/e2e-x/runtime@staging-1?platform=${expected.purlPlatform}`, digest: { sha256: 'a'.repeat(64) } },
    ]);
    expect(statement.predicate.buildType).toBe('https://mobyproject.org/buildkit@v1');
    expect(statement.predicate.materials).toHaveLength(expected.materials);
    expect(statement.predicate.metadata).toMatchObject({
      buildInvocationID: 'inv1',
      buildStartedOn: RUN.startedOn,
      buildFinishedOn: RUN.finishedOn,
    });

    // Every descriptor names exactly the bytes uploaded.
    for (const blob of [index, attestation, statementBlob, configBlob]) {
      expect(blob.digest).toBe(sha(blob.bytes));
      expect(blob.size).toBe(blob.bytes.length);
    }
  });

  it('writes manifests and the index indented, as BuildKit does, and the statement compact', () => {
    const { blobs, attestation, index } = attestedPush(image(), RUN);
    expect(index.bytes.toString('utf8')).toMatch(/^\{\n {2}"schemaVersion": 2,\n {2}"mediaType"/);
    expect(attestation.bytes.toString('utf8')).toMatch(/^\{\n {2}"schemaVersion": 2/);
    expect(blobs[0].bytes.toString('utf8')).not.toContain('\n');
  });

  it('gives the same bytes for the same push', () => {
    expect(attestedPush(image(), RUN).index.digest).toBe(attestedPush(image(), RUN).index.digest);
    expect(attestedPush(image(), RUN).index.digest).not.toBe(attestedPush(image(), { ...RUN, invocationId: 'inv2' }).index.digest);
  });
});

describe('imagePurl', () => {
  it.each<[string, string]>([
    ['localhost:5002/e2e-x/runtime:staging-1', 'pkg:docker/localhost:5002/e2e-x/runtime@staging-1'],
    ['mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim', 'pkg:docker/mcr.microsoft.com/dotnet/runtime@8.0-bookworm-slim'],
    ['localhost:5002/app', 'pkg:docker/localhost:5002/app@latest'],
    [`registry/app:1@sha256:${'c'.repeat(64)}`, `pkg:docker/registry/app@sha256:${'c'.repeat(64)}`],
  ])('%s', (reference, purl) => {
    expect(imagePurl(reference)).toBe(purl);
  });
});

describe('authorizationFor', () => {
  const auth = Buffer.from('AWS:secret').toString('base64');
  it.each<[string, string, string | undefined]>([
    ['the host as docker login writes it', JSON.stringify({ auths: { 'localhost:5002': { auth } } }), `Basic ${auth}`],
    ['a host written with its scheme', JSON.stringify({ auths: { 'http://localhost:5002': { auth } } }), `Basic ${auth}`],
    ['another host only', JSON.stringify({ auths: { 'localhost:5001': { auth } } }), undefined],
    ['a credential helper (no auth field)', JSON.stringify({ auths: { 'localhost:5002': {} }, credsStore: 'pass' }), undefined],
    ['no auths', '{}', undefined],
    ['not JSON', '{', undefined],
  ])('%s', (_name, config, expected) => {
    expect(authorizationFor(config, 'localhost:5002')).toBe(expected);
  });
});

describe('pushResultLine', () => {
  it('is the line the product reads the pushed digest from', () => {
    const blob = blobOf('{}');
    expect(pushResultLine('staging-1', blob)).toBe(`staging-1: digest: ${sha('{}')} size: 2`);
  });
});
