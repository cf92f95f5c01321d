/**
 * teams-notify: one card per published version; nothing when nothing was published. A version's card is owed
 * from the moment ecr-publish writes its `unannounced-<run id>` marker until a card is delivered (HTTP 2xx) and
 * the marker removed, so the cards of versions whose run stopped before announcing them go out with the next
 * run's. Delivery is at least once: a run stopped between the delivery and the marker's removal sends it again.
 */
import type { ImageSettings } from '../config/settings';
import { ConfigError, describeError, PartialPublishError, UserError, VulnerabilityError } from '../types/errors';
import { formatFinding, scanLine } from '../lib/scan-policy';
import type { Logger } from '../lib/log';
import { failureCard, pipelineRunUrl, postToTeams, publishedCard, webhookFrom, type TeamsMessage } from '../lib/teams';
import type { CheckRecord, NotifyRecord, OwedCard, PublishRecord } from './records';

/**
 * teams-notify's check before anything is built, run once by mcr-check: with `teams.failOnError` a card that
 * cannot be sent fails the run, after the image is published. A webhook variable that is unset or not a URL is
 * known now, so the run stops now. The value is a secret: only the variable is named.
 */
export function assertWebhookReady(teams: ImageSettings['teams'], env: Record<string, string | undefined>): void {
  if (!teams.failOnError) return;
  const webhook = webhookFrom(teams.webhookEnv, env);
  if (typeof webhook !== 'string') return;
  const problem = webhook.startsWith(`${teams.webhookEnv} `) ? webhook.slice(teams.webhookEnv.length + 1) : webhook;
  throw new ConfigError(
    'environment',
    teams.webhookEnv,
    `${problem}; teams.failOnError is true, so the run would fail after publishing`,
    `set ${teams.webhookEnv} to the Teams Workflows webhook URL (from a secret variable), or set teams.failOnError to false`,
  );
}

export type TeamsPoster = (webhook: URL, message: TeamsMessage) => Promise<number>;

/** A card to send, and the marker to remove once it is delivered. */
interface Announcement {
  versionTag: string;
  marker?: string;
  /** Published by an earlier run, which stopped before announcing it. */
  late: boolean;
  message: TeamsMessage;
}

/** Why a late card is sent now, on the card itself. */
const LATE_REASON = 'published by an earlier run, which stopped before announcing it';

/** This run's card (a new version, or one whose moving tags it finished), then the cards earlier runs owe. */
export function announcements(
  settings: ImageSettings,
  check: CheckRecord,
  publish: PublishRecord,
  env: Record<string, string | undefined>,
): Announcement[] {
  const runUrl = pipelineRunUrl(env);
  const owed = check.owedCards ?? [];
  const out: Announcement[] = [];
  if (publish.published) {
    const same = owed.find((o) => o.versionTag === publish.versionTag);
    out.push({
      versionTag: publish.versionTag!,
      marker: publish.marker ?? same?.marker,
      late: !!same,
      message: publishedCard({
        image: settings.project,
        repositoryUri: publish.repositoryUri!,
        versionTag: publish.versionTag!,
        tags: publish.tags ?? [],
        digest: publish.digest!,
        baseName: check.base.name,
        baseDigest: check.base.digest,
        ...(publish.platforms ? { platforms: publish.platforms } : {}),
        reason: same ? `${LATE_REASON}; ${check.message}` : check.message,
        runUrl,
        warnings: check.warnings,
        ...(publish.scan ? { scan: scanLine(publish.scan) } : {}),
      }),
    });
  }
  for (const card of owed) {
    if (publish.published && card.versionTag === publish.versionTag) continue;
    out.push({ versionTag: card.versionTag, marker: card.marker, late: true, message: lateCard(settings, check, card, runUrl) });
  }
  return out;
}

function lateCard(settings: ImageSettings, check: CheckRecord, card: OwedCard, runUrl: string | undefined): TeamsMessage {
  return publishedCard({
    image: settings.project,
    repositoryUri: card.repositoryUri,
    versionTag: card.versionTag,
    tags: card.tags,
    digest: card.digest,
    baseName: card.baseName,
    baseDigest: card.baseDigest,
    reason: LATE_REASON,
    runUrl,
    warnings: check.warnings,
  });
}

export async function notifyTeams(
  settings: ImageSettings,
  check: CheckRecord,
  publish: PublishRecord,
  deps: {
    log: Logger;
    env: Record<string, string | undefined>;
    post?: TeamsPoster;
    /** Removes a delivered card's marker from the image's repository (ECR BatchDeleteImage of that one tag). */
    removeMarker?: (tag: string) => Promise<void>;
  },
): Promise<NotifyRecord> {
  const { log, env } = deps;
  const envName = settings.teams.webhookEnv;
  const pending = announcements(settings, check, publish, env);
  if (!pending.length) return { runId: check.runId, sent: false };
  const fail = (message: string): NotifyRecord => {
    if (settings.teams.failOnError)
      throw new UserError(message, `check ${envName} and the webhook; or set teams.failOnError to false to report without failing`);
    log.warn(
      `${message} (the image stays published${pending.some((a) => a.marker) ? '; the card stays owed, and the next run sends it' : ''})`,
    );
    return { runId: check.runId, sent: false, error: message };
  };
  const webhook = webhookFrom(envName, env);
  if (typeof webhook === 'string') return fail(`${settings.project}: ${webhook}; no Teams card sent`);
  let status = 0;
  const late: string[] = [];
  for (const card of pending) {
    try {
      status = await (deps.post ?? postToTeams)(webhook, card.message);
    } catch (err) {
      return fail(
        `${settings.project}: Teams card not sent${pending.length > 1 ? ` for ${card.versionTag}` : ''}: ${(err as Error).message}`,
      );
    }
    log.info(
      `${settings.project}: Teams card sent${card.late ? ` for ${card.versionTag}, published by an earlier run` : ''} (HTTP ${status})`,
    );
    if (card.late) late.push(card.versionTag);
    if (card.marker && deps.removeMarker) {
      // Delivered: a marker left behind only means the card goes out once more.
      await deps
        .removeMarker(card.marker)
        .catch((err: unknown) =>
          log.warn(
            `${settings.project}: the card for ${card.versionTag} was sent, ` +
              `but removing its marker ${card.marker} failed, so the next run sends it again: ${(err as Error).message}`,
          ),
        );
    }
  }
  return { runId: check.runId, sent: true, status, ...(late.length ? { lateCards: late } : {}) };
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
      ...(error instanceof VulnerabilityError ? { vulnerabilities: error.scan.findings.map(formatFinding) } : {}),
    });
    const status = await (deps.post ?? postToTeams)(webhook, message);
    deps.log.info(`${settings.project}: failure card sent to Teams (HTTP ${status})`);
    return true;
  } catch (err) {
    deps.log.warn(`${settings.project}: failure card not sent: ${(err as Error).message}`);
    return false;
  }
}
