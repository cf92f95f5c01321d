/**
 * A multi-platform platform image end to end: net10-runtime builds linux/amd64 and linux/arm64 FROM the MCR
 * stand-in's OCI index of dotnet/runtime:10.0-noble (amd64, arm64 and arm/v7 entries), tests each platform
 * with the real .NET test app (natively, and under qemu-user-static emulation through binfmt_misc), and
 * publishes one OCI image index under the version tag. Then Microsoft rebuilds the base for one platform at
 * a time: only a platform the image builds makes it stale.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LABELS } from '../src/types/annotations';
import { MANIFEST_ACCEPT, MEDIA_TYPES } from '../src/types/media-types';
import {
  cardFact,
  cards,
  createWorkspace,
  digestOf,
  ecrTags,
  editJson,
  expectOk,
  git,
  nx,
  recordsOf,
  REPO_ROOT,
  withEcrAuthFile,
  type Workspace,
} from './support';

jest.setTimeout(40 * 60_000);

const IMAGE = 'net10/runtime';
const BASE = 'dotnet/runtime:10.0-noble';

let ws: Workspace;
let repo: string;

interface Index {
  mediaType: string;
  manifests: Array<{ mediaType: string; digest: string; size: number; platform?: { os: string; architecture: string; variant?: string } }>;
  annotations?: Record<string, string>;
}

/** The manifest a tag names in the ECR stand-in, as stored (skopeo, a real client). */
function publishedManifest(tag: string): Index {
  return withEcrAuthFile(
    (authFile) =>
      JSON.parse(
        execFileSync(
          'skopeo',
          ['inspect', '--raw', '--tls-verify=false', '--authfile', authFile, `docker://localhost:5002/${repo}:${tag}`],
          {
            encoding: 'utf8',
          },
        ),
      ) as Index,
  );
}

/** The MCR stand-in's index of the base now. */
function upstreamIndex(): Index {
  const [name, tag] = BASE.split(':');
  return JSON.parse(
    execFileSync('curl', ['-sf', '-H', `Accept: ${MANIFEST_ACCEPT}`, `http://localhost:5001/v2/${name}/manifests/${tag}`], {
      encoding: 'utf8',
    }),
  ) as Index;
}

function platformOf(entry: Index['manifests'][number]): string {
  const p = entry.platform!;
  return [p.os, p.architecture, ...(p.variant && !(p.architecture === 'arm64' && p.variant === 'v8') ? [p.variant] : [])].join('/');
}

/** Microsoft rebuilding the base for one platform: a new manifest for it in a new index under the same tag. */
function bumpPlatform(platform: string): void {
  execFileSync('bash', [path.join(REPO_ROOT, 'tools/local-stack/bump-base.sh'), BASE, '--platform', platform], { encoding: 'utf8' });
}

function check(): { stale: boolean; reason: string; message: string } {
  const { stale, reason, message } = recordsOf(ws, IMAGE).read('mcr-check');
  return { stale, reason, message };
}

beforeAll(() => {
  ws = createWorkspace([IMAGE], { realDotnet: true });
  repo = `${ws.prefix}/runtime`;
});

afterAll(() => ws?.dispose());

