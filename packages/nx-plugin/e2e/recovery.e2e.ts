/**
 * Runs that stop half-way, end to end: a run killed between ecr-publish and teams-notify, a card the webhook
 * refused, a run killed while its integration test runs, and tags a stopped publish left in ECR. In each
 * case the next ordinary run finds what the earlier one left (in the registry, in the Docker engine, in
 * the temp folder), finishes or removes it, and says so; the run after that has nothing left to do.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stackCall } from '../../../tools/local-stack/client';
import type { FaultRule } from '../../../tools/local-stack/faults';
import { recordFigure } from './figures';
import {
  cardFact,
  cards,
  createWorkspace,
  digestOf,
  ecrTags,
  editJson,
  expectOk,
  git,
  LOCAL_ENV,
  nx,
  type NxRun,
  recordsOf,
  REPO_ROOT,
  SINK,
  withEcrAuthFile,
  type Workspace,
} from './support';
import { notifyHasWork, publishHasWork } from '../src/steps/records';
import type { NxJsonFile } from './json-files';

jest.setTimeout(20 * 60_000);

const PROJECT = 'net6-runtime';
const PREFIX = '6.0-bullseye-slim';
const VERSION = new RegExp(`^${PREFIX.replace(/\./g, '\\.')}-\\d+\\.\\d+\\.\\d+$`);

let ws: Workspace;
let repo: string;
/** Run ids of the runs this suite started, whose Docker leftovers afterAll removes if a test failed before the product did. */
const runIds = new Set<string>();

function versions(): string[] {
  return ecrTags(repo).filter((t) => VERSION.test(t));
}

