/**
 * Image manifests as the registry stores them. The version tag of a published image names an OCI image
 * manifest whose annotations repeat what the image's labels record (base name, base digest, context digest):
 * the labels live in the config blob, a second download; the annotations come with the manifest itself,
 * so the check reads the newest version's record in one small request and never touches a blob.
 *
 * An engine may push an image index instead of one manifest: Docker Engine 29 with the containerd image
 * store (the default on its fresh installs) and BuildKit's default provenance attestation pushes the image
 * manifest and an attestation manifest for it in one OCI index (BuildKit, "Image attestation storage").
 * The version tag then names that same index with the record in the index's own annotations (OCI image
 * spec, image-index.md: `annotations` on the index), its manifests listed exactly as pushed.
 */
import { createHash } from 'node:crypto';
import { MEDIA_TYPES } from '../types/media-types';
import { LABELS, RECORD_KEYS } from '../types/annotations';
import { formatPlatform, parsePlatform, type OciPlatform } from '../types/platforms';
import type { ImageInputs } from './labels';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
}

export interface ImageManifest {
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

/** A descriptor in an index's `manifests`: written back exactly as it came, whatever fields it has. */
interface IndexEntry {
  mediaType: string;
  digest: string;
  size: number;
  [field: string]: unknown;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: IndexEntry[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

type Parsed = { kind: 'manifest'; value: ImageManifest } | { kind: 'index'; value: ImageIndex };

function parse(text: string, mediaType: string | undefined): Parsed {
  let value: ImageManifest & ImageIndex;
  try {
    value = JSON.parse(text) as ImageManifest & ImageIndex;
  } catch (err) {
    throw new Error(`the manifest is not JSON (${(err as Error).message})`, { cause: err });
  }
  const type = value?.mediaType ?? mediaType;
  if (type === MEDIA_TYPES.ociIndex || type === MEDIA_TYPES.dockerList) {
    if (!Array.isArray(value.manifests) || !value.manifests.length) throw new Error('the image index lists no manifests');
    if (value.manifests.some((m) => typeof m?.digest !== 'string' || typeof m.mediaType !== 'string'))
      throw new Error('the image index lists a manifest without a digest or media type');
    return { kind: 'index', value };
  }
  if (type !== MEDIA_TYPES.dockerManifest && type !== MEDIA_TYPES.ociManifest) {
    throw new Error(`expected an image manifest or an image index, got ${type ?? 'a manifest without a media type'}`);
  }
  if (!value.config?.digest || !Array.isArray(value.layers)) throw new Error('the manifest has no config or no layers');
  return { kind: 'manifest', value };
}

function sortedKeys(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(map)
      .sort()
      .map((key) => [key, map[key]]),
  );
}

/**
 * What the version tag names: the image Docker pushed, carrying `annotations` (merged into any it has,
 * ours winning), nothing re-uploaded. The JSON is written in a fixed key order with the annotations
 * sorted, so the same pushed image and the same record always give the same bytes and the same digest.
 *
 * - A single manifest becomes an OCI image manifest of the same config and layer blobs.
 * - An image index stays that index: its manifests (the image per platform, attestation manifests) are
 *   listed exactly as pushed, and the annotations go on the index itself. A Docker manifest list becomes an
 *   OCI image index, because only the OCI index has `annotations` (OCI image spec, media-types.md,
 *   compatibility matrix: `.annotations` "only present in OCI"); its entries keep their Docker media types,
 *   which name the formats of manifests not rewritten here, and which an OCI index may list
 *   (image-index.md: an unknown `mediaType` "MUST NOT generate an error").
 */
export function annotatedManifest(
  text: string,
  mediaType: string | undefined,
  annotations: Record<string, string>,
): { manifest: string; mediaType: string; digest: string } {
  const parsed = parse(text, mediaType);
  if (parsed.kind === 'index') return annotatedIndex(parsed.value, annotations);
  const source = parsed.value;
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
    annotations: sortedKeys(merged),
  });
  return { manifest, mediaType: MEDIA_TYPES.ociManifest, digest: digestOf(manifest) };
}

function annotatedIndex(source: ImageIndex, annotations: Record<string, string>): { manifest: string; mediaType: string; digest: string } {
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    ...(source.artifactType ? { artifactType: source.artifactType } : {}),
    manifests: source.manifests,
    ...(source.subject ? { subject: source.subject } : {}),
    annotations: sortedKeys({ ...(source.annotations ?? {}), ...annotations }),
  });
  return { manifest, mediaType: MEDIA_TYPES.ociIndex, digest: digestOf(manifest) };
}

function digestOf(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/**
 * What a manifest's annotations record about the image's inputs (and when its base was built); undefined
 * when it records none of its inputs
 * (an image published before annotations were written: its labels must be read from the config instead).
 */
export function inputsFromManifest(text: string): Partial<ImageInputs> | undefined {
  let annotations: unknown;
  try {
    annotations = (JSON.parse(text) as { annotations?: unknown })?.annotations;
  } catch {
    return undefined;
  }
  if (!annotations || typeof annotations !== 'object') return undefined;
  const found: Partial<ImageInputs> = {};
  for (const key of RECORD_KEYS) {
    const value = (annotations as Record<string, unknown>)[key];
    if (typeof value === 'string' && value) found[key] = value;
  }
  return found[LABELS.baseDigest] && found[LABELS.contextDigest] ? found : undefined;
}

/** A platform's manifest as an image index lists it. */
export interface PlatformManifest {
  platform: string;
  digest: string;
  mediaType: string;
  size: number;
}

/**
 * The OCI image index of a multi-platform image: one descriptor per platform, each with its `platform`
 * (`os`, `architecture`, `variant` when the platform has one; OCI image spec, image-index.md), sorted by
 * platform, and the record in the index's own annotations, sorted, so the same manifests and record always
 * give the same bytes and the same digest.
 */
export function platformIndex(
  manifests: readonly PlatformManifest[],
  annotations: Record<string, string>,
): { manifest: string; mediaType: string; digest: string } {
  if (!manifests.length) throw new Error('an image index needs at least one platform manifest');
  const entries = [...manifests]
    .sort((a, b) => a.platform.localeCompare(b.platform))
    .map((m) => {
      const platform = parsePlatform(m.platform);
      if (!platform) throw new Error(`"${m.platform}" is not a platform (os/architecture[/variant])`);
      return {
        mediaType: m.mediaType,
        digest: m.digest,
        size: m.size,
        platform: { architecture: platform.architecture, os: platform.os, ...(platform.variant ? { variant: platform.variant } : {}) },
      };
    });
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: entries,
    annotations: sortedKeys(annotations),
  });
  return { manifest, mediaType: MEDIA_TYPES.ociIndex, digest: digestOf(manifest) };
}

/**
 * The descriptor of a platform's manifest in an index, undefined when it lists none for the platform. Both
 * sides are compared as formatPlatform writes them, so `linux/arm64/v8` and `linux/arm64` are one platform.
 */
export function platformEntryOf(indexText: string, platform: string): { digest: string; mediaType: string; size: number } | undefined {
  const index = JSON.parse(indexText) as { manifests?: Array<{ digest: string; mediaType: string; size: number; platform?: OciPlatform }> };
  const parsed = parsePlatform(platform);
  const wanted = parsed ? formatPlatform(parsed) : platform;
  const entry = index.manifests?.find((m) => m.platform?.os && m.platform.architecture && formatPlatform(m.platform) === wanted);
  return entry && { digest: entry.digest, mediaType: entry.mediaType, size: entry.size };
}
