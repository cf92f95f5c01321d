/**
 * integration-test: builds the test app FROM the freshly built platform image (in a temporary copy of
 * its Dockerfile; the source is never touched), runs it on a free port, and waits for the expected answer.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ImageSettings } from '../config/settings';
import { checkedBuild } from '../lib/build-warnings';
import { mixedBuildPlatform, type DockerCli } from '../lib/docker';
import { DockerfileSyntaxError } from '../lib/dockerfile';
import { buildStagesOn, finalStageFrom, fromImages, overrideFrom, startsFrom } from '../lib/dockerfile-rewrite';
import {
  configuredPort,
  declaredRuntimes,
  envMap,
  imageUser,
  missingRuntimes,
  parseListRuntimes,
  parseTop,
  processesNotAs,
  uidFromPasswd,
} from '../lib/image-promises';
import { ownerToken, tempDirPrefix, testContainerName, testImage as testImageName, thisProcess } from '../lib/local-leftovers';
import { LOCAL_LABELS } from '../types/annotations';
import { ConfigError, UserError } from '../types/errors';
import type { Logger } from '../lib/log';
import { probeDelayMs, sleep } from '../lib/retry';
import type { BuildRecord, CheckRecord, PlatformTest, TestRecord } from './records';
import { EMULATION_FIX, howToRun, readBinfmtEntry } from '../lib/emulation';
import { platformSlug } from '../types/platforms';

export interface ProbeResult {
  status?: number;
  /** The start of the answer's body, for the log. */
  body?: string;
  error?: string;
}

/** How much of the test app's answer the log shows. */
const ANSWER_LOG_CHARS = 300;

/**
 * integration-test's check before anything is built, run once by mcr-check: the test replaces the FROM naming
 * `integrationTest.replaceFrom` in the test app's Dockerfile; without one the test app would not run on the new
 * image at all. Known from the files alone.
 */
export function assertTestAppStartsFrom(settings: ImageSettings): void {
  const { replaceFrom, app } = settings.integrationTest;
  const text = readFileSync(app.dockerfile, 'utf8');
  const dockerfileName = path.relative(settings.workspaceRoot, app.dockerfile);
  let images: string[];
  try {
    if (startsFrom(text, replaceFrom)) return;
    images = fromImages(text);
  } catch (err) {
    if (err instanceof DockerfileSyntaxError)
      throw new ConfigError(dockerfileName, `line ${err.line}`, err.problem, 'docker build cannot read it either');
    throw err;
  }
  throw new ConfigError(
    settings.configFile,
    'integrationTest.replaceFrom',
    `no FROM in ${dockerfileName} names "${replaceFrom}"${images.length ? ` (it starts FROM ${images.join(', ')})` : ''}, ` +
      `so the test app would not run on the new image`,
    images.length
      ? `set it to the image in ${dockerfileName} that the new platform image stands in for`
      : `start ${dockerfileName} FROM ${replaceFrom}`,
  );
}

export type Probe = (url: string, init: RequestInit) => Promise<ProbeResult>;

export const httpProbe: Probe = async (url, init) => {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
    const body = (await response.text()).slice(0, ANSWER_LOG_CHARS);
    return { status: response.status, body };
  } catch (err) {
    return { error: (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message };
  }
};

type TestDeps = {
  docker: DockerCli;
  log: Logger;
  probe?: Probe;
  pollMs?: number;
  now?: Date;
  /** Reads a binfmt_misc entry (see lib/emulation.ts); this machine's by default. */
  readBinfmt?: (name: string) => string | undefined;
};

/**
 * A multi-platform image is tested once per platform: natively on the engine's own platform, under emulation
 * (qemu-user-static through binfmt_misc) on the others, and a platform neither can run is said to be untested,
 * or fails the test when `integrationTest.requireAllPlatforms` is set.
 */
