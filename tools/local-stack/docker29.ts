/**
 * `docker push` the way Docker Engine 29 pushes on a fresh install, for an engine that cannot: the
 * containerd image store is its default there ("containerd image store with Docker Engine",
 * docs.docker.com/engine/storage/containerd/), BuildKit attaches a minimal provenance attestation by
 * default (buildx reference, `--provenance`; "Build attestations", docs.docker.com/build/metadata/attestations/),
 * and the push sends an OCI image index holding the image and its attestation manifest (attestation.ts has
 * the shape and its references). The engine here is Debian's 20.10 (classic store), which pushes one manifest.
 *
 *   docker29.sh [--config DIR] push REGISTRY/REPOSITORY:TAG
 *
 * The real engine still pushes the image (its layers, config and manifest), through a relay on a loopback
 * port that passes every request to the registry unchanged except the manifest PUT by tag, which it sends
 * by digest instead: a push of an index uploads the manifests it lists by digest and names only the index
 * by the tag (containerd remotes/docker/pusher.go, getManifestPath), so in a repository whose tags are
 * immutable the tag never names the single manifest. Then the provenance statement, the attestation config
 * and manifest and the index are uploaded with the registry API (OCI distribution spec: blob uploads,
 * `PUT /v2/<name>/manifests/<digest|tag>`), with the credentials `docker login` stored in the `--config`
 * directory, and the closing line names the index, as Docker 29 prints it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import * as path from 'node:path';
import { attestedPush, authorizationFor, blobOf, MEDIA, pushResultLine, type Blob, type Platform, type PushedImage } from './attestation';
import { LABELS } from '../../packages/nx-plugin/src/types/annotations';
import { MANIFEST_ACCEPT } from './media-types';

const REAL_DOCKER = process.env.DOCKER29_REAL_CLI || 'docker';
const DIGEST = /^sha256:[0-9a-f]{64}$/;

class PushError extends Error {}

interface Reference {
  registry: string;
  repository: string;
  tag: string;
}

function parseReference(ref: string): Reference {
  const slash = ref.indexOf('/');
  const colon = ref.lastIndexOf(':');
  if (slash < 0 || colon < slash) throw new PushError(`${ref}: expected REGISTRY/REPOSITORY:TAG`);
  return { registry: ref.slice(0, slash), repository: ref.slice(slash + 1, colon), tag: ref.slice(colon + 1) };
}

/** Loopback registries speak plain HTTP (Docker allows them insecure), everything else HTTPS. */
function baseUrl(registry: string): string {
  return /^(localhost|127\.[\d.]+)(:\d+)?$/.test(registry) ? `http://${registry}` : `https://${registry}`;
}

/** The global options before the command (`--config DIR`), the pushed reference after it. */
function parseArgs(argv: string[]): { configDir: string; globals: string[]; ref: string } {
  const at = argv.indexOf('push');
  if (at < 0 || at === argv.length - 1) throw new PushError('usage: docker29.sh [--config DIR] push REFERENCE');
  const globals = argv.slice(0, at);
  const rest = argv.slice(at + 1);
  if (rest.length !== 1) throw new PushError(`only "push REFERENCE" is emulated, got: push ${rest.join(' ')}`);
  let configDir = process.env.DOCKER_CONFIG || path.join(homedir(), '.docker');
  for (let i = 0; i < globals.length; i++) {
    if (globals[i] === '--config') configDir = globals[++i];
    else if (globals[i].startsWith('--config=')) configDir = globals[i].slice('--config='.length);
  }
  return { configDir, globals, ref: rest[0] };
}

/** The global options with `--config` pointing at another directory. */
function withConfig(globals: string[], configDir: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < globals.length; i++) {
    if (globals[i] === '--config') i++;
    else if (!globals[i].startsWith('--config=')) out.push(globals[i]);
  }
  return [...out, '--config', configDir];
}

// ---------------------------------------------------------------------------------------------------
// The relay the engine pushes through

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
];

function withoutHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = { ...headers };
  for (const name of HOP_BY_HOP) delete out[name];
  return out;
}

interface Relay {
  port: number;
  /** The manifest the engine pushed, once it has. */
  pushed?: { digest: string; size: number; mediaType: string };
  close(): void;
}

