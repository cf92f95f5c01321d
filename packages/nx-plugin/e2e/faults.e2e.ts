/**
 * Faults injected into the local stack while real `nx` runs work against it: the upstream registry (through
 * the MCR proxy), the ECR API and registry, the Teams sink, the test app, the build and the Docker engine.
 * For each: the run says what failed and what to do, transient faults are retried within a bound, nothing
 * half-done is published, and once the fault clears a rerun finishes the work with no version skipped or
 * duplicated. Every scenario adds a row to the figures README links to.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { recordFigure } from './figures';
import {
  awsEcr,
  cards,
  clearFaults,
  createWorkspace,
  digestOf,
  ecrPassword,
  ecrTags,
  editJson,
  faultHits,
  git,
  injectFaults,
  movedVersions,
  nx,
  recordsOf,
  tagHistory,
  type FaultRule,
  type FaultTarget,
  type NxRun,
  type Workspace,
} from './support';
import type { NxJsonFile } from './json-files';

jest.setTimeout(20 * 60_000);

const VERSION = /^6\.0-bullseye-slim-(\d+)\.(\d+)\.(\d+)$/;
const FORCE = { PLATFORM_IMAGES_FORCE_UPDATE: 'true' };
const BUILD_NUMBER = { BUILD_BUILDNUMBER: '20261124.1' };
const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

let ws: Workspace;
let repo: string;
let sdkRepo: string;
/** Version tags that appeared in a scenario whose run did not pass its integration test. */
let halfPublished = 0;
/** When the scenario that deletes a repository did so: a version tag may name a new digest after that. */
let sdkRepoDeletedAt = '';

function versions(repository = repo): string[] {
  return ecrTags(repository)
    .filter((t) => VERSION.test(t))
    .sort((a, b) => minor(a) - minor(b));
}

function minor(tag: string): number {
  return Number(VERSION.exec(tag)![2]);
}

/** Version numbers run 1.0.0, 1.1.0, 1.2.0… with none skipped and none twice. */
function expectContiguous(tags: string[]): void {
  expect(tags.map(minor)).toEqual(tags.map((_t, i) => i));
}

function fail(run: NxRun, context: string): never {
  throw new Error(`${context}: nx exited ${run.code}:\n${run.output.slice(-6000)}`);
}

function expectOk(run: NxRun): void {
  if (run.code !== 0) fail(run, 'expected success');
}

/** A failed run: non-zero, the message, a hint where the product gives one, and no stack trace. */
function expectFailure(run: NxRun, message: RegExp): string {
  if (run.code === 0) fail(run, `expected failure matching ${message}`);
  const line = run.output.split('\n').find((l) => message.test(l));
  if (!line) fail(run, `no line matching ${message}`);
  expect(run.output).not.toMatch(STACK_TRACE);
  return line.trim();
}

function row(kind: string, fault: string, ok: boolean, observed: string, extra: Record<string, string | number | boolean> = {}): void {
  recordFigure('faults', { case: `${kind}: ${fault}`, ok, observed: observed.replace(/\s+/g, ' ').slice(0, 200), ...extra });
}

async function withFaults(target: FaultTarget, rules: FaultRule[], body: () => Promise<void> | void): Promise<number[]> {
  await injectFaults(target, rules);
  try {
    await body();
    return await faultHits(target);
  } finally {
    await clearFaults();
  }
}

function timed(run: () => NxRun): NxRun & { ms: number } {
  const started = Date.now();
  const result = run();
  return { ...result, ms: Date.now() - started };
}

/** The check's one request for a base: a GET of its manifest (an index lists each platform's manifest). */
const BASE_MANIFEST = { method: 'GET', path: '/v2/dotnet/runtime/manifests/' };

