/**
 * `nx g @platform-images/nx-plugin:init`, which `nx add @platform-images/nx-plugin` runs after installing the
 * package: registers the plugin in nx.json with every option a workspace is likely to set, each explained in a
 * comment beside its default (nx.json is read with comments allowed, as Nx's own parser does), defines the
 * named input the image targets hash their files by, and, when asked, copies the Azure Pipelines templates and
 * creates an example image with its test app. Running it again keeps everything that is already there.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { logger, type Tree } from '@nx/devkit';
import { applyEdits, modify, parse, printParseErrorCode, type FormattingOptions, type ParseError } from 'jsonc-parser';
import { PROFILE_ENV } from '../../config/environment';
import { CHAIN_TARGET_KEYS, DEFAULT_LAYOUT } from '../../config/layout';
import { REGION, regionHint } from '../../config/region';
import { DEFAULT_SHARED } from '../../config/settings';
import { isObject } from '../../config/validate';
import { IMAGE_NAMED_INPUT, PLUGIN_NAME } from '../../types/workspace';
import { platformImageGenerator } from '../platform-image/generator';
import { testAppGenerator } from '../test-app/generator';
import type { InitGeneratorSchema } from './schema';

export type { InitGeneratorSchema } from './schema';

const NX_JSON = 'nx.json';
const FORMAT: FormattingOptions = { insertSpaces: true, tabSize: 2, eol: '\n' };
/** The example image and its test app, a pair the generators make for .NET 10 on Ubuntu Noble. */
export const EXAMPLE = { image: 'platform-images/net10/runtime', testApp: 'integration-tests/net10-runtime', project: 'net10-runtime' };
/** Where the Azure Pipelines templates go, as the generated pipelines (`extends: template:`) expect them. */
export const PIPELINES_DIR = '.azure-pipelines';

/**
 * The plugin's entry in nx.json: the options with their defaults, each with a comment saying what it does.
 * The values come from the defaults the settings use, so the comments cannot drift from what a run does.
 */
export function pluginEntry(awsRegion: string | undefined): string {
  const json = (value: unknown) => JSON.stringify(value);
  const names = CHAIN_TARGET_KEYS.map((key) => `${json(key)}: ${json(DEFAULT_LAYOUT.targetNames[key])}`).join(', ');
  const { teams, docker, scan } = DEFAULT_SHARED;
  return [
    '{',
    `  "plugin": ${json(PLUGIN_NAME)},`,
    '  "options": {',
    '    // Where the projects are: every folder imagesGlob names that holds a platform-image.json is an image',
    '    // project (platform-images/net8/runtime is net8-runtime); every folder testAppsGlob names that holds a',
    '    // test-app.json is a test app the images build FROM themselves in their integration test.',
    `    "imagesGlob": ${json(DEFAULT_LAYOUT.imagesGlob)},`,
    `    "testAppsGlob": ${json(DEFAULT_LAYOUT.testAppsGlob)},`,
    '    // The targets\' names: rename one that clashes with the workspace\'s own, e.g. "publish": "refresh-image".',
    `    "targetNames": { ${names} },`,
    '    // Where ECR is: its region (left out: AWS_REGION), and "account" when it is not the credentials\' own.',
    `    "aws": ${awsRegion ? `{ "region": ${json(awsRegion)} }` : '{}'},`,
    '    // The environment variable holding the Teams Workflows webhook URL (never the URL itself), and whether',
    '    // a card that cannot be sent fails the run.',
    `    "teams": { "webhookEnv": ${json(teams.webhookEnv)}, "failOnError": ${json(teams.failOnError)} },`,
    '    // How images are built: "auto" (buildx when installed, else the classic builder), "buildx", "buildkit" or "classic".',
    `    "docker": { "builder": ${json(docker.builder)} },`,
    '    // ECR\'s scan gates every version: findings at failOn or above block it unless "allow" lists them',
    '    // ({ "id", "reason", "expires" }); an unfinished or missing scan fails ("warn" to let it pass).',
    `    "scan": { "failOn": ${json(scan.failOn)}, "allow": [], "timeoutSeconds": ${scan.timeoutSeconds}, "onTimeout": ${json(scan.onTimeout)}, "onUnscanned": ${json(scan.onUnscanned)} },`,
    `    // Overrides chosen with ${PROFILE_ENV}=<name>, e.g. a "local" profile pointing aws.ecrEndpoint,`,
    '    // aws.stsEndpoint and registryMirrors at a local stack. More options: the package README.',
    '    "profiles": {}',
    '  }',
    '}',
  ].join('\n');
}

function parseNxJson(text: string): unknown {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true });
  if (errors.length) {
    const { error, offset } = errors[0];
    const line = text.slice(0, offset).split('\n').length;
    throw new Error(
      `${NX_JSON}: line ${line}: ${printParseErrorCode(error)}; fix the file (Nx cannot read it either), then run the generator again`,
    );
  }
  return value;
}

