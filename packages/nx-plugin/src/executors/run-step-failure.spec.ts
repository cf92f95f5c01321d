/**
 * A failing step through runStep in a real workspace on disk: it writes its failure record beside the step
 * records, the next run clears it, and the run summary reads the record (never the log) to say why.
 */
import type { ExecutorContext, TaskResult } from '@nx/devkit';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UserError } from '../types/errors';
import { writeRunSummary, type SummaryFile } from '../plugin/run-summary';
import { FAILURE, Records, recordsDir, type CheckRecord, type FailureRecord } from '../steps/records';
import { runStep } from './run-step';
import { Session } from './session';

const PROJECT = 'net6-runtime';
const PROJECT_ROOT = 'platform-images/net6/runtime';
const IMAGE_FILE = `${PROJECT_ROOT}/platform-image.json`;
const BASE = 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim';

let root: string;
let lines: string[];

function write(rel: string, content: unknown): void {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
}

const records = () => new Records(recordsDir(root, PROJECT_ROOT));
const failureFile = () => path.join(root, 'dist', PROJECT_ROOT, `${FAILURE}.json`);
const failureOnDisk = () => JSON.parse(readFileSync(failureFile(), 'utf8')) as FailureRecord;

function context(targetName: string): ExecutorContext {
  return {
    root,
    cwd: root,
    isVerbose: false,
    projectName: PROJECT,
    targetName,
    projectsConfigurations: { version: 2, projects: { [PROJECT]: { root: PROJECT_ROOT } } },
    nxJsonConfiguration: {
      plugins: [
        {
          plugin: '@platform-images/nx-plugin',
          options: { aws: { region: 'eu-west-1' }, registryMirrors: {}, teams: { webhookEnv: 'TEAMS_WEBHOOK_URI' } },
        },
      ],
    },
  } as unknown as ExecutorContext;
}

const runtime = () => ({ session: new Session({}), write: (line: string) => lines.push(line) });

const staleCheck: CheckRecord = {
  project: PROJECT,
  stale: true,
  reason: 'base-moved',
  message: `${BASE} moved`,
  runId: 'r1',
  base: { name: BASE, digest: 'sha256:2', pullRef: `${BASE}@sha256:2` },
  contextDigest: 'sha256:c',
  nextVersion: { tag: '6.0-bullseye-slim-1.1.0', version: '1.1.0' },
};
const currentCheck: CheckRecord = { ...staleCheck, stale: false, reason: 'current', message: 'current', runId: undefined };

function taskResult(target: string, status: TaskResult['status']): TaskResult {
  return {
    task: {
      id: `${PROJECT}:${target}`,
      target: { project: PROJECT, target },
      projectRoot: PROJECT_ROOT,
      overrides: {},
      outputs: [],
      parallelism: true,
    },
    status,
    code: status === 'failure' ? 1 : 0,
    // What the summary must not read: the log says something else than the record.
    terminalOutput: 'error: net6-runtime: mcr-check failed: what the log says\n',
  };
}