function startRelay(upstream: URL): Promise<Relay> {
  const agent = new http.Agent({ keepAlive: true });
  const relay: Relay = { port: 0, close: () => undefined };
  const server = http.createServer((req, res) => {
    const send = (
      method: string,
      target: string,
      body?: Buffer,
      onAnswer?: (status: number, headers: http.IncomingHttpHeaders) => void,
    ) => {
      const headers = withoutHopByHop(req.headers);
      if (body) headers['content-length'] = String(body.length);
      // Host stays the relay's, so the upload URLs the registry answers with lead back here.
      const out = http.request({ host: upstream.hostname, port: upstream.port, method, path: target, headers, agent }, (up) => {
        onAnswer?.(up.statusCode ?? 502, up.headers);
        res.writeHead(up.statusCode ?? 502, withoutHopByHop(up.headers));
        up.pipe(res);
      });
      out.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`relay: ${err.message}`);
      });
      if (body) out.end(body);
      else req.pipe(out);
    };
    const url = req.url ?? '/';
    const manifestByTag = /^\/v2\/(.+)\/manifests\/([^/?]+)$/.exec(url.split('?')[0]);
    if (req.method === 'PUT' && manifestByTag && !DIGEST.test(decodeURIComponent(manifestByTag[2]))) {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const manifest = blobOf(Buffer.concat(chunks));
        const mediaType = String(req.headers['content-type'] ?? '')
          .split(';')[0]
          .trim();
        send('PUT', `/v2/${manifestByTag[1]}/manifests/${manifest.digest}`, manifest.bytes, (status) => {
          if (status === 201) relay.pushed = { digest: manifest.digest, size: manifest.size, mediaType };
        });
      });
      return;
    }
    send(req.method ?? 'GET', url);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      relay.port = (server.address() as AddressInfo).port;
      relay.close = () => {
        server.close();
        server.closeAllConnections();
        agent.destroy();
      };
      resolve(relay);
    });
  });
}

/** Runs the real CLI, passing its output through line by line after `rewrite`; resolves with its exit code. */
function runDocker(args: string[], rewrite: (line: string) => string | undefined): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(REAL_DOCKER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const [stream, target] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ] as const) {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          const out = rewrite(line);
          if (out !== undefined) target.write(`${out}\n`);
        }
      });
      stream.on('end', () => {
        const out = pending && rewrite(pending);
        if (out) target.write(`${out}\n`);
      });
    }
    child.on('error', () => resolve(127));
    child.on('close', (code) => resolve(code ?? 1));
  });
}

