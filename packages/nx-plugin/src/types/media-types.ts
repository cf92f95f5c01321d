/**
 * The media types the product reads and writes, named once (OCI image spec, "Media Types"; Docker's Image
 * Manifest V2, Schema 2; in-toto attestations as BuildKit stores them; CycloneDX; Teams' Adaptive Card attachment).
 */
export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociForeignLayer: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  inToto: 'application/vnd.in-toto+json',
  /** The OCI empty descriptor's type: the config of an artifact that has none (OCI image spec, manifest.md, "Guidance for an Empty Descriptor"). */
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  /** CycloneDX JSON (IANA media type registration), the SBOM referrers' artifactType and layer type. */
  cyclonedx: 'application/vnd.cyclonedx+json',
  adaptiveCard: 'application/vnd.microsoft.card.adaptive',
} as const;

/** The manifest types a registry may answer a tag with: indexes first, then single-platform manifests. */
export const MANIFEST_MEDIA_TYPES = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
] as const;

/**
 * The Accept header of every manifest request. Without one, registry 2.8 (and registries like it) converts to
 * schema1, whose digest differs from the one pushed.
 */
export const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');

/** An image index (OCI) or manifest list (Docker): a manifest that names other manifests. */
export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerList;
}
