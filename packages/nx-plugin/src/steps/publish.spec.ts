import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ImageSettings } from '../config/settings';
import type { DockerCli } from '../lib/docker';
import type { CommandOutput } from '../lib/exec';
import type { Ecr, EcrImage, EcrRepository, StoredManifest } from '../lib/ecr';
import { PartialPublishError, UserError, VulnerabilityError } from '../types/errors';
import type { ImageScan } from '../lib/scan-policy';
import { annotatedManifest, type ImageManifest } from '../lib/manifest';
import { MEDIA_TYPES } from '../types/media-types';
import type { ReferrerRegistry } from '../lib/referrers';
import { finishCurrent, finishTags, publishImage } from './publish';
import type { BuildRecord, CheckRecord, TestRecord } from './records';
import { imageSettings, recordingLogger } from './test-fixtures';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const URI = `${REGISTRY}/runtime`;
const IMAGE_ID = `sha256:${'1'.repeat(64)}`;
const PUSHED = `sha256:${'7'.repeat(64)}`;
const PASSWORD = 'ecr-login-password';
/** The manifest Docker pushed under the staging tag, and the annotated one the version tag gets. */
const STAGED = JSON.stringify({
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.dockerManifest,
  config: { mediaType: MEDIA_TYPES.dockerConfig, digest: 'sha256:cfg', size: 10 },
  layers: [{ mediaType: MEDIA_TYPES.dockerLayer, digest: 'sha256:l1', size: 20 }],
});
const ANNOTATIONS = {
  'org.opencontainers.image.base.name': 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim',
  'org.opencontainers.image.base.digest': `sha256:${'b'.repeat(64)}`,
  'io.platform-images.context.digest': 'sha256:ctx',
};
const VERSIONED = annotatedManifest(STAGED, undefined, ANNOTATIONS);
const STAGING = `${URI}:staging-run-1`;

