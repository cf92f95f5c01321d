/**
 * integration-test: builds the test app FROM the freshly built platform image (in a temporary copy of
 * its Dockerfile; the source is never touched), runs it on a free port, and waits for the expected answer.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { assertTestAppStartsFrom, type ImageSettings } from '../config/settings';
import type { DockerCli } from '../lib/docker';
import { overrideFrom } from '../lib/dockerfile';
import { CREATED_LABEL, OWNER_LABEL, ownerToken, tempDirPrefix, testContainerName, testImage as testImageName, thisProcess } from '../lib/local-leftovers';
import { UserError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { probeDelayMs, sleep } from '../lib/retry';
import { buildChecked } from './build';
import type { BuildRecord, CheckRecord, TestRecord } from './records';

export interface ProbeResult {
  status?: number;
  error?: string;
}

export type Probe = (url: string, init: RequestInit) => Promise<ProbeResult>;

export const httpProbe: Probe = async (url, init) => {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
    await response.body?.cancel();
    return { status: response.status };
  } catch (err) {
    return { error: (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message };
  }
};

export async function testImage(
  settings: ImageSettings,
  check: CheckRecord,
  build: BuildRecord,
  deps: { docker: DockerCli; log: Logger; probe?: Probe; write?: (chunk: string) => void; pollMs?: number; now?: Date },
): Promise<TestRecord> {
  const { docker, log } = deps;
  const app = settings.integrationTest.app;
  // A test app that would not start FROM the new image is a config mistake: said before touching Docker.
  assertTestAppStartsFrom(settings);
  await docker.ensureEngine();
  const present = await docker.imageId(build.localTag!);
  if (present !== build.imageId) {
    throw new UserError(`${settings.project}: the image docker-build made (${build.imageId}) is not in this Docker engine`, `rerun the chain on one agent: nx run ${settings.project}:publish`);
  }
  const dockerfileName = path.relative(settings.workspaceRoot, app.dockerfile);
  const { text } = overrideFrom(readFileSync(app.dockerfile, 'utf8'), settings.integrationTest.replaceFrom, build.localTag!, settings.registryMirrors);
  const builder = await docker.resolveBuilder(settings.docker.builder);
  // Everything made here is this process's, named or labelled so: if the run is killed before the finally
  // below, the next run's sweep finds it and sees its owner gone (lib/local-leftovers.ts).
  const owner = thisProcess();
  const dir = mkdtempSync(path.join(tmpdir(), tempDirPrefix('test', owner)));
  const testTag = testImageName(settings.project, check.runId!, owner);
  let containerId: string | undefined;
  try {
    const dockerfile = path.join(dir, 'Dockerfile');
    writeFileSync(dockerfile, text);
    log.info(`${settings.project}: building test app ${path.relative(settings.workspaceRoot, app.dir)} FROM ${build.localTag}`);
    await buildChecked(docker, builder, { dockerfile, context: app.context, tag: testTag, iidFile: path.join(dir, 'iid') }, `test app ${dockerfileName}`, deps.write ?? ((c) => process.stdout.write(c)));

    const container = await docker.runDetached(testTag, testContainerName(settings.project, check.runId!), app.port, {
      [OWNER_LABEL]: ownerToken(owner),
      [CREATED_LABEL]: (deps.now ?? new Date()).toISOString(),
    });
    containerId = container.id;
    if (container.hostPort === undefined) {
      const state = await docker.containerState(container.id);
      throw new UserError(`${settings.project}: the test app exited with code ${state.exitCode} before answering\n${indent(await docker.logs(container.id))}`, exitedFix(settings));
    }
    const url = `http://127.0.0.1:${container.hostPort}${app.request.path}`;
    log.info(`${settings.project}: waiting up to ${app.timeoutSeconds}s for ${app.request.method} ${app.request.path} to answer ${app.expectStatus}`);
    const deadline = Date.now() + app.timeoutSeconds * 1000;
    let last: ProbeResult = {};
    for (let failed = 1; ; failed++) {
      last = await (deps.probe ?? httpProbe)(url, { method: app.request.method, headers: app.request.headers, body: app.request.body });
      if (last.status === app.expectStatus) break;
      const state = await docker.containerState(container.id);
      if (!state.running) {
        throw new UserError(`${settings.project}: the test app exited with code ${state.exitCode} before answering\n${indent(await docker.logs(container.id))}`, exitedFix(settings));
      }
      if (Date.now() >= deadline) {
        const seen = last.status !== undefined ? `HTTP ${last.status}` : last.error ?? 'no answer';
        throw new UserError(`${settings.project}: the test app did not answer ${app.expectStatus} within ${app.timeoutSeconds}s (last: ${seen})\n${indent(await docker.logs(container.id))}`,
          `check ${app.configFile} (port ${app.port}, request ${app.request.method} ${app.request.path}, expectStatus ${app.expectStatus}) against the container logs above; if the app only needs longer to start, raise timeoutSeconds there (at most 3600)`);
      }
      await sleep(probeDelayMs(failed, deps.pollMs ?? 500));
    }
    log.info(`${settings.project}: integration test passed (${app.request.method} ${app.request.path} -> ${last.status})`);
    return { runId: check.runId, passed: true, imageId: build.imageId, status: last.status };
  } finally {
    if (containerId) await docker.removeContainer(containerId);
    await docker.removeImage(testTag);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The test app stopped on its own: the new image broke it, or the app does not run as this test starts it. */
function exitedFix(settings: ImageSettings): string {
  return `the container logs above say why; the test app runs on the new image as ${settings.integrationTest.app.configFile} describes: fix the image or the test app, then rerun`;
}

function indent(text: string): string {
  const body = text.trim() || '(no output)';
  return `container logs:\n${body.split('\n').map((l) => `  | ${l}`).join('\n')}`;
}
