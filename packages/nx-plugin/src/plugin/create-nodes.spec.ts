import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { CreateNodesContextV2, CreateNodesResult, TargetConfiguration } from '@nx/devkit';
import { createNodesV2, imageTargets, pluginProjectIn, projectNameFor, STEPS } from './create-nodes';

const IMAGE_FILE = 'platform-images/net6/runtime/platform-image.json';
const TEST_APP_FILE = 'integration-tests/net6/test-app.json';

let root: string;

function write(rel: string, content: string): void {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

async function createNodes(
  files: string[],
  workspaceRoot = root,
  options?: unknown,
  nxJsonConfiguration: CreateNodesContextV2['nxJsonConfiguration'] = {},
): Promise<Record<string, CreateNodesResult>> {
  const context: CreateNodesContextV2 = { nxJsonConfiguration, workspaceRoot };
  const results = await createNodesV2[1](files, options, context);
  return Object.fromEntries(results.map(([file, result]) => [file, result]));
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'create-nodes-spec-'));
  write(
    IMAGE_FILE,
    JSON.stringify({
      ecr: { repository: 'runtime', tag: '6.0-bullseye-slim' },
      integrationTest: { app: 'integration-tests/net6/', replaceFrom: 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim' },
    }),
  );
  write(TEST_APP_FILE, JSON.stringify({ port: 8080 }));
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('createNodesV2', () => {
  it('is handed every image and test app config of the workspace; the layout in the options picks the projects', async () => {
    expect(createNodesV2[0]).toBe('**/{platform-image.json,test-app.json}');
    const stray = ['platform-images/net6/platform-image.json', 'integration-tests/net6/sub/test-app.json', 'docs/platform-image.json'];
    const nodes = await createNodes([IMAGE_FILE, TEST_APP_FILE, ...stray]);
    expect(Object.keys(nodes)).toEqual([IMAGE_FILE, TEST_APP_FILE]);
  });

  it('infers the image project and the test app project', async () => {
    const nodes = await createNodes([IMAGE_FILE, TEST_APP_FILE]);
    expect(Object.keys(nodes)).toEqual([IMAGE_FILE, TEST_APP_FILE]);

    const image = nodes[IMAGE_FILE].projects!['platform-images/net6/runtime'];
    expect(image).toMatchObject({
      name: 'net6-runtime',
      root: 'platform-images/net6/runtime',
      projectType: 'application',
      tags: ['type:platform-image', 'dotnet:net6'],
      implicitDependencies: ['test-app-net6'],
    });
    expect(Object.keys(image.targets!)).toEqual([...STEPS, 'publish']);

    const app = nodes[TEST_APP_FILE].projects!['integration-tests/net6'];
    expect(app).toEqual({
      name: 'test-app-net6',
      root: 'integration-tests/net6',
      projectType: 'application',
      tags: ['type:test-app'],
      targets: {},
    });
  });

  it('chains the targets with dependsOn and caches all but the check; the steps after it share one executor, naming their step', async () => {
    const targets = (await createNodes([IMAGE_FILE]))[IMAGE_FILE].projects!['platform-images/net6/runtime'].targets!;
    const summary = Object.fromEntries(
      Object.entries(targets).map(([name, t]) => [
        name,
        { executor: t.executor, options: t.options as unknown, dependsOn: t.dependsOn, cache: t.cache },
      ]),
    );
    expect(summary).toEqual({
      'mcr-check': { executor: '@platform-images/nx-plugin:mcr-check', options: undefined, dependsOn: [], cache: false },
      'docker-build': {
        executor: '@platform-images/nx-plugin:step',
        options: { step: 'docker-build' },
        dependsOn: ['mcr-check'],
        cache: true,
      },
      'integration-test': {
        executor: '@platform-images/nx-plugin:step',
        options: { step: 'integration-test' },
        dependsOn: ['docker-build'],
        cache: true,
      },
      'ecr-publish': {
        executor: '@platform-images/nx-plugin:step',
        options: { step: 'ecr-publish' },
        dependsOn: ['integration-test'],
        cache: true,
      },
      'teams-notify': {
        executor: '@platform-images/nx-plugin:step',
        options: { step: 'teams-notify' },
        dependsOn: ['ecr-publish'],
        cache: true,
      },
      publish: { executor: 'nx:noop', options: undefined, dependsOn: ['teams-notify'], cache: undefined },
    });
  });

  it("declares inputs from the previous steps' records and the test app", async () => {
    const targets = (await createNodes([IMAGE_FILE]))[IMAGE_FILE].projects!['platform-images/net6/runtime'].targets!;
    // The check's record only: the later steps' records follow from it (see records.ts).
    const later = [{ dependentTasksOutputFiles: '**/mcr-check.json', transitive: true }];
    expect(targets['mcr-check'].inputs).toBeUndefined();
    expect(targets['docker-build'].inputs).toEqual(['{projectRoot}/**/*', { env: 'PLATFORM_IMAGES_PROFILE' }, ...later]);
    expect(targets['integration-test'].inputs).toEqual([
      '{projectRoot}/**/*',
      { env: 'PLATFORM_IMAGES_PROFILE' },
      ...later,
      '{workspaceRoot}/integration-tests/net6/**/*',
    ]);
    expect(targets['ecr-publish'].inputs).toEqual(['{projectRoot}/**/*', { env: 'PLATFORM_IMAGES_PROFILE' }, ...later]);
    expect(targets['teams-notify'].inputs).toEqual(['{projectRoot}/**/*', { env: 'PLATFORM_IMAGES_PROFILE' }, ...later]);
  });

  it("writes each step's record under dist/<projectRoot>", async () => {
    const targets = (await createNodes([IMAGE_FILE]))[IMAGE_FILE].projects!['platform-images/net6/runtime'].targets!;
    for (const step of STEPS) expect(targets[step].outputs).toEqual([`{workspaceRoot}/dist/{projectRoot}/${step}.json`]);
    expect(targets.publish.outputs).toBeUndefined();
  });

  it.each([
    ['a folder without test-app.json', 'integration-tests/net9'],
    ['a folder outside integration-tests', 'platform-images/net6'],
    ['a test app nested too deep', 'integration-tests/net6/sub'],
  ])('depends on no test app project for %s (the executors name the field; the graph stays usable)', async (_name, app) => {
    write('platform-images/net6/test-app.json', '{}');
    write('integration-tests/net6/sub/test-app.json', '{}');
    write(IMAGE_FILE, JSON.stringify({ ecr: { repository: 'runtime', tag: '6.0' }, integrationTest: { app, replaceFrom: 'x' } }));
    const image = (await createNodes([IMAGE_FILE]))[IMAGE_FILE].projects!['platform-images/net6/runtime'];
    expect(image.implicitDependencies).toEqual([]);
    expect(image.targets!['integration-test'].inputs).not.toContainEqual(expect.stringContaining(app));
  });

  it('still infers the image project when its config is broken', async () => {
    write(IMAGE_FILE, '{ not json');
    const image = (await createNodes([IMAGE_FILE]))[IMAGE_FILE].projects!['platform-images/net6/runtime'];
    expect(image.name).toBe('net6-runtime');
    expect(image.implicitDependencies).toEqual([]);
    expect(image.targets!['integration-test'].inputs).not.toContainEqual(expect.stringContaining('integration-tests'));
  });
});

describe("the plugin's own project", () => {
  /** This repository: the plugin's source is its project packages/nx-plugin. */
  const WORKSPACE = path.resolve(__dirname, '../../../..');

  it('is a dependency of every image in the workspace that holds the plugin, beside the test app', async () => {
    const files = ['platform-images/net8/runtime/platform-image.json', 'platform-images/net10/sdk/platform-image.json'];
    const nodes = await createNodes(files, WORKSPACE);
    expect(files.map((file) => Object.values(nodes[file].projects!)[0].implicitDependencies)).toEqual([
      ['test-app-net8-runtime', '@platform-images/nx-plugin'],
      ['test-app-net10', '@platform-images/nx-plugin'],
    ]);
  });

  it('is no dependency in a workspace that installed the plugin: the project would not exist there', async () => {
    const image = (await createNodes([IMAGE_FILE]))[IMAGE_FILE].projects!['platform-images/net6/runtime'];
    expect(image.implicitDependencies).toEqual(['test-app-net6']);
  });

  it('is named as Nx names it, and only for a package inside the workspace and not under node_modules', () => {
    write('packages/nx-plugin/package.json', JSON.stringify({ name: '@company/nx-plugin' }));
    write('node_modules/@company/nx-plugin/package.json', JSON.stringify({ name: '@company/nx-plugin' }));
    expect(pluginProjectIn(root, path.join(root, 'packages/nx-plugin'))).toBe('@company/nx-plugin');
    write('packages/nx-plugin/project.json', JSON.stringify({ targets: {} }));
    expect(pluginProjectIn(root, path.join(root, 'packages/nx-plugin'))).toBe('@company/nx-plugin');
    write('packages/nx-plugin/project.json', JSON.stringify({ name: 'company-plugin', targets: {} }));
    expect(pluginProjectIn(root, path.join(root, 'packages/nx-plugin'))).toBe('company-plugin');
    expect(pluginProjectIn(root, path.join(root, 'node_modules/@company/nx-plugin'))).toBeUndefined();
    expect(pluginProjectIn(path.join(root, 'packages'), path.join(root, 'node_modules/@company/nx-plugin'))).toBeUndefined();
    expect(pluginProjectIn(root, root)).toBeUndefined();
    expect(pluginProjectIn(WORKSPACE)).toBe('@platform-images/nx-plugin');
  });

  it('is found through symbolic links to the workspace', () => {
    write('packages/nx-plugin/package.json', JSON.stringify({ name: '@company/nx-plugin' }));
    const link = `${root}-link`;
    symlinkSync(root, link);
    try {
      expect(pluginProjectIn(link, path.join(root, 'packages/nx-plugin'))).toBe('@company/nx-plugin');
    } finally {
      rmSync(link);
    }
  });
});

describe('a layout of its own (the plugin options)', () => {
  const OPTIONS = {
    imagesGlob: 'images/*',
    testAppsGlob: 'apps/tests/*',
    targetNames: { 'mcr-check': 'upstream-check', 'teams-notify': 'notify', publish: 'refresh' },
  };

  beforeEach(() => {
    write(
      'images/net8-runtime/platform-image.json',
      JSON.stringify({ ecr: { repository: 'r', tag: 't' }, integrationTest: { app: 'apps/tests/net8' } }),
    );
    write('apps/tests/net8/test-app.json', '{}');
  });

  it('finds the projects its globs name and only those, named after the folders below the fixed part', async () => {
    const nodes = await createNodes(
      ['images/net8-runtime/platform-image.json', 'apps/tests/net8/test-app.json', IMAGE_FILE, TEST_APP_FILE],
      root,
      OPTIONS,
    );
    expect(Object.keys(nodes)).toEqual(['images/net8-runtime/platform-image.json', 'apps/tests/net8/test-app.json']);
    const image = nodes['images/net8-runtime/platform-image.json'].projects!['images/net8-runtime'];
    expect(image).toMatchObject({ name: 'net8-runtime', implicitDependencies: ['test-app-net8'], tags: ['type:platform-image'] });
    expect(nodes['apps/tests/net8/test-app.json'].projects!['apps/tests/net8'].name).toBe('test-app-net8');
  });

  it('names the targets as told and chains them by those names; the steps keep their executors and records', async () => {
    const nodes = await createNodes(['images/net8-runtime/platform-image.json'], root, OPTIONS);
    const targets = nodes['images/net8-runtime/platform-image.json'].projects!['images/net8-runtime'].targets!;
    expect(
      Object.entries(targets).map(([name, t]) => [name, t.executor, (t.options as { step?: string } | undefined)?.step, t.dependsOn]),
    ).toEqual([
      ['upstream-check', '@platform-images/nx-plugin:mcr-check', undefined, []],
      ['docker-build', '@platform-images/nx-plugin:step', 'docker-build', ['upstream-check']],
      ['integration-test', '@platform-images/nx-plugin:step', 'integration-test', ['docker-build']],
      ['ecr-publish', '@platform-images/nx-plugin:step', 'ecr-publish', ['integration-test']],
      ['notify', '@platform-images/nx-plugin:step', 'teams-notify', ['ecr-publish']],
      ['refresh', 'nx:noop', undefined, ['notify']],
    ]);
    expect(targets.notify.outputs).toEqual(['{workspaceRoot}/dist/{projectRoot}/teams-notify.json']);
  });

  it('fails the graph with the file, the field and the fix for a layout it cannot use', async () => {
    await expect(createNodes([IMAGE_FILE], root, { targetNames: { publish: 'mcr-check' } })).rejects.toThrow(
      /nx\.json: plugins\[@platform-images\/nx-plugin\]\.options\.targetNames\.publish: "mcr-check" is also the name of mcr-check's target/,
    );
  });
});

describe('what Nx Console and nx show project present', () => {
  it('groups the chain under one target group and describes the project', async () => {
    const image = (await createNodes([IMAGE_FILE]))[IMAGE_FILE].projects!['platform-images/net6/runtime'];
    expect(image.metadata).toEqual({
      description: 'Platform image net6-runtime: kept current with its base image by publish.',
      technologies: ['docker'],
      targetGroups: { 'Platform image': [...STEPS, 'publish'] },
    });
    for (const target of Object.values(image.targets!)) expect(target.metadata?.description).toEqual(expect.any(String));
  });

  it("hashes the image's files by the named input platformImage when nx.json defines it", async () => {
    const named = { namedInputs: { platformImage: ['{projectRoot}/**/*', '!{projectRoot}/**/*.md'] } };
    const image = (await createNodes([IMAGE_FILE], root, undefined, named))[IMAGE_FILE].projects!['platform-images/net6/runtime'];
    expect(image.targets!['docker-build'].inputs![0]).toBe('platformImage');
    const plain = (await createNodes([IMAGE_FILE]))[IMAGE_FILE].projects!['platform-images/net6/runtime'];
    expect(plain.targets!['docker-build'].inputs![0]).toBe('{projectRoot}/**/*');
  });
});

describe('projectNameFor', () => {
  it.each([
    ['platform-images/net6/runtime', 'net6-runtime'],
    ['platform-images/net8/sdk', 'net8-sdk'],
    ['integration-tests/net6', 'test-app-net6'],
    ['integration-tests/net6-stand-in', 'test-app-net6-stand-in'],
  ])('%s → %s', (projectRoot, name) => {
    expect(projectNameFor(projectRoot)).toBe(name);
  });
});

describe('imageTargets', () => {
  it('leaves the test app out of the inputs when there is none', () => {
    const targets: Record<string, TargetConfiguration> = imageTargets(undefined);
    expect(targets['integration-test'].inputs).toEqual([
      '{projectRoot}/**/*',
      { env: 'PLATFORM_IMAGES_PROFILE' },
      { dependentTasksOutputFiles: '**/mcr-check.json', transitive: true },
    ]);
  });
});
