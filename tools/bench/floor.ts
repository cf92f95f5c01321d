/**
 * The floor: what rebuilding one stale image costs with nothing but the Docker commands, run by hand in the
 * same engine with the same builder settings the product uses — build the platform image FROM the base's
 * current digest, build the test app FROM it, run it, expect its HTTP answer, remove it, log in to ECR, tag
 * and push. The product's time for the same rebuild is compared with this.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildCommand, type ResolvedBuilder } from '../../packages/nx-plugin/src/lib/docker';
import { fromImages } from '../../packages/nx-plugin/src/lib/dockerfile-rewrite';
import { ECR_REGISTRY, manifestDigest } from './stack';
import { MCR_MIRROR, readNxJson, type BenchImage } from './workspace';

const MIRROR_HOST = new URL(MCR_MIRROR).host;

export interface FloorStep {
  step: string;
  seconds: number;
}

export interface FloorRun {
  seconds: number;
  steps: FloorStep[];
  pushedRef: string;
}

interface TestApp {
  dir: string;
  dockerfile: string;
  context: string;
  port: number;
  request: { method?: string; path?: string; headers?: Record<string, string>; body?: unknown };
  expectStatus: number;
}

function docker(args: string[], options: { env?: Record<string, string>; input?: string } = {}): string {
  return execFileSync('docker', args, {
    encoding: 'utf8',
    input: options.input,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** As the product's `docker.builder: auto` decides: buildx when the plugin is installed, else the classic builder. */
export function resolveAutoBuilder(): ResolvedBuilder {
  try {
    docker(['buildx', 'version']);
    return 'buildx';
  } catch {
    return 'classic';
  }
}

/** A test app's test-app.json: each field has the product's default when left out. */
interface TestAppFile {
  dockerfile?: string;
  context?: string;
  port?: number;
  request?: TestApp['request'];
  expectStatus?: number;
}

/** The test app the local profile runs for this image (its testAppSubstitutes), as the product resolves it. */
function testAppFor(workspaceRoot: string, img: BenchImage): TestApp {
  const { options } = readNxJson(workspaceRoot);
  const app = options.profiles?.local?.testAppSubstitutes?.[img.testApp.app] ?? img.testApp.app;
  const dir = path.join(workspaceRoot, app);
  const config = JSON.parse(readFileSync(path.join(dir, 'test-app.json'), 'utf8')) as TestAppFile;
  return {
    dir,
    dockerfile: path.join(dir, config.dockerfile ?? 'Dockerfile'),
    context: path.resolve(dir, config.context ?? '.'),
    port: config.port ?? 8080,
    request: config.request ?? {},
    expectStatus: config.expectStatus ?? 200,
  };
}

/**
 * The test app's Dockerfile FROM the new image: the stage naming `replaceFrom` starts FROM it, every other
 * mcr.microsoft.com image comes through the mirror (what the product's temporary copy does).
 */
export function testDockerfile(text: string, replaceFrom: string, imageTag: string): string {
  return text
    .split('\n')
    .map((line) => {
      const from = /^(\s*FROM\s+(?:--platform=\S+\s+)?)(\S+)(.*)$/i.exec(line);
      if (!from) return line;
      const image = from[2] === replaceFrom ? imageTag : from[2].replace(/^mcr\.microsoft\.com\//, `${MIRROR_HOST}/`);
      return `${from[1]}${image}${from[3]}`;
    })
    .join('\n');
}

async function expectAnswer(url: string, app: TestApp, timeoutMs: number): Promise<void> {
  const body =
    app.request.body === undefined ? undefined : typeof app.request.body === 'string' ? app.request.body : JSON.stringify(app.request.body);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, {
        method: app.request.method ?? 'GET',
        headers: app.request.headers,
        body,
        signal: AbortSignal.timeout(5_000),
      });
      await response.body?.cancel();
      if (response.status === app.expectStatus) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`floor: the test app did not answer ${app.expectStatus} at ${url} within ${timeoutMs / 1000}s`);
    // A tighter poll than the product's: the floor is the least the commands can take.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export interface TestAppBuildTimes {
  app: string;
  /** Nothing cached: restore and publish run, as on a fresh agent. */
  firstSeconds: number;
  /** The same build again: the restore layer (keyed by the project file) and the publish are reused. */
  repeatSeconds: number;
}

/** As the product does before a test app build: the stages not on the new image start on the registry's current image. */
function pullOtherStages(dockerfileText: string, newImage: string): void {
  for (const image of fromImages(dockerfileText)) if (image !== newImage) docker(['pull', '--quiet', image]);
}

/**
 * The floor's test app built FROM its base (the .NET 8 runtime stand-in) twice, first with nothing cached, then
 * again: what a real .NET test app costs the first time on an agent, and on every later rebuild there.
 */
