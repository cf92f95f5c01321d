/** What a platform image records about itself, read back by the next check. */
import { LABELS } from '../types/annotations';
import { encodePlatformDigests } from '../types/platforms';
import { encodeBuildArgDigests, type BuildArgDigests } from './build-args';
import { encodeBaseCreated } from './base-created';

/**
 * Every image records its base and context; build args only when some were passed; per-platform bases when
 * known; when each platform's base was built, when the check learnt it.
 */
export type ImageInputs = Record<typeof LABELS.baseName | typeof LABELS.baseDigest | typeof LABELS.contextDigest, string> & {
  [LABELS.buildArgs]?: string;
  [LABELS.basePlatformDigests]?: string;
  [LABELS.baseCreated]?: string;
};

/** The inputs record of an image built from this base, context and build args. */
export function imageInputs(inputs: {
  base: { name: string; digest: string; platforms?: Record<string, string>; created?: Record<string, string> };
  contextDigest: string;
  buildArgs?: BuildArgDigests;
}): ImageInputs {
  const record: ImageInputs = {
    [LABELS.baseName]: inputs.base.name,
    [LABELS.baseDigest]: inputs.base.digest,
    [LABELS.contextDigest]: inputs.contextDigest,
  };
  if (inputs.buildArgs && Object.keys(inputs.buildArgs).length) record[LABELS.buildArgs] = encodeBuildArgDigests(inputs.buildArgs);
  if (inputs.base.platforms && Object.keys(inputs.base.platforms).length)
    record[LABELS.basePlatformDigests] = encodePlatformDigests(inputs.base.platforms);
  if (inputs.base.created && Object.keys(inputs.base.created).length) record[LABELS.baseCreated] = encodeBaseCreated(inputs.base.created);
  return record;
}
