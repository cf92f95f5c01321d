/**
 * Stands in for Microsoft Teams incoming webhooks: every card POSTed to any path is kept, so tests can read
 * back what the pipeline would have shown people.
 *
 *   POST /<any path>   JSON body → 202, kept in memory and appended to teams-cards.jsonl
 *   GET  /cards        everything received, oldest first (?path=/webhook/x keeps one webhook's cards)
 *   DELETE /cards      forgets what is in memory (the .jsonl file stays as a log)
 *
 * Fault rules (/__faults) make it answer like a throttled or failing Teams, e.g. 429 with Retry-After;
 * /__stats counts requests by path (faults.ts).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { Instrumentation } from './faults';

const STATE_DIR = process.env.LOCAL_STACK_STATE ?? path.join(__dirname, '.state');
const BIND = process.env.LOCAL_STACK_BIND ?? '127.0.0.1';
const PORT = Number(process.env.TEAMS_SINK_PORT ?? 5004);
const LOG_FILE = path.join(STATE_DIR, 'teams-cards.jsonl');
// Real Teams refuses cards above roughly 28 KB; a generous cap still catches runaway payloads.
const MAX_BODY_BYTES = 1024 * 1024;

interface Card {
  path: string;
  receivedAt: string;
  body: unknown;
}

let cards: Card[] = [];

function send(res: http.ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status, { 'content-length': 0 });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sink');
  if (url.pathname === '/health' && req.method === 'GET') {
    send(res, 200, { service: 'teams-sink', cards: cards.length });
    return;
  }
  if (url.pathname === '/cards' && req.method === 'GET') {
    const only = url.searchParams.get('path');
    send(res, 200, only === null ? cards : cards.filter((card) => card.path === only));
    return;
  }
  if (url.pathname === '/cards' && req.method === 'DELETE') {
    cards = [];
    send(res, 204);
    return;
  }
  if (req.method !== 'POST') {
    send(res, 405, { error: `${req.method} is not supported here: POST a card, or GET/DELETE /cards` });
    return;
  }
  const raw = await readBody(req);
  if (raw === undefined) {
    send(res, 413, { error: `body larger than ${MAX_BODY_BYTES} bytes` });
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    send(res, 400, { error: `body is not valid JSON: ${(err as Error).message}` });
    return;
  }
  const card: Card = { path: url.pathname, receivedAt: new Date().toISOString(), body };
  cards.push(card);
  fs.mkdirSync(STATE_DIR, { recursive: true });
  fs.appendFileSync(LOG_FILE, `${JSON.stringify(card)}\n`);
  process.stdout.write(`${card.receivedAt} card on ${card.path} (${raw.length} bytes)\n`);
  send(res, 202);
}

const instrumentation = new Instrumentation({
  service: 'teams-sink',
  flavor: 'plain',
  // By webhook path: each path is one channel's webhook.
  kindOf: (_req, pathname) => pathname,
  log: (message) => process.stdout.write(`${new Date().toISOString()} ${message}\n`),
});

const server = http.createServer((req, res) => {
  instrumentation
    .handle(req, res, () => handle(req, res))
    .catch((err: unknown) => {
      process.stdout.write(`${new Date().toISOString()} ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}\n`);
      if (!res.headersSent) send(res, 500, { error: (err as Error).message });
      else res.destroy();
    });
});
server.on('error', (err) => {
  process.stdout.write(`cannot listen on ${BIND}:${PORT}: ${err.message}\n`);
  process.exit(1);
});
// Longer than clients' idle keep-alive (undici: 4 s), so the server never closes a socket a client is reusing.
server.keepAliveTimeout = 30_000;
server.listen(PORT, BIND, () => process.stdout.write(`${new Date().toISOString()} teams sink listening on http://${BIND}:${PORT}\n`));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    // Delayed and hanging requests would otherwise keep the server from closing.
    instrumentation.close();
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 1000).unref();
  });
}
