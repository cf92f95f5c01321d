import { DEFAULT_SHARED, type ImageSettings } from '../config/settings';
import { PartialPublishError, UserError } from '../types/errors';
import type { TeamsMessage } from '../lib/teams';
import { notifyFailure, notifyTeams } from './notify';
import type { CheckRecord, OwedCard, PublishRecord } from './records';
import { imageSettings, recordingLogger } from './test-fixtures';

const WEBHOOK =
  'https://prod-01.westeurope.logic.azure.com:443/workflows/0a1b2c3d/triggers/manual/paths/invoke?api-version=2016-06-01&sig=TOPSECRETSIG';

function settingsFor(teams: Partial<ImageSettings['teams']> = {}): ImageSettings {
  return imageSettings('/repo', 'runtime', { teams: { ...DEFAULT_SHARED.teams, ...teams } });
}

const check: CheckRecord = {
  project: 'net6-runtime',
  stale: true,
  reason: 'base-moved',
  message: 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim moved from sha256:000000000000 to sha256:bbbbbbbbbbbb',
  runId: 'run-1',
  base: { name: 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim', digest: `sha256:${'b'.repeat(64)}`, pullRef: 'x' },
  contextDigest: 'sha256:ctx',
  nextVersion: { tag: '6.0-bullseye-slim-1.3.0', version: '1.3.0' },
};

const publish: PublishRecord = {
  runId: 'run-1',
  published: true,
  repositoryUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime',
  digest: `sha256:${'e'.repeat(64)}`,
  versionTag: '6.0-bullseye-slim-1.3.0',
  version: '1.3.0',
  tags: ['6.0-bullseye-slim-1.3.0', 'latest'],
};

const logger = recordingLogger;

function poster(result: number | Error) {
  const posts: Array<{ webhook: URL; message: TeamsMessage }> = [];
  const post = (webhook: URL, message: TeamsMessage) => {
    posts.push({ webhook, message });
    if (result instanceof Error) return Promise.reject(result);
    return Promise.resolve(result);
  };
  return { posts, post };
}

/** A removeMarker that notes in `removed` each marker it is asked to remove. */
function removingInto(removed: string[]) {
  return (tag: string) => {
    removed.push(tag);
    return Promise.resolve();
  };
}

const secretParts = ['workflows', '0a1b2c3d', 'TOPSECRETSIG'];
const expectNoSecret = (text: string) => secretParts.forEach((part) => expect(text).not.toContain(part));

describe('notifyTeams', () => {
  it('posts the card to the webhook from the configured variable', async () => {
    const { posts, post } = poster(202);
    const { lines, log } = logger();
    const env = {
      TEAMS_WEBHOOK_URI: WEBHOOK,
      SYSTEM_COLLECTIONURI: 'https://dev.azure.com/contoso/',
      SYSTEM_TEAMPROJECT: 'Platform',
      BUILD_BUILDID: '42',
    };
    const record = await notifyTeams(settingsFor(), check, publish, { log, env, post });
    expect(record).toEqual({ runId: 'run-1', sent: true, status: 202 });
    expect(posts).toHaveLength(1);
    expect(posts[0].webhook.toString()).toBe(new URL(WEBHOOK).toString());
    const content = posts[0].message.attachments[0].content;
    expect((content.body as Array<{ text?: string }>)[0].text).toBe('Platform image net6-runtime published: 6.0-bullseye-slim-1.3.0');
    expect(content.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Open pipeline run', url: 'https://dev.azure.com/contoso/Platform/_build/results?buildId=42' },
    ]);
    expect(JSON.stringify(content)).toContain(check.message);
    expect(lines).toEqual(['info net6-runtime: Teams card sent (HTTP 202)']);
    expectNoSecret(lines.join('\n'));
  });

  it('reads the variable named by teams.webhookEnv', async () => {
    const { posts, post } = poster(200);
    const record = await notifyTeams(settingsFor({ webhookEnv: 'PLATFORM_TEAMS_HOOK' }), check, publish, {
      log: logger().log,
      env: { PLATFORM_TEAMS_HOOK: WEBHOOK, TEAMS_WEBHOOK_URI: 'https://wrong.example/' },
      post,
    });
    expect(record.sent).toBe(true);
    expect(posts[0].webhook.host).toBe('prod-01.westeurope.logic.azure.com');
  });

  it.each<[string, Record<string, string | undefined>]>([
    ['missing', {}],
    ['empty', { TEAMS_WEBHOOK_URI: '' }],
  ])('skips with a warning when the variable is %s', async (_name, env) => {
    const { posts, post } = poster(202);
    const { lines, log } = logger();
    const record = await notifyTeams(settingsFor(), check, publish, { log, env, post });
    expect(record).toEqual({ runId: 'run-1', sent: false, error: 'net6-runtime: TEAMS_WEBHOOK_URI is not set; no Teams card sent' });
    expect(posts).toEqual([]);
    expect(lines).toEqual(['warn net6-runtime: TEAMS_WEBHOOK_URI is not set; no Teams card sent (the image stays published)']);
  });

  it('throws when the variable is missing and failOnError is set', async () => {
    const { posts, post } = poster(202);
    const { lines, log } = logger();
    const error = await notifyTeams(settingsFor({ failOnError: true }), check, publish, { log, env: {}, post }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe('net6-runtime: TEAMS_WEBHOOK_URI is not set; no Teams card sent');
    expect((error as UserError).hint).toMatch(/teams\.failOnError/);
    expect(posts).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('warns without the URL when the post fails', async () => {
    const { post } = poster(new UserError('Teams webhook at prod-01.westeurope.logic.azure.com answered HTTP 500', 'check the webhook'));
    const { lines, log } = logger();
    const record = await notifyTeams(settingsFor(), check, publish, { log, env: { TEAMS_WEBHOOK_URI: WEBHOOK }, post });
    expect(record).toEqual({
      runId: 'run-1',
      sent: false,
      error: 'net6-runtime: Teams card not sent: Teams webhook at prod-01.westeurope.logic.azure.com answered HTTP 500',
    });
    expect(lines).toEqual([
      'warn net6-runtime: Teams card not sent: Teams webhook at prod-01.westeurope.logic.azure.com answered HTTP 500 (the image stays published)',
    ]);
    expectNoSecret(lines.join('\n') + JSON.stringify(record));
  });

  it('throws without the URL when the post fails and failOnError is set', async () => {
    const { post } = poster(new UserError('Teams webhook at prod-01.westeurope.logic.azure.com answered HTTP 500', 'check the webhook'));
    const { lines, log } = logger();
    const error = await notifyTeams(settingsFor({ failOnError: true }), check, publish, {
      log,
      env: { TEAMS_WEBHOOK_URI: WEBHOOK },
      post,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(
      'net6-runtime: Teams card not sent: Teams webhook at prod-01.westeurope.logic.azure.com answered HTTP 500',
    );
    expectNoSecret((error as Error).message + lines.join('\n'));
  });

  it('never reveals a malformed webhook value', async () => {
    const { posts, post } = poster(202);
    const { lines, log } = logger();
    const outcome = await notifyTeams(settingsFor(), check, publish, {
      log,
      env: { TEAMS_WEBHOOK_URI: 'workflows/0a1b2c3d?sig=TOPSECRETSIG' },
      post,
    }).then(
      (record) => JSON.stringify(record),
      (err: UserError) => `${err.message} ${err.hint}`,
    );
    expect(outcome).toContain('TEAMS_WEBHOOK_URI does not hold a valid URL');
    expectNoSecret(`${outcome} ${lines.join('\n')}`);
    expect(posts).toEqual([]);
  });
});

describe('notifyTeams: cards owed, recorded in the registry', () => {
  const MARKER = 'unannounced-0123456789abcdef';
  const owed = (versionTag: string, marker = MARKER): OwedCard => ({
    marker,
    versionTag,
    digest: `sha256:${'d'.repeat(64)}`,
    tags: [versionTag, 'latest'],
    repositoryUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime',
    baseName: check.base.name,
    baseDigest: check.base.digest,
  });
  const current: CheckRecord = {
    ...check,
    stale: false,
    reason: 'current',
    nextVersion: undefined,
    message: '6.0-bullseye-slim-1.2.0 is built on sha256:bbbbbbbbbbbb, the current base',
  };
  const skipped: PublishRecord = { runId: 'run-1', published: false };
  const env = { TEAMS_WEBHOOK_URI: WEBHOOK };
  const title = (m: TeamsMessage) => (m.attachments[0].content.body as Array<{ text?: string }>)[0].text;
  const fact = (m: TeamsMessage, name: string) =>
    (m.attachments[0].content.body as Array<{ facts?: Array<{ title: string; value: string }> }>)[1].facts?.find((f) => f.title === name)
      ?.value;

  it("removes this run's marker once its card is delivered", async () => {
    const { post } = poster(202);
    const removed: string[] = [];
    const record = await notifyTeams(
      settingsFor(),
      check,
      { ...publish, marker: MARKER },
      { log: logger().log, env, post, removeMarker: removingInto(removed) },
    );
    expect(record).toEqual({ runId: 'run-1', sent: true, status: 202 });
    expect(removed).toEqual([MARKER]);
  });

  it('a current image: sends the card an earlier run owes, saying so, then removes its marker', async () => {
    const { posts, post } = poster(202);
    const removed: string[] = [];
    const { lines, log } = logger();
    const record = await notifyTeams(settingsFor(), { ...current, owedCards: [owed('6.0-bullseye-slim-1.2.0')] }, skipped, {
      log,
      env,
      post,
      removeMarker: removingInto(removed),
    });
    expect(record).toEqual({ runId: 'run-1', sent: true, status: 202, lateCards: ['6.0-bullseye-slim-1.2.0'] });
    expect(posts).toHaveLength(1);
    expect(title(posts[0].message)).toBe('Platform image net6-runtime published: 6.0-bullseye-slim-1.2.0');
    expect(fact(posts[0].message, 'Digest')).toBe(`sha256:${'d'.repeat(64)}`);
    expect(fact(posts[0].message, 'Tags')).toBe('6.0-bullseye-slim-1.2.0, latest');
    expect(fact(posts[0].message, 'Why')).toBe('published by an earlier run, which stopped before announcing it');
    expect(removed).toEqual([MARKER]);
    expect(lines).toEqual(['info net6-runtime: Teams card sent for 6.0-bullseye-slim-1.2.0, published by an earlier run (HTTP 202)']);
  });

  it('a rebuild: its own card, then the ones owed, each marker removed after its own delivery', async () => {
    const { posts, post } = poster(202);
    const events: string[] = [];
    const wrapped = async (webhook: URL, message: TeamsMessage) => {
      events.push(`post ${title(message)}`);
      return post(webhook, message);
    };
    await notifyTeams(
      settingsFor(),
      { ...check, owedCards: [owed('6.0-bullseye-slim-1.2.0', 'unannounced-1111111111111111')] },
      { ...publish, marker: MARKER },
      {
        log: logger().log,
        env,
        post: wrapped,
        removeMarker: (tag) => {
          events.push(`remove ${tag}`);
          return Promise.resolve();
        },
      },
    );
    expect(posts).toHaveLength(2);
    expect(events).toEqual([
      'post Platform image net6-runtime published: 6.0-bullseye-slim-1.3.0',
      `remove ${MARKER}`,
      'post Platform image net6-runtime published: 6.0-bullseye-slim-1.2.0',
      'remove unannounced-1111111111111111',
    ]);
  });

  it('one card, not two, when this run finished the tags of the version it owes', async () => {
    const { posts, post } = poster(202);
    const removed: string[] = [];
    const onlyFinished: PublishRecord = { ...publish, versionTag: '6.0-bullseye-slim-1.2.0', onlyFinished: true };
    await notifyTeams(settingsFor(), { ...current, tagsToFinish: ['latest'], owedCards: [owed('6.0-bullseye-slim-1.2.0')] }, onlyFinished, {
      log: logger().log,
      env,
      post,
      removeMarker: removingInto(removed),
    });
    expect(posts).toHaveLength(1);
    expect(fact(posts[0].message, 'Why')).toMatch(/^published by an earlier run, which stopped before announcing it; /);
    expect(removed).toEqual([MARKER]);
  });

  it('keeps the marker when the card was not delivered, and says the card stays owed', async () => {
    const { post } = poster(
      new UserError('Teams webhook at prod-01.westeurope.logic.azure.com answered HTTP 503, after 3 attempts', 'check the webhook'),
    );
    const removed: string[] = [];
    const { lines, log } = logger();
    const record = await notifyTeams(settingsFor(), { ...current, owedCards: [owed('6.0-bullseye-slim-1.2.0')] }, skipped, {
      log,
      env,
      post,
      removeMarker: removingInto(removed),
    });
    expect(record.sent).toBe(false);
    expect(removed).toEqual([]);
    expect(lines).toEqual([
      'warn net6-runtime: Teams card not sent: Teams webhook at prod-01.westeurope.logic.azure.com answered HTTP 503, after 3 attempts (the image stays published; the card stays owed, and the next run sends it)',
    ]);
  });

  it('keeps the marker when no webhook is configured now', async () => {
    const removed: string[] = [];
    const post = jest.fn();
    const record = await notifyTeams(settingsFor(), { ...current, owedCards: [owed('6.0-bullseye-slim-1.2.0')] }, skipped, {
      log: logger().log,
      env: {},
      post,
      removeMarker: removingInto(removed),
    });
    expect(record.sent).toBe(false);
    expect(post).not.toHaveBeenCalled();
    expect(removed).toEqual([]);
  });

  it('a marker that cannot be removed after delivery: a warning that the card goes out again, not a failure', async () => {
    const { post } = poster(202);
    const { lines, log } = logger();
    const record = await notifyTeams(
      settingsFor({ failOnError: true }),
      { ...current, owedCards: [owed('6.0-bullseye-slim-1.2.0')] },
      skipped,
      {
        log,
        env,
        post,
        removeMarker: () =>
          Promise.reject(
            new UserError(
              'ECR BatchDeleteImage runtime:unannounced-0123456789abcdef: AccessDenied',
              'give the credentials ecr:BatchDeleteImage',
            ),
          ),
      },
    );
    expect(record.sent).toBe(true);
    expect(lines[1]).toBe(
      `warn net6-runtime: the card for 6.0-bullseye-slim-1.2.0 was sent, but removing its marker ${MARKER} failed, so the next run sends it again: ECR BatchDeleteImage runtime:unannounced-0123456789abcdef: AccessDenied`,
    );
  });

  it('nothing published and nothing owed: no card', async () => {
    const post = jest.fn();
    expect(await notifyTeams(settingsFor(), current, skipped, { log: logger().log, env, post })).toEqual({ runId: 'run-1', sent: false });
    expect(post).not.toHaveBeenCalled();
  });

  it('leaves out the base facts an owed version does not record', async () => {
    const { posts, post } = poster(202);
    const bare = { ...owed('6.0-bullseye-slim-1.1.0'), baseName: undefined, baseDigest: undefined };
    await notifyTeams(settingsFor(), { ...current, owedCards: [bare] }, skipped, { log: logger().log, env, post });
    expect(fact(posts[0].message, 'Base image')).toBeUndefined();
    expect(fact(posts[0].message, 'Version tag')).toBe('6.0-bullseye-slim-1.1.0');
  });
});

describe('notifyTeams under Azure Pipelines', () => {
  it('says when the webhook variable is an undefined pipeline variable, and sends nothing', async () => {
    const { lines, log } = recordingLogger();
    const post = jest.fn();
    const record = await notifyTeams(settingsFor(), check, publish, { log, env: { TEAMS_WEBHOOK_URI: '$(TEAMS_WEBHOOK_URI)' }, post });
    expect(post).not.toHaveBeenCalled();
    expect(record.sent).toBe(false);
    expect(lines).toEqual([
      'warn net6-runtime: TEAMS_WEBHOOK_URI holds the unexpanded macro $(TEAMS_WEBHOOK_URI): the pipeline variable is not defined (add it to the variable group); no Teams card sent (the image stays published)',
    ]);
  });
});

describe('notifyFailure', () => {
  const WEBHOOK = 'https://example.webhook.office.com/workflows/abc?sig=SECRET';

  it('posts a failure card naming the image, the step, why it was rebuilt and the error', async () => {
    const { lines, log } = recordingLogger();
    const post = jest.fn<Promise<number>, [URL, TeamsMessage]>(() => Promise.resolve(202));
    const sent = await notifyFailure(
      settingsFor(),
      check,
      'integration-test',
      new UserError('the test app did not answer 200 within 8s', 'check test-app.json'),
      { log, env: { TEAMS_WEBHOOK_URI: WEBHOOK }, post },
    );
    expect(sent).toBe(true);
    const content = post.mock.calls[0][1].attachments[0].content as {
      version: string;
      body: Array<{ text?: string; facts?: Array<{ title: string; value: string }> }>;
    };
    expect(content.version).toBe('1.4');
    expect(content.body[0].text).toBe('Platform image net6-runtime: integration-test failed, nothing published');
    expect(content.body[1].facts).toEqual([
      { title: 'Step', value: 'integration-test' },
      { title: 'Why it was rebuilt', value: check.message },
      { title: 'Base image', value: check.base.name },
      { title: 'Base digest', value: check.base.digest },
    ]);
    expect(content.body[2].text).toBe('the test app did not answer 200 within 8s\n  fix: check test-app.json');
    expect(lines).toEqual(['info net6-runtime: failure card sent to Teams (HTTP 202)']);
    expect(lines.join('\n')).not.toContain('SECRET');
  });

  it('says which version is out when the publish failed after its version tag', async () => {
    const post = jest.fn<Promise<number>, [URL, TeamsMessage]>(() => Promise.resolve(202));
    const error = new PartialPublishError(
      'net6-runtime: x is published, but moving latest to it failed',
      'rerun',
      '6.0-bullseye-slim-1.3.0',
    );
    await notifyFailure(settingsFor(), check, 'ecr-publish', error, {
      log: recordingLogger().log,
      env: { TEAMS_WEBHOOK_URI: WEBHOOK },
      post,
    });
    const content = post.mock.calls[0][1].attachments[0].content as { body: Array<{ text?: string }> };
    expect(content.body[0].text).toBe(
      'Platform image net6-runtime: ecr-publish failed after publishing 6.0-bullseye-slim-1.3.0; its moving tags lag behind until the next run',
    );
  });

  it.each([
    ['no webhook variable', {}, 'warn net6-runtime: TEAMS_WEBHOOK_URI is not set; no failure card sent'],
    [
      'an undefined pipeline variable',
      { TEAMS_WEBHOOK_URI: '$(TEAMS_WEBHOOK_URI)' },
      'warn net6-runtime: TEAMS_WEBHOOK_URI holds the unexpanded macro $(TEAMS_WEBHOOK_URI): the pipeline variable is not defined (add it to the variable group); no failure card sent',
    ],
    [
      'a value that is no URL',
      { TEAMS_WEBHOOK_URI: 'not a url' },
      'warn net6-runtime: TEAMS_WEBHOOK_URI does not hold a valid URL; no failure card sent',
    ],
  ])('sends nothing with %s', async (_name, env, warning) => {
    const { lines, log } = recordingLogger();
    const post = jest.fn();
    await expect(notifyFailure(settingsFor(), check, 'ecr-publish', new Error('x'), { log, env, post })).resolves.toBe(false);
    expect(post).not.toHaveBeenCalled();
    expect(lines).toEqual([warning]);
  });

  it('only warns when the card cannot be sent', async () => {
    const { lines, log } = recordingLogger();
    const post = jest.fn(() =>
      Promise.reject(new UserError('Teams webhook at example.webhook.office.com answered HTTP 500, after 3 attempts', 'check the webhook')),
    );
    await expect(
      notifyFailure(settingsFor(), check, 'ecr-publish', new Error('x'), { log, env: { TEAMS_WEBHOOK_URI: WEBHOOK }, post }),
    ).resolves.toBe(false);
    expect(lines).toEqual([
      'warn net6-runtime: failure card not sent: Teams webhook at example.webhook.office.com answered HTTP 500, after 3 attempts',
    ]);
  });
});
