/**
 * Which tags a publish may point at a new image. In an IMMUTABLE repository an existing tag can never
 * move (a version tag must not move anyway); IMMUTABLE_WITH_EXCLUSION makes the tags matching its
 * wildcard filters mutable again, which is how `latest` and `8.0` keep moving in an otherwise
 * immutable repository. A tag that does not exist yet can always be created.
 */
import { fillPlaceholders, movingTags, tagBehaviour } from '../types/tags';
import { wildcardMatches } from '../types/wildcard';

/** ECR's `imageTagMutability`: MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION (any other value reads as mutable). */
export type TagMutability = string;

export function isTagMutable(tag: string, mutability: TagMutability, exclusionFilters: string[] = []): boolean {
  if (mutability === 'IMMUTABLE') return false;
  if (mutability === 'IMMUTABLE_WITH_EXCLUSION') return exclusionFilters.some((f) => wildcardMatches(f, tag));
  // The reverse: mutable, except the tags the filters name.
  if (mutability === 'MUTABLE_WITH_EXCLUSION') return !exclusionFilters.some((f) => wildcardMatches(f, tag));
  return true;
}

export interface MovingTagPlan {
  /** Tags to push: mutable ones, and immutable ones not created yet. */
  push: string[];
  /** Existing tags the repository will not let move. */
  blocked: string[];
}

export function planMovingTags(
  tags: string[],
  existing: Iterable<string>,
  mutability: TagMutability,
  exclusionFilters: string[] = [],
): MovingTagPlan {
  const present = new Set(existing);
  const plan: MovingTagPlan = { push: [], blocked: [] };
  for (const tag of tags) {
    if (!present.has(tag) || isTagMutable(tag, mutability, exclusionFilters)) plan.push.push(tag);
    else plan.blocked.push(tag);
  }
  return plan;
}

/**
 * The tags a publish moves onto each new version (types/tags.ts `tagBehaviour`): the moving tags the image owns
 * (`latest`, `6.0`), and its per-version tags filled with this version (`6.0-{version}`). Per-run tags (a
 * build number, commit or date) belong to the run that pushed them and are never moved afterwards.
 */
export function movingTagsFor(extraTags: readonly string[], latest: boolean, version: string): string[] {
  const tags = movingTags({ extraTags, latest });
  for (const template of extraTags) {
    if (tagBehaviour(template) !== 'per-version') continue;
    const tag = fillPlaceholders(template, () => version);
    if (!tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

/**
 * Exclusion filters for a repository the product creates as IMMUTABLE_WITH_EXCLUSION: every tag some image
 * moves stays mutable; version tags and per-run tags are immutable, so the registry itself refuses to move
 * a published version even when two runs race.
 */
export function exclusionFiltersFor(images: ReadonlyArray<{ extraTags: readonly string[]; latest: boolean }>): string[] {
  // Templates with {version} make a new tag per version: immutable like the version tag itself.
  return [...new Set(images.flatMap(movingTags))].sort();
}

/**
 * Moving tags that do not name the newest published version although they could: what a run that
 * failed half-way through its tags left behind, for the next run to finish.
 */
export function unfinishedTags(
  wanted: string[],
  images: Array<{ digest: string; tags: string[] }>,
  newestDigest: string,
  mutability: TagMutability,
  exclusionFilters: string[] = [],
): string[] {
  const digestOf = new Map(images.flatMap((image) => image.tags.map((tag) => [tag, image.digest] as const)));
  const behind = wanted.filter((tag) => digestOf.get(tag) !== newestDigest);
  return planMovingTags(behind, digestOf.keys(), mutability, exclusionFilters).push;
}
