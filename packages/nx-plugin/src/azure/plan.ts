/**
 * The planning job of the fan-out pipelines: which platform images this run handles, as an Azure
 * Pipelines matrix (one job per image) and a count, both as output variables of this step.
 *
 *   npx platform-images-azure plan [--target=publish] [--tag=type:platform-image]
 *                                  [--base=<sha> --head=<sha>] [--shards=<n>]
 *
 * Without --base every image is selected (the scheduled run); with it, the images `nx affected` would
 * run the target for between the two commits. With --shards the images are dealt over that many legs,
 * each running them together with `nx run-many` (one process per step for all of a leg's images), instead
 * of one leg per image. It runs `nx show projects` in the current directory, the workspace's root.
 */
import { execFileSync } from 'node:child_process';
import { createLogger } from '../lib/log';

export interface PlanOptions {
  target: string;
  tag: string;
  base?: string;
  head?: string;
  /** 0: one leg per image; n: the images dealt over n legs. */
  shards?: number;
}

/** A leg: one image (`project`), or a shard named in `project` whose images are `projects`, comma-separated. */
export type Matrix = Record<string, { project: string; projects?: string }>;

export function parseArgs(argv: string[]): PlanOptions {
  const options: PlanOptions = { target: 'publish', tag: 'type:platform-image' };
  for (const arg of argv) {
    const shards = /^--shards=(.*)$/.exec(arg);
    if (shards) {
      if (!/^\d+$/.test(shards[1])) throw new Error(`--shards=${shards[1]}: expected a whole number (0 for one leg per image)`);
      options.shards = Number(shards[1]);
      continue;
    }
    const m = /^--(target|tag|base|head)=(.+)$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg}; expected --target=, --tag=, --base=, --head=, --shards=`);
    options[m[1] as 'target' | 'tag' | 'base' | 'head'] = m[2];
  }
  if (options.head && !options.base) throw new Error('--head needs --base');
  return options;
}

/** The `nx show projects` arguments selecting the images (affected ones when a base is given). */
export function showProjectsArgs(options: PlanOptions): string[] {
  const args = ['nx', 'show', 'projects', `--with-target=${options.target}`, `--projects=tag:${options.tag}`, '--json'];
  if (options.base) args.push('--affected', `--base=${options.base}`, `--head=${options.head ?? 'HEAD'}`);
  return args;
}

/** The JSON list `nx show projects --json` printed, ignoring any line around it. */
export function parseProjectList(stdout: string): string[] {
  const line = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .reverse()
    .find((l) => l.startsWith('['));
  if (!line) throw new Error(`nx show projects printed no project list: ${stdout.slice(0, 200)}`);
  const list: unknown = JSON.parse(line);
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string')) throw new Error(`not a list of project names: ${line}`);
  return list;
}

/**
 * Matrix configuration names may hold only letters, digits and underscores and must start with a
 * letter, so `net6-runtime` becomes the leg `net6_runtime`; the real name travels in `project`.
 */
export function legName(project: string): string {
  const name = project.replace(/[^A-Za-z0-9_]/g, '_');
  return (/^[A-Za-z]/.test(name) ? name : `p_${name}`).slice(0, 100);
}

export function matrixFor(projects: string[], shards = 0): Matrix {
  const matrix: Matrix = {};
  const sorted = [...new Set(projects)].sort();
  if (shards > 0 && sorted.length) {
    // Dealt round-robin, so each leg gets a similar share of every .NET line and base.
    const legs = Math.min(shards, sorted.length);
    for (let i = 0; i < legs; i++) {
      matrix[`shard_${i + 1}_of_${legs}`] = {
        project: `shard-${i + 1}-of-${legs}`,
        projects: sorted.filter((_p, j) => j % legs === i).join(','),
      };
    }
    return matrix;
  }
  for (const project of sorted) {
    let leg = legName(project);
    for (let n = 2; leg in matrix; n++) leg = `${legName(project).slice(0, 96)}_${n}`;
    matrix[leg] = { project };
  }
  return matrix;
}

/** What the step prints: a readable list, then the two output variables the later jobs read. */
export function planOutput(projects: string[], options: PlanOptions): string[] {
  const matrix = matrixFor(projects, options.shards);
  const count = Object.keys(matrix).length;
  const images = new Set(projects).size;
  const scope = options.base ? `affected between ${options.base} and ${options.head ?? 'HEAD'}` : 'all';
  return [
    `${images} platform image(s) selected for ${options.target} (${scope})${options.shards && count ? ` in ${count} shard(s)` : ''}${count ? ':' : ''}`,
    ...Object.values(matrix).map(({ project, projects: list }) => `  ${project}${list ? `: ${list.split(',').join(' ')}` : ''}`),
    `##vso[task.setvariable variable=matrix;isOutput=true]${JSON.stringify(matrix)}`,
    `##vso[task.setvariable variable=count;isOutput=true]${count}`,
  ];
}

/** The `plan` command: prints the selection and the output variables; throws what stops it. */
export function plan(argv: string[], root = process.cwd()): void {
  const options = parseArgs(argv);
  const args = showProjectsArgs(options);
  console.log(`##[group]npx ${args.join(' ')}`);
  let stdout: string;
  try {
    stdout = execFileSync('npx', args, {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  } finally {
    console.log('##[endgroup]');
  }
  for (const line of planOutput(parseProjectList(stdout), options)) console.log(line);
}

/** The command line's entry: a failure is logged as a pipeline error and fails the step. */
export function runPlan(argv: string[]): number {
  try {
    plan(argv);
    return 0;
  } catch (err) {
    createLogger(process.env).error(`planning failed: ${(err as Error).message}`);
    return 1;
  }
}
