/**
 * What every executor shares: settings normalised once, its record cleared before and written after,
 * errors reported as one clear message (user mistakes without a stack), and the no-change short cut.
 */
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import type { TargetOptions } from '../config/executor-options';
import { stepOfTarget } from '../config/layout';
import { loadImageSettings } from '../config/normalize';
import type { ImageSettings } from '../config/settings';
import { STEP_NAMES, type StepName } from '../types/workspace';
import { describeError } from '../types/errors';
import { createLogger, type CommandOutputMode, type Logger } from '../lib/log';
import { FAILURE, recordFailure, Records, type CheckRecord, type RecordTypes } from '../steps/records';
import { pluginOptions, Session } from './session';

export interface StepEnv {
  settings: Readonly<ImageSettings>;
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
  /** How Docker's own output reaches the log (see CommandOutputMode); streamed unless said otherwise. */
  commandOutput?: CommandOutputMode;
}

function standalone(): TaskRuntime {
  return { session: new Session(), write: (line) => process.stdout.write(line + '\n') };
}

/**
 * The options of the image's targets, by step, as the settings' executor options layer takes them: each
 * target's configured options, and the running step's as Nx passed them (command line included).
 */
export function targetOptionsOf(context: ExecutorContext, step: StepName, options: unknown): TargetOptions {
  const targets = context.projectsConfigurations?.projects[context.projectName!]?.targets ?? {};
  // Each step's target is found by its executor: the plugin options may give the targets other names.
  const configuredOptions = new Map<StepName, unknown>();
  for (const target of Object.values(targets)) {
    const of = stepOfTarget(target);
    if (of && !configuredOptions.has(of)) configuredOptions.set(of, target.options);
  }
  const out: TargetOptions = {};
  for (const name of STEP_NAMES) {
    const configured = (name === step ? options : configuredOptions.get(name)) as Record<string, unknown> | undefined;
    if (configured === undefined) continue;
    // The chain's targets name their step in `step` (see create-nodes.ts): not an option of the step.
    out[name] = Object.fromEntries(Object.entries(configured).filter(([key]) => key !== 'step'));
  }
  return out;
}

