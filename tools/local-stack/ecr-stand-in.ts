/**
 * A local stand-in for AWS ECR and STS, so the product can publish images on a machine that cannot reach AWS.
 *
 * - API port (default 127.0.0.1:5003): the AWS JSON 1.1 protocol exactly as @aws-sdk/client-ecr and the
 *   AWS CLI send it. Only ECR answers there: STS has its own endpoint in AWS (sts.<region>.amazonaws.com,
 *   AWS General Reference, "Service endpoints"), so an STS call sent to the ECR endpoint gets ECR's answer
 *   to an operation it does not know.
 * - STS port (default 127.0.0.1:5006): GetCallerIdentity and AssumeRole (sts.ts); temporary credentials
 *   expire like real ones, and ECR API calls signed with expired ones are refused (aws-credentials.ts).
 * - One registry port per account (defaults: the caller's account 000000000000 on 127.0.0.1:5002, another
 *   account 111111111111 on 127.0.0.1:5007): an authenticating proxy in front of that account's own plain
 *   distribution registry (127.0.0.1:5012, 127.0.0.1:5013). In AWS every account has its own registry host,
 *   `<account>.dkr.ecr.<region>.amazonaws.com` (ECR User Guide, "Amazon ECR private registry"). Like real
 *   ECR a proxy wants Basic auth with the GetAuthorizationToken password, which works on every registry the
 *   caller may use (ECR API reference, GetAuthorizationToken), refuses pushes to repositories nobody created,
 *   and keeps immutable tags (IMMUTABLE, and the *_WITH_EXCLUSION settings) from moving.
 *
 * Repository settings live in a small JSON file; what is in a repository is always read from the backing
 * registry, so the two cannot drift apart. The backing registry's storage directory is read only to find
 * untagged manifests and to remove single tags, which the registry API cannot do.
 *
 * Like ECR, a tag is assigned atomically: the mutability check and the write of a manifest PUT by tag
 * (or a PutImage) run one at a time per repository, so of two racing pushes of one immutable tag exactly
 * one wins. Every assignment is recorded (GET /__history on the API port). Both ports take fault rules
 * and count requests (faults.ts).
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import {
  immutableTagMessage,
  isTagImmutable,
  type MutabilitySetting,
  MUTABILITIES,
  type Mutability,
  parseMutabilitySetting,
  InvalidMutabilityError,
  type ExclusionFilter,
} from './ecr-tag-rules';
import { CredentialStore, EXPIRED_MESSAGE, INVALID_TOKEN_MESSAGE } from './aws-credentials';
import { Instrumentation, registryInstrumentation, registryKind } from './faults';
import { isIndexMediaType, MANIFEST_ACCEPT } from './media-types';
import { stsHandler } from './sts';

const STATE_DIR = process.env.LOCAL_STACK_STATE ?? path.join(__dirname, '.state');
const BIND = process.env.LOCAL_STACK_BIND ?? '127.0.0.1';
const API_PORT = Number(process.env.ECR_STAND_IN_API_PORT ?? 5003);
const STS_PORT = Number(process.env.ECR_STAND_IN_STS_PORT ?? 5006);
const PROXY_PORT = Number(process.env.ECR_STAND_IN_PROXY_PORT ?? 5002);
const HISTORY_FILE = process.env.ECR_STAND_IN_HISTORY ?? path.join(STATE_DIR, 'ecr-history.jsonl');
const ACCOUNT = process.env.ECR_STAND_IN_ACCOUNT ?? '000000000000';
const DEFAULT_REGION = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'eu-west-1';
const PASSWORD = process.env.ECR_STAND_IN_PASSWORD || randomBytes(24).toString('base64url');
const TOKEN_TTL_SECONDS = 12 * 3600;
const STARTED_AT = Date.now() / 1000;

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

type Json = Record<string, unknown>;

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

// ---------------------------------------------------------------------------------------------------
// Repository settings

interface RepositoryMeta extends MutabilitySetting {
  createdAt: number;
  scanOnPush: boolean;
  /** digest → epoch seconds of the first manifest PUT seen through the proxy. */
  pushedAt: Record<string, number>;
}

class MetaStore {
  private repositories: Record<string, RepositoryMeta> = {};

  constructor(private readonly file: string) {
    this.load();
  }

  private load(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    const parsed = JSON.parse(text) as { repositories?: Record<string, Partial<RepositoryMeta>> };
    for (const [name, repo] of Object.entries(parsed.repositories ?? {})) {
      const mutability = (MUTABILITIES as readonly unknown[]).includes(repo.imageTagMutability)
        ? (repo.imageTagMutability as Mutability)
        : 'MUTABLE';
      this.repositories[name] = {
        createdAt: typeof repo.createdAt === 'number' ? repo.createdAt : STARTED_AT,
        imageTagMutability: mutability,
        exclusionFilters: Array.isArray(repo.exclusionFilters) ? repo.exclusionFilters : [],
        scanOnPush: repo.scanOnPush === true,
        pushedAt: { ...(repo.pushedAt ?? {}) },
      };
    }
  }