export function testAppBuildTimes(workspaceRoot: string, img: BenchImage): TestAppBuildTimes {
  const app = testAppFor(workspaceRoot, img);
  const work = mkdtempSync(path.join(tmpdir(), 'bench-test-app-'));
  const tag = `bench-floor/${img.name}-test-app:timing`;
  try {
    const dockerfile = path.join(work, 'Dockerfile');
    const base = `${MIRROR_HOST}/${img.base.repository}:${img.base.tag}`;
    writeFileSync(dockerfile, testDockerfile(readFileSync(app.dockerfile, 'utf8'), img.testApp.replaceFrom, base));
    pullOtherStages(readFileSync(dockerfile, 'utf8'), base);
    const build = (noCache: boolean): number => {
      const command = buildCommand(resolveAutoBuilder(), { dockerfile, context: app.context, tag, iidFile: path.join(work, 'iid') });
      const args = noCache ? [...command.args.slice(0, -1), '--no-cache', command.args.at(-1)!] : command.args;
      const started = process.hrtime.bigint();
      docker(args, { env: command.env });
      return Number(process.hrtime.bigint() - started) / 1e9;
    };
    const firstSeconds = build(true);
    const repeatSeconds = build(false);
    return { app: path.relative(workspaceRoot, app.dir), firstSeconds, repeatSeconds };
  } finally {
    spawnSyncQuiet(['image', 'rm', '--force', tag]);
    rmSync(work, { recursive: true, force: true });
  }
}

function spawnSyncQuiet(args: string[]): void {
  try {
    docker(args);
  } catch {
    // Nothing to remove.
  }
}

/**
 * Rebuilds, tests and pushes `img` by hand as `<repository>:<pushTag>`. The ECR password is fetched by the
 * caller beforehand (a pipeline would run `aws ecr get-login-password`; that is not a Docker command).
 */
export async function manualRebuild(
  workspaceRoot: string,
  img: BenchImage,
  options: { password: string; pushTag: string },
): Promise<FloorRun> {
  const steps: FloorStep[] = [];
  const started = process.hrtime.bigint();
  let last = started;
  const lap = (step: string) => {
    const now = process.hrtime.bigint();
    steps.push({ step, seconds: Number(now - last) / 1e9 });
    last = now;
  };

  const builder = resolveAutoBuilder();
  const work = mkdtempSync(path.join(tmpdir(), 'bench-floor-'));
  const imageTag = `bench-floor/${img.name}:manual`;
  const testTag = `bench-floor/${img.name}-test:manual`;
  const pushedRef = `${ECR_REGISTRY}/${img.ecrRepository}:${options.pushTag}`;
  const container = `bench-floor-${process.pid}-${Date.now()}`;
  try {
    // The base as it is upstream now, pinned by digest like the product's build (one HEAD on the mirror).
    const digest = await manifestDigest(MIRROR_HOST, img.base.repository, img.base.tag);
    const imageDir = path.join(workspaceRoot, img.root);
    const dockerfile = path.join(work, 'Dockerfile');
    writeFileSync(
      dockerfile,
      readFileSync(path.join(imageDir, 'Dockerfile'), 'utf8').replace(
        /^FROM \S+/m,
        `FROM ${MIRROR_HOST}/${img.base.repository}:${img.base.tag}@${digest}`,
      ),
    );
    const platformBuild = buildCommand(builder, { dockerfile, context: imageDir, tag: imageTag, iidFile: path.join(work, 'iid') });
    docker(platformBuild.args, { env: platformBuild.env });
    lap('docker build (platform image)');

    const app = testAppFor(workspaceRoot, img);
    const testFile = path.join(work, 'Dockerfile.test');
    writeFileSync(testFile, testDockerfile(readFileSync(app.dockerfile, 'utf8'), img.testApp.replaceFrom, imageTag));
    pullOtherStages(readFileSync(testFile, 'utf8'), imageTag);
    const testBuild = buildCommand(builder, {
      dockerfile: testFile,
      context: app.context,
      tag: testTag,
      iidFile: path.join(work, 'iid-test'),
    });
    docker(testBuild.args, { env: testBuild.env });
    lap('docker build (test app)');

    docker(['run', '--detach', '--name', container, '--publish', `127.0.0.1::${app.port}`, testTag]);
    const hostPort = /:(\d+)\s*$/m.exec(docker(['port', container, `${app.port}/tcp`]))?.[1];
    await expectAnswer(`http://127.0.0.1:${hostPort}${app.request.path ?? '/'}`, app, 60_000);
    lap('docker run + HTTP answer');
    docker(['rm', '--force', '--volumes', container]);
    docker(['image', 'rm', '--force', testTag]);
    lap('docker rm -f + image rm');

    const config = path.join(work, 'docker-config');
    docker(['--config', config, 'login', '--username', 'AWS', '--password-stdin', ECR_REGISTRY], { input: options.password });
    docker(['tag', imageTag, pushedRef]);
    docker(['--config', config, 'push', pushedRef]);
    docker(['image', 'rm', '--force', imageTag, pushedRef]);
    lap('docker login + tag + push');
  } finally {
    try {
      docker(['rm', '--force', container]);
    } catch {
      // removed above, or never started
    }
    rmSync(work, { recursive: true, force: true });
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, steps, pushedRef };
}
