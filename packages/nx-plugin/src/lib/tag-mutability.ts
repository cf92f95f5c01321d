/**
 * Which tags a publish may point at a new image. In an IMMUTABLE repository an existing tag can never
 * move (a version tag must not move anyway); IMMUTABLE_WITH_EXCLUSION makes the tags matching its
 * wildcard filters mutable again, which is how `latest` and `8.0` keep moving in an otherwise
 * immutable repository. A tag that does not exist yet can always be created.
 */
export type TagMutability = 'MUTABLE' | 'IMMUTABLE' | 'IMMUTABLE_WITH_EXCLUSION' | string;

function wildcard(filter: string): RegExp {
  return new RegExp(`^${filter.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

export function isTagMutable(tag: string, mutability: TagMutability, exclusionFilters: string[] = []): boolean {
  if (mutability === 'IMMUTABLE') return false;
  if (mutability === 'IMMUTABLE_WITH_EXCLUSION') return exclusionFilters.some((f) => wildcard(f).test(tag));
  return true;
}

export interface MovingTagPlan {
  /** Tags to push: mutable ones, and immutable ones not created yet. */
  push: string[];
  /** Existing tags the repository will not let move. */
  blocked: string[];
}

export function planMovingTags(tags: string[], existing: Iterable<string>, mutability: TagMutability, exclusionFilters: string[] = []): MovingTagPlan {
  const present = new Set(existing);
  const plan: MovingTagPlan = { push: [], blocked: [] };
  for (const tag of tags) {
    if (!present.has(tag) || isTagMutable(tag, mutability, exclusionFilters)) plan.push.push(tag);
    else plan.blocked.push(tag);
  }
  return plan;
}
