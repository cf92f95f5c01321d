/**
 * The steps after mcr-check, behind one executor: docker-build, integration-test, ecr-publish and teams-notify,
 * each target naming its step in `options.step`. Nx puts the dependents of a task into that task's batch when
 * they share its executor, so a rebuild runs these four steps in one process (one start of Nx's task runner
 * and of the plugin, one Docker engine check, one ECR client) instead of one process per step. mcr-check keeps
 * its own executor: it is never cached, and Nx looks up the later steps' cache only for tasks whose
 * dependencies in the batch came from the cache, so the no-change path still replays them from the Nx cache
 * without starting a process at all.
 */
import type { ExecutorContext } from '@nx/devkit';
import { STEP_OPTIONS as ALL_STEP_OPTIONS } from '../../config/executor-options';
import { describeError, UserError } from '../../types/errors';
import { createLogger } from '../../lib/log';
import { recordFailure } from '../../steps/records';
import dockerBuild, { type DockerBuildOptions } from '../docker-build/executor';
import ecrPublish from '../ecr-publish/executor';
import integrationTest, { type IntegrationTestOptions } from '../integration-test/executor';
import teamsNotify, { type TeamsNotifyOptions } from '../teams-notify/executor';
import { batchOf, nxParallel, type TaskRuntime } from '../run-step';

/** The steps this executor runs, each with the options it takes (its own executor's schema). */
export const STEP_OPTIONS = {
  'docker-build': ALL_STEP_OPTIONS['docker-build'],
  'integration-test': ALL_STEP_OPTIONS['integration-test'],
  'ecr-publish': ALL_STEP_OPTIONS['ecr-publish'],
  'teams-notify': ALL_STEP_OPTIONS['teams-notify'],
} as const;

export type ChainStep = keyof typeof STEP_OPTIONS;

export type StepOptions = { step: ChainStep } & DockerBuildOptions & IntegrationTestOptions & TeamsNotifyOptions;

const EXECUTORS: Record<ChainStep, (options: never, context: ExecutorContext, runtime?: TaskRuntime) => Promise<{ success: boolean }>> = {
  'docker-build': dockerBuild,
  'integration-test': integrationTest,
  'ecr-publish': ecrPublish,
  'teams-notify': teamsNotify,
};

/**
 * What is wrong with a target's options, undefined when nothing: the step must be one of the four, and each
 * option one its step takes (one schema serves all four, so it cannot say that `builder` is no option of
 * teams-notify).
 */
export function stepOptionsProblem(options: Record<string, unknown>): UserError | undefined {
  const { step, ...rest } = options;
  const steps = Object.keys(STEP_OPTIONS);
  if (typeof step !== 'string' || !steps.includes(step)) {
    return new UserError(
      `the target's options: step ${JSON.stringify(step)} is not one of ${steps.join(', ')}`,
      'the platform image targets are inferred with their step: remove "step" from the target\'s options in project.json or nx.json targetDefaults',
    );
  }
  const allowed: readonly string[] = STEP_OPTIONS[step as ChainStep];
  const foreign = Object.keys(rest).filter((key) => !allowed.includes(key));
  if (!foreign.length) return undefined;
  return new UserError(
    `${step} options: ${foreign.join(', ')} ${foreign.length === 1 ? 'is not an option' : 'are not options'} of ${step} ` +
      `(${allowed.length ? `its options: ${allowed.join(', ')}` : 'it takes none'})`,
    "remove it from this target's options (--option, project.json or nx.json targetDefaults), or set it on the step it belongs to",
  );
}

export default async function step(options: StepOptions, context: ExecutorContext, runtime?: TaskRuntime) {
  const problem = stepOptionsProblem({ ...options });
  if (problem) {
    const log = createLogger(process.env, runtime?.write ?? ((line) => process.stdout.write(line + '\n')));
    log.error(`${context.projectName}: ${context.targetName} failed: ${describeError(problem)}`);
    recordFailure(context, context.targetName ?? String(options.step), problem, { warn: (p) => log.warn(`${context.projectName}: ${p}`) });
    return { success: false };
  }
  const { step: name, ...stepOptions } = options;
  return EXECUTORS[name](stepOptions as never, context, runtime);
}

/** The steps of every image in the run, in one process: each task once its predecessor has succeeded, `parallel` at a time. */
export const batch = batchOf(step, nxParallel);
