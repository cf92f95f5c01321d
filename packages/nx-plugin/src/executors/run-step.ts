/**
 * What every executor shares: settings normalised once, its record cleared before and written after,
 * errors reported as one clear message (user mistakes without a stack), and the no-change short cut.
 */
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { loadImageSettings, type ImageSettings } from '../config/settings';
import { describeError } from '../lib/errors';
import { createLogger, type Logger } from '../lib/log';
import { Records, STEP_NAMES, type CheckRecord, type RecordTypes, type StepName } from '../steps/records';
import { pluginOptions, Session } from './session';

export interface StepEnv {
  settings: ImageSettings;
  records: Records;
  log: Logger;
  env: Record<string, string | undefined>;
  check: CheckRecord;
  session: Session;
}

/** Where a task runs: alone (its own session, output to stdout) or as one of a batch (shared session, output captured). */
export interface TaskRuntime {
  session: Session;
  write: (line: string) => void;
}

function standalone(): TaskRuntime {
  return { session: new Session(), write: (line) => process.stdout.write(line + '\n') };
}

export async function runStep<S extends StepName>(
  step: S,
  context: ExecutorContext,
  body: (env: StepEnv) => Promise<RecordTypes[S]>,
  opts: {
    applyOptions?: (settings: ImageSettings) => void;
    whenCurrent?: (check: CheckRecord) => RecordTypes[S];
    /** A current image that still has work for this step (moving tags to finish) runs the body anyway. */
    runWhenCurrent?: (check: CheckRecord) => boolean;
    /** Called when the step fails after its settings and the check were read (e.g. to send a failure card). */
    onFailure?: (env: StepEnv, error: unknown) => Promise<void>;
  } = {},
  runtime: TaskRuntime = standalone(),
): Promise<{ success: boolean }> {
  const { session } = runtime;
  const env = session.env;
  const log = createLogger(env, runtime.write);
  const project = context.projectName!;
  let stepEnv: StepEnv | undefined;
  try {
    const settings = loadImageSettings({
      workspaceRoot: context.root,
      project,
      projectRoot: context.projectsConfigurations!.projects[project].root,
      workspaceOptions: { file: 'nx.json', options: pluginOptions(context) },
      env,
      images: session.images(context),
    });
    opts.applyOptions?.(settings);
    const records = new Records(settings.outputDir);
    // A check starts a new run: no step's record from an earlier run may outlive it, even for steps
    // this run never reaches because an earlier one fails.
    for (const name of step === 'mcr-check' ? STEP_NAMES : [step]) records.clear(name);
    const check = step === 'mcr-check' ? (undefined as unknown as CheckRecord) : records.read('mcr-check');
    if (check && !check.stale && opts.whenCurrent && !opts.runWhenCurrent?.(check)) {
      log.info(`${project}: ${step} skipped: ${check.message}`);
      records.write(step, opts.whenCurrent(check));
      return { success: true };
    }
    stepEnv = { settings, records, log, env, check, session };
    const record = await log.group(`${step} ${project}`, () => body(stepEnv!));
    records.write(step, record);
    return { success: true };
  } catch (err) {
    log.error(`${project}: ${step} failed: ${describeError(err)}`);
    if (stepEnv && opts.onFailure) {
      try {
        await opts.onFailure(stepEnv, err);
      } catch (hookError) {
        log.warn(`${project}: after ${step} failed, reporting the failure failed too: ${describeError(hookError)}`);
      }
    }
    return { success: false };
  }
}

export type StepExecutor<O> = (options: O, context: ExecutorContext, runtime?: TaskRuntime) => Promise<{ success: boolean }>;

interface BatchResult {
  task: string;
  result: { success: boolean; terminalOutput: string; startTime: number; endTime: number };
}

/**
 * Nx's batch implementation of a step: every task of this executor in the run, in one process sharing one
 * session, at most `concurrency(context)` at a time. Each task's output is its own (Nx prints and caches
 * it per task), and each result is reported as soon as that task ends.
 */
export function batchOf<O>(executor: StepExecutor<O>, concurrency: (context: ExecutorContext) => number) {
  return async function* runBatch(taskGraph: TaskGraph, inputs: Record<string, O>, _overrides: O, context: ExecutorContext): AsyncGenerator<BatchResult> {
    const session = new Session();
    const queue = Object.values(taskGraph.tasks);
    const done: BatchResult[] = [];
    let wake: (() => void) | undefined;
    let running = 0;
    const start = () => {
      const task = queue.shift()!;
      running++;
      const lines: string[] = [];
      const startTime = Date.now();
      const taskContext: ExecutorContext = { ...context, projectName: task.target.project, targetName: task.target.target, configurationName: task.target.configuration };
      executor(inputs[task.id], taskContext, { session, write: (line) => lines.push(line) })
        .catch((err: unknown) => {
          lines.push(`error: ${task.target.project}: ${describeError(err)}`);
          return { success: false };
        })
        .then(({ success }) => {
          running--;
          done.push({ task: task.id, result: { success, terminalOutput: lines.length ? `${lines.join('\n')}\n` : '', startTime, endTime: Date.now() } });
          wake?.();
        });
    };
    const limit = Math.max(1, concurrency(context));
    while (queue.length || running || done.length) {
      while (queue.length && running < limit) start();
      if (!done.length) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      while (done.length) yield done.shift()!;
    }
  };
}

/** Tasks that mostly wait on Docker run as many at once as nx.json's `parallel` allows. */
export function nxParallel(context: ExecutorContext): number {
  return Number(context.nxJsonConfiguration?.parallel) || 3;
}
