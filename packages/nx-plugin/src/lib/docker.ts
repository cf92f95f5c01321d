/**
 * The Docker CLI, behind the few operations the pipeline needs. Argument lists are built by pure functions
 * so tests can assert them exactly; credentials reach `docker login` only on stdin and live in a
 * throwaway config directory.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Builder } from '../types/builders';
import { UserError } from '../types/errors';
import { type CommandOutput, CommandResult, CommandRunner, runCommand, type RunOptions } from './exec';
import { LABELS } from '../types/annotations';
import { LOCAL_LABELS } from '../types/annotations';
import { tempDirPrefix, thisProcess } from './local-leftovers';

export interface BuildRequest {
  dockerfile: string;
  context: string;
  tag: string;
  labels?: Record<string, string>;
  buildArgs?: Record<string, string>;
  iidFile: string;
  /**
   * The platform to build for (`os/arch[/variant]`), only when the image is built for a platform it must name:
   * `--platform` sets the default platform of every FROM, and BuildKit's TARGETPLATFORM (Dockerfile reference,
   * "Automatic platform ARGs in the global scope"). Without it the engine builds for its own platform, as before.
   */
  platform?: string;
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
  const common = ['-f', req.dockerfile, '-t', req.tag, '--iidfile', req.iidFile, ...(req.platform ? ['--platform', req.platform] : [])];
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

/**
 * The `--platform` of a build whose stages are of different platforms: a test app whose SDK stage is native
 * and whose final stage starts FROM a candidate of another platform. BuildKit builds each stage for its own
 * platform, so it is told the target. The classic builder checks `COPY --from=<stage>` against the platform
 * the build asks for and refuses a stage of another ("image with reference … was found but does not match the
 * specified platform: wanted linux/arm64, actual: linux/amd64", Docker 20.10 here); without `--platform` it
 * takes a local FROM image as it is, and each step's image keeps its parent's architecture (moby
 * image.NewChildImage: BaseImgArch), so the test app image is the candidate's platform: it gets none.
 */
export function mixedBuildPlatform(builder: ResolvedBuilder, platform: string | undefined): string | undefined {
  return builder === 'classic' ? undefined : platform;
}

function sorted(map: Record<string, string> = {}): Array<[string, string]> {
  return Object.entries(map).sort(([a], [b]) => a.localeCompare(b));
}

/** `<name>: digest: sha256:… size: N` is how `docker push` reports what the registry stored. */
export function parsePushDigest(output: string): string | undefined {
  return /digest:\s+(sha256:[0-9a-f]{64})/.exec(output)?.[1];
}

/**
 * The containers a run made, with their owner and creation time: `docker ps --all` keeps stopped ones too, a
 * `label=<key>` filter selects those carrying the key with any value, and `{{.Label "<key>"}}` prints one label's
 * value (Docker CLI reference, `docker ps`: Filtering, Formatting).
 */
export function containerListArgs(): string[] {
  return [
    'ps',
    '--all',
    '--filter',
    `label=${LOCAL_LABELS.owner}`,
    '--format',
    `{{.ID}}\t{{.Names}}\t{{.Label "${LOCAL_LABELS.owner}"}}\t{{.Label "${LOCAL_LABELS.created}"}}`,
  ];
}

/**
 * Images that came from a platform image build: every candidate, the test app images built FROM one, and the
 * local names `docker push` used for them all carry the context digest label (labels pass to images built
 * FROM an image: Dockerfile reference, LABEL). `docker images` can show no label values (its placeholders are ID, Repository, Tag, Digest,
 * CreatedSince, CreatedAt, Size…), which is why a run's owner is in its image tags; one line per tag.
 */
export function imageListArgs(): string[] {
  return ['images', '--filter', `label=${LABELS.contextDigest}`, '--format', '{{.ID}}\t{{.Repository}}:{{.Tag}}\t{{.CreatedAt}}'];
}

/**
 * How long a listing may take before the engine counts as not answering: the sweep runs beside the check and
 * must not hold it up for an engine that is down or unreachable (the next run sweeps again).
 */
const LIST_TIMEOUT_MS = 10_000;

