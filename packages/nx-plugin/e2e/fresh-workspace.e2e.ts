/**
 * What a company does with the plugin, on Node 24 with the newest Nx the npm registry serves: the plugin packed
 * as it would be published (`npm pack`), a new workspace that has nothing of this repository, the tarball
 * installed by `nx add` (which runs the init generator), a test app and an image generated, and the image's
 * chain run against the local stack to a published version and a card.
 *
 * Last, the command line the Azure Pipelines templates run (`npx platform-images-azure …`) plans the run and
 * combines its summary there, as a pipeline would.
 *
 * The transcript of `nx add`, the generated nx.json and the run summary are kept in dist/fresh-workspace/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { applyEdits, modify } from 'jsonc-parser';
import { withoutColour } from '../../../tools/without-colour';
import { parseJson } from 'nx/src/utils/json';
import { SUMMARY_MARKDOWN } from '../src/plugin/run-summary';
import { Records, recordsDir } from '../src/steps/records';
import type { NxJsonFile } from './json-files';
import { cardFact, cards, ecrTags, expectOk, jsonIn, LOCAL_ENV, type NxRun, REPO_ROOT, SINK } from './support';

jest.setTimeout(30 * 60_000);

const PLUGIN = '@platform-images/nx-plugin';
const PLUGIN_DIR = path.join(REPO_ROOT, 'packages/nx-plugin');
const EVIDENCE = path.join(REPO_ROOT, 'dist/fresh-workspace');
const IMAGE_ROOT = 'platform-images/net10/runtime';

/** Node 24: test.sh exports it; a suite run on its own installs it the same way. */
const NODE24 = process.env.NODE24 || execFileSync('bash', [path.join(REPO_ROOT, 'tools/node24.sh')], { encoding: 'utf8' }).trim();

let root: string;
let prefix: string;
let webhookPath: string;
let env: NodeJS.ProcessEnv;
let nxVersion: string;

/** A command in the new workspace, on Node 24 (first on PATH, so npm, npx and nx run on it too). */
function run(command: string, args: string[], extraEnv: Record<string, string> = {}): NxRun {
  const result = spawnSync(command, args, { cwd: root, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 20 * 60_000 });
  return { code: result.status ?? -1, output: withoutColour(`${result.stdout}\n${result.stderr}`) };
}

const nx = (args: string[], extraEnv: Record<string, string> = {}) => run(path.join(root, 'node_modules/.bin/nx'), args, extraEnv);

function keep(file: string, content: string): void {
  mkdirSync(EVIDENCE, { recursive: true });
  writeFileSync(path.join(EVIDENCE, file), content);
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'platform-images-fresh-'));
  prefix = `e2e-${path.basename(root).split('-').pop()!.toLowerCase()}`;
  webhookPath = `/webhook/${prefix}`;
  // The machine's environment (its proxy and certificate settings among it) and the local stack's; no daemon
  // left behind, no Nx Cloud.
  env = {
    // npm's own variables for the command that started this suite are not the new workspace's.
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_'))),
    PATH: `${path.dirname(NODE24)}:${process.env.PATH}`,
    CI: 'true',
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    ...LOCAL_ENV,
    TEAMS_WEBHOOK_URI: `${SINK}${webhookPath}`,
  };
  nxVersion = execFileSync('npm', ['view', 'nx', 'dist-tags.latest'], { encoding: 'utf8', env }).trim();
}, 120_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

test('runs on Node 24 with the newest Nx', () => {
  expect(execFileSync(NODE24, ['--version'], { encoding: 'utf8' })).toMatch(/^v24\./);
  expect(Number(nxVersion.split('.')[0])).toBeGreaterThanOrEqual(24);
});

let tarball: string;

test('npm pack gives a package of the built plugin', () => {
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', root], {
      cwd: PLUGIN_DIR,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    }),
  ) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(root, packed[0].filename);
  const files = packed[0].files.map((file) => file.path);
  expect(files).toContain('dist/index.js');
  expect(files.filter((file) => file.endsWith('.ts') || file.includes('.spec.'))).toEqual([]);
});

