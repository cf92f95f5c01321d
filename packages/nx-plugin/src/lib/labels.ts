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
