import type { ExecutorContext } from '@nx/devkit';
import { testImage } from '../../steps/integration-test';
import { assertSameRun } from '../../steps/records';
import { notifyFailure } from '../../steps/notify';
import { batchOf, nxParallel, runStep, type TaskRuntime } from '../run-step';

export interface IntegrationTestOptions {
  timeoutSeconds?: number;
}

export default async function integrationTest(options: IntegrationTestOptions, context: ExecutorContext, runtime?: TaskRuntime) {
  return runStep(
    'integration-test',
    options,
    context,
    async ({ settings, log, records, check, session }) => {
      const build = records.read('docker-build');
      assertSameRun(check, 'docker-build', build);
      return testImage(settings, check, build, { docker: session.docker(settings.docker.command), log });
    },
    {
      whenCurrent: () => ({ passed: false }),
      onFailure: async ({ settings, check, log, env }, error) => {
        await notifyFailure(settings, check, 'integration-test', error, { log, env });
      },
    },
    runtime,
  );
}

export const batch = batchOf(integrationTest, nxParallel);
