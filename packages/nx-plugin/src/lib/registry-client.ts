/**
 * The registry HTTP API v2, for the two questions the check asks: what digest does a tag point to now
 * (one HEAD), and what does a published image record about itself (its config's labels); and for what
 * ecr-publish attaches to a published version: blobs, manifests by digest and the referrers listing (see
 * lib/referrers.ts).
 * Anonymous bearer-token challenges (MCR, Docker Hub) and Basic auth (ECR) are answered; tokens are
 * reused for the life of the client, and fetch keeps connections alive between requests.
 */
import { createHash } from 'node:crypto';
import { isIndexMediaType, MANIFEST_ACCEPT, MEDIA_TYPES } from '../types/media-types';
import { networkCause, NotFoundError, UserError } from '../types/errors';
import { formatImageRef, ImageRef, registryEndpoint } from '../types/image-ref';
import { formatPlatform, type OciPlatform } from '../types/platforms';
import { createdOf } from './base-created';
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

/** An OCI descriptor (OCI image spec, descriptor.md), as manifests and the referrers listing hold them. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The message of a registry's error answer (`{"errors":[{code, message}]}`), else the start of its text. */
async function registryErrorText(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const errors = (JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> }).errors ?? [];
    if (errors.length) return errors.map((e) => [e.code, e.message].filter(Boolean).join(' ')).join('; ');
  } catch {
    // not JSON: the text itself says it
  }
  return text.trim().slice(0, 300);
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

  /**
   * When the image a manifest digest names was built: its config's `created` (see lib/base-created.ts). Two
   * GETs, the manifest and its config blob; undefined when the config says no usable time.
   */
  async configCreated(ref: ImageRef, digest: string): Promise<string | undefined> {
    const { body } = await this.manifest(ref, digest);
    if (!body.config?.digest)
      throw new UserError(
        `${formatImageRef(ref)}@${digest}: expected one platform's image manifest, with a config`,
        'the base index lists something that is not an image: check the base upstream',
      );
    const response = await this.request(ref, 'GET', `blobs/${body.config.digest}`, {});
    return createdOf(await response.json().catch(() => undefined));
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

  /**
   * One request, authenticated, retried when the failure is transient. `suffix` is the path under
   * `/v2/<name>/`, or an absolute URL a registry answered with (an upload's Location). Every request sent
   * through here may be sent twice: reads, and writes whose target is named by the content's digest. A 404 is a
   * NotFoundError; `allow` lists further statuses answered rather than thrown.
   */
  private async request(ref: ImageRef, method: string, suffix: string, headers: Record<string, string>, body?: Buffer): Promise<Response> {
    const { baseUrl } = registryEndpoint(ref.registry, this.options.mirrors);
    const url = /^https?:\/\//.test(suffix) ? suffix : `${baseUrl}/v2/${ref.repository}/${suffix}`;
    const key = `${baseUrl}|${ref.repository}`;
    const name = formatImageRef(ref);
    const what = `${method} ${/^https?:\/\//.test(suffix) ? 'blobs' : suffix.split('/')[0]}`;
    const policy = this.options.retry ?? REGISTRY_RETRY;
    for (let attempt = 1; ; attempt++) {
      const auth = this.authorizations.get(key);
      let response: Response;
      try {
        response = await this.send(url, method, auth ? { ...headers, Authorization: auth } : headers, body);
      } catch (err) {
        // Reads, and writes named by their digest: a reset or a timeout is safe to try again.
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
      const detail = body ? await registryErrorText(response) : (await response.body?.cancel(), '');
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
        `${name}: the registry answered HTTP ${response.status} to ${what}${detail ? `: ${detail}` : ''}`,
        body
          ? 'the registry refused what was sent: its answer above says why'
          : 'check the registry address and the mirror configuration (registryMirrors), then rerun',
      );
    }
  }

  private async send(url: string, method: string, headers: Record<string, string>, body?: Buffer): Promise<Response> {
    this.requestCount++;
    return this.fetch(url, {
      method,
      headers,
      ...(body ? { body: new Uint8Array(body) } : {}),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
    });
  }

  /** Whether the repository has a blob (HEAD): a blob already there is not uploaded again. */
  async hasBlob(ref: ImageRef, digest: string): Promise<boolean> {
    try {
      await this.request(ref, 'HEAD', `blobs/${digest}`, {});
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  /**
   * Uploads a blob in one piece: `POST /v2/<name>/blobs/uploads/` opens an upload, a `PUT` to the Location it
   * answers with `?digest=` closes it with the bytes (OCI distribution spec, "Pushing a blob monolithically",
   * POST then PUT: the form oras pushes artifacts to ECR with; docker push sends the same POST and PUT with
   * PATCH chunks between). Blobs go through the registry API, not ECR's InitiateLayerUpload/UploadLayerPart/
   * CompleteLayerUpload, which its API reference says are for the ECR proxy, not for clients.
   */
  async pushBlob(ref: ImageRef, bytes: Buffer): Promise<{ digest: string; size: number }> {
    const digest = sha256(bytes);
    if (await this.hasBlob(ref, digest)) return { digest, size: bytes.length };
    const opened = await this.request(ref, 'POST', 'blobs/uploads/', { 'Content-Length': '0' }, Buffer.alloc(0));
    await opened.body?.cancel();
    const location = opened.headers.get('location');
    if (!location)
      throw new UserError(
        `${formatImageRef(ref)}: the registry opened a blob upload without a Location`,
        'the registry does not answer as the OCI distribution spec says: check the registry address, then rerun',
      );
    const { baseUrl } = registryEndpoint(ref.registry, this.options.mirrors);
    const url = new URL(location, baseUrl);
    url.searchParams.set('digest', digest);
    const closed = await this.request(ref, 'PUT', url.toString(), { 'Content-Type': 'application/octet-stream' }, bytes);
    await closed.body?.cancel();
    return { digest, size: bytes.length };
  }

  /**
   * Writes a manifest under a tag or its digest, and answers the digest and the `OCI-Subject` header: a
   * registry that processed the manifest's `subject` (it serves the referrers API) says so with it (OCI
   * distribution spec, "Pushing Manifests with Subject").
   */
  async putManifest(ref: ImageRef, reference: string, bytes: Buffer, mediaType: string): Promise<{ digest: string; subject?: string }> {
    const response = await this.request(ref, 'PUT', `manifests/${reference}`, { 'Content-Type': mediaType }, bytes);
    await response.body?.cancel();
    return { digest: sha256(bytes), subject: response.headers.get('oci-subject') ?? undefined };
  }

  /** A manifest's bytes and media type, or undefined when the reference names nothing. */
  async getManifest(ref: ImageRef, reference: string): Promise<{ bytes: Buffer; mediaType: string } | undefined> {
    try {
      const response = await this.request(ref, 'GET', `manifests/${reference}`, { Accept: MANIFEST_ACCEPT });
      return { bytes: Buffer.from(await response.arrayBuffer()), mediaType: response.headers.get('content-type') ?? '' };
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * `GET /v2/<name>/referrers/<digest>[?artifactType=]` (OCI distribution spec, "Listing Referrers"): the
   * image index of the manifests whose subject is the digest, following `Link: <…>; rel="next"` pages.
   * Undefined when the registry answers 404: it has no referrers API (a registry that has one never answers
   * 404 there), and the referrers tag schema is where its referrers are listed.
   */
  async referrers(
    ref: ImageRef,
    digest: string,
    artifactType?: string,
  ): Promise<{ manifests: Descriptor[]; filtered: boolean } | undefined> {
    const manifests: Descriptor[] = [];
    let filtered = false;
    let next: string | undefined = `referrers/${digest}${artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : ''}`;
    while (next) {
      let response: Response;
      try {
        response = await this.request(ref, 'GET', next, { Accept: MEDIA_TYPES.ociIndex });
      } catch (err) {
        if (err instanceof NotFoundError && !manifests.length) return undefined;
        throw err;
      }
      filtered ||= (response.headers.get('oci-filters-applied') ?? '').split(',').some((f) => f.trim() === 'artifactType');
      const index = (await response.json()) as { manifests?: Descriptor[] };
      manifests.push(...(index.manifests ?? []));
      const link = /<([^>]+)>\s*;\s*rel="?next"?/.exec(response.headers.get('link') ?? '')?.[1];
      const { baseUrl } = registryEndpoint(ref.registry, this.options.mirrors);
      next = link ? new URL(link, baseUrl).toString() : undefined;
    }
    return { manifests, filtered };
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
