/**
 * `nx g @platform-images/nx-plugin:platform-image`: a new platform image folder the plugin infers a
 * project from (`platform-images/<dotnet>/<variant>/platform-image.json` → `<dotnet>-<variant>`), with a
 * hardened Dockerfile and, on request, its scheduled Azure Pipelines pipeline.
 */
import * as path from 'node:path';
import { formatFiles, generateFiles, joinPathFragments, logger, readNxJson, visitNotIgnoredFiles, type Tree } from '@nx/devkit';
import { IMAGE_CONFIG_FILE, PLUGIN_NAME, TEST_APP_FILE } from '../../types/workspace';
import { DockerfileSyntaxError } from '../../lib/dockerfile';
import { startsFrom } from '../../lib/dockerfile-rewrite';
import { normalizeOptions, type NormalizedOptions } from './normalize';
import { configSchemaRef } from '../config-schema';
import type { PlatformImageGeneratorSchema } from './schema';

export type { PlatformImageGeneratorSchema } from './schema';

/** Where the integration test will find the test app's Dockerfile and build context. */
interface TestAppFiles {
  dockerfile: string;
  context: string;
}

function readTestApp(tree: Tree, options: NormalizedOptions, warnings: string[]): TestAppFiles {
  const configFile = joinPathFragments(options.testApp, TEST_APP_FILE);
  const fallback = { dockerfile: joinPathFragments(options.testApp, 'Dockerfile'), context: options.testApp };
  if (!tree.exists(configFile)) {
    warnings.push(
      `${options.testApp} has no ${TEST_APP_FILE}: ` +
        `${options.project}'s integration test fails until it exists (a Dockerfile whose FROM names ${options.replaceFrom}, ` +
        `and ${TEST_APP_FILE} saying how to probe it)`,
    );
    return fallback;
  }
  let config: { dockerfile?: unknown; context?: unknown };
  try {
    const parsed = JSON.parse(tree.read(configFile, 'utf-8') ?? '') as unknown;
    config = parsed !== null && typeof parsed === 'object' ? parsed : {};
  } catch {
    warnings.push(`${configFile} is not valid JSON: ${options.project}'s integration test fails until it is fixed`);
    return fallback;
  }
  const files = {
    dockerfile: joinPathFragments(options.testApp, typeof config.dockerfile === 'string' ? config.dockerfile : 'Dockerfile'),
    context: joinPathFragments(options.testApp, typeof config.context === 'string' ? config.context : '.'),
  };
  // The integration test builds the test app FROM the new image by replacing the FROM naming replaceFrom.
  const dockerfileText = tree.read(files.dockerfile, 'utf-8');
  if (dockerfileText === null) {
    warnings.push(`${files.dockerfile} does not exist: ${options.project}'s integration test fails until it does`);
  } else {
    try {
      if (!startsFrom(dockerfileText, options.replaceFrom)) {
        warnings.push(
          `no FROM in ${files.dockerfile} names ${options.replaceFrom}, ` +
            `so the integration test would not use the new image and fails; pass --replaceFrom with an image it starts FROM`,
        );
      }
    } catch (err) {
      if (!(err instanceof DockerfileSyntaxError)) throw err;
      warnings.push(
        `${files.dockerfile}: ${err.message}, which docker build cannot read either: ${options.project}'s integration test fails until it is fixed`,
      );
    }
  }
  return files;
}

/** Workspace-wide values the pipeline parameters repeat: the plugin's AWS settings and the main branch. */
function workspaceValues(tree: Tree): { awsRegion: string; awsAccount: string; branch: string } {
  const nxJson = readNxJson(tree);
  const entry = nxJson?.plugins?.find((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN_NAME);
  const aws =
    (typeof entry === 'object' ? (entry.options as { aws?: { region?: unknown; account?: unknown } } | undefined)?.aws : undefined) ?? {};
  return {
    awsRegion: typeof aws.region === 'string' ? aws.region : '',
    awsAccount: typeof aws.account === 'string' ? aws.account : '',
    branch: nxJson?.defaultBase ?? nxJson?.affected?.defaultBase ?? 'main',
  };
}

/**
 * The image that already moves `latest` in this repository, if any: one repository has one `latest`,
 * so a new image sharing it is written with `"latest": false`.
 */
function latestOwnerOf(tree: Tree, repository: string): string | undefined {
  const found: string[] = [];
  visitNotIgnoredFiles(tree, 'platform-images', (file) => {
    if (path.posix.basename(file) !== IMAGE_CONFIG_FILE) return;
    try {
      const ecr = (JSON.parse(tree.read(file, 'utf-8') ?? '') as { ecr?: { repository?: unknown; latest?: unknown } }).ecr;
      if (ecr?.repository === repository && ecr.latest !== false) found.push(file);
    } catch {
      // An unreadable config is reported by that image's own runs.
    }
  });
  return found[0];
}

/** Azure Pipelines spells the build placeholders as macros (the seed pipelines' `$(Build.BuildNumber)`). */
const PIPELINE_MACROS: Record<string, string> = { buildNumber: '$(Build.BuildNumber)', buildId: '$(Build.BuildId)' };

export function pipelineExtraTags(extraTags: string[]): string[] {
  return extraTags.map((tag) => tag.replace(/\{(\w+)\}/g, (all, name: string) => PIPELINE_MACROS[name] ?? all));
}

function registryUri(options: NormalizedOptions): string {
  const { registry, repository } = options.baseRef;
  return registry === 'mcr.microsoft.com'
    ? `https://${registry}/api/v1/catalog/${repository}/tags`
    : `https://${registry}/v2/${repository}/tags/list`;
}

/** A single-quoted YAML scalar: nothing in it is interpreted. */
function yamlQuote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A JSON value on one line, arrays spaced as the existing platform-image.json files write them. */
function jsonInline(value: unknown): string {
  return Array.isArray(value) ? `[${value.map((v) => JSON.stringify(v)).join(', ')}]` : JSON.stringify(value);
}

export async function platformImageGenerator(tree: Tree, schema: PlatformImageGeneratorSchema): Promise<void> {
  const options = normalizeOptions(schema);
  if (tree.exists(options.imageDir)) {
    throw new Error(
      `${options.imageDir} already exists (project ${options.project}): choose another --variant, or edit that image instead`,
    );
  }
  const warnings = [...options.warnings];
  const testApp = readTestApp(tree, options, warnings);

  const substitutions = {
    ...options,
    json: jsonInline,
    tmpl: '',
    latestOwner: latestOwnerOf(tree, options.repository),
    configSchema: configSchemaRef(tree, options.imageDir, 'platform-image'),
  };
  generateFiles(tree, path.join(__dirname, 'files', 'image'), options.imageDir, substitutions);
  if (options.pipeline) {
    generateFiles(tree, path.join(__dirname, 'files', 'pipeline'), options.imageDir, {
      ...substitutions,
      ...workspaceValues(tree),
      q: yamlQuote,
      pipelineExtraTags: pipelineExtraTags(options.extraTags),
      mcrRegistryUri: registryUri(options),
      testAppDockerfile: testApp.dockerfile,
      testAppContext: testApp.context,
    });
  }
  for (const warning of warnings) logger.warn(warning);

  // The templates are written formatted; this only matters in a workspace that adopts Prettier
  // (without it installed formatFiles changes nothing).
  await formatFiles(tree);
  logger.info(
    `${options.project}: ` +
      `${options.imageDir}/${IMAGE_CONFIG_FILE} builds FROM ${options.base} and publishes to ECR ${options.repository}:${options.tag}-<version>`,
  );
}

export default platformImageGenerator;
