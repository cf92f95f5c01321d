/**
 * The base of the change-driven run: the commit the last successful run of this pipeline on main built,
 * so every change since then is considered even when runs were skipped, batched or failed in between.
 * With no such run (the first one, or the API unreachable) the base is HEAD~1.
 *
 *   npx platform-images-azure base-sha [--branch=refs/heads/main]
 *
 * Reads SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECT, SYSTEM_DEFINITIONID and SYSTEM_ACCESSTOKEN (mapped
 * explicitly into the step's env) and sets the job variable PLATFORM_IMAGES_BASE. The token is sent
 * only in the Authorization header and never printed; every printed line is redacted as a second guard.
 * The commit is looked for in the clone of the current directory.
 */
import { execFileSync } from 'node:child_process';
import { createLogger } from '../lib/log';

export const FALLBACK_BASE = 'HEAD~1';
export const BASE_VARIABLE = 'PLATFORM_IMAGES_BASE';
const REQUIRED = ['SYSTEM_COLLECTIONURI', 'SYSTEM_TEAMPROJECT', 'SYSTEM_DEFINITIONID', 'SYSTEM_ACCESSTOKEN'] as const;

export interface BuildsQuery {
  collectionUri: string;
  project: string;
  definitionId: string;
  branch: string;
}

export interface ChosenBuild {
  sha: string;
  buildNumber?: string;
  id?: number;
}

export type Fetch = (
  url: string,
  init: { headers: Record<string, string>; signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

export interface BaseDeps {
  fetch: Fetch;
  /** Is the commit in this clone? (A force-push can make the last built commit unreachable.) */
  hasCommit: (sha: string) => boolean;
  branch?: string;
}

/** The newest completed, succeeded run of this definition on the branch. */
export function buildsUrl(q: BuildsQuery): string {
  const params = [
    `definitions=${encodeURIComponent(q.definitionId)}`,
    `branchName=${encodeURIComponent(q.branch)}`,
    'statusFilter=completed',
    'resultFilter=succeeded',
    'queryOrder=finishTimeDescending',
    '$top=1',
    'api-version=7.1',
  ];
  return `${q.collectionUri.replace(/\/?$/, '/')}${encodeURIComponent(q.project)}/_apis/build/builds?${params.join('&')}`;
}

/** The commit of the first build in a builds API answer, when it names a full commit id. */
export function chooseBase(response: unknown): ChosenBuild | undefined {
  const builds = (response as { value?: unknown })?.value;
  if (!Array.isArray(builds) || builds.length === 0) return undefined;
  const build = builds[0] as { sourceVersion?: unknown; buildNumber?: unknown; id?: unknown };
  // Only a commit id goes on to a command line: anything else is not a base.
  if (typeof build.sourceVersion !== 'string' || !/^([0-9a-f]{40}|[0-9a-f]{64})$/i.test(build.sourceVersion)) return undefined;
  return {
    sha: build.sourceVersion.toLowerCase(),
    buildNumber: typeof build.buildNumber === 'string' ? build.buildNumber : undefined,
    id: typeof build.id === 'number' ? build.id : undefined,
  };
}

export function redact(text: string, secret: string | undefined): string {
  return secret && secret.length >= 4 ? text.split(secret).join('***') : text;
}

/** Decides the base and returns it with the lines to print (already redacted). */
export async function resolveBase(env: Record<string, string | undefined>, deps: BaseDeps): Promise<{ base: string; lines: string[] }> {
  const token = env.SYSTEM_ACCESSTOKEN;
  const lines: string[] = [];
  const log = createLogger(env, (line) => lines.push(line));
  const done = (base: string) => {
    lines.push(`##vso[task.setvariable variable=${BASE_VARIABLE}]${base}`);
    return { base, lines: lines.map((l) => redact(l, token)) };
  };
  const fallback = (why: string) => {
    log.warn(`${why}; comparing with ${FALLBACK_BASE} instead`);
    return done(FALLBACK_BASE);
  };

  const missing = REQUIRED.filter((name) => !env[name] || env[name].startsWith('$('));
  if (missing.length) {
    return fallback(
      `cannot look up the last successful run: ${missing.join(', ')} not set (map them into the step's env; for SYSTEM_ACCESSTOKEN use $(System.AccessToken))`,
    );
  }
  const url = buildsUrl({
    collectionUri: env.SYSTEM_COLLECTIONURI!,
    project: env.SYSTEM_TEAMPROJECT!,
    definitionId: env.SYSTEM_DEFINITIONID!,
    branch: deps.branch ?? 'refs/heads/main',
  });

  let body: unknown;
  try {
    const response = await deps.fetch(url, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) {
      const hint =
        response.status === 401 || response.status === 403 ? ' (the build service identity needs "View builds" on this pipeline)' : '';
      return fallback(`the builds API answered HTTP ${response.status}${hint}`);
    }
    body = await response.json();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } })?.cause?.code;
    return fallback(`the builds API could not be reached: ${(err as Error)?.message ?? String(err)}${cause ? ` (${cause})` : ''}`);
  }

  const chosen = chooseBase(body);
  if (!chosen) return fallback(`no successful run of this pipeline on ${deps.branch ?? 'refs/heads/main'} yet`);
  const from = `run ${chosen.buildNumber ?? '?'}${chosen.id ? ` (#${chosen.id})` : ''}`;
  if (!deps.hasCommit(chosen.sha))
    return fallback(`${chosen.sha}, built by the last successful ${from}, is not in this clone (history rewritten?)`);
  log.info(`base: ${chosen.sha}, built by the last successful ${from}`);
  return done(chosen.sha);
}

export function gitHasCommit(cwd: string): (sha: string) => boolean {
  return (sha) => {
    try {
      execFileSync('git', ['cat-file', '-e', `${sha}^{commit}`], { cwd, stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
}

export function parseBranch(argv: string[]): string {
  let branch = 'refs/heads/main';
  for (const arg of argv) {
    const m = /^--branch=(.+)$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg}; expected --branch=refs/heads/<name>`);
    branch = m[1].startsWith('refs/') ? m[1] : `refs/heads/${m[1]}`;
  }
  return branch;
}

/** The `base-sha` command: prints the base's variable; a failure is a pipeline error and fails the step. */
export async function runBaseSha(argv: string[], root = process.cwd()): Promise<number> {
  try {
    const { lines } = await resolveBase(process.env, {
      fetch,
      hasCommit: gitHasCommit(root),
      branch: parseBranch(argv),
    });
    for (const line of lines) console.log(line);
    return 0;
  } catch (err) {
    console.log(
      redact(
        `##vso[task.logissue type=error]base commit not determined: ${(err as Error)?.message ?? String(err)}`,
        process.env.SYSTEM_ACCESSTOKEN,
      ),
    );
    return 1;
  }
}