beforeAll(async () => {
  await clearFaults();
  ws = createWorkspace(['net6/runtime', 'net6/sdk']);
  repo = `${ws.prefix}/runtime`;
  sdkRepo = `${ws.prefix}/sdk`;
  // Upstream requests go through the MCR proxy, which takes faults; the registry behind it is the same.
  editJson(ws.root, 'nx.json', (value: NxJsonFile) => {
    value.plugins[0].options.profiles.local.registryMirrors['mcr.microsoft.com'] = 'http://localhost:5005';
  });
  git(ws.root, ['commit', '-qam', 'upstream through the fault proxy']);
  expectOk(nx(ws, ['run-many', '-t', 'publish'], BUILD_NUMBER));
  expect(versions()).toEqual(['6.0-bullseye-slim-1.0.0']);
});

afterEach(async () => {
  await clearFaults();
});

afterAll(async () => {
  await clearFaults();
  if (!ws) return;
  const history = [...(await tagHistory(repo)), ...(await tagHistory(sdkRepo)).filter((h) => h.at > sdkRepoDeletedAt)];
  const moved = movedVersions(history, VERSION);
  recordFigure('faults-totals', { case: 'half-published images', ok: halfPublished === 0, observed: String(halfPublished) });
  recordFigure('faults-totals', { case: 'overwritten versions', ok: moved.length === 0, observed: moved.length ? moved.join(', ') : '0' });
  ws.dispose();
  expect(moved).toEqual([]);
  expect(halfPublished).toBe(0);
});

describe('upstream registry', () => {
  test('401 without a usable challenge: a clear refusal, then a clean rerun', async () => {
    let line = '';
    await withFaults('upstream', [{ match: BASE_MANIFEST, action: { status: 401, headers: { 'WWW-Authenticate': 'Negotiate' } } }], () => {
      line = expectFailure(nx(ws, ['run', 'net6-runtime:mcr-check']), /requires authentication without a usable challenge/);
    });
    expect(line).toContain('mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim');
    expectOk(nx(ws, ['run', 'net6-runtime:mcr-check']));
    row('upstream', '401 without a usable challenge', true, line);
  });

  test('404 for the tag names the image and what to check', async () => {
    let run!: NxRun;
    await withFaults('upstream', [{ match: BASE_MANIFEST, action: { status: 404 } }], () => {
      run = nx(ws, ['run', 'net6-runtime:mcr-check']);
    });
    const line = expectFailure(run, /not found in the registry/);
    expect(run.output).toMatch(/Dockerfile: FROM: .*not found in the registry/);
    expect(run.output).toMatch(/fix: check the repository and tag in FROM exist upstream/);
    row('upstream', '404 for the tag', true, line);
  });

  test('429 with Retry-After: 1, twice: waits as told and succeeds', async () => {
    let run!: NxRun & { ms: number };
    const hits = await withFaults(
      'upstream',
      [{ match: BASE_MANIFEST, times: 2, action: { status: 429, headers: { 'Retry-After': '1' } } }],
      () => {
        run = timed(() => nx(ws, ['run', 'net6-runtime:mcr-check']));
      },
    );
    expectOk(run);
    expect(recordsOf(ws, 'net6/runtime').read('mcr-check').stale).toBe(false);
    expect(hits).toEqual([2]);
    // Two waits of one second each, as Retry-After asked, not the half-second default backoff.
    expect(run.ms).toBeGreaterThanOrEqual(2000);
    row('upstream', '429 with Retry-After: 1 (twice)', true, `retried twice, then CURRENT (${run.ms} ms)`, { retried: 2 });
  });

  test('429 asking for longer than the bound: gives up at once', async () => {
    let run!: NxRun;
    const hits = await withFaults(
      'upstream',
      [{ match: BASE_MANIFEST, action: { status: 429, headers: { 'Retry-After': '120' } } }],
      () => {
        run = nx(ws, ['run', 'net6-runtime:mcr-check']);
      },
    );
    const line = expectFailure(run, /HTTP 429 .*retry after 120 s, longer than the 30 s this run waits/);
    expect(hits).toEqual([1]);
    row('upstream', '429 with Retry-After: 120', true, line, { retried: 0 });
  });

  test('503 once is retried; 500 every time gives up after 3 attempts', async () => {
    let once!: NxRun;
    const onceHits = await withFaults('upstream', [{ match: BASE_MANIFEST, times: 1, action: { status: 503 } }], () => {
      once = nx(ws, ['run', 'net6-runtime:mcr-check']);
    });
    expectOk(once);
    expect(onceHits).toEqual([1]);
    row('upstream', '503 once', true, 'retried once, then CURRENT', { retried: 1 });

    let always!: NxRun;
    const alwaysHits = await withFaults('upstream', [{ match: BASE_MANIFEST, action: { status: 500 } }], () => {
      always = nx(ws, ['run', 'net6-runtime:mcr-check']);
    });
    const line = expectFailure(always, /answered HTTP 500 to GET manifests, after 3 attempts/);
    expect(alwaysHits).toEqual([3]);
    row('upstream', '500 every time', true, line, { retried: 2 });
  });

  test('an answer slower than the timeout: bounded tries, then a clear failure', async () => {
    let run!: NxRun & { ms: number };
    const hits = await withFaults('upstream', [{ match: BASE_MANIFEST, action: { delayMs: 5000 } }], () => {
      run = timed(() => nx(ws, ['run', 'net6-runtime:mcr-check', '--timeoutSeconds=1']));
    });
    const line = expectFailure(run, /cannot reach localhost:5005 \(TimeoutError\) after 3 attempts/);
    expect(hits).toEqual([3]);
    row('upstream', 'answer slower than the timeout (1 s)', true, line, { retried: 2 });
  });

  test('a reset connection once is retried; every time fails clearly', async () => {
    let once!: NxRun;
    await withFaults('upstream', [{ match: BASE_MANIFEST, times: 1, action: { reset: true } }], () => {
      once = nx(ws, ['run', 'net6-runtime:mcr-check']);
    });
    expectOk(once);
    row('upstream', 'connection reset once', true, 'retried once, then CURRENT', { retried: 1 });

    let always!: NxRun;
    await withFaults('upstream', [{ match: BASE_MANIFEST, action: { reset: true } }], () => {
      always = nx(ws, ['run', 'net6-runtime:mcr-check']);
    });
    const line = expectFailure(always, /cannot reach localhost:5005 \(\w+\) after 3 attempts/);
    row('upstream', 'connection reset every time', true, line, { retried: 2 });
  });
});

