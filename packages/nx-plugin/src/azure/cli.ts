/**
 * `platform-images-azure`, the command line the Azure Pipelines templates run (package.json `bin`), in the
 * workspace's root:
 *
 *   npx platform-images-azure plan [--target=publish] [--tag=type:platform-image] [--base=<sha> --head=<sha>] [--shards=<n>]
 *   npx platform-images-azure base-sha [--branch=refs/heads/main]
 *   npx platform-images-azure combine-summaries --dir=<downloaded artifacts> --out=<file.md>
 *
 * Each command is a module of this folder; this one only picks it and hands over its exit code.
 */
import { runBaseSha } from './base-sha';
import { runCombineSummaries } from './combine-summaries';
import { runPlan } from './plan';

export const CLI_NAME = 'platform-images-azure';

/** The commands, each with what it does (the usage text) and its entry, which resolves to the exit code. */
export const COMMANDS: Record<string, { summary: string; run: (argv: string[]) => number | Promise<number> }> = {
  plan: { summary: 'the platform images this run handles, as a matrix and a count (output variables)', run: runPlan },
  'base-sha': { summary: 'the base commit of a change-driven run (the variable PLATFORM_IMAGES_BASE)', run: runBaseSha },
  'combine-summaries': { summary: "one run summary and status page from the image jobs' summaries", run: runCombineSummaries },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    `usage: ${CLI_NAME} <command> [options]`,
    ...Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`),
  ].join('\n');
}

/** Runs the command `argv` names and resolves to its exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    console.error(`${CLI_NAME}: unknown command ${name}\n${usage()}`);
    return 2;
  }
  return command.run(rest);
}
