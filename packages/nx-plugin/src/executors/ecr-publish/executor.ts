import type { ExecutorContext } from '@nx/devkit';
import { requireRegion } from '../../config/settings';
import { DockerCli } from '../../lib/docker';
import { AwsEcr } from '../../lib/ecr';
import { publishImage } from '../../steps/publish';
import { assertSameRun } from '../../steps/records';
import { notifyFailure } from '../../steps/notify';
import { runStep } from '../run-step';

export default async function ecrPublish(_options: Record<string, never>, context: ExecutorContext) {
  return runStep('ecr-publish', context, async ({ settings, log, records, check, env }) => {
    const build = records.read('docker-build');
    const test = records.read('integration-test');
    assertSameRun(check, 'docker-build', build);
    assertSameRun(check, 'integration-test', test);
    const ecr = new AwsEcr({ region: requireRegion(settings, env), account: settings.aws.account, endpoint: settings.aws.ecrEndpoint, stsEndpoint: settings.aws.stsEndpoint });
    return publishImage(settings, check, build, test, { docker: new DockerCli(settings.docker.command), ecr, log, env });
  }, {
    whenCurrent: () => ({ published: false }),
    onFailure: async ({ settings, check, log, env }, error) => {
      await notifyFailure(settings, check, 'ecr-publish', error, { log, env });
    },
  });
}
