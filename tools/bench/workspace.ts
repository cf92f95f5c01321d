/**
 * The benchmark's throwaway workspaces: N tiny platform images, generated the same way for every N so the
 * 10- and 50-image workspaces hold exactly the first images of the 200-image one (same Dockerfiles, same
 * ECR repositories and tags). Whether an image is current is then decided by the registries alone.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Records, recordsDir, type CheckRecord } from '../../packages/nx-plugin/src/steps/records';

export const REPO_ROOT = path.resolve(__dirname, '../..');

/** The upstream bases the images build FROM, round-robin; `:c` is the one the "one base changed" pass moves. */
export const BASE_TAGS = ['a', 'b', 'c', 'd', 'e'] as const;
/** A base only the floor image uses, so bumping it makes exactly one image stale. */
export const FLOOR_BASE_TAG = 'floor';
/** Several images share a repository, as net6/net8/net10 share `runtime` in the real workspace. */
export const IMAGES_PER_REPOSITORY = 4;
/** Where the generated images live: project names come out as `bench-img-007`. */
export const IMAGES_DIR = 'platform-images/bench';

/**
 * The test apps of the many images: the busybox stand-ins (no .NET build), whose final stage the integration
 * test points at the new platform image. The images measure the product's overhead per image, not .NET.
 */