test(`a new workspace with only nx: nx add ${PLUGIN} installs the package and runs init`, () => {
  writeFileSync(
    path.join(root, 'package.json'),
    JSON.stringify({ name: 'acme-platform-images', version: '0.0.0', private: true, devDependencies: { nx: nxVersion } }, null, 2) + '\n',
  );
  writeFileSync(
    path.join(root, 'nx.json'),
    JSON.stringify({ $schema: './node_modules/nx/schemas/nx-schema.json', defaultBase: 'main' }, null, 2) + '\n',
  );
  writeFileSync(path.join(root, '.gitignore'), 'node_modules\ndist\n.nx\n*.tgz\n');
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: root });
  expectOk(run('npm', ['install']), 'npm install');
  expect(expectOk(nx(['--version']), 'nx --version').output).toContain(nxVersion);

  const added = expectOk(nx(['add', `${PLUGIN}@file:${tarball}`]), 'nx add');
  const node = execFileSync(NODE24, ['--version'], { encoding: 'utf8' }).trim();
  keep('nx-add.txt', `$ nx add ${PLUGIN}@file:${path.basename(tarball)}    # Node ${node}, nx ${nxVersion}\n${added.output.trim()}\n`);
  expect(added.output).toContain(`nx.json: added plugins: ${PLUGIN} and namedInputs.platformImage`);
  expect(added.output).toMatch(new RegExp(`Package ${PLUGIN.replace('/', '\\/')} added successfully`));

  const nxJsonText = readFileSync(path.join(root, 'nx.json'), 'utf8');
  keep('nx.json', nxJsonText);
  expect(nxJsonText).toContain('// Where the projects are');
  const nxJson = parseJson<NxJsonFile & { namedInputs: Record<string, unknown> }>(nxJsonText, { expectComments: true });
  expect(nxJson.plugins).toEqual([expect.objectContaining({ plugin: PLUGIN })]);
  expect(nxJson.namedInputs.platformImage).toEqual(['{projectRoot}/**/*']);
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  expect(manifest.devDependencies[PLUGIN]).toMatch(/^file:/);
  // Installed as a package: the build only, with its own dependencies.
  const installed = path.join(root, 'node_modules', PLUGIN);
  expect(
    readdirSync(installed)
      .filter((entry) => entry !== 'node_modules')
      .sort(),
  ).toEqual(['README.md', 'bin', 'dist', 'executors.json', 'generators.json', 'migrations.json', 'package.json']);
});

test('generates a test app and an image; nx shows the chain under its target group', () => {
  expectOk(nx(['g', `${PLUGIN}:test-app`, 'net10', '--kind=runtime', '--no-interactive']), 'nx g test-app');
  const generated = expectOk(
    nx(['g', `${PLUGIN}:platform-image`, 'net10', 'runtime', `--repository=${prefix}/runtime`, '--no-interactive']),
    'nx g platform-image',
  );
  expect(generated.output).toContain(`CREATE ${IMAGE_ROOT}/platform-image.json`);
  const config = JSON.parse(readFileSync(path.join(root, IMAGE_ROOT, 'platform-image.json'), 'utf8')) as { $schema: string };
  expect(config.$schema).toBe(`../../../node_modules/${PLUGIN}/dist/schemas/platform-image.schema.json`);
  expect(JSON.parse(readFileSync(path.join(root, IMAGE_ROOT, config.$schema), 'utf8'))).toMatchObject({ title: 'platform-image.json' });

  const project = jsonIn(expectOk(nx(['show', 'project', 'net10-runtime', '--json']), 'nx show project').output) as {
    targets: Record<string, { executor: string }>;
    implicitDependencies: string[];
    metadata: { targetGroups: Record<string, string[]> };
  };
  expect(project.metadata.targetGroups).toEqual({
    'Platform image': ['mcr-check', 'docker-build', 'integration-test', 'ecr-publish', 'teams-notify', 'publish'],
  });
  expect(project.targets['mcr-check'].executor).toBe(`${PLUGIN}:mcr-check`);
  expect(project.implicitDependencies).toEqual(['test-app-net10-runtime']);
});

