/**
 * The Docker CLI, behind the few operations the pipeline needs. Argument lists are built by pure functions
 * so tests can assert them exactly; credentials reach `docker login` only on stdin and live in a
 * throwaway config directory.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Builder } from '../config/settings';
import { UserError } from './errors';
import { CommandResult, CommandRunner, runCommand } from './exec';

export interface BuildRequest {
  dockerfile: string;
  context: string;
  tag: string;
  labels?: Record<string, string>;
  buildArgs?: Record<string, string>;
  iidFile: string;
}

export type ResolvedBuilder = Exclude<Builder, 'auto'>;

/**
 * What buildx attests, stated rather than left to its defaults. By default buildx adds a `mode=min`
 * provenance attestation only where the builder can keep it (the docker driver on the containerd image
 * store, Docker Engine 29's default on fresh installs) and none elsewhere (buildx reference, `--provenance`;
 * "Build attestations": the classic image store does not support attestations). Asking for one outright is
 * not the same: buildx then fails the build on the docker driver of a classic store ("Attestation is not
 * supported for the docker driver", buildx build/opt.go), which `auto` picks whenever buildx is installed.
 * `false` is the one value every driver accepts, so the image and its push are the same on every engine:
 * one manifest, whose record is the product's own labels and annotations. SBOMs are off by default and
 * would pull a scanner image from Docker Hub: `false` says so. An index pushed anyway (another builder, or
 * another CLI through `docker.command`) is published as it is (see annotatedManifest).
 */
const BUILDX_ATTESTATIONS = ['--provenance=false', '--sbom=false'];

export function buildCommand(builder: ResolvedBuilder, req: BuildRequest): { args: string[]; env: Record<string, string> } {
  const common = ['-f', req.dockerfile, '-t', req.tag, '--iidfile', req.iidFile];
  for (const [key, value] of sorted(req.buildArgs)) common.push('--build-arg', `${key}=${value}`);
  for (const [key, value] of sorted(req.labels)) common.push('--label', `${key}=${value}`);
  switch (builder) {
    case 'buildx':
      return { args: ['buildx', 'build', '--load', '--progress=plain', ...BUILDX_ATTESTATIONS, ...common, req.context], env: {} };
    // Docker 20.10's `docker build`, BuildKit or classic, has neither flag ("unknown flag: --provenance").
    case 'buildkit':
      return { args: ['build', '--progress=plain', ...common, req.context], env: { DOCKER_BUILDKIT: '1' } };
    case 'classic':
      return { args: ['build', ...common, req.context], env: { DOCKER_BUILDKIT: '0' } };
  }
}

function sorted(map: Record<string, string> = {}): Array<[string, string]> {
  return Object.entries(map).sort(([a], [b]) => a.localeCompare(b));
}

/** `<name>: digest: sha256:… size: N` is how `docker push` reports what the registry stored. */
export function parsePushDigest(output: string): string | undefined {
  return /digest:\s+(sha256:[0-9a-f]{64})/.exec(output)?.[1];
}

export interface RunningContainer {
  id: string;
  /** Undefined when the container stopped before its port could be read (an app that crashes at once). */
  hostPort?: number;
}

export class DockerCli {
  constructor(
    private readonly command = 'docker',
    private readonly run: CommandRunner = runCommand,
  ) {}

  private async docker(args: string[], options: Parameters<CommandRunner>[2] = {}): Promise<CommandResult> {
    return this.run(this.command, args, options);
  }

  private async must(args: string[], what: string, options: Parameters<CommandRunner>[2] = {}): Promise<CommandResult> {
    const result = await this.docker(args, options);
    if (result.exitCode !== 0) {
      throw new UserError(`${what} failed (exit ${result.exitCode}): ${lastLines(result.output)}`);
    }
    return result;
  }

  /** Fails with a clear message when no engine answers, before any real work. */
  async ensureEngine(): Promise<string> {
    const result = await this.docker(['version', '--format', '{{.Server.Version}}']);
    if (result.exitCode !== 0 || !result.stdout.trim()) {
      throw new UserError(`the Docker engine is unreachable: ${lastLines(result.output) || 'no answer'}`,
        'start the Docker daemon (or set DOCKER_HOST), then rerun');
    }
    return result.stdout.trim();
  }

