import type { ExecutorContext } from '@nx/devkit';
import { finishCurrent, publishImage } from '../../steps/publish';
import { assertSameRun, publishHasWork } from '../../steps/records';
import { notifyFailure } from '../../steps/notify';
import { batchOf, nxParallel, runStep, type TaskRuntime } from '../run-step';

export default async function ecrPublish(_options: Record<string, never>, context: ExecutorContext, runtime?: TaskRuntime) {
  return runStep(
    'ecr-publish',
    _options,
    context,
    async ({ settings, log, records, check, env, session }) => {
      const ecr = session.ecr(settings);
      if (!check.stale) return finishCurrent(settings, check, { ecr, log, docker: session.docker(settings.docker.command) });
      const build = records.read('docker-build');
      const test = records.read('integration-test');
      assertSameRun(check, 'docker-build', build);
      assertSameRun(check, 'integration-test', test);
      return publishImage(settings, check, build, test, { docker: session.docker(settings.docker.command), ecr, log, env });
    },
    {
      whenCurrent: (check) => ({ runId: check.runId, published: false }),
      // A current image may still have moving tags to finish, run tags of stopped runs to remove, or an SBOM to attach.
      runWhenCurrent: publishHasWork,
      onFailure: async ({ settings, check, log, env }, error) => {
        await notifyFailure(settings, check, 'ecr-publish', error, { log, env });
      },
    },
    runtime,
  );
}

export const batch = batchOf(ecrPublish, nxParallel);
