/**
 * Extra tags may carry placeholders filled from the CI environment, so one config serves every run:
 * `{buildNumber}` (Azure Pipelines' Build.BuildNumber), `{buildId}`, `{sourceVersion}` (short commit),
 * `{version}` (the new version, e.g. 1.2.0) and `{date}` (UTC, yyyymmdd).
 */
import { randomBytes } from 'node:crypto';

export interface TagContext {
  version: string;
  env: Record<string, string | undefined>;
  now: Date;
}

const PLACEHOLDERS: Record<string, (ctx: TagContext) => string | undefined> = {
  buildNumber: (c) => c.env.BUILD_BUILDNUMBER,
  buildId: (c) => c.env.BUILD_BUILDID,
  sourceVersion: (c) => c.env.BUILD_SOURCEVERSION?.slice(0, 7),
  version: (c) => c.version,
  date: (c) => c.now.toISOString().slice(0, 10).replace(/-/g, ''),
};

export const KNOWN_PLACEHOLDERS = Object.keys(PLACEHOLDERS);

// Own keys only: `{constructor}` or `{toString}` would otherwise resolve through Object.prototype.
function isPlaceholder(name: string): boolean {
  return Object.hasOwn(PLACEHOLDERS, name);
}

export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]).filter((name) => !isPlaceholder(name));
}

/**
 * The extra tags for this run. A tag whose placeholder has no value here (no build number outside CI) is
 * left out rather than published half-filled; `skipped` says which.
 */
export function expandExtraTags(templates: string[], ctx: TagContext): { tags: string[]; skipped: string[] } {
  const tags: string[] = [];
  const skipped: string[] = [];
  for (const template of templates) {
    let missing = false;
    const tag = template.replace(/\{([^}]*)\}/g, (_all, name: string) => {
      const value = isPlaceholder(name) ? PLACEHOLDERS[name](ctx) : undefined;
      if (!value) missing = true;
      return value ?? '';
    });
    if (missing) skipped.push(template);
    else if (!tags.includes(tag)) tags.push(tag);
  }
  return { tags, skipped };
}

export function isValidTag(tag: string): boolean {
  return /^[\w][\w.-]{0,127}$/.test(tag);
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
const RUN_TAG = /^(staging|unannounced)-([0-9a-f]{16})$/;

/** A run's id: 8 random bytes in hex. */
export function newRunId(): string {
  return randomBytes(8).toString('hex');
}

export function isRunId(value: string | undefined): value is string {
  return value !== undefined && RUN_ID.test(value);
}

export function runTag(kind: RunTagKind, runId: string): string {
  return `${RUN_TAG_PREFIXES[kind]}${runId}`;
}

/** What a run tag says, or undefined for any other tag. */
export function parseRunTag(tag: string): { kind: RunTagKind; runId: string } | undefined {
  const match = RUN_TAG.exec(tag);
  return match ? { kind: match[1] as RunTagKind, runId: match[2] } : undefined;
}

/** The prefix of the run tags a configured tag would start with, if any: such a tag could be taken for one. */
export function reservedPrefixOf(tag: string): string | undefined {
  return Object.values(RUN_TAG_PREFIXES).find((prefix) => tag.startsWith(prefix));
}
