/**
 * Version tags are `<prefix>-<major>.<minor>.<patch>`. The next version is computed from every tag in the
 * repository, never from what a moving tag such as `latest` points to: a repository without `latest`, or a
 * `latest` moved by hand, cannot derail it.
 */
import * as semver from 'semver';

export interface VersionedTag {
  tag: string;
  version: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The tags that are versions of this prefix, highest first. Tags of other prefixes, and malformed ones, are ignored. */
export function versionTags(prefix: string, tags: Iterable<string>): VersionedTag[] {
  const pattern = new RegExp(`^${escapeRegExp(prefix)}-(\\d+\\.\\d+\\.\\d+)$`);
  const found: VersionedTag[] = [];
  for (const tag of tags) {
    const match = pattern.exec(tag);
    // semver.valid rejects leading zeros (`01.2.3`), which would sort ambiguously.
    if (match && semver.valid(match[1])) found.push({ tag, version: match[1] });
  }
  return found.sort((a, b) => semver.rcompare(a.version, b.version));
}

const STRICT_VERSION = '(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)';

/**
 * Tags that claim this prefix (`<prefix>-…`) but are no version this product writes, e.g. `<prefix>-1.x.0` or
 * `<prefix>-01.2.3` pushed by hand: versionTags ignores them, and the check says so rather than silently.
 * Versions of a longer prefix (`<prefix>-arm64-1.5.0`, another image's tag in a shared repository) are
 * well-formed and not listed. Sorted, without repeats.
 */
export function malformedVersionTags(prefix: string, tags: Iterable<string>): string[] {
  const version = new RegExp(`^(?:.+-)?${STRICT_VERSION}$`);
  const found = new Set<string>();
  for (const tag of tags) {
    if (tag.startsWith(`${prefix}-`) && !version.test(tag.slice(prefix.length + 1))) found.add(tag);
  }
  return [...found].sort();
}

/** `1.0.0` for the first version, then the next minor above the highest published one. */
export function nextVersion(prefix: string, tags: Iterable<string>): VersionedTag {
  const [highest] = versionTags(prefix, tags);
  const version = highest ? semver.inc(highest.version, 'minor')! : '1.0.0';
  return { tag: `${prefix}-${version}`, version };
}
