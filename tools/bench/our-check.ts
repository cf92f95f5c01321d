/**
 * The product's check alone, for comparison with the seed's: the same code the mcr-check batch runs (one
 * session, every image's check at once), called in this process, without Nx's start-up and the four later
 * steps around it. Both checks then run in the same kind of process, over the same images, in the same run.
 * What each check decided is read from the record it wrote, as after an Nx run.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ExecutorContext, NxJsonConfiguration } from '@nx/devkit';
import mcrCheck from '../../packages/nx-plugin/src/executors/mcr-check/executor';
import { Session } from '../../packages/nx-plugin/src/executors/session';
import { checkOutcomes, type CheckOutcomes } from './workspace';

export interface OurCheckResult extends CheckOutcomes {
  seconds: number;
}

/** `projects` maps each project name to its root (e.g. `platform-images/bench/img-007`). */
export async function ourCheck(
  workspaceRoot: string,
  projects: Record<string, string>,
  env: Record<string, string | undefined>,
): Promise<OurCheckResult> {
  const nxJson = JSON.parse(readFileSync(path.join(workspaceRoot, 'nx.json'), 'utf8')) as NxJsonConfiguration;
  const context = {
    root: workspaceRoot,
    cwd: workspaceRoot,
    isVerbose: false,
    nxJsonConfiguration: nxJson,
    projectsConfigurations: {
      version: 2,
      projects: Object.fromEntries(Object.entries(projects).map(([name, root]) => [name, { name, root }])),
    },
  } as unknown as ExecutorContext;
  const session = new Session(env);
  const started = process.hrtime.bigint();
  await Promise.all(
    Object.keys(projects).map((project) =>
      mcrCheck({}, { ...context, projectName: project, targetName: 'mcr-check' }, { session, write: () => undefined }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    seconds,
    ...checkOutcomes(
      workspaceRoot,
      Object.entries(projects).map(([project, root]) => ({ project, root })),
    ),
  };
}
