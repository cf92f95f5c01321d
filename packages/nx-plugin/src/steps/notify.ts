/** teams-notify: one card per published image; nothing when nothing was published. */
import type { ImageSettings } from '../config/settings';
import { describeError, PartialPublishError, UserError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { failureCard, pipelineRunUrl, postToTeams, publishedCard, validateWebhookUrl, type TeamsMessage } from '../lib/teams';
import type { CheckRecord, NotifyRecord, PublishRecord } from './records';

export type TeamsPoster = (webhook: URL, message: TeamsMessage) => Promise<number>;

/** The webhook URL from the environment, or why there is none usable. */
export function webhookFrom(envName: string, env: Record<string, string | undefined>): URL | string {
  const value = env[envName];
  if (!value) return `${envName} is not set`;
  // Azure Pipelines passes `$(NAME)` through literally when the variable is not defined.
  if (/^\$\([\w.]+\)$/.test(value)) return `${envName} holds the unexpanded macro ${value}: the pipeline variable is not defined (add it to the variable group)`;
  try {
    return validateWebhookUrl(value, envName);
  } catch (err) {
    return (err as Error).message;
  }
}

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
  const webhook = webhookFrom(envName, env);
  if (typeof webhook === 'string') return fail(`${settings.project}: ${webhook}; no Teams card sent`);
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
  const webhook = webhookFrom(settings.teams.webhookEnv, deps.env);
  if (typeof webhook === 'string') {
    deps.log.warn(`${settings.project}: ${webhook}; no failure card sent`);
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
      published: error instanceof PartialPublishError ? error.versionTag : undefined,
    });
    const status = await (deps.post ?? postToTeams)(webhook, message);
    deps.log.info(`${settings.project}: failure card sent to Teams (HTTP ${status})`);
    return true;
  } catch (err) {
    deps.log.warn(`${settings.project}: failure card not sent: ${(err as Error).message}`);
    return false;
  }
}
