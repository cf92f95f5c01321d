/**
 * A pass-through proxy in front of the MCR stand-in registry, so tests can make "MCR" throttle, fail,
 * drop connections or answer slowly (POST /__faults) and count what a run pulled (GET /__stats), without
 * touching the registry itself. Everything else goes through unchanged and streamed, both ways.
 *
 * It also answers the MCR portal's tag catalog, `GET /api/v1/catalog/<repo>/tags`, which the original
 * pipeline downloaded (megabytes) to date the base image: the registry's current tags, dated by when this
 * proxy first saw each on its digest, after a synthetic history of older tags (mcr-catalog.ts).
 *
 *   docker pull localhost:5005/dotnet/runtime:6.0-bullseye-slim
 *   curl -I -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
 *     http://localhost:5005/v2/dotnet/runtime/manifests/6.0-bullseye-slim
 *   curl -s http://localhost:5005/api/v1/catalog/dotnet/runtime/tags | jq '.[] | select(.name == "6.0-bullseye-slim")'
 */
import * as http from 'node:http';
import { Instrumentation, REGISTRY_KINDS, registryKind } from './faults';
import { HOP_BY_HOP_HEADERS } from './hop-by-hop';
import { MANIFEST_ACCEPT } from './media-types';
import {
  catalogBody,
  currentRecord,
  type CatalogTag,
  type ImageFacts,
  imageSize,
  isIndexMediaType,
  MEDIA_TYPES,
  observe,
  representative,
  type Sighting,
  syntheticHistory,
  type SyntheticHistory,
} from './mcr-catalog';

const BIND = process.env.LOCAL_STACK_BIND ?? '127.0.0.1';
const PORT = Number(process.env.MCR_PROXY_PORT ?? 5005);
const UPSTREAM = new URL(process.env.MCR_PROXY_UPSTREAM ?? 'http://127.0.0.1:5001');
const HOP_BY_HOP = new Set([...HOP_BY_HOP_HEADERS, 'transfer-encoding']);

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** `/api/v1/catalog/<repo>/tags`; the repository may have slashes (dotnet/runtime). */
const CATALOG_PATH = /^\/api\/v1\/catalog\/(.+)\/tags\/?$/;

// Catalog downloads get their own bucket, so a benchmark can tell them from registry traffic.
const instrumentation = new Instrumentation({
  service: 'mcr-proxy',
  flavor: 'registry',
  kindOf: (_req, pathname) => (CATALOG_PATH.test(pathname) ? 'catalog' : registryKind(pathname)),
  kinds: [...REGISTRY_KINDS, 'catalog'],
  log,
});

function upstreamError(res: http.ServerResponse, err: Error): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify({
    errors: [{ code: 'UNAVAILABLE', message: `MCR stand-in ${UPSTREAM.host}: ${err.message}`, detail: null }],
  });
  res.writeHead(502, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The client's Host header goes to the registry unchanged: the registry builds absolute Location URLs
 * (uploads, redirects) from it, and they must lead back through this proxy, not around it to the registry.
 */
function forward(req: http.IncomingMessage, res: http.ServerResponse): void {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(key)) headers[key] = value;
  }
  const pathname = (req.url ?? '/').split('?')[0];
  const countBlobBytes = req.method === 'GET' && registryKind(pathname) === 'blobs';
  const upstream = http.request(
    { host: UPSTREAM.hostname, port: UPSTREAM.port, method: req.method, path: req.url, headers, agent },
    (up) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [key, value] of Object.entries(up.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(key)) out[key] = value;
      }
      const status = up.statusCode ?? 502;
      if (countBlobBytes && status >= 200 && status < 300)
        up.on('data', (chunk: Buffer) => instrumentation.stats.addBlobBytes(chunk.length));
      res.writeHead(status, out);
      up.pipe(res);
      up.on('error', () => res.destroy());
    },
  );
  upstream.on('error', (err) => upstreamError(res, err));
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

// ---------------------------------------------------------------------------------------------------
// The portal's tag catalog

