/** What a platform image records about itself, read back by the next check. */
export const LABELS = {
  baseName: 'org.opencontainers.image.base.name',
  baseDigest: 'org.opencontainers.image.base.digest',
  created: 'org.opencontainers.image.created',
  revision: 'org.opencontainers.image.revision',
  source: 'org.opencontainers.image.source',
  version: 'org.opencontainers.image.version',
  /** Not an OCI key: the digest of the Dockerfile and build context this image was built from. */
  contextDigest: 'io.platform-images.context.digest',
} as const;

/** The labels (and manifest annotations) that record what an image was built from: what the check compares. */
export const INPUT_KEYS = [LABELS.baseName, LABELS.baseDigest, LABELS.contextDigest] as const;

export type InputRecord = Record<(typeof INPUT_KEYS)[number], string>;

/** The inputs record of an image built from this base and context. */
export function inputRecord(inputs: { base: { name: string; digest: string }; contextDigest: string }): InputRecord {
  return { [LABELS.baseName]: inputs.base.name, [LABELS.baseDigest]: inputs.base.digest, [LABELS.contextDigest]: inputs.contextDigest };
}