function dockerQuiet(args: string[]): void {
  const result = spawnSync(REAL_DOCKER, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new PushError(`docker ${args.join(' ')}: ${(result.stderr || result.stdout).trim()}`);
}

// ---------------------------------------------------------------------------------------------------
// The registry API

class Registry {
  private readonly base: string;

  constructor(
    private readonly ref: Reference,
    private readonly authorization: string | undefined,
  ) {
    this.base = baseUrl(ref.registry);
  }

  private async call(method: string, url: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Response> {
    const response = await fetch(url.startsWith('http') ? url : `${this.base}${url}`, {
      method,
      headers: { ...(this.authorization ? { Authorization: this.authorization } : {}), ...headers },
      body,
    });
    return response;
  }

  private async expect(response: Response, statuses: number[], what: string): Promise<Response> {
    if (statuses.includes(response.status)) return response;
    throw new PushError(`${what}: HTTP ${response.status} ${(await response.text()).slice(0, 300)}`);
  }

  async getJson<T>(suffix: string, accept?: string): Promise<T> {
    const response = await this.call('GET', `/v2/${this.ref.repository}/${suffix}`, accept ? { Accept: accept } : {});
    return (await (await this.expect(response, [200], `GET ${suffix}`)).json()) as T;
  }

  /** Uploads a blob unless the repository has it already (a monolithic upload: POST, then PUT with the digest). */
  async putBlob(blob: Blob): Promise<boolean> {
    const head = await this.call('HEAD', `/v2/${this.ref.repository}/blobs/${blob.digest}`);
    if (head.status === 200) return false;
    const started = await this.expect(
      await this.call('POST', `/v2/${this.ref.repository}/blobs/uploads/`),
      [202],
      `POST blob upload ${blob.digest}`,
    );
    const location = started.headers.get('location');
    if (!location) throw new PushError(`POST blob upload ${blob.digest}: no Location`);
    const url = new URL(location, this.base);
    url.searchParams.set('digest', blob.digest);
    await this.expect(
      await this.call('PUT', url.toString(), { 'Content-Type': 'application/octet-stream' }, blob.bytes),
      [201],
      `PUT blob ${blob.digest}`,
    );
    return true;
  }

  async putManifest(reference: string, mediaType: string, manifest: Blob): Promise<void> {
    await this.expect(
      await this.call('PUT', `/v2/${this.ref.repository}/manifests/${reference}`, { 'Content-Type': mediaType }, manifest.bytes),
      [201],
      `PUT manifest ${reference}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------

async function push(argv: string[]): Promise<number> {
  const { configDir, globals, ref } = parseArgs(argv);
  const target = parseReference(ref);
  const authorization = authorizationFor(readFileSync(path.join(configDir, 'config.json'), 'utf8'), target.registry);
  const relay = await startRelay(new URL(baseUrl(target.registry)));
  const relayHost = `localhost:${relay.port}`;
  const relayRef = `${relayHost}/${target.repository}:${target.tag}`;
  const relayConfig = mkdtempSync(path.join(tmpdir(), 'docker29-'));
  const startedOn = new Date().toISOString();
  try {
    // The engine logs in to the relay with the same credentials (it answers the registry's own challenge).
    writeFileSync(
      path.join(relayConfig, 'config.json'),
      JSON.stringify({ auths: authorization ? { [relayHost]: { auth: authorization.replace(/^Basic /, '') } } : {} }),
    );
    dockerQuiet([...globals, 'tag', ref, relayRef]);
    const code = await runDocker([...withConfig(globals, relayConfig), 'push', relayRef], (line) => {
      // The engine's own closing line names the single manifest: Docker 29's names the index, below.
      if (/^\S+: digest: sha256:[0-9a-f]{64} size: \d+$/.test(line.trim())) return undefined;
      return line.split(relayHost).join(target.registry);
    });
    spawnSync(REAL_DOCKER, [...globals, 'image', 'rm', relayRef], { stdio: 'ignore' });
    if (code !== 0) return code;
    if (!relay.pushed) throw new PushError(`the engine pushed ${ref} without a manifest`);

    const registry = new Registry(target, authorization);
    const manifest = await registry.getJson<{ config?: { digest: string } }>(`manifests/${relay.pushed.digest}`, MANIFEST_ACCEPT);
    if (!manifest.config?.digest) throw new PushError(`${ref}: the pushed manifest has no config`);
    const config = await registry.getJson<{
      architecture: string;
      os: string;
      variant?: string;
      config?: { Labels?: Record<string, string> | null };
    }>(`blobs/${manifest.config.digest}`);
    const labels = config.config?.Labels ?? {};
    const platform: Platform = { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) };
    const image: PushedImage = {
      ...relay.pushed,
      platform,
      reference: ref,
      ...(labels[LABELS.baseName] && labels[LABELS.baseDigest]
        ? { base: { name: labels[LABELS.baseName], digest: labels[LABELS.baseDigest] } }
        : {}),
    };
    const { blobs, attestation, index } = attestedPush(image, {
      invocationId: randomBytes(13).toString('hex'),
      startedOn,
      finishedOn: new Date().toISOString(),
    });
    for (const blob of blobs) {
      const uploaded = await registry.putBlob(blob);
      process.stdout.write(`${blob.digest.slice(7, 19)}: ${uploaded ? 'Pushed' : 'Layer already exists'}\n`);
    }
    await registry.putManifest(attestation.digest, MEDIA.ociManifest, attestation);
    await registry.putManifest(target.tag, MEDIA.ociIndex, index);
    process.stdout.write(`${pushResultLine(target.tag, index)}\n`);
    return 0;
  } finally {
    relay.close();
    rmSync(relayConfig, { recursive: true, force: true });
  }
}

push(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof PushError ? err.message : ((err as Error).stack ?? String(err))}\n`);
    process.exit(1);
  },
);
