/**
 * When a base image was built: the `created` of its image config. The OCI image spec (config.md, `created`)
 * defines it as "An combined date and time at which the image was created, formatted as defined by RFC 3339,
 * section 5.6", and marks it OPTIONAL. Microsoft's builds set it when they build an image, so it is about when
 * the tag moved to that image. Images built reproducibly may carry the epoch instead (SOURCE_DATE_EPOCH=0):
 * that is no build time, so it counts as not known.
 *
 * The product records it per platform on what it builds (`io.platform-images.base.created`, types/annotations.ts),
 * as `platform=time` pairs sorted by platform, so the check reads it back with the rest of the newest version's
 * record and the status page can say when the base last moved without asking any registry.
 */
import { decodePlatformMap, encodePlatformMap } from '../types/platforms';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** A config's `created` as an ISO time (UTC, milliseconds), undefined when it has none this can trust. */
export function createdOf(config: unknown): string | undefined {
  const created = (config as { created?: unknown } | null | undefined)?.created;
  return typeof created === 'string' ? normalisedTime(created) : undefined;
}

function normalisedTime(text: string): string | undefined {
  if (!RFC3339.test(text)) return undefined;
  const time = new Date(text);
  // The epoch and anything before it say the builder wrote no real time.
  return Number.isNaN(time.getTime()) || time.getTime() <= 0 ? undefined : time.toISOString();
}

/** The record as an annotation: `platform=time` pairs sorted by platform, comma-separated. */
export const encodeBaseCreated = encodePlatformMap;

/** The annotation back as a map; undefined when absent or not one this product writes. */
export function decodeBaseCreated(text: string | undefined): Record<string, string> | undefined {
  return decodePlatformMap(text, normalisedTime);
}
