/**
 * Microsoft Teams through a Workflows webhook: an Adaptive Card (schema 1.4, the highest Teams renders)
 * in the `message` envelope those webhooks accept. The webhook URL is a secret (anyone holding it can
 * post): it is read from the environment and never printed, not even in errors.
 */
import { UserError } from './errors';

export interface PublishedImage {
  image: string;
  repositoryUri: string;
  versionTag: string;
  tags: string[];
  digest: string;
  baseName: string;
  baseDigest: string;
  reason: string;
  runUrl?: string;
  warnings?: string[];
}

export interface TeamsMessage {
  type: 'message';
  attachments: Array<{ contentType: 'application/vnd.microsoft.card.adaptive'; contentUrl: null; content: Record<string, unknown> }>;
}

export function publishedCard(p: PublishedImage): TeamsMessage {
  const facts = [
    { title: 'Image', value: `${p.repositoryUri}:${p.versionTag}` },
    { title: 'Version tag', value: p.versionTag },
    { title: 'Tags', value: p.tags.join(', ') },
    { title: 'Digest', value: p.digest },
    { title: 'Base image', value: p.baseName },
    { title: 'Base digest', value: p.baseDigest },
    { title: 'Why', value: p.reason },
  ];
  const content: Record<string, unknown> = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body: [
      { type: 'TextBlock', size: 'Medium', weight: 'Bolder', wrap: true, text: `Platform image ${p.image} published: ${p.versionTag}` },
      { type: 'FactSet', facts },
      ...(p.warnings ?? []).map((text) => ({ type: 'TextBlock', wrap: true, color: 'Attention', weight: 'Bolder', text: `Warning: ${text}` })),
    ],
  };
  if (p.runUrl) content.actions = [{ type: 'Action.OpenUrl', title: 'Open pipeline run', url: p.runUrl }];
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }] };
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
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UserError(`${envName} must be an http(s) URL`);
  return url;
}

export async function postToTeams(webhook: URL, message: TeamsMessage, timeoutMs = 15_000): Promise<number> {
  let response: Response;
  try {
    response = await fetch(webhook, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new UserError(`Teams webhook at ${webhook.host} could not be reached (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name})`);
  }
  await response.body?.cancel();
  if (response.status < 200 || response.status > 299) {
    throw new UserError(`Teams webhook at ${webhook.host} answered HTTP ${response.status}`);
  }
  return response.status;
}
