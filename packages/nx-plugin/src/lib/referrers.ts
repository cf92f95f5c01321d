/**
 * Attaching an artifact (an SBOM) to a published image as an OCI 1.1 referrer, and finding it again.
 *
 * The artifact is an OCI image manifest whose `subject` is the image's manifest, whose `artifactType` says what
 * it is, whose config is the empty descriptor and whose one layer is the content (OCI image spec, manifest.md,
 * "Guidelines for Artifact Usage"). It is pushed by its digest, untagged, through the registry API: blobs by
 * POST + PUT, the manifest by PUT, as docker push does, with the GetAuthorizationToken credentials.
 *
 * A registry that serves the referrers API answers that PUT with `OCI-Subject: <subject digest>`. One that does
 * not gets the fallback the OCI distribution spec defines ("Pushing Manifests with Subject", "Referrers Tag
 * Schema"): an image index tagged `sha256-<hex>` listing the subject's referrers, pulled, appended to and
 * pushed again. ECR serves the referrers API (Amazon ECR User Guide, "Private images in Amazon ECR": OCI v1.1
 * reference artifacts), so on ECR the fallback never runs and no `sha256-…` tag is written; that matters,
 * because such a tag is rewritten each time a referrer is added and an immutable repository would refuse the
 * second write. On a registry without the API that keeps tags immutable, attaching a second referrer to one
 * image fails with the registry's refusal, named in the error.
 *
 * What ECR refuses: a referrer manifest that `oras copy -r` pushed was answered 405 (aws/containers-roadmap#2783,
 * an SPDX SBOM referrer with artifactType and subject), which that report ties to ECR's restrictions on the
 * media types it accepts in `artifactType` and layer `mediaType` (aws/containers-roadmap#2306: a media type
 * with parameters, `…+json;version=0.2`, is refused with "Invalid parameter at 'ImageManifest' failed to satisfy
 * constraint: 'Invalid JSON syntax'"; sigstore-js#1058 found subject and artifactType accepted once the type had
 * no parameters). So the artifact's types here are plain `type/subtype+suffix`, never with parameters.
 */
import { createHash } from 'node:crypto';
import { isIndexMediaType, MEDIA_TYPES } from '../types/media-types';
import { UserError } from '../types/errors';
import { formatImageRef, type ImageRef } from '../types/image-ref';
import type { Descriptor, RegistryClient } from './registry-client';

/** What attaching needs of the registry API (RegistryClient). */
export type ReferrerRegistry = Pick<RegistryClient, 'pushBlob' | 'putManifest' | 'getManifest' | 'referrers'>;

/** The empty JSON object, the content the empty descriptor names (OCI image spec, manifest.md). */
export const EMPTY_CONFIG = Buffer.from('{}');

/**
 * The referrers tag of a digest: the algorithm cut to 32 characters, `-`, the encoded part cut to 64, with any
 * character a tag cannot hold replaced by `-` (OCI distribution spec, "Referrers Tag Schema").
 */
