import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  buildCommand,
  type BuildRequest,
  containerListArgs,
  DockerCli,
  imageListArgs,
  listRuntimesArgs,
  mixedBuildPlatform,
  parsePushDigest,
  runDetachedArgs,
} from './docker';
import { UserError } from '../types/errors';
import type { CommandResult, CommandRunner, RunOptions } from './exec';

interface Call {
  command: string;
  args: string[];
  options: RunOptions;
}

/** A CommandRunner that records each call and answers from a script keyed by the joined arguments. */
function fakeRunner(answer: (args: string[], options: RunOptions) => Partial<CommandResult> = () => ({})) {
  const calls: Call[] = [];
  const run: CommandRunner = (command, args, options = {}) => {
    calls.push({ command, args, options });
    const partial = answer(args, options);
    const stdout = partial.stdout ?? '';
    const stderr = partial.stderr ?? '';
    return Promise.resolve({ exitCode: partial.exitCode ?? 0, stdout, stderr, output: partial.output ?? stdout + stderr });
  };
  return { calls, run };
}

const request: BuildRequest = {
  dockerfile: '/tmp/b/Dockerfile',
  context: '/repo/platform-images/net6/runtime',
  tag: 'platform-images/net6-runtime:candidate-abc',
  iidFile: '/tmp/b/iid',
  buildArgs: { NUGET_FEED: 'https://feed', CREDPROVIDER_URL: '' },
  labels: {
    'org.opencontainers.image.version': '6.0-bullseye-slim-1.1.0',
    'io.platform-images.context.digest': 'sha256:ctx',
    'org.opencontainers.image.base.digest': 'sha256:base',
  },
};

const common = [
  '-f',
  '/tmp/b/Dockerfile',
  '-t',
  'platform-images/net6-runtime:candidate-abc',
  '--iidfile',
  '/tmp/b/iid',
  '--build-arg',
  'CREDPROVIDER_URL=',
  '--build-arg',
  'NUGET_FEED=https://feed',
  '--label',
  'io.platform-images.context.digest=sha256:ctx',
  '--label',
  'org.opencontainers.image.base.digest=sha256:base',
  '--label',
  'org.opencontainers.image.version=6.0-bullseye-slim-1.1.0',
];

describe('buildCommand', () => {
  it.each<[Parameters<typeof buildCommand>[0], { args: string[]; env: Record<string, string> }]>([
    [
      'buildx',
      {
        args: [
          'buildx',
          'build',
          '--load',
          '--progress=plain',
          '--provenance=false',
          '--sbom=false',
          ...common,
          '/repo/platform-images/net6/runtime',
        ],
        env: {},
      },
    ],
    ['buildkit', { args: ['build', '--progress=plain', ...common, '/repo/platform-images/net6/runtime'], env: { DOCKER_BUILDKIT: '1' } }],
    ['classic', { args: ['build', ...common, '/repo/platform-images/net6/runtime'], env: { DOCKER_BUILDKIT: '0' } }],
  ])('%s', (builder, expected) => {
    expect(buildCommand(builder, request)).toEqual(expected);
  });

  it('leaves out build args and labels when there are none', () => {
    expect(buildCommand('classic', { dockerfile: 'D', context: '.', tag: 't:1', iidFile: 'i' })).toEqual({
      args: ['build', '-f', 'D', '-t', 't:1', '--iidfile', 'i', '.'],
      env: { DOCKER_BUILDKIT: '0' },
    });
  });

  it.each<[Parameters<typeof buildCommand>[0], string[], Record<string, string>]>([
    ['classic', ['build', '-f', 'D', '-t', 't:1', '--iidfile', 'i', '--platform', 'linux/arm64', '.'], { DOCKER_BUILDKIT: '0' }],
    [
      'buildkit',
      ['build', '--progress=plain', '-f', 'D', '-t', 't:1', '--iidfile', 'i', '--platform', 'linux/arm64', '.'],
      { DOCKER_BUILDKIT: '1' },
    ],
    [
      'buildx',
      [
        'buildx',
        'build',
        '--load',
        '--progress=plain',
        '--provenance=false',
        '--sbom=false',
        '-f',
        'D',
        '-t',
        't:1',
        '--iidfile',
        'i',
        '--platform',
        'linux/arm64',
        '.',
      ],
      {},
    ],
  ])('%s names the platform it builds for with --platform', (builder, args, env) => {
    expect(buildCommand(builder, { dockerfile: 'D', context: '.', tag: 't:1', iidFile: 'i', platform: 'linux/arm64' })).toEqual({
      args,
      env,
    });
  });

  it('keeps values with spaces and equals signs as one argument', () => {
    const { args } = buildCommand('classic', { dockerfile: 'D', context: '.', tag: 't', iidFile: 'i', buildArgs: { A: 'x=y z' } });
    expect(args).toContain('A=x=y z');
  });
});

