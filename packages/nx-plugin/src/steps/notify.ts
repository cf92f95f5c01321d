/** teams-notify: one card per published image; nothing when nothing was published. */
import type { ImageSettings } from '../config/settings';
import { UserError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { describeError } from '../lib/errors';
import { failureCard, pipelineRunUrl, postToTeams, publishedCard, validateWebhookUrl, type TeamsMessage } from '../lib/teams';
import type { CheckRecord, NotifyRecord, PublishRecord } from './records';

export type TeamsPoster = (webhook: URL, message: TeamsMessage) => Promise<number>;

export async function notifyTeams(
  settings: ImageSettings,
  check: CheckRecord,
  publish: PublishRecord,
  deps: { log: Logger; env: Record<string, string | undefined>; post?: TeamsPoster },
): Promise<NotifyRecord> {
  const { log, env } = deps;
  const envName = settings.teams.webhookEnv;
  const fail = (message: string): NotifyRecord => {
    if (settings.teams.failOnError) throw new UserError(message, `or set teams.failOnError to false to report without failing`);
    log.warn(`${message} (the image stays published)`);
    return { runId: check.runId, sent: false, error: message };
  };
  const value = env[envName];
  if (!value) return fail(`${settings.project}: ${envName} is not set; no Teams card sent`);
  // Azure Pipelines passes `$(NAME)` through literally when the variable is not defined.
  if (/^\$\([\w.]+\)$/.test(value)) {
    return fail(`${settings.project}: ${envName} holds the unexpanded macro ${value}: the pipeline variable is not defined (add it to the variable group); no Teams card sent`);
  }
  let webhook: URL;
  try {
    webhook = validateWebhookUrl(value, envName);
  } catch (err) {
    return fail(`${settings.project}: ${(err as Error).message}; no Teams card sent`);
  }
  const message = publishedCard({
    image: settings.project,
    repositoryUri: publish.repositoryUri!,
    versionTag: publish.versionTag!,
    tags: publish.tags ?? [],
    digest: publish.digest!,
    baseName: check.base.name,
    baseDigest: check.base.digest,
    reason: check.message,
    runUrl: pipelineRunUrl(env),
    warnings: check.warnings,
  });
  try {
    const status = await (deps.post ?? postToTeams)(webhook, message);
    log.info(`${settings.project}: Teams card sent (HTTP ${status})`);
    return { runId: check.runId, sent: true, status };
  } catch (err) {
    return fail(`${settings.project}: Teams card not sent: ${(err as Error).message}`);
  }
}

/**
 * Tells the channel that a rebuild failed (its test or its publish), so a stale image does not go
 * unnoticed. Best effort: the run has failed already, and a card that cannot be sent only adds a warning.
 */
export async function notifyFailure(
  settings: ImageSettings,
  check: CheckRecord,
  step: string,
  error: unknown,
  deps: { log: Logger; env: Record<string, string | undefined>; post?: TeamsPoster },
): Promise<boolean> {
  const envName = settings.teams.webhookEnv;
  const value = deps.env[envName];
  if (!value || /^\$\([\w.]+\)$/.test(value)) {
    deps.log.warn(`${settings.project}: ${envName} is not set; no failure card sent`);
    return false;
  }
  try {
    const message = failureCard({
      image: settings.project,
      step,
      error: describeError(error),
      reason: check.message,
      baseName: check.base.name,
      baseDigest: check.base.digest,
      runUrl: pipelineRunUrl(deps.env),
    });
    const status = await (deps.post ?? postToTeams)(validateWebhookUrl(value, envName), message);
    deps.log.info(`${settings.project}: failure card sent to Teams (HTTP ${status})`);
    return true;
  } catch (err) {
    deps.log.warn(`${settings.project}: failure card not sent: ${(err as Error).message}`);
    return false;
  }
}
