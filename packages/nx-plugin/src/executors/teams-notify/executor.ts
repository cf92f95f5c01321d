import type { ExecutorContext } from '@nx/devkit';
import { notifyTeams } from '../../steps/notify';
import { assertSameRun } from '../../steps/records';
import { runStep } from '../run-step';

export interface TeamsNotifyOptions {
  failOnError?: boolean;
}

export default async function teamsNotify(options: TeamsNotifyOptions, context: ExecutorContext) {
  return runStep('teams-notify', context, async ({ settings, log, records, check, env }) => {
    const publish = records.read('ecr-publish');
    assertSameRun(check, 'ecr-publish', publish);
    return notifyTeams(settings, check, publish, { log, env });
  }, {
    applyOptions: (settings) => { if (options.failOnError !== undefined) settings.teams.failOnError = options.failOnError; },
    whenCurrent: () => ({ sent: false }),
  });
}
