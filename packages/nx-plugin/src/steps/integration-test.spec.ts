import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ImageSettings } from '../config/settings';
import { DockerCli, listRuntimesArgs, topArgs } from '../lib/docker';
import { UserError } from '../types/errors';
import type { CommandResult, CommandRunner, RunOptions } from '../lib/exec';
import { testImage, testPort } from './integration-test';
import type { BuildRecord, CheckRecord } from './records';
import { imageSettings, recordingLogger } from './test-fixtures';

const IMAGE_ID = `sha256:${'1'.repeat(64)}`;
const LOCAL_TAG = 'platform-images/net8-aspnet:candidate';
const CONTAINER = 'c0ffee';

let root: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'integration-test-spec-'));
  const app = path.join(root, 'integration-tests/net8');
  mkdirSync(app, { recursive: true });
  writeFileSync(
    path.join(app, 'Dockerfile'),
    'FROM mcr.microsoft.com/dotnet/sdk:8.0-bookworm-slim AS build\nFROM mcr.microsoft.com/dotnet/aspnet:8.0-bookworm-slim\n',
  );
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

function settingsWith(port?: number, replaceFrom = 'mcr.microsoft.com/dotnet/aspnet:8.0-bookworm-slim'): ImageSettings {
  const dir = path.join(root, 'integration-tests/net8');
  return imageSettings(root, 'runtime', {
    project: 'net8-aspnet',
    integrationTest: {
      replaceFrom,
      requireAllPlatforms: false,
      app: {
        dir,
        configFile: 'integration-tests/net8/test-app.json',
        dockerfile: path.join(dir, 'Dockerfile'),
        context: dir,
        port,
        request: { method: 'POST', path: '/MyService', headers: {}, body: '{"data":"x"}' },
        expectStatus: 200,
        timeoutSeconds: 5,
      },
    },
  });
}

const check = { project: 'net8-aspnet', stale: true, runId: 'run-1' } as CheckRecord;
const build = { runId: 'run-1', imageId: IMAGE_ID, localTag: LOCAL_TAG } as BuildRecord;

const ASPNET_ENV = ['PATH=/usr/bin', 'APP_UID=1654', 'ASPNETCORE_HTTP_PORTS=8080', 'DOTNET_VERSION=8.0.31', 'ASPNET_VERSION=8.0.31'];
const RUNTIMES =
  'Microsoft.AspNetCore.App 8.0.31 [/usr/share/dotnet/shared/Microsoft.AspNetCore.App]\nMicrosoft.NETCore.App 8.0.31 [/usr/share/dotnet/shared/Microsoft.NETCore.App]\n';

/** A tar archive of one file, as `docker cp <id>:<file> -` writes it. */
function tarOf(name: string, content: string): string {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write(content.length.toString(8).padStart(11, '0') + '\0', 124);
  return header.toString('latin1') + content + '\0'.repeat(512 - (content.length % 512));
}

interface Engine {
  user?: string;
  env?: string[];
  /** The test app image's own configuration, where it differs from the new image's. */
  testImage?: { user: string; env: string[] };
  top?: string;
  runtimes?: { exitCode: number; stdout: string };
  passwd?: string;
}

/** A Docker CLI whose engine answers from `engine`; every command line it was given is kept. */
function fakeDocker(engine: Engine) {
  const calls: string[][] = [];
  const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '', output: stdout });
  const respond = (args: string[], options: RunOptions): CommandResult => {
    switch (args[0]) {
      case 'version':
        return ok(args.includes('{{.Server.Os}}/{{.Server.Arch}}') ? 'linux/amd64\n' : '20.10.24\n');
      case 'buildx':
        return { exitCode: 1, stdout: '', stderr: 'not installed', output: 'not installed' };
      case 'build': {
        writeFileSync(args[args.indexOf('--iidfile') + 1], `sha256:${'2'.repeat(64)}`);
        options.onOutput?.('Successfully built\n');
        return ok('Successfully built\n');
      }
      case 'image':
        if (args[1] === 'inspect' && args.includes('{{.Id}}')) return ok(`${IMAGE_ID}\n`);
        if (args[1] === 'inspect' && args.at(-1) !== LOCAL_TAG && engine.testImage)
          return ok(JSON.stringify({ User: engine.testImage.user, Env: engine.testImage.env }));
        if (args[1] === 'inspect') return ok(JSON.stringify({ User: engine.user ?? '1654', Env: engine.env ?? ASPNET_ENV }));
        return ok();
      case 'run':
        if (args.includes('--entrypoint')) return { ...ok(engine.runtimes?.stdout ?? RUNTIMES), exitCode: engine.runtimes?.exitCode ?? 0 };
        return ok(`${CONTAINER}\n`);
      case 'port':
        return ok('127.0.0.1:49153\n');
      case 'inspect':
        return ok('true 0\n');
      case 'logs':
        return ok('MyService listening on port 8080 as uid 1654, .NET 8.0.31\n');
      case 'top':
        return ok(engine.top ?? 'PID UID COMMAND\n2756 1654 dotnet WebApp.dll\n');
      case 'cp':
        return engine.passwd === undefined
          ? { exitCode: 1, stdout: '', stderr: 'no such file', output: 'no such file' }
          : ok(tarOf('passwd', engine.passwd));
      default:
        return ok();
    }
  };
  const run: CommandRunner = (_command: string, args: string[], options: RunOptions = {}) => {
    calls.push(args);
    return Promise.resolve(respond(args, options));
  };
  return { docker: new DockerCli('docker', run), calls };
}

