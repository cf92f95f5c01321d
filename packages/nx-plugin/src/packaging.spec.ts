/**
 * What Nx loads of the plugin is its build (scripts/build.mjs, the project's `build` target): package.json `main`
 * and what executors.json and generators.json name are files of dist/, made from the sources beside this test.
 * Nx's own resolution is asked (nx 22.7.8's internals, as `nx run`, `nx g` and the project graph call them).
 */
import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { satisfies } from 'semver';
import * as path from 'node:path';
import type { ProjectConfiguration } from '@nx/devkit';
import { getExecutorInformation } from 'nx/src/devkit-internals';
import { getGeneratorInformation } from 'nx/src/command-line/generate/generator-utils';
import { getImplementationPath, readMigrationCollection } from 'nx/src/command-line/migrate/migrate';
import { getPluginPathAndName } from 'nx/src/project-graph/plugins/resolve-plugin';
import { retrieveProjectConfigurationsWithoutPluginInference } from 'nx/src/project-graph/utils/retrieve-workspace-files';

const PLUGIN_DIR = path.resolve(__dirname, '..');
const WORKSPACE = path.resolve(PLUGIN_DIR, '../..');
const BUILD = path.join(PLUGIN_DIR, 'scripts/build.mjs');
/** The build's own answer: the digest of the sources under `root`, and the one its dist/ records ('' for none). */
function digests(root = PLUGIN_DIR): { sources: string; built: string } {
  const [sources, built] = execFileSync(process.execPath, [BUILD, 'digest', root], { encoding: 'utf8' }).split('\n');
  return { sources, built };
}
const sourcesDigest = (root?: string) => digests(root).sources;

const readJson = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;
interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  main: string;
  bin: Record<string, string>;
  executors: string;
  generators: string;
  files: string[];
  engines: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  'nx-migrations': { migrations: string };
}
const pkg = readJson<PackageJson>(path.join(PLUGIN_DIR, 'package.json'));
const executors = readJson<{
  executors: Record<string, { implementation: string; batchImplementation?: string; schema: string; preferBatch?: boolean }>;
}>(path.join(PLUGIN_DIR, pkg.executors)).executors;
const generators = readJson<{ generators: Record<string, { factory: string; schema: string }> }>(
  path.join(PLUGIN_DIR, pkg.generators),
).generators;

/** A module as Node loads it (the built JavaScript), or its TypeScript source through Jest. */
type Loaded = { default: { name: string }; createNodesV2: [string, unknown]; postTasksExecution: unknown };
const load = (file: string) => jest.requireActual<Loaded>(file);

/** The workspace's projects as Nx sees them before any plugin runs (the plugin itself among them). */
let projects: Record<string, ProjectConfiguration>;

beforeAll(async () => {
  // A no-op when dist/ is current (by a digest of the sources); a build from nothing takes about 10 s.
  execFileSync(process.execPath, [BUILD, '--if-stale'], { stdio: 'inherit' });
  const byRoot = await retrieveProjectConfigurationsWithoutPluginInference(WORKSPACE);
  projects = Object.fromEntries(Object.values(byRoot).map((project) => [project.name!, project]));
}, 120_000);

/** The files under `dir`, relative to it, in order. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** The TypeScript source a file of dist/ is compiled from. */
const sourceOf = (built: string) =>
  path.join(PLUGIN_DIR, 'src', path.relative(path.join(PLUGIN_DIR, 'dist'), built).replace(/\.js$/, '.ts'));

