/**
 * The registry HTTP API v2, for the two questions the check asks: what digest does a tag point to now
 * (one HEAD), and what does a published image record about itself (its config's labels).
 * Anonymous bearer-token challenges (MCR, Docker Hub) and Basic auth (ECR) are answered; tokens are
 * reused for the life of the client, and fetch keeps connections alive between requests.
 */
import { networkCause, UserError } from './errors';
import { formatImageRef, ImageRef, registryEndpoint } from './image-ref';

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

export interface Credentials {
  username: string;
  password: string;
}

export interface RegistryClientOptions {
  mirrors?: Record<string, string>;
  /** Credentials per registry host (as written in image references), e.g. the ECR token. */
  credentials?: (registry: string) => Credentials | undefined;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Platform to pick from a multi-arch index when reading labels. */
  platform?: { os: string; architecture: string };
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenge(header: string): Challenge | undefined {
  const match = /^(\w+)\s*(.*)$/.exec(header.trim());
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const m of match[2].matchAll(/(\w+)="([^"]*)"|(\w+)=([^,\s]*)/g)) params[(m[1] ?? m[3]).toLowerCase()] = m[2] ?? m[4];
  return { scheme: match[1].toLowerCase(), params };
}

function basic(creds: Credentials): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
}

export class RegistryClient {
  private readonly authorizations = new Map<string, string>();
  private readonly fetch: typeof fetch;
  /** Requests sent, for the benchmark and tests. */
  requestCount = 0;

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.fetch = options.fetch ?? fetch;
  }

  /** The digest the reference's tag points to now (an index digest for multi-arch images). */
  async resolveDigest(ref: ImageRef): Promise<string> {
    const reference = ref.digest ?? ref.tag ?? 'latest';
    const response = await this.request(ref, 'HEAD', `manifests/${reference}`, { Accept: MANIFEST_ACCEPT });
    const digest = response.headers.get('docker-content-digest');
    if (!digest) throw new UserError(`${formatImageRef(ref)}: the registry answered without a Docker-Content-Digest header`);
    return digest;
  }

  /** The labels of an image's config, following an index to the configured platform. */
  async imageLabels(ref: ImageRef): Promise<{ digest: string; labels: Record<string, string> }> {
    let reference = ref.digest ?? ref.tag ?? 'latest';
    let response = await this.request(ref, 'GET', `manifests/${reference}`, { Accept: MANIFEST_ACCEPT });
    const digest = response.headers.get('docker-content-digest') ?? reference;
    let manifest = (await response.json()) as { mediaType?: string; manifests?: Array<{ digest: string; platform?: { os: string; architecture: string } }>; config?: { digest: string } };
    if (manifest.manifests && (INDEX_TYPES.has(manifest.mediaType ?? '') || !manifest.config)) {
      const want = this.options.platform ?? { os: 'linux', architecture: 'amd64' };
      const entry = manifest.manifests.find((m) => m.platform?.os === want.os && m.platform?.architecture === want.architecture) ?? manifest.manifests[0];
      if (!entry) throw new UserError(`${formatImageRef(ref)}: the image index lists no manifests`);
      reference = entry.digest;
      response = await this.request(ref, 'GET', `manifests/${reference}`, { Accept: MANIFEST_ACCEPT });
      manifest = (await response.json()) as typeof manifest;
    }
    if (!manifest.config?.digest) throw new UserError(`${formatImageRef(ref)}: the manifest has no config`);
    const configResponse = await this.request(ref, 'GET', `blobs/${manifest.config.digest}`, {});
    const config = (await configResponse.json()) as { config?: { Labels?: Record<string, string> | null } };
    return { digest, labels: config.config?.Labels ?? {} };
  }

  private async request(ref: ImageRef, method: string, suffix: string, headers: Record<string, string>): Promise<Response> {
    const { baseUrl } = registryEndpoint(ref.registry, this.options.mirrors);
    const url = `${baseUrl}/v2/${ref.repository}/${suffix}`;
    const key = `${baseUrl}|${ref.repository}`;
    const name = formatImageRef(ref);
    for (let attempt = 1; ; attempt++) {
      const auth = this.authorizations.get(key);
      const response = await this.send(url, method, auth ? { ...headers, Authorization: auth } : headers, name);
      if (response.status === 401 && !auth) {
        await response.body?.cancel();
        this.authorizations.set(key, await this.authorize(ref, response.headers.get('www-authenticate') ?? '', name));
        continue;
      }
      if ((response.status === 429 || response.status >= 500) && attempt < 3) {
        await response.body?.cancel();
        const retryAfter = Number(response.headers.get('retry-after'));
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 30) * 1000 : 500 * attempt);
        continue;
      }
      if (response.ok) return response;
      await response.body?.cancel();
      if (response.status === 404) {
        throw new UserError(`${name}: not found in the registry (${method} ${suffix.split('/')[0]} answered 404)`, 'check the repository and tag exist upstream');
      }
      if (response.status === 401 || response.status === 403) {
        throw new UserError(`${name}: the registry refused access (HTTP ${response.status})`, 'check the registry credentials or the mirror configuration');
      }
      throw new UserError(`${name}: the registry answered HTTP ${response.status} to ${method} ${suffix.split('/')[0]}`);
    }
  }

  private async send(url: string, method: string, headers: Record<string, string>, name: string): Promise<Response> {
    this.requestCount++;
    try {
      return await this.fetch(url, { method, headers, signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000) });
    } catch (err) {
      const cause = networkCause(err);
      throw new UserError(`${name}: cannot reach ${new URL(url).host} (${cause})`, 'check the registry address, the mirror configuration and the network');
    }
  }

  private async authorize(ref: ImageRef, header: string, name: string): Promise<string> {
    const challenge = parseChallenge(header);
    const creds = this.options.credentials?.(ref.registry);
    if (challenge?.scheme === 'basic') {
      if (!creds) throw new UserError(`${name}: the registry wants credentials and none are configured`);
      return basic(creds);
    }
    if (challenge?.scheme === 'bearer' && challenge.params.realm) {
      const tokenUrl = new URL(challenge.params.realm);
      if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service);
      tokenUrl.searchParams.set('scope', challenge.params.scope ?? `repository:${ref.repository}:pull`);
      const response = await this.send(tokenUrl.toString(), 'GET', creds ? { Authorization: basic(creds) } : {}, name);
      if (!response.ok) {
        await response.body?.cancel();
        throw new UserError(`${name}: the token service at ${tokenUrl.host} answered HTTP ${response.status}`);
      }
      const body = (await response.json()) as { token?: string; access_token?: string };
      const token = body.token ?? body.access_token;
      if (!token) throw new UserError(`${name}: the token service at ${tokenUrl.host} returned no token`);
      return `Bearer ${token}`;
    }
    throw new UserError(`${name}: the registry requires authentication without a usable challenge ("${header}")`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