test('nx run net10-runtime:publish against the local stack publishes 10.0-noble-1.0.0 and sends its card', async () => {
  // Where the run happens is configuration: a profile pointing at the local stack, as the repository's own.
  const repoProfile = parseJson<NxJsonFile>(readFileSync(path.join(REPO_ROOT, 'nx.json'), 'utf8')).plugins[0].options.profiles
    .local as Record<string, unknown>;
  // The test apps here are the generated ones, real .NET apps: no substitutes.
  const local = Object.fromEntries(Object.entries(repoProfile).filter(([key]) => key !== 'testAppSubstitutes'));
  const nxJsonFile = path.join(root, 'nx.json');
  const text = readFileSync(nxJsonFile, 'utf8');
  writeFileSync(
    nxJsonFile,
    applyEdits(
      text,
      modify(text, ['plugins', 0, 'options', 'profiles', 'local'], local, { formattingOptions: { insertSpaces: true, tabSize: 2 } }),
    ),
  );

  const published = nx(['run', 'net10-runtime:publish', '--outputStyle=stream'], { PLATFORM_IMAGES_PROFILE: 'local' });
  keep('publish.txt', published.output);
  expectOk(published, 'nx run net10-runtime:publish');
  const records = new Records(recordsDir(root, IMAGE_ROOT));
  expect(records.read('mcr-check')).toMatchObject({ stale: true, reason: 'nothing-published' });
  const publish = records.read('ecr-publish');
  expect(publish).toMatchObject({ published: true, versionTag: '10.0-noble-1.0.0' });
  expect(ecrTags(`${prefix}/runtime`)).toEqual(expect.arrayContaining(['10.0-noble-1.0.0', 'latest', '10.0']));
  const sent = await cards({ webhookPath });
  expect(sent).toHaveLength(1);
  expect(cardFact(sent[0], 'Image')).toContain(`${prefix}/runtime:10.0-noble-1.0.0`);

  const summary = readFileSync(path.join(root, 'dist', SUMMARY_MARKDOWN), 'utf8');
  keep('summary.md', summary);
  expect(summary).toContain('net10-runtime');
  expect(summary).toContain('10.0-noble-1.0.0');
});

test('the command line the Azure Pipelines templates run: plan, base-sha and combine-summaries, as the templates call them', () => {
  // As fan-out.yml's plan job: every image with the publish target, as a matrix and a count.
  const planned = expectOk(run('npx', ['platform-images-azure', 'plan', '--target=publish', '--shards=0']), 'platform-images-azure plan');
  keep('azure-plan.txt', planned.output);
  expect(planned.output).toContain('1 platform image(s) selected for publish (all):');
  expect(planned.output).toContain('##vso[task.setvariable variable=matrix;isOutput=true]{"net10_runtime":{"project":"net10-runtime"}}');
  expect(planned.output).toContain('##vso[task.setvariable variable=count;isOutput=true]1');

  // As base.yml without the job's OAuth token: the fallback base, with a warning.
  const base = expectOk(run('npx', ['platform-images-azure', 'base-sha', '--branch=refs/heads/main']), 'platform-images-azure base-sha');
  expect(base.output).toContain('##vso[task.setvariable variable=PLATFORM_IMAGES_BASE]HEAD~1');

  // As the summary job: the image job's dist/ as its downloaded artifact, and one more image the plan expected.
  const out = path.join(root, 'staging/platform-images-summary.md');
  const combined = expectOk(
    run('npx', ['platform-images-azure', 'combine-summaries', `--dir=${path.join(root, 'dist')}`, `--out=${out}`], {
      EXPECTED_MATRIX: JSON.stringify({ net10_runtime: { project: 'net10-runtime' }, net10_sdk: { project: 'net10-sdk' } }),
    }),
    'platform-images-azure combine-summaries',
  );
  expect(combined.output).toContain('2 image(s) in the run summary');
  const table = readFileSync(out, 'utf8');
  keep('azure-summary.md', table);
  expect(table).toContain('10.0-noble-1.0.0');
  expect(table).toMatch(/net10-sdk[^\n]*no summary/);
  expect(readFileSync(path.join(root, 'staging/platform-images-status.html'), 'utf8')).toContain('net10-runtime');
});