const TEST_APPS = [
  { app: 'integration-tests/net8-runtime-stand-in', replaceFrom: 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim' },
  { app: 'integration-tests/net10-runtime-stand-in', replaceFrom: 'mcr.microsoft.com/dotnet/runtime:10.0-noble' },
  { app: 'integration-tests/net6-stand-in', replaceFrom: 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim' },
] as const;

/**
 * The floor image's test app: the real .NET one of the .NET 8 runtime images, built with the SDK on the sdk
 * stand-in and run framework-dependent on the rebuilt image's own .NET, so the floor weighs what a real rebuild
 * weighs. The bases are the .NET 8 runtime stand-in (stack.ts).
 */
const FLOOR_TEST_APP = {
  app: 'integration-tests/net8-runtime',
  replaceFrom: 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim',
} as const;

export interface BaseRef {
  /** Repository in the MCR stand-in, e.g. `dotnet/bench-3fa9c1`; unique per bench run so runs never move each other's bases. */
  repository: string;
  tag: string;
}

export interface BenchImage {
  /** Folder name and ECR tag prefix, e.g. `img-007`. */
  name: string;
  /** Nx project name, e.g. `bench-img-007`. */
  project: string;
  /** Project root, e.g. `platform-images/bench/img-007`. */
  root: string;
  base: BaseRef;
  ecrRepository: string;
  /** Whether this image moves its repository's `latest` (only the first image of a repository does, as the generator decides). */
  movesLatest: boolean;
  testApp: (typeof TEST_APPS)[number] | typeof FLOOR_TEST_APP;
}

export function baseRepository(benchId: string): string {
  return `dotnet/bench-${benchId}`;
}

/** `mcr.microsoft.com/dotnet/bench-<id>:<tag>`: what a Dockerfile says; the workspace's registry mirror reroutes it to the stand-in. */
export function upstreamName(base: BaseRef): string {
  return `mcr.microsoft.com/${base.repository}:${base.tag}`;
}

function image(name: string, base: BaseRef, ecrRepository: string, movesLatest: boolean, testApp: BenchImage['testApp']): BenchImage {
  return { name, project: `bench-${name}`, root: `${IMAGES_DIR}/${name}`, base, ecrRepository, movesLatest, testApp };
}

/** The first `count` images of a bench run; image i is the same in every workspace of that run. */
export function planImages(benchId: string, count: number): BenchImage[] {
  return Array.from({ length: count }, (_, i) => {
    const repositoryIndex = Math.floor(i / IMAGES_PER_REPOSITORY);
    return image(
      `img-${String(i).padStart(3, '0')}`,
      { repository: baseRepository(benchId), tag: BASE_TAGS[i % BASE_TAGS.length] },
      `bench-${benchId}/r-${String(repositoryIndex).padStart(2, '0')}`,
      i % IMAGES_PER_REPOSITORY === 0,
      TEST_APPS[i % TEST_APPS.length],
    );
  });
}

/** The image the floor comparison rebuilds: alone on its base and in its repository. */
export function floorImage(benchId: string): BenchImage {
  return image(FLOOR_IMAGE, { repository: baseRepository(benchId), tag: FLOOR_BASE_TAG }, `bench-${benchId}/floor`, true, FLOOR_TEST_APP);
}

/**
 * A small hardened Dockerfile like the real ones: an ENV, a COPY (so every image's context differs) and the
 * base's non-root user. The bases derive from the .NET 8 stand-in, which ships the `app` user as APP_UID.
 */
export function dockerfileFor(img: BenchImage): string {
  if (img.name === FLOOR_IMAGE) return hardenedDockerfile(img);
  return [
    `FROM ${upstreamName(img.base)}`,
    '',
    `ENV PLATFORM_IMAGE=${img.name}`,
    'COPY motd /etc/platform-image/motd',
    'WORKDIR /app',
    'USER $APP_UID',
    '',
  ].join('\n');
}

/** The floor image's name: the one image whose rebuild is timed against Docker by hand. */
export const FLOOR_IMAGE = 'img-floor';

/**
 * What a hardened platform image's build does — OS packages from the distribution's mirror (certificates,
 * curl), a company CA trusted, an unprivileged user — so the timed rebuild weighs what real rebuilds weigh,
 * not a three-line Dockerfile whose build is over before a process starts.
 */
function hardenedDockerfile(img: BenchImage): string {
  return [
    `FROM ${upstreamName(img.base)}`,
    '',
    'RUN apt-get update \\',
    ' && apt-get install -y --no-install-recommends ca-certificates curl \\',
    ' && rm -rf /var/lib/apt/lists/*',
    'COPY company-root-ca.crt /usr/local/share/ca-certificates/company-root-ca.crt',
    'RUN update-ca-certificates',
    'RUN useradd --uid 1000 --create-home --shell /usr/sbin/nologin appuser',
    `ENV PLATFORM_IMAGE=${img.name}`,
    'WORKDIR /app',
    'USER 1000',
    '',
  ].join('\n');
}

export function platformImageJson(img: BenchImage): object {
  return {
    ecr: { repository: img.ecrRepository, tag: img.name, ...(img.movesLatest ? {} : { latest: false }) },
    integrationTest: { app: img.testApp.app, replaceFrom: img.testApp.replaceFrom },
  };
}

/** Writes one image's folder (what the generator would write, plus the small file its Dockerfile copies). */
export function writeImage(workspaceRoot: string, img: BenchImage): void {
  const dir = path.join(workspaceRoot, img.root);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'Dockerfile'), dockerfileFor(img));
  writeFileSync(path.join(dir, 'platform-image.json'), JSON.stringify(platformImageJson(img), null, 2) + '\n');
  writeFileSync(path.join(dir, '.dockerignore'), 'platform-image.json\nazure-pipelines.yml\n');
  writeFileSync(path.join(dir, 'motd'), `Platform image ${img.name}, built by the benchmark\n`);
  if (img.name === FLOOR_IMAGE) {
    // A throwaway self-signed CA standing in for the company's root certificate.
    const pem = execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=Company Root CA', '-days', '3650'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    writeFileSync(path.join(dir, 'company-root-ca.crt'), pem);
  }
}

export const MCR_MIRROR = 'http://localhost:5005';

/** The product plugin's options in nx.json: the fields the benchmark reads or sets. */
export interface PluginOptions {
  registryMirrors?: Record<string, string>;
  profiles?: Record<string, { registryMirrors?: Record<string, string>; testAppSubstitutes?: Record<string, string> }>;
}

/** A workspace's nx.json as the benchmark reads it: the plugins, the product's among them. */
export interface NxJsonFile {
  plugins: Array<{ plugin: string; options: PluginOptions }>;
}

/** The workspace's nx.json and, inside it (the same object), the product plugin's options. */
export function readNxJson(workspaceRoot: string): { file: string; nxJson: NxJsonFile; options: PluginOptions } {
  const file = path.join(workspaceRoot, 'nx.json');
  const nxJson = JSON.parse(readFileSync(file, 'utf8')) as NxJsonFile;
  const plugin = nxJson.plugins.find((p) => p.plugin === '@platform-images/nx-plugin');
  if (!plugin) throw new Error(`${file}: no @platform-images/nx-plugin among its plugins`);
  return { file, nxJson, options: plugin.options };
}