  private save(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    // Written whole and renamed so a crash never leaves half a file behind.
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify({ repositories: this.repositories }, null, 2)}\n`);
    fs.renameSync(tmp, this.file);
  }

  get(name: string): RepositoryMeta | undefined {
    return Object.prototype.hasOwnProperty.call(this.repositories, name) ? this.repositories[name] : undefined;
  }

  names(): string[] {
    return Object.keys(this.repositories).sort();
  }

  create(name: string, setting: MutabilitySetting, scanOnPush: boolean): RepositoryMeta {
    const repo: RepositoryMeta = { createdAt: Date.now() / 1000, ...setting, scanOnPush, pushedAt: {} };
    this.repositories[name] = repo;
    this.save();
    return repo;
  }

  delete(name: string): void {
    delete this.repositories[name];
    this.save();
  }

  update(name: string, change: (repo: RepositoryMeta) => void): void {
    const repo = this.get(name);
    if (!repo) return;
    change(repo);
    this.save();
  }

  recordPush(name: string, digest: string): void {
    const repo = this.get(name);
    if (!repo || repo.pushedAt[digest] !== undefined) return;
    repo.pushedAt[digest] = Date.now() / 1000;
    this.save();
  }
}

// ---------------------------------------------------------------------------------------------------
// Accounts: each with its own registry host, backing registry, storage and repository settings

interface Account {
  id: string;
  proxyPort: number;
  /** What clients are told to push to: "localhost" rather than 127.0.0.1 because Docker treats both as
   * insecure-allowed, and the repository URIs then read like the registry host users type. */
  registryHost: string;
  backend: URL;
  storage: string;
  meta: MetaStore;
  /** Manifests are content-addressed, so a fetched one never changes. */
  manifests: Map<string, ManifestInfo>;
  locks: Map<string, Promise<void>>;
}

function account(id: string, proxyPort: number, backend: string, storage: string, metaFile: string): Account {
  return {
    id,
    proxyPort,
    registryHost: `localhost:${proxyPort}`,
    backend: new URL(backend),
    storage,
    meta: new MetaStore(metaFile),
    manifests: new Map(),
    locks: new Map(),
  };
}

/** `<account>=<proxy port>:<backing registry port>`, comma-separated: accounts other than the caller's. */
function otherAccounts(spec: string): Account[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = /^(\d{12})=(\d+):(\d+)$/.exec(entry);
      if (!match) throw new Error(`ECR_STAND_IN_OTHER_ACCOUNTS: "${entry}" is not <12-digit account>=<proxy port>:<backing port>`);
      return account(
        match[1],
        Number(match[2]),
        `http://127.0.0.1:${match[3]}`,
        path.join(STATE_DIR, `ecr-data-${match[1]}`),
        path.join(STATE_DIR, `ecr-meta-${match[1]}.json`),
      );
    });
}

/** The caller's own account: where credentials of the stack belong, and what GetAuthorizationToken's proxyEndpoint names. */
const CALLER = account(
  ACCOUNT,
  PROXY_PORT,
  process.env.ECR_STAND_IN_BACKEND ?? 'http://127.0.0.1:5012',
  process.env.ECR_STAND_IN_STORAGE ?? path.join(STATE_DIR, 'ecr-data'),
  process.env.ECR_STAND_IN_META ?? path.join(STATE_DIR, 'ecr-meta.json'),
);
const ACCOUNTS = [CALLER, ...otherAccounts(process.env.ECR_STAND_IN_OTHER_ACCOUNTS ?? '111111111111=5007:5013')];

// ---------------------------------------------------------------------------------------------------
// The backing registry

const backendAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });

interface BackendResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

class BackendError extends Error {}

