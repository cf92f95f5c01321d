/**
 * A pass-through proxy in front of the MCR stand-in registry, so tests can make "MCR" throttle, fail,
 * drop connections or answer slowly (POST /__faults) and count what a run pulled (GET /__stats), without
 * touching the registry itself. Everything else goes through unchanged and streamed, both ways.
 *
 *   docker pull localhost:5005/dotnet/runtime:6.0-bullseye-slim
 *   curl -I -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
 *     http://localhost:5005/v2/dotnet/runtime/manifests/6.0-bullseye-slim
 */
import * as http from 'node:http';
import { registryInstrumentation, registryKind } from './faults';

const BIND = process.env.LOCAL_STACK_BIND ?? '127.0.0.1';
const PORT = Number(process.env.MCR_PROXY_PORT ?? 5005);
const UPSTREAM = new URL(process.env.MCR_PROXY_UPSTREAM ?? 'http://127.0.0.1:5001');
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authorization', 'proxy-authenticate', 'proxy-connection', 'te', 'trailer', 'upgrade', 'transfer-encoding']);

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const instrumentation = registryInstrumentation('mcr-proxy', log);

function upstreamError(res: http.ServerResponse, err: Error): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: `MCR stand-in ${UPSTREAM.host}: ${err.message}`, detail: null }] });
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
  const upstream = http.request({ host: UPSTREAM.hostname, port: UPSTREAM.port, method: req.method, path: req.url, headers, agent }, (up) => {
    const out: http.OutgoingHttpHeaders = {};
    for (const [key, value] of Object.entries(up.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(key)) out[key] = value;
    }
    const status = up.statusCode ?? 502;
    if (countBlobBytes && status >= 200 && status < 300) up.on('data', (chunk: Buffer) => instrumentation.stats.addBlobBytes(chunk.length));
    res.writeHead(status, out);
    up.pipe(res);
    up.on('error', () => res.destroy());
  });
  upstream.on('error', (err) => upstreamError(res, err));
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if ((req.url ?? '/').split('?')[0] === '/health' && req.method === 'GET') {
    const text = JSON.stringify({ service: 'mcr-proxy', upstream: UPSTREAM.host });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  forward(req, res);
}

const server = http.createServer((req, res) => {
  instrumentation.handle(req, res, () => handle(req, res)).catch((err: unknown) => {
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
