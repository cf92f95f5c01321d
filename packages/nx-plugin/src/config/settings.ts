/**
 * One normalised view of everything a step needs, built once per task from three layers:
 * workspace defaults (nx.json, the plugin's options), the selected profile (`PLATFORM_IMAGES_PROFILE`,
 * e.g. `local` for the local stack), and the image's own `platform-image.json`. Each layer is validated
 * field by field, so a mistake is reported with its file and field before anything talks to a registry.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DockerfileSyntaxError, fromImages, startsFrom } from '../lib/dockerfile';
import { ConfigError } from '../lib/errors';
import { parseImageRef } from '../lib/image-ref';
import { isValidTag, KNOWN_PLACEHOLDERS, reservedPrefixOf, unknownPlaceholders } from '../lib/tags';
import { webhookFrom } from '../lib/teams';
import { recordsDir } from '../steps/records';
import { formatJsonError } from './json';
import { closest, Fields, isObject, JsonObject } from './validate';

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
  /** When what a stopped run left counts as abandoned (see README, When things fail). */
  cleanup: CleanupSettings;
}

export interface CleanupSettings {
  /** Run tags in ECR (`staging-…`, a marker no version names): removed once pushed longer ago than this. */
  registryAfterMs: number;
  /** Local leftovers whose owner cannot be checked from this machine: removed once older than this. */
  localAfterMs: number;
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
  /** Only for images that configure no HTTP port themselves (the test uses the image's; see testPort). */
  port?: number;
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
  /** The moving tags of every image publishing to this image's repository (itself first), for a repository ecr-publish creates. */
  repositoryImages: MovingTagSource[];
}

export interface MovingTagSource {
  extraTags: string[];
  latest: boolean;
}

export const DEFAULT_SHARED: SharedSettings = {
  aws: {},
  registryMirrors: {},
  teams: { webhookEnv: 'TEAMS_WEBHOOK_URI', failOnError: false },
  docker: { builder: 'auto', command: 'docker' },
  testAppSubstitutes: {},
  buildArgs: {},
  dotnetEndOfSupport: {},
  // A live run needs its staging tag and marker for the seconds between its push and its version tag; its
  // local work for as long as the run, which only an owner on another host cannot be asked about.
  cleanup: { registryAfterMs: 60 * 60_000, localAfterMs: 6 * 60 * 60_000 },
};

const REGION_DIRECTIONS = ['east', 'west', 'north', 'south', 'central', 'northeast', 'northwest', 'southeast', 'southwest'];
/**
 * `<area>-<direction>-<number>`: a two-letter area, possibly inside a partition (`us-gov`, `us-iso`, `us-isob`,
 * `eu-isoe`) or the European Sovereign Cloud (`eusc-de`). The direction words are a closed set, so `eu-westt-1` is
 * caught; new areas and numbers appear as AWS opens regions, so `eu-west-9` cannot be told from a real one.
 */
const REGION = new RegExp(`^(?:[a-z]{2}(?:-gov|-iso[a-z]?)?|eusc-[a-z]{2})-(?:${REGION_DIRECTIONS.join('|')})-\\d{1,2}$`);
const ACCOUNT = /^\d{12}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** What a region looks like, led by the likely intended one for a near miss (`eu-westt-1`, `EU_WEST_1`). */
export function regionHint(value: unknown): string {
  const shape = 'an AWS region code is <area>-<direction>-<number>, e.g. "eu-west-1", "us-east-2", "ap-southeast-2"';
  const parts =
    typeof value === 'string'
      ? value
          .trim()
          .toLowerCase()
          .split(/[-_\s]+/)
      : [];
  if (parts.length >= 3 && /^\d{1,2}$/.test(parts[parts.length - 1])) {
    const direction = parts[parts.length - 2];
    const guess = [
      ...parts.slice(0, -2),
      REGION_DIRECTIONS.includes(direction) ? direction : closest(direction, REGION_DIRECTIONS),
      parts[parts.length - 1],
    ].join('-');
    if (REGION.test(guess) && guess !== value) return `did you mean "${guess}"? ${shape}`;
  }
  return shape;
}

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
    cleanup: { ...base.cleanup },
  };
  const aws = fields.object('aws')?.allowOnly(['account', 'region', 'ecrEndpoint', 'stsEndpoint']);
  if (aws) {
    const account = aws.string('account', { pattern: ACCOUNT, patternHint: 'an AWS account id is 12 digits, e.g. "123456789012"' });
    if (account !== undefined) out.aws.account = account || undefined;
    const region = aws.string('region', { pattern: REGION, patternHint: regionHint(aws.value.region) });
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
    out.teams.webhookEnv =
      teams.string('webhookEnv', {
        pattern: ENV_NAME,
        patternHint: 'name an environment variable, e.g. "TEAMS_WEBHOOK_URI"; never put the URL itself here',
      }) ?? out.teams.webhookEnv;
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
    if (!/^\d{4}-\d\d-\d\d$/.test(date) || Number.isNaN(Date.parse(date)))
      fields.fail(`dotnetEndOfSupport.${line}`, `"${date}" is not a date`, 'write YYYY-MM-DD');
    out.dotnetEndOfSupport[line] = date;
  }
  const cleanup = fields.object('cleanup')?.allowOnly(['registryAfter', 'localAfter']);
  if (cleanup) {
    out.cleanup.registryAfterMs = cleanup.duration('registryAfter') ?? out.cleanup.registryAfterMs;
    out.cleanup.localAfterMs = cleanup.duration('localAfter') ?? out.cleanup.localAfterMs;
  }
  return out;
}

