import { execFileSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import {
  bump,
  type Descriptor,
  manifestList,
  PLATFORMS,
  platformSpec,
  publishList,
  type RegistryApi,
  sha256,
  stampedImage,
  stampLayer,
} from './mcr-index';
import { isIndexMediaType, representative } from './mcr-catalog';
import { MEDIA_TYPES } from './media-types';

const { dockerList, dockerManifest, dockerConfig, dockerLayer } = MEDIA_TYPES;

/** A registry in memory: manifests by repo and tag or digest, blobs by digest; enough for publishList and bump. */
class MemoryRegistry implements RegistryApi {
  readonly manifests = new Map<string, { raw: Buffer; mediaType: string }>();
  readonly tags = new Map<string, string>();
  readonly blobs = new Map<string, Buffer>();

  private resolve(repo: string, reference: string): { raw: Buffer; mediaType: string; digest: string } | undefined {
    const digest = reference.startsWith('sha256:') ? reference : this.tags.get(`${repo}:${reference}`);
    const found = digest ? this.manifests.get(digest) : undefined;
    return found && digest ? { ...found, digest } : undefined;
  }
  head(repo: string, reference: string): Promise<Descriptor | undefined> {
    const found = this.resolve(repo, reference);
    return Promise.resolve(found && { mediaType: found.mediaType, digest: found.digest, size: found.raw.length });
  }
  manifest<T>(repo: string, reference: string): Promise<{ body: T; raw: Buffer }> {
    const found = this.resolve(repo, reference);
    if (!found) return Promise.reject(new Error(`no manifest ${repo}:${reference}`));
    return Promise.resolve({ body: JSON.parse(found.raw.toString('utf8')) as T, raw: found.raw });
  }
  blob(_repo: string, digest: string): Promise<Buffer> {
    const found = this.blobs.get(digest);
    return found ? Promise.resolve(found) : Promise.reject(new Error(`no blob ${digest}`));
  }
  putBlob(_repo: string, data: Buffer | string): Promise<string> {
    const digest = sha256(data);
    this.blobs.set(digest, Buffer.from(data));
    return Promise.resolve(digest);
  }
  putManifest(repo: string, reference: string, body: string, mediaType: string): Promise<string> {
    const raw = Buffer.from(body);
    const digest = sha256(raw);
    // As registry 2.8 does for a manifest list: every entry must already be in the repository.
    if (mediaType === dockerList) {
      for (const m of (JSON.parse(body) as { manifests: Descriptor[] }).manifests)
        if (!this.manifests.has(m.digest)) return Promise.reject(new Error(`unknown manifest ${m.digest}`));
    }
    this.manifests.set(digest, { raw, mediaType });
    this.tags.set(`${repo}:${reference}`, digest);
    return Promise.resolve(digest);
  }
}

/** Pushes a one-layer image for each platform under `<tag>-<archTag>`, as the seeder's `docker push` does. */
async function seedImages(registry: MemoryRegistry, repo: string, tag: string): Promise<void> {
  for (const spec of PLATFORMS) {
    const layer = Buffer.from(`layer of ${spec.archTag}`);
    const layerDigest = await registry.putBlob(repo, layer);
    const config = JSON.stringify({
      architecture: spec.platform.architecture,
      ...(spec.platform.variant ? { variant: spec.platform.variant } : {}),
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [sha256(`uncompressed ${spec.archTag}`)] },
      history: [{ created_by: 'debootstrap' }],
    });
    const configDigest = await registry.putBlob(repo, config);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: dockerManifest,
      config: { mediaType: dockerConfig, digest: configDigest, size: config.length },
      layers: [{ mediaType: dockerLayer, digest: layerDigest, size: layer.length }],
    });
    await registry.putManifest(repo, `${tag}-${spec.archTag}`, manifest, dockerManifest);
  }
}

interface List {
  schemaVersion: number;
  mediaType: string;
  manifests: (Descriptor & { platform: { os: string; architecture: string; variant?: string } })[];
}