type DockerRunOptions = Omit<RunOptions, 'onOutput'> & { output?: CommandOutput };

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

  /** `output` takes what the command prints as it comes, and is told when it ended and whether it failed. */
  private async docker(args: string[], options: DockerRunOptions = {}): Promise<CommandResult> {
    const { output, ...rest } = options;
    if (!output) return this.run(this.command, args, rest);
    let exitCode: number | undefined;
    try {
      const result = await this.run(this.command, args, { ...rest, onOutput: (chunk) => output.write(chunk) });
      exitCode = result.exitCode;
      return result;
    } finally {
      output.end(exitCode === 0 ? undefined : exitCode === undefined ? 'did not run' : `exit ${exitCode}`);
    }
  }

  private async must(args: string[], what: string, hint: string, options: DockerRunOptions = {}): Promise<CommandResult> {
    const result = await this.docker(args, options);
    if (result.exitCode !== 0) {
      throw new UserError(`${what} failed (exit ${result.exitCode}): ${lastLines(result.output)}`, hint);
    }
    return result;
  }

  /** The engine's answer to the first check, kept while it was a good one. */
  private engine?: Promise<string>;
  /** What `auto` came to, once asked. */
  private autoBuilder?: Promise<ResolvedBuilder>;

  /**
   * Fails with a clear message when no engine answers, before any real work. Asked once per DockerCli, which
   * is one per process and command (see Session): the steps of a rebuild that run in one process ask once.
   * An engine that goes away later fails the next command, and imageId asks again, so a missing image is
   * never blamed for a missing engine.
   */
  ensureEngine(): Promise<string> {
    if (!this.engine) {
      const asked = this.askEngine();
      this.engine = asked;
      asked.catch(() => {
        if (this.engine === asked) this.engine = undefined;
      });
    }
    return this.engine;
  }

  private async askEngine(): Promise<string> {
    const result = await this.docker(['version', '--format', '{{.Server.Version}}']);
    if (result.exitCode !== 0 || !result.stdout.trim()) {
      throw new UserError(
        `the Docker engine is unreachable: ${lastLines(result.output) || 'no answer'}`,
        'start the Docker daemon (or set DOCKER_HOST), then rerun',
      );
    }
    return result.stdout.trim();
  }

  /**
   * The engine's own platform (`os/arch`, as `docker version` reports the server's GOOS/GOARCH): what its
   * containers run natively; any other platform needs an emulator.
   */
  async enginePlatform(): Promise<string> {
    const result = await this.must(
      ['version', '--format', '{{.Server.Os}}/{{.Server.Arch}}'],
      'docker version',
      'start the Docker daemon (or set DOCKER_HOST), then rerun',
    );
    return result.stdout.trim();
  }

  /** `auto`: buildx when its plugin answers, else the classic builder; asked once per DockerCli. */
  async resolveBuilder(builder: Builder): Promise<ResolvedBuilder> {
    if (builder !== 'auto') return builder;
    this.autoBuilder ??= this.docker(['buildx', 'version']).then((buildx) => (buildx.exitCode === 0 ? 'buildx' : 'classic'));
    return this.autoBuilder;
  }

  async build(
    builder: ResolvedBuilder,
    req: BuildRequest,
    output?: CommandOutput,
  ): Promise<{ imageId: string; output: string; exitCode: number }> {
    const { args, env } = buildCommand(builder, req);
    const result = await this.docker(args, { env, output });
    let imageId = '';
    if (result.exitCode === 0) imageId = readFileSync(req.iidFile, 'utf8').trim();
    return { imageId, output: result.output, exitCode: result.exitCode };
  }

  /**
   * The image's id, undefined when the engine has no such image. When the engine was found answering earlier
   * in this process, a failed lookup asks it again: an engine gone since then is reported as such.
   */
  async imageId(ref: string): Promise<string | undefined> {
    const result = await this.docker(['image', 'inspect', '--format', '{{.Id}}', ref]);
    if (result.exitCode === 0) return result.stdout.trim();
    if (this.engine) {
      this.engine = undefined;
      await this.ensureEngine();
    }
    return undefined;
  }

  async imageLabels(ref: string): Promise<Record<string, string>> {
    const result = await this.must(
      ['image', 'inspect', '--format', '{{json .Config.Labels}}', ref],
      `docker image inspect ${ref}`,
      "Docker's answer above says why; rerun the chain on one agent so the image is in its engine",
    );
    return (JSON.parse(result.stdout.trim() || '{}') as Record<string, string> | null) ?? {};
  }

  async tag(source: string, target: string): Promise<void> {
    await this.must(
      ['tag', source, target],
      `docker tag ${target}`,
      `Docker's answer above says why; rerun the chain on one agent so ${source} is in its engine`,
    );
  }

  async removeImage(ref: string): Promise<void> {
    await this.docker(['image', 'rm', '--force', ref]);
  }

  /**
   * Removes one name of an image, and the image with it when no other name or container needs it. Without
   * `--force`, so an image a container still runs stays: undefined when removed, else Docker's reason.
   */
  async removeImageName(ref: string): Promise<string | undefined> {
    const result = await this.docker(['image', 'rm', ref]);
    return result.exitCode === 0 ? undefined : lastLines(result.output, 1) || `exit ${result.exitCode}`;
  }

  /** Tab-separated lines of containerListArgs, or undefined when no engine answers. */
  async listOwnedContainers(): Promise<string[][] | undefined> {
    return this.listing(containerListArgs());
  }

  /** Tab-separated lines of imageListArgs, or undefined when no engine answers. */
  async listBuiltImages(): Promise<string[][] | undefined> {
    return this.listing(imageListArgs());
  }

  private async listing(args: string[]): Promise<string[][] | undefined> {
    const result = await this.docker(args, { timeoutMs: LIST_TIMEOUT_MS }).catch(() => undefined);
    if (!result || result.exitCode !== 0) return undefined;
    return result.stdout
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => line.split('\t'));
  }

  /**
   * Runs `fn` with a Docker config directory logged in to `registry`; the directory (and the credential
   * Docker stores in it) is deleted afterwards, so nothing lingers in ~/.docker.
   */
  async withLogin<T>(registry: string, username: string, password: string, fn: (configDir: string) => Promise<T>): Promise<T> {
    const configDir = mkdtempSync(path.join(tmpdir(), tempDirPrefix('docker', thisProcess())));
    try {
      await this.must(
        ['--config', configDir, 'login', '--username', username, '--password-stdin', registry],
        `docker login ${registry}`,
        'check the credentials may call ecr:GetAuthorizationToken and that the registry host answers, then rerun',
        { input: password },
      );
      return await fn(configDir);
    } finally {
      rmSync(configDir, { recursive: true, force: true });
    }
  }

  async push(ref: string, configDir: string, output?: CommandOutput): Promise<string> {
    const result = await this.must(
      ['--config', configDir, 'push', ref],
      `docker push ${ref}`,
      "Docker's answer above says why: check the network and that the credentials have the push actions of docs/iam/publishing-policy.json, then rerun",
      { output },
    );
    const digest = parsePushDigest(result.output);
    if (!digest)
      throw new UserError(
        `docker push ${ref} did not report a digest`,
        'docker.command must be a Docker CLI whose push prints "<tag>: digest: sha256:… size: N"; check it, then rerun',
      );
    return digest;
  }

  /** `labels` say whose it is (see local-leftovers.ts), so a run killed while it runs leaves nothing unexplained. */
  async runDetached(
    image: string,
    name: string,
    containerPort: number,
    labels: Record<string, string> = {},
    platform?: string,
  ): Promise<RunningContainer> {
    const result = await this.must(
      runDetachedArgs(image, name, containerPort, labels, platform),
      `docker run ${image}`,
      "Docker's answer above says why (a name still in use, no free port, the engine's resources); fix that, then rerun",
    );
    const id = result.stdout.trim().split(/\s+/).pop()!;
    const port = await this.docker(['port', id, `${containerPort}/tcp`]);
    if (port.exitCode !== 0) {
      // A stopped container has no published port: the caller reads why from its state and logs.
      if (!(await this.containerState(id)).running) return { id };
      throw new UserError(`docker port failed (exit ${port.exitCode}): ${lastLines(port.output)}`, "Docker's answer above says why; rerun");
    }
    const hostPort = Number(/:(\d+)\s*$/m.exec(port.stdout)?.[1]);
    if (!hostPort)
      throw new UserError(
        `could not read the published port of container ${name}: ${port.stdout}`,
        'set port in test-app.json to the port the test app listens on inside its container',
      );
    return { id, hostPort };
  }

  /** `docker pull`: the engine's copy of the tag becomes the registry's current image. `configDir`: a withLogin directory. */
  async pull(ref: string, configDir?: string): Promise<void> {
    await this.must(
      [...(configDir ? ['--config', configDir] : []), 'pull', '--quiet', ref],
      `docker pull ${ref}`,
      "Docker's answer above says why: check the registry (or its mirror in registryMirrors) answers and the image exists, then rerun",
    );
  }

  /** The user and environment an image runs with (`Config.User`, `Config.Env`). */
  async imageConfig(ref: string): Promise<{ user: string; env: string[] }> {
    const result = await this.must(
      ['image', 'inspect', '--format', '{{json .Config}}', ref],
      `docker image inspect ${ref}`,
      "Docker's answer above says why; rerun the chain on one agent so the image is in its engine",
    );
    const config = (JSON.parse(result.stdout.trim() || '{}') as { User?: unknown; Env?: unknown } | null) ?? {};
    return { user: typeof config.User === 'string' ? config.User : '', env: Array.isArray(config.Env) ? config.Env.map(String) : [] };
  }

  /** `docker top`: the container's processes with their uid, as the engine's host sees them. */
  async processes(id: string): Promise<string> {
    return (await this.must(topArgs(id), 'docker top', "Docker's answer above says why; rerun")).stdout;
  }

  /**
   * One file of a container, through `docker cp <id>:<path> -`, which writes a tar archive to stdout (Docker
   * CLI reference, `docker cp`): no program inside the image is needed. Undefined when it is not there.
   */
  async readFile(id: string, file: string): Promise<string | undefined> {
    const result = await this.docker(['cp', `${id}:${file}`, '-']);
    return result.exitCode === 0 ? firstTarEntry(result.stdout) : undefined;
  }

  /**
   * A container of `image` that is never started, to read files out of: `docker create` runs nothing of the
   * image, so an image of another architecture is read as well as a native one (no emulation involved).
   * The command given is never run; it only lets an image without CMD be created. `labels` say whose it is.
   */
  async createContainer(image: string, labels: Record<string, string> = {}): Promise<string> {
    const result = await this.must(
      createArgs(image, labels),
      `docker create ${image}`,
      "Docker's answer above says why; rerun the chain on one agent so the image is in its engine",
    );
    return result.stdout.trim().split(/\s+/).pop()!;
  }

  /**
   * Copies a file or folder out of a container into `dest` (`docker cp`, following a symbolic link at the
   * source, as /etc/os-release is one to ../usr/lib/os-release). False when the path is not in it.
   */
  async copyFrom(id: string, source: string, dest: string): Promise<boolean> {
    return (await this.docker(copyFromArgs(id, source, dest))).exitCode === 0;
  }

  /** The platform an image was built for (`linux/amd64`, `linux/arm/v7`) and when: its config's os, architecture, variant and created. */
  async imagePlatform(ref: string): Promise<{ platform: string; created: Date }> {
    const result = await this.must(
      ['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}{{if .Variant}}/{{.Variant}}{{end}} {{.Created}}', ref],
      `docker image inspect ${ref}`,
      "Docker's answer above says why; rerun the chain on one agent so the image is in its engine",
    );
    const [platform, created] = result.stdout.trim().split(' ');
    return { platform, created: new Date(created) };
  }

  /** `dotnet --list-runtimes` in a throwaway container of `image`, without network. */
  async listRuntimes(image: string, platform?: string): Promise<CommandResult> {
    // Under emulation .NET starts many times slower: the same bound would fail a healthy image.
    return this.docker(listRuntimesArgs(image, platform), { timeoutMs: platform ? 300_000 : 60_000 });
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

export function createArgs(image: string, labels: Record<string, string>): string[] {
  return [
    'create',
    ...sorted(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
    '--network',
    'none',
    image,
    'never-started',
  ];
}

export function copyFromArgs(id: string, source: string, dest: string): string[] {
  return ['cp', '--follow-link', `${id}:${source}`, dest];
}

/** `ps` columns for `docker top`: the engine needs a PID column to match processes to the container. */
export function topArgs(id: string): string[] {
  return ['top', id, '-o', 'pid,uid,args'];
}

/**
 * `--platform` names the platform of an image of another architecture than the engine's, so Docker runs the
 * local image of that platform (under emulation) without warning that it does not match the host's.
 */
export function listRuntimesArgs(image: string, platform?: string): string[] {
  return ['run', '--rm', '--network', 'none', ...platformArgs(platform), '--entrypoint', 'dotnet', image, '--list-runtimes'];
}

export function runDetachedArgs(
  image: string,
  name: string,
  containerPort: number,
  labels: Record<string, string> = {},
  platform?: string,
): string[] {
  const labelArgs = sorted(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
  return ['run', '--detach', '--name', name, ...labelArgs, ...platformArgs(platform), '--publish', `127.0.0.1::${containerPort}`, image];
}

function platformArgs(platform: string | undefined): string[] {
  return platform ? ['--platform', platform] : [];
}

/** The content of a tar archive's first member: a 512-byte header (size in octal at 124) then the bytes. */
export function firstTarEntry(archive: string): string | undefined {
  if (archive.length < 512) return undefined;
  const size = parseInt(archive.slice(124, 136).replace(/\0.*$/s, '').trim(), 8);
  return Number.isFinite(size) ? archive.slice(512, 512 + size) : undefined;
}

function lastLines(text: string, count = 8): string {
  return text.trim().split(/\r?\n/).slice(-count).join('\n');
}