const SHARED_KEYS = ['aws', 'registryMirrors', 'teams', 'docker', 'testAppSubstitutes', 'buildArgs', 'dotnetEndOfSupport', 'cleanup'];

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
    throw new ConfigError(
      source.file,
      `plugins[${PLUGIN_NAME}].options.profiles.${profile}`,
      `profile "${profile}" (from ${PROFILE_ENV}) is not defined`,
      known.length ? `use one of: ${known.join(', ')}, or unset ${PROFILE_ENV}` : `unset ${PROFILE_ENV}`,
    );
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
  // Editors on Windows may save a byte order mark, which JSON.parse takes for a stray character.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      displayName,
      '(file)',
      `is not valid JSON: ${formatJsonError((err as Error).message, text)}`,
      'no trailing commas or comments; keys and strings in double quotes',
    );
  }
  if (!isObject(value))
    throw new ConfigError(displayName, '(root)', 'must be a JSON object', 'write the settings as one object: { "field": value, … }');
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

/** The longest an integration test may wait for its answer (test-app.json, or the executor option). */
export const MAX_TEST_TIMEOUT_SECONDS = 3600;

function readTestApp(workspaceRoot: string, appDir: string, referencedFrom: { file: string; field: string }): TestAppSettings {
  const dir = path.resolve(workspaceRoot, appDir);
  const configFile = path.join(appDir, TEST_APP_FILE);
  if (!existsSync(path.join(dir, TEST_APP_FILE))) {
    throw new ConfigError(
      referencedFrom.file,
      referencedFrom.field,
      `test app "${appDir}" has no ${TEST_APP_FILE}`,
      `point it at a folder holding the test app's Dockerfile and ${TEST_APP_FILE}`,
    );
  }
  const fields = Fields.root(configFile, readJsonFile(path.join(dir, TEST_APP_FILE), configFile));
  fields.allowOnly(['dockerfile', 'context', 'port', 'request', 'expectStatus', 'timeoutSeconds']);
  const dockerfile = path.resolve(dir, fields.string('dockerfile') ?? 'Dockerfile');
  if (!existsSync(dockerfile))
    fields.fail(
      'dockerfile',
      `${path.relative(workspaceRoot, dockerfile)} does not exist`,
      `add the test app's Dockerfile, or set "dockerfile" (relative to ${appDir})`,
    );
  const request = fields.object('request')?.allowOnly(['method', 'path', 'headers', 'body']);
  const body = request?.value.body;
  return {
    dir,
    configFile,
    dockerfile,
    context: path.resolve(dir, fields.string('context') ?? '.'),
    port: fields.number('port', {
      min: 1,
      max: 65535,
      integer: true,
      whenLeftOut: 'to probe the port the image configures (ASPNETCORE_HTTP_PORTS)',
    }),
    request: {
      method: request?.oneOf('method', ['GET', 'POST', 'PUT', 'HEAD'] as const) ?? 'GET',
      path: request?.string('path', { pattern: /^\//, patternHint: 'start the path with /' }) ?? '/',
      headers: request?.stringMap('headers') ?? {},
      body: body === undefined || body === null ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    },
    expectStatus: fields.number('expectStatus', { min: 100, max: 599, integer: true, default: 200 })!,
    timeoutSeconds: fields.number('timeoutSeconds', { min: 1, max: MAX_TEST_TIMEOUT_SECONDS, default: 60 })!,
  };
}

export interface LoadImageInput {
  workspaceRoot: string;
  project: string;
  projectRoot: string;
  workspaceOptions: WorkspaceOptionsFile;
  env: Record<string, string | undefined>;
  /** The other images' configs, read once for every task of a run that shares this (one per call otherwise). */
  images?: WorkspaceImages;
}

/**
 * Image-level shared fields override the workspace; the profile then overrides both, because a
 * profile describes where the run happens (the local stack), not what the image is.
 */
function imageShared(fields: Fields, workspaceOptions: WorkspaceOptionsFile, profile: string | undefined): SharedSettings {
  const shared = readShared(fields, resolveShared(workspaceOptions, undefined));
  return profile ? readShared(profileFields(workspaceOptions, profile), shared) : shared;
}

export function loadImageSettings(input: LoadImageInput): ImageSettings {
  const { workspaceRoot, projectRoot, env } = input;
  const profile = env[PROFILE_ENV]?.trim() || undefined;
  const configFile = path.join(projectRoot, IMAGE_CONFIG_FILE);
  const fields = Fields.root(configFile, readJsonFile(path.join(workspaceRoot, configFile), configFile));
  fields.allowOnly(['dockerfile', 'context', 'ecr', 'integrationTest', ...SHARED_KEYS]);
  const shared = imageShared(fields, input.workspaceOptions, profile);

  const imageDir = path.join(workspaceRoot, projectRoot);
  const dockerfile = path.resolve(imageDir, fields.string('dockerfile') ?? 'Dockerfile');
  if (!existsSync(dockerfile))
    fields.fail(
      'dockerfile',
      `${path.relative(workspaceRoot, dockerfile)} does not exist`,
      'add a Dockerfile next to platform-image.json or set "dockerfile"',
    );
  const context = path.resolve(imageDir, fields.string('context') ?? '.');
  if (!existsSync(context))
    fields.fail(
      'context',
      `${path.relative(workspaceRoot, context)} does not exist`,
      'set "context" to a folder relative to the image folder, or leave it out for the image folder itself',
    );

  const ecrFields = fields.object('ecr') ?? fields.fail('ecr', 'is required', 'add "ecr": { "repository": "...", "tag": "..." }');
  ecrFields.allowOnly(['repository', 'tag', 'extraTags', 'scanOnPush', 'latest']);
  const repository = ecrFields.requiredString('repository', {
    pattern: REPOSITORY,
    patternHint: 'ECR repository names are lowercase, e.g. "dotnet/runtime"',
  });
  const tag = ecrFields.requiredString('tag', { pattern: /^[\w][\w.-]{0,100}$/, patternHint: 'a Docker tag such as "6.0-bullseye-slim"' });
  const extraTags = ecrFields.stringArray('extraTags') ?? [];
  extraTags.forEach((t, i) => {
    const unknown = unknownPlaceholders(t);
    if (unknown.length)
      ecrFields.fail(
        `extraTags[${i}]`,
        `unknown placeholder {${unknown[0]}}`,
        `known placeholders: ${KNOWN_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
      );
    if (!isValidTag(t.replace(/\{[^}]*\}/g, 'x')))
      ecrFields.fail(
        `extraTags[${i}]`,
        `"${t}" is not a valid Docker tag`,
        'a tag is at most 128 letters, digits, _ . and -, not starting with . or -',
      );
    const reserved = reservedPrefixOf(t);
    if (reserved)
      ecrFields.fail(
        `extraTags[${i}]`,
        `"${t}" starts with "${reserved}", which this product's own run tags use`,
        `choose another name: "${reserved}<run id>" tags are the ones each run writes and removes itself`,
      );
    if (/^\d+\.\d+\.\d+$/.test(t) || t.startsWith(`${tag}-`))
      ecrFields.fail(
        `extraTags[${i}]`,
        `"${t}" looks like a version tag`,
        'version tags are computed; extra tags must not collide with them',
      );
  });

  const itFields =
    fields.object('integrationTest') ??
    fields.fail('integrationTest', 'is required', 'add "integrationTest": { "app": "integration-tests/...", "replaceFrom": "..." }');
  itFields.allowOnly(['app', 'replaceFrom']);
  const appDir = normalizeAppPath(itFields.requiredString('app', { patternHint: 'the test app folder, e.g. "integration-tests/net6"' }));
  const replaceFrom = itFields.requiredString('replaceFrom', {
    patternHint: 'the image the test app\'s Dockerfile starts FROM, e.g. "mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim"',
  });
  try {
    parseImageRef(replaceFrom);
  } catch (err) {
    itFields.fail(
      'replaceFrom',
      (err as Error).message,
      'name the image the test app\'s Dockerfile starts FROM, e.g. "mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim"',
    );
  }
  const substitute = Object.entries(shared.testAppSubstitutes).find(([from]) => normalizeAppPath(from) === appDir)?.[1];
  const app = readTestApp(workspaceRoot, substitute ? normalizeAppPath(substitute) : appDir, {
    file: substitute ? (profile ? `nx.json (profile ${profile}) or ${configFile}` : `nx.json or ${configFile}`) : configFile,
    field: substitute ? `testAppSubstitutes.${appDir}` : 'integrationTest.app',
  });

  const ecr = {
    repository,
    tag,
    extraTags,
    scanOnPush: ecrFields.boolean('scanOnPush') ?? true,
    latest: ecrFields.boolean('latest') ?? true,
  };
  const force = parseForce(env);
  checkWebhook(shared.teams, env);
  const images = input.images ?? new WorkspaceImages(workspaceRoot, input.workspaceOptions, profile, env);
  const repositoryImages = checkSharedRepository(
    { projectRoot, configFile, ecr, region: ecrRegion(shared, env), account: shared.aws.account },
    images,
  );

  return {
    ...shared,
    project: input.project,
    workspaceRoot,
    projectRoot,
    configFile,
    dockerfile,
    context,
    ecr,
    integrationTest: { replaceFrom, app },
    force,
    profile,
    outputDir: recordsDir(workspaceRoot, projectRoot),
    repositoryImages,
  };
}

/**
 * With `teams.failOnError` a card that cannot be sent fails the run, after the image is published. A webhook
 * variable that is unset or not a URL is known now, before anything is built, so the run stops now. The
 * value is a secret: only the variable is named.
 */
function checkWebhook(teams: SharedSettings['teams'], env: Record<string, string | undefined>): void {
  if (!teams.failOnError) return;
  const webhook = webhookFrom(teams.webhookEnv, env);
  if (typeof webhook !== 'string') return;
  const problem = webhook.startsWith(`${teams.webhookEnv} `) ? webhook.slice(teams.webhookEnv.length + 1) : webhook;
  throw new ConfigError(
    'environment',
    teams.webhookEnv,
    `${problem}; teams.failOnError is true, so the run would fail after publishing`,
    `set ${teams.webhookEnv} to the Teams Workflows webhook URL (from a secret variable), or set teams.failOnError to false`,
  );
}

/** The region the image's repository lives in, as requireRegion will pick it (undefined when none is set anywhere). */
function ecrRegion(shared: SharedSettings, env: Record<string, string | undefined>): string | undefined {
  return shared.aws.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
}

interface EcrTarget {
  configFile: string;
  ecr: { repository: string; tag: string; latest: boolean; extraTags: string[] };
  region?: string;
  account?: string;
}

/**
 * Where every platform image of the workspace publishes, each config read once. A check over N images
 * compares each with all the others; reading every other config again for each image would be N² reads.
 * Built for one run's workspace options, profile and environment, which its tasks share.
 */
export class WorkspaceImages {
  private files?: string[];
  private readonly targets = new Map<string, EcrTarget | undefined>();

  constructor(
    private readonly workspaceRoot: string,
    private readonly workspaceOptions: WorkspaceOptionsFile,
    private readonly profile: string | undefined,
    private readonly env: Record<string, string | undefined>,
  ) {}

  /** Every image's config file, as createNodes finds them (`platform-images/<dotnet>/<variant>/`). */
  configFiles(): string[] {
    if (!this.files) {
      const dirs = (dir: string) => {
        try {
          return readdirSync(path.join(this.workspaceRoot, dir), { withFileTypes: true })
            .filter((e) => e.isDirectory())
            .map((e) => `${dir}/${e.name}`);
        } catch {
          return [];
        }
      };
      this.files = dirs('platform-images')
        .flatMap(dirs)
        .filter((root) => existsSync(path.join(this.workspaceRoot, root, IMAGE_CONFIG_FILE)))
        .map((root) => `${root}/${IMAGE_CONFIG_FILE}`)
        .sort();
    }
    return this.files;
  }

  /** What an image's config says about where it publishes; undefined when it is too broken to say (its own runs report that). */
  target(configFile: string): EcrTarget | undefined {
    if (!this.targets.has(configFile)) this.targets.set(configFile, this.readTarget(configFile));
    return this.targets.get(configFile);
  }

  private readTarget(configFile: string): EcrTarget | undefined {
    try {
      const fields = Fields.root(configFile, readJsonFile(path.join(this.workspaceRoot, configFile), configFile));
      const ecr = fields.object('ecr');
      const repository = ecr?.string('repository');
      const tag = ecr?.string('tag');
      if (!repository || !tag) return undefined;
      const shared = imageShared(fields, this.workspaceOptions, this.profile);
      return {
        configFile,
        ecr: { repository, tag, latest: ecr!.boolean('latest') ?? true, extraTags: ecr!.stringArray('extraTags') ?? [] },
        region: ecrRegion(shared, this.env),
        account: shared.aws.account,
      };
    } catch {
      return undefined;
    }
  }
}

/**
 * Images sharing an ECR repository must not fight over it: two with the same tag would number their versions
 * in one sequence and take turns overwriting what "the newest version" means, and two moving `latest` would
 * move it back and forth on every run. Both files are named, so either can be changed. Returns the moving
 * tags of the images sharing it, this one first.
 */
function checkSharedRepository(self: EcrTarget & { projectRoot: string }, images: WorkspaceImages): MovingTagSource[] {
  const sharing: MovingTagSource[] = [{ extraTags: self.ecr.extraTags, latest: self.ecr.latest }];
  const own = `${path.posix.normalize(self.projectRoot.replace(/\\/g, '/'))}/${IMAGE_CONFIG_FILE}`;
  for (const file of images.configFiles()) {
    if (file === own) continue;
    const other = images.target(file);
    if (!other || other.ecr.repository !== self.ecr.repository || other.region !== self.region || other.account !== self.account) continue;
    if (other.ecr.tag === self.ecr.tag) {
      throw new ConfigError(
        self.configFile,
        'ecr.tag',
        `${file} also publishes "${self.ecr.tag}-<version>" to ECR repository "${self.ecr.repository}": the two images would share one version sequence`,
        `give one of them another ecr.tag or ecr.repository`,
      );
    }
    if (other.ecr.latest && self.ecr.latest) {
      throw new ConfigError(
        self.configFile,
        'ecr.latest',
        `${file} also moves "latest" in ECR repository "${self.ecr.repository}": each run would move it to its own image`,
        `set "latest": false in all but one of the images sharing the repository (usually keep it on the newest .NET line)`,
      );
    }
    sharing.push({ extraTags: other.ecr.extraTags, latest: other.ecr.latest });
  }
  return sharing;
}

/**
 * The integration test replaces the FROM naming `integrationTest.replaceFrom` in the test app's Dockerfile;
 * without one the test app would not run on the new image at all. Known from the files alone, so a step
 * can refuse before anything is built.
 */
export function assertTestAppStartsFrom(settings: ImageSettings): void {
  const { replaceFrom, app } = settings.integrationTest;
  const text = readFileSync(app.dockerfile, 'utf8');
  const dockerfileName = path.relative(settings.workspaceRoot, app.dockerfile);
  let images: string[];
  try {
    if (startsFrom(text, replaceFrom)) return;
    images = fromImages(text);
  } catch (err) {
    if (err instanceof DockerfileSyntaxError)
      throw new ConfigError(dockerfileName, `line ${err.line}`, err.problem, 'docker build cannot read it either');
    throw err;
  }
  throw new ConfigError(
    settings.configFile,
    'integrationTest.replaceFrom',
    `no FROM in ${dockerfileName} names "${replaceFrom}"${images.length ? ` (it starts FROM ${images.join(', ')})` : ''}, so the test app would not run on the new image`,
    images.length
      ? `set it to the image in ${dockerfileName} that the new platform image stands in for`
      : `start ${dockerfileName} FROM ${replaceFrom}`,
  );
}

/**
 * An executor's options (from the command line, project.json or nx.json targetDefaults), read with the same
 * readers as the config files, so a value out of range gets the same message and fix.
 */
export function executorOptions(executor: string, options: unknown): Fields {
  return new Fields(`${executor} options (--option, project.json or nx.json targetDefaults)`, '', isObject(options) ? options : {});
}

export function requireRegion(settings: ImageSettings, env: Record<string, string | undefined>): string {
  const region = ecrRegion(settings, env);
  if (!region) {
    throw new ConfigError(
      'nx.json',
      `plugins[${PLUGIN_NAME}].options.aws.region`,
      'no AWS region configured',
      "set aws.region in nx.json (or the image's platform-image.json), or AWS_REGION",
    );
  }
  // A configured region was checked where it was read, with its file and field; one from the environment is checked here.
  if (!settings.aws.region && !REGION.test(region)) {
    throw new ConfigError(
      'environment',
      env.AWS_REGION ? 'AWS_REGION' : 'AWS_DEFAULT_REGION',
      `"${region}" is not an AWS region code`,
      regionHint(region),
    );
  }
  return region;
}
