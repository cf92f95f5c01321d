/**
 * Infers the projects from files, as @nx/docker does: every `platform-images/<dotnet>/<variant>/platform-image.json`
 * is a platform image project `<dotnet>-<variant>` with the five-step chain and `publish`; every
 * `integration-tests/<app>/test-app.json` is a test app project the images using it depend on, so
 * `nx affected` selects an image when its test app changes. In the workspace that holds the plugin's own
 * source, the images also depend on the plugin's project: a change to the code that checks, builds, tests and
 * publishes them selects them all.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { createNodesFromFiles, type CreateNodesV2, type TargetConfiguration } from '@nx/devkit';
import { PROFILE_ENV } from '../config/environment';
import {
  CHAIN_TARGET_KEYS,
  DEFAULT_LAYOUT,
  folderMatches,
  projectNameIn,
  readLayout,
  type ChainTargetKey,
  type Layout,
} from '../config/layout';
import { normalizeAppPath } from '../config/test-app';
import { dotnetLineOf } from '../lib/dotnet-support';
import {
  IMAGE_CONFIG_FILE,
  IMAGE_NAMED_INPUT,
  PLUGIN_NAME,
  recordFile,
  recordFileName,
  STEP_NAMES,
  TEST_APP_FILE,
} from '../types/workspace';

export const STEPS = STEP_NAMES;

/** The group `nx show project` and Nx Console list the chain's targets under. */
export const TARGET_GROUP = 'Platform image';

const DESCRIPTIONS: Record<ChainTargetKey, string> = {
  'mcr-check': 'Is the published image current? Compares the upstream base digest and the build context with its labels.',
  'docker-build': 'Builds the image FROM the checked base digest (only when stale).',
  'integration-test': 'Builds and runs the test app FROM the new image, expecting its HTTP answer (only when stale).',
  'ecr-publish': 'Pushes the tested image to ECR as the next version, latest and the extra tags (only when stale).',
  'teams-notify': 'Posts a card about what was published to Teams (only when something was).',
  publish: 'The whole chain: mcr-check → docker-build → integration-test → ecr-publish → teams-notify.',
};

/** A project's name from its folder, in the default layout (`platform-images/net6/runtime` → `net6-runtime`). */
export function projectNameFor(projectRoot: string, layout: Layout = DEFAULT_LAYOUT): string {
  return folderMatches(layout.testAppsGlob, projectRoot)
    ? projectNameIn(layout.testAppsGlob, projectRoot, 'test-app-')
    : projectNameIn(layout.imagesGlob, projectRoot);
}

/**
 * The test app project the image depends on. Only one that exists: an implicit dependency on a project that
 * does not exist fails the whole project graph, every nx command with it, without naming the file or the
 * field. For a missing or misspelt app the graph goes on and the executors report it with file and field.
 */
function testAppOf(workspaceRoot: string, configFile: string, layout: Layout): string | undefined {
  let app: unknown;
  try {
    app = (JSON.parse(readFileSync(path.join(workspaceRoot, configFile), 'utf8')) as { integrationTest?: { app?: unknown } } | null)
      ?.integrationTest?.app;
  } catch {
    // The executors report a broken config with its file and field; the graph still shows the project.
    return undefined;
  }
  if (typeof app !== 'string') return undefined;
  const root = normalizeAppPath(app);
  return folderMatches(layout.testAppsGlob, root) && existsSync(path.join(workspaceRoot, root, TEST_APP_FILE)) ? root : undefined;
}

/** The plugin's package root: this file is in src/plugin, or dist/plugin once built. */
const PLUGIN_ROOT = path.resolve(__dirname, '..', '..');

function realpath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/**
 * The plugin's own project, when the plugin is a project of this workspace: its package lies inside the
 * workspace and not under node_modules (this repository). Named by its project.json (which should name it:
 * Nx names a nameless one after its folder when plugins run in-process, after package.json otherwise), else by
 * its package.json. Installed from a registry, or linked from elsewhere (the end-to-end and benchmark
 * workspaces), it is no project here, and an implicit dependency on a project that does not exist would
 * fail every nx command.
 */
export function pluginProjectIn(workspaceRoot: string, pluginRoot: string = PLUGIN_ROOT): string | undefined {
  const relative = path.relative(realpath(workspaceRoot), realpath(pluginRoot));
  if (!relative || relative.startsWith('..') || path.isAbsolute(relative) || relative.split(path.sep).includes('node_modules')) {
    return undefined;
  }
  for (const file of ['project.json', 'package.json']) {
    try {
      const { name } = JSON.parse(readFileSync(path.join(pluginRoot, file), 'utf8')) as { name?: unknown };
      if (typeof name === 'string') return name;
    } catch {
      // No such file, or not one Nx could read either.
    }
  }
  return undefined;
}

