import type { ExecutorContext } from '@nx/devkit';
import { assertTestAppStartsFrom, executorOptions } from '../../config/settings';
import { RegistryClient } from '../../lib/registry-client';
import { checkImage } from '../../steps/check';
import { sweepLocalLeftovers } from '../../steps/sweep';
import { batchOf, runStep, type TaskRuntime } from '../run-step';

export interface McrCheckOptions {
  force?: boolean;
  timeoutSeconds?: number;
}

export default async function mcrCheck(options: McrCheckOptions, context: ExecutorContext, runtime?: TaskRuntime) {
  let timeoutMs = 30_000;
  return runStep(
    'mcr-check',
    context,
    async ({ settings, log, session }) => {
      // A test app that would not run on the new image is a config mistake: say so before anything is built.
      assertTestAppStartsFrom(settings);
      // Every run starts here, also one that finds everything current: the place to clear away what killed
      // runs left on this machine, once per process, beside the check rather than before it.
      const sweep = session.once(() =>
        sweepLocalLeftovers({ docker: session.docker(settings.docker.command), log, maxAgeMs: settings.cleanup.localAfterMs }).catch(
          (err: unknown) => log.warn(`cleanup: the local sweep failed: ${(err as Error).message}`),
        ),
      );
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
    {
      applyOptions: (settings) => {
        const fields = executorOptions('mcr-check', options);
        if (fields.boolean('force')) settings.force = true;
        timeoutMs = (fields.number('timeoutSeconds', { min: 1, max: 600 }) ?? 30) * 1000;
      },
    },
    runtime,
  );
}

/**
 * Every check of the run at once: they wait on the network, and started together they share each
 * upstream lookup and each ECR read (see Session).
 */
export const batch = batchOf(mcrCheck, () => Number.POSITIVE_INFINITY);
