import { buildsUrl, chooseBase, FALLBACK_BASE, parseBranch, redact, resolveBase, type Fetch } from './base-sha';

const TOKEN = 'ey-fake-system-access-token-0123456789';
const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';
const ENV = {
  SYSTEM_COLLECTIONURI: 'https://dev.azure.com/contoso/',
  SYSTEM_TEAMPROJECT: 'Platform Images',
  SYSTEM_DEFINITIONID: '42',
  SYSTEM_ACCESSTOKEN: TOKEN,
};

function fakeFetch(answer: { status?: number; body?: unknown; error?: Error }) {
  const calls: { url: string; headers: Record<string, string> }[] = [];
  const fetch: Fetch = (url, init) => {
    calls.push({ url, headers: init.headers });
    if (answer.error) return Promise.reject(answer.error);
    const status = answer.status ?? 200;
    return Promise.resolve({ ok: status >= 200 && status < 300, status, json: () => Promise.resolve(answer.body) });
  };
  return { fetch, calls };
}

const build = (over: Record<string, unknown> = {}) => ({
  count: 1,
  value: [{ id: 1234, buildNumber: '20240101.3', sourceVersion: SHA, result: 'succeeded', ...over }],
});

describe('buildsUrl', () => {
  it('asks for the newest succeeded run of this definition on the branch', () => {
    expect(
      buildsUrl({
        collectionUri: 'https://dev.azure.com/contoso/',
        project: 'Platform Images',
        definitionId: '42',
        branch: 'refs/heads/main',
      }),
    ).toBe(
      'https://dev.azure.com/contoso/Platform%20Images/_apis/build/builds?definitions=42&branchName=refs%2Fheads%2Fmain&statusFilter=completed&resultFilter=succeeded&queryOrder=finishTimeDescending&$top=1&api-version=7.1',
    );
  });

  it('adds the missing slash of a collection URI', () => {
    expect(
      buildsUrl({ collectionUri: 'https://tfs.contoso.com/DefaultCollection', project: 'p', definitionId: '1', branch: 'refs/heads/main' }),
    ).toMatch(/^https:\/\/tfs\.contoso\.com\/DefaultCollection\/p\/_apis\/build\/builds\?/);
  });
});

describe('chooseBase', () => {
  it.each<[string, unknown, ReturnType<typeof chooseBase>]>([
    ['the commit the newest successful run built', build(), { sha: SHA, buildNumber: '20240101.3', id: 1234 }],
    ['none when there is no successful run', { count: 0, value: [] }, undefined],
    ['none for an answer without runs', {}, undefined],
    ['none for no answer', null, undefined],
    ['none for a source version that is not a commit id', build({ sourceVersion: 'HEAD; rm -rf /' }), undefined],
    ['a lower-case commit id', build({ sourceVersion: SHA.toUpperCase() }), { sha: SHA, buildNumber: '20240101.3', id: 1234 }],
  ])('%s', (_name, response, expected) => {
    expect(chooseBase(response)).toEqual(expected);
  });
});

describe('resolveBase', () => {
  const hasCommit = () => true;

  it('bases on the last successful run, authenticating with the token', async () => {
    const { fetch, calls } = fakeFetch({ body: build() });
    const { base, lines } = await resolveBase(ENV, { fetch, hasCommit });
    expect(base).toBe(SHA);
    expect(lines).toEqual([
      `base: ${SHA}, built by the last successful run 20240101.3 (#1234)`,
      `##vso[task.setvariable variable=PLATFORM_IMAGES_BASE]${SHA}`,
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toContain('definitions=42&branchName=refs%2Fheads%2Fmain');
    expect(calls[0].headers.Authorization).toBe(`Bearer ${TOKEN}`);
  });

  it.each<[string, Parameters<typeof fakeFetch>[0], RegExp]>([
    ['no successful run yet', { body: { count: 0, value: [] } }, /no successful run of this pipeline on refs\/heads\/main yet/],
    ['the API refuses the token', { status: 401 }, /HTTP 401 \(the build service identity needs "View builds"/],
    ['the API fails', { status: 500 }, /HTTP 500/],
    [
      'the API cannot be reached (an error quoting the token)',
      { error: new Error(`connect ECONNREFUSED, Authorization: Bearer ${TOKEN}`) },
      /could not be reached: connect ECONNREFUSED, Authorization: Bearer \*\*\*/,
    ],
  ])('falls back to HEAD~1 when %s', async (_name, answer, warning) => {
    const { fetch } = fakeFetch(answer);
    const { base, lines } = await resolveBase(ENV, { fetch, hasCommit });
    expect(base).toBe(FALLBACK_BASE);
    expect(lines).toEqual([expect.stringMatching(warning), '##vso[task.setvariable variable=PLATFORM_IMAGES_BASE]HEAD~1']);
  });

  it('falls back when the built commit is not in the clone', async () => {
    const { fetch } = fakeFetch({ body: build() });
    const { base, lines } = await resolveBase(ENV, { fetch, hasCommit: () => false });
    expect(base).toBe('HEAD~1');
    expect(lines[0]).toMatch(/is not in this clone/);
  });

  it('falls back without asking when the token is not mapped', async () => {
    const { fetch, calls } = fakeFetch({ body: build() });
    const { base, lines } = await resolveBase({ ...ENV, SYSTEM_ACCESSTOKEN: '$(System.AccessToken)' }, { fetch, hasCommit });
    expect(base).toBe('HEAD~1');
    expect(calls).toEqual([]);
    expect(lines[0]).toMatch(/SYSTEM_ACCESSTOKEN not set/);
  });

  it('writes warnings as Azure Pipelines logging commands under Azure Pipelines', async () => {
    const { fetch } = fakeFetch({ status: 403 });
    const { lines } = await resolveBase({ ...ENV, TF_BUILD: 'True' }, { fetch, hasCommit });
    expect(lines[0]).toMatch(/^##vso\[task\.logissue type=warning\]the builds API answered HTTP 403/);
  });

  it('never prints the token, whatever happens', async () => {
    const answers: Parameters<typeof fakeFetch>[0][] = [
      { body: build() },
      { body: build({ buildNumber: `leak-${TOKEN}` }) },
      { status: 401 },
      { error: new Error(`bad header ${TOKEN}`) },
      { body: { value: [{ sourceVersion: TOKEN }] } },
    ];
    for (const answer of answers) {
      for (const env of [ENV, { ...ENV, TF_BUILD: 'True' }]) {
        const { fetch } = fakeFetch(answer);
        const { lines } = await resolveBase(env, { fetch, hasCommit });
        expect(lines.join('\n')).not.toContain(TOKEN);
        expect(lines.join('\n')).not.toContain(TOKEN.slice(0, 20));
      }
    }
  });
});

describe('redact and parseBranch', () => {
  it('redacts every occurrence of the secret', () => {
    expect(redact('a SECRET b SECRET', 'SECRET')).toBe('a *** b ***');
    expect(redact('a b', undefined)).toBe('a b');
  });

  it('reads the branch as a ref', () => {
    expect(parseBranch([])).toBe('refs/heads/main');
    expect(parseBranch(['--branch=release'])).toBe('refs/heads/release');
    expect(parseBranch(['--branch=refs/heads/main'])).toBe('refs/heads/main');
    expect(() => parseBranch(['main'])).toThrow(/unknown argument/);
  });
});