describe('platformSpec', () => {
  it.each([
    ['linux/amd64', 'amd64'],
    ['linux/arm64', 'arm64v8'],
    ['linux/arm64/v8', 'arm64v8'],
    ['linux/arm/v7', 'arm32v7'],
    ['arm32v7', 'arm32v7'],
  ])('%s → the %s architecture tag', (name, archTag) => {
    expect(platformSpec(name).archTag).toBe(archTag);
  });

  it('names the platforms there are when given another', () => {
    expect(() => platformSpec('linux/s390x')).toThrow('unknown platform linux/s390x: one of linux/amd64, linux/arm64/v8, linux/arm/v7');
  });
});

describe('manifestList', () => {
  const d = (n: string): Descriptor => ({ mediaType: dockerManifest, digest: `sha256:${n.repeat(64)}`, size: 100 });

  it("is a Docker manifest list with MCR's platform objects (variant only for ARM), amd64 first", () => {
    const list = JSON.parse(
      manifestList([
        { descriptor: d('c'), platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
        { descriptor: d('a'), platform: { os: 'linux', architecture: 'amd64' } },
        { descriptor: d('b'), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      ]),
    ) as List;
    expect(list.schemaVersion).toBe(2);
    expect(list.mediaType).toBe(dockerList);
    expect(list.manifests.map((m) => m.platform)).toEqual([
      { architecture: 'amd64', os: 'linux' },
      { architecture: 'arm64', os: 'linux', variant: 'v8' },
      { architecture: 'arm', os: 'linux', variant: 'v7' },
    ]);
    expect(list.manifests[0]).toMatchObject({ mediaType: dockerManifest, digest: d('a').digest, size: 100 });
  });
});

describe("the portal catalog's view of a seeded list", () => {
  it('is an index media type, described by its linux/amd64 entry', () => {
    const d = (n: string): Descriptor => ({ mediaType: MEDIA_TYPES.dockerManifest, digest: `sha256:${n.repeat(64)}`, size: 1 });
    const list = JSON.parse(
      manifestList([
        { descriptor: d('b'), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { descriptor: d('a'), platform: { os: 'linux', architecture: 'amd64' } },
        { descriptor: d('c'), platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      ]),
    ) as List;
    expect(isIndexMediaType(list.mediaType)).toBe(true);
    expect(representative(list)?.digest).toBe(d('a').digest);
  });
});

describe('stampLayer and stampedImage', () => {
  const now = new Date('2026-11-29T12:00:00Z');

  it('is a gzipped tar holding etc/stand-in-rebuild with the content', () => {
    const layer = stampLayer('stamp 1\n', now);
    expect(gunzipSync(layer.compressed).equals(layer.uncompressed)).toBe(true);
    const listing = execFileSync('tar', ['-tvf', '-'], { input: layer.uncompressed, encoding: 'utf8' });
    expect(listing).toMatch(/^-rw-\S+ 0\/0 +8 2026-11-29 \d\d:00 etc\/stand-in-rebuild$/m);
    expect(listing.trim().split('\n')).toHaveLength(1);
  });

  it('adds the layer to the manifest and its diff_id and a COPY history entry to the config, keeping the rest', () => {
    const layer = { compressed: Buffer.from('gz'), uncompressed: Buffer.from('tar') };
    const manifest = {
      schemaVersion: 2 as const,
      mediaType: dockerManifest,
      config: { mediaType: dockerConfig, digest: 'sha256:old', size: 1 },
      layers: [{ mediaType: dockerLayer, digest: 'sha256:l1', size: 5 }],
    };
    const config = {
      architecture: 'arm',
      variant: 'v7',
      os: 'linux',
      // The image being rebuilt was created earlier: the rebuild's config says when it was rebuilt instead.
      created: '2024-01-01T00:00:00Z',
      config: { Env: ['A=1'] },
      rootfs: { type: 'layers' as const, diff_ids: ['sha256:d1'] },
      history: [{ created_by: 'x' }],
    };
    const next = stampedImage(manifest, config, layer, now);
    const m = JSON.parse(next.manifest) as typeof manifest;
    const c = JSON.parse(next.config) as typeof config & { created: string };
    expect(m.layers).toEqual([manifest.layers[0], { mediaType: dockerLayer, digest: sha256('gz'), size: 2 }]);
    expect(m.config).toEqual({ mediaType: dockerConfig, digest: sha256(next.config), size: Buffer.byteLength(next.config) });
    expect(c.rootfs.diff_ids).toEqual(['sha256:d1', sha256('tar')]);
    expect(c.history.at(-1)?.created_by).toContain('COPY file:');
    expect(c).toMatchObject({ architecture: 'arm', variant: 'v7', os: 'linux', config: { Env: ['A=1'] }, created: now.toISOString() });
  });
});

describe('publishList and bump', () => {
  const repo = 'dotnet/aspnet';
  const tag = '10.0-noble';
  let registry: MemoryRegistry;
  let list0: string;

  const listOf = async (): Promise<List> => (await registry.manifest<List>(repo, tag)).body;

  beforeEach(async () => {
    registry = new MemoryRegistry();
    await seedImages(registry, repo, tag);
    list0 = await publishList(registry, repo, tag);
  });

  it('lists the architecture tags under the shared tag', async () => {
    const list = await listOf();
    expect(list.mediaType).toBe(dockerList);
    for (const [i, spec] of PLATFORMS.entries()) {
      expect(list.manifests[i].digest).toBe((await registry.head(repo, `${tag}-${spec.archTag}`))?.digest);
      expect(list.manifests[i].platform.architecture).toBe(spec.platform.architecture);
    }
    expect((await registry.head(repo, tag))?.digest).toBe(list0);
  });

  it('fails when a platform image is missing', async () => {
    await expect(publishList(registry, repo, '8.0-bookworm-slim')).rejects.toThrow(
      `${repo}:8.0-bookworm-slim-amd64 is not in the registry`,
    );
  });

  it('with one platform: only that entry moves, the other entries stay byte for byte, the list digest is new', async () => {
    const before = await listOf();
    const result = await bump(registry, repo, tag, [platformSpec('linux/arm/v7')]);
    const after = await listOf();
    expect(result.list).not.toBe(list0);
    expect((await registry.head(repo, tag))?.digest).toBe(result.list);
    expect(after.manifests.slice(0, 2)).toEqual(before.manifests.slice(0, 2));
    expect(after.manifests[2].digest).not.toBe(before.manifests[2].digest);
    expect(after.manifests[2].platform).toEqual({ architecture: 'arm', os: 'linux', variant: 'v7' });
    expect(Object.keys(result.images)).toEqual(['linux/arm/v7']);
    expect(result.images['linux/arm/v7']).toBe(after.manifests[2].digest);
    // The rebuilt image is the old one plus one layer, still an arm/v7 image.
    const image = (await registry.manifest<{ layers: Descriptor[]; config: Descriptor }>(repo, `${tag}-arm32v7`)).body;
    expect(image.layers).toHaveLength(2);
    const config = JSON.parse((await registry.blob(repo, image.config.digest)).toString('utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ architecture: 'arm', variant: 'v7' });
  });

  it('without a platform: every entry moves', async () => {
    const before = await listOf();
    const result = await bump(registry, repo, tag);
    const after = await listOf();
    expect(result.list).not.toBe(list0);
    for (let i = 0; i < PLATFORMS.length; i++) expect(after.manifests[i].digest).not.toBe(before.manifests[i].digest);
    expect(Object.keys(result.images)).toEqual(['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7']);
  });

  it('twice on the same platform gives two different digests', async () => {
    const first = await bump(registry, repo, tag, [platformSpec('linux/arm64')]);
    const second = await bump(registry, repo, tag, [platformSpec('linux/arm64')]);
    expect(second.list).not.toBe(first.list);
    expect(second.images['linux/arm64/v8']).not.toBe(first.images['linux/arm64/v8']);
  });
});
