import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ImageSettings } from '../config/settings';
import type { BuildRequest, DockerCli, ResolvedBuilder } from '../lib/docker';
import type { CommandOutput } from '../lib/exec';
import { UserError } from '../types/errors';
import { LABELS } from '../types/annotations';
import { buildImage, imageLabels, localImageTag } from './build';
import type { CheckRecord } from './records';
import { imageSettings, omit, recordingLogger } from './test-fixtures';

/** The nx process of the run, as the candidate's name records it. */
const OWNER = { host: 'agent-7', pid: 4242 };

const BASE = 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim';
const BASE_DIGEST = `sha256:${'b'.repeat(64)}`;
const PULL_REF = `localhost:5001/dotnet/runtime:6.0-bullseye-slim@${BASE_DIGEST}`;
const IMAGE_ID = `sha256:${'1'.repeat(64)}`;
const NOW = new Date('2024-03-07T10:00:00.000Z');

let root: string;

function settingsFor(over: Partial<ImageSettings> = {}): ImageSettings {
  return imageSettings(root, 'sdk', {
    integrationTest: { replaceFrom: BASE, requireAllPlatforms: false, app: {} as ImageSettings['integrationTest']['app'] },
    ...over,
  });
}

const check: CheckRecord = {
  project: 'net6-sdk',
  stale: true,
  reason: 'base-moved',
  message: 'moved',
  runId: 'run-1',
  base: { name: BASE, digest: BASE_DIGEST, pullRef: PULL_REF },
  contextDigest: `sha256:${'c'.repeat(64)}`,
  nextVersion: { tag: '6.0-bullseye-slim-1.3.0', version: '1.3.0' },
};

interface BuildCall {
  builder: ResolvedBuilder;
  req: BuildRequest;
  dockerfileText: string;
}

function fakeDocker(result: { exitCode?: number; output?: string } = {}, builder: ResolvedBuilder = 'buildx') {
  const builds: BuildCall[] = [];
  const events: string[] = [];
  const docker = {
    ensureEngine: () => {
      events.push('ensureEngine');
      return Promise.resolve('27.0.0');
    },
    resolveBuilder: (wanted: string) => {
      events.push(`resolveBuilder ${wanted}`);
      return Promise.resolve(builder);
    },
    build: (b: ResolvedBuilder, req: BuildRequest, out?: CommandOutput) => {
      events.push(`build ${req.tag}`);
      builds.push({ builder: b, req, dockerfileText: readFileSync(req.dockerfile, 'utf8') });
      const output = result.output ?? '#1 DONE\n';
      out?.write(output);
      out?.end(result.exitCode ? `exit ${result.exitCode}` : undefined);
      return Promise.resolve({ imageId: result.exitCode ? '' : IMAGE_ID, output, exitCode: result.exitCode ?? 0 });
    },
    removeImage: (ref: string) => {
      events.push(`removeImage ${ref}`);
      return Promise.resolve();
    },
  } as unknown as DockerCli;
  return { builds, events, docker };
}

const logger = recordingLogger;

