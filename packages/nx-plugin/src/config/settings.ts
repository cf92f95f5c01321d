/**
 * One normalised view of everything a step needs, built once per task from three layers:
 * workspace defaults (nx.json, the plugin's options), the selected profile (`PLATFORM_IMAGES_PROFILE`,
 * e.g. `local` for the local stack), and the image's own `platform-image.json`. Each layer is validated
 * field by field, so a mistake is reported with its file and field before anything talks to a registry.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, UserError } from '../lib/errors';
import { parseImageRef } from '../lib/image-ref';
import { isValidTag, KNOWN_PLACEHOLDERS, unknownPlaceholders } from '../lib/tags';
import { Fields, isObject, JsonObject } from './validate';

export const IMAGE_CONFIG_FILE = 'platform-image.json';
export const TEST_APP_FILE = 'test-app.json';
export const FORCE_ENV = 'PLATFORM_IMAGES_FORCE_UPDATE';
export const PROFILE_ENV = 'PLATFORM_IMAGES_PROFILE';
export const PLUGIN_NAME = '@platform-images/nx-plugin';

export type Builder = 'auto' | 'buildx' | 'buildkit' | 'classic';
export const BUILDERS: readonly Builder[] = ['auto', 'buildx', 'buildkit', 'classic'];

/** Settings that nx.json sets for every image and a profile or an image may override. */
export interface SharedSettings {
  aws: { account?: string; region?: string; ecrEndpoint?: string; stsEndpoint?: string };
  registryMirrors: Record<string, string>;
  teams: { webhookEnv: string; failOnError: boolean };
  docker: { builder: Builder; command: string };
  testAppSubstitutes: Record<string, string>;
  /** Build args for the platform image; only those its Dockerfile declares are passed. */
  buildArgs: Record<string, string>;
  /** End-of-support dates (YYYY-MM-DD) by .NET line, over the built-in table. */
  dotnetEndOfSupport: Record<string, string>;
}

