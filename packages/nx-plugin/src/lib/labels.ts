/** What a platform image records about itself, read back by the next check. */
import { encodeBuildArgDigests, type BuildArgDigests } from './build-args';

export const LABELS = {
  baseName: 'org.opencontainers.image.base.name',
  baseDigest: 'org.opencontainers.image.base.digest',
  created: 'org.opencontainers.image.created',
  revision: 'org.opencontainers.image.revision',
  source: 'org.opencontainers.image.source',
  version: 'org.opencontainers.image.version',
  /** Not an OCI key: the digest of the Dockerfile, build context and build args this image was built from. */
  contextDigest: 'io.platform-images.context.digest',
  /** Not an OCI key: the build args passed, each as a digest of its name and value (see build-args.ts). */
  buildArgs: 'io.platform-images.build-args',
} as const;

/** The labels (and manifest annotations) that record what an image was built from: what the check compares. */
export const INPUT_KEYS = [LABELS.baseName, LABELS.baseDigest, LABELS.contextDigest, LABELS.buildArgs] as const;

/** Every image records its base and context; build args only when some were passed. */
export type InputRecord = Record<typeof LABELS.baseName | typeof LABELS.baseDigest | typeof LABELS.contextDigest, string> & {
  [LABELS.buildArgs]?: string;
};

/** The inputs record of an image built from this base, context and build args. */
export function inputRecord(inputs: {
  base: { name: string; digest: string };
  contextDigest: string;
  buildArgs?: BuildArgDigests;
}): InputRecord {
  const record: InputRecord = {
    [LABELS.baseName]: inputs.base.name,
    [LABELS.baseDigest]: inputs.base.digest,
    [LABELS.contextDigest]: inputs.contextDigest,
  };
  if (inputs.buildArgs && Object.keys(inputs.buildArgs).length) record[LABELS.buildArgs] = encodeBuildArgDigests(inputs.buildArgs);
  return record;
}
