/**
 * Is the platform image current? Decided from what the newest published version records about itself
 * (its labels), never from dates: a base digest that moved, a build context that changed, or nothing
 * published at all make it stale.
 */
import { changedBuildArgs, type BuildArgDigests } from './build-args';
import { sameImageName } from '../types/image-ref';
import { DEFAULT_PLATFORMS, samePlatforms } from '../types/platforms';

export type Reason =
  | 'forced'
  | 'nothing-published'
  | 'base-changed'
  | 'base-moved'
  | 'platforms-changed'
  | 'build-args-changed'
  | 'context-changed'
  | 'unlabelled'
  | 'current';

export interface PublishedVersion {
  versionTag: string;
  digest: string;
  baseName?: string;
  baseDigest?: string;
  contextDigest?: string;
  /** The build args it recorded (by digest); undefined when it recorded none. */
  buildArgs?: BuildArgDigests;
  /**
   * The base manifest each platform it built was built FROM; undefined for a version published before the
   * product recorded them, which is decided by the base's (index) digest as a whole.
   */
  basePlatformDigests?: Record<string, string>;
  /** When the base of each platform it built was itself built (its config's `created`); never compared. */
  baseCreated?: Record<string, string>;
}

export interface StalenessInput {
  force: boolean;
  /** Canonical, without a digest (see canonicalName); a published name spelt otherwise still matches. */
  baseName: string;
  baseDigest: string;
  /** The Dockerfile pins the base by digest (`FROM image:tag@sha256:…`): baseDigest is that pin. */
  pinned?: boolean;
  contextDigest: string;
  /** The build args this run passes (by digest); they are part of contextDigest too. */
  buildArgs?: BuildArgDigests;
  /** The platforms this image builds (platform-image.json `platforms`); the default one when absent. */
  platforms?: readonly string[];
  /** The base's manifest per platform this image builds, as the base index lists them now (or the pin's). */
  basePlatformDigests?: Record<string, string>;
  published?: PublishedVersion;
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
  if (published.baseName && !sameImageName(published.baseName, input.baseName)) {
    return { stale: true, reason: 'base-changed', message: `base changed from ${published.baseName} to ${input.baseName}` };
  }
  const platforms = input.platforms ?? DEFAULT_PLATFORMS;
  const recorded = published.basePlatformDigests;
  // A version recorded per platform: only a platform this image builds can make its base move. Without that
  // record (published by an older release) the base's digest as a whole decides, as it always did.
  const builtFor = recorded ? Object.keys(recorded) : DEFAULT_PLATFORMS;
  if (!samePlatforms(builtFor, platforms)) {
    return {
      stale: true,
      reason: 'platforms-changed',
      message: `platforms changed from ${[...builtFor].sort().join(', ')} to ${[...platforms].sort().join(', ')}`,
    };
  }
  let unbuiltMoved = false;
  if (recorded && input.basePlatformDigests) {
    const moved = [...platforms].sort().filter((p) => recorded[p] !== input.basePlatformDigests![p]);
    if (moved.length) {
      const what = moved.map((p) => `${p} from ${short(recorded[p])} to ${short(input.basePlatformDigests![p] ?? 'nothing')}`).join(', ');
      return {
        stale: true,
        reason: 'base-moved',
        message: input.pinned ? `the pin of ${input.baseName} moved for ${what}` : `${input.baseName} moved for ${what}`,
      };
    }
    unbuiltMoved = published.baseDigest !== input.baseDigest;
  } else if (published.baseDigest !== input.baseDigest) {
    return {
      stale: true,
      reason: 'base-moved',
      message: input.pinned
        ? `the pin of ${input.baseName} moved from ${short(published.baseDigest)} to ${short(input.baseDigest)}`
        : `${input.baseName} moved from ${short(published.baseDigest)} to ${short(input.baseDigest)}`,
    };
  }
  if (published.contextDigest !== input.contextDigest) {
    // The context digest covers the build args; the per-arg record says which of them changed, if any.
    const changed = changedBuildArgs(published.buildArgs ?? {}, input.buildArgs ?? {});
    if (changed.length && !published.buildArgs) {
      return {
        stale: true,
        reason: 'build-args-changed',
        message:
          `build arg${changed.length === 1 ? '' : 's'} ${changed.join(', ')} now count${changed.length === 1 ? 's' : ''} as input, ` +
          `and ${published.versionTag} did not record ${changed.length === 1 ? 'it' : 'them'}`,
      };
    }
    if (changed.length) {
      return {
        stale: true,
        reason: 'build-args-changed',
        message: `build arg${changed.length === 1 ? '' : 's'} ${changed.join(', ')} changed since ${published.versionTag}`,
      };
    }
    return {
      stale: true,
      reason: 'context-changed',
      message: `Dockerfile or build context changed since ${published.versionTag}`,
    };
  }
  if (unbuiltMoved) {
    return {
      stale: false,
      reason: 'current',
      message:
        `${input.baseName} moved from ${short(published.baseDigest)} to ${short(input.baseDigest)}, ` +
        `but not for the platforms ${published.versionTag} is built for (${[...platforms].sort().join(', ')}: their manifests are the same)`,
    };
  }
  return {
    stale: false,
    reason: 'current',
    message: `${published.versionTag} is built on ${short(input.baseDigest)}, the ${input.pinned ? 'pinned' : 'current'} base`,
  };
}

/**
 * For a base pinned by digest: a warning when its tag now names another image upstream, so the pin is
 * visibly behind (the pin decides what is built either way). Undefined when the pin is the tag's digest.
 */
export function pinBehindWarning(baseName: string, pinned: string, tagDigest: string | undefined): string | undefined {
  if (tagDigest === undefined)
    return `${baseName} is pinned to ${short(pinned)}, and the tag no longer exists upstream: the pin cannot be updated from it`;
  if (tagDigest === pinned) return undefined;
  return (
    `${baseName} is pinned to ${short(pinned)}, but the tag has moved on to ${short(tagDigest)} upstream: ` +
    `the pin is behind (update the digest in FROM, e.g. with Renovate)`
  );
}

export function short(digest: string): string {
  return digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, '$1');
}
