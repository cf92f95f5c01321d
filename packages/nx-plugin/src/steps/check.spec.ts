import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ImageSettings } from '../config/settings';
import { contextDigest } from '../lib/context-digest';
import type { EcrImage, EcrLogin, EcrRepository, StoredManifest } from '../lib/ecr';
import type { EcrReads } from '../lib/ecr-reader';
import { annotatedManifest } from '../lib/manifest';
import { MEDIA_TYPES } from '../types/media-types';
import { ConfigError, NotFoundError } from '../types/errors';
import type { ImageRef } from '../types/image-ref';
import type { ResolvedBase } from '../lib/registry-client';
import { LABELS } from '../types/annotations';
import { baseImageOf, checkImage, type CheckDeps } from './check';
import { imageSettings, omit, recordingLogger } from './test-fixtures';

const BASE = 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim';
const BASE_DIGEST = `sha256:${'b'.repeat(64)}`;
const OLD_DIGEST = `sha256:${'0'.repeat(64)}`;
const PUBLISHED_DIGEST = `sha256:${'9'.repeat(64)}`;
const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const LOGIN: EcrLogin = { username: 'AWS', password: 'ecr-password' };
const REPOSITORY: EcrRepository = {
  name: 'runtime',
  uri: `${REGISTRY}/runtime`,
  registryId: '123456789012',
  registry: REGISTRY,
  tagMutability: 'MUTABLE',
  mutableTagFilters: [],
};

let root: string;

function settingsFor(over: Partial<ImageSettings> = {}): ImageSettings {
  return imageSettings(root, 'runtime', over);
}

/** What Docker pushed: one image manifest, or (Docker 29 with the containerd store) an index of the image and its attestation. */
const PUSHED = {
  manifest: {
    mediaType: MEDIA_TYPES.dockerManifest,
    text: JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.dockerManifest,
      config: { mediaType: MEDIA_TYPES.dockerConfig, digest: 'sha256:c', size: 1 },
      layers: [],
    }),
  },
  index: {
    mediaType: MEDIA_TYPES.ociIndex,
    text: JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [
        { mediaType: MEDIA_TYPES.ociManifest, digest: 'sha256:img', size: 1, platform: { architecture: 'amd64', os: 'linux' } },
        {
          mediaType: MEDIA_TYPES.ociManifest,
          digest: 'sha256:att',
          size: 1,
          annotations: { 'vnd.docker.reference.digest': 'sha256:img', 'vnd.docker.reference.type': 'attestation-manifest' },
          platform: { architecture: 'unknown', os: 'unknown' },
        },
      ],
    }),
  },
};

/**
 * ECR as the check reads it; `annotations` (when given) are what the newest version records, on the
 * manifest or index `pushed` names.
 */
function fakeEcr(
  repository: EcrRepository | undefined,
  images: EcrImage[],
  annotations?: Record<string, string>,
  pushed: keyof typeof PUSHED = 'manifest',
) {
  const ecr = {
    repository: jest.fn((name: string) => Promise.resolve(repository?.name === name ? repository : undefined)),
    images: jest.fn(() => Promise.resolve(images)),
    manifest: jest.fn((_name: string, tag: string): Promise<StoredManifest | undefined> => {
      const found = images.find((i) => i.tags.includes(tag));
      if (!found) return Promise.resolve(undefined);
      const { text, mediaType } = PUSHED[pushed];
      return Promise.resolve(
        annotations
          ? { ...annotatedManifest(text, mediaType, annotations), digest: PUBLISHED_DIGEST }
          : { digest: PUBLISHED_DIGEST, manifest: text, mediaType },
      );
    }),
    login: jest.fn(() => Promise.resolve(LOGIN)),
    scanFindings: jest.fn((_name: string, digest: string) =>
      Promise.resolve({
        image: digest,
        scanType: 'BASIC' as const,
        status: 'COMPLETE',
        counts: { CRITICAL: 1, LOW: 2 },
        findings: [{ id: 'CVE-2099-1', severity: 'CRITICAL' as const, package: 'hostname', installed: '3.23+nmu1', image: digest }],
      }),
    ),
  };
  return ecr satisfies EcrReads;
}

const logger = recordingLogger;

function deps(ecr: EcrReads, labels: Record<string, string> = {}, digest = BASE_DIGEST) {
  const reads: Array<{ registry: string; login: EcrLogin; ref: ImageRef }> = [];
  const upstream = {
    resolveBase: jest.fn<Promise<ResolvedBase>, [ImageRef]>(() => Promise.resolve({ digest })),
    // A base whose config says no time, unless a test says otherwise.
    baseCreated: jest.fn<Promise<string | undefined>, [ImageRef, string]>(() => Promise.resolve(undefined)),
  };
  const { lines, log } = logger();
  const d: CheckDeps = {
    upstream,
    ecr,
    published: (registry, login) => ({
      imageLabels: (ref) => {
        reads.push({ registry, login, ref });
        return Promise.resolve({ digest: PUBLISHED_DIGEST, labels });
      },
    }),
    log,
    newRunId: () => 'run-1',
    // While .NET 6 was supported: the end-of-support warning has its own tests below.
    now: new Date('2024-03-07T10:00:00Z'),
  };
  return { d, reads, upstream, lines };
}

