import type { ImageSettings } from '../config/settings';
import type { DockerCli } from '../lib/docker';
import type { Ecr, EcrImage, EcrRepository } from '../lib/ecr';
import { UserError } from '../lib/errors';
import { publishImage } from './publish';
import type { BuildRecord, CheckRecord, TestRecord } from './records';
import { imageSettings, recordingLogger } from './test-fixtures';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const URI = `${REGISTRY}/runtime`;
const IMAGE_ID = `sha256:${'1'.repeat(64)}`;
const PUSHED = `sha256:${'7'.repeat(64)}`;
const PASSWORD = 'ecr-login-password';

function settingsFor(over: Partial<ImageSettings['ecr']> = {}): ImageSettings {
  return imageSettings('/repo', 'runtime', { ecr: { repository: 'runtime', tag: '6.0-bullseye-slim', extraTags: ['6.0', '{buildNumber}'], scanOnPush: true, latest: true, ...over } });
}

const check = (version = '1.3.0'): CheckRecord => ({
  project: 'net6-runtime',
  stale: true,
  reason: 'base-moved',
  message: 'base moved',
  runId: 'run-1',
  base: { name: 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim', digest: `sha256:${'b'.repeat(64)}`, pullRef: 'x' },
  contextDigest: 'sha256:ctx',
  nextVersion: { tag: `6.0-bullseye-slim-${version}`, version },
});
const build: BuildRecord = { runId: 'run-1', built: true, imageId: IMAGE_ID, localTag: 'platform-images/net6-runtime:candidate-run-1', versionTag: '6.0-bullseye-slim-1.3.0', builder: 'buildx' };
const passed: TestRecord = { runId: 'run-1', passed: true, imageId: IMAGE_ID, status: 200 };

const repository: EcrRepository = { name: 'runtime', uri: URI, registryId: '123456789012', registry: REGISTRY, tagMutability: 'MUTABLE', mutableTagFilters: [] };

/** Records every call to the Docker and ECR fakes in one list, so the order across both is visible. */
function world(opts: { repo?: EcrRepository; tags?: string[]; engineImage?: string; pushDigest?: (ref: string) => string } = {}) {
  const events: string[] = [];
  let repo = 'repo' in opts ? opts.repo : repository;
  const images: EcrImage[] = [{ digest: 'sha256:old', tags: opts.tags ?? ['6.0-bullseye-slim-1.2.0', 'latest', '6.0'] }];
  const ecr: Ecr = {
    findRepository: async (name) => {
      events.push(`ecr.findRepository ${name}`);
      return repo;
    },
    createRepository: async (name, scanOnPush) => {
      events.push(`ecr.createRepository ${name} scanOnPush=${scanOnPush}`);
      repo = { ...repository, name };
      images.length = 0;
      return repo;
    },
    listImages: async (name) => {
      events.push(`ecr.listImages ${name}`);
      return images;
    },
    login: async () => {
      events.push('ecr.login');
      return { registry: REGISTRY, username: 'AWS', password: PASSWORD };
    },
    accountId: async () => '123456789012',
  };
  const docker = {
    ensureEngine: async () => {
      events.push('docker.ensureEngine');
      return '27.0.0';
    },
    imageId: async (ref: string) => {
      events.push(`docker.imageId ${ref}`);
      return 'engineImage' in opts ? opts.engineImage : IMAGE_ID;
    },
    withLogin: async <T>(registry: string, username: string, password: string, fn: (configDir: string) => Promise<T>) => {
      events.push(`docker.withLogin ${registry} ${username} ${password === PASSWORD ? '<password>' : password}`);
      try {
        return await fn('/tmp/cfg');
      } finally {
        events.push('docker.logout');
      }
    },
    tag: async (source: string, target: string) => {
      events.push(`docker.tag ${source} ${target}`);
    },
    push: async (ref: string, configDir: string) => {
      events.push(`docker.push ${ref} ${configDir}`);
      return opts.pushDigest?.(ref) ?? PUSHED;
    },
    removeImage: async (ref: string) => {
      events.push(`docker.removeImage ${ref}`);
    },
  } as unknown as DockerCli;
  return { events, ecr, docker };
}

const logger = recordingLogger;

const NOW = new Date('2024-03-07T10:00:00Z');
const write = () => undefined;

describe('publishImage', () => {
  it('pushes the version tag first, then latest and the extra tags', async () => {
    const { events, ecr, docker } = world();
    const { lines, log } = logger();
    const record = await publishImage(settingsFor(), check(), build, passed, { docker, ecr, log, env: { BUILD_BUILDNUMBER: '20240307.4' }, now: NOW, write });
    expect(record).toEqual({
      runId: 'run-1',
      published: true,
      account: '123456789012',
      repositoryUri: URI,
      digest: PUSHED,
      versionTag: '6.0-bullseye-slim-1.3.0',
      version: '1.3.0',
      tags: ['6.0-bullseye-slim-1.3.0', 'latest', '6.0', '20240307.4'],
      skippedTags: [],
    });
    const local = build.localTag;
    expect(events).toEqual([
      'docker.ensureEngine',
      `docker.imageId ${local}`,
      'ecr.findRepository runtime',
      'ecr.listImages runtime',
      'ecr.login',
      `docker.withLogin ${REGISTRY} AWS <password>`,
      `docker.tag ${local} ${URI}:6.0-bullseye-slim-1.3.0`,
      `docker.push ${URI}:6.0-bullseye-slim-1.3.0 /tmp/cfg`,
      `docker.tag ${local} ${URI}:latest`,
      `docker.push ${URI}:latest /tmp/cfg`,
      `docker.tag ${local} ${URI}:6.0`,
      `docker.push ${URI}:6.0 /tmp/cfg`,
      `docker.tag ${local} ${URI}:20240307.4`,
      `docker.push ${URI}:20240307.4 /tmp/cfg`,
      'docker.logout',
      `docker.removeImage ${local}`,
      `docker.removeImage ${URI}:6.0-bullseye-slim-1.3.0`,
      `docker.removeImage ${URI}:latest`,
      `docker.removeImage ${URI}:6.0`,
      `docker.removeImage ${URI}:20240307.4`,
    ]);
    expect(lines.join('\n')).not.toContain(PASSWORD);
    expect(lines).toContain(`info net6-runtime: published ${URI}:6.0-bullseye-slim-1.3.0 (${PUSHED}) with tags 6.0-bullseye-slim-1.3.0, latest, 6.0, 20240307.4 in account 123456789012`);
  });

  it('leaves latest alone when the image does not own it (ecr.latest false)', async () => {
    const { events, ecr, docker } = world();
    const { log } = logger();
    const record = await publishImage(settingsFor({ latest: false }), check(), build, passed, { docker, ecr, log, env: { BUILD_BUILDNUMBER: '20240307.4' }, now: NOW });
    expect(record.tags).toEqual(['6.0-bullseye-slim-1.3.0', '6.0', '20240307.4']);
    expect(events.filter((e) => e.startsWith('docker.push')).map((e) => e.split(' ')[1].split(':').pop())).toEqual(['6.0-bullseye-slim-1.3.0', '6.0', '20240307.4']);
  });

  it.each<[string, Partial<EcrRepository>, string[], string[]]>([
    ['IMMUTABLE: existing moving tags stay, the new build-number tag is created', { tagMutability: 'IMMUTABLE' }, ['6.0-bullseye-slim-1.3.0', '20240307.4'], ['latest', '6.0']],
    ['IMMUTABLE_WITH_EXCLUSION for latest: latest moves, 6.0 stays', { tagMutability: 'IMMUTABLE_WITH_EXCLUSION', mutableTagFilters: ['latest'] }, ['6.0-bullseye-slim-1.3.0', 'latest', '20240307.4'], ['6.0']],
    ['IMMUTABLE_WITH_EXCLUSION for everything moving', { tagMutability: 'IMMUTABLE_WITH_EXCLUSION', mutableTagFilters: ['latest', '6.*'] }, ['6.0-bullseye-slim-1.3.0', 'latest', '6.0', '20240307.4'], []],
  ])('%s', async (_name, repo, pushed, blocked) => {
    const { events, ecr, docker } = world({ repo: { ...repository, ...repo } });
    const { lines, log } = logger();
    const record = await publishImage(settingsFor(), check(), build, passed, { docker, ecr, log, env: { BUILD_BUILDNUMBER: '20240307.4' }, now: NOW });
    expect(events.filter((e) => e.startsWith('docker.push')).map((e) => e.split(' ')[1].split(':').pop())).toEqual(pushed);
    expect(record.tags).toEqual(pushed);
    expect(record.blockedTags).toEqual(blocked.length ? blocked : undefined);
    const warning = lines.find((l) => l.includes('cannot move'));
    if (blocked.length) {
      expect(warning).toContain(`warn net6-runtime: runtime is ${repo.tagMutability}: ${blocked.join(', ')} cannot move to 6.0-bullseye-slim-1.3.0`);
      expect(warning).toContain(blocked.map((t) => `filterType=WILDCARD,filter=${t}`).join(' '));
    } else {
      expect(warning).toBeUndefined();
    }
  });

  it('skips extra tags whose placeholders have no value, with a warning', async () => {
    const { events, ecr, docker } = world();
    const { lines, log } = logger();
    const record = await publishImage(settingsFor(), check(), build, passed, { docker, ecr, log, env: {}, now: NOW, write });
    expect(record.tags).toEqual(['6.0-bullseye-slim-1.3.0', 'latest', '6.0']);
    expect(record.skippedTags).toEqual(['{buildNumber}']);
    expect(events.filter((e) => e.startsWith('docker.push'))).toEqual([
      `docker.push ${URI}:6.0-bullseye-slim-1.3.0 /tmp/cfg`,
      `docker.push ${URI}:latest /tmp/cfg`,
      `docker.push ${URI}:6.0 /tmp/cfg`,
    ]);
    expect(lines).toContain('warn net6-runtime: extra tags {buildNumber} skipped: their placeholders have no value outside Azure Pipelines');
  });

  it('does not push latest twice when it is also an extra tag', async () => {
    const { events, ecr, docker } = world();
    await publishImage(settingsFor({ extraTags: ['latest', '6.0', '6.0'] }), check(), build, passed, { docker, ecr, log: logger().log, env: {}, now: NOW, write });
    expect(events.filter((e) => e.startsWith('docker.push'))).toEqual([
      `docker.push ${URI}:6.0-bullseye-slim-1.3.0 /tmp/cfg`,
      `docker.push ${URI}:latest /tmp/cfg`,
      `docker.push ${URI}:6.0 /tmp/cfg`,
    ]);
  });

  it.each([true, false])('creates the missing repository with scanOnPush=%s and publishes 1.0.0', async (scanOnPush) => {
    const { events, ecr, docker } = world({ repo: undefined });
    const record = await publishImage(settingsFor({ scanOnPush, extraTags: [] }), check('1.0.0'), build, passed, { docker, ecr, log: logger().log, env: {}, now: NOW, write });
    expect(events.slice(2, 5)).toEqual(['ecr.findRepository runtime', `ecr.createRepository runtime scanOnPush=${scanOnPush}`, 'ecr.listImages runtime']);
    expect(record).toMatchObject({ published: true, versionTag: '6.0-bullseye-slim-1.0.0', tags: ['6.0-bullseye-slim-1.0.0', 'latest'] });
  });

  it('refuses when another run published the version meanwhile, pushing nothing', async () => {
    const { events, ecr, docker } = world({ tags: ['6.0-bullseye-slim-1.2.0', '6.0-bullseye-slim-1.3.0', 'latest'] });
    const error = await publishImage(settingsFor(), check('1.3.0'), build, passed, { docker, ecr, log: logger().log, env: {}, now: NOW, write }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe('net6-runtime: 6.0-bullseye-slim-1.3.0 was published by another run while this one built and tested; nothing was pushed');
    expect(events.some((e) => /docker\.(tag|push|withLogin)|ecr\.login/.test(e))).toBe(false);
  });

  it.each<[string, TestRecord]>([
    ['failed', { runId: 'run-1', passed: false, imageId: IMAGE_ID }],
    ['of another image', { runId: 'run-1', passed: true, imageId: `sha256:${'2'.repeat(64)}` }],
  ])('refuses an image whose test %s, touching nothing', async (_name, test) => {
    const { events, ecr, docker } = world();
    await expect(publishImage(settingsFor(), check(), build, test, { docker, ecr, log: logger().log, env: {}, now: NOW, write }))
      .rejects.toThrow(`net6-runtime: image ${IMAGE_ID} has not passed its integration test; nothing is published`);
    expect(events).toEqual([]);
  });

  it('refuses when the tested image is gone from the engine', async () => {
    const { events, ecr, docker } = world({ engineImage: undefined });
    await expect(publishImage(settingsFor(), check(), build, passed, { docker, ecr, log: logger().log, env: {}, now: NOW, write }))
      .rejects.toThrow(`net6-runtime: the tested image ${IMAGE_ID} is no longer in this Docker engine`);
    expect(events).toEqual(['docker.ensureEngine', `docker.imageId ${build.localTag}`]);
  });

  it('fails when a moving tag is stored as another digest, after the version tag is out', async () => {
    const other = `sha256:${'8'.repeat(64)}`;
    const { events, ecr, docker } = world({ pushDigest: (ref) => (ref.endsWith(':latest') ? other : PUSHED) });
    await expect(publishImage(settingsFor({ extraTags: ['6.0'] }), check(), build, passed, { docker, ecr, log: logger().log, env: {}, now: NOW, write }))
      .rejects.toThrow(`net6-runtime: ${URI}:latest was stored as ${other}, not ${PUSHED}`);
    expect(events.filter((e) => e.startsWith('docker.push'))).toEqual([`docker.push ${URI}:6.0-bullseye-slim-1.3.0 /tmp/cfg`, `docker.push ${URI}:latest /tmp/cfg`]);
    expect(events[events.length - 1]).toBe('docker.logout');
  });

  it('fails on an extra tag that is invalid once filled', async () => {
    const { events, ecr, docker } = world();
    await expect(publishImage(settingsFor({ extraTags: ['b{buildNumber}'] }), check(), build, passed, { docker, ecr, log: logger().log, env: { BUILD_BUILDNUMBER: 'CI build #4' }, now: NOW, write }))
      .rejects.toThrow('ecr.extraTags: "bCI build #4" is not a valid Docker tag after filling placeholders');
    expect(events.some((e) => e.startsWith('docker.push'))).toBe(false);
  });
});
