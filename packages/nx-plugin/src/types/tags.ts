/**
 * What the product's names look like: repositories, tags, the tags it writes (versions, moving tags, run
 * tags) and the placeholders extra tags may carry. The config, the generator, the steps and the local
 * stack all ask here, so a name one accepts the others accept too.
 */
import { randomBytes } from 'node:crypto';

/**
 * An ECR repository name (ECR API reference, CreateRepository `repositoryName`): lowercase path components
 * of letters and digits, separated inside by `.`, `_` or `-`, joined by `/`.
 */
export const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export const REPOSITORY_NAME_HINT = 'ECR repository names are lowercase, e.g. "dotnet/runtime"';

/** A Docker tag (distribution spec, "Pulling manifests"): at most 128 of `[A-Za-z0-9_.-]`, not starting with `.` or `-`. */
export function isValidTag(tag: string): boolean {
  return /^[\w][\w.-]{0,127}$/.test(tag);
}
export const TAG_HINT = 'a tag is at most 128 letters, digits, _ . and -, not starting with . or -';

/** `ecr.tag`, the prefix of an image's version tags: short enough that `<tag>-<major>.<minor>.<patch>` stays a tag. */
export const VERSION_PREFIX = /^[\w][\w.-]{0,100}$/;

/** A version tag: `<prefix>-<major>.<minor>.<patch>`. */
export function versionTag(prefix: string, version: string): string {
  return `${prefix}-${version}`;
}

/** Placeholders an extra tag may carry, filled from the run (see lib/tags.ts for their values). */
export const PLACEHOLDERS = ['buildNumber', 'buildId', 'sourceVersion', 'version', 'date'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

const PLACEHOLDER_USE = /\{([^}]*)\}/g;

/** The placeholder names a template uses, known or not, in order. */
export function placeholdersIn(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER_USE)].map((m) => m[1]);
}

export function isPlaceholder(name: string): name is Placeholder {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

export function unknownPlaceholders(template: string): string[] {
  return placeholdersIn(template).filter((name) => !isPlaceholder(name));
}

/** A template with each placeholder replaced by `fill(name)`. */
export function fillPlaceholders(template: string, fill: (name: string) => string): string {
  return template.replace(PLACEHOLDER_USE, (_all, name: string) => fill(name));
}

/**
 * How a tag an image publishes behaves, decided by its template alone:
 * - `moving`: no placeholder (`latest`, `8.0`): moves to each new version; mutable in the repository.
 * - `per-version`: only `{version}` (`8.0-{version}`): a new tag for each version, never moved; a publish
 *   that stopped before writing it is finished by the next run.
 * - `per-run`: a build number, commit or date: belongs to the run that pushed it, never written again.
 */
export type TagBehaviour = 'moving' | 'per-version' | 'per-run';

export function tagBehaviour(template: string): TagBehaviour {
  const names = placeholdersIn(template);
  if (!names.length) return 'moving';
  return names.every((name) => name === 'version') ? 'per-version' : 'per-run';
}

/** The moving tags an image owns: `latest` when it moves it, then its extra tags without placeholders. */
export function movingTags(image: { extraTags: readonly string[]; latest: boolean }): string[] {
  const tags = image.latest ? ['latest'] : [];
  for (const template of image.extraTags) if (tagBehaviour(template) === 'moving' && !tags.includes(template)) tags.push(template);
  return tags;
}

/**
 * What is wrong with an extra tag template of an image whose version tags start `<versionPrefix>-`, with its
 * fix; undefined when nothing.
 */
export function extraTagProblem(template: string, versionPrefix: string): { problem: string; fix: string } | undefined {
  const unknown = unknownPlaceholders(template);
  if (unknown.length) {
    return {
      problem: `"${template}" has an unknown placeholder {${unknown[0]}}`,
      fix: `known placeholders: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
    };
  }
  if (!isValidTag(fillPlaceholders(template, () => 'x'))) return { problem: `"${template}" is not a valid Docker tag`, fix: TAG_HINT };
  const reserved = reservedPrefixOf(template);
  if (reserved) {
    return {
      problem: `"${template}" starts with "${reserved}", which this product's own run tags use`,
      fix: `choose another name: "${reserved}<run id>" tags are the ones each run writes and removes itself`,
    };
  }
  if (/^\d+\.\d+\.\d+$/.test(template) || template.startsWith(`${versionPrefix}-`)) {
    return { problem: `"${template}" looks like a version tag`, fix: 'version tags are computed; extra tags must not collide with them' };
  }
  return undefined;
}

/**
 * Tags a run writes for itself in ECR, beside the versions and the moving tags: `staging-<run id>`, what Docker
 * pushes before the version tag exists, and `unannounced-<run id>`, which names a published version no Teams
 * card has announced yet. Each names one run (mcr-check's 16 hex digits), so two runs never write the same
 * one, and none can be mistaken for a version (`<tag>-1.2.0`), `latest` or an extra tag (config refuses
 * extra tags with these prefixes). Both fit every tag rule: at most 128 characters of `[A-Za-z0-9_.-]`.
 */
export const RUN_TAG_PREFIXES = { staging: 'staging-', unannounced: 'unannounced-' } as const;
export type RunTagKind = keyof typeof RUN_TAG_PREFIXES;

const RUN_ID = /^[0-9a-f]{16}$/;
/** A staging tag may name the platform it stages (`staging-<run id>-linux-arm64`): one per platform of a multi-platform image. */
const RUN_TAG = /^(staging|unannounced)-([0-9a-f]{16})(?:-(linux-[a-z0-9]+(?:-[a-z0-9]+)?))?$/;

/** A run's id: 8 random bytes in hex. */
export function newRunId(): string {
  return randomBytes(8).toString('hex');
}

export function isRunId(value: string | undefined): value is string {
  return value !== undefined && RUN_ID.test(value);
}

/** `platformSlug` (`linux-arm64`, see types/platforms.ts) names the platform a staging tag stages. */
export function runTag(kind: RunTagKind, runId: string, platformSlug?: string): string {
  return `${RUN_TAG_PREFIXES[kind]}${runId}${platformSlug ? `-${platformSlug}` : ''}`;
}

/** What a run tag says, or undefined for any other tag. */
export function parseRunTag(tag: string): { kind: RunTagKind; runId: string; platformSlug?: string } | undefined {
  const match = RUN_TAG.exec(tag);
  if (!match) return undefined;
  return { kind: match[1] as RunTagKind, runId: match[2], ...(match[3] ? { platformSlug: match[3] } : {}) };
}

/** The prefix of the run tags a configured tag would start with, if any: such a tag could be taken for one. */
export function reservedPrefixOf(tag: string): string | undefined {
  return Object.values(RUN_TAG_PREFIXES).find((prefix) => tag.startsWith(prefix));
}
