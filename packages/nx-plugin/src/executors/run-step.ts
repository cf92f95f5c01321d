/**
 * What every executor shares: settings normalised once, its record cleared before and written after,
 * errors reported as one clear message (user mistakes without a stack), and the no-change short cut.
 */
import type { ExecutorContext } from '@nx/devkit';
import { loadImageSettings, PLUGIN_NAME, requireRegion, type ImageSettings } from '../config/settings';
import { AwsEcr } from '../lib/ecr';
import { describeError } from '../lib/errors';
import { createLogger, type Logger } from '../lib/log';
import { Records, STEP_NAMES, type CheckRecord, type RecordTypes, type StepName } from '../steps/records';

export interface StepEnv {
  settings: ImageSettings;
  records: Records;
  log: Logger;
  env: Record<string, string | undefined>;
  check: CheckRecord;
}

/** ECR for this image: the configured region, account and endpoints, the standard AWS credential chain. */
export function ecrFor(settings: ImageSettings, env: Record<string, string | undefined>): AwsEcr {
  return new AwsEcr({ region: requireRegion(settings, env), account: settings.aws.account, endpoint: settings.aws.ecrEndpoint, stsEndpoint: settings.aws.stsEndpoint });
}

export function pluginOptions(context: ExecutorContext): unknown {
  const entry = context.nxJsonConfiguration?.plugins?.find((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN_NAME);
  return typeof entry === 'object' ? entry.options : undefined;
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
): Promise<{ success: boolean }> {
  const env = process.env;
  const log = createLogger(env);
  const project = context.projectName!;
  let stepEnv: StepEnv | undefined;
  try {
    const settings = loadImageSettings({
      workspaceRoot: context.root,
      project,
      projectRoot: context.projectsConfigurations!.projects[project].root,
      workspaceOptions: { file: 'nx.json', options: pluginOptions(context) },
      env,
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
    stepEnv = { settings, records, log, env, check };
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
