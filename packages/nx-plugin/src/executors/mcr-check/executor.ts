import type { ExecutorContext } from '@nx/devkit';
import { RegistryClient } from '../../lib/registry-client';
import { checkImage } from '../../steps/check';
import { assertTestAppStartsFrom } from '../../steps/integration-test';
import { assertWebhookReady } from '../../steps/notify';
import { sweepLocalLeftovers } from '../../steps/sweep';
import { batchOf, runStep, type TaskRuntime } from '../run-step';

export interface McrCheckOptions {
  force?: boolean;
  timeoutSeconds?: number;
  reportFindings?: boolean;
}

export default async function mcrCheck(options: McrCheckOptions, context: ExecutorContext, runtime?: TaskRuntime) {
  return runStep(
    'mcr-check',
    options,
    context,
    async ({ settings, log, env, session }) => {
      // Every run starts here: the later steps' checks that need only the files and the environment run now,
      // once, before anything is built. A test app that would not run on the new image, or a webhook a failing
      // card would fail the run on, is a config mistake.
      assertTestAppStartsFrom(settings);
      assertWebhookReady(settings.teams, env);
      // Also the place to clear away what killed runs left on this machine, once per process, beside the
      // check rather than before it.
      const sweep = session.once(() =>
        sweepLocalLeftovers({ docker: session.docker(settings.docker.command), log, maxAgeMs: settings.cleanup.localAfterMs }).catch(
          (err: unknown) => log.warn(`cleanup: the local sweep failed: ${(err as Error).message}`),
        ),
      );
      const timeoutMs = settings.check.timeoutMs;
      const [record] = await Promise.all([
        checkImage(settings, {
          upstream: session.upstream(settings, timeoutMs),
          ecr: session.ecrReader(settings),
          // The ECR token goes to the repository's own registry host and nowhere else.
          published: (ecrRegistry, login) =>
            new RegistryClient({ timeoutMs, credentials: (registry) => (registry === ecrRegistry ? login : undefined) }),
          log,
        }),
        sweep,
      ]);
      return record;
    },
    {},
    runtime,
  );
}

/**
 * Every check of the run at once: they wait on the network, and started together they share each
 * upstream lookup and each ECR read (see Session).
 */
export const batch = batchOf(mcrCheck, () => Number.POSITIVE_INFINITY);
