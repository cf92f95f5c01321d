/**
 * Microsoft Teams through a Workflows webhook: an Adaptive Card (schema 1.4, the highest Teams renders)
 * in the `message` envelope those webhooks accept. The webhook URL is a secret (anyone holding it can
 * post): it is read from the environment and never printed, not even in errors.
 */
import { MEDIA_TYPES } from '../types/media-types';
import { networkCause, UserError } from '../types/errors';
import { isTransientStatus, nextRetry, parseRetryAfter, sleep, WEBHOOK_RETRY, type RetryPolicy } from './retry';

export interface PublishedImage {
  image: string;
  repositoryUri: string;
  versionTag: string;
  tags: string[];
  digest: string;
  /** What the version records about its base; a late card for an older version may not know it. */
  baseName?: string;
  baseDigest?: string;
  /** A multi-platform image: its platforms with their manifest digests, as the index lists them. */
  platforms?: Array<{ platform: string; digest: string }>;
  reason: string;
  runUrl?: string;
  warnings?: string[];
  /** ECR's findings for the version, by severity ("2 LOW, 1 MEDIUM"). */
  scan?: string;
}

export interface TeamsMessage {
  type: 'message';
  attachments: Array<{ contentType: typeof MEDIA_TYPES.adaptiveCard; contentUrl: null; content: Record<string, unknown> }>;
}

/** An Adaptive Card 1.4 (the highest Teams renders) in the envelope Workflows webhooks accept. */
function adaptiveCard(body: Array<Record<string, unknown>>, runUrl?: string): TeamsMessage {
  const content: Record<string, unknown> = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
  };
  if (runUrl) content.actions = [{ type: 'Action.OpenUrl', title: 'Open pipeline run', url: runUrl }];
  return { type: 'message', attachments: [{ contentType: MEDIA_TYPES.adaptiveCard, contentUrl: null, content }] };
}

export function publishedCard(p: PublishedImage): TeamsMessage {
  const facts = [
    { title: 'Image', value: `${p.repositoryUri}:${p.versionTag}` },
    { title: 'Version tag', value: p.versionTag },
    { title: 'Tags', value: p.tags.join(', ') },
    { title: 'Digest', value: p.digest },
    { title: 'Platforms', value: p.platforms?.map((m) => `${m.platform} (${m.digest})`).join(', ') },
    { title: 'Base image', value: p.baseName },
    { title: 'Base digest', value: p.baseDigest },
    { title: 'Why', value: p.reason },
    { title: 'Vulnerabilities', value: p.scan },
  ].filter((fact): fact is { title: string; value: string } => fact.value !== undefined);
  return adaptiveCard(
    [
      { type: 'TextBlock', size: 'Medium', weight: 'Bolder', wrap: true, text: `Platform image ${p.image} published: ${p.versionTag}` },
      { type: 'FactSet', facts },
      ...(p.warnings ?? []).map((text) => ({
        type: 'TextBlock',
        wrap: true,
        color: 'Attention',
        weight: 'Bolder',
        text: `Warning: ${text}`,
      })),
    ],
    p.runUrl,
  );
}

export interface FailedImage {
  image: string;
  step: string;
  error: string;
  reason: string;
  baseName: string;
  baseDigest: string;
  runUrl?: string;
  /** The version tag already out when the publish failed (its moving tags were not moved). */
  published?: string;
  /** Findings that blocked the version, one line each (package, installed and fixed versions). */
  vulnerabilities?: string[];
}

