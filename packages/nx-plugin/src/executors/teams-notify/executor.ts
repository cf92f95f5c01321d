import type { ExecutorContext } from '@nx/devkit';
import { postToTeams } from '../../lib/teams';
import { notifyTeams } from '../../steps/notify';
import { assertSameRun, notifyHasWork } from '../../steps/records';
import { batchOf, nxParallel, runStep, type TaskRuntime } from '../run-step';

export interface TeamsNotifyOptions {
  failOnError?: boolean;
  timeoutSeconds?: number;
}

export default async function teamsNotify(options: TeamsNotifyOptions, context: ExecutorContext, runtime?: TaskRuntime) {
  return runStep(
    'teams-notify',
    options,
    context,
    async ({ settings, log, records, check, env, session }) => {
      const publish = records.read('ecr-publish');
      assertSameRun(check, 'ecr-publish', publish);
      return notifyTeams(settings, check, publish, {
        log,
        env,
        post: (webhook, message) => postToTeams(webhook, message, { timeoutMs: settings.teams.timeoutMs }),
        // Delivered cards' markers are removed where ecr-publish wrote them: the image's own repository.
        removeMarker: (tag) => session.ecr(settings).untag(settings.ecr.repository, tag),
      });
    },
    {
      whenCurrent: (check) => ({ runId: check.runId, sent: false }),
      // A current image may still owe cards: a finished publish's, or versions an earlier run never announced.
      runWhenCurrent: notifyHasWork,
    },
    runtime,
  );
}

export const batch = batchOf(teamsNotify, nxParallel);