const answers200 = () => Promise.resolve({ status: 200, body: '{"data":"x","runtime":".NET 8.0.31"}' });

async function runTest(engine: Engine, port?: number, replaceFrom?: string) {
  const { docker, calls } = fakeDocker(engine);
  const { log, lines, commands } = recordingLogger();
  const result = await testImage(settingsWith(port, replaceFrom), check, build, {
    docker,
    log,
    probe: answers200,
    pollMs: 1,
  });
  return { result, calls, lines, commands };
}

describe('testImage: what the image promises', () => {
  it('passes when the app runs as the image user, answers on its port and the declared .NET is inside', async () => {
    const { result, calls, lines, commands } = await runTest({});
    // The test app's build output is the image's own, named with the image and the build.
    expect(commands).toEqual([{ title: 'net8-aspnet: docker build of the test app', output: 'Successfully built\n', ended: true }]);
    expect(result).toEqual(
      expect.objectContaining({
        passed: true,
        port: 8080,
        user: 'runs as uid 1654 (USER 1654)',
        runtimes: '.NET inside: Microsoft.NETCore.App 8.0.31, Microsoft.AspNetCore.App 8.0.31',
      }),
    );
    // The container publishes the image's port; the processes and runtimes are asked with these exact commands.
    expect(calls.find((c) => c[0] === 'run' && c.includes('--detach'))).toContain('127.0.0.1::8080');
    expect(calls).toContainEqual(topArgs(CONTAINER));
    // The build stage's image is pulled fresh; the new image is the engine's own and is not pulled.
    expect(calls.filter((c) => c[0] === 'pull')).toEqual([['pull', '--quiet', 'mcr.microsoft.com/dotnet/sdk:8.0-bookworm-slim']]);
    expect(calls).toContainEqual(listRuntimesArgs(LOCAL_TAG));
    expect(lines.join('\n')).toContain('POST /MyService -> 200: {"data":"x","runtime":".NET 8.0.31"}');
    expect(lines.join('\n')).toContain('  | MyService listening on port 8080 as uid 1654, .NET 8.0.31');
  });

  it("resolves a named USER through the image's /etc/passwd", async () => {
    const { result, calls } = await runTest({
      user: 'devsecops',
      passwd: 'root:x:0:0::/root:/bin/sh\ndevsecops:x:1000:1000::/home/devsecops:/bin/bash\n',
      top: 'PID UID COMMAND\n1 1000 dotnet WebApp.dll\n',
    });
    expect(result.user).toBe('runs as uid 1000 (USER devsecops)');
    expect(calls).toContainEqual(['cp', `${CONTAINER}:/etc/passwd`, '-']);
  });

  it('fails when a process runs as another user, naming it and the fix', async () => {
    const run = runTest({ top: 'PID UID COMMAND\n2756 0 dotnet WebApp.dll\n' });
    await expect(run).rejects.toThrow(UserError);
    await expect(runTest({ top: 'PID UID COMMAND\n2756 0 dotnet WebApp.dll\n' })).rejects.toThrow(
      /runs as USER 1654 \(uid 1654\), but the test app's processes run as uid 0 \(dotnet WebApp\.dll\)/,
    );
  });

  it('fails when the named user does not exist', async () => {
    await expect(runTest({ user: 'ghost', passwd: 'root:x:0:0::/root:/bin/sh\n' })).rejects.toThrow(
      /USER ghost, but its \/etc\/passwd has no user "ghost"/,
    );
  });

  it('reports root without failing when the image sets no USER (sdk images keep root)', async () => {
    const { result } = await runTest({ user: '', top: 'PID UID COMMAND\n9 0 dotnet WebApp.dll\n' });
    expect(result.user).toBe('runs as root (the image sets no USER)');
  });

  it('fails when the declared .NET is not the one inside', async () => {
    await expect(
      runTest({ runtimes: { exitCode: 0, stdout: 'Microsoft.NETCore.App 8.0.30 [/usr/share/dotnet/shared/Microsoft.NETCore.App]\n' } }),
    ).rejects.toThrow(/declares DOTNET_VERSION=8\.0\.31 and ASPNET_VERSION=8\.0\.31, but holds Microsoft\.NETCore\.App 8\.0\.30/);
    await expect(runTest({ runtimes: { exitCode: 127, stdout: 'exec: "dotnet": executable file not found in $PATH' } })).rejects.toThrow(
      /but holds dotnet --list-runtimes failed \(exit 127\)/,
    );
  });

  it("an sdk image is the build stage only: the app runs on the final stage's image, whose user and port count", async () => {
    const { result, calls } = await runTest(
      {
        user: '',
        env: ['ASPNETCORE_URLS=http://+:80', 'DOTNET_VERSION=8.0.31', 'ASPNET_VERSION=8.0.31'],
        testImage: { user: '', env: ['ASPNETCORE_HTTP_PORTS=8080'] },
        top: 'PID UID COMMAND\n9 0 dotnet WebApp.dll\n',
      },
      undefined,
      'mcr.microsoft.com/dotnet/sdk:8.0-bookworm-slim',
    );
    expect(result).toEqual(
      expect.objectContaining({ passed: true, port: 8080, user: "runs as root (the final stage's image sets no USER)" }),
    );
    // The .NET check is still the new image's own.
    expect(calls).toContainEqual(listRuntimesArgs(LOCAL_TAG));
  });

  it('does not look for .NET in an image that declares none', async () => {
    const { result, calls } = await runTest({ env: ['ASPNETCORE_URLS=http://+:8080'] });
    expect(result.runtimes).toBe('declares no .NET version (no DOTNET_VERSION)');
    expect(calls).not.toContainEqual(listRuntimesArgs(LOCAL_TAG));
  });
});