describe('mixedBuildPlatform', () => {
  it.each<[Parameters<typeof mixedBuildPlatform>[0], string | undefined]>([
    ['buildx', 'linux/arm64'],
    ['buildkit', 'linux/arm64'],
    ['classic', undefined],
  ])('%s builds a test app of stages on two platforms with --platform %s', (builder, expected) => {
    expect(mixedBuildPlatform(builder, 'linux/arm64')).toBe(expected);
    expect(mixedBuildPlatform(builder, undefined)).toBeUndefined();
  });
});

describe('platform of a container', () => {
  it('runs the test app and dotnet --list-runtimes for a named platform', () => {
    expect(runDetachedArgs('app:t', 'n', 8080, { b: '2', a: '1' }, 'linux/arm64')).toEqual([
      'run',
      '--detach',
      '--name',
      'n',
      '--label',
      'a=1',
      '--label',
      'b=2',
      '--platform',
      'linux/arm64',
      '--publish',
      '127.0.0.1::8080',
      'app:t',
    ]);
    expect(listRuntimesArgs('img', 'linux/arm64')).toEqual([
      'run',
      '--rm',
      '--network',
      'none',
      '--platform',
      'linux/arm64',
      '--entrypoint',
      'dotnet',
      'img',
      '--list-runtimes',
    ]);
  });

  it('names none for the engine’s own platform, as before', () => {
    expect(runDetachedArgs('app:t', 'n', 8080)).toEqual(['run', '--detach', '--name', 'n', '--publish', '127.0.0.1::8080', 'app:t']);
    expect(listRuntimesArgs('img')).toEqual(['run', '--rm', '--network', 'none', '--entrypoint', 'dotnet', 'img', '--list-runtimes']);
  });
});

describe('parsePushDigest', () => {
  const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
  it.each<[string, string | undefined]>([
    [`The push refers to repository [x]\nabc: Pushed\n6.0-bullseye-slim-1.1.0: digest: ${digest} size: 1573\n`, digest],
    [`latest: digest: ${digest} size: 856`, digest],
    ['abc: Layer already exists', undefined],
    ['digest: sha256:short size: 1', undefined],
    ['', undefined],
  ])('%#', (output, expected) => {
    expect(parsePushDigest(output)).toBe(expected);
  });
});