describe('the built plugin', () => {
  test('is a project of this workspace, named as its package, with a cacheable build into dist/', () => {
    // Named in project.json too: without it, Nx names the project after its folder when plugins run in-process
    // (NX_ISOLATE_PLUGINS=false, as the scripts run nx) and after package.json otherwise.
    expect(readJson<{ name: string }>(path.join(PLUGIN_DIR, 'project.json')).name).toBe(pkg.name);
    expect(projects[pkg.name]).toMatchObject({ root: 'packages/nx-plugin' });
    expect(projects[pkg.name].targets!.build).toMatchObject({ outputs: ['{projectRoot}/dist'], cache: true });
  });

  test('package.json main is what Nx loads as the plugin: the compiled createNodes, no TypeScript', () => {
    const { pluginPath, shouldRegisterTSTranspiler } = getPluginPathAndName(pkg.name, [WORKSPACE], projects, WORKSPACE);
    expect(pluginPath).toBe(path.join(PLUGIN_DIR, 'dist/index.js'));
    expect(path.join(PLUGIN_DIR, pkg.main)).toBe(pluginPath);
    expect(shouldRegisterTSTranspiler).toBe(false);
    const built = load(pluginPath);
    expect(built.createNodesV2[0]).toBe(load('./index').createNodesV2[0]);
    expect(typeof built.createNodesV2[1]).toBe('function');
    expect(typeof built.postTasksExecution).toBe('function');
  });

  test.each(Object.keys(executors))('executor %s runs from dist/, in batches Nx prefers, its schema copied there', (name) => {
    const entry = executors[name];
    const file = path.join(PLUGIN_DIR, entry.implementation);
    // Named with `.js`: for a plugin that is a project of the workspace, Nx first tries the path without the
    // dist/ prefix under src/ with `.ts` added, and an extensionless name would load the TypeScript.
    expect(entry).toEqual(
      expect.objectContaining({
        implementation: `./dist/executors/${name}/executor.js`,
        batchImplementation: `${entry.implementation}#batch`,
        preferBatch: true,
      }),
    );
    const info = getExecutorInformation(pkg.name, name, WORKSPACE, projects);
    const source = load(sourceOf(file));
    expect(info.implementationFactory()).toBe(load(file).default);
    expect(info.implementationFactory().name).toBe(source.default.name);
    expect(typeof info.batchImplementationFactory!()).toBe('function');
    // Nx reads a workspace project's schema from src/ and an installed plugin's from dist/: the same file.
    expect(entry.schema).toBe(`./dist/executors/${name}/schema.json`);
    expect(readFileSync(path.join(PLUGIN_DIR, entry.schema), 'utf8')).toBe(
      readFileSync(path.join(PLUGIN_DIR, 'src/executors', name, 'schema.json'), 'utf8'),
    );
  });

  test.each(Object.keys(generators))('generator %s runs from dist/, with its schema and templates copied there', (name) => {
    const entry = generators[name];
    const file = path.join(PLUGIN_DIR, entry.factory);
    expect(entry.factory).toBe(`./dist/generators/${name}/generator.js`);
    const info = getGeneratorInformation(pkg.name, name, WORKSPACE, projects);
    expect(info.implementationFactory()).toBe(load(file).default);
    expect(info.implementationFactory().name).toBe(load(sourceOf(file)).default.name);
    expect(entry.schema).toBe(`./dist/generators/${name}/schema.json`);
    // The schema and the templates the generator writes from (files/, beside its module).
    const assets = (root: string) =>
      filesUnder(path.join(root, 'generators', name))
        .filter((file) => !/\.(js|js\.map|ts)$/.test(file))
        .map((file) => [file, readFileSync(path.join(root, 'generators', name, file), 'utf8')]);
    expect(assets(path.join(PLUGIN_DIR, 'dist'))).toEqual(assets(path.join(PLUGIN_DIR, 'src')));
    expect(assets(path.join(PLUGIN_DIR, 'dist')).map(([file]) => file)).toContain('schema.json');
  });

  test('every executor and generator of src/ is registered', () => {
    const folders = (dir: string) =>
      readdirSync(path.join(PLUGIN_DIR, 'src', dir), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort();
    expect(Object.keys(executors).sort()).toEqual(folders('executors'));
    expect(Object.keys(generators).sort()).toEqual(folders('generators'));
  });
});

describe('freshness', () => {
  test('dist/ records the digest of the sources it was built from', () => {
    const { sources, built } = digests();
    expect(built).toBe(sources);
  });

  test('the digest follows the sources, not file times, and leaves the unit tests out', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'plugin-digest-'));
    try {
      const plugin = path.join(root, 'packages/p');
      mkdirSync(path.join(plugin, 'src/lib'), { recursive: true });
      writeFileSync(path.join(root, 'tsconfig.base.json'), '{}');
      writeFileSync(path.join(plugin, 'tsconfig.build.json'), '{}');
      writeFileSync(path.join(plugin, 'src/lib/a.ts'), 'export const a = 1;\n');
      writeFileSync(path.join(plugin, 'src/lib/schema.json'), '{}');
      const before = sourcesDigest(plugin);
      utimesSync(path.join(plugin, 'src/lib/a.ts'), new Date(0), new Date(0));
      writeFileSync(path.join(plugin, 'src/lib/a.spec.ts'), 'test.todo("a");\n');
      expect(sourcesDigest(plugin)).toBe(before);
      for (const [file, content] of [
        ['src/lib/a.ts', 'export const a = 2;\n'],
        ['src/lib/schema.json', '{"type": "object"}'],
        ['tsconfig.build.json', '{"compilerOptions": {}}'],
        ['../../tsconfig.base.json', '{"compilerOptions": {}}'],
      ]) {
        const previous = sourcesDigest(plugin);
        writeFileSync(path.join(plugin, file), content);
        expect(sourcesDigest(plugin)).not.toBe(previous);
      }
      cpSync(path.join(plugin, 'src/lib/a.ts'), path.join(plugin, 'src/lib/b.ts'));
      expect(sourcesDigest(plugin)).not.toBe(before);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

/** npm's own list of the files a pack would hold (nothing is written or sent). */
function packedFiles(): string[] {
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: PLUGIN_DIR, encoding: 'utf8' }),
  ) as Array<{ files: Array<{ path: string }> }>;
  return packed.files.map((file) => file.path);
}

