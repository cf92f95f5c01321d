import type { ExecutorContext } from '@nx/devkit';
import { assertTestAppStartsFrom } from '../../config/settings';
import { RegistryClient } from '../../lib/registry-client';
import { checkImage } from '../../steps/check';
import { ecrFor, runStep } from '../run-step';

export interface McrCheckOptions {
  force?: boolean;
  timeoutSeconds?: number;
}

export default async function mcrCheck(options: McrCheckOptions, context: ExecutorContext) {
  return runStep('mcr-check', context, async ({ settings, log, env }) => {
    // A test app that would not run on the new image is a config mistake: say so before anything is built.
    assertTestAppStartsFrom(settings);
    const timeoutMs = (options.timeoutSeconds ?? 30) * 1000;
    const ecr = ecrFor(settings, env);
    return checkImage(settings, {
      upstream: new RegistryClient({ mirrors: settings.registryMirrors, timeoutMs }),
      ecr,
      published: (login) => new RegistryClient({ timeoutMs, credentials: (registry) => (registry === login.registry ? login : undefined) }),
      log,
    });
  }, { applyOptions: (settings) => { if (options.force) settings.force = true; } });
}