function settingsFor(over: Partial<ImageSettings['ecr']> = {}, repositoryImages?: ImageSettings['repositoryImages']): ImageSettings {
  const ecr = {
    repository: 'runtime',
    tag: '6.0-bullseye-slim',
    extraTags: ['6.0', '{buildNumber}'],
    scanOnPush: true,
    latest: true,
    ...over,
  };
  return imageSettings('/repo', 'runtime', {
    ecr,
    repositoryImages: repositoryImages ?? [{ extraTags: ecr.extraTags, latest: ecr.latest }],
  });
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
const build: BuildRecord = {
  runId: 'run-1',
  built: true,
  imageId: IMAGE_ID,
  localTag: 'platform-images/net6-runtime:candidate-run-1',
  versionTag: '6.0-bullseye-slim-1.3.0',
  builder: 'buildx',
};
const passed: TestRecord = { runId: 'run-1', passed: true, imageId: IMAGE_ID, status: 200 };

const repository: EcrRepository = {
  name: 'runtime',
  uri: URI,
  registryId: '123456789012',
  registry: REGISTRY,
  tagMutability: 'MUTABLE',
  mutableTagFilters: [],
};

/**
 * Records every call to the Docker and ECR fakes in one list, so the order across both is visible. The ECR
 * fake keeps tags per digest: a push adds the version tag, a retag moves tags (refusing the ones listed).
 */
function world(
  opts: {
    repo?: EcrRepository;
    tags?: string[];
    engineImage?: string;
    pushError?: string;
    refuse?: string[];
    overwrittenBy?: string;
    versionRefused?: boolean;
    staged?: { manifest: string; mediaType: string };
    removeError?: string;
    /** ECR's scan of every pushed image; a finished scan without findings unless given. */
    scan?: (digest: string) => ImageScan;
    sbomError?: string;
    pushedByTag?: Record<string, { digest: string; text: string }>;
  } = {},
) {
  const events: string[] = [];
  /** The manifests retag was handed (the caller had them in hand, so ECR is not asked for them again). */
  const retagManifests: StoredManifest[] = [];
  let repo = 'repo' in opts ? opts.repo : repository;
  const images: EcrImage[] = [{ digest: 'sha256:old', tags: opts.tags ?? ['6.0-bullseye-slim-1.2.0', 'latest', '6.0'] }];
  const untag = (tag: string) => images.forEach((i) => (i.tags = i.tags.filter((t) => t !== tag)));
  const tagOn = (digest: string, tag: string) => {
    untag(tag);
    let image = images.find((i) => i.digest === digest);
    if (!image) images.push((image = { digest, tags: [] }));
    image.tags.push(tag);
  };
  const manifests = new Map<string, { text: string; mediaType: string }>([
    [
      PUSHED,
      opts.staged
        ? { text: opts.staged.manifest, mediaType: opts.staged.mediaType }
        : { text: STAGED, mediaType: MEDIA_TYPES.dockerManifest },
    ],
  ]);
  const ecr: Ecr = {
    findRepository: (name) => {
      events.push(`ecr.findRepository ${name}`);
      return Promise.resolve(repo);
    },
    findRepositories: () => Promise.reject(new Error('the publish step looks up its one repository')),
    getManifests: (name, refs) => {
      events.push(`ecr.getManifests ${name} ${refs.join(',')}`);
      const found = new Map();
      for (const ref of refs) {
        const digest = images.find((i) => (ref.startsWith('sha256:') ? i.digest === ref : i.tags.includes(ref)))?.digest;
        const stored = digest && manifests.get(digest);
        if (stored) found.set(ref, { digest, manifest: stored.text, mediaType: stored.mediaType });
      }
      return Promise.resolve(found);
    },
    putManifest: (name, manifest, mediaType, tag) => {
      events.push(`ecr.putManifest ${name} ${tag ?? '(untagged)'} ${mediaType}`);
      if (tag === undefined) {
        manifests.set(`sha256:${createHash('sha256').update(manifest).digest('hex')}`, { text: manifest, mediaType: mediaType! });
        return Promise.resolve('put');
      }
      if (opts.versionRefused && !tag.startsWith('unannounced-')) return Promise.resolve('refused');
      const digest = opts.overwrittenBy ?? `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
      manifests.set(digest, { text: manifest, mediaType: mediaType! });
      tagOn(digest, tag);
      return Promise.resolve('put');
    },
    untag: (name, tag) => {
      events.push(`ecr.untag ${name} ${tag}`);
      untag(tag);
      images.splice(0, images.length, ...images.filter((i) => i.tags.length));
      return Promise.resolve();
    },
    removeTags: (name, tags) => {
      events.push(`ecr.removeTags ${name} ${tags.join(',')}`);
      if (opts.removeError) return Promise.reject(new UserError(opts.removeError, 'give the credentials ecr:BatchDeleteImage'));
      for (const tag of tags) untag(tag);
      images.splice(0, images.length, ...images.filter((i) => i.tags.length));
      return Promise.resolve(tags);
    },
    createRepository: (name, settings) => {
      events.push(`ecr.createRepository ${name} ${JSON.stringify(settings)}`);
      repo = { ...repository, name, tagMutability: settings.tagMutability, mutableTagFilters: settings.mutableTagFilters };
      images.length = 0;
      return Promise.resolve(repo);
    },
    listImages: (name) => {
      events.push(`ecr.listImages ${name}`);
      return Promise.resolve(images.map((i) => ({ ...i, tags: [...i.tags] })));
    },
    retag: (name, digest, tags, stored) => {
      events.push(`ecr.retag ${name} ${digest} ${tags.join(',')}`);
      if (stored) retagManifests.push(stored);
      const result = { moved: [] as string[], unchanged: [] as string[], refused: [] as string[] };
      for (const tag of tags) {
        if (opts.refuse?.includes(tag)) result.refused.push(tag);
        else if (images.find((i) => i.digest === digest)?.tags.includes(tag)) result.unchanged.push(tag);
        else {
          tagOn(digest, tag);
          result.moved.push(tag);
        }
      }
      return Promise.resolve(result);
    },
    login: () => {
      events.push('ecr.login');
      return Promise.resolve({ username: 'AWS', password: PASSWORD });
    },
    accountId: () => {
      events.push('sts.accountId');
      return Promise.resolve('123456789012');
    },
    registryScanning: () => {
      events.push('ecr.registryScanning');
      return Promise.resolve({ registryId: '123456789012', scanType: 'BASIC', rules: [{ scanFrequency: 'SCAN_ON_PUSH', filters: ['*'] }] });
    },
    scanFindings: (name, digest) => {
      events.push(`ecr.scanFindings ${name} ${digest}`);
      return Promise.resolve(opts.scan?.(digest) ?? { image: digest, scanType: 'BASIC', status: 'COMPLETE', counts: {}, findings: [] });
    },
  };
  const docker = {
    ensureEngine: () => {
      events.push('docker.ensureEngine');
      return Promise.resolve('27.0.0');
    },
    imageId: (ref: string) => {
      events.push(`docker.imageId ${ref}`);
      return Promise.resolve('engineImage' in opts ? opts.engineImage : IMAGE_ID);
    },
    withLogin: async <T>(registry: string, username: string, password: string, fn: (configDir: string) => Promise<T>) => {
      events.push(`docker.withLogin ${registry} ${username} ${password === PASSWORD ? '<password>' : password}`);
      try {
        return await fn('/tmp/cfg');
      } finally {
        events.push('docker.logout');
      }
    },
    tag: (source: string, target: string) => {
      events.push(`docker.tag ${source} ${target}`);
      return Promise.resolve();
    },
    push: (ref: string, configDir: string, output?: CommandOutput) => {
      events.push(`docker.push ${ref} ${configDir}`);
      output?.write(`The push refers to repository [${ref.split(':')[0]}]\n`);
      output?.end(opts.pushError ? 'exit 1' : undefined);
      if (opts.pushError) return Promise.reject(new UserError(opts.pushError, 'rerun'));
      const tag = ref.split(':').pop()!;
      // Each platform's push is an image of its own.
      const platformPush = opts.pushedByTag?.[tag];
      if (platformPush) manifests.set(platformPush.digest, { text: platformPush.text, mediaType: MEDIA_TYPES.dockerManifest });
      tagOn(platformPush?.digest ?? PUSHED, tag);
      return Promise.resolve(platformPush?.digest ?? PUSHED);
    },
    removeImage: (ref: string) => {
      events.push(`docker.removeImage ${ref}`);
      return Promise.resolve();
    },
    pull: (ref: string, configDir?: string) => {
      events.push(`docker.pull ${ref} ${configDir ?? ''}`.trim());
      return Promise.resolve();
    },
    // Reading the image for its SBOM: a Debian 12 image with libc6 and the .NET 6 runtime.
    imagePlatform: (ref: string) => {
      events.push(`docker.imagePlatform ${ref}`);
      return Promise.resolve({ platform: 'linux/amd64', created: new Date('2024-03-07T09:00:00Z') });
    },
    createContainer: (ref: string) => {
      events.push(`docker.createContainer ${ref}`);
      return Promise.resolve('ctr1');
    },
    copyFrom: (id: string, source: string, dest: string) => {
      events.push(`docker.copyFrom ${id} ${source}`);
      const files: Record<string, () => void> = {
        '/var/lib/dpkg/status': () =>
          writeFileSync(
            dest,
            'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.31-13+deb11u11\n',
          ),
        '/etc/os-release': () => writeFileSync(dest, 'ID=debian\nVERSION_ID="11"\n'),
        '/usr/share/dotnet/shared': () => mkdirSync(path.join(dest, 'Microsoft.NETCore.App', '6.0.36'), { recursive: true }),
      };
      files[source]?.();
      return Promise.resolve(source in files);
    },
    removeContainer: (id: string) => {
      events.push(`docker.removeContainer ${id}`);
      return Promise.resolve();
    },
  } as unknown as DockerCli;
  /** The registry API the SBOM goes through: it serves the referrers API (answers OCI-Subject), or fails as told. */
  const sboms: Array<{ manifest: string; subject?: string }> = [];
  const blobs = new Map<string, Buffer>();
  const registry: ReferrerRegistry = {
    pushBlob: (_ref, bytes) => {
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      events.push(`registry.pushBlob ${bytes.length} bytes`);
      blobs.set(digest, bytes);
      return Promise.resolve({ digest, size: bytes.length });
    },
    putManifest: (ref, reference, bytes, mediaType) => {
      events.push(`registry.putManifest ${ref.registry}/${ref.repository}@${reference.slice(0, 7)} ${mediaType}`);
      if (opts.sbomError) return Promise.reject(new UserError(opts.sbomError, 'rerun'));
      const subject = (JSON.parse(bytes.toString()) as { subject?: { digest: string } }).subject?.digest;
      sboms.push({ manifest: bytes.toString(), subject });
      return Promise.resolve({ digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, subject });
    },
    getManifest: () => Promise.reject(new Error('a registry with the referrers API needs no referrers tag')),
    referrers: () => Promise.reject(new Error('publishing does not list referrers')),
  };
  return { events, ecr, docker, images, manifests, retagManifests, registry, sboms, blobs };
}

const logger = recordingLogger;

const NOW = new Date('2024-03-07T10:00:00Z');

describe('publishImage', () => {
  it("publishes to a repository in another account: logs in to that account's registry host, names that account, asks STS nothing", async () => {
    const other = '210987654321.dkr.ecr.eu-west-1.amazonaws.com';
    const { events, ecr, docker, registry } = world({
      repo: { ...repository, uri: `${other}/runtime`, registryId: '210987654321', registry: other },
    });
    const { lines, log } = logger();
    const record = await publishImage(settingsFor(), check(), build, passed, { docker, ecr, registry, log, env: {}, now: NOW });
    expect(record).toMatchObject({ account: '210987654321', repositoryUri: `${other}/runtime` });
    expect(events).toContain(`docker.withLogin ${other} AWS <password>`);
    expect(events).toContain(`docker.push ${other}/runtime:staging-run-1 /tmp/cfg`);
    expect(events).not.toContain('sts.accountId');
    expect(lines.some((l) => l.endsWith('in account 210987654321'))).toBe(true);
  });

  it('pushes under a staging tag, writes the version as an annotated manifest, reads it back, then moves latest and the extra tags registry-side', async () => {
    const { events, ecr, docker, images, registry } = world();
    const { lines, log, commands } = logger();
    const record = await publishImage(settingsFor(), check(), build, passed, {
      docker,
      ecr,
      registry,
      log,
      env: { BUILD_BUILDNUMBER: '20240307.4' },
      now: NOW,
    });
    // Docker's output is the image's own, named with the image and the push.
    expect(commands).toEqual([
      { title: `net6-runtime: docker push ${URI}:staging-run-1`, output: `The push refers to repository [${URI}]\n`, ended: true },
    ]);
    expect(record).toEqual({
      runId: 'run-1',
      published: true,
      account: '123456789012',
      repositoryUri: URI,
      digest: VERSIONED.digest,
      versionTag: '6.0-bullseye-slim-1.3.0',
      version: '1.3.0',
      tags: ['6.0-bullseye-slim-1.3.0', 'latest', '6.0', '20240307.4'],
      skippedTags: [],
      scan: { scanType: 'BASIC', images: [PUSHED], outcome: 'passed', failOn: 'CRITICAL', counts: {}, findings: [] },
      sboms: [
        {
          platform: 'linux/amd64',
          subject: VERSIONED.digest,
          digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) as string,
          via: 'referrers-api',
          packages: 1,
          frameworks: ['Microsoft.NETCore.App 6.0.36'],
        },
      ],
    });
    const local = build.localTag;
    expect(events).toEqual([
      'docker.ensureEngine',
      `docker.imageId ${local}`,
      'ecr.findRepository runtime',
      'ecr.listImages runtime',
      'ecr.login',
      `docker.withLogin ${REGISTRY} AWS <password>`,
      `docker.tag ${local} ${STAGING}`,
      `docker.push ${STAGING} /tmp/cfg`,
      `docker.removeImage ${STAGING}`,
      'docker.logout',
      'ecr.getManifests runtime staging-run-1',
      'ecr.registryScanning',
      `ecr.scanFindings runtime ${PUSHED}`,
      `ecr.putManifest runtime 6.0-bullseye-slim-1.3.0 ${MEDIA_TYPES.ociManifest}`,
      'ecr.untag runtime staging-run-1',
      'ecr.listImages runtime',
      // The version is written and read back: its SBOM, read from the image without running it, attached to it.
      `docker.imagePlatform ${local}`,
      `docker.createContainer ${local}`,
      'docker.copyFrom ctr1 /var/lib/dpkg/status',
      'docker.copyFrom ctr1 /etc/os-release',
      'docker.copyFrom ctr1 /usr/share/dotnet/shared',
      'docker.removeContainer ctr1',
      'registry.pushBlob 2 bytes',
      expect.stringMatching(/^registry\.pushBlob \d+ bytes$/) as string,
      `registry.putManifest ${REGISTRY}/runtime@sha256: ${MEDIA_TYPES.ociManifest}`,
      `ecr.retag runtime ${VERSIONED.digest} latest,6.0,20240307.4`,
      `docker.removeImage ${local}`,
    ]);
    expect(images).toEqual([
      { digest: 'sha256:old', tags: ['6.0-bullseye-slim-1.2.0'] },
      { digest: VERSIONED.digest, tags: ['6.0-bullseye-slim-1.3.0', 'latest', '6.0', '20240307.4'] },
    ]);
    expect(lines.join('\n')).not.toContain(PASSWORD);
    expect(lines).toContain(
      `info net6-runtime: published ${URI}:6.0-bullseye-slim-1.3.0 (${VERSIONED.digest}) with tags 6.0-bullseye-slim-1.3.0, latest, 6.0, 20240307.4 in account 123456789012`,
    );
  });

  it('writes no version tag and removes the staging tag when a critical finding blocks the image', async () => {
    const critical: ImageScan = {
      image: PUSHED,
      scanType: 'ENHANCED',
      status: 'ACTIVE',
      counts: { CRITICAL: 1, LOW: 2 },
      findings: [
        { id: 'CVE-2099-0001', severity: 'CRITICAL', package: 'hostname', installed: '3.23+nmu1', fixed: '3.23+nmu2', image: PUSHED },
      ],
    };
    const { events, ecr, docker, images } = world({ scan: () => critical });
    const { log } = logger();
    const publishing = publishImage(settingsFor(), check(), build, passed, { docker, ecr, log, env: {}, now: NOW });
    await expect(publishing).rejects.toThrow(VulnerabilityError);
    await expect(publishing).rejects.toThrow(/CVE-2099-0001 CRITICAL hostname 3\.23\+nmu1 \(fixed in 3\.23\+nmu2\)/);
    expect(events.filter((e) => e.startsWith('ecr.putManifest'))).toEqual([]);
    expect(events).toContain('ecr.untag runtime staging-run-1');
    expect(images.flatMap((i) => i.tags)).not.toContain('6.0-bullseye-slim-1.3.0');
    const err = (await publishing.catch((e: unknown) => e)) as VulnerabilityError;
    expect(err.scan).toMatchObject({
      outcome: 'blocked',
      counts: { CRITICAL: 1, LOW: 2 },
      findings: [{ id: 'CVE-2099-0001', fixed: '3.23+nmu2' }],
    });
  });

  it('publishes a multi-platform image as one OCI index under the version tag, its platform manifests staged untagged, moving tags on the index', async () => {
    const AMD = `sha256:${'a'.repeat(64)}`;
    const ARM = `sha256:${'e'.repeat(64)}`;
    const pushedImage = (n: string) =>
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.dockerManifest,
        config: { mediaType: MEDIA_TYPES.dockerConfig, digest: `sha256:cfg-${n}`, size: 10 },
        layers: [{ mediaType: MEDIA_TYPES.dockerLayer, digest: `sha256:layer-${n}`, size: 20 }],
      });
    const { events, ecr, docker, images, manifests, registry } = world({
      pushedByTag: {
        'staging-run-1-linux-amd64': { digest: `sha256:${'3'.repeat(64)}`, text: pushedImage('amd64') },
        'staging-run-1-linux-arm64': { digest: `sha256:${'4'.repeat(64)}`, text: pushedImage('arm64') },
      },
    });
    const { lines, log } = logger();
    const settings = { ...settingsFor(), platforms: ['linux/amd64', 'linux/arm64'] };
    const twoChecked: CheckRecord = { ...check(), base: { ...check().base, platforms: { 'linux/amd64': AMD, 'linux/arm64': ARM } } };
    const candidates = [
      { platform: 'linux/amd64', imageId: IMAGE_ID, localTag: 'platform-images/net6-runtime/linux-amd64:candidate-run-1' },
      {
        platform: 'linux/arm64',
        imageId: `sha256:${'2'.repeat(64)}`,
        localTag: 'platform-images/net6-runtime/linux-arm64:candidate-run-1',
      },
    ];
    const twoBuilt: BuildRecord = { ...build, localTag: candidates[0].localTag, platforms: candidates };
    const twoTested: TestRecord = {
      ...passed,
      platforms: [
        { platform: 'linux/amd64', imageId: IMAGE_ID, how: 'native', passed: true },
        { platform: 'linux/arm64', imageId: candidates[1].imageId, how: 'emulated', passed: true },
      ],
    };
    const engine = {
      ...docker,
      imageId: (ref: string) => Promise.resolve(candidates.find((c) => c.localTag === ref)?.imageId),
    } as DockerCli;
    const record = await publishImage(settings, twoChecked, twoBuilt, twoTested, {
      docker: engine,
      ecr,
      registry,
      log,
      env: {},
      now: NOW,
    });

    const index = JSON.parse(manifests.get(record.digest!)!.text) as {
      mediaType: string;
      manifests: Array<{ mediaType: string; digest: string; size: number; platform: Record<string, string> }>;
      annotations: Record<string, string>;
    };
    expect(index.mediaType).toBe(MEDIA_TYPES.ociIndex);
    expect(index.manifests.map((m) => [m.platform, m.mediaType])).toEqual([
      [{ architecture: 'amd64', os: 'linux' }, MEDIA_TYPES.ociManifest],
      [{ architecture: 'arm64', os: 'linux' }, MEDIA_TYPES.ociManifest],
    ]);
    // Each entry names an annotated manifest of that platform's pushed blobs, stored untagged, its size exact.
    for (const [i, entry] of index.manifests.entries()) {
      const stored = manifests.get(entry.digest)!;
      expect(Buffer.byteLength(stored.text)).toBe(entry.size);
      expect(stored.text).toContain(`sha256:cfg-${['amd64', 'arm64'][i]}`);
    }
    expect(index.annotations).toMatchObject({
      'org.opencontainers.image.base.digest': `sha256:${'b'.repeat(64)}`,
      'io.platform-images.base.platform-digests': `linux/amd64=${AMD},linux/arm64=${ARM}`,
    });
    expect(record.platforms).toEqual(index.manifests.map((m, i) => ({ platform: ['linux/amd64', 'linux/arm64'][i], digest: m.digest })));
    expect(events.filter((e) => /docker\.push|ecr\.(putManifest|untag|getManifests)/.test(e))).toEqual([
      `docker.push ${URI}:staging-run-1-linux-amd64 /tmp/cfg`,
      `docker.push ${URI}:staging-run-1-linux-arm64 /tmp/cfg`,
      'ecr.getManifests runtime staging-run-1-linux-amd64,staging-run-1-linux-arm64',
      `ecr.putManifest runtime (untagged) ${MEDIA_TYPES.ociManifest}`,
      `ecr.putManifest runtime (untagged) ${MEDIA_TYPES.ociManifest}`,
      `ecr.putManifest runtime 6.0-bullseye-slim-1.3.0 ${MEDIA_TYPES.ociIndex}`,
      'ecr.untag runtime staging-run-1-linux-amd64',
      'ecr.untag runtime staging-run-1-linux-arm64',
    ]);
    expect(images.find((i) => i.digest === record.digest)?.tags).toEqual(['6.0-bullseye-slim-1.3.0', 'latest', '6.0']);
    expect(events.filter((e) => e.startsWith('docker.removeImage platform-images/'))).toEqual(
      candidates.map((c) => `docker.removeImage ${c.localTag}`),
    );
    expect(lines.find((l) => l.startsWith('info') && l.includes('published'))).toContain('an image index of linux/amd64 sha256:');
    // The gate judged each platform manifest the index names, before the version tag; each platform's SBOM refers to it.
    const platformDigests = index.manifests.map((m) => m.digest);
    expect(events.filter((e) => e.startsWith('ecr.scanFindings'))).toEqual(platformDigests.map((d) => `ecr.scanFindings runtime ${d}`));
    expect(events.indexOf(`ecr.scanFindings runtime ${platformDigests[1]}`)).toBeLessThan(
      events.indexOf(`ecr.putManifest runtime 6.0-bullseye-slim-1.3.0 ${MEDIA_TYPES.ociIndex}`),
    );
    expect(record.sboms?.map((s) => [s.platform, s.subject])).toEqual([
      ['linux/amd64', platformDigests[0]],
      ['linux/arm64', platformDigests[1]],
    ]);
  });

  it('refuses a platform that was not through the integration test', async () => {
    const { ecr, docker } = world();
    const twoBuilt: BuildRecord = {
      ...build,
      platforms: [
        { platform: 'linux/amd64', imageId: IMAGE_ID, localTag: 'a' },
        { platform: 'linux/arm64', imageId: IMAGE_ID, localTag: 'b' },
      ],
    };
    const onlyAmd: TestRecord = { ...passed, platforms: [{ platform: 'linux/amd64', imageId: IMAGE_ID, how: 'native', passed: true }] };
    await expect(
      publishImage(settingsFor(), check(), twoBuilt, onlyAmd, { docker, ecr, log: logger().log, env: {}, now: NOW }),
    ).rejects.toThrow(/the linux\/arm64 image sha256:1+ has not been through its integration test; nothing is published/);
  });

  it('moves latest and the extra tags with the manifest it just wrote and read back: ECR is not asked for it again', async () => {
    const { events, ecr, docker, images, manifests, retagManifests, registry } = world();
    const { log } = logger();
    const record = await publishImage(settingsFor(), check(), build, passed, { docker, ecr, registry, log, env: {}, now: NOW });
    expect(events.filter((e) => e.startsWith('ecr.getManifests'))).toEqual(['ecr.getManifests runtime staging-run-1']);
    expect(retagManifests).toEqual([
      { digest: record.digest, manifest: manifests.get(record.digest!)!.text, mediaType: MEDIA_TYPES.ociManifest },
    ]);
    expect(images.find((i) => i.digest === record.digest)?.tags).toEqual(['6.0-bullseye-slim-1.3.0', 'latest', '6.0']);
  });
  it('attaches an SBOM naming what the image holds, as a referrer whose subject is the version just published', async () => {
    const { ecr, docker, registry, sboms, blobs } = world();
    const record = await publishImage(settingsFor(), check(), build, passed, {
      docker,
      ecr,
      registry,
      log: logger().log,
      env: {},
      now: NOW,
    });
    expect(sboms).toHaveLength(1);
    const manifest = JSON.parse(sboms[0].manifest) as {
      artifactType: string;
      subject: { digest: string; mediaType: string };
      layers: Array<{ digest: string }>;
    };
    expect(manifest).toMatchObject({
      artifactType: 'application/vnd.cyclonedx+json',
      subject: { digest: record.digest, mediaType: MEDIA_TYPES.ociManifest, size: Buffer.byteLength(VERSIONED.manifest) },
    });
    const bom = JSON.parse(blobs.get(manifest.layers[0].digest)!.toString()) as {
      metadata: { component: { version: string } };
      components: Array<{ purl?: string }>;
    };
    expect(bom.metadata.component.version).toBe('6.0-bullseye-slim-1.3.0');
    expect(bom.components.map((c) => c.purl)).toEqual(
      expect.arrayContaining([
        'pkg:deb/debian/libc6@2.31-13%2Bdeb11u11?arch=amd64&distro=debian-11',
        'pkg:generic/Microsoft.NETCore.App@6.0.36',
      ]),
    );
  });

  it('an SBOM that cannot be attached leaves the version published and its tags moved, and says what is missing', async () => {
    const { events, ecr, docker, registry, images } = world({ sbomError: 'the registry answered HTTP 405 to PUT manifests: UNSUPPORTED' });
    const { lines, log } = logger();
    const record = await publishImage(settingsFor(), check(), build, passed, { docker, ecr, registry, log, env: {}, now: NOW });
    expect(record).toMatchObject({
      published: true,
      versionTag: '6.0-bullseye-slim-1.3.0',
      tags: ['6.0-bullseye-slim-1.3.0', 'latest', '6.0'],
    });
    expect(record.sbomMissing).toBe('linux/amd64: the registry answered HTTP 405 to PUT manifests: UNSUPPORTED');
    expect(record.sboms).toBeUndefined();
    expect(images.find((i) => i.digest === record.digest)?.tags).toEqual(['6.0-bullseye-slim-1.3.0', 'latest', '6.0']);
    expect(events).toContain('docker.removeContainer ctr1');
    expect(lines).toContain(
      `warn net6-runtime: ${URI}:6.0-bullseye-slim-1.3.0 is published, but its SBOM is missing: linux/amd64: the registry answered HTTP 405 to PUT manifests: UNSUPPORTED. ` +
        "The version stays as published; the next run's check finds it without an SBOM and attaches it",
    );
  });

  it('warns that a MUTABLE repository lets racing runs overwrite versions, with the command to fix it', async () => {
    const { ecr, docker, registry } = world();
    const { lines, log } = logger();
    await publishImage(settingsFor(), check(), build, passed, { docker, ecr, registry, log, env: {}, now: NOW });
    expect(lines.find((l) => l.includes('is MUTABLE'))).toBe(
      'warn net6-runtime: runtime is MUTABLE, so ECR would let two runs publishing at once overwrite a version tag. Make version tags immutable: ' +
        'aws ecr put-image-tag-mutability --repository-name runtime --image-tag-mutability IMMUTABLE_WITH_EXCLUSION ' +
        '--image-tag-mutability-exclusion-filters filterType=WILDCARD,filter=latest filterType=WILDCARD,filter=6.0',
    );
  });

  it('leaves latest alone when the image does not own it (ecr.latest false)', async () => {
    const { events, ecr, docker, registry } = world();
    const { log } = logger();
    const record = await publishImage(settingsFor({ latest: false }), check(), build, passed, {
      docker,
      registry,
      ecr,
      log,
      env: { BUILD_BUILDNUMBER: '20240307.4' },
      now: NOW,
    });
    expect(record.tags).toEqual(['6.0-bullseye-slim-1.3.0', '6.0', '20240307.4']);
    expect(events.filter((e) => e.startsWith('ecr.retag'))).toEqual([`ecr.retag runtime ${VERSIONED.digest} 6.0,20240307.4`]);
  });

  it.each<[string, Partial<EcrRepository>, string[], string[]]>([
    [
      'IMMUTABLE: existing moving tags stay, the new build-number tag is created',
      { tagMutability: 'IMMUTABLE' },
      ['6.0-bullseye-slim-1.3.0', '20240307.4'],
      ['latest', '6.0'],
    ],
    [
      'IMMUTABLE_WITH_EXCLUSION for latest: latest moves, 6.0 stays',
      { tagMutability: 'IMMUTABLE_WITH_EXCLUSION', mutableTagFilters: ['latest'] },
      ['6.0-bullseye-slim-1.3.0', 'latest', '20240307.4'],
      ['6.0'],
    ],
    [
      'IMMUTABLE_WITH_EXCLUSION for everything moving',
      { tagMutability: 'IMMUTABLE_WITH_EXCLUSION', mutableTagFilters: ['latest', '6.*'] },
      ['6.0-bullseye-slim-1.3.0', 'latest', '6.0', '20240307.4'],
      [],
    ],
  ])('%s', async (_name, repo, tags, blocked) => {
    const { ecr, docker, registry } = world({ repo: { ...repository, ...repo } });
    const { lines, log } = logger();
    const record = await publishImage(settingsFor(), check(), build, passed, {
      docker,
      ecr,
      registry,
      log,
      env: { BUILD_BUILDNUMBER: '20240307.4' },
      now: NOW,
    });
    expect(record.tags).toEqual(tags);
    expect(record.blockedTags).toEqual(blocked.length ? blocked : undefined);
    const warning = lines.find((l) => l.includes('cannot move'));
    if (blocked.length) {
      expect(warning).toContain(
        `warn net6-runtime: runtime is ${repo.tagMutability}: ${blocked.join(', ')} cannot move to 6.0-bullseye-slim-1.3.0`,
      );
      expect(warning).toContain(blocked.map((t) => `filterType=WILDCARD,filter=${t}`).join(' '));
    } else {
      expect(warning).toBeUndefined();
    }
  });

  it('reports a tag the registry refused to move as blocked', async () => {
    const { ecr, docker, registry } = world({ refuse: ['6.0'] });
    const { lines, log } = logger();
    const record = await publishImage(settingsFor(), check(), build, passed, { docker, ecr, registry, log, env: {}, now: NOW });
    expect(record.tags).toEqual(['6.0-bullseye-slim-1.3.0', 'latest']);
    expect(record.blockedTags).toEqual(['6.0']);
    expect(lines.some((l) => l.includes('6.0 cannot move to 6.0-bullseye-slim-1.3.0'))).toBe(true);
  });

  it('skips extra tags whose placeholders have no value, with a warning', async () => {
    const { events, ecr, docker, registry } = world();
    const { lines, log } = logger();
    const record = await publishImage(settingsFor(), check(), build, passed, { docker, ecr, registry, log, env: {}, now: NOW });
    expect(record.tags).toEqual(['6.0-bullseye-slim-1.3.0', 'latest', '6.0']);
    expect(record.skippedTags).toEqual(['{buildNumber}']);
    expect(events.filter((e) => e.startsWith('ecr.retag'))).toEqual([`ecr.retag runtime ${VERSIONED.digest} latest,6.0`]);
    expect(lines).toContain(
      'warn net6-runtime: extra tags {buildNumber} skipped: their placeholders have no value outside Azure Pipelines',
    );
  });

  it('does not move latest twice when it is also an extra tag', async () => {
    const { events, ecr, docker, registry } = world();
    await publishImage(settingsFor({ extraTags: ['latest', '6.0', '6.0'] }), check(), build, passed, {
      docker,
      registry,
      ecr,
      log: logger().log,
      env: {},
      now: NOW,
    });
    expect(events.filter((e) => e.startsWith('ecr.retag'))).toEqual([`ecr.retag runtime ${VERSIONED.digest} latest,6.0`]);
  });

  it.each([true, false])(
    'creates the missing repository (scanOnPush=%s) with immutable versions and mutable moving tags of every image on it',
    async (scanOnPush) => {
      const { events, ecr, docker, registry } = world({ repo: undefined });
      const sharing = [
        { extraTags: ['6.0', '{buildNumber}'], latest: false },
        { extraTags: ['10.0'], latest: true },
      ];
      const record = await publishImage(settingsFor({ scanOnPush, extraTags: [] }, sharing), check('1.0.0'), build, passed, {
        docker,
        registry,
        ecr,
        log: logger().log,
        env: {},
        now: NOW,
      });
      expect(events.slice(2, 5)).toEqual([
        'ecr.findRepository runtime',
        `ecr.createRepository runtime {"scanOnPush":${scanOnPush},"tagMutability":"IMMUTABLE_WITH_EXCLUSION","mutableTagFilters":["10.0","6.0","latest"]}`,
        'ecr.listImages runtime',
      ]);
      expect(record).toMatchObject({ published: true, versionTag: '6.0-bullseye-slim-1.0.0', tags: ['6.0-bullseye-slim-1.0.0', 'latest'] });
    },
  );

  it('creates a MUTABLE repository, with a warning, when its images move more tags than ECR can exempt', async () => {
    const { events, ecr, docker, registry } = world({ repo: undefined });
    const { lines, log } = logger();
    const sharing = [{ extraTags: ['6', '6.0', '8', '8.0', '10', '10.0'], latest: true }];
    await publishImage(settingsFor({ extraTags: [] }, sharing), check('1.0.0'), build, passed, {
      docker,
      registry,
      ecr,
      log,
      env: {},
      now: NOW,
    });
    expect(events).toContain('ecr.createRepository runtime {"scanOnPush":true,"tagMutability":"MUTABLE","mutableTagFilters":[]}');
    expect(lines.some((l) => l.includes('more than the 5 exclusion filters ECR allows'))).toBe(true);
  });

  it('refuses when the repository was deleted since the check found a version in it', async () => {
    const { events, ecr, docker, registry } = world({ repo: undefined });
    const checked = { ...check(), published: { versionTag: '6.0-bullseye-slim-1.2.0', digest: 'sha256:old' } };
    await expect(
      publishImage(settingsFor(), checked, build, passed, { docker, ecr, registry, log: logger().log, env: {}, now: NOW }),
    ).rejects.toThrow('net6-runtime: ECR repository runtime held 6.0-bullseye-slim-1.2.0 when checked and is gone now; nothing was pushed');
    expect(events.some((e) => /createRepository|docker\.push/.test(e))).toBe(false);
  });

  it('refuses when another run published the version meanwhile, pushing nothing', async () => {
    const { events, ecr, docker, registry } = world({ tags: ['6.0-bullseye-slim-1.2.0', '6.0-bullseye-slim-1.3.0', 'latest'] });
    const error = await publishImage(settingsFor(), check('1.3.0'), build, passed, {
      docker,
      ecr,
      registry,
      log: logger().log,
      env: {},
      now: NOW,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(
      'net6-runtime: 6.0-bullseye-slim-1.3.0 was published by another run while this one built and tested; this image was not published',
    );
    expect(events.some((e) => /docker\.(tag|push|withLogin)|ecr\.login/.test(e))).toBe(false);
  });

  it('refuses cleanly when an immutable repository rejects the version tag a racing run wrote first, removing its staging tag', async () => {
    const { events, ecr, docker, images, registry } = world({ versionRefused: true });
    await expect(
      publishImage(settingsFor(), check(), build, passed, { docker, ecr, registry, log: logger().log, env: {}, now: NOW }),
    ).rejects.toThrow(
      'net6-runtime: 6.0-bullseye-slim-1.3.0 was published by another run while this one built and tested; this image was not published',
    );
    expect(events.some((e) => e.startsWith('ecr.retag'))).toBe(false);
    expect(events).toContain('ecr.untag runtime staging-run-1');
    expect(images.flatMap((i) => i.tags)).not.toContain('staging-run-1');
  });

  it('names the version it writes with the record the next check compares, on the blobs Docker pushed', async () => {
    const { ecr, docker, registry } = world();
    const put: string[] = [];
    const original = ecr.putManifest.bind(ecr);
    ecr.putManifest = async (name, manifest, mediaType, tag) => {
      put.push(manifest);
      return original(name, manifest, mediaType, tag);
    };
    await publishImage(settingsFor(), check(), build, passed, { docker, ecr, registry, log: logger().log, env: {}, now: NOW });
    expect(put).toEqual([VERSIONED.manifest]);
    expect((JSON.parse(put[0]) as ImageManifest).annotations).toEqual(ANNOTATIONS);
  });

  it('names the index an engine pushed (the image and its attestation) with the version, annotated, and moves the tags to it', async () => {
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [
        { mediaType: MEDIA_TYPES.ociManifest, digest: 'sha256:img', size: 1234, platform: { architecture: 'amd64', os: 'linux' } },
        {
          mediaType: MEDIA_TYPES.ociManifest,
          digest: 'sha256:att',
          size: 566,
          annotations: { 'vnd.docker.reference.digest': 'sha256:img', 'vnd.docker.reference.type': 'attestation-manifest' },
          platform: { architecture: 'unknown', os: 'unknown' },
        },
      ],
    });
    const versioned = annotatedManifest(index, MEDIA_TYPES.ociIndex, ANNOTATIONS);
    const { events, ecr, docker, images, registry } = world({ staged: { manifest: index, mediaType: MEDIA_TYPES.ociIndex } });
    const put: string[] = [];
    const original = ecr.putManifest.bind(ecr);
    ecr.putManifest = async (name, manifest, mediaType, tag) => {
      put.push(manifest);
      return original(name, manifest, mediaType, tag);
    };
    const { lines, log } = logger();
    const record = await publishImage(settingsFor(), check(), build, passed, { docker, ecr, registry, log, env: {}, now: NOW });

    expect(put).toEqual([versioned.manifest]);
    expect(JSON.parse(put[0])).toEqual({ ...JSON.parse(index), annotations: ANNOTATIONS });
    expect(events).toContain(`ecr.putManifest runtime 6.0-bullseye-slim-1.3.0 ${MEDIA_TYPES.ociIndex}`);
    expect(events).toContain(`ecr.retag runtime ${versioned.digest} latest,6.0`);
    expect(images).toContainEqual({ digest: versioned.digest, tags: ['6.0-bullseye-slim-1.3.0', 'latest', '6.0'] });
    expect(record).toMatchObject({ published: true, digest: versioned.digest, versionTag: '6.0-bullseye-slim-1.3.0' });
    expect(lines).toContain(
      `info net6-runtime: published ${URI}:6.0-bullseye-slim-1.3.0 (${versioned.digest}) with tags 6.0-bullseye-slim-1.3.0, latest, 6.0 in account 123456789012`,
    );
  });

  it('publishes nothing, and removes the staging tag, when the pushed manifest cannot be read back', async () => {
    const { events, ecr, docker, registry } = world();
    ecr.getManifests = () => Promise.resolve(new Map<string, StoredManifest>());
    await expect(
      publishImage(settingsFor(), check(), build, passed, { docker, ecr, registry, log: logger().log, env: {}, now: NOW }),
    ).rejects.toThrow(`net6-runtime: ${STAGING} is not in runtime right after this run pushed it; nothing was published`);
    expect(events.some((e) => /ecr\.(putManifest|retag)/.test(e))).toBe(false);
    expect(events).toContain('ecr.untag runtime staging-run-1');
  });

  it('fails, moving no tag, when a racing run overwrote the version tag in a MUTABLE repository', async () => {
    const other = `sha256:${'8'.repeat(64)}`;
    const { events, ecr, docker, registry } = world({ overwrittenBy: other });
    await expect(
      publishImage(settingsFor(), check(), build, passed, { docker, ecr, registry, log: logger().log, env: {}, now: NOW }),
    ).rejects.toThrow(
      `net6-runtime: ${URI}:6.0-bullseye-slim-1.3.0 names ${other} right after this run published ${VERSIONED.digest}: another run published the same version at the same time`,
    );
    expect(events.some((e) => e.startsWith('ecr.retag'))).toBe(false);
  });

  it('says the version is out when moving its tags fails, so the failure card and the rerun can say so', async () => {
    const { ecr, docker, registry } = world();
    ecr.retag = () => Promise.reject(new UserError('ECR PutImage runtime:latest: ServerException: injected', 'rerun'));
    const error = await publishImage(settingsFor(), check(), build, passed, {
      docker,
      ecr,
      registry,
      log: logger().log,
      env: {},
      now: NOW,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialPublishError);
    expect((error as PartialPublishError).versionTag).toBe('6.0-bullseye-slim-1.3.0');
    expect((error as Error).message).toBe(
      `net6-runtime: ${URI}:6.0-bullseye-slim-1.3.0 is published (${VERSIONED.digest}), but moving latest, 6.0 to it failed: ECR PutImage runtime:latest: ServerException: injected`,
    );
  });

  it('passes other push failures through, even when layers "already exist"', async () => {
    const { ecr, docker, registry } = world({
      pushError:
        'docker push x failed (exit 1): 8d35d02037a9: Layer already exists\nreceived unexpected HTTP status: 500 Internal Server Error',
    });
    await expect(
      publishImage(settingsFor(), check(), build, passed, { docker, ecr, registry, log: logger().log, env: {}, now: NOW }),
    ).rejects.toThrow('500 Internal Server Error');
  });

  it.each<[string, TestRecord]>([
    ['failed', { runId: 'run-1', passed: false, imageId: IMAGE_ID }],
    ['of another image', { runId: 'run-1', passed: true, imageId: `sha256:${'2'.repeat(64)}` }],
  ])('refuses an image whose test %s, touching nothing', async (_name, test) => {
    const { events, ecr, docker, registry } = world();
    await expect(
      publishImage(settingsFor(), check(), build, test, { docker, ecr, registry, log: logger().log, env: {}, now: NOW }),
    ).rejects.toThrow(`net6-runtime: image ${IMAGE_ID} has not passed its integration test; nothing is published`);
    expect(events).toEqual([]);
  });

  it('refuses when the tested image is gone from the engine', async () => {
    const { events, ecr, docker, registry } = world({ engineImage: undefined });
    await expect(
      publishImage(settingsFor(), check(), build, passed, { docker, ecr, registry, log: logger().log, env: {}, now: NOW }),
    ).rejects.toThrow(`net6-runtime: the tested image ${IMAGE_ID} is no longer in this Docker engine`);
    expect(events).toEqual(['docker.ensureEngine', `docker.imageId ${build.localTag}`]);
  });

  it('fails on an extra tag that is invalid once filled', async () => {
    const { events, ecr, docker, registry } = world();
    await expect(
      publishImage(settingsFor({ extraTags: ['b{buildNumber}'] }), check(), build, passed, {
        docker,
        registry,
        ecr,
        log: logger().log,
        env: { BUILD_BUILDNUMBER: 'CI build #4' },
        now: NOW,
      }),
    ).rejects.toThrow('ecr.extraTags: "bCI build #4" is not a valid Docker tag after filling placeholders');
    expect(events.some((e) => e.startsWith('docker.push'))).toBe(false);
  });
});

describe('publishImage: the card it owes, recorded in the registry', () => {
  const WEBHOOK_ENV = { TEAMS_WEBHOOK_URI: 'https://example.webhook.office.com/workflows/x' };

  it("writes the unannounced-<run id> marker on the version's image before the version tag, and hands it to teams-notify", async () => {
    const { events, ecr, docker, images, registry } = world();
    const record = await publishImage(settingsFor(), check(), build, passed, {
      docker,
      ecr,
      registry,
      log: logger().log,
      env: WEBHOOK_ENV,
      now: NOW,
    });
    expect(events.filter((e) => e.startsWith('ecr.putManifest'))).toEqual([
      `ecr.putManifest runtime unannounced-run-1 ${MEDIA_TYPES.ociManifest}`,
      `ecr.putManifest runtime 6.0-bullseye-slim-1.3.0 ${MEDIA_TYPES.ociManifest}`,
    ]);
    expect(record.marker).toBe('unannounced-run-1');
    expect(images.find((i) => i.digest === VERSIONED.digest)?.tags).toEqual([
      'unannounced-run-1',
      '6.0-bullseye-slim-1.3.0',
      'latest',
      '6.0',
    ]);
  });

  it.each<[string, Record<string, string>]>([
    ['no webhook variable', {}],
    ['an unexpanded pipeline macro', { TEAMS_WEBHOOK_URI: '$(TEAMS_WEBHOOK_URI)' }],
  ])('writes no marker when no card could be sent: %s', async (_name, env) => {
    const { events, ecr, docker, registry } = world();
    const record = await publishImage(settingsFor(), check(), build, passed, {
      docker,
      ecr,
      registry,
      log: logger().log,
      env,
      now: NOW,
    });
    expect(events.some((e) => e.includes('unannounced-'))).toBe(false);
    expect(record.marker).toBeUndefined();
  });

  it('removes its marker when an immutable repository refuses the version tag: nothing of this run is published', async () => {
    const { events, ecr, docker, images, registry } = world({ versionRefused: true });
    await expect(
      publishImage(settingsFor(), check(), build, passed, { docker, ecr, registry, log: logger().log, env: WEBHOOK_ENV, now: NOW }),
    ).rejects.toThrow('was published by another run');
    expect(events.filter((e) => e.startsWith('ecr.untag'))).toEqual([
      'ecr.untag runtime staging-run-1',
      'ecr.untag runtime unannounced-run-1',
    ]);
    expect(images.flatMap((i) => i.tags).filter((t) => t.startsWith('unannounced-'))).toEqual([]);
  });

  it('removes its marker when a racing run overwrote the version tag in a MUTABLE repository', async () => {
    const { events, ecr, docker, registry } = world({ overwrittenBy: `sha256:${'8'.repeat(64)}` });
    await expect(
      publishImage(settingsFor(), check(), build, passed, { docker, ecr, registry, log: logger().log, env: WEBHOOK_ENV, now: NOW }),
    ).rejects.toThrow('another run published the same version at the same time');
    expect(events).toContain('ecr.untag runtime unannounced-run-1');
  });

  it('keeps its marker when the version is out but its moving tags failed: the card is owed', async () => {
    const { events, ecr, docker, images, registry } = world();
    ecr.retag = () => Promise.reject(new UserError('ECR PutImage runtime:latest: ServerException: injected', 'rerun'));
    await expect(
      publishImage(settingsFor(), check(), build, passed, { docker, ecr, registry, log: logger().log, env: WEBHOOK_ENV, now: NOW }),
    ).rejects.toBeInstanceOf(PartialPublishError);
    expect(events).not.toContain('ecr.untag runtime unannounced-run-1');
    expect(images.find((i) => i.digest === VERSIONED.digest)?.tags).toEqual(['unannounced-run-1', '6.0-bullseye-slim-1.3.0']);
  });
});

describe('leftover run tags', () => {
  const leftovers = [
    { tag: 'staging-0123456789abcdef', kind: 'staging' as const, digest: 'sha256:s', pushedAt: '2024-03-07T07:00:00.000Z' },
    { tag: 'unannounced-fedcba9876543210', kind: 'unannounced' as const, digest: 'sha256:u', pushedAt: '2024-03-07T08:00:00.000Z' },
  ];
  const current = (over: Partial<CheckRecord> = {}): CheckRecord => ({
    ...check(),
    stale: false,
    reason: 'current',
    nextVersion: undefined,
    leftoverTags: leftovers,
    ...over,
  });

  it('a current image: removes them in one call and says so, publishing nothing', async () => {
    const { events, ecr, images } = world({ tags: ['6.0-bullseye-slim-1.2.0', 'latest'] });
    images.push({ digest: 'sha256:s', tags: ['staging-0123456789abcdef'] }, { digest: 'sha256:u', tags: ['unannounced-fedcba9876543210'] });
    const { lines, log } = logger();
    const record = await finishCurrent(settingsFor(), current(), { ecr, log });
    expect(record).toEqual({ runId: 'run-1', published: false, removedTags: ['staging-0123456789abcdef', 'unannounced-fedcba9876543210'] });
    expect(events).toEqual(['ecr.removeTags runtime staging-0123456789abcdef,unannounced-fedcba9876543210']);
    expect(images).toEqual([{ digest: 'sha256:old', tags: ['6.0-bullseye-slim-1.2.0', 'latest'] }]);
    expect(lines).toEqual([
      'info net6-runtime: removed staging-0123456789abcdef, unannounced-fedcba9876543210 from runtime: left by runs that stopped (pushed over 1h ago, the first at 2024-03-07T07:00:00.000Z)',
    ]);
  });

  it('a current image with tags to finish: finishes them, then removes the leftovers', async () => {
    const { events, ecr, images } = world({ tags: ['6.0-bullseye-slim-1.2.0', 'latest', '6.0'] });
    images.push({ digest: PUSHED, tags: ['6.0-bullseye-slim-1.3.0'] });
    const record = await finishCurrent(
      settingsFor(),
      current({ published: { versionTag: '6.0-bullseye-slim-1.3.0', digest: PUSHED }, tagsToFinish: ['latest'] }),
      { ecr, log: logger().log },
    );
    expect(record).toMatchObject({
      published: true,
      onlyFinished: true,
      removedTags: ['staging-0123456789abcdef', 'unannounced-fedcba9876543210'],
    });
    expect(events.slice(-2)).toEqual([
      `ecr.retag runtime ${PUSHED} latest`,
      'ecr.removeTags runtime staging-0123456789abcdef,unannounced-fedcba9876543210',
    ]);
  });

  it('a rebuild: removes them after publishing', async () => {
    const { events, ecr, docker, registry } = world();
    const record = await publishImage(settingsFor(), { ...check(), leftoverTags: leftovers }, build, passed, {
      docker,
      registry,
      ecr,
      log: logger().log,
      env: {},
      now: NOW,
    });
    expect(record.removedTags).toEqual(['staging-0123456789abcdef', 'unannounced-fedcba9876543210']);
    expect(events[events.length - 1]).toBe('ecr.removeTags runtime staging-0123456789abcdef,unannounced-fedcba9876543210');
  });

  it('only warns when they cannot be removed: the next run tries again', async () => {
    const { ecr } = world({ removeError: 'ECR BatchDeleteImage runtime: staging-0123456789abcdef (AccessDenied)' });
    const { lines, log } = logger();
    const record = await finishCurrent(settingsFor(), current(), { ecr, log });
    expect(record).toEqual({ runId: 'run-1', published: false });
    expect(lines).toEqual([
      expect.stringMatching(
        /^warn net6-runtime: could not remove staging-0123456789abcdef, unannounced-fedcba9876543210 from runtime: .*AccessDenied.*\(the next run tries again\)$/s,
      ),
    ]);
  });
});

describe('finishTags', () => {
  const current: CheckRecord = {
    ...check(),
    stale: false,
    reason: 'current',
    nextVersion: undefined,
    published: { versionTag: '6.0-bullseye-slim-1.3.0', digest: PUSHED },
    tagsToFinish: ['latest', '6.0'],
  };

  it('moves the tags an interrupted publish left behind, registry-side', async () => {
    const { events, ecr, images } = world({ tags: ['6.0-bullseye-slim-1.2.0', 'latest', '6.0'] });
    images.push({ digest: PUSHED, tags: ['6.0-bullseye-slim-1.3.0', '20240307.4'] });
    const { lines, log } = logger();
    const record = await finishTags(settingsFor(), current, { ecr, log });
    expect(record).toEqual({
      runId: 'run-1',
      published: true,
      onlyFinished: true,
      repositoryUri: URI,
      digest: PUSHED,
      versionTag: '6.0-bullseye-slim-1.3.0',
      version: '1.3.0',
      tags: ['6.0-bullseye-slim-1.3.0', 'latest', '6.0'],
    });
    expect(events).toEqual(['ecr.findRepository runtime', 'ecr.listImages runtime', `ecr.retag runtime ${PUSHED} latest,6.0`]);
    expect(images.find((i) => i.digest === PUSHED)?.tags).toEqual(['6.0-bullseye-slim-1.3.0', '20240307.4', 'latest', '6.0']);
    expect(lines).toContain(`info net6-runtime: finished publishing ${URI}:6.0-bullseye-slim-1.3.0 (${PUSHED}): moved latest, 6.0`);
  });

  it('fails clearly when the version disappeared since the check', async () => {
    const { ecr } = world();
    await expect(finishTags(settingsFor(), current, { ecr, log: logger().log })).rejects.toThrow(
      'net6-runtime: 6.0-bullseye-slim-1.3.0 is gone from runtime since the check',
    );
  });
});

describe('finishCurrent: an SBOM owed', () => {
  /** The version an earlier run published, in the repository, without its SBOM. */
  const owedWorld = (opts: Parameters<typeof world>[0] = {}) => {
    const w = world({ tags: ['6.0-bullseye-slim-1.2.0', 'latest'], ...opts });
    w.manifests.set('sha256:old', { text: VERSIONED.manifest, mediaType: MEDIA_TYPES.ociManifest });
    return w;
  };
  const owing: CheckRecord = {
    ...check(),
    stale: false,
    reason: 'current',
    nextVersion: undefined,
    sbomOwed: { versionTag: '6.0-bullseye-slim-1.2.0', digest: 'sha256:old' },
  };

  it('pulls the version by digest with the ECR login, attaches its SBOM, and removes what it pulled', async () => {
    const { events, ecr, docker, registry, sboms } = owedWorld();
    const { log } = logger();
    const record = await finishCurrent(settingsFor(), owing, { ecr, log, docker, registry });
    expect(record).toMatchObject({
      runId: 'run-1',
      published: false,
      sboms: [expect.objectContaining({ subject: 'sha256:old', via: 'referrers-api' })],
    });
    expect(record.sbomMissing).toBeUndefined();
    expect(sboms.map((s) => s.subject)).toEqual(['sha256:old']);
    expect(events.filter((e) => e.startsWith('docker.') && !e.startsWith('docker.copyFrom'))).toEqual([
      'docker.ensureEngine',
      `docker.withLogin ${REGISTRY} AWS <password>`,
      `docker.pull ${URI}@sha256:old /tmp/cfg`,
      'docker.logout',
      `docker.imagePlatform ${URI}@sha256:old`,
      `docker.createContainer ${URI}@sha256:old`,
      'docker.removeContainer ctr1',
      `docker.removeImage ${URI}@sha256:old`,
    ]);
    // Nothing is built, pushed or tagged.
    expect(events.filter((e) => /docker\.(push|tag) |ecr\.(putManifest|retag)/.test(e))).toEqual([]);
  });

  it('an SBOM still not attachable: the run goes on, warns, and the next run tries again', async () => {
    const { ecr, docker, registry } = owedWorld({ sbomError: 'the registry answered HTTP 503' });
    const { lines, log } = logger();
    const record = await finishCurrent(settingsFor(), owing, { ecr, log, docker, registry });
    expect(record).toEqual({ runId: 'run-1', published: false, sbomMissing: 'linux/amd64: the registry answered HTTP 503' });
    expect(lines.filter((l) => l.startsWith('warn'))).toEqual([
      expect.stringContaining('is published, but its SBOM is missing: linux/amd64: the registry answered HTTP 503'),
    ]);
  });

  it('a version gone since the check: says so, and pulls nothing', async () => {
    const { events, ecr, docker, registry } = owedWorld();
    const { lines, log } = logger();
    const record = await finishCurrent(
      settingsFor(),
      { ...owing, sbomOwed: { versionTag: '6.0-bullseye-slim-1.2.0', digest: 'sha256:gone' } },
      { ecr, log, docker, registry },
    );
    expect(record.sbomMissing).toBe('6.0-bullseye-slim-1.2.0 (sha256:gone) is gone from runtime since the check');
    expect(events.filter((e) => e.startsWith('docker.pull'))).toEqual([]);
    expect(lines).toEqual([
      expect.stringMatching(/^warn net6-runtime: runtime:6\.0-bullseye-slim-1\.2\.0 still has no SBOM: .*\(the next run tries again\)$/),
    ]);
  });
});