/** The summary row of this image after a run whose tasks ended as given. */
function summaryAfter(statuses: Record<string, TaskResult['status']>) {
  const results = Object.entries(statuses).map(([target, status]) => taskResult(target, status));
  writeRunSummary(
    { workspaceRoot: root, taskResults: Object.fromEntries(results.map((r) => [r.task.id, r])) },
    { env: {}, write: () => undefined },
  );
  return (JSON.parse(readFileSync(path.join(root, 'dist', 'platform-images-summary.json'), 'utf8')) as SummaryFile).rows[0];
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'run-step-failure-spec-'));
  lines = [];
  write(IMAGE_FILE, {
    ecr: { repository: 'runtime', tag: '6.0-bullseye-slim' },
    integrationTest: { app: 'integration-tests/net6', replaceFrom: BASE },
  });
  write(`${PROJECT_ROOT}/Dockerfile`, `FROM ${BASE}\n`);
  write('integration-tests/net6/test-app.json', { port: 8080, request: { method: 'GET', path: '/' }, expectStatus: 200 });
  write('integration-tests/net6/Dockerfile', `FROM ${BASE}\n`);
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('a failing step writes its failure record', () => {
  it('with the error and the fix the log shows, and the summary reads it from there', async () => {
    const result = await runStep(
      'mcr-check',
      {},
      context('mcr-check'),
      () => Promise.reject(new UserError(`${BASE}: HTTP 503 after 3 attempts`, 'rerun later')),
      {},
      runtime(),
    );
    expect(result).toEqual({ success: false });
    expect(lines).toEqual([`error: ${PROJECT}: mcr-check failed: ${BASE}: HTTP 503 after 3 attempts\n  fix: rerun later`]);
    expect(failureOnDisk()).toEqual({ step: 'mcr-check', error: `${BASE}: HTTP 503 after 3 attempts`, fix: 'rerun later' });
    expect(summaryAfter({ 'mcr-check': 'failure', publish: 'skipped' })).toMatchObject({
      decision: 'failed at mcr-check',
      reason: `${BASE}: HTTP 503 after 3 attempts`,
    });
  });

  it('a configuration mistake keeps its file and field, also when the settings cannot be read', async () => {
    write(IMAGE_FILE, { ecr: { repository: 'runtime' }, integrationTest: { app: 'integration-tests/net6', replaceFrom: BASE } });
    const body = jest.fn();
    expect(await runStep('mcr-check', {}, context('mcr-check'), body, {}, runtime())).toEqual({ success: false });
    expect(body).not.toHaveBeenCalled();
    const failure = failureOnDisk();
    expect(failure).toMatchObject({ step: 'mcr-check', file: IMAGE_FILE, field: 'ecr.tag' });
    expect(failure.error).toMatch(new RegExp(`^${IMAGE_FILE}: ecr\\.tag: `));
    expect(failure.fix).toBeTruthy();
    // Nothing in the record that the log did not show.
    const logged = lines.join('\n');
    for (const value of Object.values(failure)) expect(logged).toContain(value);
  });

  it("a later step's record carries the check's run id; an unexpected error keeps its name and message, its stack only in the log", async () => {
    records().write('mcr-check', staleCheck);
    const result = await runStep(
      'docker-build',
      {},
      context('docker-build'),
      () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'digest')")),
      {},
      runtime(),
    );
    expect(result).toEqual({ success: false });
    expect(lines.join('\n')).toMatch(/\n\s+at /);
    expect(failureOnDisk()).toEqual({
      step: 'docker-build',
      runId: 'r1',
      error: "TypeError: Cannot read properties of undefined (reading 'digest')",
    });
    expect(summaryAfter({ 'mcr-check': 'success', 'docker-build': 'failure', publish: 'skipped' })).toMatchObject({
      decision: 'failed at docker-build',
      reason: "TypeError: Cannot read properties of undefined (reading 'digest')",
    });
  });

  it('that cannot be written is warned about, and the step fails as it would', async () => {
    const result = await runStep(
      'mcr-check',
      {},
      context('mcr-check'),
      () => {
        // Something in the way of the record, after the step cleared the records.
        mkdirSync(failureFile(), { recursive: true });
        return Promise.reject(new UserError('upstream refused', 'rerun later'));
      },
      {},
      runtime(),
    );
    expect(result).toEqual({ success: false });
    expect(lines).toEqual([
      `error: ${PROJECT}: mcr-check failed: upstream refused\n  fix: rerun later`,
      expect.stringMatching(new RegExp(`^warning: ${PROJECT}: mcr-check: its failure record was not written: `)),
    ]);
  });
});

describe('a failure record from an earlier run', () => {
  async function failBuild(): Promise<void> {
    records().write('mcr-check', staleCheck);
    const body = (): Promise<never> => Promise.reject(new UserError('the build printed 1 warning', 'fix the Dockerfile'));
    await runStep('docker-build', {}, context('docker-build'), body, {}, runtime());
    expect(existsSync(failureFile())).toBe(true);
  }

  it('is cleared by the next check, which starts a new run: its summary shows no failure', async () => {
    await failBuild();
    expect(await runStep('mcr-check', {}, context('mcr-check'), () => Promise.resolve(currentCheck), {}, runtime())).toEqual({
      success: true,
    });
    expect(existsSync(failureFile())).toBe(false);
    expect(records().failure()).toBeUndefined();
    expect(summaryAfter({ 'mcr-check': 'success' })).toMatchObject({ decision: 'current', reason: 'current' });
  });

  it('is cleared by any step that starts, since it starts only once the steps before it succeeded', async () => {
    await failBuild();
    const built = await runStep(
      'docker-build',
      {},
      context('docker-build'),
      () => Promise.resolve({ runId: 'r1', built: true }),
      {},
      runtime(),
    );
    expect(built).toEqual({ success: true });
    expect(existsSync(failureFile())).toBe(false);
  });

  it('is not read when no step of this run failed', async () => {
    await failBuild();
    records().write('docker-build', { runId: 'r1', built: true, versionTag: '6.0-bullseye-slim-1.1.0' });
    expect(summaryAfter({ 'mcr-check': 'success', 'docker-build': 'local-cache' })).toMatchObject({
      decision: 'built, not tested',
      reason: staleCheck.message,
    });
  });
});