describe('a package any workspace can install', () => {
  test('is published, versioned, and asks for the Nx it runs with as a peer: 22 up to the newest major', () => {
    expect(pkg.private).toBeUndefined();
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
    for (const peer of ['nx', '@nx/devkit']) {
      const range = pkg.peerDependencies[peer];
      expect([peer, ['22.0.0', '22.7.8', '24.0.6'].map((version) => satisfies(version, range))]).toEqual([peer, [true, true, true]]);
      expect([peer, satisfies('21.6.0', range)]).toEqual([peer, false]);
      expect(pkg.dependencies[peer]).toBeUndefined();
    }
    const installed = readJson<{ version: string }>(require.resolve('nx/package.json')).version;
    expect([installed, satisfies(installed, pkg.peerDependencies.nx)]).toEqual([installed, true]);
  });

  test("declares every package its built code loads: Node's own, a dependency, or a peer", () => {
    const loaded = new Set<string>();
    for (const file of filesUnder(path.join(PLUGIN_DIR, 'dist')).filter((f) => f.endsWith('.js'))) {
      const code = readFileSync(path.join(PLUGIN_DIR, 'dist', file), 'utf8');
      for (const [, name] of code.matchAll(/\brequire\(["']([^"'.][^"']*)["']\)|\bimport\(["']([^"'.][^"']*)["']\)/g)) {
        if (name) loaded.add(name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]);
      }
    }
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    const undeclared = [...loaded].filter((name) => !name.startsWith('node:') && !builtinModules.includes(name) && !declared.has(name));
    expect(undeclared).toEqual([]);
    expect([...loaded].filter((name) => declared.has(name)).sort()).toEqual(
      expect.arrayContaining(['@aws-sdk/client-ecr', '@nx/devkit', 'zx']),
    );
  });

  test('ships dist/ and its manifests only: no sources, specs, maps or build records; a README and migrations', () => {
    const files = packedFiles();
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'executors.json',
        'generators.json',
        'migrations.json',
        'dist/index.js',
        'dist/generators/init/generator.js',
        'dist/azure-pipelines/templates/platform-image.yml',
        'dist/azure/cli.js',
        'bin/platform-images-azure.js',
      ]),
    );
    expect(
      files.filter((file) => !/^(dist\/|package\.json$|README\.md$|(executors|generators|migrations)\.json$|bin\/)/.test(file)),
    ).toEqual([]);
    expect(files.filter((file) => /\.(ts|map|tsbuildinfo)$|\.spec\.|\.sources\.sha256$/.test(file))).toEqual([]);
  });

  test('nx migrate finds its migrations (none yet), and would run one a later release adds', () => {
    const { collection, collectionPath } = readMigrationCollection(pkg.name, WORKSPACE);
    expect(collectionPath).toBe(path.join(PLUGIN_DIR, pkg['nx-migrations'].migrations));
    expect(collection).toEqual({ name: pkg.name, generators: {}, packageJsonUpdates: {} });
    // The same wiring with one migration, as a release would add it: Nx resolves its module beside the file.
    const root = mkdtempSync(path.join(tmpdir(), 'plugin-migrations-'));
    try {
      writeFileSync(
        path.join(root, 'migrations.json'),
        JSON.stringify({ generators: { 'rename-option': { version: '0.3.0', implementation: './m/rename-option' } } }),
      );
      mkdirSync(path.join(root, 'm'));
      writeFileSync(path.join(root, 'm/rename-option.js'), 'exports.default = () => {};\n');
      const collectionFile = path.join(root, 'migrations.json');
      const { path: implementation, fnSymbol } = getImplementationPath(readJson(collectionFile), collectionFile, 'rename-option', '0.3.0');
      expect([implementation, fnSymbol]).toEqual([path.join(root, 'm/rename-option.js'), 'default']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('what the package ships', () => {
  test("the config files' JSON Schemas, built into dist/schemas/, where a generated $schema names them", () => {
    const files = packedFiles();
    expect(files).toEqual(expect.arrayContaining(['dist/schemas/platform-image.schema.json', 'dist/schemas/test-app.schema.json']));
    for (const schema of ['platform-image', 'test-app'])
      expect(readFileSync(path.join(PLUGIN_DIR, 'dist/schemas', `${schema}.schema.json`), 'utf8')).toBe(
        readFileSync(path.join(PLUGIN_DIR, 'src/schemas', `${schema}.schema.json`), 'utf8'),
      );
    expect(files.filter((file) => file.endsWith('.spec.js') || file.endsWith('.ts') || file.endsWith('.tsbuildinfo'))).toEqual([]);
  });
});

describe('the command line the Azure Pipelines templates run', () => {
  test('package.json bin names platform-images-azure, a file outside dist/ that loads the built CLI', () => {
    expect(pkg.bin).toEqual({ 'platform-images-azure': './bin/platform-images-azure.js' });
    // npm links a bin only when its file exists at install time: this one does before dist/ is built.
    const bin = readFileSync(path.join(PLUGIN_DIR, pkg.bin['platform-images-azure']), 'utf8');
    expect(bin).toMatch(/^#!\/usr\/bin\/env node\n/);
    expect(bin).toContain("import('../dist/azure/cli.js')");
    expect(typeof jest.requireActual<{ main: unknown }>(path.join(PLUGIN_DIR, 'dist/azure/cli.js')).main).toBe('function');
  });

  test('runs from the package: the usage, and a command that fails as a pipeline step does', () => {
    const bin = path.join(PLUGIN_DIR, pkg.bin['platform-images-azure']);
    const help = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(help).toMatch(/^usage: platform-images-azure <command>/);
    for (const command of ['plan', 'base-sha', 'combine-summaries']) expect(help).toContain(`  ${command} `);
    expect(() => execFileSync(process.execPath, [bin, 'plan', '--nope'], { encoding: 'utf8', stdio: 'pipe' })).toThrow(
      /exit code|status 1|failed/i,
    );
  });
});