export async function testImage(settings: ImageSettings, check: CheckRecord, build: BuildRecord, deps: TestDeps): Promise<TestRecord> {
  if (!build.platforms?.length) return testCandidate(settings, check, { imageId: build.imageId!, localTag: build.localTag! }, deps);
  const { docker, log } = deps;
  await docker.ensureEngine();
  const engine = await docker.enginePlatform();
  const results: PlatformTest[] = [];
  let first: TestRecord | undefined;
  for (const candidate of build.platforms) {
    const run = howToRun(candidate.platform, engine, deps.readBinfmt ?? readBinfmtEntry);
    if (run.how === 'unavailable') {
      if (settings.integrationTest.requireAllPlatforms)
        throw new ConfigError(
          settings.configFile,
          'integrationTest.requireAllPlatforms',
          `is set, and ${candidate.platform} cannot be tested on this ${engine} engine: ${run.why}; nothing is published`,
          `${EMULATION_FIX}; or set requireAllPlatforms to false to publish platforms that cannot be tested here`,
        );
      log.warn(
        `${settings.project}: ${candidate.platform} went UNTESTED: ${run.why}; it is published untested ` +
          `(integrationTest.requireAllPlatforms refuses that). To test it: ${EMULATION_FIX}`,
      );
      results.push({ platform: candidate.platform, imageId: candidate.imageId, how: 'untested', passed: false, why: run.why });
      continue;
    }
    log.info(
      `${settings.project}: testing ${candidate.platform} ` +
        (run.how === 'native'
          ? `natively (the engine is ${engine})`
          : `under emulation on this ${engine} engine (binfmt_misc ${run.handler}${run.interpreter ? ` → ${run.interpreter}` : ''})`),
    );
    const started = Date.now();
    const result = await testCandidate(settings, check, { ...candidate, flag: candidate.platform, buildPlatform: engine }, deps);
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    log.info(`${settings.project}: ${candidate.platform} passed ${run.how === 'native' ? 'natively' : 'under emulation'} in ${seconds}s`);
    results.push({ platform: candidate.platform, imageId: candidate.imageId, how: run.how, passed: true, status: result.status, seconds });
    first ??= result;
  }
  if (!first)
    throw new UserError(
      `${settings.project}: no platform of ${check.nextVersion?.tag} can be tested on this ${engine} engine ` +
        `(${results.map((r) => `${r.platform}: ${r.why}`).join('; ')}); nothing is published`,
      EMULATION_FIX,
    );
  return { ...first, imageId: build.imageId, platforms: results };
}