function backend(
  acct: Account,
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<BackendResponse> {
  const BACKEND = acct.backend;
  return new Promise((resolve, reject) => {
    const sent: http.OutgoingHttpHeaders = { host: BACKEND.host, ...headers };
    if (body) sent['content-length'] = body.length;
    const req = http.request(
      { host: BACKEND.hostname, port: BACKEND.port, method, path: target, headers: sent, agent: backendAgent },
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

function repoPath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

function unexpected(res: BackendResponse, what: string): BackendError {
  return new BackendError(`backing registry answered ${res.status} to ${what}: ${res.body.toString('utf8').slice(0, 300)}`);
}

async function listTags(acct: Account, name: string): Promise<string[]> {
  const res = await backend(acct, 'GET', `/v2/${repoPath(name)}/tags/list`);
  if (res.status === 404) return [];
  if (res.status !== 200) throw unexpected(res, `tags/list of ${name}`);
  const tags = (JSON.parse(res.body.toString('utf8')) as { tags?: string[] | null }).tags;
  return Array.isArray(tags) ? tags : [];
}

async function resolveTag(acct: Account, name: string, tag: string): Promise<string | undefined> {
  const res = await backend(acct, 'HEAD', `/v2/${repoPath(name)}/manifests/${encodeURIComponent(tag)}`, { accept: MANIFEST_ACCEPT });
  if (res.status === 404) return undefined;
  const digest = res.headers['docker-content-digest'];
  if (res.status !== 200 || typeof digest !== 'string') throw unexpected(res, `HEAD manifest ${name}:${tag}`);
  return digest;
}

interface Descriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
}

interface ManifestInfo {
  digest: string;
  mediaType: string;
  /** The manifest bytes exactly as stored, so their digest is the image digest. */
  body: Buffer;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

async function fetchManifest(acct: Account, name: string, digest: string): Promise<ManifestInfo | undefined> {
  const key = `${name}@${digest}`;
  const cached = acct.manifests.get(key);
  if (cached) return cached;
  const res = await backend(acct, 'GET', `/v2/${repoPath(name)}/manifests/${digest}`, { accept: MANIFEST_ACCEPT });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw unexpected(res, `GET manifest ${name}@${digest}`);
  const parsed = JSON.parse(res.body.toString('utf8')) as {
    mediaType?: string;
    config?: Descriptor;
    layers?: Descriptor[];
    manifests?: Descriptor[];
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
  };
  acct.manifests.set(key, info);
  return info;
}

async function deleteManifest(acct: Account, name: string, digest: string): Promise<void> {
  const res = await backend(acct, 'DELETE', `/v2/${repoPath(name)}/manifests/${digest}`, { accept: MANIFEST_ACCEPT });
  if (res.status !== 202 && res.status !== 404) throw unexpected(res, `DELETE manifest ${name}@${digest}`);
}

function repositoryDir(acct: Account, name: string): string {
  return path.join(acct.storage, 'docker', 'registry', 'v2', 'repositories', ...name.split('/'));
}

/** Every manifest revision the registry holds for a repository, tagged or not. */
function storedRevisions(acct: Account, name: string): Map<string, number> {
  const dir = path.join(repositoryDir(acct, name), '_manifests', 'revisions', 'sha256');
  const found = new Map<string, number>();
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return found;
  }
  for (const hex of entries) {
    try {
      // A deleted manifest keeps its directory but loses its link file.
      found.set(`sha256:${hex}`, fs.statSync(path.join(dir, hex, 'link')).mtimeMs / 1000);
    } catch {
      // deleted
    }
  }
  return found;
}

/** Removes one tag and leaves the image and its other tags alone, which the registry API cannot do. */
function untag(acct: Account, name: string, tag: string): void {
  fs.rmSync(path.join(repositoryDir(acct, name), '_manifests', 'tags', tag), { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------
// Tag assignment: one at a time per repository, and on record

/**
 * Runs fn once every earlier fn for the same repository has finished. ECR assigns tags atomically; without
 * this, two pushes of one immutable tag could both pass the "does the tag exist" check before either writes.
 */
function withRepositoryLock<T>(acct: Account, name: string, fn: () => Promise<T>): Promise<T> {
  const repositoryLocks = acct.locks;
  const previous = repositoryLocks.get(name) ?? Promise.resolve();
  const result = previous.then(fn);
  const tail = result.then(
    () => undefined,
    () => undefined,
  );
  repositoryLocks.set(name, tail);
  void tail.then(() => {
    if (repositoryLocks.get(name) === tail) repositoryLocks.delete(name);
  });
  return result;
}

interface TagAssignment {
  registryId: string;
  repository: string;
  tag: string;
  digest: string;
  /** What the tag named before, if it existed. */
  previous: string | null;
  at: string;
  via: 'push' | 'PutImage';
}

let history: TagAssignment[] = [];

function recordAssignment(
  acct: Account,
  repository: string,
  tag: string,
  digest: string,
  previous: string | undefined,
  via: TagAssignment['via'],
): void {
  const entry: TagAssignment = {
    registryId: acct.id,
    repository,
    tag,
    digest,
    previous: previous ?? null,
    at: new Date().toISOString(),
    via,
  };
  history.push(entry);
  fs.mkdirSync(path.dirname(HISTORY_FILE), { recursive: true });
  fs.appendFileSync(HISTORY_FILE, `${JSON.stringify(entry)}\n`);
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

interface Image {
  digest: string;
  tags: string[];
  manifest: ManifestInfo;
  size: number;
  pushedAt: number;
}

function sumSizes(descriptors: Descriptor[] | undefined): number {
  return (descriptors ?? []).reduce((sum, d) => sum + (typeof d.size === 'number' ? d.size : 0), 0);
}

async function loadImages(acct: Account, name: string): Promise<Image[]> {
  const tags = await listTags(acct, name);
  const digests = await mapLimit(tags, 8, (tag) => resolveTag(acct, name, tag));
  const tagsByDigest = new Map<string, string[]>();
  tags.forEach((tag, i) => {
    const digest = digests[i];
    if (!digest) return;
    tagsByDigest.set(digest, [...(tagsByDigest.get(digest) ?? []), tag]);
  });
  const revisions = storedRevisions(acct, name);
  for (const digest of revisions.keys()) if (!tagsByDigest.has(digest)) tagsByDigest.set(digest, []);

  const repo = acct.meta.get(name);
  const entries = [...tagsByDigest.entries()];
  const manifests = await mapLimit(entries, 8, ([digest]) => fetchManifest(acct, name, digest));
  const images: Image[] = [];
  entries.forEach(([digest, imageTags], i) => {
    const manifest = manifests[i];
    if (!manifest) return;
    images.push({
      digest,
      tags: imageTags.sort(),
      manifest,
      size: manifest.layers ? sumSizes(manifest.layers) + (manifest.config?.size ?? 0) : 0,
      pushedAt: repo?.pushedAt[digest] ?? revisions.get(digest) ?? STARTED_AT,
    });
  });
  // An index has no layers of its own: count the images it lists (those stored here), like a pull would.
  const byDigest = new Map(images.map((image) => [image.digest, image]));
  for (const image of images) {
    if (!image.manifest.manifests) continue;
    image.size = image.manifest.manifests.reduce((sum, d) => sum + ((d.digest && byDigest.get(d.digest)?.size) || d.size || 0), 0);
  }
  return images.sort((a, b) => a.pushedAt - b.pushedAt || a.digest.localeCompare(b.digest));
}

// ---------------------------------------------------------------------------------------------------
// ECR API

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface Context {
  region: string;
  operation: string;
  /** Who signed the request, for access-denied messages. */
  callerArn: string;
}

interface ImageId {
  imageDigest?: string;
  imageTag?: string;
}

function optionalString(input: Json, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw new AwsError('InvalidParameterException', `Invalid parameter at '${key}' failed to satisfy constraint: 'must be a string'`);
  return value;
}

/**
 * The account a call is about: `registryId`, else the caller's own (ECR API reference: "If you do not specify
 * a registry, the default registry is assumed"). An account this stack does not hold grants the caller
 * nothing, which AWS answers with AccessDeniedException.
 */
function accountOf(input: Json, ctx: Context): Account {
  const id = optionalString(input, 'registryId');
  if (id === undefined) return CALLER;
  if (!/^\d{12}$/.test(id))
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{12}''`,
    );
  const found = ACCOUNTS.find((a) => a.id === id);
  if (!found) {
    const name = optionalString(input, 'repositoryName') ?? '*';
    throw new AwsError(
      'AccessDeniedException',
      `User: ${ctx.callerArn} is not authorized to perform: ecr:${ctx.operation} on resource: arn:aws:ecr:${ctx.region}:${id}:repository/${name} because no resource-based policy allows the ecr:${ctx.operation} action`,
    );
  }
  return found;
}

function checkName(name: string, field = 'repositoryName'): string {
  if (name.length < 2 || name.length > 256 || !REPOSITORY_NAME.test(name)) {
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at '${field}' failed to satisfy constraint: 'must satisfy regular expression '${REPOSITORY_NAME.source.slice(1, -1)}''`,
    );
  }
  return name;
}

function notFound(name: string, registryId: string): AwsError {
  return new AwsError(
    'RepositoryNotFoundException',
    `The repository with name '${name}' does not exist in the registry with id '${registryId}'`,
  );
}

/** The named repository, which must have been created through CreateRepository. */
function existingRepository(input: Json, ctx: Context): { acct: Account; name: string; registryId: string; repo: RepositoryMeta } {
  const acct = accountOf(input, ctx);
  const registryId = acct.id;
  const name = optionalString(input, 'repositoryName');
  if (name === undefined)
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must not be null'`,
    );
  const repo = acct.meta.get(checkName(name));
  if (!repo) throw notFound(name, registryId);
  return { acct, name, registryId, repo };
}

function mutabilityOf(input: Json, fallback?: Mutability): MutabilitySetting {
  try {
    return parseMutabilitySetting(input.imageTagMutability, input.imageTagMutabilityExclusionFilters, fallback);
  } catch (err) {
    if (err instanceof InvalidMutabilityError) throw new AwsError('InvalidParameterException', err.message);
    throw err;
  }
}

/** The mutability fields of an ECR answer; the filters only when there are some, as ECR leaves them out. */
function mutabilityOut(repo: MutabilitySetting): Json {
  return {
    imageTagMutability: repo.imageTagMutability,
    ...(repo.exclusionFilters.length
      ? { imageTagMutabilityExclusionFilters: repo.exclusionFilters.map((f: ExclusionFilter) => ({ ...f })) }
      : {}),
  };
}

function repositoryOut(acct: Account, name: string, repo: RepositoryMeta, ctx: Context): Json {
  return {
    repositoryArn: `arn:aws:ecr:${ctx.region}:${acct.id}:repository/${name}`,
    registryId: acct.id,
    repositoryName: name,
    // The account's own registry host: `<account>.dkr.ecr.<region>.amazonaws.com/<name>` in AWS.
    repositoryUri: `${acct.registryHost}/${name}`,
    createdAt: repo.createdAt,
    ...mutabilityOut(repo),
    imageScanningConfiguration: { scanOnPush: repo.scanOnPush },
    encryptionConfiguration: { encryptionType: 'AES256' },
  };
}

/** Opaque page tokens: the offset into a stable ordering. */
function page<T>(items: T[], input: Json, defaultSize: number): { items: T[]; nextToken?: string } {
  const max = input.maxResults;
  if (max !== undefined && max !== null && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000)) {
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and 1000'`,
    );
  }
  const size = typeof max === 'number' ? max : defaultSize;
  let offset = 0;
  const token = optionalString(input, 'nextToken');
  if (token !== undefined) {
    try {
      const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
      if (typeof decoded.offset !== 'number' || !Number.isInteger(decoded.offset) || decoded.offset < 0) throw new Error('bad offset');
      offset = decoded.offset;
    } catch {
      throw new AwsError(
        'InvalidParameterException',
        "Invalid parameter at 'nextToken' failed to satisfy constraint: 'The token is not valid'",
      );
    }
  }
  const slice = items.slice(offset, offset + size);
  const end = offset + slice.length;
  return end < items.length
    ? { items: slice, nextToken: Buffer.from(JSON.stringify({ offset: end })).toString('base64url') }
    : { items: slice };
}

function imageIdsOf(input: Json): ImageId[] | undefined {
  const ids = input.imageIds;
  if (ids === undefined || ids === null) return undefined;
  if (!Array.isArray(ids))
    throw new AwsError('InvalidParameterException', `Invalid parameter at 'imageIds' failed to satisfy constraint: 'must be a list'`);
  return ids.map((raw: unknown) => {
    const id = (raw ?? {}) as Json;
    const imageDigest = optionalString(id, 'imageDigest');
    const imageTag = optionalString(id, 'imageTag');
    if (imageDigest === undefined && imageTag === undefined) {
      throw new AwsError(
        'InvalidParameterException',
        "Invalid parameter at 'imageIds' failed to satisfy constraint: 'imageId must have imageDigest or imageTag'",
      );
    }
    return { imageDigest, imageTag };
  });
}

function findImage(images: Image[], id: ImageId): Image | undefined {
  return images.find(
    (image) =>
      (id.imageDigest === undefined || image.digest === id.imageDigest) && (id.imageTag === undefined || image.tags.includes(id.imageTag)),
  );
}

function imageNotFound(id: ImageId, name: string, registryId: string): AwsError {
  return new AwsError(
    'ImageNotFoundException',
    `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${name}' in the registry with id '${registryId}'`,
  );
}

function byTagStatus(images: Image[], input: Json): Image[] {
  const status = ((input.filter ?? {}) as Json).tagStatus;
  if (status === undefined || status === null || status === 'ANY') return images;
  if (status === 'TAGGED') return images.filter((image) => image.tags.length > 0);
  if (status === 'UNTAGGED') return images.filter((image) => image.tags.length === 0);
  throw new AwsError(
    'InvalidParameterException',
    `Invalid parameter at 'filter.tagStatus' failed to satisfy constraint: 'Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]'`,
  );
}

function imageDetail(name: string, registryId: string, image: Image): Json {
  const detail: Json = {
    registryId,
    repositoryName: name,
    imageDigest: image.digest,
    imageSizeInBytes: image.size,
    imagePushedAt: image.pushedAt,
    imageManifestMediaType: image.manifest.mediaType,
  };
  if (image.tags.length) detail.imageTags = image.tags;
  if (image.manifest.config?.mediaType) detail.artifactMediaType = image.manifest.config.mediaType;
  return detail;
}

const operations: Record<string, (input: Json, ctx: Context) => Promise<Json>> = {
  async GetAuthorizationToken() {
    // "The authorization token … can be used to access any Amazon ECR registry that your IAM principal has
    // access to"; `registryIds` "has been deprecated" and "doesn't change the permissions scope of the
    // authorization token" (ECR API reference, GetAuthorizationToken; the SDK models' deprecation note).
    // So it is ignored, and proxyEndpoint is always the caller's own registry, whichever registry a
    // client is about to push to.
    const expiresAt = Math.floor(Date.now() / 1000) + TOKEN_TTL_SECONDS;
    const authorizationToken = Buffer.from(`AWS:${PASSWORD}`).toString('base64');
    return { authorizationData: [{ authorizationToken, expiresAt, proxyEndpoint: `http://${CALLER.registryHost}` }] };
  },

  async CreateRepository(input, ctx) {
    const acct = accountOf(input, ctx);
    const registryId = acct.id;
    const name = optionalString(input, 'repositoryName');
    if (name === undefined)
      throw new AwsError(
        'InvalidParameterException',
        `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must not be null'`,
      );
    checkName(name);
    if (acct.meta.get(name)) {
      throw new AwsError(
        'RepositoryAlreadyExistsException',
        `The repository with name '${name}' already exists in the registry with id '${registryId}'`,
      );
    }
    const scanning = (input.imageScanningConfiguration ?? {}) as Json;
    const repo = acct.meta.create(name, mutabilityOf(input, 'MUTABLE'), scanning.scanOnPush === true);
    log(`CreateRepository ${registryId}/${name} (${describeMutability(repo)}, scanOnPush=${repo.scanOnPush})`);
    return { repository: repositoryOut(acct, name, repo, ctx) };
  },

  async DescribeRepositories(input, ctx) {
    const acct = accountOf(input, ctx);
    const registryId = acct.id;
    const meta = acct.meta;
    const wanted = input.repositoryNames;
    let names: string[];
    if (Array.isArray(wanted) && wanted.length) {
      names = wanted.map((n) => checkName(String(n), 'repositoryNames'));
      const missing = names.find((n) => !meta.get(n));
      if (missing !== undefined) throw notFound(missing, registryId);
    } else {
      names = meta.names();
    }
    const { items, nextToken } = page(names, input, 100);
    return {
      repositories: items.map((n) => repositoryOut(acct, n, meta.get(n) as RepositoryMeta, ctx)),
      ...(nextToken ? { nextToken } : {}),
    };
  },

  async DeleteRepository(input, ctx) {
    const { acct, name, registryId, repo } = existingRepository(input, ctx);
    const images = await loadImages(acct, name);
    if (images.length && input.force !== true) {
      throw new AwsError(
        'RepositoryNotEmptyException',
        `The repository with name '${name}' in registry with id '${registryId}' cannot be deleted because it still contains images`,
      );
    }
    for (const image of images) await deleteManifest(acct, name, image.digest);
    fs.rmSync(repositoryDir(acct, name), { recursive: true, force: true });
    const out = repositoryOut(acct, name, repo, ctx);
    acct.meta.delete(name);
    log(`DeleteRepository ${name} (${images.length} images)`);
    return { repository: out };
  },

  async DescribeImages(input, ctx) {
    const { acct, name, registryId } = existingRepository(input, ctx);
    const images = await loadImages(acct, name);
    const ids = imageIdsOf(input);
    if (ids) {
      const found = ids.map((id) => {
        const image = findImage(images, id);
        if (!image) throw imageNotFound(id, name, registryId);
        return image;
      });
      const unique = [...new Map(found.map((image) => [image.digest, image])).values()];
      return { imageDetails: unique.map((image) => imageDetail(name, registryId, image)) };
    }
    const { items, nextToken } = page(byTagStatus(images, input), input, 100);
    return { imageDetails: items.map((image) => imageDetail(name, registryId, image)), ...(nextToken ? { nextToken } : {}) };
  },

  async ListImages(input, ctx) {
    const { acct, name } = existingRepository(input, ctx);
    const ids: ImageId[] = [];
    for (const image of byTagStatus(await loadImages(acct, name), input)) {
      if (image.tags.length) for (const tag of image.tags) ids.push({ imageDigest: image.digest, imageTag: tag });
      else ids.push({ imageDigest: image.digest });
    }
    const { items, nextToken } = page(ids, input, 100);
    return { imageIds: items, ...(nextToken ? { nextToken } : {}) };
  },

  async BatchGetImage(input, ctx) {
    const { acct, name, registryId } = existingRepository(input, ctx);
    const ids = imageIdsOf(input) ?? [];
    const images = await loadImages(acct, name);
    const found: Json[] = [];
    const failures: Json[] = [];
    for (const id of ids) {
      const image = findImage(images, id);
      if (image) {
        found.push({
          registryId,
          repositoryName: name,
          imageId: { imageDigest: image.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
          imageManifest: image.manifest.body.toString('utf8'),
          imageManifestMediaType: image.manifest.mediaType,
        });
      } else if (id.imageDigest !== undefined && id.imageTag !== undefined && findImage(images, { imageTag: id.imageTag })) {
        failures.push({ imageId: id, failureCode: 'ImageTagDoesNotMatchDigest', failureReason: 'Invalid image digest for the image tag' });
      } else {
        failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
      }
    }
    return { images: found, failures };
  },

  async BatchDeleteImage(input, ctx) {
    const { acct, name } = existingRepository(input, ctx);
    const ids = imageIdsOf(input) ?? [];
    const deleted: ImageId[] = [];
    const failures: Json[] = [];
    for (const id of ids) {
      // Reloaded for each id: an earlier deletion may have removed this one's image or tag.
      const image = findImage(await loadImages(acct, name), id);
      if (!image) {
        failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
        continue;
      }
      if (id.imageTag !== undefined && image.tags.length > 1) {
        untag(acct, name, id.imageTag);
        deleted.push({ imageDigest: image.digest, imageTag: id.imageTag });
      } else {
        await deleteManifest(acct, name, image.digest);
        if (image.tags.length) for (const tag of image.tags) deleted.push({ imageDigest: image.digest, imageTag: tag });
        else deleted.push({ imageDigest: image.digest });
      }
    }
    log(`BatchDeleteImage ${name}: ${deleted.length} deleted, ${failures.length} failed`);
    return { imageIds: deleted, failures };
  },

  async PutImageTagMutability(input, ctx) {
    const { acct, name, registryId } = existingRepository(input, ctx);
    const setting = mutabilityOf(input);
    // Under the repository's lock, so a push being checked right now sees the old setting or the new one whole.
    await withRepositoryLock(acct, name, async () => {
      acct.meta.update(name, (repo) => {
        repo.imageTagMutability = setting.imageTagMutability;
        repo.exclusionFilters = setting.exclusionFilters;
      });
    });
    log(`PutImageTagMutability ${name} ${describeMutability(setting)}`);
    return { registryId, repositoryName: name, ...mutabilityOut(setting) };
  },

  async PutImage(input, ctx) {
    const { acct, name, registryId } = existingRepository(input, ctx);
    const manifestText = optionalString(input, 'imageManifest');
    if (manifestText === undefined)
      throw new AwsError(
        'InvalidParameterException',
        `Invalid parameter at 'imageManifest' failed to satisfy constraint: 'must not be null'`,
      );
    const body = Buffer.from(manifestText, 'utf8');
    if (!manifestText.length || body.length > MAX_MANIFEST_BYTES) {
      throw new AwsError(
        'InvalidParameterException',
        `Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must have length between 1 and ${MAX_MANIFEST_BYTES}'`,
      );
    }
    const tag = optionalString(input, 'imageTag');
    if (tag !== undefined && (tag.length < 1 || tag.length > 300)) {
      throw new AwsError(
        'InvalidParameterException',
        `Invalid parameter at 'imageTag' failed to satisfy constraint: 'Member must have length between 1 and 300'`,
      );
    }
    let parsed: { mediaType?: unknown };
    try {
      parsed = JSON.parse(manifestText) as { mediaType?: unknown };
    } catch {
      throw new AwsError(
        'InvalidParameterException',
        `Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'`,
      );
    }
    const declared = typeof parsed?.mediaType === 'string' ? parsed.mediaType : undefined;
    const given = optionalString(input, 'imageManifestMediaType');
    if (given !== undefined && declared !== undefined && given !== declared) {
      throw new AwsError(
        'InvalidParameterException',
        `Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'Manifest media type ${declared} does not match the provided media type ${given}'`,
      );
    }
    const mediaType = given ?? declared;
    if (mediaType === undefined) {
      throw new AwsError(
        'InvalidParameterException',
        `Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'must be given when the manifest has no mediaType field'`,
      );
    }
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const wanted = optionalString(input, 'imageDigest');
    if (wanted !== undefined && wanted !== digest) {
      throw new AwsError(
        'ImageDigestDoesNotMatchException',
        `The image digest '${wanted}' does not match the digest '${digest}' calculated for the image manifest`,
      );
    }

    return withRepositoryLock(acct, name, async () => {
      const repo = acct.meta.get(name);
      if (!repo) throw notFound(name, registryId);
      let previous: string | undefined;
      if (tag !== undefined) {
        previous = await resolveTag(acct, name, tag);
        if (previous === digest) {
          throw new AwsError(
            'ImageAlreadyExistsException',
            `Image with digest '${digest}' and tag '${tag}' already exists in the repository with name '${name}' in registry with id '${registryId}'`,
          );
        }
        if (previous !== undefined && isTagImmutable(repo, tag)) {
          log(`PutImage refused ${name}:${tag} (immutable, has ${previous}, given ${digest})`);
          throw new AwsError('ImageTagAlreadyExistsException', immutableTagMessage(name, tag));
        }
      } else if (storedRevisions(acct, name).has(digest)) {
        throw new AwsError(
          'ImageAlreadyExistsException',
          `Image with digest '${digest}' already exists in the repository with name '${name}' in registry with id '${registryId}'`,
        );
      }
      // The backing registry checks that every blob (or, for an index, every manifest) it refers to is there.
      const res = await backend(
        acct,
        'PUT',
        `/v2/${repoPath(name)}/manifests/${encodeURIComponent(tag ?? digest)}`,
        { 'content-type': mediaType },
        body,
      );
      if (res.status !== 201) throw putImageError(res, name, registryId, mediaType);
      acct.meta.recordPush(name, digest);
      if (tag !== undefined) recordAssignment(acct, name, tag, digest, previous, 'PutImage');
      log(`PutImage ${name}${tag !== undefined ? `:${tag}` : ''} ${digest}`);
      return {
        image: {
          registryId,
          repositoryName: name,
          imageId: { imageDigest: digest, ...(tag !== undefined ? { imageTag: tag } : {}) },
          imageManifest: manifestText,
          imageManifestMediaType: mediaType,
        },
      };
    });
  },

  async PutImageScanningConfiguration(input, ctx) {
    const { acct, name, registryId } = existingRepository(input, ctx);
    const scanOnPush = ((input.imageScanningConfiguration ?? {}) as Json).scanOnPush === true;
    acct.meta.update(name, (repo) => {
      repo.scanOnPush = scanOnPush;
    });
    return { registryId, repositoryName: name, imageScanningConfiguration: { scanOnPush } };
  },
};

/** The ECR error for a manifest the backing registry would not store. */
function putImageError(res: BackendResponse, name: string, registryId: string, mediaType: string): Error {
  let errors: { code?: string; message?: string; detail?: unknown }[] = [];
  try {
    errors = (JSON.parse(res.body.toString('utf8')) as { errors?: typeof errors }).errors ?? [];
  } catch {
    // not a registry error body
  }
  const missing = errors
    .filter((e) => e.code === 'MANIFEST_BLOB_UNKNOWN' || e.code === 'BLOB_UNKNOWN')
    .map((e) =>
      typeof e.detail === 'string' ? e.detail : typeof (e.detail as Json)?.digest === 'string' ? String((e.detail as Json).digest) : '?',
    );
  if (missing.length && isIndexMediaType(mediaType)) {
    return new AwsError(
      'ReferencedImagesNotFoundException',
      `The following images referenced in the manifest list were not found: [${missing.join(', ')}]`,
    );
  }
  if (missing.length) {
    return new AwsError(
      'LayersNotFoundException',
      `Layers with digests '[${missing.join(', ')}]' required for pushing image into repository with name '${name}' in the registry with id '${registryId}' do not exist`,
    );
  }
  if (res.status === 400 && errors.length) {
    return new AwsError(
      'InvalidParameterException',
      `Invalid parameter at 'ImageManifest' failed to satisfy constraint: '${errors.map((e) => `${e.code}: ${e.message}`).join('; ')}'`,
    );
  }
  return unexpected(res, `PUT manifest in ${name}`);
}

function describeMutability(setting: MutabilitySetting): string {
  return setting.exclusionFilters.length
    ? `${setting.imageTagMutability} except ${setting.exclusionFilters.map((f) => f.filter).join(', ')}`
    : setting.imageTagMutability;
}

const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';

/** The ECR operation a request names in X-Amz-Target, if any. */
function operationOf(req: http.IncomingMessage): string | undefined {
  const target = String(req.headers['x-amz-target'] ?? '');
  return target.startsWith(ECR_TARGET_PREFIX) ? target.slice(ECR_TARGET_PREFIX.length) : undefined;
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new AwsError('InvalidParameterException', `request body larger than ${limit} bytes`, 413));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The region the client signed for, so ARNs name the region the caller asked about. */
function regionOf(req: http.IncomingMessage): string {
  const match = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\//.exec(String(req.headers.authorization ?? ''));
  return match ? match[1] : DEFAULT_REGION;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** GET lists every tag assignment since the start (or the last DELETE), oldest first; ?repository= keeps one. */
function handleHistory(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.method === 'DELETE') {
    history = [];
    res.writeHead(204, { 'content-length': 0 });
    res.end();
    return;
  }
  if (req.method !== 'GET') {
    req.resume();
    res.writeHead(405, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'GET or DELETE /__history' }));
    return;
  }
  const only = new URL(req.url ?? '/', 'http://api').searchParams.get('repository');
  const text = `${JSON.stringify(only === null ? history : history.filter((entry) => entry.repository === only))}\n`;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function handleApi(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const pathname = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && pathname === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        service: 'ecr-stand-in',
        account: CALLER.id,
        registries: Object.fromEntries(ACCOUNTS.map((a) => [a.id, a.registryHost])),
        sts: `localhost:${STS_PORT}`,
      }),
    );
    return;
  }
  if (pathname === '/__history') {
    handleHistory(req, res);
    return;
  }
  if (req.method !== 'POST' || pathname !== '/') {
    sendJson(
      res,
      404,
      { __type: 'UnknownOperationException', message: `${req.method} ${pathname} is not an AWS API call` },
      { 'x-amzn-requestid': requestId },
    );
    return;
  }
  const body = await readBody(req, 10 * 1024 * 1024);
  const target = String(req.headers['x-amz-target'] ?? '');
  const operation = operationOf(req) ?? '';
  const handler = Object.prototype.hasOwnProperty.call(operations, operation) ? operations[operation] : undefined;
  try {
    // Credentials are checked before anything else, as AWS does: an expired session fails every call.
    const problem = credentials.problem(req);
    if (problem?.code === 'expired') throw new AwsError('ExpiredTokenException', EXPIRED_MESSAGE);
    if (problem?.code === 'invalid-token') throw new AwsError('UnrecognizedClientException', INVALID_TOKEN_MESSAGE);
    // A form-encoded STS query sent here finds no X-Amz-Target: ECR does not know it (see the header comment).
    if (!handler) throw new AwsError('UnknownOperationException', `Unknown operation ${target || '(no X-Amz-Target)'}`);
    let input: Json;
    try {
      input = body.length ? (JSON.parse(body.toString('utf8')) as Json) : {};
    } catch {
      throw new AwsError('SerializationException', 'Request body is not valid JSON');
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input))
      throw new AwsError('SerializationException', 'Request body must be a JSON object');
    const callerArn = credentials.of(req)?.arn ?? `arn:aws:iam::${CALLER.id}:user/local`;
    const out = await handler(input, { region: regionOf(req), operation, callerArn });
    sendJson(res, 200, out, { 'x-amzn-requestid': requestId });
  } catch (err) {
    if (err instanceof AwsError) {
      // Looking a repository up before creating it is routine, not worth a log line.
      if (err.type !== 'RepositoryNotFoundException') log(`${operation || target}: ${err.type}: ${err.message}`);
      sendJson(res, err.status, { __type: err.type, message: err.message }, { 'x-amzn-requestid': requestId });
    } else {
      log(`${operation || target}: ${(err as Error).stack ?? String(err)}`);
      sendJson(res, 500, { __type: 'ServerException', message: (err as Error).message }, { 'x-amzn-requestid': requestId });
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Registry proxy

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
]);