// Without an Accept header registry 2.8 converts to schema1 and answers with another digest.
const UPSTREAM_TIMEOUT_MS = 30_000;
// A repository with hundreds of tags should not open hundreds of connections to the registry at once.
const TAG_CONCURRENCY = 8;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request to the registry, read whole (lists, manifests and configs are small). */
function ask(method: 'GET' | 'HEAD', path: string, headers: http.OutgoingHttpHeaders = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: UPSTREAM.hostname, port: UPSTREAM.port, method, path, headers, agent, timeout: UPSTREAM_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${UPSTREAM_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

async function askJson<T>(path: string, headers: http.OutgoingHttpHeaders = {}): Promise<T> {
  const answer = await ask('GET', path, headers);
  if (answer.status !== 200) throw new Error(`GET ${path}: HTTP ${answer.status}`);
  return JSON.parse(answer.body.toString('utf8')) as T;
}

/** Built once per repository (about 0.1 s): the same bytes for every request after the first. */
const histories = new Map<string, SyntheticHistory>();
/** Per "repo:tag", the digest it named when last seen and when it moved there. */
const sightings = new Map<string, Sighting>();
/** Per "repo@digest": what a digest is never changes, so it is looked up once. */
const facts = new Map<string, Promise<ImageFacts>>();

interface Manifest {
  mediaType?: string;
  config?: { digest?: string; size?: number };
  layers?: { size?: number }[];
  manifests?: { mediaType?: string; digest?: string; size?: number; platform?: { os?: string; architecture?: string } }[];
}

async function imageFacts(repository: string, digest: string): Promise<ImageFacts> {
  const manifest = await askJson<Manifest>(`/v2/${repository}/manifests/${digest}`, { accept: MANIFEST_ACCEPT });
  const mediaType = manifest.mediaType ?? MEDIA_TYPES.dockerManifest;
  if (isIndexMediaType(mediaType)) {
    // The portal describes a multi-arch tag by its linux/amd64 image.
    const child = representative(manifest);
    const inner = child?.digest ? await factsOf(repository, child.digest) : undefined;
    return {
      mediaType,
      operatingSystem: child?.platform?.os ?? inner?.operatingSystem ?? 'linux',
      architecture: 'multiarch',
      size: inner?.size ?? 0,
    };
  }
  const config = manifest.config?.digest
    ? await askJson<{ os?: string; architecture?: string }>(`/v2/${repository}/blobs/${manifest.config.digest}`)
    : {};
  return { mediaType, operatingSystem: config.os ?? 'linux', architecture: config.architecture ?? 'amd64', size: imageSize(manifest) };
}

function factsOf(repository: string, digest: string): Promise<ImageFacts> {
  const key = `${repository}@${digest}`;
  let found = facts.get(key);
  if (!found) {
    found = imageFacts(repository, digest);
    // A failed lookup is tried again next time rather than remembered.
    found.catch(() => facts.delete(key));
    facts.set(key, found);
  }
  return found;
}

/** The repository's tags as the registry has them now: each HEADed for its digest on every request. */
async function currentTags(repository: string): Promise<CatalogTag[] | undefined> {
  const list = await ask('GET', `/v2/${repository}/tags/list`);
  if (list.status === 404) return undefined;
  if (list.status !== 200) throw new Error(`GET /v2/${repository}/tags/list: HTTP ${list.status}`);
  const tags = [...((JSON.parse(list.body.toString('utf8')) as { tags?: string[] | null }).tags ?? [])].sort();
  const records = new Array<CatalogTag | undefined>(tags.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tags.length) {
      const i = next++;
      const head = await ask('HEAD', `/v2/${repository}/manifests/${encodeURIComponent(tags[i])}`, { accept: MANIFEST_ACCEPT });
      // Deleted between the list and the HEAD: it is not a tag any more.
      if (head.status === 404) continue;
      const digest = head.headers['docker-content-digest'];
      if (head.status !== 200 || typeof digest !== 'string')
        throw new Error(`HEAD /v2/${repository}/manifests/${tags[i]}: HTTP ${head.status}, no digest`);
      const key = `${repository}:${tags[i]}`;
      const sighting = observe(sightings.get(key), digest, new Date());
      sightings.set(key, sighting);
      records[i] = currentRecord(repository, tags[i], sighting, await factsOf(repository, digest));
    }
  };
  await Promise.all(Array.from({ length: Math.min(TAG_CONCURRENCY, tags.length) }, worker));
  return records.filter((record): record is CatalogTag => record !== undefined);
}

async function catalog(req: http.IncomingMessage, res: http.ServerResponse, repository: string): Promise<void> {
  req.resume();
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const text = JSON.stringify({ errors: [{ code: 'UNSUPPORTED', message: 'GET or HEAD only', detail: null }] });
    res.writeHead(405, {
      allow: 'GET, HEAD',
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
    return;
  }
  const current = await currentTags(repository);
  if (!current) {
    const text = JSON.stringify({
      errors: [{ code: 'NAME_UNKNOWN', message: `repository ${repository} not known to the MCR stand-in`, detail: { name: repository } }],
    });
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  let history = histories.get(repository);
  if (!history) {
    // Dated a week before now at the latest, so no history record looks newer than the stand-in's own pushes.
    history = syntheticHistory(repository, { until: new Date(Date.now() - 7 * 86_400_000) });
    histories.set(repository, history);
    log(`catalog ${repository}: history of ${history.records.length} tags, ${history.joined.length} bytes`);
  }
  const chunks = catalogBody(history, current);
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': chunks.reduce((sum, chunk) => sum + chunk.length, 0),
    'cache-control': 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  for (const chunk of chunks) res.write(chunk);
  res.end();
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const pathname = (req.url ?? '/').split('?')[0];
  const catalogMatch = CATALOG_PATH.exec(pathname);
  if (catalogMatch) return catalog(req, res, decodeURIComponent(catalogMatch[1]));
  if (pathname === '/health' && req.method === 'GET') {
    const text = JSON.stringify({ service: 'mcr-proxy', upstream: UPSTREAM.host });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  forward(req, res);
}

const server = http.createServer((req, res) => {
  instrumentation
    .handle(req, res, () => handle(req, res))
    .catch((err: unknown) => {
      log(`${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      upstreamError(res, err as Error);
    });
});
// Layers can take long to stream; the defaults would cut them off.
server.requestTimeout = 0;
server.headersTimeout = 60_000;
// Longer than clients' idle keep-alive, so the server never closes a socket a client is about to reuse.
server.keepAliveTimeout = 30_000;
server.on('error', (err) => {
  log(`cannot listen on ${BIND}:${PORT}: ${err.message}`);
  process.exit(1);
});
server.listen(PORT, BIND, () => log(`mcr proxy listening on http://${BIND}:${PORT}, forwarding to ${UPSTREAM.href}`));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    // Delayed and hanging requests would otherwise keep the server from closing.
    instrumentation.close();
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    agent.destroy();
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