/**
 * nx.json of this checkout with every upstream request sent through the counting MCR proxy. The profile
 * sets it too: the local profile points MCR at the uncounted registry, and a profile wins over the workspace.
 */
function writeNxJson(workspaceRoot: string): void {
  const { file, nxJson, options } = readNxJson(workspaceRoot);
  options.registryMirrors = { 'mcr.microsoft.com': MCR_MIRROR };
  for (const profile of Object.values(options.profiles ?? {})) {
    profile.registryMirrors = { ...(profile.registryMirrors ?? {}), 'mcr.microsoft.com': MCR_MIRROR };
  }
  writeFileSync(file, JSON.stringify(nxJson, null, 2) + '\n');
}

export function git(cwd: string, args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=bench@example.invalid', '-c', 'user.name=bench', ...args], { cwd, encoding: 'utf8' });
}

/**
 * A workspace at `root` (replaced if it exists) holding `images`, made like the e2e suites' createWorkspace:
 * this checkout's configuration and test apps copied, node_modules and packages linked, its own git history.
 */
export function generateWorkspace(root: string, images: BenchImage[]): string {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  for (const entry of ['nx.json', 'package.json', 'tsconfig.base.json', 'tsconfig.json', 'integration-tests']) {
    cpSync(path.join(REPO_ROOT, entry), path.join(root, entry), { recursive: true });
  }
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  symlinkSync(path.join(REPO_ROOT, 'packages'), path.join(root, 'packages'));
  writeFileSync(path.join(root, '.gitignore'), 'node_modules\npackages\ndist\n.nx\n');
  writeNxJson(root);
  for (const img of images) writeImage(root, img);
  git(root, ['init', '-q', '-b', 'main']);
  git(root, ['add', '-A']);
  git(root, ['commit', '-qm', `benchmark workspace: ${images.length} platform images`]);
  return root;
}

/** Adds an image to an existing workspace, committed, as a developer adding a platform image would. */
export function addImage(root: string, img: BenchImage): void {
  writeImage(root, img);
  git(root, ['add', '-A']);
  git(root, ['commit', '-qm', `add ${img.name}`]);
}

/** What a cache-wiped run starts from: a fresh agent's checkout has neither Nx's cache nor earlier records. */
export function wipeNxState(root: string): void {
  for (const dir of ['.nx/cache', '.nx/workspace-data', 'dist']) rmSync(path.join(root, dir), { recursive: true, force: true });
}

/** The records the product wrote for an image in the last run, in `dist/<projectRoot>/` as every Nx run leaves them. */
export function recordsOf(root: string, img: Pick<BenchImage, 'root'>): Records {
  return new Records(recordsDir(root, img.root));
}

/** What mcr-check decided for an image in the last run (its Nx output record), undefined when it wrote none. */
export function checkRecordOf(root: string, img: Pick<BenchImage, 'root'>): CheckRecord | undefined {
  return recordsOf(root, img).find('mcr-check');
}

/** Projects by what the last check decided, from the records it wrote; `unchecked` wrote none (its check failed, or never ran). */
export interface CheckOutcomes {
  current: string[];
  stale: string[];
  unchecked: string[];
}

export function checkOutcomes(root: string, images: Array<Pick<BenchImage, 'project' | 'root'>>): CheckOutcomes {
  const outcomes: CheckOutcomes = { current: [], stale: [], unchecked: [] };
  for (const img of images) {
    const record = checkRecordOf(root, img);
    outcomes[!record ? 'unchecked' : record.stale ? 'stale' : 'current'].push(img.project);
  }
  return outcomes;
}

/** How far a run got through the images' chains, from the records their steps wrote: how many checked, built, tested, published. */
export function chainProgress(
  root: string,
  images: Array<Pick<BenchImage, 'root'>>,
): Record<'checked' | 'built' | 'tested' | 'published', number> {
  const progress = { checked: 0, built: 0, tested: 0, published: 0 };
  for (const img of images) {
    const records = recordsOf(root, img);
    if (records.find('mcr-check')) progress.checked++;
    if (records.find('docker-build')?.built) progress.built++;
    if (records.find('integration-test')?.passed) progress.tested++;
    if (records.find('ecr-publish')?.published) progress.published++;
  }
  return progress;
}