export function referrersTag(digest: string): string {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon).slice(0, 32);
  const encoded = digest.slice(colon + 1).slice(0, 64);
  return `${algorithm}-${encoded}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

/** A media type a registry accepts as an artifactType or layer type: `type/subtype`, no parameters (see above). */
export function isPlainMediaType(mediaType: string): boolean {
  return /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i.test(mediaType);
}

export interface Artifact {
  /** What the artifact is: the manifest's artifactType and its layer's media type. */
  artifactType: string;
  content: Buffer;
  /** The manifest it refers to: the referrers listing of this digest names the artifact. */
  subject: Descriptor;
  annotations?: Record<string, string>;
}

/** The artifact's manifest: artifactType, the empty config, the content as the one layer, the subject. */
export function artifactManifest(
  artifact: Artifact,
  layer: { digest: string; size: number },
  config: { digest: string; size: number },
): Buffer {
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    artifactType: artifact.artifactType,
    config: { mediaType: MEDIA_TYPES.ociEmpty, digest: config.digest, size: config.size },
    layers: [{ mediaType: artifact.artifactType, digest: layer.digest, size: layer.size }],
    subject: { mediaType: artifact.subject.mediaType, digest: artifact.subject.digest, size: artifact.subject.size },
    ...(artifact.annotations && Object.keys(artifact.annotations).length ? { annotations: artifact.annotations } : {}),
  };
  return Buffer.from(JSON.stringify(manifest));
}

interface Index {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
}

/**
 * The referrers list under the tag schema with one more referrer: undefined when it is listed already
 * (duplicates SHOULD NOT be made), an error when the tag names something that is not an image index (the
 * client SHOULD report a failure), an empty index to start from when the tag names nothing (OCI distribution
 * spec, "Pushing Manifests with Subject").
 */
export function withReferrer(
  current: { bytes: Buffer; mediaType: string } | undefined,
  entry: Descriptor,
  tag: string,
): Buffer | undefined {
  let index: Index = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] };
  if (current) {
    let parsed: Partial<Index> | undefined;
    try {
      parsed = JSON.parse(current.bytes.toString('utf8')) as Partial<Index>;
    } catch {
      parsed = undefined;
    }
    if (!parsed || !Array.isArray(parsed.manifests) || !isIndexMediaType(parsed.mediaType ?? current.mediaType))
      throw new UserError(
        `the referrers tag ${tag} names a manifest that is not an image index, so the referrers list cannot be kept there`,
        `remove or rename the ${tag} tag (only referrers lists belong there), then rerun`,
      );
    index = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: parsed.manifests };
  }
  if (index.manifests.some((m) => m.digest === entry.digest)) return undefined;
  return Buffer.from(JSON.stringify({ ...index, manifests: [...index.manifests, entry] }));
}

/** How an artifact was attached: through the registry's referrers API, or the referrers tag it keeps. */
export interface Attached {
  digest: string;
  size: number;
  via: 'referrers-api' | 'referrers-tag';
  /** The referrers tag written, when the registry has no referrers API. */
  tag?: string;
}

/** Pushes the artifact's blobs and manifest, then, where the registry did not process the subject, its referrers tag. */
export async function attachArtifact(registry: ReferrerRegistry, ref: ImageRef, artifact: Artifact): Promise<Attached> {
  if (!isPlainMediaType(artifact.artifactType))
    throw new UserError(
      `${formatImageRef(ref)}: artifact type ${artifact.artifactType} has parameters or is not a media type; ECR refuses such types`,
      'use a plain type/subtype media type',
    );
  const config = await registry.pushBlob(ref, EMPTY_CONFIG);
  const layer = await registry.pushBlob(ref, artifact.content);
  const manifest = artifactManifest(artifact, layer, config);
  const pushed = await registry.putManifest(ref, digestOf(manifest), manifest, MEDIA_TYPES.ociManifest);
  const attached = { digest: pushed.digest, size: manifest.length };
  if (pushed.subject === artifact.subject.digest) return { ...attached, via: 'referrers-api' };
  // The registry did not say it processed the subject: keep the list under the referrers tag ourselves.
  const tag = referrersTag(artifact.subject.digest);
  const entry: Descriptor = {
    mediaType: MEDIA_TYPES.ociManifest,
    digest: pushed.digest,
    size: manifest.length,
    artifactType: artifact.artifactType,
    ...(artifact.annotations && Object.keys(artifact.annotations).length ? { annotations: artifact.annotations } : {}),
  };
  const index = withReferrer(await registry.getManifest(ref, tag), entry, `${formatImageRef(ref)}:${tag}`);
  if (index) {
    try {
      await registry.putManifest(ref, tag, index, MEDIA_TYPES.ociIndex);
    } catch (err) {
      throw new UserError(
        `${formatImageRef(ref)}: the registry has no referrers API, and refused the referrers list under ${tag}: ${(err as Error).message}`,
        `the list is rewritten each time a referrer is added: let ${tag.slice(0, 7)}* tags change (a mutable-tag exclusion), or use a registry with the referrers API, then rerun`,
      );
    }
  }
  return { ...attached, via: 'referrers-tag', tag };
}

/**
 * The referrers of a digest with the given artifactType: from the referrers API, else from the referrers tag
 * (OCI distribution spec, "Listing Referrers": a client getting 404 MUST fall back to the tag; a tag that is no
 * image index means no referrers). Filtered here when the registry did not filter.
 */
export async function findReferrers(
  registry: ReferrerRegistry,
  ref: ImageRef,
  digest: string,
  artifactType: string,
): Promise<Descriptor[]> {
  const listed = await registry.referrers(ref, digest, artifactType);
  let manifests: Descriptor[];
  if (listed) manifests = listed.manifests;
  else {
    const tagged = await registry.getManifest(ref, referrersTag(digest));
    try {
      const index = tagged && (JSON.parse(tagged.bytes.toString('utf8')) as Partial<Index>);
      manifests = index && Array.isArray(index.manifests) ? index.manifests : [];
    } catch {
      manifests = [];
    }
  }
  return manifests.filter((m) => m.artifactType === artifactType);
}

function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
