/**
 * End-to-end support: a throwaway copy of this workspace (its own git history, ECR repositories under a
 * unique prefix) driven by real `nx` runs against the local stack (tools/local-stack), and independent
 * clients (Debian's awscli, skopeo) to check what was published.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LOCAL_ENV, stackCall } from '../../../tools/local-stack/client';
import { withoutColour } from '../../../tools/without-colour';
import { SUMMARY_JSON, type SummaryFile, type SummaryRow } from '../src/plugin/run-summary';
import { Records, recordsDir } from '../src/steps/records';
import type { DescribedImages, ImageFile, NxJsonFile } from './json-files';

export { LOCAL_ENV };

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const ECR_ENDPOINT = 'http://localhost:5003';
export const STS_ENDPOINT = 'http://localhost:5006';
/** The other AWS account of the local stack, whose repositories live on their own registry host. */
export const OTHER_ACCOUNT = { id: '111111111111', registry: 'localhost:5007' } as const;
export const SINK = 'http://localhost:5004';
const AWS = '/usr/bin/aws';

export interface Workspace {
  root: string;
  prefix: string;
  webhookPath: string;
  dispose(): void;
}

/**
 * A copy of this workspace with only the named platform images (folders under platform-images/), each
 * publishing to `<prefix>/<repository>` so suites never share ECR repositories. The local profile runs the
 * busybox stand-ins of the test apps (as on a machine without the .NET SDK) unless `realDotnet` asks for the
 * real .NET apps: those prove .NET on the images, and are kept to the suites that are about that.
 */