/** Sent when a rebuild fails its integration test or its publish. */
export function failureCard(f: FailedImage): TeamsMessage {
  return adaptiveCard(
    [
      {
        type: 'TextBlock',
        size: 'Medium',
        weight: 'Bolder',
        wrap: true,
        color: 'Attention',
        text: f.published
          ? `Platform image ${f.image}: ${f.step} failed after publishing ${f.published}; its moving tags lag behind until the next run`
          : `Platform image ${f.image}: ${f.step} failed, nothing published`,
      },
      {
        type: 'FactSet',
        facts: [
          { title: 'Step', value: f.step },
          { title: 'Why it was rebuilt', value: f.reason },
          { title: 'Base image', value: f.baseName },
          { title: 'Base digest', value: f.baseDigest },
        ],
      },
      ...(f.vulnerabilities?.length
        ? [
            {
              type: 'FactSet',
              facts: f.vulnerabilities.slice(0, 20).map((line) => {
                const [id, ...rest] = line.split(' ');
                return { title: id, value: rest.join(' ') };
              }),
            },
          ]
        : []),
      // Error text can be long (container logs): cut to what a card shows usefully.
      { type: 'TextBlock', wrap: true, fontType: 'Monospace', text: f.error.length > 3000 ? `${f.error.slice(0, 3000)}…` : f.error },
    ],
    f.runUrl,
  );
}

/** The Azure Pipelines run this is part of, when it is one. */
export function pipelineRunUrl(env: Record<string, string | undefined>): string | undefined {
  const { SYSTEM_COLLECTIONURI: collection, SYSTEM_TEAMPROJECT: project, BUILD_BUILDID: buildId } = env;
  if (!collection || !project || !buildId) return undefined;
  return `${collection.replace(/\/?$/, '/')}${encodeURIComponent(project)}/_build/results?buildId=${encodeURIComponent(buildId)}`;
}

export function validateWebhookUrl(value: string, envName: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UserError(`${envName} does not hold a valid URL`, `set ${envName} to the Teams Workflows webhook URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UserError(`${envName} must be an http(s) URL`, `set ${envName} to the https:// URL of the Teams Workflows webhook`);
  return url;
}

/** The webhook URL from the environment, or why there is none usable. */
export function webhookFrom(envName: string, env: Record<string, string | undefined>): URL | string {
  const value = env[envName];
  if (!value) return `${envName} is not set`;
  // Azure Pipelines passes `$(NAME)` through literally when the variable is not defined.
  if (/^\$\([\w.]+\)$/.test(value))
    return `${envName} holds the unexpanded macro ${value}: the pipeline variable is not defined (add it to the variable group)`;
  try {
    return validateWebhookUrl(value, envName);
  } catch (err) {
    return (err as Error).message;
  }
}

/** The fix for a webhook that did not take the card: a published image's card stays owed until one is delivered. */
const RESENT = "check the network and that the Teams workflow is on; a published image's card stays owed, and the next run sends it";

export interface PostOptions {
  timeoutMs?: number;
  /** 429, 5xx and network failures are retried within this policy; other answers are final. */
  retry?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
}

export async function postToTeams(webhook: URL, message: TeamsMessage, options: PostOptions = {}): Promise<number> {
  const policy = options.retry ?? WEBHOOK_RETRY;
  const wait = options.sleep ?? sleep;
  // The host only: the path and query of a webhook URL are its secret.
  const where = `Teams webhook at ${webhook.host}`;
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(webhook, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
      });
    } catch (err) {
      const decision = nextRetry(attempt, policy);
      if (decision.retry) {
        await wait(decision.delayMs);
        continue;
      }
      throw new UserError(`${where} could not be reached (${networkCause(err)}) ${decision.why}`, RESENT);
    }
    await response.body?.cancel();
    if (response.status >= 200 && response.status <= 299) return response.status;
    if (isTransientStatus(response.status)) {
      const decision = nextRetry(attempt, policy, parseRetryAfter(response.headers.get('retry-after')));
      if (decision.retry) {
        await wait(decision.delayMs);
        continue;
      }
      throw new UserError(`${where} answered HTTP ${response.status}, ${decision.why}`, RESENT);
    }
    throw new UserError(
      `${where} answered HTTP ${response.status}`,
      "the webhook refused the card: check the URL is the workflow's current one (a deleted or edited workflow gets a new URL) and that the workflow is on",
    );
  }
}
