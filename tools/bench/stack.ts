/**
 * The benchmark's side of the local stack (tools/local-stack): upstream bases in the MCR stand-in, the
 * services' request counters, and what ECR holds. Control calls (`/__stats`) are never counted by the stack.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
} from '@aws-sdk/client-ecr';
import { MCR_MIRROR, REPO_ROOT, type BaseRef } from './workspace';
import { LOCAL_ENV, REGION, stackCall } from '../local-stack/client';
import type { StatsSnapshot } from '../local-stack/faults';
import { MANIFEST_ACCEPT } from '../local-stack/media-types';

export const MCR_REGISTRY = 'localhost:5001';
export const ECR_REGISTRY = 'localhost:5002';
export const ECR_ENDPOINT = 'http://localhost:5003';
export const TEAMS_SINK = 'http://localhost:5004';
export { LOCAL_ENV, REGION };

/** Brings the stack up (idempotent, quick when it is up). */
export function ensureStack(): void {
  execFileSync('bash', [path.join(REPO_ROOT, 'tools/local-stack/up.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
}

// ---------------------------------------------------------------------------------------------------------
// Upstream bases

/** What every bench base derives from: the .NET 8 stand-in up.sh seeds (it has the non-root `app` user). */
const STAND_IN_BASE = `${MCR_REGISTRY}/dotnet/runtime:8.0-bookworm-slim`;

export async function manifestDigest(registry: string, repository: string, tag: string): Promise<string | undefined> {
  const response = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { Accept: MANIFEST_ACCEPT },
  });
  return response.ok ? (response.headers.get('docker-content-digest') ?? undefined) : undefined;
}

function docker(args: string[], env: Record<string, string> = {}): string {
  return execFileSync('docker', args, { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

let standInPulled = false;

/**
 * Pushes a new digest for `base` into the MCR stand-in, as Microsoft rebuilding an image would: the stand-in
 * base plus a label naming the base and when it was pushed, so every push is a new digest while the layers
 * (already in the registry and the engine) are shared. Returns the new digest.
 */
export async function pushBase(base: BaseRef): Promise<string> {
  if (!standInPulled) {
    // The engine's copy may be older than the registry's (a test bumped it): derive from what is published.
    docker(['pull', '-q', STAND_IN_BASE]);
    standInPulled = true;
  }
  const ref = `${MCR_REGISTRY}/${base.repository}:${base.tag}`;
  const before = await manifestDigest(MCR_REGISTRY, base.repository, base.tag);
  const context = mkdtempSync(path.join(tmpdir(), 'bench-base-'));
  try {
    const stamp = `${new Date().toISOString()} ${process.hrtime.bigint()}`;
    writeFileSync(
      path.join(context, 'Dockerfile'),
      `FROM ${STAND_IN_BASE}\nLABEL bench.base="${base.repository}:${base.tag}" bench.pushed="${stamp}"\n`,
    );
    // The legacy builder needs no network and no frontend image (see ../shared/ENVIRONMENT.md).
    docker(['build', '-q', '-t', ref, context], { DOCKER_BUILDKIT: '0' });
    docker(['push', '-q', ref]);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  const after = await manifestDigest(MCR_REGISTRY, base.repository, base.tag);
  if (!after || after === before) throw new Error(`pushing ${ref} did not change its digest (${before ?? 'none'} -> ${after ?? 'none'})`);
  return after;
}

/** Removes a base from the MCR stand-in (its manifest by digest: registry 2.8 has delete enabled). */
export async function deleteBase(base: BaseRef): Promise<void> {
  const digest = await manifestDigest(MCR_REGISTRY, base.repository, base.tag);
  if (digest) await fetch(`http://${MCR_REGISTRY}/v2/${base.repository}/manifests/${digest}`, { method: 'DELETE' });
}

/**
 * Removes every local image of a base repository, as pushed (5001) and as builds pulled it through the mirror
 * (5005): each bump leaves one behind. Only bench images are named here, so removing by id touches nothing else.
 */
export function removeLocalImages(repository: string, registries = [MCR_REGISTRY, new URL(MCR_MIRROR).host]): void {
  const ids = registries.flatMap((registry) =>
    docker(['images', '--quiet', '--no-trunc', `${registry}/${repository}`])
      .split('\n')
      .filter(Boolean),
  );
  for (const id of new Set(ids)) {
    try {
      docker(['image', 'rm', '--force', id]);
    } catch {
      // in use by a container, or already gone with another tag
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Request counters

/** The services a run talks to, by what they stand in for. The Teams sink is left out: no card on a no-op run. */
export const COUNTED_SERVICES = { upstream: 5005, ecrRegistry: 5002, ecrApi: 5003 } as const;
export type CountedService = keyof typeof COUNTED_SERVICES;

/** What a service's `GET /__stats` answers (byKind: manifests/blobs/tags/other on registries, the operation on the ECR API). */
export type ServiceStats = StatsSnapshot;

export type StackStats = Record<CountedService, ServiceStats>;

export async function resetStats(): Promise<void> {
  await Promise.all(Object.values(COUNTED_SERVICES).map((port) => stackCall(port, 'DELETE', '/__stats')));
}

export async function readStats(): Promise<StackStats> {
  const entries = await Promise.all(
    Object.entries(COUNTED_SERVICES).map(
      async ([name, port]) => [name, JSON.parse(await stackCall(port, 'GET', '/__stats')) as ServiceStats] as const,
    ),
  );
  return Object.fromEntries(entries) as StackStats;
}

// ---------------------------------------------------------------------------------------------------------
// ECR

let client: ECRClient | undefined;

function ecr(): ECRClient {
  client ??= new ECRClient({
    endpoint: ECR_ENDPOINT,
    region: REGION,
    credentials: { accessKeyId: LOCAL_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: LOCAL_ENV.AWS_SECRET_ACCESS_KEY },
  });
  return client;
}

/** Tag → digest for every tag in each repository; a repository that does not exist has no tags. */
export type TagListing = Map<string, Map<string, string>>;

export async function tagListing(repositories: string[]): Promise<TagListing> {
  const listing: TagListing = new Map();
  // A few at a time: enough to be quick for 50 repositories without queueing hundreds of calls on the stand-in.
  const queue = [...new Set(repositories)];
  const worker = async () => {
    for (let repository = queue.shift(); repository; repository = queue.shift()) listing.set(repository, await tagsOf(repository));
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return listing;
}

async function tagsOf(repositoryName: string): Promise<Map<string, string>> {
  const tags = new Map<string, string>();
  let nextToken: string | undefined;
  try {
    do {
      const page = await ecr().send(new DescribeImagesCommand({ repositoryName, nextToken, maxResults: 1000 }));
      for (const detail of page.imageDetails ?? []) for (const tag of detail.imageTags ?? []) tags.set(tag, detail.imageDigest!);
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (err) {
    if ((err as Error).name !== 'RepositoryNotFoundException') throw err;
  }
  return tags;
}

/** `repository:tag` for every tag added or moved between two listings. */
export function changedTags(before: TagListing, after: TagListing): string[] {
  const changed: string[] = [];
  for (const [repository, tags] of after) {
    for (const [tag, digest] of tags) if (before.get(repository)?.get(tag) !== digest) changed.push(`${repository}:${tag}`);
  }
  return changed.sort();
}

/** Every ECR repository whose name starts with `prefix` (e.g. `bench-3fa9c1/`). */
export async function repositoriesStartingWith(prefix: string): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecr().send(new DescribeRepositoriesCommand({ nextToken, maxResults: 1000 }));
    names.push(...(page.repositories ?? []).map((r) => r.repositoryName!).filter((name) => name.startsWith(prefix)));
    nextToken = page.nextToken;
  } while (nextToken);
  return names;
}

export async function deleteRepositories(repositories: string[]): Promise<void> {
  for (const repositoryName of new Set(repositories)) {
    try {
      await ecr().send(new DeleteRepositoryCommand({ repositoryName, force: true }));
    } catch (err) {
      if ((err as Error).name !== 'RepositoryNotFoundException') throw err;
    }
  }
}

/** The password the ECR stand-in issues now (it changes whenever the stand-in restarts), as `aws ecr get-login-password` prints it. */
export async function ecrPassword(): Promise<string> {
  const answer = await ecr().send(new GetAuthorizationTokenCommand({}));
  const token = answer.authorizationData?.[0]?.authorizationToken;
  if (!token) throw new Error('the ECR stand-in issued no authorization token');
  return Buffer.from(token, 'base64').toString('utf8').replace(/^AWS:/, '');
}