test('two platforms: each tested (natively, under emulation), published as one OCI index under the version tag, moving tags on it', async () => {
  const config = JSON.parse(readFileSync(path.join(ws.root, 'platform-images', IMAGE, 'platform-image.json'), 'utf8')) as {
    platforms?: string[];
  };
  expect(config.platforms).toEqual(['linux/amd64', 'linux/arm64']);
  const upstream = upstreamIndex();
  const baseManifest = (platform: string) => upstream.manifests.find((m) => m.platform && platformOf(m) === platform)!.digest;

  const run = nx(ws, ['run', 'net10-runtime:publish']);
  expectOk(run);
  expect(check()).toMatchObject({ stale: true, reason: 'nothing-published' });

  // Each platform FROM its own manifest of the checked index.
  for (const platform of ['linux/amd64', 'linux/arm64'])
    expect(run.output).toContain(`building 10.0-noble-1.0.0 for ${platform} FROM localhost:5001/${BASE}@${baseManifest(platform)}`);
  // How each was tested, in the log and the record.
  const native = /testing linux\/amd64 natively \(the engine is linux\/amd64\)/.exec(run.output);
  const emulated = /testing linux\/arm64 under emulation on this linux\/amd64 engine \(binfmt_misc qemu-aarch64[^)]*\)/.exec(run.output);
  const seconds = Object.fromEntries(
    [...run.output.matchAll(/(linux\/\w+) passed (natively|under emulation) in ([\d.]+)s/g)].map((m) => [m[1], Number(m[3])]),
  );
  console.log(`how each platform was tested:\n  ${native?.[0]}\n  ${emulated?.[0]}\n  seconds: ${JSON.stringify(seconds)}`);
  expect(native).not.toBeNull();
  expect(emulated).not.toBeNull();
  const test = recordsOf(ws, IMAGE).read('integration-test');
  expect(test.platforms?.map((p) => [p.platform, p.how, p.passed, p.status])).toEqual([
    ['linux/amd64', 'native', true, 200],
    ['linux/arm64', 'emulated', true, 200],
  ]);

  // One OCI index under the version tag, its platforms' manifests, the record in its annotations.
  const index = publishedManifest('10.0-noble-1.0.0');
  expect(index.mediaType).toBe(MEDIA_TYPES.ociIndex);
  expect(index.manifests.map((m) => [platformOf(m), m.mediaType])).toEqual([
    ['linux/amd64', MEDIA_TYPES.ociManifest],
    ['linux/arm64', MEDIA_TYPES.ociManifest],
  ]);
  expect(index.annotations).toMatchObject({
    [LABELS.baseName]: 'mcr.microsoft.com/dotnet/runtime:10.0-noble',
    [LABELS.baseDigest]: execFileSync(
      'bash',
      [
        '-c',
        `curl -sfI -H 'Accept: ${MANIFEST_ACCEPT}' http://localhost:5001/v2/dotnet/runtime/manifests/10.0-noble | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *//p' | tr -d '\\r\\n'`,
      ],
      { encoding: 'utf8' },
    ),
    [LABELS.basePlatformDigests]: `linux/amd64=${baseManifest('linux/amd64')},linux/arm64=${baseManifest('linux/arm64')}`,
  });
  // Each platform's image is that platform's, and records the per-platform bases in its labels.
  for (const entry of index.manifests) {
    type ImageConfig = { architecture: string; config: { Labels: Record<string, string> } };
    const config = withEcrAuthFile(
      (authFile) =>
        JSON.parse(
          execFileSync(
            'skopeo',
            ['inspect', '--config', '--tls-verify=false', '--authfile', authFile, `docker://localhost:5002/${repo}@${entry.digest}`],
            {
              encoding: 'utf8',
            },
          ),
        ) as ImageConfig,
    );
    expect(config.architecture).toBe(entry.platform!.architecture);
    expect(config.config.Labels[LABELS.basePlatformDigests]).toBe(index.annotations![LABELS.basePlatformDigests]);
  }
  // The moving tags point at the index.
  const digest = digestOf(repo, '10.0-noble-1.0.0');
  expect(recordsOf(ws, IMAGE).read('ecr-publish')).toMatchObject({ published: true, digest });
  for (const tag of ['latest', '10.0']) expect(digestOf(repo, tag)).toBe(digest);
  // No run tag is left: the per-platform staging tags are gone, the platform manifests stay (the index names them).
  expect(ecrTags(repo).filter((t) => t.startsWith('staging-'))).toEqual([]);
  const card = (await cards(ws)).at(-1)!;
  expect(cardFact(card, 'Platforms')).toBe(index.manifests.map((m) => `${platformOf(m)} (${m.digest})`).join(', '));
});

test('the base rebuilt only for linux/arm/v7, a platform not built: CURRENT, saying no built platform moved', () => {
  bumpPlatform('linux/arm/v7');
  const run = nx(ws, ['run', 'net10-runtime:publish']);
  expectOk(run);
  expect(check()).toMatchObject({ stale: false, reason: 'current' });
  expect(check().message).toMatch(
    /dotnet\/runtime:10\.0-noble moved from sha256:\w+ to sha256:\w+, but not for the platforms 10\.0-noble-1\.0\.0 is built for \(linux\/amd64, linux\/arm64: their manifests are the same\)/,
  );
  expect(recordsOf(ws, IMAGE).read('ecr-publish').published).toBe(false);
  expect(ecrTags(repo).filter((t) => t.startsWith('10.0-noble-'))).toEqual(['10.0-noble-1.0.0']);
});

test('the base rebuilt for linux/arm64: STALE, naming linux/arm64', () => {
  bumpPlatform('linux/arm64');
  const run = nx(ws, ['run', 'net10-runtime:mcr-check']);
  expectOk(run);
  expect(check()).toMatchObject({ stale: true, reason: 'base-moved' });
  expect(check().message).toMatch(
    /^mcr\.microsoft\.com\/dotnet\/runtime:10\.0-noble moved for linux\/arm64 from sha256:\w{12} to sha256:\w{12}$/,
  );
  expect(run.output).toMatch(/STALE \(base-moved\): .* moved for linux\/arm64 from/);
});

test('a changed platforms list is stale for that reason', () => {
  editJson(ws.root, `platform-images/${IMAGE}/platform-image.json`, (c: { platforms?: string[] }) => {
    c.platforms = ['linux/amd64'];
  });
  git(ws.root, ['commit', '-qam', 'amd64 only']);
  expectOk(nx(ws, ['run', 'net10-runtime:mcr-check']));
  expect(check()).toMatchObject({
    stale: true,
    reason: 'platforms-changed',
    message: 'platforms changed from linux/amd64, linux/arm64 to linux/amd64',
  });
});
