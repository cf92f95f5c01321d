/**
 * Extra tags may carry placeholders filled from the CI environment, so one config serves every run:
 * `{buildNumber}` (Azure Pipelines' Build.BuildNumber), `{buildId}`, `{sourceVersion}` (short commit),
 * `{version}` (the new version, e.g. 1.2.0) and `{date}` (UTC, yyyymmdd).
 */
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
