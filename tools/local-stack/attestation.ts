/**
 * What a `docker push` sends when Docker Engine 29 runs with the containerd image store (the default on its
 * fresh installs) and BuildKit attaches its default provenance attestation: an OCI image index holding the
 * image manifest and an attestation manifest for it. Pure functions, so the shape is tested on its own;
 * docker29.ts pushes what they build.
 *
 * The shape follows these references (read, not copied):
 * - BuildKit's "Image attestation storage" (docs/attestations/attestation-storage.md, as of v0.25, the
 *   BuildKit of Docker 29; docs.docker.com/build/metadata/attestations/attestation-storage/): attestation
 *   manifests are OCI image manifests listed in the index after the runnable manifests, with platform
 *   `unknown/unknown` and the descriptor annotations `vnd.docker.reference.type: attestation-manifest` and
 *   `vnd.docker.reference.digest: <image manifest digest>`; each layer is one in-toto statement
 *   (`application/vnd.in-toto+json`) annotated `in-toto.io/predicate-type`, its subject the image manifest's
 *   digest. Before BuildKit v0.32 made OCI artifacts the default, the config is an image config for
 *   `unknown/unknown` whose rootfs lists the statements (exporter/containerimage/writer.go attestationsConfig).
 * - BuildKit's "SLSA definitions" (docs/attestations/slsa-definitions.md): what `mode=min` provenance
 *   records in SLSA v0.2 (buildType `https://mobyproject.org/buildkit@v1`, invocation, materials, metadata).
 * - The OCI image spec (image-index.md, manifest.md, descriptor.md): index and descriptor properties.
 */
import { createHash } from 'node:crypto';
import { MEDIA_TYPES } from './media-types';

/** The media types attestations are made of, from the product's vocabulary. */
export const MEDIA = {
  ociIndex: MEDIA_TYPES.ociIndex,
  ociManifest: MEDIA_TYPES.ociManifest,
  ociConfig: MEDIA_TYPES.ociConfig,
  inToto: MEDIA_TYPES.inToto,
} as const;

export const IN_TOTO_STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';
export const SLSA_PROVENANCE_V02 = 'https://slsa.dev/provenance/v0.2';
export const ATTESTATION_PLATFORM = { architecture: 'unknown', os: 'unknown' } as const;
export const REFERENCE_TYPE = 'vnd.docker.reference.type';
export const REFERENCE_DIGEST = 'vnd.docker.reference.digest';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

/** Bytes as a registry stores them, with the descriptor fields they give. */
export interface Blob {
  digest: string;
  size: number;
  bytes: Buffer;
}

export function blobOf(content: string | Buffer): Blob {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length, bytes };
}

