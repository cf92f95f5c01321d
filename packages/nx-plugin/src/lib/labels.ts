/** What a platform image records about itself, read back by the next check. */
import { LABELS } from '../types/annotations';
import { encodeBuildArgDigests, type BuildArgDigests } from './build-args';

/** Every image records its base and context; build args only when some were passed. */
export type ImageInputs = Record<typeof LABELS.baseName | typeof LABELS.baseDigest | typeof LABELS.contextDigest, string> & {
  [LABELS.buildArgs]?: string;
};

/** The inputs record of an image built from this base, context and build args. */
export function imageInputs(inputs: {
  base: { name: string; digest: string };
  contextDigest: string;
  buildArgs?: BuildArgDigests;
}): ImageInputs {
  const record: ImageInputs = {
    [LABELS.baseName]: inputs.base.name,
    [LABELS.baseDigest]: inputs.base.digest,
    [LABELS.contextDigest]: inputs.contextDigest,
  };
  if (inputs.buildArgs && Object.keys(inputs.buildArgs).length) record[LABELS.buildArgs] = encodeBuildArgDigests(inputs.buildArgs);
  return record;
}