/** Whether nx.json's `plugins` already names this plugin, on its own or with options. */
function isRegistered(nxJson: unknown): boolean {
  const plugins = isObject(nxJson) && Array.isArray(nxJson.plugins) ? (nxJson.plugins as unknown[]) : [];
  return plugins.some((entry) => (isObject(entry) ? entry.plugin : entry) === PLUGIN_NAME);
}

/** nx.json with the plugin's entry appended to `plugins`, comments and all, and the rest of the file as it was. */
export function registerPlugin(text: string, awsRegion?: string): { text: string; changed: string[] } {
  const nxJson = parseNxJson(text);
  const changed: string[] = [];
  let out = text;
  if (!isRegistered(nxJson)) {
    // jsonc-parser inserts values, not comments: a marker string takes the entry's place, then the entry's text
    // takes the marker's, indented where the marker landed.
    const marker = `__${PLUGIN_NAME}__`;
    out = applyEdits(out, modify(out, ['plugins', -1], marker, { formattingOptions: FORMAT, isArrayInsertion: true }));
    const at = out.indexOf(JSON.stringify(marker));
    const indent = out.slice(out.lastIndexOf('\n', at) + 1, at);
    const entry = pluginEntry(awsRegion).split('\n').join(`\n${indent}`);
    out = out.slice(0, at) + entry + out.slice(at + JSON.stringify(marker).length);
    changed.push(`plugins: ${PLUGIN_NAME}`);
  }
  const namedInputs = isObject(nxJson) && isObject(nxJson.namedInputs) ? nxJson.namedInputs : {};
  if (!(IMAGE_NAMED_INPUT in namedInputs)) {
    out = applyEdits(out, modify(out, ['namedInputs', IMAGE_NAMED_INPUT], ['{projectRoot}/**/*'], { formattingOptions: FORMAT }));
    changed.push(`namedInputs.${IMAGE_NAMED_INPUT}`);
  }
  return { text: out, changed };
}

/** The Azure Pipelines templates the package ships (dist/azure-pipelines), or this repository's own. */
function pipelineTemplatesDir(): string {
  // dist/generators/init → dist/azure-pipelines; src/generators/init → the repository's .azure-pipelines.
  const built = path.resolve(__dirname, '..', '..', 'azure-pipelines');
  return path.basename(path.resolve(__dirname, '..', '..')) === 'dist' ? built : path.resolve(__dirname, '../../../../..', PIPELINES_DIR);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

/**
 * Copies the pipelines and templates (the YAML files; they run nx, npm ci and the package's own
 * platform-images-azure command, so they work in any workspace that installed it); a file the workspace
 * already has is kept. The README beside them describes this repository's setup and stays behind.
 * Returns what was written and what was kept.
 */
export function copyPipelineTemplates(tree: Tree, from = pipelineTemplatesDir()): { written: string[]; kept: string[] } {
  const written: string[] = [];
  const kept: string[] = [];
  for (const file of filesUnder(from).filter((name) => /\.ya?ml$/.test(name))) {
    const target = `${PIPELINES_DIR}/${file}`;
    if (tree.exists(target)) {
      kept.push(target);
      continue;
    }
    tree.write(target, readFileSync(path.join(from, file)));
    written.push(target);
  }
  return { written, kept };
}

export async function initGenerator(tree: Tree, schema: InitGeneratorSchema): Promise<void> {
  if (schema.awsRegion !== undefined && !REGION.test(schema.awsRegion)) {
    throw new Error(`--awsRegion "${schema.awsRegion}" is not an AWS region: ${regionHint(schema.awsRegion)}`);
  }
  const before = tree.read(NX_JSON, 'utf-8') ?? '{}\n';
  const nxJson = registerPlugin(before, schema.awsRegion);
  if (nxJson.changed.length) tree.write(NX_JSON, nxJson.text);
  logger.info(
    nxJson.changed.length
      ? `${NX_JSON}: added ${nxJson.changed.join(' and ')}`
      : `${NX_JSON}: ${PLUGIN_NAME} is registered already; left as it is`,
  );

  if (schema.example) {
    if (tree.exists(EXAMPLE.testApp)) logger.info(`${EXAMPLE.testApp} exists already; left as it is`);
    else testAppGenerator(tree, { dotnet: 'net10', kind: 'runtime' });
    if (tree.exists(EXAMPLE.image)) logger.info(`${EXAMPLE.image} exists already; left as it is`);
    else await platformImageGenerator(tree, { dotnet: 'net10', variant: 'runtime', pipeline: schema.azurePipelines ?? false });
  }

  // After the example: the image generator formats what it changed, and the templates are copied as they are.
  if (schema.azurePipelines) {
    const { written, kept } = copyPipelineTemplates(tree);
    logger.info(`${PIPELINES_DIR}: ${written.length} template file(s) written${kept.length ? `, ${kept.length} already there kept` : ''}`);
  }

  logger.info(
    `next: nx show project ${EXAMPLE.project} (or any image), then nx run <image>:${DEFAULT_LAYOUT.targetNames.publish}; ` +
      `nx g ${PLUGIN_NAME}:platform-image adds an image`,
  );
}

export default initGenerator;
