/**
 * A repository's images as ECR lists them, read live from the backing registry: each digest a tag names,
 * plus every manifest revision no tag names any more (an image whose tag moved on stays as an untagged image,
 * as in ECR), with sizes and pushed-at times.
 */
import type { BackingRegistry, Descriptor, ManifestInfo } from './backing-registry';
import type { ImageId } from './aws-errors';
import type { MetaStore } from './meta-store';
import type { RegistryStorage } from './registry-storage';

export interface Image {
  digest: string;
  tags: string[];
  manifest: ManifestInfo;
  size: number;
  pushedAt: number;
}

/** Where a repository's images are read from. */
export interface ImageSource {
  registry: Pick<BackingRegistry, 'listTags' | 'resolveTag' | 'fetchManifest'>;
  storage: Pick<RegistryStorage, 'revisions'>;
  meta: Pick<MetaStore, 'get'>;
}

/** fn over items, at most `limit` at a time; the results in the items' order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function sumSizes(descriptors: Descriptor[] | undefined): number {
  return (descriptors ?? []).reduce((sum, d) => sum + (typeof d.size === 'number' ? d.size : 0), 0);
}

/**
 * Oldest push first. An image's pushed-at time is its first push through the proxy, else when the registry
 * stored it, else `startedAt` (epoch seconds).
 */
export async function loadImages(source: ImageSource, name: string, startedAt: number): Promise<Image[]> {
  const { registry } = source;
  const tags = await registry.listTags(name);
  const digests = await mapLimit(tags, 8, (tag) => registry.resolveTag(name, tag));
  const tagsByDigest = new Map<string, string[]>();
  tags.forEach((tag, i) => {
    const digest = digests[i];
    if (!digest) return;
    tagsByDigest.set(digest, [...(tagsByDigest.get(digest) ?? []), tag]);
  });
  const revisions = source.storage.revisions(name);
  for (const digest of revisions.keys()) if (!tagsByDigest.has(digest)) tagsByDigest.set(digest, []);

  const repo = source.meta.get(name);
  const entries = [...tagsByDigest.entries()];
  const manifests = await mapLimit(entries, 8, ([digest]) => registry.fetchManifest(name, digest));
  const images: Image[] = [];
  entries.forEach(([digest, imageTags], i) => {
    const manifest = manifests[i];
    if (!manifest) return;
    images.push({
      digest,
      tags: imageTags.sort(),
      manifest,
      size: manifest.layers ? sumSizes(manifest.layers) + (manifest.config?.size ?? 0) : 0,
      pushedAt: repo?.pushedAt[digest] ?? revisions.get(digest) ?? startedAt,
    });
  });
  // An index has no layers of its own: count the images it lists (those stored here), like a pull would.
  const byDigest = new Map(images.map((image) => [image.digest, image]));
  for (const image of images) {
    if (!image.manifest.manifests) continue;
    image.size = image.manifest.manifests.reduce((sum, d) => sum + ((d.digest && byDigest.get(d.digest)?.size) || d.size || 0), 0);
  }
  return images.sort((a, b) => a.pushedAt - b.pushedAt || a.digest.localeCompare(b.digest));
}

/** The image an image id names: its digest and tag must both match where given. */
export function findImage(images: Image[], id: ImageId): Image | undefined {
  return images.find(
    (image) =>
      (id.imageDigest === undefined || image.digest === id.imageDigest) && (id.imageTag === undefined || image.tags.includes(id.imageTag)),
  );
}