describe('DockerCli', () => {
  it('runs the configured command', async () => {
    const { calls, run } = fakeRunner(() => ({ stdout: '27.1.1\n' }));
    await new DockerCli('podman', run).ensureEngine();
    expect(calls.map((c) => c.command)).toEqual(['podman']);
  });

  describe('ensureEngine', () => {
    it('returns the server version', async () => {
      const { calls, run } = fakeRunner(() => ({ stdout: '27.1.1\n' }));
      await expect(new DockerCli('docker', run).ensureEngine()).resolves.toBe('27.1.1');
      expect(calls.map((c) => c.args)).toEqual([['version', '--format', '{{.Server.Version}}']]);
    });

    it.each<[string, Partial<CommandResult>]>([
      [
        'the engine is down',
        { exitCode: 1, stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n' },
      ],
      ['the server answers nothing', { exitCode: 0, stdout: '\n' }],
    ])('throws a UserError with a hint when %s', async (_name, answer) => {
      const { run } = fakeRunner(() => answer);
      const error = await new DockerCli('docker', run).ensureEngine().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).message).toMatch(/^the Docker engine is unreachable/);
      expect((error as UserError).hint).toMatch(/start the Docker daemon/);
    });

    it('includes the engine error in the message', async () => {
      const { run } = fakeRunner(() => ({ exitCode: 1, stderr: 'Cannot connect to the Docker daemon' }));
      await expect(new DockerCli('docker', run).ensureEngine()).rejects.toThrow(
        'the Docker engine is unreachable: Cannot connect to the Docker daemon',
      );
    });

    it('asks the engine once however many steps check it (one DockerCli per process)', async () => {
      const { calls, run } = fakeRunner(() => ({ stdout: '27.1.1\n' }));
      const docker = new DockerCli('docker', run);
      await Promise.all([docker.ensureEngine(), docker.ensureEngine()]);
      await expect(docker.ensureEngine()).resolves.toBe('27.1.1');
      expect(calls.map((c) => c.args)).toEqual([['version', '--format', '{{.Server.Version}}']]);
    });

    it('asks again after an engine that did not answer', async () => {
      let up = false;
      const { calls, run } = fakeRunner(() =>
        up ? { stdout: '27.1.1\n' } : { exitCode: 1, stderr: 'Cannot connect to the Docker daemon' },
      );
      const docker = new DockerCli('docker', run);
      await expect(docker.ensureEngine()).rejects.toThrow(/unreachable/);
      up = true;
      await expect(docker.ensureEngine()).resolves.toBe('27.1.1');
      expect(calls).toHaveLength(2);
    });
  });

  describe('imageId after the engine was found answering', () => {
    it('asks the engine again when the image is missing, and says the engine is gone when it is', async () => {
      const { calls, run } = fakeRunner((args) =>
        args[0] === 'version' && calls.length > 1
          ? { exitCode: 1, stderr: 'Cannot connect to the Docker daemon' }
          : args[0] === 'version'
            ? { stdout: '27.1.1\n' }
            : { exitCode: 1 },
      );
      const docker = new DockerCli('docker', run);
      await docker.ensureEngine();
      await expect(docker.imageId('x:1')).rejects.toThrow(/^the Docker engine is unreachable/);
      expect(calls.map((c) => c.args[0])).toEqual(['version', 'image', 'version']);
    });

    it('answers undefined when the engine still answers: the image is missing', async () => {
      const { calls, run } = fakeRunner((args) => (args[0] === 'version' ? { stdout: '27.1.1\n' } : { exitCode: 1 }));
      const docker = new DockerCli('docker', run);
      await docker.ensureEngine();
      await expect(docker.imageId('x:1')).resolves.toBeUndefined();
      expect(calls.map((c) => c.args[0])).toEqual(['version', 'image', 'version']);
    });

    it('asks nothing more when the image is there', async () => {
      const { calls, run } = fakeRunner((args) => ({ stdout: args[0] === 'version' ? '27.1.1\n' : 'sha256:abc\n' }));
      const docker = new DockerCli('docker', run);
      await docker.ensureEngine();
      await expect(docker.imageId('x:1')).resolves.toBe('sha256:abc');
      expect(calls.map((c) => c.args[0])).toEqual(['version', 'image']);
    });
  });

  describe('resolveBuilder', () => {
    it.each<['auto' | 'buildx' | 'buildkit' | 'classic', number, string, string[][]]>([
      ['auto', 0, 'buildx', [['buildx', 'version']]],
      ['auto', 1, 'classic', [['buildx', 'version']]],
      ['auto', 125, 'classic', [['buildx', 'version']]],
      ['buildx', 1, 'buildx', []],
      ['buildkit', 0, 'buildkit', []],
      ['classic', 0, 'classic', []],
    ])('%s with `buildx version` exiting %i → %s', async (builder, exitCode, expected, expectedCalls) => {
      const { calls, run } = fakeRunner(() => ({ exitCode }));
      await expect(new DockerCli('docker', run).resolveBuilder(builder)).resolves.toBe(expected);
      expect(calls.map((c) => c.args)).toEqual(expectedCalls);
    });

    it('asks buildx once per DockerCli: the build and the test app build resolve auto alike', async () => {
      const { calls, run } = fakeRunner(() => ({ exitCode: 0 }));
      const docker = new DockerCli('docker', run);
      expect([await docker.resolveBuilder('auto'), await docker.resolveBuilder('auto'), await docker.resolveBuilder('classic')]).toEqual([
        'buildx',
        'buildx',
        'classic',
      ]);
      expect(calls.map((c) => c.args)).toEqual([['buildx', 'version']]);
    });
  });

  describe('build', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'docker-spec-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('passes the builder env and streams output, returning the image id from the iid file', async () => {
      const iidFile = path.join(dir, 'iid');
      const output = { write: jest.fn(), end: jest.fn() };
      const { calls, run } = fakeRunner((_args, options) => {
        writeFileSync(iidFile, 'sha256:built\n');
        options.onOutput?.('step 1\n');
        return { output: 'step 1\n' };
      });
      const result = await new DockerCli('docker', run).build('buildkit', { ...request, iidFile }, output);
      expect(result).toEqual({ imageId: 'sha256:built', output: 'step 1\n', exitCode: 0 });
      expect(calls).toHaveLength(1);
      expect(calls[0].args).toEqual(buildCommand('buildkit', { ...request, iidFile }).args);
      expect(calls[0].options.env).toEqual({ DOCKER_BUILDKIT: '1' });
      expect(output.write).toHaveBeenCalledWith('step 1\n');
      expect(output.end.mock.calls).toEqual([[undefined]]);
    });

    it('reports a failed build without reading the iid file', async () => {
      const { run } = fakeRunner(() => ({ exitCode: 1, output: 'ERROR: failed to solve' }));
      const result = await new DockerCli('docker', run).build('classic', { ...request, iidFile: path.join(dir, 'missing') });
      expect(result).toEqual({ imageId: '', output: 'ERROR: failed to solve', exitCode: 1 });
    });
  });

  describe('withLogin', () => {
    const password = 'eyJwYXlsb2FkIjoic2VjcmV0In0=';

    it('passes the password only on stdin and removes the config directory afterwards', async () => {
      const { calls, run } = fakeRunner();
      let seenDir = '';
      const result = await new DockerCli('docker', run).withLogin(
        '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
        'AWS',
        password,
        (configDir) => {
          seenDir = configDir;
          expect(existsSync(configDir)).toBe(true);
          return Promise.resolve('done');
        },
      );
      expect(result).toBe('done');
      expect(calls).toHaveLength(1);
      expect(calls[0].args).toEqual([
        '--config',
        seenDir,
        'login',
        '--username',
        'AWS',
        '--password-stdin',
        '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      ]);
      expect(calls[0].options.input).toBe(password);
      expect(calls[0].args.some((a) => a.includes(password))).toBe(false);
      expect(JSON.stringify(calls[0].options.env ?? {})).not.toContain(password);
      expect(seenDir.startsWith(tmpdir())).toBe(true);
      // Named for this process, so a run killed while logged in leaves a folder the next run can tell is abandoned.
      expect(path.basename(seenDir)).toMatch(new RegExp(`^platform-images-docker-.+-${process.pid}-[A-Za-z0-9]{6}$`));
      expect(existsSync(seenDir)).toBe(false);
    });

    it('removes the config directory when fn throws', async () => {
      const { run } = fakeRunner();
      let seenDir = '';
      await expect(
        new DockerCli('docker', run).withLogin('r.example', 'AWS', password, (configDir) => {
          seenDir = configDir;
          writeFileSync(path.join(configDir, 'config.json'), '{"auths":{"r.example":{"auth":"x"}}}');
          return Promise.reject(new Error('push failed'));
        }),
      ).rejects.toThrow('push failed');
      expect(seenDir).not.toBe('');
      expect(existsSync(seenDir)).toBe(false);
    });

    it('fails without calling fn when login fails, and still cleans up', async () => {
      const { calls, run } = fakeRunner(() => ({ exitCode: 1, stderr: 'Error response from daemon: login attempt failed' }));
      const fn = jest.fn();
      const error = await new DockerCli('docker', run).withLogin('r.example', 'AWS', password, fn).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toMatch(/^docker login r\.example failed \(exit 1\)/);
      expect((error as Error).message).not.toContain(password);
      expect(fn).not.toHaveBeenCalled();
      expect(existsSync(calls[0].args[1])).toBe(false);
    });
  });

  describe('push', () => {
    const digest = `sha256:${'a'.repeat(64)}`;

    it.each<[string, Partial<CommandResult>, string | undefined]>([
      ['pushed', { exitCode: 0, stdout: `1.1.0: digest: ${digest} size: 1573\n` }, undefined],
      ['refused', { exitCode: 1, stderr: 'denied: not authorized\n' }, 'exit 1'],
      ['killed', { exitCode: 143, stdout: 'abc: Pushing\n' }, 'exit 143'],
    ])('hands its output on and says how it ended, before any error: %s', async (_name, answer, failure) => {
      const seen: string[] = [];
      const { run } = fakeRunner((_args, options) => {
        options.onOutput?.(answer.stdout ?? answer.stderr ?? '');
        return answer;
      });
      const output = { write: (chunk: string) => seen.push(`write ${chunk}`), end: (f?: string) => seen.push(`end ${f}`) };
      await new DockerCli('docker', run)
        .push('r.example/runtime:1.1.0', '/tmp/cfg', output)
        .catch((err: Error) => seen.push(`threw ${err.message.split(':')[0]}`));
      expect(seen).toEqual([
        `write ${answer.stdout ?? answer.stderr}`,
        `end ${failure}`,
        ...(failure ? ['threw docker push r.example/runtime'] : []),
      ]);
    });

    it('ends the output when the command could not run at all', async () => {
      const end = jest.fn();
      const run: CommandRunner = () => Promise.reject(new Error('spawn failed'));
      await expect(new DockerCli('docker', run).push('r.example/runtime:1.1.0', '/tmp/cfg', { write: jest.fn(), end })).rejects.toThrow(
        'spawn failed',
      );
      expect(end.mock.calls).toEqual([['did not run']]);
    });

    it('pushes with the given config dir and returns the digest', async () => {
      const { calls, run } = fakeRunner(() => ({ stdout: `1.1.0: digest: ${digest} size: 1573\n` }));
      await expect(new DockerCli('docker', run).push('r.example/runtime:1.1.0', '/tmp/cfg')).resolves.toBe(digest);
      expect(calls.map((c) => c.args)).toEqual([['--config', '/tmp/cfg', 'push', 'r.example/runtime:1.1.0']]);
    });

    it('fails when no digest is reported', async () => {
      const { run } = fakeRunner(() => ({ stdout: 'done\n' }));
      await expect(new DockerCli('docker', run).push('r.example/runtime:1.1.0', '/tmp/cfg')).rejects.toThrow(
        'docker push r.example/runtime:1.1.0 did not report a digest',
      );
    });

    it('fails with the end of the output when the push fails', async () => {
      const { run } = fakeRunner(() => ({ exitCode: 1, stderr: 'denied: not authorized' }));
      await expect(new DockerCli('docker', run).push('r.example/runtime:1.1.0', '/tmp/cfg')).rejects.toThrow(
        'docker push r.example/runtime:1.1.0 failed (exit 1): denied: not authorized',
      );
    });
  });

  describe('runDetached', () => {
    it('returns no port for a container that already stopped, so the caller can say why', async () => {
      const { calls, run } = fakeRunner((args) =>
        args[0] === 'run'
          ? { stdout: 'dead\n' }
          : args[0] === 'port'
            ? { exitCode: 1, stdout: '', output: "Error: No public port '8080/tcp' published for dead" }
            : { stdout: 'false 3\n' },
      );
      await expect(new DockerCli('docker', run).runDetached('app:test', 'n', 8080)).resolves.toEqual({ id: 'dead' });
      expect(calls.map((c) => c.args[0])).toEqual(['run', 'port', 'inspect']);
    });

    it('publishes the port on loopback and reads the host port', async () => {
      const { calls, run } = fakeRunner((args) => (args[0] === 'run' ? { stdout: 'f00dcafe\n' } : { stdout: '127.0.0.1:49153\n' }));
      await expect(new DockerCli('docker', run).runDetached('app:test', 'platform-images-test-x', 8080)).resolves.toEqual({
        id: 'f00dcafe',
        hostPort: 49153,
      });
      expect(calls.map((c) => c.args)).toEqual([
        ['run', '--detach', '--name', 'platform-images-test-x', '--publish', '127.0.0.1::8080', 'app:test'],
        ['port', 'f00dcafe', '8080/tcp'],
      ]);
    });

    it('labels the container with its owner and when it was made, in key order', async () => {
      const { calls, run } = fakeRunner((args) => (args[0] === 'run' ? { stdout: 'f00dcafe\n' } : { stdout: '127.0.0.1:49153\n' }));
      await new DockerCli('docker', run).runDetached('app:test', 'platform-images-test-x', 8080, {
        'io.platform-images.owner': 'agent-07-4242',
        'io.platform-images.created': '2024-03-07T10:00:00.000Z',
      });
      expect(calls[0].args).toEqual([
        'run',
        '--detach',
        '--name',
        'platform-images-test-x',
        '--label',
        'io.platform-images.created=2024-03-07T10:00:00.000Z',
        '--label',
        'io.platform-images.owner=agent-07-4242',
        '--publish',
        '127.0.0.1::8080',
        'app:test',
      ]);
    });

    it('takes the container id from the last line when docker pulled first', async () => {
      const { calls, run } = fakeRunner((args) =>
        args[0] === 'run' ? { stdout: 'Unable to find image locally\nabc123\n' } : { stdout: '127.0.0.1:32768\n' },
      );
      await expect(new DockerCli('docker', run).runDetached('app:test', 'n', 80)).resolves.toEqual({ id: 'abc123', hostPort: 32768 });
      expect(calls[1].args).toEqual(['port', 'abc123', '80/tcp']);
    });

    it('fails when the port cannot be read', async () => {
      const { run } = fakeRunner((args) => (args[0] === 'run' ? { stdout: 'abc\n' } : { stdout: '' }));
      await expect(new DockerCli('docker', run).runDetached('app:test', 'n', 80)).rejects.toThrow(
        'could not read the published port of container n',
      );
    });
  });

  describe('the listings the local sweep reads', () => {
    it.each<[string, string[]]>([
      [
        'containers a run made, stopped ones too, with their owner and creation labels',
        [
          'ps',
          '--all',
          '--filter',
          'label=io.platform-images.owner',
          '--format',
          '{{.ID}}\t{{.Names}}\t{{.Label "io.platform-images.owner"}}\t{{.Label "io.platform-images.created"}}',
        ],
      ],
      [
        'images built from a platform image build, one line per name',
        ['images', '--filter', 'label=io.platform-images.context.digest', '--format', '{{.ID}}\t{{.Repository}}:{{.Tag}}\t{{.CreatedAt}}'],
      ],
    ])('%s', (name, args) => {
      expect(name.startsWith('containers') ? containerListArgs() : imageListArgs()).toEqual(args);
    });

    it('splits the lines on tabs, with a bounded wait', async () => {
      const { calls, run } = fakeRunner(() => ({ stdout: 'abc\tplatform-images-test-x\tagent-07-4242\t2024-03-07T10:00:00Z\n\n' }));
      await expect(new DockerCli('docker', run).listOwnedContainers()).resolves.toEqual([
        ['abc', 'platform-images-test-x', 'agent-07-4242', '2024-03-07T10:00:00Z'],
      ]);
      expect(calls[0].args).toEqual(containerListArgs());
      expect(calls[0].options.timeoutMs).toBe(10_000);
    });

    it.each<[string, Partial<CommandResult> | Error]>([
      ['the engine is down', { exitCode: 1, stderr: 'Cannot connect to the Docker daemon' }],
      ['the CLI is not installed', new Error('spawn docker ENOENT')],
    ])('answers undefined, not an error, when %s', async (_name, answer) => {
      const run: CommandRunner = () => {
        if (answer instanceof Error) return Promise.reject(answer);
        return Promise.resolve({ exitCode: answer.exitCode ?? 0, stdout: '', stderr: answer.stderr ?? '', output: answer.stderr ?? '' });
      };
      await expect(new DockerCli('docker', run).listBuiltImages()).resolves.toBeUndefined();
    });

    it('removes an image name without --force, so an image a container runs stays, and says why not', async () => {
      const { calls, run } = fakeRunner(() => ({
        exitCode: 1,
        stderr:
          'Error response from daemon: conflict: unable to remove repository reference "x:1" (must force) - container abc is using its referenced image def\n',
      }));
      await expect(new DockerCli('docker', run).removeImageName('x:1')).resolves.toMatch(/container abc is using its referenced image/);
      expect(calls.map((c) => c.args)).toEqual([['image', 'rm', 'x:1']]);
    });
  });

  describe('small commands', () => {
    it.each<[string, (d: DockerCli) => Promise<unknown>, string[]]>([
      ['imageId', (d) => d.imageId('x:1'), ['image', 'inspect', '--format', '{{.Id}}', 'x:1']],
      ['tag', (d) => d.tag('x:1', 'r/x:2'), ['tag', 'x:1', 'r/x:2']],
      ['removeImage', (d) => d.removeImage('x:1'), ['image', 'rm', '--force', 'x:1']],
      ['removeImageName', (d) => d.removeImageName('x:1'), ['image', 'rm', 'x:1']],
      ['removeContainer', (d) => d.removeContainer('abc'), ['rm', '--force', '--volumes', 'abc']],
      ['logs', (d) => d.logs('abc'), ['logs', '--tail', '200', 'abc']],
      ['containerState', (d) => d.containerState('abc'), ['inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', 'abc']],
    ])('%s', async (_name, call, args) => {
      const { calls, run } = fakeRunner(() => ({ stdout: 'true 0\n' }));
      await call(new DockerCli('docker', run));
      expect(calls.map((c) => c.args)).toEqual([args]);
    });

    it('imageId is undefined for a missing image', async () => {
      const { run } = fakeRunner(() => ({ exitCode: 1 }));
      await expect(new DockerCli('docker', run).imageId('x:1')).resolves.toBeUndefined();
    });

    it('containerState parses running and exit code', async () => {
      const { run } = fakeRunner(() => ({ stdout: 'false 139\n' }));
      await expect(new DockerCli('docker', run).containerState('abc')).resolves.toEqual({ running: false, exitCode: 139 });
    });

    it.each<[string, Record<string, string>]>([
      ['{"a":"1"}\n', { a: '1' }],
      ['null\n', {}],
      ['', {}],
    ])('imageLabels parses %j', async (stdout, labels) => {
      const { run } = fakeRunner(() => ({ stdout }));
      await expect(new DockerCli('docker', run).imageLabels('x:1')).resolves.toEqual(labels);
    });
  });

  describe('reading an image without running it', () => {
    it('creates a container that is never started, labelled, without network, and answers its id', async () => {
      const { calls, run } = fakeRunner(() => ({ stdout: 'WARNING: platform mismatch\nc0ffee\n' }));
      await expect(new DockerCli('docker', run).createContainer('img:1', { 'b.owner': 'h-1', 'a.created': 't' })).resolves.toBe('c0ffee');
      expect(calls.map((c) => c.args)).toEqual([
        ['create', '--label', 'a.created=t', '--label', 'b.owner=h-1', '--network', 'none', 'img:1', 'never-started'],
      ]);
    });

    it.each([
      [0, true],
      [1, false],
    ])('copies a path out, following a link at the source (exit %i: %s)', async (exitCode, copied) => {
      const { calls, run } = fakeRunner(() => ({ exitCode }));
      await expect(new DockerCli('docker', run).copyFrom('c0ffee', '/etc/os-release', '/tmp/x/os-release')).resolves.toBe(copied);
      expect(calls[0].args).toEqual(['cp', '--follow-link', 'c0ffee:/etc/os-release', '/tmp/x/os-release']);
    });

    it.each([
      ['linux/amd64 2026-11-29T10:00:00.123Z\n', 'linux/amd64'],
      ['linux/arm/v7 2026-11-29T10:00:00.123Z\n', 'linux/arm/v7'],
    ])('reads the platform and creation time from %j', async (stdout, platform) => {
      const { calls, run } = fakeRunner(() => ({ stdout }));
      await expect(new DockerCli('docker', run).imagePlatform('img:1')).resolves.toEqual({
        platform,
        created: new Date('2026-11-29T10:00:00.123Z'),
      });
      expect(calls[0].args).toEqual([
        'image',
        'inspect',
        '--format',
        '{{.Os}}/{{.Architecture}}{{if .Variant}}/{{.Variant}}{{end}} {{.Created}}',
        'img:1',
      ]);
    });
  });
});