export function imageTargets(
  testAppRoot: string | undefined,
  layout: Layout = DEFAULT_LAYOUT,
  namedInputs: Record<string, unknown> = {},
): Record<string, TargetConfiguration> {
  const names = layout.targetNames;
  const files = IMAGE_NAMED_INPUT in namedInputs ? IMAGE_NAMED_INPUT : '{projectRoot}/**/*';
  const targets: Record<string, TargetConfiguration> = {};
  STEPS.forEach((step, index) => {
    const inputs: TargetConfiguration['inputs'] = [files, { env: PROFILE_ENV }];
    // The later steps' records are each a function of the check's record alone: a run with work gets a
    // fresh run id there, a run without work writes the same "nothing to do" records every time. So their
    // hash takes the check's record and not the records of the steps in between, which Nx hashes before
    // they are written when the steps run in one batch (Nx 22 re-hashes them after the batch in name only:
    // nrwl/nx#35980), and the no-change path would otherwise miss the cache for every step but the first.
    if (index > 0) inputs.push({ dependentTasksOutputFiles: `**/${recordFileName('mcr-check')}`, transitive: true });
    if (testAppRoot && step === 'integration-test') inputs.push(`{workspaceRoot}/${testAppRoot}/**/*`);
    targets[names[step]] = {
      // The steps after the check share one executor, naming their step: Nx then runs a rebuild's steps in one
      // process (see executors/step). The check keeps its own, so the steps after it still replay from the
      // Nx cache when it finds nothing to do.
      ...(index === 0 ? { executor: `${PLUGIN_NAME}:${step}` } : { executor: `${PLUGIN_NAME}:step`, options: { step } }),
      dependsOn: index > 0 ? [names[STEPS[index - 1]]] : [],
      // The check always asks the registries; later steps replay from the Nx cache only when the check
      // found nothing to do (a rebuild's records carry a fresh run id, so they never hit the cache).
      cache: index > 0,
      inputs: index > 0 ? inputs : undefined,
      outputs: [`{workspaceRoot}/${recordFile('{projectRoot}', step)}`],
      metadata: { description: DESCRIPTIONS[step], technologies: ['docker'] },
    };
  });
  targets[names.publish] = {
    executor: 'nx:noop',
    dependsOn: [names['teams-notify']],
    metadata: { description: DESCRIPTIONS.publish, technologies: ['docker'] },
  };
  return targets;
}

/**
 * Nx hands createNodes every config file of the workspace (the glob below), and the layout in the plugin
 * options decides which are projects: a glob given to Nx must be fixed, the layout is the user's.
 */
export const createNodesV2: CreateNodesV2 = [
  `**/{${IMAGE_CONFIG_FILE},${TEST_APP_FILE}}`,
  (allFiles, options, context) => {
    const layout = readLayout(options);
    const pluginProject = pluginProjectIn(context.workspaceRoot);
    const namedInputs = context.nxJsonConfiguration.namedInputs ?? {};
    const files = allFiles.filter((file) => {
      const folder = path.posix.dirname(file.replace(/\\/g, '/'));
      return path.basename(file) === IMAGE_CONFIG_FILE
        ? folderMatches(layout.imagesGlob, folder)
        : folderMatches(layout.testAppsGlob, folder);
    });
    return createNodesFromFiles(
      (file) => {
        const projectRoot = path.posix.dirname(file.replace(/\\/g, '/'));
        const name = projectNameFor(projectRoot, layout);
        if (path.basename(file) === TEST_APP_FILE) {
          return {
            projects: { [projectRoot]: { name, root: projectRoot, projectType: 'application', tags: ['type:test-app'], targets: {} } },
          };
        }
        const testApp = testAppOf(context.workspaceRoot, file, layout);
        const dotnet = dotnetLineOf(projectRoot);
        return {
          projects: {
            [projectRoot]: {
              name,
              root: projectRoot,
              projectType: 'application',
              tags: ['type:platform-image', ...(dotnet ? [`dotnet:${dotnet}`] : [])],
              implicitDependencies: [...(testApp ? [projectNameFor(testApp, layout)] : []), ...(pluginProject ? [pluginProject] : [])],
              targets: imageTargets(testApp, layout, namedInputs),
              metadata: {
                description: `Platform image ${name}: kept current with its base image by ${layout.targetNames.publish}.`,
                technologies: ['docker'],
                targetGroups: { [TARGET_GROUP]: CHAIN_TARGET_KEYS.map((key) => layout.targetNames[key]) },
              },
            },
          },
        };
      },
      files,
      options,
      context,
    );
  },
];

export const createNodes = createNodesV2;