  async resolveBuilder(builder: Builder): Promise<ResolvedBuilder> {
    if (builder !== 'auto') return builder;
    const buildx = await this.docker(['buildx', 'version']);
    return buildx.exitCode === 0 ? 'buildx' : 'classic';
  }

  async build(builder: ResolvedBuilder, req: BuildRequest, onOutput?: (chunk: string) => void): Promise<{ imageId: string; output: string; exitCode: number }> {
    const { args, env } = buildCommand(builder, req);
    const result = await this.docker(args, { env, onOutput });
    let imageId = '';
    if (result.exitCode === 0) imageId = readFileSync(req.iidFile, 'utf8').trim();
    return { imageId, output: result.output, exitCode: result.exitCode };
  }

  async imageId(ref: string): Promise<string | undefined> {
    const result = await this.docker(['image', 'inspect', '--format', '{{.Id}}', ref]);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  async imageLabels(ref: string): Promise<Record<string, string>> {
    const result = await this.must(['image', 'inspect', '--format', '{{json .Config.Labels}}', ref], `docker image inspect ${ref}`);
    return JSON.parse(result.stdout.trim() || '{}') ?? {};
  }

  async tag(source: string, target: string): Promise<void> {
    await this.must(['tag', source, target], `docker tag ${target}`);
  }

  async removeImage(ref: string): Promise<void> {
    await this.docker(['image', 'rm', '--force', ref]);
  }

  /**
   * Runs `fn` with a Docker config directory logged in to `registry`; the directory (and the credential
   * Docker stores in it) is deleted afterwards, so nothing lingers in ~/.docker.
   */
  async withLogin<T>(registry: string, username: string, password: string, fn: (configDir: string) => Promise<T>): Promise<T> {
    const configDir = mkdtempSync(path.join(tmpdir(), 'platform-images-docker-'));
    try {
      await this.must(['--config', configDir, 'login', '--username', username, '--password-stdin', registry], `docker login ${registry}`, { input: password });
      return await fn(configDir);
    } finally {
      rmSync(configDir, { recursive: true, force: true });
    }
  }

  async push(ref: string, configDir: string, onOutput?: (chunk: string) => void): Promise<string> {
    const result = await this.must(['--config', configDir, 'push', ref], `docker push ${ref}`, { onOutput });
    const digest = parsePushDigest(result.output);
    if (!digest) throw new UserError(`docker push ${ref} did not report a digest`);
    return digest;
  }

  async runDetached(image: string, name: string, containerPort: number): Promise<RunningContainer> {
    const result = await this.must(['run', '--detach', '--name', name, '--publish', `127.0.0.1::${containerPort}`, image], `docker run ${image}`);
    const id = result.stdout.trim().split(/\s+/).pop()!;
    const port = await this.docker(['port', id, `${containerPort}/tcp`]);
    if (port.exitCode !== 0) {
      // A stopped container has no published port: the caller reads why from its state and logs.
      if (!(await this.containerState(id)).running) return { id };
      throw new UserError(`docker port failed (exit ${port.exitCode}): ${lastLines(port.output)}`);
    }
    const hostPort = Number(/:(\d+)\s*$/m.exec(port.stdout)?.[1]);
    if (!hostPort) throw new UserError(`could not read the published port of container ${name}: ${port.stdout}`);
    return { id, hostPort };
  }

  async containerState(id: string): Promise<{ running: boolean; exitCode: number }> {
    const result = await this.docker(['inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', id]);
    const [running, code] = result.stdout.trim().split(' ');
    return { running: running === 'true', exitCode: Number(code) };
  }

  async logs(id: string): Promise<string> {
    return (await this.docker(['logs', '--tail', '200', id])).output;
  }

  /** `rm --force`: a busybox or .NET PID 1 may ignore SIGTERM, and there is nothing to shut down gracefully. */
  async removeContainer(id: string): Promise<void> {
    await this.docker(['rm', '--force', '--volumes', id]);
  }
}

function lastLines(text: string, count = 8): string {
  return text.trim().split(/\r?\n/).slice(-count).join('\n');
}
