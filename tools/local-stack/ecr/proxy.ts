/**
 * One registry port per account: an authenticating proxy in front of that account's own plain distribution
 * registry. Like real ECR it wants Basic auth with the GetAuthorizationToken password, which works on every
 * registry the caller may use (ECR API reference, GetAuthorizationToken), refuses requests for repositories
 * nobody created, and keeps immutable tags (IMMUTABLE, and the *_WITH_EXCLUSION settings) from moving.
 *
 * Like ECR, a tag is assigned atomically: the mutability check and the write of a manifest PUT by tag run one
 * at a time per repository (with PutImage), so of two racing pushes of one immutable tag exactly one wins.
 */
import * as http from 'node:http';
import { immutableTagMessage, isTagImmutable } from '../ecr-tag-rules';
import { type Instrumentation, registryKind } from '../faults';
import { HOP_BY_HOP_HEADERS } from '../hop-by-hop';
import type { Account } from './accounts';
import { manifestDigest } from './backing-registry';
import type { Log } from './log';
import type { RegistryAuth } from './registry-auth';
import type { Scanning } from './scanning';
import { readBody } from './read-body';
import { DIGEST, MAX_MANIFEST_BYTES } from './requests';
import type { TagHistory } from './tag-history';
import { referrerOf, referrersIndex, refusedMediaType, UNSUPPORTED_MANIFEST } from './referrers';
import { MEDIA_TYPES } from '../media-types';

export interface Proxy {
  acct: Account;
  instrumentation: Instrumentation;
}

export interface ProxyOptions {
  auth: RegistryAuth;
  history: TagHistory;
  log: Log;
  scanning: Scanning;
}

const HOP_BY_HOP = new Set(HOP_BY_HOP_HEADERS);

/** `GET /v2/<name>/manifests/<reference>`: the request whose answer ECR sends without a digest header. */
const MANIFEST_PATH = /^\/v2\/.+\/manifests\/[^/]+$/;

/** A registry API error answer, `{"errors": [{code, message, detail}]}`. */
export function registryError(
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string,
  detail: unknown = null,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify({ errors: [{ code, message, detail }] });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'docker-distribution-api-version': 'registry/2.0',
    ...headers,
  });
  res.end(text);
}

function nameUnknown(res: http.ServerResponse, acct: Account, name: string): void {
  registryError(res, 404, 'NAME_UNKNOWN', `The repository with name '${name}' does not exist in the registry with id '${acct.id}'`, {
    name,
  });
}

/**
 * Passes a request on to the backing registry and its answer back. Resolves once the answer's status is
 * known (after onResponse ran) or the request failed, never rejects: a caller holding the repository's
 * lock releases it then.
 */
