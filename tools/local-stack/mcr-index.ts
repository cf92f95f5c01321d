/**
 * The MCR stand-in's multi-platform tags, laid out as mcr.microsoft.com lays out the .NET images:
 *
 * - Every tag Microsoft publishes for a .NET image is built per platform from its own Dockerfile
 *   (github.com/dotnet/dotnet-docker manifest.json: for src/aspnet/10.0/noble the platforms amd64,
 *   arm32v7 with `"architecture": "arm", "variant": "v7"` and arm64v8 with `"architecture": "arm64",
 *   "variant": "v8"`), each under its own architecture tag (`10.0-noble-amd64`, `10.0-noble-arm32v7`,
 *   `10.0-noble-arm64v8`), and the shared tag (`10.0-noble`) names a manifest list over them.
 * - That list is a Docker manifest list (dotnet-docker documentation/image-signatures.md shows a signed .NET
 *   tag as `media type: application/vnd.docker.distribution.manifest.list.v2+json`, and says a multi-platform
 *   tag is either that or `application/vnd.oci.image.index.v1+json`); its entries are the images as
 *   `docker push` sends them (Docker image manifest v2, schema 2).
 * - Each entry's platform object has `os`, `architecture` and, for ARM, `variant` (OCI image spec,
 *   image-index.md: "variant ... to specify a variant of the CPU, for example v7 to specify ARMv7 when
 *   architecture is arm"; the Docker manifest list has the same fields).
 *
 * The tags' digests move as Microsoft's do: rebuilding any one platform's image gives the shared tag a new
 * digest while the other entries stay byte for byte what they were (`bump`, below).
 *
 *   node -r @swc-node/register tools/local-stack/mcr-index.ts bump <registry-port> <repo> <tag> [<platform>]
 * stamps a new layer onto the named platform's image (every platform's without one), re-pushes the list and
 * prints its new digest; the new digest of each platform image goes to stderr.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { MANIFEST_ACCEPT, MEDIA_TYPES } from './media-types';

export interface Platform {
  os: 'linux';
  architecture: string;
  variant?: string;
}

/** A platform Microsoft builds the Linux .NET images for, and the suffix of its architecture tag. */
export interface PlatformSpec {
  platform: Platform;
  /** `<tag>-<archTag>` names this platform's image (dotnet-docker's per-architecture tags). */
  archTag: string;
  /** What `docker --platform` takes. */
  docker: string;
}

export const PLATFORMS: readonly PlatformSpec[] = [
  { platform: { os: 'linux', architecture: 'amd64' }, archTag: 'amd64', docker: 'linux/amd64' },
  { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, archTag: 'arm64v8', docker: 'linux/arm64/v8' },
  { platform: { os: 'linux', architecture: 'arm', variant: 'v7' }, archTag: 'arm32v7', docker: 'linux/arm/v7' },
];

