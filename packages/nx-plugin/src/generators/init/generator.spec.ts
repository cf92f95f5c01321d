import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { readNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { parseJson } from 'nx/src/utils/json';
import { DEFAULT_LAYOUT, readLayout } from '../../config/layout';
import { resolveShared } from '../../config/shared';
import { DEFAULT_SHARED } from '../../config/settings';
import { PLUGIN_NAME } from '../../types/workspace';
import { EXAMPLE, initGenerator, pluginEntry, PIPELINES_DIR, registerPlugin } from './generator';

/** nx.json as Nx reads it (comments allowed), with the plugin's options. */
function parsed(text: string): { plugins?: unknown[]; namedInputs?: Record<string, unknown>; [key: string]: unknown } {
  return parseJson(text, { expectComments: true });
}
function optionsIn(text: string): unknown {
  const entry = parsed(text).plugins?.find((p) => typeof p === 'object' && (p as { plugin?: string }).plugin === PLUGIN_NAME);
  return (entry as { options?: unknown } | undefined)?.options;
}

describe('registerPlugin', () => {
  it.each([
    ['an empty nx.json', '{}\n'],
    ['nx.json with other plugins and settings', '{\n  "plugins": ["@nx/js/typescript"],\n  "defaultBase": "main"\n}\n'],
    [
      'nx.json with comments of its own',
      '{\n  // the workspace\'s own note\n  "defaultBase": "main",\n  "namedInputs": { "default": ["{projectRoot}/**/*"] }\n}\n',
    ],
  ])('adds the entry with its commented defaults to %s, and keeps the rest', (_name, before) => {
    const { text, changed } = registerPlugin(before);
    expect(changed).toEqual([`plugins: ${PLUGIN_NAME}`, 'namedInputs.platformImage']);
    const after = parsed(text);
    const was = parsed(before);
    for (const [key, value] of Object.entries(was)) {
      if (key === 'plugins') expect(after.plugins!.slice(0, (value as unknown[]).length)).toEqual(value);
      else if (key === 'namedInputs') expect(after.namedInputs).toMatchObject(value as object);
      else expect(after[key]).toEqual(value);
    }
    expect(after.namedInputs!.platformImage).toEqual(['{projectRoot}/**/*']);
    if (before.includes('//')) expect(text).toContain("// the workspace's own note");
    expect(text).toContain('// Where the projects are');
    // The defaults written are the ones a run uses, and the plugin's own validation takes them as they are.
    const options = optionsIn(text);
    expect(readLayout(options)).toEqual(DEFAULT_LAYOUT);
    expect(resolveShared({ file: 'nx.json', options }, undefined)).toEqual(DEFAULT_SHARED);
  });

  it('writes the region when given, as the settings read it', () => {
    const options = optionsIn(registerPlugin('{}', 'eu-central-1').text);
    expect(resolveShared({ file: 'nx.json', options }, undefined).aws).toEqual({ region: 'eu-central-1' });
  });

  it.each([
    ['by name', `{ "plugins": ["${PLUGIN_NAME}"], "namedInputs": { "platformImage": [] } }`],
    ['with options', `{ "plugins": [{ "plugin": "${PLUGIN_NAME}", "options": { "aws": {} } }], "namedInputs": { "platformImage": [] } }`],
  ])('changes nothing when the plugin is registered already %s', (_name, before) => {
    expect(registerPlugin(before)).toEqual({ text: before, changed: [] });
  });

  it('is the same entry on a second run (the first run registered it)', () => {
    const once = registerPlugin('{}').text;
    expect(registerPlugin(once)).toEqual({ text: once, changed: [] });
  });

  it('refuses an nx.json Nx cannot read, naming the line', () => {
    expect(() => registerPlugin('{\n  "plugins": [\n  }\n')).toThrow(/^nx\.json: line 3: ValueExpected; fix the file/);
  });

  it('indents the entry where it goes', () => {
    const text = registerPlugin('{\n  "plugins": ["@nx/js/typescript"]\n}\n').text;
    expect(text).toContain(`\n    {\n      "plugin": "${PLUGIN_NAME}",\n      "options": {\n        // Where the projects are`);
    expect(pluginEntry(undefined).split('\n')[0]).toBe('{');
  });
});

describe('initGenerator', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
  });

  it('registers the plugin and nothing else when nothing is asked', async () => {
    await initGenerator(tree, {});
    expect(readNxJson(tree)?.plugins).toContainEqual(expect.objectContaining({ plugin: PLUGIN_NAME }));
    expect(tree.exists(PIPELINES_DIR)).toBe(false);
    expect(tree.exists('platform-images')).toBe(false);
  });

  it('copies every Azure pipeline and template the package ships, keeping files the workspace has', async () => {
    tree.write(`${PIPELINES_DIR}/scheduled.yml`, '# ours\n');
    await initGenerator(tree, { azurePipelines: true });
    const shipped = readdirSync(path.resolve(__dirname, '../../../../../.azure-pipelines'), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(path.resolve(__dirname, '../../../../..'), path.join(entry.parentPath, entry.name)));
    const pipelines = shipped.filter((file) => file.endsWith('.yml'));
    expect(pipelines).toEqual(expect.arrayContaining(['.azure-pipelines/templates/platform-image.yml', '.azure-pipelines/scheduled.yml']));
    for (const file of pipelines) expect(tree.exists(file)).toBe(true);
    expect(tree.read(`${PIPELINES_DIR}/scheduled.yml`, 'utf-8')).toBe('# ours\n');
    // The README describes this repository's setup (its IAM documents, its checks): not copied.
    expect(shipped.filter((file) => !file.endsWith('.yml'))).toEqual(['.azure-pipelines/README.md']);
    expect(tree.exists(`${PIPELINES_DIR}/README.md`)).toBe(false);
  });

  it("copies pipelines that run nothing of this repository: nx, npm ci and the package's own command", async () => {
    await initGenerator(tree, { azurePipelines: true });
    const copied = collect(tree, PIPELINES_DIR);
    expect(copied.length).toBeGreaterThan(5);
    const text = copied.map((file) => tree.read(file, 'utf-8')!).join('\n');
    expect(text).toContain('npx platform-images-azure plan ');
    expect(text).not.toMatch(/tools\/azure|@swc-node|npm run build:plugin/);
  });

  it('creates the example image and its test app, which the image names, and a pipeline when the templates are asked for', async () => {
    await initGenerator(tree, { example: true, azurePipelines: true });
    const config = JSON.parse(tree.read(`${EXAMPLE.image}/platform-image.json`, 'utf-8')!) as { integrationTest: { app: string } };
    expect(config.integrationTest.app).toBe(EXAMPLE.testApp);
    expect(tree.exists(`${EXAMPLE.testApp}/test-app.json`)).toBe(true);
    expect(tree.read(`${EXAMPLE.image}/Dockerfile`, 'utf-8')).toMatch(/^FROM mcr\.microsoft\.com\/dotnet\/runtime:10\.0-noble$/m);
    expect(tree.read(`${EXAMPLE.image}/azure-pipelines.yml`, 'utf-8')).toContain('templates/platform-image.yml');
  });

  it('keeps an example that is there already on a second run', async () => {
    await initGenerator(tree, { example: true });
    tree.write(`${EXAMPLE.image}/Dockerfile`, 'FROM mcr.microsoft.com/dotnet/runtime:10.0-noble\n# edited\n');
    const nxJson = tree.read('nx.json', 'utf-8');
    await initGenerator(tree, { example: true });
    expect(tree.read(`${EXAMPLE.image}/Dockerfile`, 'utf-8')).toContain('# edited');
    expect(tree.read('nx.json', 'utf-8')).toBe(nxJson);
  });

  it('refuses a region that is not one', async () => {
    await expect(initGenerator(tree, { awsRegion: 'eu_west_1' })).rejects.toThrow(/--awsRegion "eu_west_1" is not an AWS region/);
  });
});

/** Every file under `dir` in the tree. */
function collect(tree: Tree, dir: string): string[] {
  return tree.children(dir).flatMap((child) => {
    const file = `${dir}/${child}`;
    return tree.isFile(file) ? [file] : collect(tree, file);
  });
}