const DOCKERFILE = [
  `FROM ${BASE} AS base`,
  'ARG CREDPROVIDER_URL',
  'ARG NUGET_FEED=https://api.nuget.org/v3/index.json',
  'RUN echo "$CREDPROVIDER_URL"',
  'FROM base AS final',
  'USER app',
  '',
].join('\n');

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'build-spec-'));
  mkdirSync(path.join(root, 'platform-images/net6/sdk'), { recursive: true });
  writeFileSync(path.join(root, 'platform-images/net6/sdk/Dockerfile'), DOCKERFILE);
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('buildImage', () => {
  it('builds each platform FROM its own manifest of the checked index, under a local name of its own', async () => {
    const AMD = `sha256:${'a'.repeat(64)}`;
    const ARM = `sha256:${'e'.repeat(64)}`;
    const { builds, docker } = fakeDocker({}, 'classic');
    const { lines, log } = logger();
    const twoPlatforms: CheckRecord = { ...check, base: { ...check.base, platforms: { 'linux/amd64': AMD, 'linux/arm64': ARM } } };
    const record = await buildImage(settingsFor({ platforms: ['linux/amd64', 'linux/arm64'] }), twoPlatforms, {
      docker,
      log,
      source: {},
      now: NOW,
      runOwner: OWNER,
    });
    expect(builds.map((b) => [b.req.platform, b.req.tag, b.dockerfileText.split('\n')[0]])).toEqual([
      [
        'linux/amd64',
        'platform-images/net6-sdk/linux-amd64:candidate-run-1-agent-7-4242',
        `FROM localhost:5001/dotnet/runtime:6.0-bullseye-slim@${AMD} AS base`,
      ],
      [
        'linux/arm64',
        'platform-images/net6-sdk/linux-arm64:candidate-run-1-agent-7-4242',
        `FROM localhost:5001/dotnet/runtime:6.0-bullseye-slim@${ARM} AS base`,
      ],
    ]);
    // Both images record every built platform's base manifest in their labels.
    for (const build of builds)
      expect(build.dockerfileText).toContain(`"${LABELS.basePlatformDigests}"="linux/amd64=${AMD},linux/arm64=${ARM}"`);
    expect(record).toMatchObject({
      imageId: IMAGE_ID,
      localTag: 'platform-images/net6-sdk/linux-amd64:candidate-run-1-agent-7-4242',
      platforms: [
        {
          platform: 'linux/amd64',
          imageId: IMAGE_ID,
          localTag: 'platform-images/net6-sdk/linux-amd64:candidate-run-1-agent-7-4242',
          baseDigest: AMD,
        },
        {
          platform: 'linux/arm64',
          imageId: IMAGE_ID,
          localTag: 'platform-images/net6-sdk/linux-arm64:candidate-run-1-agent-7-4242',
          baseDigest: ARM,
        },
      ],
    });
    expect(lines).toContain(
      `info net6-sdk: building 6.0-bullseye-slim-1.3.0 for linux/arm64 FROM localhost:5001/dotnet/runtime:6.0-bullseye-slim@${ARM} with the classic builder`,
    );
  });

  it('names no --platform for a default single-platform image, as before', async () => {
    const { builds, docker } = fakeDocker();
    await buildImage(settingsFor(), check, { docker, log: logger().log, source: {}, now: NOW, runOwner: OWNER });
    expect(builds[0].req.platform).toBeUndefined();
    expect(builds[0].req.tag).toBe('platform-images/net6-sdk:candidate-run-1-agent-7-4242');
  });

  it('builds FROM the pinned base with only the declared build args and the labels', async () => {
    const { builds, events, docker } = fakeDocker();
    const { lines, log, commands } = logger();
    const settings = settingsFor({
      buildArgs: { CREDPROVIDER_URL: '', NUGET_FEED: 'https://feed.example/v3/index.json', UNUSED: 'x' },
      docker: { builder: 'auto', command: 'docker' },
    });
    const record = await buildImage(settings, check, {
      docker,
      log,
      source: { revision: 'abc123', source: 'https://dev.azure.com/contoso/_git/platform#platform-images/net6/sdk' },
      now: NOW,
      runOwner: OWNER,
    });

    expect(record).toEqual({
      runId: 'run-1',
      built: true,
      imageId: IMAGE_ID,
      localTag: 'platform-images/net6-sdk:candidate-run-1-agent-7-4242',
      versionTag: '6.0-bullseye-slim-1.3.0',
      builder: 'buildx',
    });
    expect(events).toEqual(['ensureEngine', 'resolveBuilder auto', 'build platform-images/net6-sdk:candidate-run-1-agent-7-4242']);
    expect(builds).toHaveLength(1);
    const [{ builder, req, dockerfileText }] = builds;
    expect(builder).toBe('buildx');
    expect(req.tag).toBe('platform-images/net6-sdk:candidate-run-1-agent-7-4242');
    expect(req.context).toBe(settings.context);
    expect(req.buildArgs).toEqual({ CREDPROVIDER_URL: '', NUGET_FEED: 'https://feed.example/v3/index.json' });
    expect(req.labels).toEqual({
      [LABELS.baseName]: BASE,
      [LABELS.baseDigest]: BASE_DIGEST,
      [LABELS.contextDigest]: check.contextDigest,
      [LABELS.created]: '2024-03-07T10:00:00.000Z',
      [LABELS.version]: '6.0-bullseye-slim-1.3.0',
      [LABELS.revision]: 'abc123',
      [LABELS.source]: 'https://dev.azure.com/contoso/_git/platform#platform-images/net6/sdk',
    });
    expect(req.dockerfile).not.toBe(settings.dockerfile);
    expect(path.dirname(req.iidFile)).toBe(path.dirname(req.dockerfile));
    expect(dockerfileText).toBe(DOCKERFILE.replace(`FROM ${BASE} AS base`, `FROM ${PULL_REF} AS base`));
    expect(readFileSync(settings.dockerfile, 'utf8')).toBe(DOCKERFILE);
    expect(existsSync(path.dirname(req.dockerfile))).toBe(false);
    expect(commands).toEqual([{ title: 'net6-sdk: docker build', output: '#1 DONE\n', ended: true }]);
    expect(lines).toEqual([
      `info net6-sdk: building 6.0-bullseye-slim-1.3.0 FROM ${PULL_REF} with the buildx builder`,
      `info net6-sdk: built ${IMAGE_ID} as platform-images/net6-sdk:candidate-run-1-agent-7-4242`,
    ]);
  });

  it('with the classic builder, stamps the labels with one LABEL instruction in the temporary copy instead of one step per --label', async () => {
    const { builds, docker } = fakeDocker({}, 'classic');
    const settings = settingsFor({ docker: { builder: 'classic', command: 'docker' } });
    const record = await buildImage(settings, check, {
      docker,
      log: logger().log,
      source: { revision: 'abc123' },
      now: NOW,
      runOwner: OWNER,
    });
    expect(record.builder).toBe('classic');
    const [{ req, dockerfileText }] = builds;
    expect(req.labels).toBeUndefined();
    expect(dockerfileText).toBe(
      DOCKERFILE.replace(`FROM ${BASE} AS base`, `FROM ${PULL_REF} AS base`) +
        `LABEL "${LABELS.contextDigest}"="${check.contextDigest}" "${LABELS.baseDigest}"="${BASE_DIGEST}" "${LABELS.baseName}"="${BASE}" ` +
        `"${LABELS.created}"="2024-03-07T10:00:00.000Z" "${LABELS.revision}"="abc123" "${LABELS.version}"="6.0-bullseye-slim-1.3.0"\n`,
    );
    expect(readFileSync(settings.dockerfile, 'utf8')).toBe(DOCKERFILE);
  });

  it('with the classic builder and a Dockerfile whose last line continues, passes --label flags as before', async () => {
    writeFileSync(settingsFor().dockerfile, `FROM ${BASE}\nRUN true \\\n`);
    const { builds, docker } = fakeDocker({}, 'classic');
    await buildImage(settingsFor(), check, { docker, log: logger().log, source: {}, now: NOW, runOwner: OWNER });
    expect(builds[0].req.labels?.[LABELS.version]).toBe('6.0-bullseye-slim-1.3.0');
    expect(builds[0].dockerfileText).not.toContain('LABEL');
  });

  it('passes no build args when the Dockerfile declares none', async () => {
    writeFileSync(settingsFor().dockerfile, `FROM ${BASE}\n`);
    const { builds, docker } = fakeDocker();
    await buildImage(settingsFor({ buildArgs: { CREDPROVIDER_URL: '' } }), check, {
      docker,
      log: logger().log,
      source: {},
      now: NOW,
      runOwner: OWNER,
    });
    expect(builds[0].req.buildArgs).toEqual({});
    expect(builds[0].req.labels).not.toHaveProperty(LABELS.revision);
    expect(builds[0].req.labels).not.toHaveProperty(LABELS.source);
  });

  it('pins the stage the build args choose, the base the check resolved, and passes those build args', async () => {
    const noble = 'mcr.microsoft.com/dotnet/runtime:8.0-noble';
    const dockerfile = [
      'ARG VARIANT=jammy',
      'FROM mcr.microsoft.com/dotnet/runtime:8.0-jammy AS jammy',
      `FROM ${noble} AS noble`,
      'FROM ${VARIANT} AS final',
      'USER app',
      '',
    ].join('\n');
    writeFileSync(settingsFor().dockerfile, dockerfile);
    const pullRef = `${noble}@${BASE_DIGEST}`;
    const checked: CheckRecord = { ...check, base: { name: noble, digest: BASE_DIGEST, pullRef } };
    const { builds, docker } = fakeDocker();
    await buildImage(settingsFor({ buildArgs: { VARIANT: 'noble' } }), checked, {
      docker,
      log: logger().log,
      source: {},
      now: NOW,
      runOwner: OWNER,
    });
    expect(builds[0].dockerfileText).toBe(dockerfile.replace(`FROM ${noble} AS noble`, `FROM ${pullRef} AS noble`));
    expect(builds[0].req.buildArgs).toEqual({ VARIANT: 'noble' });
    expect(builds[0].req.labels?.[LABELS.baseName]).toBe(noble);
  });

  it('refuses to build when the Dockerfile no longer starts from the base the check resolved', async () => {
    writeFileSync(settingsFor().dockerfile, 'ARG TAG=6.0-bullseye-slim\nFROM mcr.microsoft.com/dotnet/runtime:${TAG}\n');
    const { events, docker } = fakeDocker();
    const error = await buildImage(settingsFor({ buildArgs: { TAG: '8.0-bookworm-slim' } }), check, {
      docker,
      log: logger().log,
      source: {},
      now: NOW,
      runOwner: OWNER,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(
      `net6-sdk: platform-images/net6/sdk/Dockerfile now builds on mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim, but the check resolved ${BASE}`,
    );
    expect(events.filter((e) => e.startsWith('build '))).toEqual([]);
  });

  it('fails on build warnings and removes the image', async () => {
    const output =
      '#5 [2/3] RUN apt-get install\n#5 0.512 warning: skipping a package\n[Warning] One or more build-args [FOO] were not consumed\n';
    const { builds, events, docker } = fakeDocker({ output });
    const { log, commands } = logger();
    const error = await buildImage(settingsFor(), check, {
      docker,
      log,
      source: {},
      now: NOW,
      runOwner: OWNER,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(
      'net6-sdk (platform-images/net6/sdk/Dockerfile): the build printed 2 warning(s), which fail the build:\n  warning: skipping a package\n  [Warning] One or more build-args [FOO] were not consumed',
    );
    expect(events).toEqual([
      'ensureEngine',
      'resolveBuilder auto',
      'build platform-images/net6-sdk:candidate-run-1-agent-7-4242',
      'removeImage platform-images/net6-sdk:candidate-run-1-agent-7-4242',
    ]);
    expect(existsSync(path.dirname(builds[0].req.dockerfile))).toBe(false);
    // The build exited 0, but its warnings failed it: its output is shown as a failure's.
    expect(commands).toEqual([{ title: 'net6-sdk: docker build', output, ended: true, failure: '2 warnings' }]);
  });

  it('fails when docker build fails, without looking for warnings', async () => {
    const { events, docker } = fakeDocker({ exitCode: 1, output: 'WARN: something\nERROR: failed to solve' });
    const { log, commands } = logger();
    await expect(buildImage(settingsFor(), check, { docker, log, source: {}, now: NOW, runOwner: OWNER })).rejects.toThrow(
      'net6-sdk (platform-images/net6/sdk/Dockerfile): docker build failed (exit 1); see the build output above',
    );
    expect(events).not.toContain('removeImage platform-images/net6-sdk:candidate-run-1-agent-7-4242');
    expect(commands).toEqual([
      { title: 'net6-sdk: docker build', output: 'WARN: something\nERROR: failed to solve', ended: true, failure: 'exit 1' },
    ]);
  });

  it('does not treat the classic builder deprecation notice as a warning', async () => {
    const { docker } = fakeDocker(
      { output: 'DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\nSuccessfully built 1a2b\n' },
      'classic',
    );
    await expect(
      buildImage(settingsFor(), check, { docker, log: logger().log, source: {}, now: NOW, runOwner: OWNER }),
    ).resolves.toMatchObject({ built: true, builder: 'classic' });
  });
});

describe('imageLabels', () => {
  it('leaves the version empty when the check has none', () => {
    const current = omit(check, 'nextVersion');
    expect(imageLabels(current, {}, NOW)[LABELS.version]).toBe('');
  });

  it('records the build args the check counted, by digest, and nothing when none are passed', () => {
    expect(imageLabels({ ...check, buildArgs: { TAG: 'sha256:t' } }, {}, NOW)[LABELS.buildArgs]).toBe('{"TAG":"sha256:t"}');
    expect(imageLabels(check, {}, NOW)).not.toHaveProperty(LABELS.buildArgs);
  });

  it('records when each platform’s base was built, when the check learnt it, and nothing otherwise', () => {
    const created = { 'linux/arm64': '2024-03-05T21:20:00.000Z', 'linux/amd64': '2024-03-05T21:14:07.000Z' };
    expect(imageLabels({ ...check, base: { ...check.base, created } }, {}, NOW)[LABELS.baseCreated]).toBe(
      'linux/amd64=2024-03-05T21:14:07.000Z,linux/arm64=2024-03-05T21:20:00.000Z',
    );
    expect(imageLabels(check, {}, NOW)).not.toHaveProperty(LABELS.baseCreated);
  });
});

describe('localImageTag', () => {
  it('is unique per project and run, and names the nx process that runs it', () => {
    expect(localImageTag('net6-runtime', 'abc', OWNER)).toBe('platform-images/net6-runtime:candidate-abc-agent-7-4242');
    expect(localImageTag('net6-sdk', 'abc', OWNER)).not.toBe(localImageTag('net6-runtime', 'abc', OWNER));
    expect(localImageTag('net6-runtime', 'abd', OWNER)).not.toBe(localImageTag('net6-runtime', 'abc', OWNER));
  });
});