/** The platform named by `linux/arm/v7`, `linux/arm64` (variant v8 implied, as containerd normalises it) or an arch tag. */
export function platformSpec(name: string): PlatformSpec {
  const wanted = name === 'linux/arm64' ? 'linux/arm64/v8' : name;
  const found = PLATFORMS.find((p) => p.docker === wanted || p.archTag === wanted);
  if (!found) throw new Error(`unknown platform ${name}: one of ${PLATFORMS.map((p) => p.docker).join(', ')}`);
  return found;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** The manifest list of a shared tag: one entry per platform, in PLATFORMS order. */
export function manifestList(entries: readonly { descriptor: Descriptor; platform: Platform }[]): string {
  const order = (p: Platform) => PLATFORMS.findIndex((s) => s.platform.architecture === p.architecture && s.platform.variant === p.variant);
  const sorted = [...entries].sort((a, b) => order(a.platform) - order(b.platform));
  return JSON.stringify(
    {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.dockerList,
      manifests: sorted.map(({ descriptor, platform }) => ({
        mediaType: descriptor.mediaType,
        digest: descriptor.digest,
        size: descriptor.size,
        platform: { architecture: platform.architecture, os: platform.os, ...(platform.variant ? { variant: platform.variant } : {}) },
      })),
    },
    null,
    3,
  );
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

interface ImageConfig {
  created?: string;
  architecture?: string;
  variant?: string;
  os?: string;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: { created?: string; created_by?: string; empty_layer?: boolean }[];
  [key: string]: unknown;
}

/**
 * The image after `COPY stamp /etc/stand-in-rebuild` on top of it: one more layer, its diff_id and a history
 * entry in the config, as the classic builder records a COPY. Pure: the caller uploads the new blobs.
 *
 * A rebuild is a new image, so its config gets a new `created`: the OCI image spec (config.md, `created`)
 * defines it as "An combined date and time at which the image was created, formatted as defined by RFC 3339,
 * section 5.6", and a builder writes the time it builds, as Microsoft's builds of the .NET images do. The
 * product records that time as when the base moved (io.platform-images.base.created), so a bumped base here
 * must carry the time of its bump, later than the image it replaces.
 */
export function stampedImage(
  manifest: ImageManifest,
  config: ImageConfig,
  layer: { compressed: Buffer; uncompressed: Buffer },
  now: Date,
): { manifest: string; config: string; layerDescriptor: Descriptor } {
  const created = now.toISOString();
  const diffId = sha256(layer.uncompressed);
  const nextConfig: ImageConfig = {
    ...config,
    created,
    rootfs: { type: 'layers', diff_ids: [...config.rootfs.diff_ids, diffId] },
    history: [
      ...(config.history ?? []),
      { created, created_by: `/bin/sh -c #(nop) COPY file:${diffId.slice(7)} in /etc/stand-in-rebuild ` },
    ],
  };
  const configText = JSON.stringify(nextConfig);
  const layerMediaType = manifest.layers.at(-1)?.mediaType ?? MEDIA_TYPES.dockerLayer;
  const layerDescriptor = { mediaType: layerMediaType, digest: sha256(layer.compressed), size: layer.compressed.length };
  const next: ImageManifest = {
    schemaVersion: 2,
    mediaType: manifest.mediaType,
    config: { mediaType: manifest.config.mediaType, digest: sha256(configText), size: Buffer.byteLength(configText) },
    layers: [...manifest.layers, layerDescriptor],
  };
  return { manifest: JSON.stringify(next, null, 3), config: configText, layerDescriptor };
}

/** A layer holding /etc/stand-in-rebuild with `content`: a tar made by tar(1), gzipped. */
export function stampLayer(content: string, now: Date): { compressed: Buffer; uncompressed: Buffer } {
  const dir = mkdtempSync(path.join(tmpdir(), 'stamp-'));
  try {
    mkdirSync(path.join(dir, 'etc'));
    writeFileSync(path.join(dir, 'etc/stand-in-rebuild'), content);
    const mtime = `@${Math.floor(now.getTime() / 1000)}`;
    const uncompressed = execFileSync(
      'tar',
      ['--numeric-owner', '--owner=0', '--group=0', `--mtime=${mtime}`, '--format=posix', '-C', dir, '-cf', '-', 'etc/stand-in-rebuild'],
      { maxBuffer: 1024 * 1024 },
    );
    return { uncompressed, compressed: gzipSync(uncompressed) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the seeder and `bump` need of a registry. */
export interface RegistryApi {
  head(repo: string, reference: string): Promise<Descriptor | undefined>;
  manifest<T>(repo: string, reference: string): Promise<{ body: T; raw: Buffer }>;
  blob(repo: string, digest: string): Promise<Buffer>;
  putBlob(repo: string, data: Buffer | string): Promise<string>;
  putManifest(repo: string, reference: string, body: string, mediaType: string): Promise<string>;
}

/** The plain registry of the MCR stand-in (no auth), as the seeder and `bump` talk to it. */
export class Registry implements RegistryApi {
  constructor(private readonly base: string) {}

  private call(
    method: string,
    pathname: string,
    init: { headers?: Record<string, string>; body?: Buffer | string } = {},
  ): Promise<Response> {
    return fetch(new URL(pathname, this.base), { method, headers: init.headers, body: init.body, redirect: 'manual' });
  }

  /** The descriptor a tag or digest names, or undefined when it names nothing. */
  async head(repo: string, reference: string): Promise<Descriptor | undefined> {
    const res = await this.call('HEAD', `/v2/${repo}/manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT } });
    if (res.status === 404) return undefined;
    const digest = res.headers.get('docker-content-digest');
    if (res.status !== 200 || !digest) throw new Error(`HEAD /v2/${repo}/manifests/${reference}: HTTP ${res.status}`);
    return { mediaType: res.headers.get('content-type') ?? '', digest, size: Number(res.headers.get('content-length')) };
  }

  async manifest<T>(repo: string, reference: string): Promise<{ body: T; raw: Buffer }> {
    const res = await this.call('GET', `/v2/${repo}/manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT } });
    if (res.status !== 200) throw new Error(`GET /v2/${repo}/manifests/${reference}: HTTP ${res.status}`);
    const raw = Buffer.from(await res.arrayBuffer());
    return { body: JSON.parse(raw.toString('utf8')) as T, raw };
  }

  async blob(repo: string, digest: string): Promise<Buffer> {
    const res = await this.call('GET', `/v2/${repo}/blobs/${digest}`);
    if (res.status !== 200) throw new Error(`GET /v2/${repo}/blobs/${digest}: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  /** A monolithic upload (distribution spec: POST, then PUT with ?digest=). */
  async putBlob(repo: string, data: Buffer | string): Promise<string> {
    const digest = sha256(data);
    const exists = await this.call('HEAD', `/v2/${repo}/blobs/${digest}`);
    if (exists.status === 200) return digest;
    const start = await this.call('POST', `/v2/${repo}/blobs/uploads/`);
    const location = start.headers.get('location');
    if (start.status !== 202 || !location) throw new Error(`POST /v2/${repo}/blobs/uploads/: HTTP ${start.status}`);
    const url = new URL(location, this.base);
    url.searchParams.set('digest', digest);
    const res = await this.call('PUT', url.pathname + url.search, {
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
    });
    if (res.status !== 201) throw new Error(`PUT blob ${digest} to ${repo}: HTTP ${res.status} ${await res.text()}`);
    return digest;
  }

  async putManifest(repo: string, reference: string, body: string, mediaType: string): Promise<string> {
    const res = await this.call('PUT', `/v2/${repo}/manifests/${reference}`, { headers: { 'content-type': mediaType }, body });
    if (res.status !== 201) throw new Error(`PUT /v2/${repo}/manifests/${reference}: HTTP ${res.status} ${await res.text()}`);
    return res.headers.get('docker-content-digest') ?? sha256(body);
  }
}

/** Pushes the manifest list of `tag` over the architecture tags already in the registry; answers its digest. */
export async function publishList(registry: RegistryApi, repo: string, tag: string): Promise<string> {
  const entries = [];
  for (const spec of PLATFORMS) {
    const descriptor = await registry.head(repo, `${tag}-${spec.archTag}`);
    if (!descriptor) throw new Error(`${repo}:${tag}-${spec.archTag} is not in the registry`);
    entries.push({ descriptor, platform: spec.platform });
  }
  return registry.putManifest(repo, tag, manifestList(entries), MEDIA_TYPES.dockerList);
}

/**
 * "Microsoft rebuilt one platform's image": a new layer stamped onto `<tag>-<archTag>` (a COPY, so nothing
 * runs and no emulation is needed), pushed under the architecture tag. Answers the image's new digest.
 */
export async function stampPlatform(
  registry: RegistryApi,
  repo: string,
  tag: string,
  spec: PlatformSpec,
  now = new Date(),
): Promise<string> {
  const ref = `${tag}-${spec.archTag}`;
  const { body: manifest } = await registry.manifest<ImageManifest>(repo, ref);
  if (!manifest.config || !Array.isArray(manifest.layers)) throw new Error(`${repo}:${ref} is not a single-platform image`);
  const config = JSON.parse((await registry.blob(repo, manifest.config.digest)).toString('utf8')) as ImageConfig;
  const layer = stampLayer(`${now.toISOString()} ${process.hrtime.bigint()} ${spec.docker}\n`, now);
  const next = stampedImage(manifest, config, layer, now);
  await registry.putBlob(repo, layer.compressed);
  await registry.putBlob(repo, next.config);
  return registry.putManifest(repo, ref, next.manifest, manifest.mediaType);
}

/** Rebuilds the named platforms' images (all when none is named) and re-pushes the list; answers all new digests. */
export async function bump(
  registry: RegistryApi,
  repo: string,
  tag: string,
  platforms: readonly PlatformSpec[] = PLATFORMS,
): Promise<{ list: string; images: Record<string, string> }> {
  const images: Record<string, string> = {};
  for (const spec of platforms) images[spec.docker] = await stampPlatform(registry, repo, tag, spec);
  return { list: await publishList(registry, repo, tag), images };
}

if (require.main === module) {
  const [command, port, repo, tag, platform] = process.argv.slice(2);
  const main = async (): Promise<void> => {
    if (command !== 'bump' || !port || !repo || !tag) throw new Error('usage: mcr-index.ts bump <registry-port> <repo> <tag> [<platform>]');
    const registry = new Registry(`http://127.0.0.1:${port}`);
    const result = await bump(registry, repo, tag, platform ? [platformSpec(platform)] : PLATFORMS);
    for (const [name, digest] of Object.entries(result.images)) process.stderr.write(`[local-stack] ${repo}:${tag} ${name}: ${digest}\n`);
    process.stdout.write(`${result.list}\n`);
  };
  main().catch((err: Error) => {
    process.stderr.write(`[local-stack] error: ${err.message}\n`);
    process.exit(1);
  });
}