describe('ECR API', () => {
  test('ThrottlingException twice is retried by the SDK; always, it fails naming the fix', async () => {
    let once!: NxRun;
    const hits = await withFaults(
      'ecrApi',
      [{ match: { operation: 'DescribeImages' }, times: 2, action: { awsError: 'ThrottlingException', message: 'Rate exceeded' } }],
      () => {
        once = nx(ws, ['run', 'net6-runtime:mcr-check']);
      },
    );
    expectOk(once);
    expect(hits).toEqual([2]);
    row('ECR API', 'ThrottlingException twice', true, 'retried twice, then CURRENT', { retried: 2 });

    let always!: NxRun;
    await withFaults(
      'ecrApi',
      [{ match: { operation: 'DescribeImages' }, action: { awsError: 'ThrottlingException', message: 'Rate exceeded' } }],
      () => {
        always = nx(ws, ['run', 'net6-runtime:mcr-check']);
      },
    );
    const line = expectFailure(always, /AWS kept throttling the request \(ThrottlingException\) after 3 attempts/);
    expect(always.output).toMatch(/fix: rerun later, run fewer images at once/);
    row('ECR API', 'ThrottlingException every time', true, line);
  });

  test('AccessDeniedException names the call and the permissions to grant', async () => {
    let run!: NxRun;
    await withFaults(
      'ecrApi',
      [
        {
          match: { operation: 'DescribeRepositories' },
          action: { awsError: 'AccessDeniedException', message: 'User is not authorized to perform: ecr:DescribeRepositories' },
        },
      ],
      () => {
        run = nx(ws, ['run', 'net6-runtime:mcr-check']);
      },
    );
    const line = expectFailure(run, /ECR DescribeRepositories .*AWS refused the request \(AccessDeniedException/);
    expect(run.output).toMatch(/fix: give these credentials the policy in docs\/iam\/publishing-policy\.json/);
    row('ECR API', 'AccessDeniedException', true, line);
  });

  test('RepositoryNotFound: the repository disappears between test and publish', () => {
    expectOk(nx(ws, ['run', 'net6-sdk:integration-test'], FORCE));
    expect(awsEcr(['delete-repository', '--repository-name', sdkRepo, '--force']).status).toBe(0);
    sdkRepoDeletedAt = new Date().toISOString();
    const run = nx(ws, ['run', 'net6-sdk:ecr-publish', '--excludeTaskDependencies'], FORCE);
    const line = expectFailure(run, /held 6\.0-bullseye-slim-1\.0\.0 when checked and is gone now; nothing was pushed/);
    expect(versions(sdkRepo)).toEqual([]);
    // The rerun recreates the repository and publishes into it.
    expectOk(nx(ws, ['run', 'net6-sdk:publish'], BUILD_NUMBER));
    expect(versions(sdkRepo)).toEqual(['6.0-bullseye-slim-1.0.0']);
    row('ECR API', 'RepositoryNotFoundException (repository deleted mid-run)', true, line);
  });

  test('a version taken by another run while this one tested: refused, and the rerun takes the next', () => {
    expectOk(nx(ws, ['run', 'net6-runtime:integration-test'], FORCE));
    const next = recordsOf(ws, 'net6/runtime').read('mcr-check').nextVersion!.tag;
    // Another publisher's image lands under that version tag.
    const password = ecrPassword();
    execFileSync('skopeo', [
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--src-creds',
      `AWS:${password}`,
      '--dest-creds',
      `AWS:${password}`,
      `docker://localhost:5002/${repo}:6.0-bullseye-slim-1.0.0`,
      `docker://localhost:5002/${repo}:${next}`,
    ]);
    const taken = digestOf(repo, next);
    const run = nx(ws, ['run', 'net6-runtime:ecr-publish', '--excludeTaskDependencies'], FORCE);
    const line = expectFailure(
      run,
      new RegExp(
        `${next.replace(/\./g, '\\.')} was published by another run while this one built and tested; this image was not published`,
      ),
    );
    expect(digestOf(repo, next)).toBe(taken);
    expectOk(nx(ws, ['run', 'net6-runtime:publish'], { ...FORCE, ...BUILD_NUMBER }));
    expectContiguous(versions());
    row('ECR API', 'version tag taken meanwhile (ImageTagAlreadyExists race)', true, line);
  });
});

describe('registry push', () => {
  test('failure half-way through the tags: the version is out, the rerun moves the rest', async () => {
    const before = versions();
    const cardsBefore = (await cards(ws)).length;
    let run!: NxRun;
    // The first three PutImage calls (the card's unannounced-<run id> tag, the version tag, then latest) go
    // through, every later one fails.
    await withFaults(
      'ecrApi',
      [
        { match: { operation: 'PutImage' }, times: 3, action: { delayMs: 0 } },
        { match: { operation: 'PutImage' }, action: { awsError: 'ServerException', status: 500, message: 'injected' } },
      ],
      () => {
        run = nx(ws, ['run', 'net6-runtime:publish'], { ...FORCE, ...BUILD_NUMBER });
      },
    );
    const line = expectFailure(run, /is published \(sha256:\w+\), but moving .* to it failed: ECR PutImage .*ServerException/);
    expect(run.output).toMatch(/fix: rerun: the check finds the tags behind and moves them/);
    const after = versions();
    expect(after).toHaveLength(before.length + 1);
    const version = after[after.length - 1];
    const versionDigest = digestOf(repo, version);
    expect(digestOf(repo, 'latest')).toBe(versionDigest);
    expect(digestOf(repo, '6.0')).not.toBe(versionDigest);
    const failure = (await cards(ws)).slice(cardsBefore);
    expect(failure.map((c) => c.body.attachments[0].content.body[0].text)).toEqual([
      `Platform image net6-runtime: ecr-publish failed after publishing ${version}; its moving tags lag behind until the next run`,
    ]);

    const rerun = nx(ws, ['run', 'net6-runtime:publish'], BUILD_NUMBER);
    expectOk(rerun);
    // Current, with the moving tag the stopped publish left behind to move.
    const check = recordsOf(ws, 'net6/runtime').read('mcr-check');
    expect({ stale: check.stale, tagsToFinish: check.tagsToFinish }).toEqual({
      stale: false,
      tagsToFinish: expect.arrayContaining(['6.0']) as jest.AsymmetricMatcher,
    });
    expect(versions()).toEqual(after);
    expect(digestOf(repo, '6.0')).toBe(versionDigest);
    expectContiguous(versions());
    row('registry push', 'failure half-way through the tags (PutImage 500)', true, line, { rerun: 'moved 6.0, no new version' });
  });

  test('the image push fails: nothing published, the rerun publishes that same version', async () => {
    const before = versions();
    const expected = `6.0-bullseye-slim-1.${before.length}.0`;
    let run!: NxRun;
    // Docker pushes under the run's staging tag; its manifest PUT fails.
    await withFaults('ecrRegistry', [{ match: { method: 'PUT', path: '/manifests/staging-' }, action: { status: 500 } }], () => {
      run = nx(ws, ['run', 'net6-runtime:publish'], { ...FORCE, ...BUILD_NUMBER });
    });
    const line = expectFailure(run, /docker push .* failed/);
    expect(versions()).toEqual(before);
    expectOk(nx(ws, ['run', 'net6-runtime:publish'], { ...FORCE, ...BUILD_NUMBER }));
    expect(versions()).toEqual([...before, expected]);
    expect(ecrTags(repo).filter((t) => t.startsWith('staging-'))).toEqual([]);
    row('registry push', 'image push fails (manifest PUT 500)', true, line, { rerun: `published ${expected}` });
  });

  test('writing the version tag fails: nothing published, no staging tag left, the rerun publishes that same version', async () => {
    const before = versions();
    const expected = `6.0-bullseye-slim-1.${before.length}.0`;
    let run!: NxRun;
    // The first PutImage (the card's unannounced-<run id> tag) goes through; every write of the version tag fails.
    const hits = await withFaults(
      'ecrApi',
      [
        { match: { operation: 'PutImage' }, times: 1, action: { delayMs: 0 } },
        { match: { operation: 'PutImage' }, action: { awsError: 'ServerException', status: 500, message: 'injected' } },
      ],
      () => {
        run = nx(ws, ['run', 'net6-runtime:publish'], { ...FORCE, ...BUILD_NUMBER });
      },
    );
    const line = expectFailure(run, new RegExp(`ECR PutImage .*:${expected.replace(/\./g, '\\.')}: ServerException: injected`));
    expect(hits).toEqual([1, 3]);
    expect(versions()).toEqual(before);
    // Neither the staging tag nor the marker of a version that was not published is left.
    expect(ecrTags(repo).filter((t) => t.startsWith('staging-') || t.startsWith('unannounced-'))).toEqual([]);
    expectOk(nx(ws, ['run', 'net6-runtime:publish'], { ...FORCE, ...BUILD_NUMBER }));
    expect(versions()).toEqual([...before, expected]);
    row('registry push', 'writing the version tag fails (PutImage 500, 3 attempts)', true, line, { rerun: `published ${expected}` });
  });
});

describe('integration test', () => {
  /** Runs a forced publish with a test app written for the occasion; returns the failed run. */
  function withTestApp(name: string, dockerfile: string[], testApp: Record<string, unknown>, extra: Record<string, string> = {}): NxRun {
    const dir = path.join(ws.root, 'integration-tests', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'Dockerfile'), ['FROM mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim', ...dockerfile, ''].join('\n'));
    writeFileSync(
      path.join(dir, 'test-app.json'),
      JSON.stringify({ port: 8080, request: { method: 'GET', path: '/cgi-bin/health' }, expectStatus: 200, timeoutSeconds: 6, ...testApp }),
    );
    for (const [file, text] of Object.entries(extra)) writeFileSync(path.join(dir, file), text, { mode: 0o755 });
    const nxJson = readFileSync(path.join(ws.root, 'nx.json'), 'utf8');
    editJson(ws.root, 'nx.json', (value: NxJsonFile) => {
      value.plugins[0].options.profiles.local.testAppSubstitutes['integration-tests/net6'] = `integration-tests/${name}`;
    });
    try {
      return nx(ws, ['run', 'net6-runtime:publish'], { ...FORCE, ...BUILD_NUMBER });
    } finally {
      writeFileSync(path.join(ws.root, 'nx.json'), nxJson);
    }
  }

  async function expectNothingPublished(run: NxRun, message: RegExp, fault: string, cardsBefore: number, before: string[]): Promise<void> {
    const line = expectFailure(run, message);
    const appeared = versions().filter((v) => !before.includes(v));
    halfPublished += appeared.length;
    expect(appeared).toEqual([]);
    const sent = (await cards(ws)).slice(cardsBefore).map((c) => c.body.attachments[0].content.body[0].text);
    expect(sent).toEqual(['Platform image net6-runtime: integration-test failed, nothing published']);
    row('integration test', fault, true, line, { failureCard: true });
  }

  const HTTPD = 'CMD ["busybox", "httpd", "-f", "-p", "8080", "-h", "/app"]';

  test('an app that crashes', async () => {
    const [before, cardsBefore] = [versions(), (await cards(ws)).length];
    const run = withTestApp('net6-crash', ['CMD ["sh", "-c", "echo starting; echo boom >&2; exit 3"]'], {});
    await expectNothingPublished(run, /the test app exited with code 3 before answering/, 'app crashes (exit 3)', cardsBefore, before);
    expect(run.output).toMatch(/boom/);
  });

  test('an app that answers 500', async () => {
    const [before, cardsBefore] = [versions(), (await cards(ws)).length];
    // COPY keeps the file's mode from the context: a CGI script anyone may run.
    const run = withTestApp(
      'net6-500',
      ['COPY health /app/cgi-bin/health', HTTPD],
      {},
      {
        health: '#!/bin/sh\nprintf "Status: 500 Internal Server Error\\r\\nContent-Type: text/plain\\r\\n\\r\\nboom\\n"\n',
      },
    );
    await expectNothingPublished(run, /did not answer 200 within 6s \(last: HTTP 500\)/, 'app answers HTTP 500', cardsBefore, before);
  });

  test('an app that never becomes healthy', async () => {
    const [before, cardsBefore] = [versions(), (await cards(ws)).length];
    const run = withTestApp(
      'net6-unhealthy',
      ['RUN mkdir -p /tmp/www', 'CMD ["busybox", "httpd", "-f", "-p", "8080", "-h", "/tmp/www"]'],
      {},
    );
    await expectNothingPublished(run, /did not answer 200 within 6s \(last: HTTP 404\)/, 'app never healthy (404)', cardsBefore, before);
  });

  test('a build warning in the test app fails the test', async () => {
    const [before, cardsBefore] = [versions(), (await cards(ws)).length];
    const run = withTestApp(
      'net6-warning',
      ['RUN echo "Program.cs(3,13): warning CS0168: The variable \'e\' is declared but never used"', HTTPD],
      {},
    );
    await expectNothingPublished(run, /warning CS0168/, 'build warning in the test app', cardsBefore, before);
  });
});

