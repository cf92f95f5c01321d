/**
 * The registry HTTP API v2, for the two questions the check asks: what digest does a tag point to now
 * (one HEAD), and what does a published image record about itself (its config's labels).
 * Anonymous bearer-token challenges (MCR, Docker Hub) and Basic auth (ECR) are answered; tokens are
 * reused for the life of the client, and fetch keeps connections alive between requests.
 */
import { createHash } from 'node:crypto';
import { isIndexMediaType, MANIFEST_ACCEPT } from '../types/media-types';
import { networkCause, NotFoundError, UserError } from '../types/errors';
import { formatImageRef, ImageRef, registryEndpoint } from '../types/image-ref';
import { formatPlatform, type OciPlatform } from '../types/platforms';
import { isTransientStatus, nextRetry, parseRetryAfter, REGISTRY_RETRY, sleep, type RetryPolicy } from './retry';

export interface Credentials {
  username: string;
  password: string;
}

export interface RegistryClientOptions {
  mirrors?: Record<string, string>;
  /** Credentials per registry host (as written in image references), e.g. the ECR token. */
  credentials?: (registry: string) => Credentials | undefined;
  timeoutMs?: number;
  retry?: RetryPolicy;
  fetch?: typeof fetch;
  /** Platform to pick from a multi-arch index when reading labels. */
  platform?: { os: string; architecture: string };
}

interface ManifestBody {
  mediaType?: string;
  manifests?: Array<{ digest: string; mediaType?: string; platform?: OciPlatform }>;
  config?: { digest: string };
}

/**
 * What a base reference names now: its digest, and for an image index the manifest of each platform it lists
 * (`os/arch[/variant]`; entries without a platform, such as attestation manifests, left out). `platforms` is
 * undefined for a single manifest: the image it names is whatever platform its config says.
 */
export interface ResolvedBase {
  digest: string;
  platforms?: Record<string, string>;
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

  /**
   * The digest the reference's tag points to now (an index digest for multi-arch images): one HEAD, whose
   * Docker-Content-Digest header says it. A registry that leaves the header out (it is optional in the OCI
   * distribution spec) is asked with a GET instead, and the digest computed from the manifest's bytes.
   */
  async resolveDigest(ref: ImageRef): Promise<string> {
    const reference = ref.digest ?? ref.tag ?? 'latest';
    const response = await this.request(ref, 'HEAD', `manifests/${reference}`, { Accept: MANIFEST_ACCEPT });
    const digest = response.headers.get('docker-content-digest');
    if (digest) return digest;
    return (await this.manifest(ref, reference)).digest;
  }

  /**
   * The digest of what the reference names and, for an image index, each platform's manifest digest: one GET
   * of the manifest (in place of resolveDigest's HEAD, so no more requests), which carries the index's
   * descriptors and their `platform` (OCI image spec, image-index.md). No blob is read.
   */
  async resolveBase(ref: ImageRef): Promise<ResolvedBase> {
    const { digest, body } = await this.manifest(ref, ref.digest ?? ref.tag ?? 'latest');
    if (!body.manifests || !(isIndexMediaType(body.mediaType) || !body.config)) return { digest };
    const platforms: Record<string, string> = {};
    for (const entry of body.manifests) {
      // Attestation manifests are listed with an unknown/unknown platform (BuildKit, "Image attestation storage").
      if (!entry.platform?.os || !entry.platform.architecture || entry.platform.os === 'unknown') continue;
      platforms[formatPlatform(entry.platform)] ??= entry.digest;
    }
    return { digest, platforms };
  }

  /**
   * A manifest and its digest, computed from the bytes as served: private ECR sends no Docker-Content-Digest
   * on GET (only on HEAD), and the digest of the bytes is what the reference resolves to anyway.
   */
  private async manifest(ref: ImageRef, reference: string): Promise<{ digest: string; body: ManifestBody }> {
    const response = await this.request(ref, 'GET', `manifests/${reference}`, { Accept: MANIFEST_ACCEPT });
    const bytes = Buffer.from(await response.arrayBuffer());
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (reference.startsWith('sha256:') && reference !== digest) {
      throw new UserError(
        `${formatImageRef(ref)}: the registry served a manifest whose digest is ${digest}, not the ${reference} asked for`,
        'a registry (or mirror) that changes manifests in transit cannot be checked against: point registryMirrors at one that serves them unchanged',
      );
    }
    try {
      return { digest, body: JSON.parse(bytes.toString('utf8')) as ManifestBody };
    } catch {
      throw new UserError(
        `${formatImageRef(ref)}: the registry served a manifest that is not JSON`,
        'check registryMirrors points at a container registry (its /v2/ API), not a web page or proxy login',
      );
    }
  }

