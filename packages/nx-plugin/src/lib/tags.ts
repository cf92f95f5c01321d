/**
 * Extra tags may carry placeholders filled from the CI environment, so one config serves every run:
 * `{buildNumber}` (Azure Pipelines' Build.BuildNumber), `{buildId}`, `{sourceVersion}` (short commit),
 * `{version}` (the new version, e.g. 1.2.0) and `{date}` (UTC, yyyymmdd). Which names exist is the
 * vocabulary's (types/tags.ts); what each is worth in a run is decided here.
 */
import { fillPlaceholders, isPlaceholder, type Placeholder } from '../types/tags';

export interface TagContext {
  version: string;
  env: Record<string, string | undefined>;
  now: Date;
}

const VALUES: Record<Placeholder, (ctx: TagContext) => string | undefined> = {
  buildNumber: (c) => c.env.BUILD_BUILDNUMBER,
  buildId: (c) => c.env.BUILD_BUILDID,
  sourceVersion: (c) => c.env.BUILD_SOURCEVERSION?.slice(0, 7),
  version: (c) => c.version,
  date: (c) => c.now.toISOString().slice(0, 10).replace(/-/g, ''),
};

/**
 * The extra tags for this run. A tag whose placeholder has no value here (no build number outside CI) is
 * left out rather than published half-filled; `skipped` says which.
 */
export function expandExtraTags(templates: readonly string[], ctx: TagContext): { tags: string[]; skipped: string[] } {
  const tags: string[] = [];
  const skipped: string[] = [];
  for (const template of templates) {
    let missing = false;
    const tag = fillPlaceholders(template, (name) => {
      // Own names only: `{constructor}` or `{toString}` must not resolve through Object.prototype.
      const value = isPlaceholder(name) ? VALUES[name](ctx) : undefined;
      if (!value) missing = true;
      return value ?? '';
    });
    if (missing) skipped.push(template);
    else if (!tags.includes(tag)) tags.push(tag);
  }
  return { tags, skipped };
}