function forward(
  proxy: Proxy,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body?: Buffer,
  onResponse?: (status: number, headers: http.IncomingHttpHeaders) => void,
): Promise<void> {
  const BACKEND = proxy.acct.registry.url;
  const headers: http.OutgoingHttpHeaders = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(key) || key === 'authorization') continue;
    headers[key] = value;
  }
  if (body) {
    delete headers['transfer-encoding'];
    headers['content-length'] = body.length;
  }
  const pathname = (req.url ?? '/').split('?')[0];
  const countBlobBytes = req.method === 'GET' && registryKind(pathname) === 'blobs';
  // Private ECR answers HEAD on a manifest with Docker-Content-Digest but GET without it: the header is only
  // a SHOULD on GET (OCI distribution spec, "Pulling manifests"), and ECR leaves it out (aws/containers-roadmap
  // #1931; distribution/distribution#3792 and hashicorp/terraform-provider-docker#188 had to compute the
  // digest from the body because of it). A client must hash the bytes it got.
  const dropDigest = req.method === 'GET' && MANIFEST_PATH.test(pathname);
  return new Promise((resolve) => {
    // The Host header goes through unchanged, so the Location URLs the registry builds point back here.
    const upstream = http.request(
      { host: BACKEND.hostname, port: BACKEND.port, method: req.method, path: req.url, headers, agent: proxy.acct.registry.agent },
      (up) => {
        const out: http.OutgoingHttpHeaders = {};
        for (const [key, value] of Object.entries(up.headers)) {
          if (value === undefined || HOP_BY_HOP.has(key) || key === 'transfer-encoding') continue;
          if (dropDigest && key === 'docker-content-digest') continue;
          out[key] = value;
        }
        const status = up.statusCode ?? 502;
        onResponse?.(status, up.headers);
        if (countBlobBytes && status >= 200 && status < 300)
          up.on('data', (chunk: Buffer) => proxy.instrumentation.stats.addBlobBytes(chunk.length));
        res.writeHead(status, out);
        up.pipe(res);
        up.on('error', () => res.destroy());
        resolve();
      },
    );
    // A manifest PUT holds its repository's lock until the answer: a stuck backend must not hold it forever.
    if (body) upstream.setTimeout(30_000, () => upstream.destroy(new Error('no answer within 30 s')));
    upstream.on('error', (err) => {
      if (!res.headersSent) registryError(res, 502, 'UNAVAILABLE', `backing registry ${BACKEND.host}: ${err.message}`);
      else res.destroy();
      resolve();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    if (body) upstream.end(body);
    else req.pipe(upstream);
  });
}

export function proxyHandler(proxy: Proxy, options: ProxyOptions): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
  const { acct } = proxy;
  const { auth, history, log, scanning } = options;

  /** The digest the registry stored a pushed manifest under (it says so), else the one computed here. */
  const storedDigest = (headers: http.IncomingHttpHeaders, digest: string): string =>
    typeof headers['docker-content-digest'] === 'string' ? headers['docker-content-digest'] : digest;

  async function handleManifestPut(req: http.IncomingMessage, res: http.ServerResponse, name: string, reference: string): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req, MAX_MANIFEST_BYTES);
    } catch {
      registryError(res, 413, 'SIZE_INVALID', `manifest larger than ${MAX_MANIFEST_BYTES} bytes`);
      return;
    }
    const digest = manifestDigest(body);
    const refused = refusedMediaType(body);
    if (refused !== undefined) {
      log(`refused ${acct.id}/${name} ${digest}: media type with parameters (${refused})`);
      registryError(res, 405, 'UNSUPPORTED', UNSUPPORTED_MANIFEST);
      return;
    }
    // A manifest with a subject is recorded as its referrer, and the answer says the subject was processed.
    const contentType = typeof req.headers['content-type'] === 'string' ? req.headers['content-type'] : undefined;
    const noteReferrer = (stored: string): void => {
      const referrer = referrerOf(body, stored, contentType);
      if (!referrer) return;
      acct.meta.recordReferrer(name, referrer.subject, referrer.record);
      res.setHeader('oci-subject', referrer.subject);
    };
    if (DIGEST.test(reference)) {
      // By digest nothing is named, so there is nothing to check or to serialize.
      await forward(proxy, req, res, body, (status, headers) => {
        if (status !== 201) return;
        const stored = storedDigest(headers, digest);
        acct.meta.recordPush(name, stored);
        scanning.pushed(acct, name, stored);
        noteReferrer(stored);
        log(`pushed ${acct.id}/${name} ${stored}`);
      });
      return;
    }
    const tag = reference;
    await acct.locks.run(name, async () => {
      // Read again under the lock: the repository may have been deleted or its mutability changed meanwhile.
      const repo = acct.meta.get(name);
      if (!repo) {
        nameUnknown(res, acct, name);
        return;
      }
      const current = await acct.registry.resolveTag(name, tag);
      if (current !== undefined && current !== digest && isTagImmutable(repo, tag)) {
        log(`refused ${acct.id}/${name}:${tag} (immutable, has ${current}, pushed ${digest})`);
        registryError(res, 400, 'TAG_INVALID', immutableTagMessage(name, tag));
        return;
      }
      await forward(proxy, req, res, body, (status, headers) => {
        if (status !== 201) return;
        const stored = storedDigest(headers, digest);
        acct.meta.recordPush(name, stored);
        scanning.pushed(acct, name, stored);
        noteReferrer(stored);
        history.record(acct.id, name, tag, stored, current, 'push');
        log(`pushed ${acct.id}/${name}:${tag} ${stored}${current && current !== stored ? ` (was ${current})` : ''}`);
      });
    });
  }

  /**
   * `GET /v2/<name>/referrers/<digest>[?artifactType=]`: an image index of the manifests pushed with that subject
   * (an empty one for a digest nothing refers to: a registry with the API never answers 404 there), filtered and
   * saying so with `OCI-Filters-Applied` when asked; 400 for a digest that is not one (OCI distribution spec,
   * "Listing Referrers"). A referrer whose manifest is gone from the registry is not listed.
   */
  function listReferrers(req: http.IncomingMessage, res: http.ServerResponse, name: string, digest: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      registryError(res, 405, 'UNSUPPORTED', `${req.method} is not supported on the referrers API`);
      return;
    }
    if (!DIGEST.test(digest)) {
      registryError(res, 400, 'DIGEST_INVALID', 'provided digest did not match uploaded content', { digest });
      return;
    }
    const stored = acct.storage.revisions(name);
    const records = acct.meta.referrersOf(name, digest).filter((r) => stored.has(r.digest));
    const artifactType = new URL(req.url ?? '/', 'http://proxy').searchParams.get('artifactType');
    const { body, filtered } = referrersIndex(records, artifactType);
    res.writeHead(200, {
      'content-type': MEDIA_TYPES.ociIndex,
      'content-length': Buffer.byteLength(body),
      'docker-distribution-api-version': 'registry/2.0',
      ...(filtered ? { 'oci-filters-applied': 'artifactType' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  return async function handleProxy(req, res) {
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname === '/health' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ service: 'ecr-stand-in registry proxy', account: acct.id, backend: acct.registry.url.host }));
      return;
    }
    if (pathname !== '/v2' && !pathname.startsWith('/v2/')) {
      registryError(res, 404, 'NOT_FOUND', `${pathname} is not part of the registry API`);
      return;
    }
    if (!auth.authorized(req.headers.authorization)) {
      registryError(res, 401, 'UNAUTHORIZED', 'authentication required', null, { 'www-authenticate': 'Basic realm="ECR stand-in"' });
      req.resume();
      return;
    }
    const match = /^\/v2\/(.+?)\/(manifests|blobs|tags|referrers)\/(.*)$/.exec(pathname);
    if (match) {
      const name = decodeURIComponent(match[1]);
      const repo = acct.meta.get(name);
      if (!repo) {
        nameUnknown(res, acct, name);
        req.resume();
        return;
      }
      if (match[2] === 'referrers') {
        req.resume();
        listReferrers(req, res, name, decodeURIComponent(match[3]));
        return;
      }
      if (match[2] === 'manifests' && req.method === 'PUT') {
        await handleManifestPut(req, res, name, decodeURIComponent(match[3]));
        return;
      }
      const reference = decodeURIComponent(match[3]);
      if (match[2] === 'manifests' && req.method === 'DELETE' && DIGEST.test(reference)) {
        // A referrer deleted is listed no more.
        await forward(proxy, req, res, undefined, (status) => {
          if (status === 202) acct.meta.forgetManifest(name, reference);
        });
        return;
      }
    }
    await forward(proxy, req, res);
  };
}