function registryError(
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

const EXPECTED_AUTH = createHash('sha256')
  .update(`Basic ${Buffer.from(`AWS:${PASSWORD}`).toString('base64')}`)
  .digest();

function authorized(header: string | undefined): boolean {
  if (!header) return false;
  // Compared as hashes so the comparison takes the same time whatever the guess.
  return timingSafeEqual(createHash('sha256').update(header.trim()).digest(), EXPECTED_AUTH);
}

/**
 * Passes a request on to the backing registry and its answer back. Resolves once the answer's status is
 * known (after onResponse ran) or the request failed, never rejects: a caller holding the repository's
 * lock releases it then.
 */
interface Proxy {
  acct: Account;
  instrumentation: Instrumentation;
}

/** `GET /v2/<name>/manifests/<reference>`: the request whose answer ECR sends without a digest header. */
const MANIFEST_PATH = /^\/v2\/.+\/manifests\/[^/]+$/;

function forward(
  proxy: Proxy,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body?: Buffer,
  onResponse?: (status: number, headers: http.IncomingHttpHeaders) => void,
): Promise<void> {
  const BACKEND = proxy.acct.backend;
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
      { host: BACKEND.hostname, port: BACKEND.port, method: req.method, path: req.url, headers, agent: backendAgent },
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

async function handleManifestPut(
  proxy: Proxy,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  name: string,
  reference: string,
): Promise<void> {
  const { acct } = proxy;
  let body: Buffer;
  try {
    body = await readBody(req, MAX_MANIFEST_BYTES);
  } catch {
    registryError(res, 413, 'SIZE_INVALID', `manifest larger than ${MAX_MANIFEST_BYTES} bytes`);
    return;
  }
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  if (DIGEST.test(reference)) {
    // By digest nothing is named, so there is nothing to check or to serialize.
    await forward(proxy, req, res, body, (status, headers) => {
      if (status !== 201) return;
      const stored = typeof headers['docker-content-digest'] === 'string' ? headers['docker-content-digest'] : digest;
      acct.meta.recordPush(name, stored);
      log(`pushed ${acct.id}/${name} ${stored}`);
    });
    return;
  }
  const tag = reference;
  await withRepositoryLock(acct, name, async () => {
    // Read again under the lock: the repository may have been deleted or its mutability changed meanwhile.
    const repo = acct.meta.get(name);
    if (!repo) {
      registryError(res, 404, 'NAME_UNKNOWN', `The repository with name '${name}' does not exist in the registry with id '${acct.id}'`, {
        name,
      });
      return;
    }
    const current = await resolveTag(acct, name, tag);
    if (current !== undefined && current !== digest && isTagImmutable(repo, tag)) {
      log(`refused ${acct.id}/${name}:${tag} (immutable, has ${current}, pushed ${digest})`);
      registryError(res, 400, 'TAG_INVALID', immutableTagMessage(name, tag));
      return;
    }
    await forward(proxy, req, res, body, (status, headers) => {
      if (status !== 201) return;
      const stored = typeof headers['docker-content-digest'] === 'string' ? headers['docker-content-digest'] : digest;
      acct.meta.recordPush(name, stored);
      recordAssignment(acct, name, tag, stored, current, 'push');
      log(`pushed ${acct.id}/${name}:${tag} ${stored}${current && current !== stored ? ` (was ${current})` : ''}`);
    });
  });
}

function proxyHandler(proxy: Proxy) {
  const { acct } = proxy;
  return async function handleProxy(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname === '/health' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ service: 'ecr-stand-in registry proxy', account: acct.id, backend: acct.backend.host }));
      return;
    }
    if (pathname !== '/v2' && !pathname.startsWith('/v2/')) {
      registryError(res, 404, 'NOT_FOUND', `${pathname} is not part of the registry API`);
      return;
    }
    if (!authorized(req.headers.authorization)) {
      registryError(res, 401, 'UNAUTHORIZED', 'authentication required', null, { 'www-authenticate': 'Basic realm="ECR stand-in"' });
      req.resume();
      return;
    }
    const match = /^\/v2\/(.+?)\/(manifests|blobs|tags)\/(.*)$/.exec(pathname);
    if (match) {
      const name = decodeURIComponent(match[1]);
      const repo = acct.meta.get(name);
      if (!repo) {
        registryError(res, 404, 'NAME_UNKNOWN', `The repository with name '${name}' does not exist in the registry with id '${acct.id}'`, {
          name,
        });
        req.resume();
        return;
      }
      if (match[2] === 'manifests' && req.method === 'PUT') {
        await handleManifestPut(proxy, req, res, name, decodeURIComponent(match[3]));
        return;
      }
    }
    await forward(proxy, req, res);
  };
}

