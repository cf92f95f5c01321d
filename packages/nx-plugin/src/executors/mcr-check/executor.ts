import type { ExecutorContext } from '@nx/devkit';
import { assertTestAppStartsFrom } from '../../config/settings';
import { RegistryClient } from '../../lib/registry-client';
import { checkImage } from '../../steps/check';
import { batchOf, runStep, type TaskRuntime } from '../run-step';

export interface McrCheckOptions {
  force?: boolean;
  timeoutSeconds?: number;
}

export default async function mcrCheck(options: McrCheckOptions, context: ExecutorContext, runtime?: TaskRuntime) {
  return runStep('mcr-check', context, async ({ settings, log, session }) => {
    // A test app that would not run on the new image is a config mistake: say so before anything is built.
    assertTestAppStartsFrom(settings);
    const timeoutMs = (options.timeoutSeconds ?? 30) * 1000;
    return checkImage(settings, {
      upstream: session.upstream(settings, timeoutMs),
      ecr: session.ecrReader(settings),
      // The ECR token goes to the repository's own registry host and nowhere else.
      published: (ecrRegistry, login) => new RegistryClient({ timeoutMs, credentials: (registry) => (registry === ecrRegistry ? login : undefined) }),
      log,
    });
  }, { applyOptions: (settings) => { if (options.force) settings.force = true; } }, runtime);
}

/**
 * Every check of the run at once: they wait on the network, and started together they share each
 * upstream lookup and each ECR read (see Session).
 */
export const batch = batchOf(mcrCheck, () => Number.POSITIVE_INFINITY);