export async function runStep<S extends StepName>(
  step: S,
  options: unknown,
  context: ExecutorContext,
  body: (env: StepEnv) => Promise<RecordTypes[S]>,
  opts: {
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
  const log = createLogger(env, runtime.write, { commandOutput: runtime.commandOutput });
  const project = context.projectName!;
  let stepEnv: StepEnv | undefined;
  try {
    const settings = loadImageSettings({
      workspaceRoot: context.root,
      project,
      projectRoot: context.projectsConfigurations.projects[project].root,
      workspaceOptions: { file: 'nx.json', options: pluginOptions(context) },
      targetOptions: targetOptionsOf(context, step, options),
      env,
      images: session.images(context),
    });
    const records = new Records(settings.outputDir);
    // A check starts a new run: no step's record from an earlier run may outlive it, even for steps
    // this run never reaches because an earlier one fails. A step starts only once the steps before it
    // succeeded, so a failure record found now is an earlier run's.
    for (const name of [...(step === 'mcr-check' ? STEP_NAMES : [step]), FAILURE]) records.clear(name);
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
    recordFailure(context, step, err, { runId: stepEnv?.check?.runId, warn: (problem) => log.warn(`${project}: ${problem}`) });
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

export type BatchTaskStatus = 'success' | 'failure' | 'skipped';

interface BatchResult {
  task: string;
  result: { success: boolean; status: BatchTaskStatus; terminalOutput: string; startTime: number; endTime: number };
}

/**
 * A dependency in a task graph: Nx 22 lists the ids of the tasks a task depends on, Nx 24 lists edges,
 * `{ id, waitFor?, inputs? }` (its `TaskGraph.dependencies: Record<string, Array<TaskGraphEdge>>`, in
 * nx 24.0.6 dist/src/native/index.d.ts, built from packages/nx/src/native/tasks/types.rs).
 */
export function taskIdOf(dependency: string | { id: string }): string {
  return typeof dependency === 'string' ? dependency : dependency.id;
}

/**
 * Nx's batch implementation: every task of this executor in the run, in one process sharing one session, at
 * most `concurrency(context)` at a time. Nx puts a task's dependents into the same batch when they use the
 * same executor (the steps after mcr-check do, see create-nodes.ts), so a task starts only once the tasks it
 * depends on in the batch have succeeded; one whose dependency failed or was skipped is reported skipped, as
 * Nx itself skips the dependents of a failed task. Of the tasks ready to start, those furthest along a chain
 * go first, so an image is finished before the next one is started. Each task's output is its own (Nx prints
 * and caches it per task), and each result is reported as soon as that task ends. Docker's output does not
 * wait for its task's end: it goes to stdout as it comes when one image runs at a time, and, when tasks of
 * several images can run side by side, in one block per Docker command naming its image (lib/log.ts).
 */
export function batchOf<O>(executor: StepExecutor<O>, concurrency: (context: ExecutorContext) => number) {
  return async function* runBatch(
    taskGraph: TaskGraph,
    inputs: Record<string, O>,
    _overrides: O,
    context: ExecutorContext,
  ): AsyncGenerator<BatchResult> {
    const session = new Session();
    const ids = Object.keys(taskGraph.tasks);
    // Only dependencies inside the batch: the others have completed before Nx started it.
    const dependenciesOf = (id: string) => (taskGraph.dependencies?.[id] ?? []).map(taskIdOf).filter((dep) => dep in taskGraph.tasks);
    const depth = new Map<string, number>();
    const depthOf = (id: string): number => {
      if (!depth.has(id)) depth.set(id, 1 + Math.max(0, ...dependenciesOf(id).map(depthOf)));
      return depth.get(id)!;
    };
    const limit = Math.max(1, concurrency(context));
    const images = new Set(ids.map((id) => taskGraph.tasks[id].target.project));
    const commandOutput: CommandOutputMode = limit > 1 && images.size > 1 ? 'blocks' : 'stream';
    const order = new Map(ids.map((id, index) => [id, index]));
    const pending = new Set(ids);
    const status = new Map<string, BatchTaskStatus>();
    const done: BatchResult[] = [];
    let wake: (() => void) | undefined;
    let running = 0;
    const finish = (id: string, result: BatchResult['result']) => {
      status.set(id, result.status);
      done.push({ task: id, result });
      wake?.();
    };
    const start = (id: string) => {
      const task = taskGraph.tasks[id];
      pending.delete(id);
      running++;
      const lines: string[] = [];
      const startTime = Date.now();
      const taskContext: ExecutorContext = {
        ...context,
        projectName: task.target.project,
        targetName: task.target.target,
        configurationName: task.target.configuration,
      };
      // Not awaited: the batch runs tasks side by side; each reports through `finish`, and never rejects (caught below).
      void executor(inputs[id], taskContext, { session, write: (line) => lines.push(line), commandOutput })
        .catch((err: unknown) => {
          lines.push(`error: ${task.target.project}: ${describeError(err)}`);
          return { success: false };
        })
        .then(({ success }) => {
          running--;
          finish(id, {
            success,
            status: success ? 'success' : 'failure',
            terminalOutput: lines.length ? `${lines.join('\n')}\n` : '',
            startTime,
            endTime: Date.now(),
          });
        });
    };
    /** Reports skipped what can no longer run, and answers what may start now, furthest along first. */
    const ready = (): string[] => {
      const out: string[] = [];
      for (let changed = true; changed;) {
        changed = false;
        for (const id of pending) {
          const deps = dependenciesOf(id).map((dep) => status.get(dep));
          if (deps.some((s) => s === 'failure' || s === 'skipped')) {
            pending.delete(id);
            const now = Date.now();
            finish(id, { success: false, status: 'skipped', terminalOutput: '', startTime: now, endTime: now });
            changed = true;
          }
        }
      }
      for (const id of pending) if (dependenciesOf(id).every((dep) => status.get(dep) === 'success')) out.push(id);
      return out.sort((a, b) => depthOf(b) - depthOf(a) || order.get(a)! - order.get(b)!);
    };
    while (pending.size || running || done.length) {
      for (const id of ready()) {
        if (running >= limit) break;
        start(id);
      }
      if (!done.length) {
        // Nothing running and nothing startable would wait forever: a dependency cycle, which Nx never sends.
        if (!running) throw new Error(`batch: ${[...pending].join(', ')} wait on each other`);
        await new Promise<void>((resolve) => (wake = resolve));
      }
      wake = undefined;
      while (done.length) yield done.shift()!;
    }
  };
}

/** Tasks that mostly wait on Docker run as many at once as nx.json's `parallel` allows. */
export function nxParallel(context: ExecutorContext): number {
  return Number(context.nxJsonConfiguration?.parallel) || 3;
}