/** Go's json.MarshalIndent(v, "", "  "), which BuildKit writes its manifests and index with. */
function indented(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** The platform as written in purls and `invocation.environment` (`linux/arm64/v8`). */
export function platformString(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

export interface PushedImage {
  /** The manifest the engine pushed, as its descriptor in the index names it. */
  mediaType: string;
  digest: string;
  size: number;
  platform: Platform;
  /** Where it was pushed, `registry/repository:tag`: the statement's subject name. */
  reference: string;
  /** `org.opencontainers.image.base.name` / `.base.digest` labels, when the image has them: a material. */
  base?: { name: string; digest: string };
}

export interface BuildRun {
  invocationId: string;
  startedOn: string;
  finishedOn: string;
}

/** The package URL BuildKit names images by in subjects and materials (`pkg:docker/<name>@<tag>?platform=…`). */
export function imagePurl(reference: string, platform?: Platform): string {
  const at = reference.lastIndexOf('@');
  const colon = reference.lastIndexOf(':');
  const slash = reference.lastIndexOf('/');
  let name = reference;
  let version = 'latest';
  if (at > 0) {
    name = reference.slice(0, at);
    version = reference.slice(at + 1);
    const tagColon = name.lastIndexOf(':');
    if (tagColon > name.lastIndexOf('/')) name = name.slice(0, tagColon);
  } else if (colon > slash) {
    name = reference.slice(0, colon);
    version = reference.slice(colon + 1);
  }
  return `pkg:docker/${name}@${version}${platform ? `?platform=${encodeURIComponent(platformString(platform))}` : ''}`;
}

/** A SLSA v0.2 provenance statement with what BuildKit's `mode=min` records (no build steps, no args). */
export function provenanceStatement(image: PushedImage, run: BuildRun): Blob {
  const statement = {
    _type: IN_TOTO_STATEMENT_V01,
    predicateType: SLSA_PROVENANCE_V02,
    subject: [{ name: imagePurl(image.reference, image.platform), digest: { sha256: image.digest.replace(/^sha256:/, '') } }],
    predicate: {
      builder: { id: '' },
      buildType: 'https://mobyproject.org/buildkit@v1',
      materials: image.base
        ? [{ uri: imagePurl(image.base.name, image.platform), digest: { sha256: image.base.digest.replace(/^sha256:/, '') } }]
        : [],
      invocation: {
        configSource: { entryPoint: 'Dockerfile' },
        parameters: { frontend: 'dockerfile.v0', locals: [{ name: 'context' }, { name: 'dockerfile' }] },
        environment: { platform: platformString(image.platform) },
      },
      metadata: {
        buildInvocationID: run.invocationId,
        buildStartedOn: run.startedOn,
        buildFinishedOn: run.finishedOn,
        completeness: { parameters: false, environment: true, materials: false },
        reproducible: false,
        'https://mobyproject.org/buildkit@v1#metadata': {},
      },
    },
  };
  // json.Marshal, as BuildKit writes statements: no indentation.
  return blobOf(JSON.stringify(statement));
}

/** The attestation manifest for one statement, and the config blob it names. */
export function attestationManifest(statement: Blob, predicateType: string): { config: Blob; manifest: Blob } {
  const config = blobOf(
    JSON.stringify({
      architecture: ATTESTATION_PLATFORM.architecture,
      os: ATTESTATION_PLATFORM.os,
      config: {},
      rootfs: { type: 'layers', diff_ids: [statement.digest] },
    }),
  );
  const manifest = blobOf(
    indented({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: config.digest, size: config.size },
      layers: [
        {
          mediaType: MEDIA.inToto,
          digest: statement.digest,
          size: statement.size,
          annotations: { 'in-toto.io/predicate-type': predicateType },
        },
      ],
    }),
  );
  return { config, manifest };
}

/** The index a Docker 29 push names by the tag: the image first, then its attestation manifest. */
export function pushedIndex(image: PushedImage, attestation: Blob): Blob {
  return blobOf(
    indented({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [
        { mediaType: image.mediaType, digest: image.digest, size: image.size, platform: image.platform },
        {
          mediaType: MEDIA.ociManifest,
          digest: attestation.digest,
          size: attestation.size,
          annotations: { [REFERENCE_DIGEST]: image.digest, [REFERENCE_TYPE]: 'attestation-manifest' },
          platform: { ...ATTESTATION_PLATFORM },
        },
      ],
    }),
  );
}

/** Everything a Docker 29 push adds to what the engine here pushed, in the order it is uploaded. */
export function attestedPush(image: PushedImage, run: BuildRun): { blobs: Blob[]; attestation: Blob; index: Blob } {
  const statement = provenanceStatement(image, run);
  const { config, manifest } = attestationManifest(statement, SLSA_PROVENANCE_V02);
  return { blobs: [statement, config], attestation: manifest, index: pushedIndex(image, manifest) };
}

/** `docker push`'s closing line: what the product reads the pushed digest from. */
export function pushResultLine(tag: string, blob: Pick<Blob, 'digest' | 'size'>): string {
  return `${tag}: digest: ${blob.digest} size: ${blob.size}`;
}

/**
 * The `Authorization` header for a registry from a Docker config.json: `auths.<host>.auth` is
 * base64("user:password"), as `docker login` writes it without a credential helper.
 */
export function authorizationFor(configJson: string, registry: string): string | undefined {
  let auths: Record<string, { auth?: unknown }> | undefined;
  try {
    auths = (JSON.parse(configJson) as { auths?: Record<string, { auth?: unknown }> }).auths;
  } catch {
    return undefined;
  }
  if (!auths) return undefined;
  const entry = auths[registry] ?? auths[`http://${registry}`] ?? auths[`https://${registry}`];
  return typeof entry?.auth === 'string' && entry.auth ? `Basic ${entry.auth}` : undefined;
}