describe('build', () => {
  test('a build error publishes nothing and names the Dockerfile step', () => {
    const dockerfile = path.join(ws.root, 'platform-images/net6/runtime/Dockerfile');
    const original = readFileSync(dockerfile, 'utf8');
    const before = versions();
    writeFileSync(dockerfile, `${original}\nRUN echo compiling && exit 7\n`);
    let run: NxRun;
    try {
      run = nx(ws, ['run', 'net6-runtime:publish'], BUILD_NUMBER);
    } finally {
      writeFileSync(dockerfile, original);
    }
    const line = expectFailure(run, /docker build .*failed|build failed/i);
    halfPublished += versions().filter((v) => !before.includes(v)).length;
    expect(versions()).toEqual(before);
    row('build', 'error (RUN exits 7)', true, line);
  });
});

describe('Teams', () => {
  test('429 once is retried and the card arrives', async () => {
    const cardsBefore = (await cards(ws)).length;
    let run!: NxRun;
    const hits = await withFaults(
      'teams',
      [{ match: { method: 'POST' }, times: 1, action: { status: 429, headers: { 'Retry-After': '1' } } }],
      () => {
        run = nx(ws, ['run', 'net6-runtime:publish'], { ...FORCE, ...BUILD_NUMBER });
      },
    );
    expectOk(run);
    expect(hits).toEqual([1]);
    expect((await cards(ws)).length).toBe(cardsBefore + 1);
    row('Teams', '429 with Retry-After: 1 (once)', true, 'retried once, card delivered', { retried: 1 });
  });

  test('500 every time: the image stays published, the run warns; failOnError makes it fail', async () => {
    const before = versions();
    let run!: NxRun;
    let strict!: NxRun;
    await withFaults('teams', [{ match: { method: 'POST' }, action: { status: 500 } }], () => {
      run = nx(ws, ['run', 'net6-runtime:publish'], { ...FORCE, ...BUILD_NUMBER });
      strict = nx(ws, ['run', 'net6-runtime:teams-notify', '--excludeTaskDependencies', '--failOnError']);
    });
    expectOk(run);
    const warning = run.output
      .split('\n')
      .find((l) =>
        /Teams card not sent: Teams webhook at localhost:5004 answered HTTP 500, after 3 attempts \(the image stays published; the card stays owed, and the next run sends it\)/.test(
          l,
        ),
      );
    expect(warning).toBeDefined();
    expect(versions()).toHaveLength(before.length + 1);
    expectFailure(strict, /Teams card not sent: .*HTTP 500, after 3 attempts/);
    // Once Teams answers, sending the card again needs no rebuild.
    const cardsBefore = (await cards(ws)).length;
    expectOk(nx(ws, ['run', 'net6-runtime:teams-notify', '--excludeTaskDependencies']));
    expect((await cards(ws)).length).toBe(cardsBefore + 1);
    row('Teams', '500 every time', true, warning!.trim(), { published: true, strictExit: strict.code });
  });

  test('a webhook that never answers: bounded by the timeout', async () => {
    let run!: NxRun;
    await withFaults('teams', [{ match: { method: 'POST' }, action: { hang: true } }], () => {
      run = nx(ws, ['run', 'net6-runtime:teams-notify', '--excludeTaskDependencies', '--timeoutSeconds=1']);
    });
    expectOk(run);
    const warning = run.output
      .split('\n')
      .find((l) => /Teams card not sent: Teams webhook at localhost:5004 could not be reached \(TimeoutError\) after 3 attempts/.test(l));
    expect(warning).toBeDefined();
    row('Teams', 'no answer (timeout 1 s)', true, warning!.trim());
  });
});

describe('Docker engine', () => {
  test('unreachable: the build says so and what to do; the rerun publishes', () => {
    const before = versions();
    const run = nx(ws, ['run', 'net6-runtime:publish'], {
      ...FORCE,
      ...BUILD_NUMBER,
      DOCKER_HOST: 'unix:///tmp/platform-images-no-docker.sock',
    });
    const line = expectFailure(run, /the Docker engine is unreachable/);
    expect(run.output).toMatch(/fix: start the Docker daemon \(or set DOCKER_HOST\), then rerun/);
    expect(versions()).toEqual(before);
    expectOk(nx(ws, ['run', 'net6-runtime:publish'], { ...FORCE, ...BUILD_NUMBER }));
    expect(versions()).toHaveLength(before.length + 1);
    expectContiguous(versions());
    row('Docker engine', 'unreachable (DOCKER_HOST to a missing socket)', true, line);
  });
});
