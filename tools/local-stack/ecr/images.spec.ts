import type { ManifestInfo } from './backing-registry';
import { findImage, type Image, type ImageSource, loadImages, mapLimit } from './images';
import type { RepositoryMeta } from './meta-store';

const digest = (c: string): string => `sha256:${c.repeat(64)}`;

/** A repository of the given tags (tag → digest), stored revisions (digest → stored at) and manifests. */
function source(
  tags: Record<string, string>,
  manifests: Record<string, Omit<ManifestInfo, 'digest' | 'body'>>,
  revisions: Record<string, number> = {},
  pushedAt: Record<string, number> = {},
): ImageSource {
  return {
    registry: {
      listTags: () => Promise.resolve(Object.keys(tags)),
      resolveTag: (_name, tag) => Promise.resolve(tags[tag]),
      fetchManifest: (_name, d) =>
        Promise.resolve(manifests[d] ? { digest: d, body: Buffer.from(`manifest ${d}`), ...manifests[d] } : undefined),
    },
    storage: { revisions: () => new Map(Object.entries(revisions)) },
    meta: { get: () => ({ pushedAt }) as RepositoryMeta },
  };
}

const DOCKER = 'application/vnd.docker.distribution.manifest.v2+json';
const image = (layers: number[], config = 5): Omit<ManifestInfo, 'digest' | 'body'> => ({
  mediaType: DOCKER,
  config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config },
  layers: layers.map((size) => ({ size })),
});

describe('loadImages', () => {
  it('groups tags by the digest they name, sorted, with the size of the layers and config', async () => {
    const images = await loadImages(
      source(
        { latest: digest('a'), '1.0.0': digest('a'), '0.9.0': digest('b') },
        { [digest('a')]: image([100, 20]), [digest('b')]: image([7], 3) },
        {},
        {
          [digest('b')]: 10,
          [digest('a')]: 20,
        },
      ),
      'app',
      1,
    );
    expect(images.map((i) => [i.digest, i.tags, i.size, i.pushedAt])).toEqual([
      [digest('b'), ['0.9.0'], 10, 10],
      [digest('a'), ['1.0.0', 'latest'], 125, 20],
    ]);
  });

  it('lists stored manifests no tag names as untagged images, and leaves out what the registry no longer has', async () => {
    const images = await loadImages(
      source({ gone: digest('d') }, { [digest('a')]: image([1]), [digest('c')]: image([2]) }, { [digest('a')]: 5, [digest('c')]: 6 }),
      'app',
      1,
    );
    expect(images.map((i) => [i.digest, i.tags])).toEqual([
      [digest('a'), []],
      [digest('c'), []],
    ]);
  });

  it('takes the first push through the proxy, else the time stored, else the start as the pushed-at time', async () => {
    const images = await loadImages(
      source(
        { a: digest('a'), b: digest('b'), c: digest('c') },
        { [digest('a')]: image([1]), [digest('b')]: image([1]), [digest('c')]: image([1]) },
        { [digest('a')]: 300, [digest('b')]: 200 },
        { [digest('a')]: 100 },
      ),
      'app',
      50,
    );
    expect(images.map((i) => [i.tags[0], i.pushedAt])).toEqual([
      ['c', 50],
      ['a', 100],
      ['b', 200],
    ]);
  });

  it('orders images pushed at the same time by digest', async () => {
    const images = await loadImages(
      source({ x: digest('b'), y: digest('a') }, { [digest('a')]: image([1]), [digest('b')]: image([1]) }),
      'app',
      7,
    );
    expect(images.map((i) => i.digest)).toEqual([digest('a'), digest('b')]);
  });

  it('sizes an index as the images it lists: those stored here by their size, others by the descriptor', async () => {
    const index = {
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { digest: digest('a'), size: 400 },
        { digest: digest('e'), size: 30 },
      ],
    };
    const images = await loadImages(
      source({ v1: digest('f'), img: digest('a') }, { [digest('f')]: index, [digest('a')]: image([1000]) }),
      'app',
      1,
    );
    expect(images.find((i) => i.digest === digest('f'))?.size).toBe(1005 + 30);
  });
});

describe('findImage', () => {
  const images = [
    { digest: digest('a'), tags: ['1.0.0', 'latest'] },
    { digest: digest('b'), tags: [] },
  ] as Image[];

  it('finds by tag, by digest, or by both when they agree', () => {
    expect(findImage(images, { imageTag: 'latest' })?.digest).toBe(digest('a'));
    expect(findImage(images, { imageDigest: digest('b') })?.digest).toBe(digest('b'));
    expect(findImage(images, { imageDigest: digest('a'), imageTag: '1.0.0' })?.digest).toBe(digest('a'));
  });

  it('finds nothing when the tag names another digest or nothing', () => {
    expect(findImage(images, { imageDigest: digest('b'), imageTag: '1.0.0' })).toBeUndefined();
    expect(findImage(images, { imageTag: '2.0.0' })).toBeUndefined();
  });
});

describe('mapLimit', () => {
  it('keeps the order of the items and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const results = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it('handles no items', async () => {
    await expect(mapLimit([], 8, () => Promise.resolve(1))).resolves.toEqual([]);
  });
});
