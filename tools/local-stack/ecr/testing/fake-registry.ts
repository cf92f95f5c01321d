/**
 * For the specs: a small distribution registry that keeps what it stores on disk in the layout of
 * distribution's filesystem driver (revision and tag links), so RegistryStorage reads and changes what it
 * serves, as with the real one. Manifests by tag or digest, tags/list, DELETE of a manifest (its tags go
 * with it), any blob GET answered with `blob` bytes; every request is recorded.
 */
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import { manifestDigest } from '../backing-registry';
import { listen, type Listening } from './listen';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export class FakeRegistry {
  readonly requests: SeenRequest[] = [];
  /** Blobs a manifest PUT is refused for, as missing. */
  readonly unknownBlobs = new Set<string>();
  /** The bytes of every blob GET. */
  blob = Buffer.from('blob bytes');
  private server?: Listening;

  constructor(readonly root: string) {}

  get url(): string {
    if (!this.server) throw new Error('the fake registry is not started');
    return this.server.base;
  }

  async start(): Promise<this> {
    this.server = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
        this.answer(req, Buffer.concat(chunks), res);
      });
    });
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }

  private repoDir(name: string): string {
    return path.join(this.root, 'docker', 'registry', 'v2', 'repositories', ...name.split('/'));
  }

  private blobFile(digest: string): string {
    const hex = digest.slice('sha256:'.length);
    return path.join(this.root, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
  }

  private revisionLink(name: string, digest: string): string {
    return path.join(this.repoDir(name), '_manifests', 'revisions', 'sha256', digest.slice('sha256:'.length), 'link');
  }

  private tagsDir(name: string): string {
    return path.join(this.repoDir(name), '_manifests', 'tags');
  }

  /** The digest a tag or digest reference names, if the manifest is there. */
  private resolve(name: string, reference: string): string | undefined {
    let digest = reference;
    if (!reference.startsWith('sha256:')) {
      try {
        digest = fs.readFileSync(path.join(this.tagsDir(name), reference, 'current', 'link'), 'utf8');
      } catch {
        return undefined;
      }
    }
    return fs.existsSync(this.revisionLink(name, digest)) ? digest : undefined;
  }

  private tags(name: string): string[] {
    try {
      return fs.readdirSync(this.tagsDir(name)).filter((tag) => this.resolve(name, tag) !== undefined);
    } catch {
      return [];
    }
  }

  /** Stores a manifest as a push would, optionally under a tag; its digest. */
  put(name: string, body: Buffer, tag?: string): string {
    const digest = manifestDigest(body);
    fs.mkdirSync(path.dirname(this.blobFile(digest)), { recursive: true });
    fs.writeFileSync(this.blobFile(digest), body);
    fs.mkdirSync(path.dirname(this.revisionLink(name, digest)), { recursive: true });
    fs.writeFileSync(this.revisionLink(name, digest), digest);
    if (tag !== undefined) {
      fs.mkdirSync(path.join(this.tagsDir(name), tag, 'current'), { recursive: true });
      fs.writeFileSync(path.join(this.tagsDir(name), tag, 'current', 'link'), digest);
    }
    return digest;
  }

  private answer(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const pathname = (req.url ?? '/').split('?')[0];
    const json = (status: number, value: unknown, headers: http.OutgoingHttpHeaders = {}): void => {
      const text = JSON.stringify(value);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    if (pathname === '/v2/') return json(200, {});
    const tagsList = /^\/v2\/(.+)\/tags\/list$/.exec(pathname);
    if (tagsList) {
      const name = decodeURIComponent(tagsList[1]);
      if (!fs.existsSync(this.repoDir(name)))
        return json(404, { errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known' }] });
      return json(200, { name, tags: this.tags(name) });
    }
    if (/^\/v2\/.+\/blobs\/[^/]+$/.test(pathname)) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': this.blob.length });
      res.end(req.method === 'HEAD' ? undefined : this.blob);
      return;
    }
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(pathname);
    if (!manifest) return json(404, { errors: [{ code: 'NOT_FOUND', message: pathname }] });
    const name = decodeURIComponent(manifest[1]);
    const reference = decodeURIComponent(manifest[2]);
    const unknown = (): void => json(404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] });
    switch (req.method) {
      case 'GET':
      case 'HEAD': {
        const digest = this.resolve(name, reference);
        if (!digest) return unknown();
        const stored = fs.readFileSync(this.blobFile(digest));
        const mediaType = String((JSON.parse(stored.toString('utf8')) as { mediaType?: string }).mediaType ?? 'application/octet-stream');
        res.writeHead(200, { 'content-type': mediaType, 'content-length': stored.length, 'docker-content-digest': digest });
        res.end(req.method === 'HEAD' ? undefined : stored);
        return;
      }
      case 'PUT': {
        const parsed = JSON.parse(body.toString('utf8')) as { layers?: { digest: string }[]; manifests?: { digest: string }[] };
        const missing = [...(parsed.layers ?? []), ...(parsed.manifests ?? [])].find((d) => this.unknownBlobs.has(d.digest));
        if (missing)
          return json(400, { errors: [{ code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry', detail: missing.digest }] });
        const digest = this.put(name, body, reference.startsWith('sha256:') ? undefined : reference);
        return json(201, {}, { 'docker-content-digest': digest, location: `/v2/${name}/manifests/${digest}` });
      }
      case 'DELETE': {
        const digest = this.resolve(name, reference);
        if (!digest) return unknown();
        fs.rmSync(this.revisionLink(name, digest));
        // As distribution does: the tags that named the manifest go with it.
        const tags = fs.existsSync(this.tagsDir(name)) ? fs.readdirSync(this.tagsDir(name)) : [];
        for (const tag of tags)
          if (this.resolve(name, tag) === undefined) fs.rmSync(path.join(this.tagsDir(name), tag), { recursive: true });
        return json(202, {});
      }
      default:
        return json(405, { errors: [{ code: 'UNSUPPORTED', message: req.method }] });
    }
  }
}

/** A Docker image manifest of the given layer sizes (each layer's digest derived from `seed`). */
export function imageManifest(seed: string, layerSizes: number[] = [100], configSize = 10): Buffer {
  const digest = (what: string): string => manifestDigest(Buffer.from(`${seed}/${what}`));
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: digest('config'), size: configSize },
      layers: layerSizes.map((size, i) => ({
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        digest: digest(`layer${i}`),
        size,
      })),
    }),
  );
}
