/** teams-notify: one card per published image; nothing when nothing was published. */
import type { ImageSettings } from '../config/settings';
import { UserError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { pipelineRunUrl, postToTeams, publishedCard, validateWebhookUrl, type TeamsMessage } from '../lib/teams';
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
