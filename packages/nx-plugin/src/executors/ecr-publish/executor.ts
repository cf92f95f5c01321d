import type { ExecutorContext } from '@nx/devkit';
import { DockerCli } from '../../lib/docker';
import { finishTags, publishImage } from '../../steps/publish';
import { assertSameRun, hasTagsToFinish } from '../../steps/records';
import { notifyFailure } from '../../steps/notify';
import { batchOf, nxParallel, runStep, type TaskRuntime } from '../run-step';

export default async function ecrPublish(_options: Record<string, never>, context: ExecutorContext, runtime?: TaskRuntime) {
  return runStep('ecr-publish', context, async ({ settings, log, records, check, env, session }) => {
    const ecr = session.ecr(settings);
    if (!check.stale) return finishTags(settings, check, { ecr, log });
    const build = records.read('docker-build');
    const test = records.read('integration-test');
    assertSameRun(check, 'docker-build', build);
    assertSameRun(check, 'integration-test', test);
    return publishImage(settings, check, build, test, { docker: new DockerCli(settings.docker.command), ecr, log, env });
  }, {
    whenCurrent: () => ({ published: false }),
    runWhenCurrent: hasTagsToFinish,
    onFailure: async ({ settings, check, log, env }, error) => {
      await notifyFailure(settings, check, 'ecr-publish', error, { log, env });
    },
  }, runtime);
}

export const batch = batchOf(ecrPublish, nxParallel);
