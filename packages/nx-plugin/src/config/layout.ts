/**
 * Where a workspace keeps its platform images and test apps, and what the chain's targets are called: the
 * plugin options `imagesGlob`, `testAppsGlob` and `targetNames` in nx.json, with this repository's layout as
 * the defaults. Nx conventions for inferred targets (@nx/docker's `buildTarget`, @nx/vite's `buildTargetName`)
 * let a workspace rename targets that would clash with its own; the chain's steps are still found by their
 * executor, never by the target's name.
 */
import { readdirSync, type Dirent } from 'node:fs';
import * as path from 'node:path';
import type { TargetConfiguration } from '@nx/devkit';
import { minimatch } from 'minimatch';
import { PLUGIN_NAME, STEP_NAMES, type StepName } from '../types/workspace';
import { Fields, isObject } from './validate';

/** The target that runs the whole chain, beside the five steps. */
export const CHAIN_TARGET = 'publish';
export type ChainTargetKey = StepName | typeof CHAIN_TARGET;
export const CHAIN_TARGET_KEYS: readonly ChainTargetKey[] = [...STEP_NAMES, CHAIN_TARGET];

export interface Layout {
  /** Folders holding a platform-image.json that are image projects, as `platform-images/<dotnet>/<variant>`. */
  imagesGlob: string;
  /** Folders holding a test-app.json that are test app projects, e.g. `integration-tests/*`. */
  testAppsGlob: string;
  /** Each step's target name, and the chain's. */
  targetNames: Readonly<Record<ChainTargetKey, string>>;
}

export const DEFAULT_LAYOUT: Layout = Object.freeze({
  imagesGlob: 'platform-images/*/*',
  testAppsGlob: 'integration-tests/*',
  targetNames: Object.freeze(Object.fromEntries(CHAIN_TARGET_KEYS.map((key) => [key, key])) as Record<ChainTargetKey, string>),
});

export const LAYOUT_KEYS = ['imagesGlob', 'testAppsGlob', 'targetNames'];

/** A folder glob relative to the workspace root: no leading `/` or `./`, no `..`, no trailing `/`. */
const FOLDER_GLOB = /^(?![./])(?!.*(^|\/)\.\.(\/|$))[^\s]+(?<!\/)$/;
/** Nx's own target name rule is looser; these are names `nx run project:target` and `-t` take without quoting. */
const TARGET_NAME = /^[A-Za-z][\w-]*$/;

function readGlob(fields: Fields, key: 'imagesGlob' | 'testAppsGlob'): string | undefined {
  const glob = fields.string(key, {
    pattern: FOLDER_GLOB,
    patternHint: `a folder glob relative to the workspace root, e.g. "${DEFAULT_LAYOUT[key]}"`,
  });
  if (glob === undefined) return undefined;
  if (literalPrefix(glob).length === glob.split('/').length) {
    fields.fail(
      key,
      `"${glob}" names one folder, not a set of them`,
      `put * where each project's own folder name goes, e.g. "${DEFAULT_LAYOUT[key]}"`,
    );
  }
  if (literalPrefix(glob).length === 0) {
    fields.fail(key, `"${glob}" starts with a wildcard`, `start with the folder that holds them, e.g. "${DEFAULT_LAYOUT[key]}"`);
  }
  return glob;
}

/**
 * The layout the plugin options give. `file` names where they came from (nx.json) for the message; the
 * options are those of the plugin's entry in `plugins`.
 */
