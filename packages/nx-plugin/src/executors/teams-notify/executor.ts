import type { ExecutorContext } from '@nx/devkit';
import { postToTeams } from '../../lib/teams';
import { notifyTeams } from '../../steps/notify';
import { assertSameRun, hasTagsToFinish } from '../../steps/records';
import { batchOf, nxParallel, runStep, type TaskRuntime } from '../run-step';

export interface TeamsNotifyOptions {
  failOnError?: boolean;
  timeoutSeconds?: number;
}

export default async function teamsNotify(options: TeamsNotifyOptions, context: ExecutorContext, runtime?: TaskRuntime) {
  return runStep('teams-notify', context, async ({ settings, log, records, check, env }) => {
    const publish = records.read('ecr-publish');
    assertSameRun(check, 'ecr-publish', publish);
    const timeoutMs = options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000;
    return notifyTeams(settings, check, publish, { log, env, post: (webhook, message) => postToTeams(webhook, message, { timeoutMs }) });
  }, {
    applyOptions: (settings) => { if (options.failOnError !== undefined) settings.teams.failOnError = options.failOnError; },
    whenCurrent: () => ({ sent: false }),
    runWhenCurrent: hasTagsToFinish,
  }, runtime);
}

export const batch = batchOf(teamsNotify, nxParallel);
