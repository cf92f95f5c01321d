/**
 * ECR's image tag mutability settings, as the ECR stand-in checks and applies them: MUTABLE, IMMUTABLE,
 * and the *_WITH_EXCLUSION variants whose WILDCARD filters name the tags that behave the other way.
 * Field names, limits and messages follow the ECR API (CreateRepository, PutImageTagMutability).
 */

export const MUTABILITIES = ['MUTABLE', 'IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION', 'MUTABLE_WITH_EXCLUSION'] as const;
export type Mutability = (typeof MUTABILITIES)[number];

export interface ExclusionFilter {
  filterType: 'WILDCARD';
  filter: string;
}

export interface MutabilitySetting {
  imageTagMutability: Mutability;
  /** Empty unless the mutability is one of the *_WITH_EXCLUSION variants. */
  exclusionFilters: ExclusionFilter[];
}

/** An ECR InvalidParameterException, raised before anything changes. */
export class InvalidMutabilityError extends Error {}

const FILTER_PATTERN = /^[0-9a-zA-Z._*-]{1,128}$/;
const MAX_FILTERS = 5;
const FIELD = 'imageTagMutabilityExclusionFilters';

function invalid(field: string, constraint: string): InvalidMutabilityError {
  return new InvalidMutabilityError(`Invalid parameter at '${field}' failed to satisfy constraint: '${constraint}'`);
}

function isWithExclusion(mutability: Mutability): boolean {
  return mutability === 'IMMUTABLE_WITH_EXCLUSION' || mutability === 'MUTABLE_WITH_EXCLUSION';
}

/**
 * The setting a CreateRepository or PutImageTagMutability request asks for. `fallback` is used when
 * imageTagMutability is absent (CreateRepository defaults to MUTABLE; PutImageTagMutability requires it).
 */
export function parseMutabilitySetting(mutabilityRaw: unknown, filtersRaw: unknown, fallback?: Mutability): MutabilitySetting {
  const value = mutabilityRaw ?? fallback;
  if (value === undefined) throw invalid('imageTagMutability', 'must not be null');
  if (!(MUTABILITIES as readonly unknown[]).includes(value)) {
    throw invalid('imageTagMutability', `Member must satisfy enum value set: [${MUTABILITIES.join(', ')}]`);
  }
  const imageTagMutability = value as Mutability;

  let exclusionFilters: ExclusionFilter[] = [];
  if (filtersRaw !== undefined && filtersRaw !== null) {
    if (!Array.isArray(filtersRaw) || filtersRaw.length < 1 || filtersRaw.length > MAX_FILTERS) {
      throw invalid(FIELD, `Member must have length between 1 and ${MAX_FILTERS}`);
    }
    exclusionFilters = filtersRaw.map((raw: unknown, i) => {
      const where = `${FIELD}.${i + 1}.member`;
      const item = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      if (item.filterType !== 'WILDCARD') throw invalid(`${where}.filterType`, 'Member must satisfy enum value set: [WILDCARD]');
      if (typeof item.filter !== 'string' || !FILTER_PATTERN.test(item.filter)) {
        throw invalid(`${where}.filter`, `Member must satisfy regular expression pattern: ${FILTER_PATTERN.source}`);
      }
      return { filterType: 'WILDCARD', filter: item.filter };
    });
  }
  if (isWithExclusion(imageTagMutability) && !exclusionFilters.length) {
    throw invalid(FIELD, `ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as ${imageTagMutability}`);
  }
  if (!isWithExclusion(imageTagMutability) && exclusionFilters.length) {
    throw invalid(FIELD, `ImageTagMutabilityExclusionFilters must be null when imageTagMutability is set as ${imageTagMutability}`);
  }
  return { imageTagMutability, exclusionFilters };
}

/** A WILDCARD filter matches the whole tag; each `*` stands for any run of characters, including none. */
export function wildcardMatches(filter: string, tag: string): boolean {
  const pattern = filter
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(tag);
}

/** Whether an existing tag must keep naming its image. */
export function isTagImmutable(setting: MutabilitySetting, tag: string): boolean {
  const excluded = setting.exclusionFilters.some((f) => wildcardMatches(f.filter, tag));
  switch (setting.imageTagMutability) {
    case 'IMMUTABLE':
      return true;
    case 'IMMUTABLE_WITH_EXCLUSION':
      return !excluded;
    case 'MUTABLE_WITH_EXCLUSION':
      return excluded;
    default:
      return false;
  }
}

/** The message ECR gives when a push or PutImage would move an immutable tag. */
export function immutableTagMessage(repository: string, tag: string): string {
  return `The image tag '${tag}' already exists in the '${repository}' repository and cannot be overwritten because the tag is immutable.`;
}
