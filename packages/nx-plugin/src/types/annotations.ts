/**
 * The keys of what the product writes on images: OCI annotation keys (OCI image spec, annotations.md) where
 * one fits, and its own `io.platform-images.*` keys otherwise. The same keys serve as Docker labels (in the
 * image config) and as manifest annotations (on the published version), so the check reads either.
 */
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
  /**
   * Not an OCI key: the base manifest each platform was built FROM, as sorted `platform=digest` pairs (see
   * types/platforms.ts): what makes the check stale only when a platform this image builds moved.
   */
  basePlatformDigests: 'io.platform-images.base.platform-digests',
  /**
   * Not an OCI key: when the base each platform was built FROM was itself built, as sorted `platform=time`
   * pairs (see lib/base-created.ts): the `created` of that base's image config (OCI image spec, config.md),
   * which the base's publisher sets when it builds the image, so about when the base's tag moved to it.
   * Shown on the status page, never compared: a version without it is no less current.
   */
  baseCreated: 'io.platform-images.base.created',
} as const;

/** The labels (and manifest annotations) that record what an image was built from: what the check compares. */
export const INPUT_KEYS = [LABELS.baseName, LABELS.baseDigest, LABELS.contextDigest, LABELS.buildArgs, LABELS.basePlatformDigests] as const;

/** Everything a version records about itself and the check reads back: its inputs, and when its base was built. */
export const RECORD_KEYS = [...INPUT_KEYS, LABELS.baseCreated] as const;

/** Local work (images, containers) of a run, labelled so a later run can tell whose it is and how old. */
export const LOCAL_LABELS = {
  owner: 'io.platform-images.owner',
  created: 'io.platform-images.created',
} as const;