describe('testPort', () => {
  it.each([
    [['ASPNETCORE_HTTP_PORTS=8080'], undefined, 8080],
    [['ASPNETCORE_HTTP_PORTS=8080'], 8080, 8080],
    [['ASPNETCORE_URLS=http://+:80'], undefined, 80],
    [[], 5000, 5000],
  ])('image env %j, test-app.json port %j → %d', (env, port, expected) => {
    const values = Object.fromEntries(env.map((e) => e.split('=') as [string, string]));
    expect(testPort(settingsWith(port), values)).toBe(expected);
  });

  it.each([
    [
      { ASPNETCORE_HTTP_PORTS: '8080' },
      5000,
      /says the test app listens on port 5000, but the new image configures 8080 \(ASPNETCORE_HTTP_PORTS\)/,
    ],
    [
      {},
      undefined,
      /configures no HTTP port \(neither ASPNETCORE_HTTP_PORTS nor ASPNETCORE_URLS\) and integration-tests\/net8\/test-app\.json sets none/,
    ],
  ])('image env %j, port %j fails', (env, port, message) => {
    expect(() => testPort(settingsWith(port), env)).toThrow(message);
  });
});

describe('testImage of a multi-platform image', () => {
  const AARCH64 = 'enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POCF\noffset 0\n';
  const twoPlatforms = {
    ...build,
    localTag: 'platform-images/net8-aspnet/linux-amd64:candidate',
    platforms: [
      { platform: 'linux/amd64', imageId: IMAGE_ID, localTag: 'platform-images/net8-aspnet/linux-amd64:candidate' },
      { platform: 'linux/arm64', imageId: IMAGE_ID, localTag: 'platform-images/net8-aspnet/linux-arm64:candidate' },
    ],
  } as BuildRecord;
  const settings = (requireAllPlatforms = false): ImageSettings => {
    const base = settingsWith();
    return { ...base, platforms: ['linux/amd64', 'linux/arm64'], integrationTest: { ...base.integrationTest, requireAllPlatforms } };
  };
  const probe = () => Promise.resolve({ status: 200, body: '{"data":"x"}' });

  it('tests amd64 natively and arm64 under emulation, each build and container naming its platform', async () => {
    const { docker, calls } = fakeDocker({});
    const { lines, log } = recordingLogger();
    const readBinfmt = (name: string) => ({ status: 'enabled', 'qemu-aarch64': AARCH64 })[name];
    const record = await testImage(settings(), check, twoPlatforms, { docker, log, probe, pollMs: 1, readBinfmt });
    expect(record.passed).toBe(true);
    expect(record.platforms).toEqual([
      expect.objectContaining({ platform: 'linux/amd64', how: 'native', passed: true, status: 200 }),
      expect.objectContaining({ platform: 'linux/arm64', how: 'emulated', passed: true, status: 200 }),
    ]);
    // The classic builder (no buildx here) is given no --platform for a test app of two platforms (see mixedBuildPlatform).
    const builds = calls.filter((c) => c[0] === 'build');
    expect(builds.map((c) => c.includes('--platform'))).toEqual([false, false]);
    expect(builds[1][builds[1].indexOf('-t') + 1]).toMatch(/^platform-images-test\/net8-aspnet\/linux-arm64:run-1-/);
    const runs = calls.filter((c) => c[0] === 'run' && c.includes('--detach'));
    expect(runs.map((c) => c[c.indexOf('--platform') + 1])).toEqual(['linux/amd64', 'linux/arm64']);
    expect(lines).toContain('info net8-aspnet: testing linux/amd64 natively (the engine is linux/amd64)');
    expect(lines).toContain(
      'info net8-aspnet: testing linux/arm64 under emulation on this linux/amd64 engine ' +
        '(binfmt_misc qemu-aarch64 → /usr/libexec/qemu-binfmt/aarch64-binfmt-P)',
    );
  });

  it('tells BuildKit the platform of each test app build', async () => {
    const { docker, calls } = fakeDocker({});
    const readBinfmt = (name: string) => ({ status: 'enabled', 'qemu-aarch64': AARCH64 })[name];
    const buildkit = { ...settings(), docker: { builder: 'buildkit' as const, command: 'docker' } };
    await testImage(buildkit, check, twoPlatforms, { docker, log: recordingLogger().log, probe, pollMs: 1, readBinfmt });
    const builds = calls.filter((c) => c[0] === 'build');
    expect(builds.map((c) => c[c.indexOf('--platform') + 1])).toEqual(['linux/amd64', 'linux/arm64']);
  });

  it('says clearly that a platform without an emulator went untested, and tests the others', async () => {
    const { docker, calls } = fakeDocker({});
    const { lines, log } = recordingLogger();
    const record = await testImage(settings(), check, twoPlatforms, { docker, log, probe, pollMs: 1, readBinfmt: () => undefined });
    expect(record.passed).toBe(true);
    expect(record.platforms?.[1]).toEqual({
      platform: 'linux/arm64',
      imageId: IMAGE_ID,
      how: 'untested',
      passed: false,
      why: 'binfmt_misc is not mounted (/proc/sys/fs/binfmt_misc), so no emulator can run linux/arm64 binaries on this linux/amd64 engine',
    });
    expect(lines.filter((l) => l.startsWith('warn'))).toEqual([
      expect.stringMatching(/^warn net8-aspnet: linux\/arm64 went UNTESTED: binfmt_misc is not mounted .*; it is published untested/),
    ]);
    expect(calls.filter((c) => c[0] === 'build')).toHaveLength(1);
  });

  it('fails with requireAllPlatforms when a platform cannot be tested, naming the setting', async () => {
    const { docker } = fakeDocker({});
    const readBinfmt = (name: string) => ({ status: 'enabled' })[name];
    await expect(
      testImage(settings(true), check, twoPlatforms, { docker, log: recordingLogger().log, probe, pollMs: 1, readBinfmt }),
    ).rejects.toMatchObject({
      name: 'ConfigError',
      message:
        'platform-images/net6/runtime/platform-image.json: integrationTest.requireAllPlatforms: is set, and linux/arm64 cannot be tested on ' +
        'this linux/amd64 engine: no qemu-aarch64 handler is registered in /proc/sys/fs/binfmt_misc, so this linux/amd64 engine cannot run ' +
        'linux/arm64 binaries; nothing is published',
    });
  });
});