export function createWorkspace(images: string[] = ['net6/runtime', 'net6/sdk'], options: { realDotnet?: boolean } = {}): Workspace {
  const root = mkdtempSync(path.join(tmpdir(), 'platform-images-e2e-'));
  const prefix = `e2e-${path.basename(root).split('-').pop()!.toLowerCase()}`;
  for (const entry of [
    'nx.json',
    'package.json',
    'tsconfig.base.json',
    'tsconfig.json',
    'integration-tests',
    ...images.map((i) => `platform-images/${i}`),
  ]) {
    cpSync(path.join(REPO_ROOT, entry), path.join(root, entry), { recursive: true });
  }
  // The plugin and its dependencies come from this checkout.
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  symlinkSync(path.join(REPO_ROOT, 'packages'), path.join(root, 'packages'));
  writeFileSync(path.join(root, '.gitignore'), 'node_modules\npackages\ndist\n.nx\n');
  for (const image of images) {
    editJson(root, `platform-images/${image}/platform-image.json`, (c: ImageFile) => {
      c.ecr.repository = `${prefix}/${String(c.ecr.repository)}`;
      // A suite's repositories hold one .NET line, which owns `latest` there.
      delete c.ecr.latest;
    });
  }
  if (!options.realDotnet) {
    editJson(root, 'nx.json', (value: NxJsonFile) => {
      const profiles = value.plugins[0].options.profiles;
      profiles.local.testAppSubstitutes = { ...profiles['local-without-dotnet'].testAppSubstitutes };
    });
  }
  git(root, ['init', '-q', '-b', 'main']);
  git(root, ['add', '-A']);
  git(root, ['commit', '-qm', 'workspace']);
  return { root, prefix, webhookPath: `/webhook/${prefix}`, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

export function git(cwd: string, args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=e2e@example.invalid', '-c', 'user.name=e2e', ...args], { cwd, encoding: 'utf8' });
}

/** Edits a JSON file of the workspace in place; the callback's parameter says what the file holds. */
export function editJson<T>(root: string, file: string, edit: (value: T) => void): void {
  const full = path.join(root, file);
  const value = JSON.parse(readFileSync(full, 'utf8')) as T;
  edit(value);
  writeFileSync(full, JSON.stringify(value, null, 2) + '\n');
}

export interface NxRun {
  code: number;
  output: string;
}

/**
 * Fails the test unless the command succeeded, with the end of its output (where nx and the steps say what
 * went wrong). Returns the run, for the assertions on its output.
 */
export function expectOk<R extends NxRun>(run: R, what = 'nx'): R {
  if (run.code !== 0) throw new Error(`${what} failed with ${run.code}:\n${run.output.slice(-8000)}`);
  return run;
}

/** The JSON document in an nx command's output (which may carry log lines around it). */
export function jsonIn(output: string, open: '{' | '[' = '{'): unknown {
  const close = open === '{' ? '}' : ']';
  return JSON.parse(output.slice(output.indexOf(open), output.lastIndexOf(close) + 1));
}

export function nx(ws: Workspace, args: string[], env: Record<string, string> = {}): NxRun {
  // Generators validate every flag against their schema, so only task-running commands get the output style.
  const generating = args[0] === 'g' || args[0] === 'generate';
  const styled = generating || args.some((a) => a.startsWith('--outputStyle'));
  const result = spawnSync(path.join(REPO_ROOT, 'node_modules/.bin/nx'), styled ? args : [...args, '--outputStyle=stream'], {
    cwd: ws.root,
    encoding: 'utf8',
    env: { ...process.env, ...LOCAL_ENV, TEAMS_WEBHOOK_URI: `${SINK}${ws.webhookPath}`, ...env },
    timeout: 15 * 60_000,
  });
  // Colour codes appear when the caller's environment forces them (CI often does); assertions read text.
  const output = withoutColour(`${result.stdout}\n${result.stderr}`);
  return { code: result.status ?? -1, output };
}

/**
 * What the steps recorded for an image (its folder under platform-images/, e.g. `net6/runtime`) in the
 * workspace's last run: what each step decided and did, and why a step failed. Outcomes are read here, not
 * from the log.
 */
export function recordsOf(ws: Workspace, image: string): Records {
  return new Records(recordsDir(ws.root, `platform-images/${image}`));
}

/** The rows of the run summary the last nx command that ran image tasks wrote, one per image it touched. */
export function summaryRows(ws: Workspace): SummaryRow[] {
  return (JSON.parse(readFileSync(path.join(ws.root, 'dist', SUMMARY_JSON), 'utf8')) as SummaryFile).rows;
}

export interface PublishedImage {
  imageDigest: string;
  imageTags?: string[];
}

/** Debian's awscli against the ECR stand-in, with the local placeholder credentials. */
export function awsEcr(args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(AWS, ['ecr', ...args, '--endpoint-url', ECR_ENDPOINT], {
    encoding: 'utf8',
    env: { ...process.env, ...LOCAL_ENV, AWS_DEFAULT_REGION: 'eu-west-1' },
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The password the ECR stand-in issues now (it changes whenever the stand-in restarts). */
export function ecrPassword(): string {
  const result = awsEcr(['get-login-password']);
  if (result.status !== 0) throw new Error(`aws ecr get-login-password failed: ${result.stderr}`);
  return result.stdout.trim();
}

export function ecrImages(repository: string): PublishedImage[] {
  const result = awsEcr(['describe-images', '--repository-name', repository, '--output', 'json']);
  if (result.status !== 0) {
    if (/RepositoryNotFoundException/.test(result.stderr)) return [];
    throw new Error(`aws ecr describe-images failed: ${result.stderr}`);
  }
  return (JSON.parse(result.stdout) as DescribedImages).imageDetails;
}

export function ecrTags(repository: string): string[] {
  return ecrImages(repository)
    .flatMap((i) => i.imageTags ?? [])
    .sort();
}

export function digestOf(repository: string, tag: string): string | undefined {
  return ecrImages(repository).find((i) => i.imageTags?.includes(tag))?.imageDigest;
}

/**
 * Runs `use` with a skopeo auth file (containers-auth.json) holding the ECR stand-in's login for `registry`, the
 * caller's own ECR registry unless another account's is named; the file is removed afterwards.
 */
export function withEcrAuthFile<T>(use: (authFile: string) => T, registry = 'localhost:5002'): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'skopeo-'));
  const authFile = path.join(dir, 'auth.json');
  writeFileSync(authFile, JSON.stringify({ auths: { [registry]: { auth: Buffer.from(`AWS:${ecrPassword()}`).toString('base64') } } }));
  try {
    return use(authFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Labels as skopeo (an independent registry client) reads them through the ECR stand-in's auth. */
export function labelsOf(repository: string, tag: string): Record<string, string> {
  return withEcrAuthFile((authFile) => {
    const out = execFileSync(
      'skopeo',
      ['inspect', '--tls-verify=false', '--authfile', authFile, `docker://localhost:5002/${repository}:${tag}`],
      { encoding: 'utf8' },
    );
    return (JSON.parse(out) as { Labels?: Record<string, string> | null }).Labels ?? {};
  });
}

export interface Card {
  path: string;
  body: {
    type: string;
    attachments: Array<{
      contentType: string;
      content: { version: string; body: Array<{ text?: string; facts?: Array<{ title: string; value: string }> }> };
    }>;
  };
}

/**
 * The cards the sink received for this workspace. One connection per read: between reads the suite
 * waits on nx runs far longer than any server keeps an idle connection, and a pooled socket the sink
 * already closed would fail the read.
 */
export async function cards(ws: Pick<Workspace, 'webhookPath'>): Promise<Card[]> {
  return (JSON.parse(await stackCall(Number(new URL(SINK).port), 'GET', '/cards')) as Card[]).filter((c) => c.path === ws.webhookPath);
}

export function cardFact(card: Card, title: string): string | undefined {
  return card.body.attachments[0].content.body.flatMap((b) => b.facts ?? []).find((f) => f.title === title)?.value;
}

/** Simulates Microsoft rebuilding an image: a new digest under the same tag in the MCR stand-in. */
export function bumpBase(repoTag: string): string {
  const out = execFileSync('bash', [path.join(REPO_ROOT, 'tools/local-stack/bump-base.sh'), repoTag], { encoding: 'utf8' });
  const digest = /sha256:[0-9a-f]{64}/.exec(out)?.[0];
  if (!digest) throw new Error(`bump-base printed no digest: ${out}`);
  return digest;
}

export function upstreamDigest(repoTag: string): string {
  const [repo, tag] = repoTag.split(':');
  const out = execFileSync(
    'curl',
    [
      '-sfI',
      '-H',
      'Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      `http://localhost:5001/v2/${repo}/manifests/${tag}`,
    ],
    { encoding: 'utf8' },
  );
  return /docker-content-digest:\s*(\S+)/i.exec(out)![1];
}

/**
 * When the MCR stand-in's linux/amd64 image of a tag was built: its config's `created`, as ISO (what the
 * product records as when the base moved).
 */
export function upstreamCreated(repoTag: string): string {
  const out = execFileSync(
    'skopeo',
    ['inspect', '--tls-verify=false', '--override-os', 'linux', '--override-arch', 'amd64', `docker://localhost:5001/${repoTag}`],
    { encoding: 'utf8' },
  );
  return new Date((JSON.parse(out) as { Created: string }).Created).toISOString();
}

/** The annotations on the manifest (or index) a tag names in the ECR stand-in. */
export function annotationsOf(repository: string, tag: string): Record<string, string> {
  return withEcrAuthFile((authFile) => {
    const out = execFileSync(
      'skopeo',
      ['inspect', '--raw', '--tls-verify=false', '--authfile', authFile, `docker://localhost:5002/${repository}:${tag}`],
      { encoding: 'utf8' },
    );
    return (JSON.parse(out) as { annotations?: Record<string, string> }).annotations ?? {};
  });
}

/** The runs a test starts at once (racing publishers): like nx(), without blocking the event loop. */
export function nxAsync(ws: Workspace, args: string[], env: Record<string, string> = {}): Promise<NxRun> {
  return new Promise((resolve) => {
    const child = spawn(path.join(REPO_ROOT, 'node_modules/.bin/nx'), [...args, '--outputStyle=stream'], {
      cwd: ws.root,
      env: { ...process.env, ...LOCAL_ENV, TEAMS_WEBHOOK_URI: `${SINK}${ws.webhookPath}`, ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('close', (code) => resolve({ code: code ?? -1, output: withoutColour(output) }));
  });
}

/** The local stack's services that take injected faults (tools/local-stack/faults.ts), by what they stand in for. */
export const FAULT_PORTS = { upstream: 5005, ecrApi: 5003, ecrRegistry: 5002, teams: 5004, sts: 5006 } as const;
export type FaultTarget = keyof typeof FAULT_PORTS;

export interface FaultRule {
  match?: { method?: string; path?: string; operation?: string };
  times?: number;
  action: Record<string, unknown>;
}

/** A control request to a stand-in; `T` is what that endpoint answers (tools/local-stack/faults.ts and the stand-ins). */
async function control<T = unknown>(target: FaultTarget, method: string, pathname: string, body?: unknown): Promise<T> {
  const text = await stackCall(FAULT_PORTS[target], method, pathname, body);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function injectFaults(target: FaultTarget, rules: FaultRule[]): Promise<void> {
  await control(target, 'POST', '/__faults', { rules });
}

/** The rules in force on a service, each with how many requests it hit. */
export async function faultHits(target: FaultTarget): Promise<number[]> {
  const listed = await control<{ rules: Array<{ hits: number }> }>(target, 'GET', '/__faults');
  return listed.rules.map((r) => r.hits);
}

/** Requests a service counted since it started (tools/local-stack/faults.ts RequestStats). */
export async function requestStats(target: FaultTarget): Promise<{ requests: number; byKind: Record<string, number> }> {
  return control<{ requests: number; byKind: Record<string, number> }>(target, 'GET', '/__stats');
}

export interface SessionCredentials {
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  AWS_SESSION_TOKEN: string;
}

/** Temporary credentials from the STS stand-in that expire after `lifetimeSeconds`, as the environment of a run. */
export async function sessionCredentials(lifetimeSeconds: number): Promise<SessionCredentials> {
  const issued = await control<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }>('sts', 'POST', '/__credentials', {
    lifetimeSeconds,
  });
  return { AWS_ACCESS_KEY_ID: issued.accessKeyId, AWS_SECRET_ACCESS_KEY: issued.secretAccessKey, AWS_SESSION_TOKEN: issued.sessionToken };
}

export async function clearFaults(): Promise<void> {
  for (const target of Object.keys(FAULT_PORTS) as FaultTarget[]) await control(target, 'DELETE', '/__faults');
}

export interface TagAssignment {
  repository: string;
  tag: string;
  digest: string;
  at: string;
  via: string;
}

/** Every tag assignment the ECR stand-in accepted for a repository, oldest first. */
export async function tagHistory(repository: string): Promise<TagAssignment[]> {
  return control<TagAssignment[]>('ecrApi', 'GET', `/__history?repository=${encodeURIComponent(repository)}`);
}

/** Version tags that ever named more than one digest: published versions that moved. */
export function movedVersions(history: TagAssignment[], versionPattern: RegExp): string[] {
  const digests = new Map<string, Set<string>>();
  for (const entry of history) {
    if (!versionPattern.test(entry.tag)) continue;
    const key = `${entry.repository}:${entry.tag}`;
    digests.set(key, (digests.get(key) ?? new Set()).add(entry.digest));
  }
  return [...digests].filter(([, set]) => set.size > 1).map(([key]) => key);
}