const image = (...tags: string[]): EcrImage => ({ digest: `sha256:${tags.join('').length.toString().padStart(64, '0')}`, tags });

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'check-spec-'));
  const dir = path.join(root, 'platform-images/net6/runtime');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${BASE}\nRUN useradd app\n`);
  writeFileSync(path.join(dir, 'platform-image.json'), '{}');
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

async function currentLabels(settings: ImageSettings, over: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    [LABELS.baseName]: BASE,
    [LABELS.baseDigest]: BASE_DIGEST,
    [LABELS.contextDigest]: await contextDigest(settings.context, settings.dockerfile),
    [LABELS.version]: '6.0-bullseye-slim-1.2.0',
    ...over,
  };
}

describe('checkImage', () => {
  it.each<[string, Partial<ImageSettings['ecr']>, EcrImage[], string[] | undefined]>([
    [
      'latest left on the previous version',
      {},
      [
        { digest: OLD_DIGEST, tags: ['6.0-bullseye-slim-1.1.0', 'latest'] },
        { digest: PUBLISHED_DIGEST, tags: ['6.0-bullseye-slim-1.2.0'] },
      ],
      ['latest'],
    ],
    [
      'a static extra tag never created',
      { extraTags: ['6.0', '{buildNumber}'] },
      [{ digest: PUBLISHED_DIGEST, tags: ['6.0-bullseye-slim-1.2.0', 'latest'] }],
      ['6.0'],
    ],
    [
      'everything in place',
      { extraTags: ['6.0'] },
      [
        { digest: OLD_DIGEST, tags: ['6.0-bullseye-slim-1.1.0'] },
        { digest: PUBLISHED_DIGEST, tags: ['6.0-bullseye-slim-1.2.0', 'latest', '6.0'] },
      ],
      undefined,
    ],
    [
      "every version's SBOM referrer listed untagged, newer than its version, and a referrers tag: nothing to finish",
      { extraTags: ['6.0'] },
      [
        { digest: OLD_DIGEST, tags: ['6.0-bullseye-slim-1.1.0'], pushedAt: new Date('2024-03-01T00:00:00Z') },
        { digest: `sha256:${'5'.repeat(64)}`, tags: [], pushedAt: new Date('2024-03-01T00:00:01Z') },
        { digest: PUBLISHED_DIGEST, tags: ['6.0-bullseye-slim-1.2.0', 'latest', '6.0'], pushedAt: new Date('2024-03-06T00:00:00Z') },
        { digest: `sha256:${'6'.repeat(64)}`, tags: [], pushedAt: new Date('2024-03-06T00:00:01Z') },
        { digest: `sha256:${'7'.repeat(64)}`, tags: [`sha256-${'f'.repeat(64)}`], pushedAt: new Date('2024-03-06T00:00:02Z') },
      ],
      undefined,
    ],
    [
      'an image without latest does not claim it',
      { latest: false },
      [
        { digest: OLD_DIGEST, tags: ['6.0-bullseye-slim-1.1.0', 'latest'] },
        { digest: PUBLISHED_DIGEST, tags: ['6.0-bullseye-slim-1.2.0'] },
      ],
      undefined,
    ],
  ])('is current, and names the moving tags a half-finished publish left behind: %s', async (_name, ecrOver, images, unfinished) => {
    const settings = settingsFor();
    settings.ecr = { ...settings.ecr, ...ecrOver };
    const { d, lines } = deps(fakeEcr(REPOSITORY, images), await currentLabels(settings));
    const record = await checkImage(settings, d);
    expect(record.stale).toBe(false);
    expect(record.tagsToFinish).toEqual(unfinished);
    expect(record.runId).toBe(unfinished ? 'run-1' : undefined);
    expect(record.published?.digest).toBe(PUBLISHED_DIGEST);
    expect(record.owedCards ?? []).toEqual([]);
    expect(record.leftoverTags ?? []).toEqual([]);
    if (unfinished) {
      expect(lines[lines.length - 1]).toBe(
        `info net6-runtime: CURRENT: 6.0-bullseye-slim-1.2.0 is built on sha256:bbbbbbbbbbbb, the current base; ${unfinished.join(', ')} still names an older image (a publish stopped half-way): ecr-publish moves it`,
      );
    }
  });

  it.each([
    ['off: no scan request', false],
    ["on: the newest version's findings, counts and what would block", true],
  ])('reportFindings %s', async (_what, on) => {
    const settings = settingsFor();
    settings.check = { ...settings.check, ...(on ? { reportFindings: true } : {}) };
    const ecr = fakeEcr(REPOSITORY, [{ digest: PUBLISHED_DIGEST, tags: ['6.0-bullseye-slim-1.2.0', 'latest'] }]);
    const { d, lines } = deps(ecr, await currentLabels(settings));
    const record = await checkImage(settings, d);
    expect(ecr.scanFindings).toHaveBeenCalledTimes(on ? 1 : 0);
    if (!on) {
      expect(record.findings).toBeUndefined();
      return;
    }
    expect(record.findings).toMatchObject({
      outcome: 'blocked',
      images: [PUBLISHED_DIGEST],
      counts: { CRITICAL: 1, LOW: 2 },
      findings: [{ id: 'CVE-2099-1', package: 'hostname', installed: '3.23+nmu1' }],
    });
    expect(lines.some((l) => l.startsWith('warn net6-runtime: findings of the newest published version: 1 CRITICAL, 2 LOW'))).toBe(true);
  });

  describe('what stopped runs left, read from the same listing', () => {
    const MARKER = 'unannounced-0123456789abcdef';
    const STAGING = 'staging-fedcba9876543210';
    const at = (iso: string) => new Date(iso);

    it('a version published without its card: current, with the card owed and a run id for teams-notify', async () => {
      const settings = settingsFor();
      const labels = await currentLabels(settings);
      const annotations = {
        [LABELS.baseName]: labels[LABELS.baseName],
        [LABELS.baseDigest]: labels[LABELS.baseDigest],
        [LABELS.contextDigest]: labels[LABELS.contextDigest],
      };
      const ecr = fakeEcr(
        REPOSITORY,
        [image('6.0-bullseye-slim-1.1.0'), { digest: PUBLISHED_DIGEST, tags: [MARKER, '6.0-bullseye-slim-1.2.0', 'latest'] }],
        annotations,
      );
      const { d, lines } = deps(ecr);
      const record = await checkImage(settings, d);
      expect(record).toMatchObject({ stale: false, runId: 'run-1' });
      expect(record.owedCards).toEqual([
        {
          marker: MARKER,
          versionTag: '6.0-bullseye-slim-1.2.0',
          digest: PUBLISHED_DIGEST,
          tags: ['6.0-bullseye-slim-1.2.0', 'latest'],
          repositoryUri: REPOSITORY.uri,
          baseName: BASE,
          baseDigest: BASE_DIGEST,
        },
      ]);
      expect(record.leftoverTags).toBeUndefined();
      expect(lines).toEqual([
        'info net6-runtime: CURRENT: 6.0-bullseye-slim-1.2.0 is built on sha256:bbbbbbbbbbbb, the current base; 6.0-bullseye-slim-1.2.0 was published by an earlier run that sent no card: teams-notify sends it',
      ]);
      // The owed version's record is read with the newest version's, in the batch the reader sends as one BatchGetImage.
      expect(ecr.manifest.mock.calls).toEqual([
        ['runtime', '6.0-bullseye-slim-1.2.0'],
        ['runtime', '6.0-bullseye-slim-1.2.0'],
      ]);
    });

    it('an older version owed too: its own record, read in the same batch', async () => {
      const settings = settingsFor();
      const ecr = fakeEcr(
        REPOSITORY,
        [
          { digest: OLD_DIGEST, tags: ['6.0-bullseye-slim-1.1.0', 'unannounced-1111111111111111'] },
          image('6.0-bullseye-slim-1.2.0', 'latest'),
        ],
        { [LABELS.baseName]: BASE, [LABELS.baseDigest]: OLD_DIGEST, [LABELS.contextDigest]: 'sha256:ctx' },
      );
      const { d } = deps(ecr);
      const record = await checkImage(settings, d);
      expect(record.owedCards?.map((o) => [o.versionTag, o.digest, o.baseDigest])).toEqual([
        ['6.0-bullseye-slim-1.1.0', OLD_DIGEST, OLD_DIGEST],
      ]);
      expect(ecr.manifest.mock.calls.map((c) => c[1])).toEqual(['6.0-bullseye-slim-1.2.0', '6.0-bullseye-slim-1.1.0']);
    });

    it('run tags older than cleanup.registryAfter: current, with them to remove; younger ones belong to a live run', async () => {
      const settings = settingsFor({ cleanup: { registryAfterMs: 3_600_000, localAfterMs: 6 * 3_600_000 } });
      const ecr = fakeEcr(REPOSITORY, [
        image('6.0-bullseye-slim-1.2.0', 'latest'),
        { digest: 'sha256:s1', tags: [STAGING], pushedAt: at('2024-03-07T08:00:00Z') },
        { digest: 'sha256:s2', tags: ['staging-2222222222222222'], pushedAt: at('2024-03-07T09:30:00Z') },
        { digest: 'sha256:u1', tags: [MARKER], pushedAt: at('2024-03-07T08:30:00Z') },
      ]);
      const { d, lines } = deps(ecr, await currentLabels(settings));
      const record = await checkImage(settings, d);
      expect(record).toMatchObject({ stale: false, runId: 'run-1' });
      expect(record.leftoverTags).toEqual([
        { tag: STAGING, kind: 'staging', digest: 'sha256:s1', pushedAt: '2024-03-07T08:00:00.000Z' },
        { tag: MARKER, kind: 'unannounced', digest: 'sha256:u1', pushedAt: '2024-03-07T08:30:00.000Z' },
      ]);
      expect(record.owedCards).toBeUndefined();
      expect(lines[lines.length - 1]).toBe(
        `info net6-runtime: CURRENT: 6.0-bullseye-slim-1.2.0 is built on sha256:bbbbbbbbbbbb, the current base; ${STAGING}, ${MARKER} were left by runs that stopped: ecr-publish removes them`,
      );
    });

    it('the threshold is the configured one', async () => {
      const settings = settingsFor({ cleanup: { registryAfterMs: 2000, localAfterMs: 6 * 3_600_000 } });
      const ecr = fakeEcr(REPOSITORY, [
        image('6.0-bullseye-slim-1.2.0', 'latest'),
        { digest: 'sha256:s1', tags: [STAGING], pushedAt: at('2024-03-07T09:59:57Z') },
      ]);
      const { d } = deps(ecr, await currentLabels(settings));
      expect((await checkImage(settings, d)).leftoverTags?.map((l) => l.tag)).toEqual([STAGING]);
    });

    it('a rebuild records them too, and says so after what it will build', async () => {
      const settings = settingsFor();
      const ecr = fakeEcr(REPOSITORY, [
        { digest: PUBLISHED_DIGEST, tags: [MARKER, '6.0-bullseye-slim-1.2.0'] },
        { digest: 'sha256:s1', tags: [STAGING], pushedAt: at('2024-03-07T08:00:00Z') },
      ]);
      const { d, lines } = deps(ecr, await currentLabels(settings, { [LABELS.baseDigest]: OLD_DIGEST }));
      const record = await checkImage(settings, d);
      expect(record).toMatchObject({ stale: true, runId: 'run-1', nextVersion: { tag: '6.0-bullseye-slim-1.3.0' } });
      expect(record.owedCards?.map((o) => o.versionTag)).toEqual(['6.0-bullseye-slim-1.2.0']);
      expect(record.leftoverTags?.map((l) => l.tag)).toEqual([STAGING]);
      expect(record.message).not.toMatch(/earlier run|left by runs/);
      expect(lines[lines.length - 1]).toMatch(
        /will build 6\.0-bullseye-slim-1\.3\.0 on .*; 6\.0-bullseye-slim-1\.2\.0 was published by an earlier run that sent no card: teams-notify sends it; staging-fedcba9876543210 was left by runs that stopped: ecr-publish removes it$/,
      );
    });

    it('never counts run tags as malformed versions, whatever ecr.tag is', async () => {
      const settings = settingsFor();
      settings.ecr = { ...settings.ecr, tag: 'staging' };
      const ecr = fakeEcr(REPOSITORY, [image('staging-1.0.0'), { digest: 'sha256:s1', tags: [STAGING] }]);
      const { d, lines } = deps(ecr, await currentLabels(settings));
      await checkImage(settings, d);
      expect(lines.filter((l) => l.includes('ignored'))).toEqual([]);
    });
  });

  it.each<[string, EcrImage[], boolean]>([
    [
      'the newest version without a referrer: current, its SBOM owed to ecr-publish',
      [{ digest: PUBLISHED_DIGEST, tags: ['6.0-bullseye-slim-1.2.0', 'latest'], mediaType: MEDIA_TYPES.ociManifest }],
      true,
    ],
    [
      'the newest version with its SBOM referrer: nothing to do',
      [
        { digest: PUBLISHED_DIGEST, tags: ['6.0-bullseye-slim-1.2.0', 'latest'], mediaType: MEDIA_TYPES.ociManifest },
        { digest: `sha256:${'5'.repeat(64)}`, tags: [], mediaType: MEDIA_TYPES.ociManifest, subject: PUBLISHED_DIGEST },
      ],
      false,
    ],
  ])('%s (from the listing already read)', async (_name, images, owed) => {
    const settings = settingsFor();
    const ecr = fakeEcr(REPOSITORY, images);
    const { d, lines } = deps(ecr, await currentLabels(settings));
    const record = await checkImage(settings, d);
    expect(record.stale).toBe(false);
    expect(record.sbomOwed).toEqual(owed ? { versionTag: '6.0-bullseye-slim-1.2.0', digest: PUBLISHED_DIGEST } : undefined);
    expect(record.runId).toBe(owed ? 'run-1' : undefined);
    expect(lines[lines.length - 1]).toBe(
      owed
        ? 'info net6-runtime: CURRENT: 6.0-bullseye-slim-1.2.0 is built on sha256:bbbbbbbbbbbb, the current base; 6.0-bullseye-slim-1.2.0 has no SBOM attached: ecr-publish attaches it'
        : 'info net6-runtime: CURRENT: 6.0-bullseye-slim-1.2.0 is built on sha256:bbbbbbbbbbbb, the current base; nothing to do',
    );
    expect(ecr.images).toHaveBeenCalledTimes(1);
  });

  it('is stale with nothing published when the repository does not exist', async () => {
    const settings = settingsFor();
    const ecr = fakeEcr(undefined, []);
    const { d, reads, upstream, lines } = deps(ecr);
    const record = await checkImage(settings, d);
    expect(record).toEqual({
      project: 'net6-runtime',
      stale: true,
      reason: 'nothing-published',
      message: 'no version published yet',
      base: { name: BASE, digest: BASE_DIGEST, pullRef: `${BASE}@${BASE_DIGEST}`, platforms: { 'linux/amd64': BASE_DIGEST } },
      contextDigest: await contextDigest(settings.context, settings.dockerfile),
      published: undefined,
      dotnetEndOfSupport: '2024-11-12',
      runId: 'run-1',
      nextVersion: { tag: '6.0-bullseye-slim-1.0.0', version: '1.0.0' },
    });
    expect(upstream.resolveBase).toHaveBeenCalledWith(
      expect.objectContaining({ registry: 'mcr.microsoft.com', repository: 'dotnet/runtime', tag: '6.0-bullseye-slim' }),
    );
    expect(ecr.images).not.toHaveBeenCalled();
    expect(ecr.login).not.toHaveBeenCalled();
    expect(reads).toEqual([]);
    expect(lines).toEqual([
      `info net6-runtime: STALE (nothing-published): no version published yet; will build 6.0-bullseye-slim-1.0.0 on ${BASE}@sha256:bbbbbbbbbbbb`,
    ]);
  });

  it('is stale with nothing published when the repository holds no version of this prefix', async () => {
    const ecr = fakeEcr(REPOSITORY, [image('latest'), image('6.0-bullseye-slim-arm64-1.4.0')]);
    const { d, reads } = deps(ecr);
    const record = await checkImage(settingsFor(), d);
    expect(record).toMatchObject({
      stale: true,
      reason: 'nothing-published',
      runId: 'run-1',
      nextVersion: { tag: '6.0-bullseye-slim-1.0.0', version: '1.0.0' },
    });
    expect(ecr.login).not.toHaveBeenCalled();
    expect(reads).toEqual([]);
  });

  it('is current without a run id when the newest version records the current base and context', async () => {
    const settings = settingsFor();
    const ecr = fakeEcr(REPOSITORY, [
      image('6.0-bullseye-slim-1.0.0'),
      { ...image('6.0-bullseye-slim-1.2.0', 'latest'), pushedAt: new Date('2024-03-06T10:00:00Z') },
      image('6.0-bullseye-slim-1.1.0'),
    ]);
    const { d, reads, lines } = deps(ecr, await currentLabels(settings));
    const record = await checkImage(settings, d);
    expect(record).toMatchObject({
      stale: false,
      reason: 'current',
      message: '6.0-bullseye-slim-1.2.0 is built on sha256:bbbbbbbbbbbb, the current base',
      // For the status page: when ECR says the newest version was pushed.
      publishedAt: '2024-03-06T10:00:00.000Z',
    });
    expect(record.runId).toBeUndefined();
    expect(record.nextVersion).toBeUndefined();
    expect(record.published).toEqual({
      versionTag: '6.0-bullseye-slim-1.2.0',
      digest: PUBLISHED_DIGEST,
      baseName: BASE,
      baseDigest: BASE_DIGEST,
      contextDigest: record.contextDigest,
    });
    expect(reads).toEqual([
      { registry: REGISTRY, login: LOGIN, ref: { registry: REGISTRY, repository: 'runtime', tag: '6.0-bullseye-slim-1.2.0' } },
    ]);
    expect(lines).toEqual([
      'info net6-runtime: CURRENT: 6.0-bullseye-slim-1.2.0 is built on sha256:bbbbbbbbbbbb, the current base; nothing to do',
    ]);
  });

  it("reads an unannotated version in another account from that account's registry host, with the token", async () => {
    const other = '210987654321.dkr.ecr.eu-west-1.amazonaws.com';
    const settings = settingsFor();
    const ecr = fakeEcr({ ...REPOSITORY, uri: `${other}/runtime`, registryId: '210987654321', registry: other }, [
      image('6.0-bullseye-slim-1.0.0'),
    ]);
    const { d, reads } = deps(ecr, await currentLabels(settings));
    await checkImage(settings, d);
    expect(reads).toEqual([
      { registry: other, login: LOGIN, ref: { registry: other, repository: 'runtime', tag: '6.0-bullseye-slim-1.0.0' } },
    ]);
  });

  const decisions: Array<[string, (labels: Record<string, string>) => Record<string, string>, boolean]> = [
    ['the same inputs: current', (labels) => labels, false],
    ['another base digest: stale', (labels) => ({ ...labels, [LABELS.baseDigest]: OLD_DIGEST }), true],
    ['another context digest: stale', (labels) => ({ ...labels, [LABELS.contextDigest]: OLD_DIGEST }), true],
  ];
  it.each(
    (['manifest', 'index'] as const).flatMap((pushed) => decisions.map(([name, edit, stale]) => [pushed, name, edit, stale] as const)),
  )(
    'decides from the annotations on the published %s alone, without logging in or reading a label: %s',
    async (pushed, _name, edit, stale) => {
      const settings = settingsFor();
      const labels = await currentLabels(settings);
      const annotations = edit({
        [LABELS.baseName]: labels[LABELS.baseName],
        [LABELS.baseDigest]: labels[LABELS.baseDigest],
        [LABELS.contextDigest]: labels[LABELS.contextDigest],
      });
      const ecr = fakeEcr(REPOSITORY, [image('6.0-bullseye-slim-1.1.0'), image('6.0-bullseye-slim-1.2.0', 'latest')], annotations, pushed);
      // Labels that would contradict the annotations: they must not be read.
      const { d, reads } = deps(ecr, { [LABELS.baseDigest]: 'sha256:labels-are-not-read' });
      const record = await checkImage(settings, d);
      expect(record.stale).toBe(stale);
      expect(record.published).toEqual({
        versionTag: '6.0-bullseye-slim-1.2.0',
        digest: PUBLISHED_DIGEST,
        baseName: BASE,
        baseDigest: annotations[LABELS.baseDigest],
        contextDigest: annotations[LABELS.contextDigest],
      });
      expect(ecr.manifest.mock.calls).toEqual([['runtime', '6.0-bullseye-slim-1.2.0']]);
      expect(ecr.login).not.toHaveBeenCalled();
      expect(reads).toEqual([]);
    },
  );

  describe('when the base was built (its config’s created), for the status page', () => {
    const BUILT = '2024-03-05T21:14:07.000Z';
    const EARLIER = '2024-02-13T18:02:11.000Z';
    const ecrWith = (annotations: Record<string, string>) => fakeEcr(REPOSITORY, [image('6.0-bullseye-slim-1.2.0', 'latest')], annotations);
    it.each<[string, Record<string, string>, boolean, Record<string, string> | undefined, Record<string, string> | undefined]>([
      // name, what the newest version records beyond its base name, digest and context digest, stale,
      // what the check reads back from it, what it records for the rebuild
      [
        'current: read back from the newest version, no request',
        { [LABELS.baseCreated]: `linux/amd64=${EARLIER}` },
        false,
        { 'linux/amd64': EARLIER },
        undefined,
      ],
      ['current, recorded by an older release: unknown, no request', {}, false, undefined, undefined],
      [
        'current, an annotation this product does not write: unknown',
        { [LABELS.baseCreated]: 'linux/amd64=yesterday' },
        false,
        undefined,
        undefined,
      ],
      [
        'stale: the base the rebuild builds FROM, read for it',
        { [LABELS.baseDigest]: OLD_DIGEST, [LABELS.baseCreated]: `linux/amd64=${EARLIER}` },
        true,
        { 'linux/amd64': EARLIER },
        { 'linux/amd64': BUILT },
      ],
    ])('%s', async (_name, recorded, stale, published, forRebuild) => {
      const settings = settingsFor();
      const labels = await currentLabels(settings);
      const ecr = ecrWith({
        [LABELS.baseName]: labels[LABELS.baseName],
        [LABELS.baseDigest]: labels[LABELS.baseDigest],
        [LABELS.contextDigest]: labels[LABELS.contextDigest],
        ...recorded,
      });
      const { d, upstream } = deps(ecr);
      upstream.baseCreated.mockImplementation(() => Promise.resolve(BUILT));
      const record = await checkImage(settings, d);
      expect(record.stale).toBe(stale);
      expect(record.published?.baseCreated).toEqual(published);
      expect(record.base.created).toEqual(forRebuild);
      expect(upstream.baseCreated.mock.calls).toEqual(
        stale
          ? [[{ registry: 'mcr.microsoft.com', repository: 'dotnet/runtime', tag: '6.0-bullseye-slim', digest: undefined }, BASE_DIGEST]]
          : [],
      );
    });

    it('reads it per platform of a multi-platform rebuild, leaving out a platform whose config says no time', async () => {
      const settings = settingsFor({ platforms: ['linux/amd64', 'linux/arm64'] });
      const amd = `sha256:${'a'.repeat(64)}`;
      const arm = `sha256:${'e'.repeat(64)}`;
      const { d, upstream } = deps(fakeEcr(undefined, []));
      d.upstream.resolveBase = () => Promise.resolve({ digest: BASE_DIGEST, platforms: { 'linux/amd64': amd, 'linux/arm64': arm } });
      upstream.baseCreated.mockImplementation((_ref, digest) => Promise.resolve(digest === amd ? BUILT : undefined));
      const record = await checkImage(settings, d);
      expect(record.base.created).toEqual({ 'linux/amd64': BUILT });
      expect(upstream.baseCreated.mock.calls.map(([, digest]) => digest).sort()).toEqual([amd, arm]);
    });

    it('a read that fails leaves the time unknown and says so; the rebuild goes on', async () => {
      const { d, upstream, lines } = deps(fakeEcr(undefined, []));
      upstream.baseCreated.mockImplementation(() => Promise.reject(new Error('HTTP 500 from mcr.microsoft.com')));
      const record = await checkImage(settingsFor(), d);
      expect(record).toMatchObject({ stale: true, reason: 'nothing-published' });
      expect(record.base.created).toBeUndefined();
      expect(lines).toContain(
        'warn net6-runtime: when the linux/amd64 base (sha256:bbbbbbbbbbbb) was built is not recorded: HTTP 500 from mcr.microsoft.com',
      );
    });
  });

  it('is stale with the next minor version when the base moved', async () => {
    const settings = settingsFor();
    const ecr = fakeEcr(REPOSITORY, [image('6.0-bullseye-slim-1.2.0', 'latest'), image('6.0-bullseye-slim-1.1.0')]);
    const { d } = deps(ecr, await currentLabels(settings, { [LABELS.baseDigest]: OLD_DIGEST }));
    const record = await checkImage(settings, d);
    expect(record).toMatchObject({
      stale: true,
      reason: 'base-moved',
      message: `${BASE} moved from sha256:000000000000 to sha256:bbbbbbbbbbbb`,
      runId: 'run-1',
      nextVersion: { tag: '6.0-bullseye-slim-1.3.0', version: '1.3.0' },
    });
  });

  it('is stale when the Dockerfile changed since the newest version', async () => {
    const settings = settingsFor();
    const labels = await currentLabels(settings);
    writeFileSync(settings.dockerfile, `FROM ${BASE}\nRUN useradd app2\n`);
    const { d } = deps(fakeEcr(REPOSITORY, [image('6.0-bullseye-slim-1.2.0')]), labels);
    await expect(checkImage(settings, d)).resolves.toMatchObject({
      stale: true,
      reason: 'context-changed',
      nextVersion: { version: '1.3.0' },
    });
  });

  it('is stale when forced, even when current', async () => {
    const settings = settingsFor({ force: true });
    const { d } = deps(fakeEcr(REPOSITORY, [image('6.0-bullseye-slim-1.2.0')]), await currentLabels(settings));
    await expect(checkImage(settings, d)).resolves.toMatchObject({
      stale: true,
      reason: 'forced',
      runId: 'run-1',
      nextVersion: { tag: '6.0-bullseye-slim-1.3.0' },
    });
  });

  it.each([
    ['before net6 ended', '2024-11-12T12:00:00Z', {}, undefined],
    ['after net6 ended', '2024-11-13T00:00:01Z', {}, '.NET 6 reached its end of support on 2024-11-12'],
    ['an override moves the date', '2024-11-13T00:00:01Z', { net6: '2025-01-31' }, undefined],
  ])('warns when .NET is past its end of support (%s)', async (_name, now, overrides, warning) => {
    const { d, lines } = deps(fakeEcr(undefined, []));
    const record = await checkImage(settingsFor({ dotnetEndOfSupport: overrides }), { ...d, now: new Date(now) });
    // The date the status page shows is the one the warning uses.
    expect(record.dotnetEndOfSupport).toBe((overrides as Record<string, string>).net6 ?? '2024-11-12');
    if (warning) {
      expect(record.warnings).toEqual([expect.stringContaining(warning)]);
      expect(lines).toContain(`warn net6-runtime: ${record.warnings![0]}`);
    } else {
      expect(record.warnings).toBeUndefined();
      expect(lines.some((l) => l.startsWith('warn'))).toBe(false);
    }
  });

  describe('a multi-platform image (platforms: linux/amd64, linux/arm64)', () => {
    const TWO = ['linux/amd64', 'linux/arm64'];
    const AMD = `sha256:${'a'.repeat(64)}`;
    const ARM = `sha256:${'e'.repeat(64)}`;
    const ARM2 = `sha256:${'f'.repeat(64)}`;
    const V7 = `sha256:${'7'.repeat(64)}`;
    const V7B = `sha256:${'8'.repeat(64)}`;
    const INDEX2 = `sha256:${'2'.repeat(64)}`;
    const upstreamIndex = (digest: string, platforms: Record<string, string>) => (d: CheckDeps) => {
      d.upstream.resolveBase = () => Promise.resolve({ digest, platforms });
    };
    const published = async (settings: ImageSettings) =>
      fakeEcr(
        REPOSITORY,
        [image('6.0-bullseye-slim-1.2.0', 'latest')],
        await currentLabels(settings, { [LABELS.basePlatformDigests]: `linux/amd64=${AMD},linux/arm64=${ARM}` }),
      );

    it('records the manifest of each platform it builds, not the others', async () => {
      const settings = settingsFor({ platforms: TWO });
      const { d } = deps(fakeEcr(undefined, []));
      upstreamIndex(BASE_DIGEST, { 'linux/amd64': AMD, 'linux/arm64': ARM, 'linux/arm/v7': V7 })(d);
      const record = await checkImage(settings, d);
      expect(record.base.platforms).toEqual({ 'linux/amd64': AMD, 'linux/arm64': ARM });
    });

    it('is CURRENT when the base index moved only for linux/arm/v7, and says no built platform moved', async () => {
      const settings = settingsFor({ platforms: TWO });
      const { d, lines } = deps(await published(settings));
      upstreamIndex(INDEX2, { 'linux/amd64': AMD, 'linux/arm64': ARM, 'linux/arm/v7': V7B })(d);
      const record = await checkImage(settings, d);
      expect(record).toMatchObject({ stale: false, reason: 'current' });
      expect(lines).toContain(
        `info net6-runtime: CURRENT: ${BASE} moved from sha256:bbbbbbbbbbbb to sha256:222222222222, ` +
          'but not for the platforms 6.0-bullseye-slim-1.2.0 is built for (linux/amd64, linux/arm64: their manifests are the same); nothing to do',
      );
    });

    it('is STALE naming linux/arm64 when its manifest moved', async () => {
      const settings = settingsFor({ platforms: TWO });
      const { d } = deps(await published(settings));
      upstreamIndex(INDEX2, { 'linux/amd64': AMD, 'linux/arm64': ARM2, 'linux/arm/v7': V7 })(d);
      const record = await checkImage(settings, d);
      expect(record).toMatchObject({
        stale: true,
        reason: 'base-moved',
        message: `${BASE} moved for linux/arm64 from sha256:eeeeeeeeeeee to sha256:ffffffffffff`,
      });
    });

    it('a base pinned by digest: the pin the tag still names is read once; a pin behind is read by its digest', async () => {
      const PIN = `sha256:${'9'.repeat(64)}`;
      writeFileSync(settingsFor().dockerfile, `FROM ${BASE}@${PIN}\n`);
      const settings = settingsFor({ platforms: TWO });
      const same = deps(fakeEcr(undefined, []));
      same.upstream.resolveBase.mockImplementation(() =>
        Promise.resolve({ digest: PIN, platforms: { 'linux/amd64': AMD, 'linux/arm64': ARM } }),
      );
      expect((await checkImage(settings, same.d)).base.platforms).toEqual({ 'linux/amd64': AMD, 'linux/arm64': ARM });
      expect(same.upstream.resolveBase).toHaveBeenCalledTimes(1);

      const behind = deps(fakeEcr(undefined, []));
      behind.upstream.resolveBase.mockImplementation((ref: ImageRef) =>
        Promise.resolve(
          ref.digest
            ? { digest: PIN, platforms: { 'linux/amd64': AMD, 'linux/arm64': ARM } }
            : { digest: INDEX2, platforms: { 'linux/amd64': AMD, 'linux/arm64': ARM2 } },
        ),
      );
      const record = await checkImage(settings, behind.d);
      expect(record.base).toMatchObject({ digest: PIN, platforms: { 'linux/amd64': AMD, 'linux/arm64': ARM } });
      expect(behind.upstream.resolveBase.mock.calls.map(([ref]) => ref.digest)).toEqual([undefined, PIN]);
    });

    it('refuses a single-manifest base, naming the Dockerfile FROM and platforms', async () => {
      const { d } = deps(fakeEcr(undefined, []));
      const failure = checkImage(settingsFor({ platforms: TWO }), d);
      await expect(failure).rejects.toThrow(ConfigError);
      await expect(failure).rejects.toMatchObject({
        message:
          'platform-images/net6/runtime/platform-image.json: platforms: ' +
          `${BASE} (FROM in platform-images/net6/runtime/Dockerfile) is a single image, not an image index, so it has no linux/amd64, linux/arm64 images to build on`,
        hint: 'build FROM a multi-platform base in platform-images/net6/runtime/Dockerfile, or list one platform in platforms',
      });
    });

    it('refuses a platform the base index does not list', async () => {
      const { d } = deps(fakeEcr(undefined, []));
      upstreamIndex(BASE_DIGEST, { 'linux/amd64': AMD })(d);
      await expect(checkImage(settingsFor({ platforms: TWO }), d)).rejects.toMatchObject({
        message: expect.stringContaining('has no linux/arm64 image; its index lists linux/amd64') as string,
        hint: 'remove linux/arm64 from platforms, or build FROM a base published for it',
      });
    });
  });

  it('gives every stale check a fresh run id by default', async () => {
    const { d } = deps(fakeEcr(undefined, []));
    const withoutRunId = omit(d, 'newRunId');
    const first = await checkImage(settingsFor(), withoutRunId);
    const second = await checkImage(settingsFor(), withoutRunId);
    expect(first.runId).toMatch(/^[0-9a-f]{16}$/);
    expect(second.runId).toMatch(/^[0-9a-f]{16}$/);
    expect(first.runId).not.toBe(second.runId);
  });

  it('pins the pull reference to the mirror when one is configured', async () => {
    const settings = settingsFor({ registryMirrors: { 'mcr.microsoft.com': 'http://localhost:5001' } });
    const { d } = deps(fakeEcr(undefined, []));
    const record = await checkImage(settings, d);
    expect(record.base).toEqual({
      name: BASE,
      digest: BASE_DIGEST,
      pullRef: `localhost:5001/dotnet/runtime:6.0-bullseye-slim@${BASE_DIGEST}`,
      platforms: { 'linux/amd64': BASE_DIGEST },
    });
  });

  describe('a base pinned by digest (FROM image:tag@sha256:…, as Renovate writes it)', () => {
    const PIN = `sha256:${'e'.repeat(64)}`;
    beforeEach(() => writeFileSync(settingsFor().dockerfile, `FROM ${BASE}@${PIN}\nRUN useradd app\n`));

    it('decides from the pin, records the name without it, and says the pin is behind when the tag moved on', async () => {
      const settings = settingsFor({ registryMirrors: { 'mcr.microsoft.com': 'http://localhost:5001' } });
      const labels = await currentLabels(settings, { [LABELS.baseDigest]: PIN });
      const { d, upstream, lines } = deps(fakeEcr(REPOSITORY, [image('6.0-bullseye-slim-1.2.0', 'latest')]), labels, BASE_DIGEST);
      const record = await checkImage(settings, d);
      // The tag is asked for, not the pin: only to tell whether the pin is behind.
      expect(upstream.resolveBase).toHaveBeenCalledWith({
        registry: 'mcr.microsoft.com',
        repository: 'dotnet/runtime',
        tag: '6.0-bullseye-slim',
        digest: undefined,
      });
      expect(record).toMatchObject({
        stale: false,
        reason: 'current',
        message: '6.0-bullseye-slim-1.2.0 is built on sha256:eeeeeeeeeeee, the pinned base',
      });
      expect(record.base).toEqual({
        name: BASE,
        digest: PIN,
        pullRef: `localhost:5001/dotnet/runtime:6.0-bullseye-slim@${PIN}`,
        platforms: { 'linux/amd64': PIN },
      });
      expect(record.warnings).toEqual([
        `${BASE} is pinned to sha256:eeeeeeeeeeee, but the tag has moved on to sha256:bbbbbbbbbbbb upstream: the pin is behind (update the digest in FROM, e.g. with Renovate)`,
      ]);
      expect(lines).toContain(`warn net6-runtime: ${record.warnings![0]}`);
    });

    it('is stale when the pin moves, and builds on the new pin', async () => {
      const settings = settingsFor();
      const { d, lines } = deps(
        fakeEcr(REPOSITORY, [image('6.0-bullseye-slim-1.2.0')]),
        await currentLabels(settings, { [LABELS.baseDigest]: OLD_DIGEST }),
        PIN,
      );
      const record = await checkImage(settings, d);
      expect(record).toMatchObject({
        stale: true,
        reason: 'base-moved',
        message: `the pin of ${BASE} moved from sha256:000000000000 to sha256:eeeeeeeeeeee`,
      });
      expect(record.warnings).toBeUndefined();
      expect(lines).toContain(
        `info net6-runtime: STALE (base-moved): the pin of ${BASE} moved from sha256:000000000000 to sha256:eeeeeeeeeeee; will build 6.0-bullseye-slim-1.3.0 on ${BASE}@sha256:eeeeeeeeeeee`,
      );
    });

    it('goes on from the pin when the tag is gone upstream, and says so', async () => {
      const settings = settingsFor();
      const { d } = deps(fakeEcr(undefined, []));
      d.upstream.resolveBase = (ref) =>
        ref.digest
          ? Promise.resolve({ digest: ref.digest })
          : Promise.reject(
              new NotFoundError(
                'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim: not found in the registry (HEAD manifests answered 404)',
                'check the repository and tag exist upstream',
              ),
            );
      const record = await checkImage(settings, d);
      expect(record.base.digest).toBe(PIN);
      expect(record.warnings).toEqual([
        `${BASE} is pinned to sha256:eeeeeeeeeeee, and the tag no longer exists upstream: the pin cannot be updated from it`,
      ]);
    });
  });

  it('treats another spelling of the published base as the same base: no rebuild', async () => {
    const settings = settingsFor();
    writeFileSync(settings.dockerfile, 'FROM docker.io/library/debian:bookworm\nRUN useradd app\n');
    const labels = await currentLabels(settings, { [LABELS.baseName]: 'debian:bookworm' });
    const { d } = deps(fakeEcr(REPOSITORY, [image('6.0-bullseye-slim-1.2.0')]), labels);
    const record = await checkImage(settings, d);
    expect(record).toMatchObject({ stale: false, reason: 'current', base: { name: 'docker.io/library/debian:bookworm' } });
  });

  it('checks the base the build args choose, as the build will', async () => {
    const settings = settingsFor({ buildArgs: { TAG: '10.0-noble', UNDECLARED: 'x' } });
    writeFileSync(settings.dockerfile, 'ARG TAG=8.0-bookworm-slim\nFROM mcr.microsoft.com/dotnet/runtime:${TAG}\nUSER app\n');
    const { d, upstream } = deps(fakeEcr(undefined, []));
    const record = await checkImage(settings, d);
    expect(upstream.resolveBase).toHaveBeenCalledWith({
      registry: 'mcr.microsoft.com',
      repository: 'dotnet/runtime',
      tag: '10.0-noble',
      digest: undefined,
    });
    expect(record.base).toEqual({
      name: 'mcr.microsoft.com/dotnet/runtime:10.0-noble',
      digest: BASE_DIGEST,
      pullRef: `mcr.microsoft.com/dotnet/runtime:10.0-noble@${BASE_DIGEST}`,
      platforms: { 'linux/amd64': BASE_DIGEST },
    });
  });

  describe('build args are inputs', () => {
    const dockerfile =
      'ARG CREDPROVIDER_URL=https://example.invalid/cp.tar.gz\nFROM mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim\nARG CREDPROVIDER_URL\nRUN echo "$CREDPROVIDER_URL"\n';
    beforeEach(() => writeFileSync(settingsFor().dockerfile, dockerfile));

    it('a declared build arg whose value changed makes the image stale, naming it and never its value', async () => {
      const before = settingsFor({ buildArgs: { CREDPROVIDER_URL: 'https://feed.example/old', UNDECLARED: 'x' } });
      const published = await checkImage(before, deps(fakeEcr(undefined, [])).d);
      const labels = {
        ...(await currentLabels(before)),
        [LABELS.contextDigest]: published.contextDigest,
        [LABELS.buildArgs]: JSON.stringify(published.buildArgs),
      };
      // Undeclared build args are not passed to the build, so they are no input.
      expect(Object.keys(published.buildArgs!)).toEqual(['CREDPROVIDER_URL']);

      const same = await checkImage(
        settingsFor({ buildArgs: { CREDPROVIDER_URL: 'https://feed.example/old' } }),
        deps(fakeEcr(REPOSITORY, [image('6.0-bullseye-slim-1.2.0', 'latest')]), labels).d,
      );
      expect(same).toMatchObject({ stale: false, reason: 'current' });

      const { d, lines } = deps(fakeEcr(REPOSITORY, [image('6.0-bullseye-slim-1.2.0', 'latest')]), labels);
      const changed = await checkImage(settingsFor({ buildArgs: { CREDPROVIDER_URL: 'https://feed.example/new-secret-path' } }), d);
      expect(changed).toMatchObject({
        stale: true,
        reason: 'build-args-changed',
        message: 'build arg CREDPROVIDER_URL changed since 6.0-bullseye-slim-1.2.0',
      });
      expect(JSON.stringify(changed) + lines.join('\n')).not.toContain('new-secret-path');
    });

    it('a build arg the Dockerfile does not declare changes nothing', async () => {
      const settings = settingsFor();
      const labels = await currentLabels(settings);
      writeFileSync(settings.dockerfile, dockerfile);
      const labelsNow = { ...labels, [LABELS.contextDigest]: (await checkImage(settings, deps(fakeEcr(undefined, [])).d)).contextDigest };
      const record = await checkImage(
        settingsFor({ buildArgs: { SOMETHING_ELSE: 'x' } }),
        deps(fakeEcr(REPOSITORY, [image('6.0-bullseye-slim-1.2.0', 'latest')]), labelsNow).d,
      );
      expect(record).toMatchObject({ stale: false, reason: 'current' });
      expect(record.buildArgs).toBeUndefined();
    });
  });

  it('follows an ARG-defaulted FROM', async () => {
    const settings = settingsFor();
    writeFileSync(settings.dockerfile, `ARG BASE=${BASE}\nFROM \${BASE} AS base\nFROM base\n`);
    const { d } = deps(fakeEcr(undefined, []));
    await expect(checkImage(settings, d)).resolves.toMatchObject({ base: { name: BASE } });
  });
});

describe('baseImageOf', () => {
  it.each<[string, string, RegExp]>([
    ['an ARG without default', 'ARG BASE\nFROM ${BASE}\n', /FROM: FROM \$\{BASE\} uses ARG BASE which has no default value/],
    ['no FROM', 'RUN true\n', /FROM: has no FROM instruction/],
    ['scratch', 'FROM scratch\n', /FROM: builds FROM scratch/],
    ['a bad image name', 'FROM Not/Valid\n', /FROM: bad repository name/],
    [
      'a FROM a build arg leaves unset',
      'ARG TAG\nFROM mcr.microsoft.com/dotnet/runtime:${TAG}\n',
      /FROM: FROM mcr\.microsoft\.com\/dotnet\/runtime:\$\{TAG\} uses ARG TAG which has no default value/,
    ],
  ])('reports %s as a ConfigError on the Dockerfile', (_name, text, message) => {
    const settings = settingsFor();
    writeFileSync(settings.dockerfile, text);
    let error: unknown;
    try {
      baseImageOf(settings);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).file).toBe('platform-images/net6/runtime/Dockerfile');
    expect((error as ConfigError).field).toBe('FROM');
    expect((error as ConfigError).message).toMatch(message);
  });

  it('reports a Dockerfile docker build cannot read with its line', () => {
    const settings = settingsFor();
    writeFileSync(settings.dockerfile, '# escape=`\n# escape=\\\nFROM mcr.microsoft.com/dotnet/runtime:8.0\n');
    expect(() => baseImageOf(settings)).toThrow(
      new ConfigError(
        'platform-images/net6/runtime/Dockerfile',
        'line 2',
        'only one escape parser directive can be used',
        'docker build cannot read it either',
      ),
    );
  });
});