export interface HttpProbe {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface TestAppSettings {
  dir: string;
  configFile: string;
  dockerfile: string;
  context: string;
  port: number;
  request: HttpProbe;
  expectStatus: number;
  timeoutSeconds: number;
}

export interface ImageSettings extends SharedSettings {
  project: string;
  workspaceRoot: string;
  projectRoot: string;
  /** platform-image.json, relative to the workspace root (for messages). */
  configFile: string;
  dockerfile: string;
  context: string;
  /** `latest`: whether this image moves the repository's latest tag (off when several .NET lines share a repository). */
  ecr: { repository: string; tag: string; extraTags: string[]; scanOnPush: boolean; latest: boolean };
  integrationTest: { replaceFrom: string; app: TestAppSettings };
  force: boolean;
  profile?: string;
  /** Where this image's step records go (declared as the targets' outputs). */
  outputDir: string;
}

export const DEFAULT_SHARED: SharedSettings = {
  aws: {},
  registryMirrors: {},
  teams: { webhookEnv: 'TEAMS_WEBHOOK_URI', failOnError: false },
  docker: { builder: 'auto', command: 'docker' },
  testAppSubstitutes: {},
  buildArgs: {},
  dotnetEndOfSupport: {},
};

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const ACCOUNT = /^\d{12}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Reads the shared fields present in one layer on top of `base`. */
function readShared(fields: Fields, base: SharedSettings): SharedSettings {
  const out: SharedSettings = {
    aws: { ...base.aws },
    registryMirrors: { ...base.registryMirrors },
    teams: { ...base.teams },
    docker: { ...base.docker },
    testAppSubstitutes: { ...base.testAppSubstitutes },
    buildArgs: { ...base.buildArgs },
    dotnetEndOfSupport: { ...base.dotnetEndOfSupport },
  };
  const aws = fields.object('aws')?.allowOnly(['account', 'region', 'ecrEndpoint', 'stsEndpoint']);
  if (aws) {
    const account = aws.string('account', { pattern: ACCOUNT, patternHint: 'an AWS account id is 12 digits, e.g. "123456789012"' });
    if (account !== undefined) out.aws.account = account || undefined;
    const region = aws.string('region', { pattern: REGION, patternHint: 'use a region code such as "eu-west-1"' });
    if (region !== undefined) out.aws.region = region;
    for (const key of ['ecrEndpoint', 'stsEndpoint'] as const) {
      const url = aws.string(key, { pattern: /^https?:\/\/[^\s/]+\/?$/, patternHint: 'an http(s) URL such as "http://localhost:5003"' });
      if (url !== undefined) out.aws[key] = url || undefined;
    }
  }
  const mirrors = fields.stringMap('registryMirrors');
  if (mirrors) {
    for (const [from, to] of Object.entries(mirrors)) {
      if (!/^(https?:\/\/)?[\w.-]+(:\d+)?\/?$/.test(to)) {
        fields.fail(`registryMirrors.${from}`, `"${to}" is not a registry host`, 'write host[:port], optionally with http:// or https://');
      }
      out.registryMirrors[from] = to;
    }
  }
  const teams = fields.object('teams')?.allowOnly(['webhookEnv', 'failOnError']);
  if (teams) {
    out.teams.webhookEnv = teams.string('webhookEnv', { pattern: ENV_NAME, patternHint: 'name an environment variable, e.g. "TEAMS_WEBHOOK_URI"; never put the URL itself here' }) ?? out.teams.webhookEnv;
    out.teams.failOnError = teams.boolean('failOnError') ?? out.teams.failOnError;
  }
  const docker = fields.object('docker')?.allowOnly(['builder', 'command']);
  if (docker) {
    out.docker.builder = docker.oneOf('builder', BUILDERS) ?? out.docker.builder;
    out.docker.command = docker.string('command') ?? out.docker.command;
  }
  Object.assign(out.testAppSubstitutes, fields.stringMap('testAppSubstitutes') ?? {});
  Object.assign(out.buildArgs, fields.stringMap('buildArgs') ?? {});
  for (const [line, date] of Object.entries(fields.stringMap('dotnetEndOfSupport') ?? {})) {
    if (!/^net\d+$/.test(line)) fields.fail(`dotnetEndOfSupport.${line}`, 'is not a .NET line', 'use keys such as "net8"');
    if (!/^\d{4}-\d\d-\d\d$/.test(date) || Number.isNaN(Date.parse(date))) fields.fail(`dotnetEndOfSupport.${line}`, `"${date}" is not a date`, 'write YYYY-MM-DD');
    out.dotnetEndOfSupport[line] = date;
  }
  return out;
}

const SHARED_KEYS = ['aws', 'registryMirrors', 'teams', 'docker', 'testAppSubstitutes', 'buildArgs', 'dotnetEndOfSupport'];

export interface WorkspaceOptionsFile {
  /** Where the options came from, for messages. */
  file: string;
  options: unknown;
}

function workspaceFields(source: WorkspaceOptionsFile): Fields {
  const root = Fields.root(source.file, source.options ?? {}, 'the plugin options');
  return new Fields(source.file, `plugins[${PLUGIN_NAME}].options`, root.value).allowOnly([...SHARED_KEYS, 'profiles']);
}

function profileFields(source: WorkspaceOptionsFile, profile: string): Fields {
  const profiles = workspaceFields(source).object('profiles');
  const selected = profiles?.object(profile);
  if (!selected) {
    const known = profiles ? Object.keys(profiles.value) : [];
    throw new ConfigError(source.file, `plugins[${PLUGIN_NAME}].options.profiles.${profile}`, `profile "${profile}" (from ${PROFILE_ENV}) is not defined`,
      known.length ? `use one of: ${known.join(', ')}, or unset ${PROFILE_ENV}` : `unset ${PROFILE_ENV}`);
  }
  return selected.allowOnly(SHARED_KEYS);
}

/** The workspace layer, then the selected profile. */
export function resolveShared(source: WorkspaceOptionsFile, profile: string | undefined): SharedSettings {
  const shared = readShared(workspaceFields(source), DEFAULT_SHARED);
  return profile ? readShared(profileFields(source, profile), shared) : shared;
}

export function readJsonFile(file: string, displayName: string): JsonObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(displayName, '(file)', 'cannot be read', 'check the path exists');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(displayName, '(file)', `is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(value)) throw new ConfigError(displayName, '(root)', 'must be a JSON object');
  return value;
}

/** `./integration-tests/net6/` and `integration-tests/net6` name the same test app. */
export function normalizeAppPath(app: string): string {
  return path.posix.normalize(app.replace(/\\/g, '/')).replace(/^\.\//, '').replace(/\/+$/, '');
}

export function parseForce(env: Record<string, string | undefined>): boolean {
  const raw = env[FORCE_ENV]?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0' || raw === 'no') return false;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  throw new ConfigError(`environment`, FORCE_ENV, `"${env[FORCE_ENV]}" is not a boolean`, 'set it to true or false');
}

function readTestApp(workspaceRoot: string, appDir: string, referencedFrom: { file: string; field: string }): TestAppSettings {
  const dir = path.resolve(workspaceRoot, appDir);
  const configFile = path.join(appDir, TEST_APP_FILE);
  if (!existsSync(path.join(dir, TEST_APP_FILE))) {
    throw new ConfigError(referencedFrom.file, referencedFrom.field, `test app "${appDir}" has no ${TEST_APP_FILE}`,
      `point it at a folder holding the test app's Dockerfile and ${TEST_APP_FILE}`);
  }
  const fields = Fields.root(configFile, readJsonFile(path.join(dir, TEST_APP_FILE), configFile));
  fields.allowOnly(['dockerfile', 'context', 'port', 'request', 'expectStatus', 'timeoutSeconds']);
  const dockerfile = path.resolve(dir, fields.string('dockerfile') ?? 'Dockerfile');
  if (!existsSync(dockerfile)) fields.fail('dockerfile', `${path.relative(workspaceRoot, dockerfile)} does not exist`);
  const request = fields.object('request')?.allowOnly(['method', 'path', 'headers', 'body']);
  const body = request?.value.body;
  return {
    dir,
    configFile,
    dockerfile,
    context: path.resolve(dir, fields.string('context') ?? '.'),
    port: fields.number('port', { min: 1, max: 65535 }) ?? 8080,
    request: {
      method: request?.oneOf('method', ['GET', 'POST', 'PUT', 'HEAD'] as const) ?? 'GET',
      path: request?.string('path', { pattern: /^\//, patternHint: 'start the path with /' }) ?? '/',
      headers: request?.stringMap('headers') ?? {},
      body: body === undefined || body === null ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    },
    expectStatus: fields.number('expectStatus', { min: 100, max: 599 }) ?? 200,
    timeoutSeconds: fields.number('timeoutSeconds', { min: 1, max: 3600 }) ?? 60,
  };
}

export interface LoadImageInput {
  workspaceRoot: string;
  project: string;
  projectRoot: string;
  workspaceOptions: WorkspaceOptionsFile;
  env: Record<string, string | undefined>;
}

export function loadImageSettings(input: LoadImageInput): ImageSettings {
  const { workspaceRoot, projectRoot, env } = input;
  const profile = env[PROFILE_ENV]?.trim() || undefined;
  const configFile = path.join(projectRoot, IMAGE_CONFIG_FILE);
  const fields = Fields.root(configFile, readJsonFile(path.join(workspaceRoot, configFile), configFile));
  fields.allowOnly(['dockerfile', 'context', 'ecr', 'integrationTest', ...SHARED_KEYS]);
  // Image-level shared fields override the workspace; the profile then overrides both, because a
  // profile describes where the run happens (the local stack), not what the image is.
  let shared = readShared(fields, resolveShared(input.workspaceOptions, undefined));
  if (profile) shared = readShared(profileFields(input.workspaceOptions, profile), shared);

  const imageDir = path.join(workspaceRoot, projectRoot);
  const dockerfile = path.resolve(imageDir, fields.string('dockerfile') ?? 'Dockerfile');
  if (!existsSync(dockerfile)) fields.fail('dockerfile', `${path.relative(workspaceRoot, dockerfile)} does not exist`, 'add a Dockerfile next to platform-image.json or set "dockerfile"');
  const context = path.resolve(imageDir, fields.string('context') ?? '.');
  if (!existsSync(context)) fields.fail('context', `${path.relative(workspaceRoot, context)} does not exist`);

  const ecrFields = fields.object('ecr') ?? fields.fail('ecr', 'is required', 'add "ecr": { "repository": "...", "tag": "..." }');
  ecrFields.allowOnly(['repository', 'tag', 'extraTags', 'scanOnPush', 'latest']);
  const repository = ecrFields.requiredString('repository', { pattern: REPOSITORY, patternHint: 'ECR repository names are lowercase, e.g. "dotnet/runtime"' });
  const tag = ecrFields.requiredString('tag', { pattern: /^[\w][\w.-]{0,100}$/, patternHint: 'a Docker tag such as "6.0-bullseye-slim"' });
  const extraTags = ecrFields.stringArray('extraTags') ?? [];
  extraTags.forEach((t, i) => {
    const unknown = unknownPlaceholders(t);
    if (unknown.length) ecrFields.fail(`extraTags[${i}]`, `unknown placeholder {${unknown[0]}}`, `known placeholders: ${KNOWN_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`);
    if (!isValidTag(t.replace(/\{[^}]*\}/g, 'x'))) ecrFields.fail(`extraTags[${i}]`, `"${t}" is not a valid Docker tag`);
    if (/^\d+\.\d+\.\d+$/.test(t) || t.startsWith(`${tag}-`)) ecrFields.fail(`extraTags[${i}]`, `"${t}" looks like a version tag`, 'version tags are computed; extra tags must not collide with them');
  });

  const itFields = fields.object('integrationTest') ?? fields.fail('integrationTest', 'is required', 'add "integrationTest": { "app": "integration-tests/...", "replaceFrom": "..." }');
  itFields.allowOnly(['app', 'replaceFrom']);
  const appDir = normalizeAppPath(itFields.requiredString('app'));
  const replaceFrom = itFields.requiredString('replaceFrom');
  try {
    parseImageRef(replaceFrom);
  } catch (err) {
    itFields.fail('replaceFrom', (err as Error).message, 'name the image the test app\'s Dockerfile starts FROM, e.g. "mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim"');
  }
  const substitute = Object.entries(shared.testAppSubstitutes).find(([from]) => normalizeAppPath(from) === appDir)?.[1];
  const app = readTestApp(workspaceRoot, substitute ? normalizeAppPath(substitute) : appDir, {
    file: substitute ? (profile ? `nx.json (profile ${profile}) or ${configFile}` : `nx.json or ${configFile}`) : configFile,
    field: substitute ? `testAppSubstitutes.${appDir}` : 'integrationTest.app',
  });

  return {
    ...shared,
    project: input.project,
    workspaceRoot,
    projectRoot,
    configFile,
    dockerfile,
    context,
    ecr: { repository, tag, extraTags, scanOnPush: ecrFields.boolean('scanOnPush') ?? true, latest: ecrFields.boolean('latest') ?? true },
    integrationTest: { replaceFrom, app },
    force: parseForce(env),
    profile,
    outputDir: path.join(workspaceRoot, 'dist', projectRoot),
  };
}

export function requireRegion(settings: ImageSettings, env: Record<string, string | undefined>): string {
  const region = settings.aws.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new ConfigError('nx.json', `plugins[${PLUGIN_NAME}].options.aws.region`, 'no AWS region configured', 'set aws.region in nx.json (or the image\'s platform-image.json), or AWS_REGION');
  }
  if (!REGION.test(region)) throw new UserError(`AWS region "${region}" is not a region code`, 'use a code such as eu-west-1');
  return region;
}
