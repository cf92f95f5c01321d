/**
 * Is the platform image current? Decided from what the newest published version records about itself
 * (its labels), never from dates: a base digest that moved, a build context that changed, or nothing
 * published at all make it stale.
 */
export type Reason = 'forced' | 'nothing-published' | 'base-changed' | 'base-moved' | 'context-changed' | 'unlabelled' | 'current';

export interface PublishedRecord {
  versionTag: string;
  digest: string;
  baseName?: string;
  baseDigest?: string;
  contextDigest?: string;
}

export interface StalenessInput {
  force: boolean;
  baseName: string;
  baseDigest: string;
  contextDigest: string;
  published?: PublishedRecord;
}

export interface StalenessDecision {
  stale: boolean;
  reason: Reason;
  message: string;
}

export function decideStaleness(input: StalenessInput): StalenessDecision {
  const { published } = input;
  if (input.force) return { stale: true, reason: 'forced', message: 'forced update requested' };
  if (!published) return { stale: true, reason: 'nothing-published', message: 'no version published yet' };
  if (!published.baseDigest || !published.contextDigest) {
    return {
      stale: true,
      reason: 'unlabelled',
      message: `${published.versionTag} does not record its base digest and context digest`,
    };
  }
  if (published.baseName && published.baseName !== input.baseName) {
    return { stale: true, reason: 'base-changed', message: `base changed from ${published.baseName} to ${input.baseName}` };
  }
  if (published.baseDigest !== input.baseDigest) {
    return {
      stale: true,
      reason: 'base-moved',
      message: `${input.baseName} moved from ${short(published.baseDigest)} to ${short(input.baseDigest)}`,
    };
  }
  if (published.contextDigest !== input.contextDigest) {
    return {
      stale: true,
      reason: 'context-changed',
      message: `Dockerfile or build context changed since ${published.versionTag}`,
    };
  }
  return { stale: false, reason: 'current', message: `${published.versionTag} is built on ${short(input.baseDigest)}, the current base` };
}

export function short(digest: string): string {
  return digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, '$1');
}