/** One candidate image, tested as applications run on it; `flag` names its platform when the image has several. */
async function testCandidate(
  settings: ImageSettings,
  check: CheckRecord,
  candidate: { imageId: string; localTag: string; flag?: string; buildPlatform?: string },
  deps: TestDeps,
): Promise<TestRecord> {
  const { docker, log } = deps;
  const app = settings.integrationTest.app;
  const build = candidate;
  await docker.ensureEngine();
  const present = await docker.imageId(build.localTag);
  if (present !== build.imageId) {
    throw new UserError(
      `${settings.project}: the image docker-build made (${build.imageId}) is not in this Docker engine`,
      `rerun the chain on one agent: nx run ${settings.project}:publish`,
    );
  }
  const dockerfileName = path.relative(settings.workspaceRoot, app.dockerfile);
  const original = readFileSync(app.dockerfile, 'utf8');
  // What the new image declares about itself (its .NET), read from its own configuration.
  const image = await docker.imageConfig(build.localTag);
  const env = envMap(image.env);
  // The app runs on the new image when the test app's final stage is the one replaced (runtime, aspnet); an sdk
  // image is only the build stage, and the app runs on the final stage's own image, whose promises hold then.
  const runsOnNewImage = finalStageFrom(original, settings.integrationTest.replaceFrom);
  const overridden = overrideFrom(original, settings.integrationTest.replaceFrom, build.localTag, settings.registryMirrors).text;
  // Built for another platform than the engine's, the stages not FROM the candidate (the SDK stage) stay native.
  const text =
    candidate.flag && candidate.buildPlatform && candidate.flag !== candidate.buildPlatform
      ? buildStagesOn(overridden, build.localTag, candidate.buildPlatform)
      : overridden;
  // The test app's other stages (its build stage on the sdk image, for a runtime or aspnet image) start on the
  // registry's current image: the classic builder uses whatever copy of a tag the engine already holds, however
  // old, so an agent would otherwise build every test app on the SDK it happened to pull first.
  await Promise.all(
    fromImages(text)
      .filter((stage) => stage !== build.localTag)
      .map((stage) => docker.pull(stage)),
  );
  const builder = await docker.resolveBuilder(settings.docker.builder);
  // Everything made here is this process's, named or labelled so: if the run is killed before the finally
  // below, the next run's sweep finds it and sees its owner gone (lib/local-leftovers.ts).
  const owner = thisProcess();
  const dir = mkdtempSync(path.join(tmpdir(), tempDirPrefix('test', owner)));
  const slug = candidate.flag ? platformSlug(candidate.flag) : undefined;
  const testTag = testImageName(settings.project, check.runId!, owner, slug);
  let containerId: string | undefined;
  try {
    const dockerfile = path.join(dir, 'Dockerfile');
    writeFileSync(dockerfile, text);
    log.info(`${settings.project}: building test app ${path.relative(settings.workspaceRoot, app.dir)} FROM ${build.localTag}`);
    await checkedBuild(
      docker,
      builder,
      {
        dockerfile,
        context: app.context,
        tag: testTag,
        iidFile: path.join(dir, 'iid'),
        ...(mixedBuildPlatform(builder, candidate.flag) ? { platform: candidate.flag } : {}),
      },
      `test app ${dockerfileName}`,
      log.command(`${settings.project}: docker build of the test app${candidate.flag ? ` for ${candidate.flag}` : ''}`),
    );
    const runsOn = runsOnNewImage ? image : await docker.imageConfig(testTag);
    const port = testPort(settings, envMap(runsOn.env), runsOnNewImage);

    // The new image's own .NET is listed in a throwaway container while the app starts, not after it answered.
    const runtimesChecked = checkRuntimes(settings, docker, build.localTag, env, candidate.flag).then(
      (said) => ({ said }),
      (error: unknown) => ({ error }),
    );
    const container = await docker.runDetached(
      testTag,
      testContainerName(settings.project, check.runId!) + (slug ? `-${slug}` : ''),
      port,
      { [LOCAL_LABELS.owner]: ownerToken(owner), [LOCAL_LABELS.created]: (deps.now ?? new Date()).toISOString() },
      candidate.flag,
    );
    containerId = container.id;
    if (container.hostPort === undefined) {
      const state = await docker.containerState(container.id);
      throw new UserError(
        `${settings.project}: the test app exited with code ${state.exitCode} before answering\n${indent(await docker.logs(container.id))}`,
        exitedFix(settings),
      );
    }
    const url = `http://127.0.0.1:${container.hostPort}${app.request.path}`;
    log.info(
      `${settings.project}: waiting up to ${app.timeoutSeconds}s for ${app.request.method} ${app.request.path} to answer ${app.expectStatus}`,
    );
    const deadline = Date.now() + app.timeoutSeconds * 1000;
    let last: ProbeResult = {};
    for (let failed = 1; ; failed++) {
      last = await (deps.probe ?? httpProbe)(url, { method: app.request.method, headers: app.request.headers, body: app.request.body });
      if (last.status === app.expectStatus) break;
      const state = await docker.containerState(container.id);
      if (!state.running) {
        throw new UserError(
          `${settings.project}: the test app exited with code ${state.exitCode} before answering\n${indent(await docker.logs(container.id))}`,
          exitedFix(settings),
        );
      }
      if (Date.now() >= deadline) {
        const seen = last.status !== undefined ? `HTTP ${last.status}` : (last.error ?? 'no answer');
        throw new UserError(
          `${settings.project}: the test app did not answer ${app.expectStatus} within ${app.timeoutSeconds}s (last: ` +
            `${seen})\n${indent(await docker.logs(container.id))}`,
          `check ${app.configFile} (port ${port}, request ${app.request.method} ${app.request.path}, ` +
            `expectStatus ${app.expectStatus}) against the container logs above; ` +
            `if the app only needs longer to start, raise timeoutSeconds there (at most 3600)`,
        );
      }
      await sleep(probeDelayMs(failed, deps.pollMs ?? 500));
    }
    log.info(
      `${settings.project}: ${app.request.method} ${app.request.path} -> ${last.status}${last.body ? `: ${oneLine(last.body)}` : ''}`,
    );
    const output = (await docker.logs(container.id)).trim();
    if (output)
      log.info(
        `${settings.project}: the test app printed:\n${output
          .split('\n')
          .slice(0, APP_OUTPUT_LINES)
          .map((l) => `  | ${l}`)
          .join('\n')}`,
      );
    const user = await checkUser(settings, docker, container.id, runsOn.user, runsOnNewImage);
    const checked = await runtimesChecked;
    if ('error' in checked) throw checked.error;
    const runtimes = checked.said;
    log.info(`${settings.project}: integration test passed: answered ${last.status} on port ${port}; ${user}; ${runtimes}`);
    return { runId: check.runId, passed: true, imageId: build.imageId, status: last.status, port, user, runtimes };
  } finally {
    if (containerId) await docker.removeContainer(containerId);
    await docker.removeImage(testTag);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How much of the test app's own output the log shows when it passed. */
const APP_OUTPUT_LINES = 20;

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The port the test app must answer on: the one the image configures for web servers (ASPNETCORE_URLS or
 * ASPNETCORE_HTTP_PORTS), since applications built on it listen there. test-app.json's `port` is for images that
 * configure none, and must agree otherwise.
 */
export function testPort(settings: ImageSettings, env: Record<string, string>, runsOnNewImage = true): number {
  const app = settings.integrationTest.app;
  const configured = configuredPort(env);
  const runsOn = runsOnNewImage ? 'the new image' : "the test app's final stage";
  const where = path.relative(settings.workspaceRoot, runsOnNewImage ? settings.dockerfile : app.dockerfile);
  if (configured && app.port !== undefined && app.port !== configured.port) {
    throw new UserError(
      `${settings.project}: ${app.configFile} says the test app listens on port ${app.port}, ` +
        `but ${runsOn} configures ${configured.port} (${configured.source}), where applications built on it listen`,
      `remove "port" from ${app.configFile} (the image's port is used), or fix ${configured.source} in ${where}`,
    );
  }
  if (configured) return configured.port;
  if (app.port === undefined) {
    throw new UserError(
      `${settings.project}: ${runsOn} configures no HTTP port (neither ASPNETCORE_HTTP_PORTS nor ASPNETCORE_URLS) and ${app.configFile} sets none`,
      `set "port" in ${app.configFile} to the port the test app listens on, or set ASPNETCORE_HTTP_PORTS in ${where}`,
    );
  }
  return app.port;
}

/** Every process of the test app runs as the user the image sets; said as `runs as …` for the log. */
async function checkUser(
  settings: ImageSettings,
  docker: DockerCli,
  containerId: string,
  spec: string,
  runsOnNewImage: boolean,
): Promise<string> {
  const image = runsOnNewImage ? 'the image' : "the final stage's image";
  const user = imageUser(spec);
  if (user.kind === 'root') return `runs as root (${image} sets no USER)`;
  let uid: number | undefined;
  if (user.kind === 'uid') {
    uid = user.uid;
  } else {
    const passwd = await docker.readFile(containerId, '/etc/passwd');
    uid = passwd === undefined ? undefined : uidFromPasswd(passwd, user.name);
    if (uid === undefined) {
      throw new UserError(
        `${settings.project}: ${runsOnNewImage ? 'the new image' : image} runs as USER ${user.spec}, but its /etc/passwd has no user "${user.name}"`,
        `create the user in ${path.relative(settings.workspaceRoot, settings.dockerfile)} before USER, or use a numeric uid`,
      );
    }
  }
  const strangers = processesNotAs(parseTop(await docker.processes(containerId)), uid);
  if (strangers.length > 0) {
    throw new UserError(
      `${settings.project}: ${image} runs as USER ${user.spec} (uid ${uid}), ` +
        `but the test app's processes run as ${strangers.map((p) => `uid ${p.uid} (${p.command})`).join(', ')}`,
      `applications must run as the image's user: remove USER from ${path.relative(settings.workspaceRoot, settings.integrationTest.app.dockerfile)}, ` +
        `and keep anything in the image from switching users`,
    );
  }
  return `runs as uid ${uid} (USER ${user.spec}${runsOnNewImage ? '' : ` of ${image}`})`;
}

/** The .NET the image declares (DOTNET_VERSION, ASPNET_VERSION, inherited from its base) is the .NET inside it. */
async function checkRuntimes(
  settings: ImageSettings,
  docker: DockerCli,
  image: string,
  env: Record<string, string>,
  platform?: string,
): Promise<string> {
  const declared = declaredRuntimes(env);
  if (declared.length === 0) return 'declares no .NET version (no DOTNET_VERSION)';
  const result = await docker.listRuntimes(image, platform);
  const listed = result.exitCode === 0 ? parseListRuntimes(result.stdout) : [];
  const missing = missingRuntimes(declared, listed);
  if (missing.length > 0) {
    const seen =
      result.exitCode === 0
        ? listed.map((l) => `${l.name} ${l.version}`).join(', ') || 'none'
        : `dotnet --list-runtimes failed (exit ${result.exitCode}): ${oneLine(result.output).slice(0, 300)}`;
    throw new UserError(
      `${settings.project}: the new image declares ${missing.map((m) => `${m.variable}=${m.version}`).join(' and ')}, but holds ${seen}`,
      `keep the base's .NET in ${path.relative(settings.workspaceRoot, settings.dockerfile)}: ` +
        `do not remove or replace /usr/share/dotnet, and do not set ${missing.map((m) => m.variable).join(' or ')}`,
    );
  }
  return `.NET inside: ${declared.map((d) => `${d.name} ${d.version}`).join(', ')}`;
}

/** The test app stopped on its own: the new image broke it, or the app does not run as this test starts it. */
function exitedFix(settings: ImageSettings): string {
  return (
    `the container logs above say why; the test app runs on the new image as ${settings.integrationTest.app.configFile} describes: ` +
    `fix the image or the test app, then rerun`
  );
}

function indent(text: string): string {
  const body = text.trim() || '(no output)';
  return `container logs:\n${body
    .split('\n')
    .map((l) => `  | ${l}`)
    .join('\n')}`;
}
