/**
 * Builds the plugin into dist/, the JavaScript Nx loads (package.json `main`, executors.json, generators.json):
 * the TypeScript of src/ compiled by tsc, incrementally (only what changed since the last build is emitted
 * again), the files the plugin reads at run time (schemas, generator templates) and the JSON Schemas of
 * platform-image.json and test-app.json (src/schemas/, which editors read) copied beside it, the workspace's
 * Azure Pipelines templates (.azure-pipelines/, which the init generator copies) in dist/azure-pipelines, what deleted
 * sources left in dist/ removed, and last a digest of the sources, in dist/.sources.sha256.
 *
 *   node packages/nx-plugin/scripts/build.mjs               # build (the project's `build` target, npm run build:plugin)
 *   node packages/nx-plugin/scripts/build.mjs --if-stale    # build only when the sources' digest is not dist's
 *   node packages/nx-plugin/scripts/build.mjs digest [root] # print the sources' digest, and dist's on a second line
 *
 * Nx loads the plugin to build the project graph, so it is built before any `nx` command (tools/install-deps.sh
 * runs this with --if-stale). Freshness is decided by content, never by file times: a checkout gives every file
 * it writes the time of the checkout.
 *
 * executors.json and generators.json name their modules with `.js`: for a plugin that is a project of the
 * workspace, Nx looks for the source of a path first, and `./dist/executors/x/executor` would find
 * src/executors/x/executor.ts and load the TypeScript. Schemas it does take from src/ then (the same files).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(import.meta.url);
const PLUGIN_ROOT = path.resolve(path.dirname(SCRIPT), '..');
const DIGEST_FILE = '.sources.sha256';
/** tsc's record of the last build (tsconfig.build.json), which makes the next one incremental. */
const BUILD_INFO = '.tsbuildinfo';

function filesUnder(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
}

/**
 * The workspace's Azure Pipelines templates, which the init generator copies into a workspace that asks for
 * them: shipped in dist/azure-pipelines, so the package carries the same files this repository runs.
 */
const PIPELINES = '../../.azure-pipelines';
const PIPELINES_IN_DIST = 'azure-pipelines';

/** What the build reads, as project.json's `build` inputs name it: src/ without the unit tests, the pipelines, and the build's configuration. */
function inputs(root) {
  const src = filesUnder(path.join(root, 'src')).filter((file) => !file.endsWith('.spec.ts'));
  const pipelines = fs.existsSync(path.join(root, PIPELINES)) ? filesUnder(path.join(root, PIPELINES)) : [];
  const config = ['tsconfig.build.json', '../../tsconfig.base.json', 'scripts/build.mjs'].map((file) => path.join(root, file));
  return [...src, ...pipelines, ...config.filter((file) => fs.existsSync(file))].sort();
}

/** A digest of the inputs' names and contents (times play no part). */
export function sourcesDigest(root = PLUGIN_ROOT) {
  const hash = createHash('sha256');
  for (const file of inputs(root)) hash.update(path.relative(root, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  return hash.digest('hex');
}

/** The digest the last complete build recorded, undefined when there is none. */
export function builtDigest(root = PLUGIN_ROOT) {
  try {
    return fs.readFileSync(path.join(root, 'dist', DIGEST_FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The source a file of dist/ comes from: `x.js` and `x.js.map` from `x.ts`, anything else from itself. */
function sourceOf(root, distFile) {
  const relative = path.relative(path.join(root, 'dist'), distFile);
  if (relative.startsWith(PIPELINES_IN_DIST + path.sep)) return path.join(root, PIPELINES, path.relative(PIPELINES_IN_DIST, relative));
  return path.join(root, 'src', relative.replace(/\.js(\.map)?$/, '.ts'));
}

export function build(root = PLUGIN_ROOT) {
  const src = path.join(root, 'src');
  const dist = path.join(root, 'dist');
  // Until the build completes, dist/ is not current.
  fs.rmSync(path.join(dist, DIGEST_FILE), { force: true });
  execFileSync(
    process.execPath,
    [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')],
    {
      stdio: 'inherit',
    },
  );
  for (const file of filesUnder(src).filter((f) => !f.endsWith('.ts'))) {
    const target = path.join(dist, path.relative(src, file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(file, target);
  }
  if (fs.existsSync(path.join(root, PIPELINES))) {
    fs.cpSync(path.join(root, PIPELINES), path.join(dist, PIPELINES_IN_DIST), { recursive: true });
  }
  for (const file of filesUnder(dist)) {
    if (path.dirname(file) === dist && path.basename(file) === BUILD_INFO) continue;
    if (!fs.existsSync(sourceOf(root, file))) fs.rmSync(file);
  }
  fs.writeFileSync(path.join(dist, DIGEST_FILE), `${sourcesDigest(root)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === SCRIPT) {
  const args = process.argv.slice(2);
  if (args[0] === 'digest') {
    const root = path.resolve(args[1] ?? PLUGIN_ROOT);
    process.stdout.write(`${sourcesDigest(root)}\n${builtDigest(root) ?? ''}\n`);
    process.exit(0);
  }
  const unknown = args.filter((arg) => arg !== '--if-stale');
  if (unknown.length) {
    console.error(`unknown argument ${unknown[0]}; usage: build.mjs [--if-stale] | build.mjs digest [root]`);
    process.exit(2);
  }
  if (args.includes('--if-stale') && builtDigest() === sourcesDigest()) process.exit(0);
  try {
    build();
  } catch (error) {
    // tsc has printed what failed.
    console.error(`the nx plugin did not build: ${error.message.split('\n')[0]}`);
    process.exit(1);
  }
}
