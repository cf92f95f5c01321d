/**
 * Platforms an image is built for, written as the OCI image spec writes them: `os/architecture[/variant]`
 * (image-index.md, `platform` of a manifest descriptor: `os`, `architecture`, `variant`; the values follow
 * Go's GOOS/GOARCH, and `variant` names an ARM version such as `v7`). The product builds the platforms
 * Microsoft publishes its Linux .NET images for.
 */

/** What a platform image builds when platform-image.json names no `platforms`. */
export const DEFAULT_PLATFORMS: readonly string[] = ['linux/amd64'];

/** The platforms the product knows how to build, test and publish. */
export const KNOWN_PLATFORMS: readonly string[] = ['linux/amd64', 'linux/arm64', 'linux/arm/v7'];

/** The OCI descriptor's `platform` object. */
export interface OciPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

const PLATFORM = /^([a-z0-9]+)\/([a-z0-9_]+)(?:\/([a-z0-9]+))?$/;

/** `linux/arm/v7` → { os, architecture, variant }; undefined when not of the form os/arch[/variant]. */
export function parsePlatform(text: string): OciPlatform | undefined {
  const match = PLATFORM.exec(text);
  if (!match) return undefined;
  return { os: match[1], architecture: match[2], ...(match[3] ? { variant: match[3] } : {}) };
}

/**
 * A descriptor's platform as the product names it. An index may write arm64's variant (`v8`, the only one
 * arm64 has): `linux/arm64/v8` is `linux/arm64`, as containerd's platform matcher normalises it.
 */
export function formatPlatform(platform: OciPlatform): string {
  const variant = platform.architecture === 'arm64' && platform.variant === 'v8' ? undefined : platform.variant;
  return [platform.os, platform.architecture, ...(variant ? [variant] : [])].join('/');
}

/** The problem with a `platforms` list, with its fix; undefined when it is good. */
export function platformsProblem(platforms: readonly string[]): { index?: number; problem: string; fix: string } | undefined {
  if (platforms.length === 0)
    return { problem: 'must name at least one platform', fix: `leave "platforms" out for ${DEFAULT_PLATFORMS.join(', ')}` };
  const seen = new Set<string>();
  for (const [index, platform] of platforms.entries()) {
    if (!parsePlatform(platform))
      return {
        index,
        problem: `"${platform}" is not a platform`,
        fix: `write os/architecture[/variant], one of ${KNOWN_PLATFORMS.join(', ')}`,
      };
    if (!KNOWN_PLATFORMS.includes(platform))
      return { index, problem: `"${platform}" is not a platform this product builds`, fix: `use one of ${KNOWN_PLATFORMS.join(', ')}` };
    if (seen.has(platform)) return { index, problem: `"${platform}" is listed twice`, fix: 'name each platform once' };
    seen.add(platform);
  }
  return undefined;
}

/** A local name's or a tag's part for a platform: `linux/arm/v7` → `linux-arm-v7`. */
export function platformSlug(platform: string): string {
  return platform.replace(/\//g, '-');
}

/**
 * A per-platform record on an image (`io.platform-images.base.platform-digests`, `…base.created`):
 * `platform=value` pairs sorted by platform, comma-separated, so the same values always give the same text.
 */
export function encodePlatformMap(values: Record<string, string>): string {
  return Object.keys(values)
    .sort()
    .map((platform) => `${platform}=${values[platform]}`)
    .join(',');
}

/**
 * A per-platform record back as a map, each value through `parseValue` (undefined for one it refuses);
 * undefined when the text is not one this product writes.
 */
export function decodePlatformMap(
  text: string | undefined,
  parseValue: (value: string) => string | undefined,
): Record<string, string> | undefined {
  if (!text) return undefined;
  const values: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const match = /^([^=\s]+)=(\S+)$/.exec(pair.trim());
    const value = match && parseValue(match[2]);
    if (!match || !value || !parsePlatform(match[1])) return undefined;
    values[match[1]] = value;
  }
  return values;
}

/** The base manifest each built platform came from (`io.platform-images.base.platform-digests`). */
export const encodePlatformDigests = encodePlatformMap;

export function decodePlatformDigests(text: string | undefined): Record<string, string> | undefined {
  return decodePlatformMap(text, (value) => (/^sha256:[0-9a-f]{64}$/.test(value) ? value : undefined));
}

/** Same platforms, whatever the order. */
export function samePlatforms(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}