  /** The labels of an image's config, following an index to the configured platform. */
  async imageLabels(ref: ImageRef): Promise<{ digest: string; labels: Record<string, string> }> {
    const { digest, body } = await this.manifest(ref, ref.digest ?? ref.tag ?? 'latest');
    let manifest = body;
    if (manifest.manifests && (isIndexMediaType(manifest.mediaType) || !manifest.config)) {
      const want = this.options.platform ?? { os: 'linux', architecture: 'amd64' };
      const entry =
        manifest.manifests.find((m) => m.platform?.os === want.os && m.platform?.architecture === want.architecture) ??
        manifest.manifests[0];
      if (!entry)
        throw new UserError(
          `${formatImageRef(ref)}: the image index lists no manifests`,
          'the image is broken in the registry: republish it (PLATFORM_IMAGES_FORCE_UPDATE=true)',
        );
      manifest = (await this.manifest(ref, entry.digest)).body;
    }
    if (!manifest.config?.digest)
      throw new UserError(
        `${formatImageRef(ref)}: the manifest has no config`,
        'the image is broken in the registry: republish it (PLATFORM_IMAGES_FORCE_UPDATE=true)',
      );
    const configResponse = await this.request(ref, 'GET', `blobs/${manifest.config.digest}`, {});
    const config = (await configResponse.json()) as { config?: { Labels?: Record<string, string> | null } };
    return { digest, labels: config.config?.Labels ?? {} };
  }

  private async request(ref: ImageRef, method: string, suffix: string, headers: Record<string, string>): Promise<Response> {
    const { baseUrl } = registryEndpoint(ref.registry, this.options.mirrors);
    const url = `${baseUrl}/v2/${ref.repository}/${suffix}`;
    const key = `${baseUrl}|${ref.repository}`;
    const name = formatImageRef(ref);
    const what = `${method} ${suffix.split('/')[0]}`;
    const policy = this.options.retry ?? REGISTRY_RETRY;
    for (let attempt = 1; ; attempt++) {
      const auth = this.authorizations.get(key);
      let response: Response;
      try {
        response = await this.send(url, method, auth ? { ...headers, Authorization: auth } : headers);
      } catch (err) {
        // Only reads go through here, so a reset or a timeout is safe to try again.
        const decision = nextRetry(attempt, policy);
        if (decision.retry) {
          await sleep(decision.delayMs);
          continue;
        }
        throw new UserError(
          `${name}: cannot reach ${new URL(url).host} (${networkCause(err)}) ${decision.why}`,
          'check the registry address, the mirror configuration and the network; rerun when it answers',
        );
      }
      if (response.status === 401 && !auth) {
        await response.body?.cancel();
        this.authorizations.set(key, await this.authorize(ref, response.headers.get('www-authenticate') ?? '', name));
        continue;
      }
      if (response.ok) return response;
      await response.body?.cancel();
      if (isTransientStatus(response.status)) {
        const decision = nextRetry(attempt, policy, parseRetryAfter(response.headers.get('retry-after')));
        if (decision.retry) {
          await sleep(decision.delayMs);
          continue;
        }
        throw new UserError(
          `${name}: the registry answered HTTP ${response.status} to ${what}, ${decision.why}`,
          response.status === 429
            ? 'the registry is throttling: rerun later or run fewer images in parallel'
            : 'the registry is failing: rerun when it recovers',
        );
      }
      if (response.status === 404) {
        throw new NotFoundError(`${name}: not found in the registry (${what} answered 404)`, 'check the repository and tag exist upstream');
      }
      if (response.status === 401 || response.status === 403) {
        throw new UserError(
          `${name}: the registry refused access (HTTP ${response.status})`,
          'check the registry credentials or the mirror configuration',
        );
      }
      throw new UserError(
        `${name}: the registry answered HTTP ${response.status} to ${what}`,
        'check the registry address and the mirror configuration (registryMirrors), then rerun',
      );
    }
  }

  private async send(url: string, method: string, headers: Record<string, string>): Promise<Response> {
    this.requestCount++;
    return this.fetch(url, { method, headers, signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000) });
  }

  private async authorize(ref: ImageRef, header: string, name: string): Promise<string> {
    const challenge = parseChallenge(header);
    const creds = this.options.credentials?.(ref.registry);
    if (challenge?.scheme === 'basic') {
      if (!creds)
        throw new UserError(
          `${name}: the registry wants credentials and none are configured`,
          'point registryMirrors at a registry that allows anonymous pulls, as mcr.microsoft.com does',
        );
      return basic(creds);
    }
    if (challenge?.scheme === 'bearer' && challenge.params.realm) {
      const tokenUrl = new URL(challenge.params.realm);
      if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service);
      tokenUrl.searchParams.set('scope', challenge.params.scope ?? `repository:${ref.repository}:pull`);
      let response: Response;
      try {
        response = await this.send(tokenUrl.toString(), 'GET', creds ? { Authorization: basic(creds) } : {});
      } catch (err) {
        throw new UserError(
          `${name}: cannot reach the token service at ${tokenUrl.host} (${networkCause(err)})`,
          'check the network, then rerun',
        );
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new UserError(
          `${name}: the token service at ${tokenUrl.host} answered HTTP ${response.status}`,
          'check the network and the mirror configuration (registryMirrors), then rerun',
        );
      }
      const body = (await response.json()) as { token?: string; access_token?: string };
      const token = body.token ?? body.access_token;
      if (!token)
        throw new UserError(
          `${name}: the token service at ${tokenUrl.host} returned no token`,
          "check the mirror configuration (registryMirrors): its token service does not answer as a registry's does",
        );
      return `Bearer ${token}`;
    }
    throw new UserError(
      `${name}: the registry requires authentication without a usable challenge ("${header}")`,
      'point registryMirrors at a registry that allows anonymous pulls or offers a Bearer/Basic challenge',
    );
  }
}
