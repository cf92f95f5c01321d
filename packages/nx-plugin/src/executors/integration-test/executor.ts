import type { ExecutorContext } from '@nx/devkit';
import { executorOptions, MAX_TEST_TIMEOUT_SECONDS } from '../../config/settings';
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
    context,
    async ({ settings, log, records, check, session }) => {
      const build = records.read('docker-build');
      assertSameRun(check, 'docker-build', build);
      return testImage(settings, check, build, { docker: session.docker(settings.docker.command), log });
    },
    {
      applyOptions: (settings) => {
        const timeout = executorOptions('integration-test', options).number('timeoutSeconds', { min: 1, max: MAX_TEST_TIMEOUT_SECONDS });
        if (timeout !== undefined) settings.integrationTest.app.timeoutSeconds = timeout;
      },
      whenCurrent: () => ({ passed: false }),
      onFailure: async ({ settings, check, log, env }, error) => {
        await notifyFailure(settings, check, 'integration-test', error, { log, env });
      },
    },
    runtime,
  );
}

export const batch = batchOf(integrationTest, nxParallel);
