/** AWS region codes: what one looks like, and which one an image's repository lives in. */
import { ConfigError } from '../types/errors';
import { PLUGIN_NAME } from '../types/workspace';
import type { Env } from './environment';
import { closest } from './validate';

const REGION_DIRECTIONS = ['east', 'west', 'north', 'south', 'central', 'northeast', 'northwest', 'southeast', 'southwest'];
/**
 * `<area>-<direction>-<number>`: a two-letter area, possibly inside a partition (`us-gov`, `us-iso`, `us-isob`,
 * `eu-isoe`) or the European Sovereign Cloud (`eusc-de`). The direction words are a closed set, so `eu-westt-1` is
 * caught; new areas and numbers appear as AWS opens regions, so `eu-west-9` cannot be told from a real one.
 */
export const REGION = new RegExp(`^(?:[a-z]{2}(?:-gov|-iso[a-z]?)?|eusc-[a-z]{2})-(?:${REGION_DIRECTIONS.join('|')})-\\d{1,2}$`);

/** What a region looks like, led by the likely intended one for a near miss (`eu-westt-1`, `EU_WEST_1`). */
export function regionHint(value: unknown): string {
  const shape = 'an AWS region code is <area>-<direction>-<number>, e.g. "eu-west-1", "us-east-2", "ap-southeast-2"';
  const parts =
    typeof value === 'string'
      ? value
          .trim()
          .toLowerCase()
          .split(/[-_\s]+/)
      : [];
  if (parts.length >= 3 && /^\d{1,2}$/.test(parts[parts.length - 1])) {
    const direction = parts[parts.length - 2];
    const guess = [
      ...parts.slice(0, -2),
      REGION_DIRECTIONS.includes(direction) ? direction : closest(direction, REGION_DIRECTIONS),
      parts[parts.length - 1],
    ].join('-');
    if (REGION.test(guess) && guess !== value) return `did you mean "${guess}"? ${shape}`;
  }
  return shape;
}

/** The region an image's repository lives in: the configured one, else the environment's (undefined when none is set anywhere). */
export function regionOf(aws: { region?: string }, env: Env): string | undefined {
  return aws.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
}

/**
 * The region, required: a configured one was checked where it was read, with its file and field; one from the
 * environment is checked here.
 */
export function requireRegion(aws: { region?: string }, env: Env): string {
  const region = regionOf(aws, env);
  if (!region) {
    throw new ConfigError(
      'nx.json',
      `plugins[${PLUGIN_NAME}].options.aws.region`,
      'no AWS region configured',
      "set aws.region in nx.json (or the image's platform-image.json), or AWS_REGION",
    );
  }
  if (!aws.region && !REGION.test(region)) {
    throw new ConfigError(
      'environment',
      env.AWS_REGION ? 'AWS_REGION' : 'AWS_DEFAULT_REGION',
      `"${region}" is not an AWS region code`,
      regionHint(region),
    );
  }
  return region;
}
