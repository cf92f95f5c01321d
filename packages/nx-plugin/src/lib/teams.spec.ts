import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError } from '../types/errors';
import { pipelineRunUrl, postToTeams, type PublishedImage, publishedCard, validateWebhookUrl } from './teams';

const published: PublishedImage = {
  image: 'net6-runtime',
  repositoryUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime',
  versionTag: '6.0-bullseye-slim-1.3.0',
  tags: ['6.0-bullseye-slim-1.3.0', 'latest', '6.0'],
  digest: `sha256:${'e'.repeat(64)}`,
  baseName: 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim',
  baseDigest: `sha256:${'b'.repeat(64)}`,
  reason: 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim moved from sha256:111111111111 to sha256:bbbbbbbbbbbb',
};

/** A sleep that returns at once, noting in `slept` how long it was asked to wait. */
const noteSleeps = (slept: number[]) => (ms: number) => {
  slept.push(ms);
  return Promise.resolve();
};

describe('publishedCard', () => {
  it('is an Adaptive Card 1.4 in the message envelope', () => {
    const card = publishedCard(published);
    expect(card.type).toBe('message');
    expect(card.attachments).toHaveLength(1);
    expect(card.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.attachments[0].contentUrl).toBeNull();
    expect(card.attachments[0].content).toMatchObject({
      type: 'AdaptiveCard',
      version: '1.4',
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    });
  });

  it('shows each warning as an attention text block after the facts, and none without warnings', () => {
    const body = (w?: string[]) =>
      publishedCard({ ...published, warnings: w }).attachments[0].content.body as Array<Record<string, unknown>>;
    expect(body(undefined)).toHaveLength(2);
    expect(body(['.NET 6 reached its end of support on 2024-11-12: move on']).slice(2)).toEqual([
      {
        type: 'TextBlock',
        wrap: true,
        color: 'Attention',
        weight: 'Bolder',
        text: 'Warning: .NET 6 reached its end of support on 2024-11-12: move on',
      },
    ]);
  });

  it('lists the platforms of a multi-platform image after its digest', () => {
    const A = `sha256:${'a'.repeat(64)}`;
    const E = `sha256:${'4'.repeat(64)}`;
    const card = publishedCard({
      ...published,
      platforms: [
        { platform: 'linux/amd64', digest: A },
        { platform: 'linux/arm64', digest: E },
      ],
    });
    const facts = (card.attachments[0].content.body as Array<{ facts?: Array<{ title: string; value: string }> }>)[1].facts!;
    expect(facts.map((f) => f.title).slice(3, 5)).toEqual(['Digest', 'Platforms']);
    expect(facts[4].value).toBe(`linux/amd64 (${A}), linux/arm64 (${E})`);
  });

  it('names the image and version and lists the facts', () => {
    const body = publishedCard(published).attachments[0].content.body as Array<Record<string, unknown>>;
    expect(body[0]).toMatchObject({ type: 'TextBlock', text: 'Platform image net6-runtime published: 6.0-bullseye-slim-1.3.0' });
    expect(body[1].type).toBe('FactSet');
    expect(body[1].facts).toEqual([
      { title: 'Image', value: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime:6.0-bullseye-slim-1.3.0' },
      { title: 'Version tag', value: '6.0-bullseye-slim-1.3.0' },
      { title: 'Tags', value: '6.0-bullseye-slim-1.3.0, latest, 6.0' },
      { title: 'Digest', value: published.digest },
      { title: 'Base image', value: published.baseName },
      { title: 'Base digest', value: published.baseDigest },
      { title: 'Why', value: published.reason },
    ]);
  });

  it.each<[string | undefined, unknown]>([
    [undefined, undefined],
    [
      'https://dev.azure.com/org/proj/_build/results?buildId=7',
      [{ type: 'Action.OpenUrl', title: 'Open pipeline run', url: 'https://dev.azure.com/org/proj/_build/results?buildId=7' }],
    ],
  ])('has an action only when there is a run URL (%s)', (runUrl, actions) => {
    expect(publishedCard({ ...published, runUrl }).attachments[0].content.actions).toEqual(actions);
  });

  it('serialises to JSON', () => {
    expect(JSON.parse(JSON.stringify(publishedCard(published)))).toEqual(publishedCard(published));
  });
});

describe('pipelineRunUrl', () => {
  it.each<[Record<string, string | undefined>, string | undefined]>([
    [
      { SYSTEM_COLLECTIONURI: 'https://dev.azure.com/contoso/', SYSTEM_TEAMPROJECT: 'Platform', BUILD_BUILDID: '42' },
      'https://dev.azure.com/contoso/Platform/_build/results?buildId=42',
    ],
    [
      { SYSTEM_COLLECTIONURI: 'https://dev.azure.com/contoso', SYSTEM_TEAMPROJECT: 'Platform', BUILD_BUILDID: '42' },
      'https://dev.azure.com/contoso/Platform/_build/results?buildId=42',
    ],
    [
      { SYSTEM_COLLECTIONURI: 'https://tfs.corp/tfs/Default/', SYSTEM_TEAMPROJECT: 'Platform Images', BUILD_BUILDID: '9' },
      'https://tfs.corp/tfs/Default/Platform%20Images/_build/results?buildId=9',
    ],
    [{ SYSTEM_TEAMPROJECT: 'Platform', BUILD_BUILDID: '42' }, undefined],
    [{ SYSTEM_COLLECTIONURI: 'https://dev.azure.com/contoso/', BUILD_BUILDID: '42' }, undefined],
    [{ SYSTEM_COLLECTIONURI: 'https://dev.azure.com/contoso/', SYSTEM_TEAMPROJECT: 'Platform' }, undefined],
    [{}, undefined],
  ])('%j → %s', (env, url) => {
    expect(pipelineRunUrl(env)).toBe(url);
  });
});

describe('validateWebhookUrl', () => {
  it('returns the URL', () => {
    const value = 'https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=SECRET';
    expect(validateWebhookUrl(value, 'TEAMS_WEBHOOK_URI').toString()).toBe(value);
  });

  it.each([
    ['not a url SECRET-sig'],
    ['prod-01.westeurope.logic.azure.com/workflows/SECRET-sig'],
    ['ftp://files.example/SECRET-sig'],
    ['javascript:alert("SECRET-sig")'],
  ])('rejects %s without echoing it', (value) => {
    let error: unknown;
    try {
      validateWebhookUrl(value, 'TEAMS_WEBHOOK_URI');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserError);
    const { message, hint } = error as UserError;
    expect(message).toMatch(/^TEAMS_WEBHOOK_URI /);
    expect(`${message} ${hint ?? ''}`).not.toContain('SECRET');
  });
});

describe('postToTeams', () => {
  let server: Server;
  let base: string;
  let answer: number;
  const received: Array<{ method?: string; url?: string; contentType?: string; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, contentType: req.headers['content-type'], body });
        res.statusCode = answer;
        res.end(answer === 500 ? 'internal error' : '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    received.length = 0;
  });

  const secretPath = '/workflows/0a1b2c/triggers/manual/paths/invoke';
  const secretQuery = '?api-version=2016-06-01&sig=TOPSECRETSIG';

  it.each([200, 202])('POSTs the card as JSON and returns %i', async (code) => {
    answer = code;
    const message = publishedCard(published);
    await expect(postToTeams(new URL(base + secretPath + secretQuery), message)).resolves.toBe(code);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: secretPath + secretQuery, contentType: 'application/json' });
    expect(JSON.parse(received[0].body)).toEqual(message);
  });

  it.each([
    [500, 3, ', after 3 attempts', [1000, 2000]],
    [429, 3, ', after 3 attempts', [1000, 2000]],
    [400, 1, '', []],
    [401, 1, '', []],
  ])('fails on HTTP %i after %i tries without revealing the path or query', async (code, tries, suffix, waits) => {
    answer = code;
    const slept: number[] = [];
    const error = await postToTeams(new URL(base + secretPath + secretQuery), publishedCard(published), {
      sleep: noteSleeps(slept),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect(received).toHaveLength(tries);
    expect(slept).toEqual(waits);
    const { message } = error as UserError;
    expect(message).toBe(`Teams webhook at ${new URL(base).host} answered HTTP ${code}${suffix}`);
    expect(message).not.toContain('workflows');
    expect(message).not.toContain('TOPSECRETSIG');
  });

  it('fails without revealing the path or query when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await postToTeams(new URL(`http://127.0.0.1:${port}${secretPath}${secretQuery}`), publishedCard(published), {
      sleep: () => Promise.resolve(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(`Teams webhook at 127.0.0.1:${port} could not be reached (ECONNREFUSED) after 3 attempts`);
  });

  it('waits as long as Retry-After says, then delivers', async () => {
    const answers = [429, 503, 202];
    const retryAfter = ['7', '0'];
    const flaky = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.statusCode = answers.shift()!;
        const after = retryAfter.shift();
        if (after !== undefined) res.setHeader('Retry-After', after);
        res.end();
      });
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const slept: number[] = [];
    try {
      const url = new URL(`http://127.0.0.1:${(flaky.address() as AddressInfo).port}/hook`);
      await expect(postToTeams(url, publishedCard(published), { sleep: noteSleeps(slept) })).resolves.toBe(202);
      expect(slept).toEqual([7000, 0]);
    } finally {
      await new Promise<void>((resolve) => flaky.close(() => resolve()));
    }
  });
});

describe('postToTeams with a long Retry-After', () => {
  it('gives up at once instead of waiting longer than the bound', async () => {
    let hits = 0;
    const throttled = createServer((req, res) => {
      hits++;
      req.resume();
      req.on('end', () => {
        res.writeHead(429, { 'Retry-After': '3600' });
        res.end();
      });
    });
    await new Promise<void>((resolve) => throttled.listen(0, '127.0.0.1', resolve));
    const slept: number[] = [];
    try {
      const url = new URL(`http://127.0.0.1:${(throttled.address() as AddressInfo).port}/hook`);
      const error = await postToTeams(url, publishedCard(published), { sleep: noteSleeps(slept) }).catch((e: unknown) => e);
      expect((error as Error).message).toBe(
        `Teams webhook at ${url.host} answered HTTP 429, it asked to retry after 3600 s, longer than the 30 s this run waits`,
      );
      expect(hits).toBe(1);
      expect(slept).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => throttled.close(() => resolve()));
    }
  });
});
