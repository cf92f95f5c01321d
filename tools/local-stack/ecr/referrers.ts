/**
 * The referrers API ECR serves and the backing registry (distribution 2.8) lacks: a manifest pushed with a
 * `subject` is recorded, its PUT answered with `OCI-Subject`, and `GET /v2/<name>/referrers/<digest>` lists
 * what was recorded (OCI distribution spec, "Pushing Manifests with Subject", "Listing Referrers"). ECR serves
 * it (Amazon ECR User Guide, "Private images in Amazon ECR": OCI v1.1 reference artifacts through the Referrers
 * API). Measured on Debian's docker-registry 2.8: a manifest with `subject`, `artifactType` and an empty-descriptor
 * config is accepted and stored byte for byte, with no OCI-Subject header, and `/v2/<name>/referrers/<digest>`
 * answers a plain-text 404 — so without this a client falls back to the referrers tag schema.
 *
 * What ECR refuses: media types with parameters in `artifactType` or a layer's `mediaType` (aws/containers-roadmap
 * #2306: `application/vnd.dev.sigstore.bundle+json;version=0.2` refused; sigstore-js#1058: subject and
 * artifactType accepted, a `;` still not), answered 405 UNSUPPORTED with "Invalid parameter at 'ImageManifest'
 * failed to satisfy constraint: 'Invalid JSON syntax'" (the answer oras-project/oras#1133 and #690 quote). A
 * referrer manifest `oras copy -r` pushed was refused the same way (aws/containers-roadmap#2783), which that
 * report ties to #2306.
 */
import type { ReferrerRecord } from './meta-store';
import { MEDIA_TYPES } from '../media-types';

interface PushedManifest {
  mediaType?: string;
  artifactType?: string;
  config?: { mediaType?: string };
  layers?: Array<{ mediaType?: string }>;
  subject?: { digest?: string };
  annotations?: Record<string, string>;
}

function parse(body: Buffer): PushedManifest | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as PushedManifest | null;
    return parsed && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** ECR's message when it refuses a manifest it will not store. */
export const UNSUPPORTED_MANIFEST = "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'";

/** Why ECR would refuse the manifest (a media type with parameters where it allows none), else undefined. */
export function refusedMediaType(body: Buffer): string | undefined {
  const manifest = parse(body);
  if (!manifest) return undefined;
  const types = [manifest.artifactType, ...(manifest.layers ?? []).map((l) => l?.mediaType)];
  const bad = types.find((t) => typeof t === 'string' && t.includes(';'));
  return bad === undefined ? undefined : bad;
}

/**
 * The subject a pushed manifest names and the descriptor the referrers listing gives it: its artifactType, else
 * its config's media type (an index without artifactType has none), and its annotations. Undefined for a
 * manifest without a subject.
 */
export function referrerOf(
  body: Buffer,
  digest: string,
  contentType: string | undefined,
): { subject: string; record: ReferrerRecord } | undefined {
  const manifest = parse(body);
  const subject = manifest?.subject?.digest;
  if (!manifest || typeof subject !== 'string') return undefined;
  const mediaType = manifest.mediaType ?? contentType ?? MEDIA_TYPES.ociManifest;
  const isIndex = mediaType === MEDIA_TYPES.ociIndex;
  const artifactType = manifest.artifactType || (isIndex ? undefined : manifest.config?.mediaType);
  return {
    subject,
    record: {
      mediaType,
      digest,
      size: body.length,
      ...(artifactType ? { artifactType } : {}),
      ...(manifest.annotations && Object.keys(manifest.annotations).length ? { annotations: manifest.annotations } : {}),
    },
  };
}

/** The referrers listing: an image index of the records, filtered by artifactType when asked (and saying so). */
export function referrersIndex(records: ReferrerRecord[], artifactType: string | null): { body: string; filtered: boolean } {
  const manifests = artifactType ? records.filter((r) => r.artifactType === artifactType) : records;
  return { body: JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }), filtered: !!artifactType };
}