// ---------------------------------------------------------------------------------------------------

const credentials = new CredentialStore();

const apiInstrumentation = new Instrumentation({
  service: 'ecr-stand-in api',
  flavor: 'aws',
  // By ECR operation; stray requests count as "other".
  kindOf: (req) => operationOf(req) ?? 'other',
  operationOf,
  log,
});
const stsInstrumentation = new Instrumentation({ service: 'sts stand-in', flavor: 'plain', kindOf: () => 'sts', log });
// The caller's registry keeps the service name the benchmark and tests read its statistics under.
const proxies: Proxy[] = ACCOUNTS.map((acct) => ({
  acct,
  instrumentation: registryInstrumentation(
    acct === CALLER ? 'ecr-stand-in registry proxy' : `ecr-stand-in registry proxy (${acct.id})`,
    log,
  ),
}));

function serve(
  port: number,
  name: string,
  instrumentation: Instrumentation,
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
): http.Server {
  const server = http.createServer((req, res) => {
    instrumentation
      .handle(req, res, () => handler(req, res))
      .catch((err: unknown) => {
        log(`${name}: ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) {
          const status = err instanceof AwsError ? err.status : 500;
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: (err as Error).message }));
        } else {
          res.destroy();
        }
      });
  });
  // Blob uploads can take long; the defaults would cut them off.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 30_000;
  server.on('error', (err) => {
    log(`${name} cannot listen on ${BIND}:${port}: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, BIND, () => log(`${name} listening on http://${BIND}:${port}`));
  return server;
}

const servers = [
  serve(API_PORT, 'ECR API', apiInstrumentation, handleApi),
  serve(STS_PORT, 'STS', stsInstrumentation, stsHandler({ account: CALLER.id, credentials, log })),
  ...proxies.map((proxy) =>
    serve(proxy.acct.proxyPort, `registry proxy of account ${proxy.acct.id}`, proxy.instrumentation, proxyHandler(proxy)),
  ),
];
for (const acct of ACCOUNTS)
  log(
    `account ${acct.id}${acct === CALLER ? " (the caller's)" : ''}: registry ${acct.registryHost}, backing registry ${acct.backend.href}, storage ${acct.storage}`,
  );
log(`history ${HISTORY_FILE}`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    // Delayed and hanging requests would otherwise keep the servers from closing.
    for (const instrumentation of [apiInstrumentation, stsInstrumentation, ...proxies.map((p) => p.instrumentation)])
      instrumentation.close();
    let open = servers.length;
    for (const server of servers) {
      server.close(() => {
        if (--open === 0) process.exit(0);
      });
      server.closeIdleConnections();
    }
    backendAgent.destroy();
    // A push still streaming gets a moment to finish, not forever.
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
