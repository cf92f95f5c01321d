/**
 * An account's backing registry, a plain distribution registry, as the API reads and writes it. Manifests are
 * always asked for with an `Accept` header: without one registry 2.8 answers with a schema1 conversion and
 * another digest.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { MANIFEST_ACCEPT } from '../media-types';

export interface BackendResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class BackendError extends Error {}

export interface Descriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
}

export interface ManifestInfo {
  digest: string;
  mediaType: string;
  /** The manifest bytes exactly as stored, so their digest is the image digest. */
  body: Buffer;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  /** The manifest it refers to, for a referrer (OCI image spec: `subject`). */
  subject?: Descriptor;
}

/** The digest of manifest bytes, as a registry computes it. */
export function manifestDigest(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

/** A repository name as a URL path: each component encoded, the slashes kept. */
export function repoPath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

export function unexpected(res: BackendResponse, what: string): BackendError {
  return new BackendError(`backing registry answered ${res.status} to ${what}: ${res.body.toString('utf8').slice(0, 300)}`);
}

export class BackingRegistry {
  /** Manifests are content-addressed, so a fetched one never changes. */
  private readonly manifests = new Map<string, ManifestInfo>();

  /** @param agent shared with the proxy that forwards to this registry */
  constructor(
    readonly url: URL,
    readonly agent: http.Agent,
  ) {}

  request(method: string, target: string, headers: Record<string, string> = {}, body?: Buffer): Promise<BackendResponse> {
    const BACKEND = this.url;
    return new Promise((resolve, reject) => {
      const sent: http.OutgoingHttpHeaders = { host: BACKEND.host, ...headers };
      if (body) sent['content-length'] = body.length;
      const req = http.request(
        { host: BACKEND.hostname, port: BACKEND.port, method, path: target, headers: sent, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.setTimeout(30_000, () => req.destroy(new BackendError(`backing registry ${BACKEND.host} did not answer ${method} ${target}`)));
      req.on('error', (err) =>
        reject(err instanceof BackendError ? err : new BackendError(`backing registry ${BACKEND.host}: ${err.message}`)),
      );
      req.end(body);
    });
  }

  async listTags(name: string): Promise<string[]> {
    const res = await this.request('GET', `/v2/${repoPath(name)}/tags/list`);
    if (res.status === 404) return [];
    if (res.status !== 200) throw unexpected(res, `tags/list of ${name}`);
    const tags = (JSON.parse(res.body.toString('utf8')) as { tags?: string[] | null }).tags;
    return Array.isArray(tags) ? tags : [];
  }

  async resolveTag(name: string, tag: string): Promise<string | undefined> {
    const res = await this.request('HEAD', `/v2/${repoPath(name)}/manifests/${encodeURIComponent(tag)}`, { accept: MANIFEST_ACCEPT });
    if (res.status === 404) return undefined;
    const digest = res.headers['docker-content-digest'];
    if (res.status !== 200 || typeof digest !== 'string') throw unexpected(res, `HEAD manifest ${name}:${tag}`);
    return digest;
  }

  async fetchManifest(name: string, digest: string): Promise<ManifestInfo | undefined> {
    const key = `${name}@${digest}`;
    const cached = this.manifests.get(key);
    if (cached) return cached;
    const res = await this.request('GET', `/v2/${repoPath(name)}/manifests/${digest}`, { accept: MANIFEST_ACCEPT });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw unexpected(res, `GET manifest ${name}@${digest}`);
    const parsed = JSON.parse(res.body.toString('utf8')) as {
      mediaType?: string;
      config?: Descriptor;
      layers?: Descriptor[];
      manifests?: Descriptor[];
      subject?: Descriptor;
    };
    const contentType = String(res.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    const info: ManifestInfo = {
      digest,
      mediaType: parsed.mediaType ?? contentType,
      body: res.body,
      config: parsed.config,
      layers: parsed.layers,
      manifests: parsed.manifests,
      ...(parsed.subject ? { subject: parsed.subject } : {}),
    };
    this.manifests.set(key, info);
    return info;
  }

  /** Stores a manifest under a tag or its digest; the answer as the registry gave it. */
  putManifest(name: string, reference: string, mediaType: string, body: Buffer): Promise<BackendResponse> {
    return this.request('PUT', `/v2/${repoPath(name)}/manifests/${encodeURIComponent(reference)}`, { 'content-type': mediaType }, body);
  }

  async deleteManifest(name: string, digest: string): Promise<void> {
    const res = await this.request('DELETE', `/v2/${repoPath(name)}/manifests/${digest}`, { accept: MANIFEST_ACCEPT });
    if (res.status !== 202 && res.status !== 404) throw unexpected(res, `DELETE manifest ${name}@${digest}`);
  }
}
