/**
 * normalizeSettings: the one place an image's settings are made. Layers in (workspace, image, profile, the
 * targets' options, environment), a validated, frozen ImageSettings out. Everything it reads comes through its
 * arguments (files through `files`, the other images through `images`), so the same layers always give the
 * same settings or the same error; loadImageSettings gives it the disk.
 */
import * as path from 'node:path';
import { parseImageRef } from '../types/image-ref';
import { DEFAULT_PLATFORMS, platformsProblem } from '../types/platforms';
import { extraTagProblem, REPOSITORY_NAME, REPOSITORY_NAME_HINT, VERSION_PREFIX } from '../types/tags';
import { IMAGE_CONFIG_FILE, recordsDir } from '../types/workspace';
import { parseForce, profileFrom, type Env } from './environment';
import { readTargetOptions, type TargetOptions } from './executor-options';
import { diskFiles, type ConfigFiles } from './json';
import { regionOf } from './region';
import { imageShared, SHARED_KEYS, type WorkspaceOptionsFile } from './shared';
import { checkSharedRepository } from './shared-repository';
import { DEFAULT_CHECK_TIMEOUT_MS, type ImageSettings } from './settings';
import { normalizeAppPath, readTestApp } from './test-app';
import { Fields } from './validate';
import { WorkspaceImages } from './workspace-images';

export interface SettingsLayers {
  workspaceRoot: string;
  project: string;
  projectRoot: string;
  /** nx.json's plugin options. */
  workspace: WorkspaceOptionsFile;
  /** The options of the image's targets, by step (the running one's as Nx passed them). */
  targetOptions?: TargetOptions;
  env: Env;
  files: ConfigFiles;
  /** Every image's config, for the rules of a shared repository. */
  images: WorkspaceImages;
}

export function normalizeSettings(layers: SettingsLayers): Readonly<ImageSettings> {
  const { workspaceRoot, projectRoot, env, files } = layers;
  const profile = profileFrom(env);
  const configFile = path.join(projectRoot, IMAGE_CONFIG_FILE);
  const fields = Fields.root(configFile, files.readJson(path.join(workspaceRoot, configFile), configFile));
  fields.allowOnly(['dockerfile', 'context', 'platforms', 'ecr', 'integrationTest', ...SHARED_KEYS]);
  const shared = imageShared(fields, layers.workspace, profile);

  const imageDir = path.join(workspaceRoot, projectRoot);
  const dockerfile = path.resolve(imageDir, fields.string('dockerfile') ?? 'Dockerfile');
  if (!files.exists(dockerfile))
    fields.fail(
      'dockerfile',
      `${path.relative(workspaceRoot, dockerfile)} does not exist`,
      'add a Dockerfile next to platform-image.json or set "dockerfile"',
    );
  const context = path.resolve(imageDir, fields.string('context') ?? '.');
  if (!files.exists(context))
    fields.fail(
      'context',
      `${path.relative(workspaceRoot, context)} does not exist`,
      'set "context" to a folder relative to the image folder, or leave it out for the image folder itself',
    );

  const platforms = fields.stringArray('platforms') ?? [...DEFAULT_PLATFORMS];
  const platformProblem = platformsProblem(platforms);
  if (platformProblem)
    fields.fail(
      platformProblem.index === undefined ? 'platforms' : `platforms[${platformProblem.index}]`,
      platformProblem.problem,
      platformProblem.fix,
    );

  const ecrFields = fields.object('ecr') ?? fields.fail('ecr', 'is required', 'add "ecr": { "repository": "...", "tag": "..." }');
  ecrFields.allowOnly(['repository', 'tag', 'extraTags', 'scanOnPush', 'latest']);
  const repository = ecrFields.requiredString('repository', { pattern: REPOSITORY_NAME, patternHint: REPOSITORY_NAME_HINT });
  const tag = ecrFields.requiredString('tag', { pattern: VERSION_PREFIX, patternHint: 'a Docker tag such as "6.0-bullseye-slim"' });
  const extraTags = ecrFields.stringArray('extraTags') ?? [];
  extraTags.forEach((t, i) => {
    const found = extraTagProblem(t, tag);
    if (found) ecrFields.fail(`extraTags[${i}]`, found.problem, found.fix);
  });

  const itFields =
    fields.object('integrationTest') ??
    fields.fail('integrationTest', 'is required', 'add "integrationTest": { "app": "integration-tests/...", "replaceFrom": "..." }');
  itFields.allowOnly(['app', 'replaceFrom', 'requireAllPlatforms']);
  const appDir = normalizeAppPath(itFields.requiredString('app', { patternHint: 'the test app folder, e.g. "integration-tests/net6"' }));
  const replaceFromHint = 'the image the test app\'s Dockerfile starts FROM, e.g. "mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim"';
  const replaceFrom = itFields.requiredString('replaceFrom', { patternHint: replaceFromHint });
  try {
    parseImageRef(replaceFrom);
  } catch (err) {
    itFields.fail('replaceFrom', (err as Error).message, `name ${replaceFromHint}`);
  }
  const substitute = Object.entries(shared.testAppSubstitutes).find(([from]) => normalizeAppPath(from) === appDir)?.[1];
  const app = readTestApp(files, workspaceRoot, substitute ? normalizeAppPath(substitute) : appDir, {
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
  const repositoryImages = checkSharedRepository(
    { projectRoot, configFile, ecr, region: regionOf(shared.aws, env), account: shared.aws.account },
    layers.images,
  );

  // The targets' options come last but one: they are this run's choice, over every file.
  const options = readTargetOptions(layers.targetOptions ?? {});
  const settings: ImageSettings = {
    ...shared,
    teams: {
      ...shared.teams,
      failOnError: options.teamsFailOnError ?? shared.teams.failOnError,
      ...(options.teamsTimeoutMs !== undefined ? { timeoutMs: options.teamsTimeoutMs } : {}),
    },
    docker: { ...shared.docker, builder: options.builder ?? shared.docker.builder },
    project: layers.project,
    workspaceRoot,
    projectRoot,
    configFile,
    dockerfile,
    context,
    ecr,
    platforms,
    integrationTest: {
      replaceFrom,
      requireAllPlatforms: itFields.boolean('requireAllPlatforms') ?? false,
      app: { ...app, timeoutSeconds: options.testTimeoutSeconds ?? app.timeoutSeconds },
    },
    check: { timeoutMs: options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS, ...(options.reportFindings ? { reportFindings: true } : {}) },
    // The environment last: a scheduled run's force switch forces whatever the targets say.
    force: parseForce(env) || options.force === true,
    profile,
    outputDir: recordsDir(workspaceRoot, projectRoot),
    repositoryImages,
  };
  return deepFreeze(settings);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export interface LoadImageInput {
  workspaceRoot: string;
  project: string;
  projectRoot: string;
  workspaceOptions: WorkspaceOptionsFile;
  targetOptions?: TargetOptions;
  env: Env;
  /** The other images' configs, read once for every task of a run that shares this (one per call otherwise). */
  images?: WorkspaceImages;
  files?: ConfigFiles;
}

/** normalizeSettings over the disk: the files as they are now. */
export function loadImageSettings(input: LoadImageInput): Readonly<ImageSettings> {
  const files = input.files ?? diskFiles;
  return normalizeSettings({
    workspaceRoot: input.workspaceRoot,
    project: input.project,
    projectRoot: input.projectRoot,
    workspace: input.workspaceOptions,
    targetOptions: input.targetOptions,
    env: input.env,
    files,
    images: input.images ?? new WorkspaceImages(input.workspaceRoot, input.workspaceOptions, profileFrom(input.env), input.env, files),
  });
}
