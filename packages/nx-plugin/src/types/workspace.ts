/**
 * Where things are in a workspace: the plugin's name in nx.json, the config files an image and a test app
 * are found by, the steps of an image's chain in order, and where each step leaves its record (the JSON a
 * step hands to the next, written as that target's Nx output).
 */
import * as path from 'node:path';

export const PLUGIN_NAME = '@platform-images/nx-plugin';
export const IMAGE_CONFIG_FILE = 'platform-image.json';
export const TEST_APP_FILE = 'test-app.json';

/**
 * The named input an image's steps hash its files by, when nx.json defines it (the init generator does), so a
 * workspace can leave files out, e.g. its README; every file of the project otherwise. Nx's own plugins do the same
 * with `default` and `production`.
 */
export const IMAGE_NAMED_INPUT = 'platformImage';

export const STEP_NAMES = ['mcr-check', 'docker-build', 'integration-test', 'ecr-publish', 'teams-notify'] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** The folder of an image's step records, relative to the workspace root: `dist/<projectRoot>`. */
export function recordDir(projectRoot: string): string {
  return `dist/${projectRoot.replace(/\\/g, '/').replace(/\/+$/, '')}`;
}

/** The same folder as a path: `<workspaceRoot>/dist/<projectRoot>`. */
export function recordsDir(workspaceRoot: string, projectRoot: string): string {
  return path.join(workspaceRoot, recordDir(projectRoot));
}

/** Why a step failed, beside the steps' records: `dist/<projectRoot>/failure.json` (steps/records.ts). */
export const FAILURE = 'failure' as const;
export type RecordName = StepName | typeof FAILURE;

/** The name of a record in its image's record folder. */
export function recordFileName(name: RecordName): string {
  return `${name}.json`;
}

/** One step's record, relative to the workspace root: `dist/<projectRoot>/<step>.json`. */
export function recordFile(projectRoot: string, step: StepName): string {
  return `${recordDir(projectRoot)}/${recordFileName(step)}`;
}