export function readLayout(options: unknown, file = 'nx.json'): Layout {
  const fields = new Fields(file, `plugins[${PLUGIN_NAME}].options`, isObject(options) ? options : {});
  const imagesGlob = readGlob(fields, 'imagesGlob') ?? DEFAULT_LAYOUT.imagesGlob;
  const testAppsGlob = readGlob(fields, 'testAppsGlob') ?? DEFAULT_LAYOUT.testAppsGlob;
  if (imagesGlob === testAppsGlob) {
    fields.fail(
      'testAppsGlob',
      `is the same as imagesGlob ("${imagesGlob}")`,
      'keep test apps in folders of their own, e.g. "integration-tests/*"',
    );
  }
  const names = fields.object('targetNames')?.allowOnly([...CHAIN_TARGET_KEYS]);
  const targetNames = { ...DEFAULT_LAYOUT.targetNames };
  for (const key of CHAIN_TARGET_KEYS) {
    const name = names?.string(key, { pattern: TARGET_NAME, patternHint: `a target name such as "${key}" (letters, digits, - and _)` });
    if (name !== undefined) targetNames[key] = name;
  }
  const seen = new Map<string, ChainTargetKey>();
  for (const key of CHAIN_TARGET_KEYS) {
    const other = seen.get(targetNames[key]);
    if (other) names!.fail(key, `"${targetNames[key]}" is also the name of ${other}'s target`, 'give every step a target name of its own');
    seen.set(targetNames[key], key);
  }
  return Object.freeze({ imagesGlob, testAppsGlob, targetNames: Object.freeze(targetNames) });
}

/** The glob's leading segments that have no wildcard: where its projects are kept. */
export function literalPrefix(glob: string): string[] {
  const segments = glob.split('/');
  const first = segments.findIndex((segment) => /[*?[\]{}!()+@]/.test(segment));
  return first < 0 ? segments : segments.slice(0, first);
}

/** Whether a folder (relative to the workspace root, `/`-separated) is one the glob names. */
export function folderMatches(glob: string, folder: string): boolean {
  return minimatch(folder, glob, { dot: false });
}

/**
 * A project's name from its folder: the segments below the glob's fixed part joined with `-`
 * (`platform-images/net6/runtime` → `net6-runtime`), test apps with `test-app-` in front
 * (`integration-tests/net6` → `test-app-net6`), as the projects of this layout have always been named.
 */
export function projectNameIn(glob: string, folder: string, prefix = ''): string {
  const own = folder.split('/').slice(literalPrefix(glob).length);
  return `${prefix}${own.join('-')}`;
}

/** The step a chain target runs: by its executor (the steps after mcr-check share `step`, naming theirs in options). */
export function stepOfTarget(target: TargetConfiguration | undefined): StepName | undefined {
  const executor = target?.executor;
  if (!executor?.startsWith(`${PLUGIN_NAME}:`)) return undefined;
  const name = executor.slice(PLUGIN_NAME.length + 1);
  const options: unknown = target?.options;
  const step = name === 'step' && isObject(options) ? options.step : name;
  return (STEP_NAMES as readonly unknown[]).includes(step) ? (step as StepName) : undefined;
}

/** Folders Nx never makes projects of, and a walk for `**` must not descend into. */
const SKIPPED = new Set(['node_modules', 'dist', 'tmp']);

/**
 * The workspace's folders the glob names, relative to `workspaceRoot`: walked one segment at a time from the
 * glob's fixed part, so the default images glob reads two levels of one folder, not the whole workspace.
 */
export function foldersMatching(workspaceRoot: string, glob: string): string[] {
  const segments = glob.split('/');
  const subfolders = (folder: string): string[] => {
    let entries: Dirent[];
    try {
      entries = readdirSync(path.join(workspaceRoot, folder), { withFileTypes: true });
    } catch {
      return [];
    }
    return entries
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !SKIPPED.has(entry.name))
      .map((entry) => (folder ? `${folder}/${entry.name}` : entry.name));
  };
  let folders = [literalPrefix(glob).join('/')];
  for (const [index, segment] of segments.entries()) {
    if (index < literalPrefix(glob).length) continue;
    if (segment === '**') {
      // Every folder below, to any depth; the full glob decides at the end.
      const all: string[] = [];
      const walk = (folder: string) => {
        all.push(folder);
        subfolders(folder).forEach(walk);
      };
      folders.forEach(walk);
      folders = all;
    } else {
      folders = folders.flatMap(subfolders).filter((folder) => minimatch(path.posix.basename(folder), segment));
    }
  }
  return [...new Set(folders)].filter((folder) => folderMatches(glob, folder)).sort();
}