function docker(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

/** The product's line that matches, as the run printed it. */
function said(run: NxRun, pattern: RegExp): string {
  return (
    run.output
      .split('\n')
      .find((line) => pattern.test(line))
      ?.trim() ?? ''
  );
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** The records the image's steps wrote in the last run (or the run in progress). */
const records = () => recordsOf(ws, 'net6/runtime');

/** The run id the check of the run in progress (or last run) wrote, if it has one. */
function currentRunId(): string | undefined {
  return records().find('mcr-check')?.runId;
}

/** Whether the last run's check found the image current. */
function checkedCurrent(): boolean {
  return records().read('mcr-check').stale === false;
}

/** Images of this project whose tag carries the run id: the candidate docker-build made and the test app image. */
function imagesOfRun(runId: string): string[] {
  return lines(docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).filter(
    (ref) => ref.startsWith(`platform-images/${PROJECT}:candidate-${runId}`) || ref.startsWith(`platform-images-test/${PROJECT}:${runId}`),
  );
}

function containersOfRun(runId: string): string[] {
  return lines(docker(['ps', '--all', '--filter', `name=platform-images-test-${PROJECT}-${runId}`, '--format', '{{.Names}} {{.State}}']));
}

/** Temp folders of the integration test of this run: their Dockerfile starts FROM the run's candidate image. */
function testFoldersOfRun(runId: string): string[] {
  return readdirSync(tmpdir())
    .filter((name) => name.startsWith('platform-images-test-'))
    .map((name) => path.join(tmpdir(), name))
    .filter((dir) => {
      try {
        return readFileSync(path.join(dir, 'Dockerfile'), 'utf8').includes(`candidate-${runId}`);
      } catch {
        return false;
      }
    });
}

/** A fault rule on the Teams sink for this workspace's webhook path only; removed by its id. */
async function teamsFault(action: Record<string, unknown>): Promise<number> {
  const port = Number(new URL(SINK).port);
  const added = JSON.parse(
    await stackCall(port, 'POST', '/__faults', { rules: [{ match: { method: 'POST', path: `^${ws.webhookPath}$` }, action }] }),
  ) as { rules: FaultRule[] };
  return added.rules[0].id;
}

async function removeTeamsFault(id: number): Promise<void> {
  await stackCall(Number(new URL(SINK).port), 'DELETE', `/__faults/${id}`);
}

/** Pushes an image under a tag with an independent client, as a run that stopped after its push would have left it. */
function pushTag(source: string, tag: string): void {
  withEcrAuthFile((authFile) => {
    execFileSync('skopeo', [
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--dest-authfile',
      authFile,
      `docker://localhost:5001/${source}`,
      `docker://localhost:5002/${repo}:${tag}`,
    ]);
  });
}

beforeAll(() => {
  ws = createWorkspace(['net6/runtime']);
  repo = `${ws.prefix}/runtime`;
});

afterAll(() => {
  if (!ws) return;
  // Only what this suite's own runs made, and only if a failed test left it behind.
  for (const runId of runIds) {
    for (const line of containersOfRun(runId)) docker(['rm', '--force', line.split(' ')[0]]);
    for (const ref of imagesOfRun(runId)) spawnQuiet(['image', 'rm', '--force', ref]);
    for (const dir of testFoldersOfRun(runId)) rmSync(dir, { recursive: true, force: true });
  }
  ws.dispose();
});

function spawnQuiet(args: string[]): void {
  try {
    docker(args);
  } catch {
    // Already gone.
  }
}

test('a run stopped after ecr-publish, before teams-notify: the next run sends the card it owes, once', async () => {
  // The chain up to ecr-publish and no further, as a run killed right after publishing leaves it.
  const stopped = nx(ws, ['run', `${PROJECT}:ecr-publish`]);
  expectOk(stopped);
  runIds.add(currentRunId() ?? '');
  expect(versions()).toEqual([`${PREFIX}-1.0.0`]);
  expect(await cards(ws)).toHaveLength(0);

  const next = nx(ws, ['run', `${PROJECT}:publish`]);
  expectOk(next);
  expect(checkedCurrent()).toBe(true);
  expect(records().read('docker-build').built).toBe(false);
  const received = await cards(ws);
  expect(received).toHaveLength(1);
  expect(cardFact(received[0], 'Version tag')).toBe(`${PREFIX}-1.0.0`);
  expect(cardFact(received[0], 'Digest')).toBe(digestOf(repo, `${PREFIX}-1.0.0`));
  expect(cardFact(received[0], 'Why')).toMatch(/published by an earlier run/);
  expect(records().read('teams-notify')).toMatchObject({ sent: true, lateCards: [`${PREFIX}-1.0.0`] });
  // What the registry recorded as owed is settled: only the version and its moving tags are left.
  expect(ecrTags(repo)).toEqual(['6.0', `${PREFIX}-1.0.0`, 'latest']);

  const third = nx(ws, ['run', `${PROJECT}:publish`]);
  expectOk(third);
  expect(checkedCurrent()).toBe(true);
  expect(publishHasWork(records().read('mcr-check')) || notifyHasWork(records().read('mcr-check'))).toBe(false);
  expect(await cards(ws)).toHaveLength(1);
  recordFigure('recovery', {
    case: 'killed after ecr-publish, before teams-notify',
    ok: true,
    observed: `next run: ${said(next, /Teams card sent for/)}; the run after: no card`,
  });
});

test('a card the webhook refused is owed: the next run sends it, and only it', async () => {
  const start = { versions: versions(), cards: (await cards(ws)).length };
  const fault = await teamsFault({ status: 503 });
  let refused: NxRun;
  try {
    refused = nx(ws, ['run', `${PROJECT}:publish`], { PLATFORM_IMAGES_FORCE_UPDATE: 'true' });
  } finally {
    await removeTeamsFault(fault);
  }
  expectOk(refused);
  runIds.add(currentRunId() ?? '');
  const published = versions().filter((v) => !start.versions.includes(v));
  expect(published).toHaveLength(1);
  expect(records().read('teams-notify')).toMatchObject({
    sent: false,
    error: expect.stringMatching(/Teams card not sent: .*HTTP 503/) as jest.AsymmetricMatcher,
  });
  expect(await cards(ws)).toHaveLength(start.cards);

  const next = nx(ws, ['run', `${PROJECT}:publish`]);
  expectOk(next);
  expect(checkedCurrent()).toBe(true);
  const received = (await cards(ws)).slice(start.cards);
  expect(received.map((c) => cardFact(c, 'Version tag'))).toEqual(published);
  expect(cardFact(received[0], 'Digest')).toBe(digestOf(repo, published[0]));

  expectOk(nx(ws, ['run', `${PROJECT}:publish`]));
  expect(await cards(ws)).toHaveLength(start.cards + 1);
  recordFigure('recovery', {
    case: 'card refused by the webhook (HTTP 503, every try)',
    ok: true,
    observed: `next run: ${said(next, /Teams card sent for/)}`,
  });
});

test('a run killed during its integration test: the next run removes its container, images and temp folder, and says so', async () => {
  // A test app that never gives the expected answer keeps the test container up until the run is killed.
  const appDir = path.join(ws.root, 'integration-tests/net6-never-ready');
  mkdirSync(appDir, { recursive: true });
  writeFileSync(
    path.join(appDir, 'Dockerfile'),
    'FROM mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim\nWORKDIR /app\nCMD ["busybox", "httpd", "-f", "-p", "8080", "-h", "/app"]\n',
  );
  writeFileSync(
    path.join(appDir, 'test-app.json'),
    JSON.stringify({ port: 8080, request: { method: 'GET', path: '/ready' }, expectStatus: 200, timeoutSeconds: 900 }),
  );
  const published = versions();
  const nxJson = readFileSync(path.join(ws.root, 'nx.json'), 'utf8');
  editJson(ws.root, 'nx.json', (value: NxJsonFile) => {
    value.plugins[0].options.profiles.local.testAppSubstitutes['integration-tests/net6'] = 'integration-tests/net6-never-ready';
  });

  const child = spawn(path.join(REPO_ROOT, 'node_modules/.bin/nx'), ['run', `${PROJECT}:publish`, '--outputStyle=stream'], {
    cwd: ws.root,
    env: { ...process.env, ...LOCAL_ENV, TEAMS_WEBHOOK_URI: `${SINK}${ws.webhookPath}`, PLATFORM_IMAGES_FORCE_UPDATE: 'true' },
    // Its own process group, so the whole run (nx and the task processes it forks) is killed at once.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));

  let runId: string | undefined;
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    runId = currentRunId();
    if (runId && containersOfRun(runId).some((line) => line.endsWith(' running'))) break;
    if (child.exitCode !== null) throw new Error(`the run ended before its test container started:\n${output.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (!runId || !containersOfRun(runId).length) throw new Error(`no test container appeared:\n${output.slice(-4000)}`);
  runIds.add(runId);
  process.kill(-child.pid!, 'SIGKILL');
  await closed;
  writeFileSync(path.join(ws.root, 'nx.json'), nxJson);
  rmSync(appDir, { recursive: true, force: true });

  // What the killed run left: its running test container, the candidate and the test app image, the temp folder.
  expect(containersOfRun(runId)).toEqual([`platform-images-test-${PROJECT}-${runId} running`]);
  const images = imagesOfRun(runId);
  expect(images.some((ref) => ref.startsWith(`platform-images/${PROJECT}:candidate-${runId}`))).toBe(true);
  expect(images.some((ref) => ref.startsWith(`platform-images-test/${PROJECT}:${runId}`))).toBe(true);
  const folders = testFoldersOfRun(runId);
  expect(folders).toHaveLength(1);

  const next = nx(ws, ['run', `${PROJECT}:publish`]);
  expectOk(next);
  expect(checkedCurrent()).toBe(true);
  // The local sweep keeps no record: what it removed is what it says.
  const cleanup = said(next, /removed what stopped runs left/);
  expect(cleanup).toContain(`container platform-images-test-${PROJECT}-${runId}`);
  for (const ref of images) expect(cleanup).toContain(`image ${ref}`);
  expect(cleanup).toContain(`folder ${folders[0]}`);
  expect(containersOfRun(runId)).toEqual([]);
  expect(imagesOfRun(runId)).toEqual([]);
  expect(existsSync(folders[0])).toBe(false);
  expect(versions()).toEqual(published);
  recordFigure('recovery', {
    case: 'killed (SIGKILL to the nx process group) during the integration test',
    ok: true,
    observed: `next run: ${said(next, /removed what stopped runs left/)}`,
  });
});

test('tags a stopped publish left in ECR, older than cleanup.registryAfter, are removed by the next run, which says so', async () => {
  const staging = 'staging-0123456789abcdef';
  const marker = 'unannounced-fedcba9876543210';
  // A staging tag Docker pushed, and an announcement marker whose version tag was never written.
  pushTag('dotnet/runtime:6.0-bullseye-slim', staging);
  pushTag('dotnet/sdk:6.0-bullseye-slim', marker);
  const before = { versions: versions(), latest: digestOf(repo, 'latest'), cards: (await cards(ws)).length };
  editJson(ws.root, 'nx.json', (value: NxJsonFile) => {
    value.plugins[0].options.profiles.local.cleanup = { registryAfter: '2s' };
  });
  git(ws.root, ['commit', '-qam', 'clean up run tags after two seconds']);
  await new Promise((resolve) => setTimeout(resolve, 3000));

  const next = nx(ws, ['run', `${PROJECT}:publish`]);
  expectOk(next);
  expect(checkedCurrent()).toBe(true);
  expect(records().read('ecr-publish').removedTags).toEqual(expect.arrayContaining([staging, marker]));
  const removed = said(next, new RegExp(`${PROJECT}: removed .*${staging}`));
  expect(removed).toContain(marker);
  expect(removed).toMatch(/left by runs that stopped/);
  expect(ecrTags(repo)).toEqual(['6.0', ...before.versions, 'latest'].sort());
  expect(versions()).toEqual(before.versions);
  expect(digestOf(repo, 'latest')).toBe(before.latest);
  expect(await cards(ws)).toHaveLength(before.cards);

  const again = nx(ws, ['run', `${PROJECT}:publish`]);
  expectOk(again);
  expect(records().read('ecr-publish').removedTags).toBeUndefined();
  recordFigure('recovery', {
    case: 'staging tag and orphan marker left in ECR (cleanup.registryAfter 2s)',
    ok: true,
    observed: `next run: ${said(next, new RegExp(`${PROJECT}: removed`))}`,
  });
});
