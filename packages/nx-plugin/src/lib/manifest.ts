/**
 * Image manifests as the registry stores them. The version tag of a published image names an OCI image
 * manifest whose annotations repeat what the image's labels record (base name, base digest, context digest):
 * the labels live in the config blob, a second download; the annotations come with the manifest itself,
 * so the check reads the newest version's record in one small request and never touches a blob.
 */
import { createHash } from 'node:crypto';
import { INPUT_KEYS, LABELS, type InputRecord } from './labels';

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociForeignLayer: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
} as const;

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
}

interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** Docker's media types for the same bytes, as OCI names them (the blobs are identical). */
const OCI_EQUIVALENT: Record<string, string> = {
  [MEDIA_TYPES.dockerConfig]: MEDIA_TYPES.ociConfig,
  [MEDIA_TYPES.dockerLayer]: MEDIA_TYPES.ociLayer,
  [MEDIA_TYPES.dockerForeignLayer]: MEDIA_TYPES.ociForeignLayer,
};

function parseImageManifest(text: string, mediaType: string | undefined): ImageManifest {
  let value: ImageManifest;
  try {
    value = JSON.parse(text) as ImageManifest;
  } catch (err) {
    throw new Error(`the manifest is not JSON (${(err as Error).message})`);
  }
  const type = value?.mediaType ?? mediaType;
  if (type !== MEDIA_TYPES.dockerManifest && type !== MEDIA_TYPES.ociManifest) {
    throw new Error(`expected a single-platform image manifest, got ${type ?? 'a manifest without a media type'}`);
  }
  if (!value.config?.digest || !Array.isArray(value.layers)) throw new Error('the manifest has no config or no layers');
  return value;
}

/**
 * The same image as an OCI image manifest carrying `annotations`: same config and layer blobs, nothing
 * re-uploaded. The JSON is written in a fixed key order, so two runs that built byte-identical images
 * from the same inputs produce the same manifest and the same digest.
 */
export function annotatedManifest(text: string, mediaType: string | undefined, annotations: Record<string, string>): { manifest: string; mediaType: string; digest: string } {
  const source = parseImageManifest(text, mediaType);
  const descriptor = (d: Descriptor): Descriptor => ({
    mediaType: OCI_EQUIVALENT[d.mediaType] ?? d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(d.urls ? { urls: d.urls } : {}),
    ...(d.annotations ? { annotations: d.annotations } : {}),
  });
  const merged = { ...(source.annotations ?? {}), ...annotations };
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: descriptor(source.config),
    layers: source.layers.map(descriptor),
    annotations: Object.fromEntries(Object.keys(merged).sort().map((key) => [key, merged[key]])),
  });
  return { manifest, mediaType: MEDIA_TYPES.ociManifest, digest: `sha256:${createHash('sha256').update(manifest).digest('hex')}` };
}

/**
 * What a manifest's annotations record about the image's inputs; undefined when it records none of them
 * (an image published before annotations were written: its labels must be read from the config instead).
 */
export function recordFromManifest(text: string): Partial<InputRecord> | undefined {
  let annotations: unknown;
  try {
    annotations = (JSON.parse(text) as { annotations?: unknown })?.annotations;
  } catch {
    return undefined;
  }
  if (!annotations || typeof annotations !== 'object') return undefined;
  const found: Partial<InputRecord> = {};
  for (const key of INPUT_KEYS) {
    const value = (annotations as Record<string, unknown>)[key];
    if (typeof value === 'string' && value) found[key] = value;
  }
  return found[LABELS.baseDigest] && found[LABELS.contextDigest] ? found : undefined;
}
