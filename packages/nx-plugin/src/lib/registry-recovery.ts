/**
 * What runs that stopped half-way left in an ECR repository, decided from the listing the check already
 * has (DescribeImages: each image's tags, digest and imagePushedAt), so finding it costs no request.
 *
 * - An announcement owed: ecr-publish writes `unannounced-<run id>` on the version's image before the version
 *   tag, and teams-notify removes it once the card was delivered. A marker on an image that a version tag of
 *   this image names is a published version no card has announced.
 * - Leftovers: a `staging-<run id>` tag, and a marker on an image no other tag names (the run stopped between
 *   writing the marker and the version tag), once older than any run takes to get past them.
 * - An SBOM owed: the newest version without a referrer (ECR lists a referrer as an image with
 *   `subjectManifestDigest`, "the digest of the subject manifest for images that are referrers", ECR API
 *   reference, ImageDetail).
 */
import * as semver from 'semver';
import type { EcrImage } from './ecr';
import { isIndexMediaType } from '../types/media-types';
import { parseRunTag, type RunTagKind } from '../types/tags';
import { versionTags } from './versioning';

export interface OwedAnnouncement {
  /** The `unannounced-<run id>` tag that records it; removed once the card is delivered. */
  marker: string;
  versionTag: string;
  version: string;
  digest: string;
  /** The image's tags other than run tags: its version tag and the moving tags naming it now. */
  tags: string[];
}

/** The versions of this image (`<prefix>-x.y.z`) published without a card, oldest first. */
export function owedAnnouncements(prefix: string, images: EcrImage[]): OwedAnnouncement[] {
  const owed: OwedAnnouncement[] = [];
  for (const image of images) {
    const [version] = versionTags(prefix, image.tags);
    if (!version) continue;
    const tags = image.tags.filter((tag) => !parseRunTag(tag));
    for (const tag of image.tags) {
      if (parseRunTag(tag)?.kind === 'unannounced')
        owed.push({ marker: tag, versionTag: version.tag, version: version.version, digest: image.digest, tags });
    }
  }
  return owed.sort((a, b) => semver.compare(a.version, b.version) || a.marker.localeCompare(b.marker));
}

export interface LeftoverTag {
  tag: string;
  kind: RunTagKind;
  digest: string;
  /** When the image it names was pushed (ISO 8601). */
  pushedAt: string;
}

/**
 * Run tags that no live run still needs: staging tags, and markers on an image nothing else names, pushed more
 * than `maxAgeMs` before `now`. An image whose push time ECR does not give is left alone. Removing one of these
 * tags removes only that tag (BatchDeleteImage by tag), and the image only when no other tag names it.
 */
export function leftoverTags(images: EcrImage[], now: Date, maxAgeMs: number): LeftoverTag[] {
  const found: LeftoverTag[] = [];
  for (const image of images) {
    if (!image.pushedAt || now.getTime() - image.pushedAt.getTime() <= maxAgeMs) continue;
    const onlyRunTags = image.tags.every((tag) => parseRunTag(tag));
    for (const tag of image.tags) {
      const run = parseRunTag(tag);
      if (run && (run.kind === 'staging' || onlyRunTags))
        found.push({ tag, kind: run.kind, digest: image.digest, pushedAt: image.pushedAt.toISOString() });
    }
  }
  return found.sort((a, b) => a.tag.localeCompare(b.tag));
}

/**
 * Whether the version whose manifest is `digest` was published without its SBOM: nothing in the listing refers to
 * it. Any referrer counts, whatever its type (the listing does not say which artifactType a referrer has in a way
 * ECR documents), so a version is never judged owed when it holds one: a wrong "owed" would repeat on every run.
 * Judged only for a version that is one manifest, as the listing says: a multi-platform version's SBOMs refer to
 * its platform manifests, which the listing does not tie to the index; a listing without media types says nothing.
 */
export function sbomOwed(images: EcrImage[], digest: string): boolean {
  const version = images.find((image) => image.digest === digest);
  if (!version?.mediaType || isIndexMediaType(version.mediaType)) return false;
  return !images.some((image) => image.subject === digest);
}
