/**
 * The pipeline end to end: real `nx` runs in a throwaway workspace against the local stack (MCR and ECR
 * stand-ins on real registries, a real Docker engine, the Teams sink). Scenarios run in order and build
 * on each other, as successive scheduled runs would.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  annotationsOf,
  awsEcr,
  bumpBase,
  cardFact,
  cards,
  createWorkspace,
  digestOf,
  ecrTags,
  editJson,
  expectOk,
  git,
  labelsOf,
  nx,
  recordsOf,
  summaryRows,
  upstreamCreated,
  upstreamDigest,
  type Workspace,
} from './support';
import type { NxJsonFile } from './json-files';

jest.setTimeout(20 * 60_000);

const BUILD_NUMBER = '20261123.7';
let ws: Workspace;
let runtimeRepo: string;
let sdkRepo: string;

function versionTags(repo: string): string[] {
  return ecrTags(repo).filter((t) => /^6\.0-bullseye-slim-\d+\.\d+\.\d+$/.test(t));
}

/** What the last run's check decided for an image (`net6/runtime`…), from its record. */
function decision(image: string): { stale: boolean; reason: string } {
  const { stale, reason } = recordsOf(ws, image).read('mcr-check');
  return { stale, reason };
}

const CURRENT = { stale: false, reason: 'current' };
const BASE_CREATED = 'io.platform-images.base.created';

/** The status page the last run wrote: the "Base moved" cell of an image. */
function baseMovedCell(image: string): string {
  const html = readFileSync(path.join(ws.root, 'dist/platform-images-status.html'), 'utf8');
  const row = new RegExp(`<tr data-image="${image}"[^]*?</tr>`).exec(html)?.[0] ?? '';
  return /<td data-key="baseMoved"[^>]*>([^]*?)<\/td>/.exec(row)?.[1] ?? '';
}

/** The first publish's record of when the runtime base was built, for the scenarios after it. */
let firstBaseCreated: string;

beforeAll(() => {
  ws = createWorkspace();
  runtimeRepo = `${ws.prefix}/runtime`;
  sdkRepo = `${ws.prefix}/sdk`;
});

afterAll(() => ws?.dispose());

test('first publish: <tag>-1.0.0, latest and the extra tags, with the labels, and one card per image', async () => {
  const run = nx(ws, ['run-many', '-t', 'publish'], { BUILD_BUILDNUMBER: BUILD_NUMBER });
  expectOk(run);
  expect(decision('net6/runtime')).toEqual({ stale: true, reason: 'nothing-published' });
  for (const repo of [runtimeRepo, sdkRepo]) {
    expect(ecrTags(repo)).toEqual([BUILD_NUMBER, '6.0', '6.0-bullseye-slim-1.0.0', 'latest'].sort());
    const digest = digestOf(repo, '6.0-bullseye-slim-1.0.0');
    expect(digestOf(repo, 'latest')).toBe(digest);
  }
  const labels = labelsOf(runtimeRepo, '6.0-bullseye-slim-1.0.0');
  expect(labels['org.opencontainers.image.base.name']).toBe('mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim');
  expect(labels['org.opencontainers.image.base.digest']).toBe(upstreamDigest('dotnet/runtime:6.0-bullseye-slim'));
  expect(labels['io.platform-images.context.digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(labels['org.opencontainers.image.version']).toBe('6.0-bullseye-slim-1.0.0');
  expect(labels['org.opencontainers.image.created']).toMatch(/^\d{4}-\d\d-\d\dT/);
  expect(labels['org.opencontainers.image.revision']).toMatch(/^[0-9a-f]{40}$/);
  // When the base was built (its config's created), on the image and on the published manifest alike.
  firstBaseCreated = upstreamCreated('dotnet/runtime:6.0-bullseye-slim');
  expect(labels[BASE_CREATED]).toBe(`linux/amd64=${firstBaseCreated}`);
  expect(annotationsOf(runtimeRepo, '6.0-bullseye-slim-1.0.0')[BASE_CREATED]).toBe(`linux/amd64=${firstBaseCreated}`);
  expect(baseMovedCell('net6-runtime')).toContain(firstBaseCreated);

  const received = await cards(ws);
  expect(received).toHaveLength(2);
  const runtimeCard = received.find((c) => cardFact(c, 'Image')?.includes('/runtime:'))!;
  expect(runtimeCard.body.type).toBe('message');
  expect(runtimeCard.body.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
  expect(runtimeCard.body.attachments[0].content.version).toBe('1.4');
  expect(cardFact(runtimeCard, 'Version tag')).toBe('6.0-bullseye-slim-1.0.0');
  expect(cardFact(runtimeCard, 'Digest')).toBe(digestOf(runtimeRepo, 'latest'));
  expect(cardFact(runtimeCard, 'Base digest')).toBe(upstreamDigest('dotnet/runtime:6.0-bullseye-slim'));
  // .NET 6 is past its end of support: said in the log and on the card.
  expect(run.output).toMatch(/warning: net6-runtime: \.NET 6 reached its end of support on 2024-11-12/);
  expect(runtimeCard.body.attachments[0].content.body.map((b) => b.text ?? '').join('\n')).toMatch(
    /Warning: \.NET 6 reached its end of support/,
  );
});

test('a rerun with nothing changed builds nothing, pushes nothing, sends nothing — also with the Nx cache wiped', async () => {
  const before = { runtime: ecrTags(runtimeRepo), sdk: ecrTags(sdkRepo) };
  // As on a fresh agent: the engine no longer has the images docker-build made, so the warm run's
  // docker-build cache hits must not matter to the steps after it.
  const candidates = execFileSync('docker', ['images', 'platform-images/*', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  if (candidates.length) execFileSync('docker', ['image', 'rm', ...candidates]);
  // The first no-change run fills the Nx cache, the second replays the later steps from it, the third
  // runs with the cache wiped: the registry alone decides.
  for (const round of ['fills cache', 'cache hits', 'cache wiped'] as const) {
    if (round === 'cache wiped') rmSync(path.join(ws.root, '.nx'), { recursive: true, force: true });
    const run = nx(ws, ['run-many', '-t', 'publish']);
    expectOk(run);
    if (round === 'cache hits') expect(run.output).toMatch(/nx run net6-runtime:docker-build\s+\[local cache\]/);
    else expect(run.output).not.toMatch(/\[local cache\]/);
    for (const image of ['net6/runtime', 'net6/sdk']) {
      expect(decision(image)).toEqual(CURRENT);
      expect(recordsOf(ws, image).read('docker-build').built).toBe(false);
      expect(recordsOf(ws, image).read('ecr-publish').published).toBe(false);
    }
    // When the base was built, read back from the newest version's annotations, no registry request for it.
    expect(recordsOf(ws, 'net6/runtime').read('mcr-check').published?.baseCreated).toEqual({ 'linux/amd64': firstBaseCreated });
    expect(baseMovedCell('net6-runtime')).toContain(firstBaseCreated);
  }
  expect({ runtime: ecrTags(runtimeRepo), sdk: ecrTags(sdkRepo) }).toEqual(before);
  expect(await cards(ws)).toHaveLength(2);
});

test('a new base digest upstream rebuilds only the images on that base: runtime -> 1.1.0, sdk untouched', async () => {
  const sdkBefore = ecrTags(sdkRepo);
  const newDigest = bumpBase('dotnet/runtime:6.0-bullseye-slim');
  const run = nx(ws, ['run-many', '-t', 'publish']);
  expectOk(run);
  expect(decision('net6/runtime')).toEqual({ stale: true, reason: 'base-moved' });
  expect(decision('net6/sdk')).toEqual(CURRENT);
  expect(versionTags(runtimeRepo)).toEqual(['6.0-bullseye-slim-1.0.0', '6.0-bullseye-slim-1.1.0']);
  expect(ecrTags(sdkRepo)).toEqual(sdkBefore);
  expect(labelsOf(runtimeRepo, '6.0-bullseye-slim-1.1.0')['org.opencontainers.image.base.digest']).toBe(newDigest);
  // The rebuilt base has a config of its own, created at the bump: the new version records that time.
  const rebuiltAt = upstreamCreated('dotnet/runtime:6.0-bullseye-slim');
  expect(rebuiltAt > firstBaseCreated).toBe(true);
  expect(Date.now() - Date.parse(rebuiltAt)).toBeLessThan(20 * 60_000);
  expect(annotationsOf(runtimeRepo, '6.0-bullseye-slim-1.1.0')[BASE_CREATED]).toBe(`linux/amd64=${rebuiltAt}`);
  expect(recordsOf(ws, 'net6/runtime').read('mcr-check').base.created).toEqual({ 'linux/amd64': rebuiltAt });
  expect(baseMovedCell('net6-runtime')).toContain(rebuiltAt);
  expect(digestOf(runtimeRepo, 'latest')).toBe(digestOf(runtimeRepo, '6.0-bullseye-slim-1.1.0'));
  // A published version never moves.
  expect(digestOf(runtimeRepo, '6.0-bullseye-slim-1.0.0')).not.toBe(digestOf(runtimeRepo, '6.0-bullseye-slim-1.1.0'));
  const newCards = (await cards(ws)).slice(2);
  expect(newCards).toHaveLength(1);
  expect(cardFact(newCards[0], 'Version tag')).toBe('6.0-bullseye-slim-1.1.0');
});

test('a Dockerfile edit rebuilds only that image, and nx affected selects only it', () => {
  const runtimeBefore = ecrTags(runtimeRepo);
  appendFileSync(path.join(ws.root, 'platform-images/net6/sdk/Dockerfile'), '\nLABEL com.example.team="platform"\n');
  git(ws.root, ['commit', '-qam', 'sdk: add a team label']);
  const affected = nx(ws, ['show', 'projects', '--affected', '--base=HEAD~1', '--head=HEAD', '--json']);
  expectOk({ code: affected.code, output: affected.output });
  expect(JSON.parse(affected.output.slice(affected.output.indexOf('['), affected.output.lastIndexOf(']') + 1))).toEqual(['net6-sdk']);

  const run = nx(ws, ['affected', '-t', 'publish', '--base=HEAD~1', '--head=HEAD']);
  expectOk(run);
  expect(decision('net6/sdk')).toEqual({ stale: true, reason: 'context-changed' });
  // The run touched the sdk image alone.
  expect(summaryRows(ws).map((r) => [r.image, r.decision])).toEqual([['net6-sdk', 'rebuilt']]);
  expect(versionTags(sdkRepo)).toEqual(['6.0-bullseye-slim-1.0.0', '6.0-bullseye-slim-1.1.0']);
  expect(ecrTags(runtimeRepo)).toEqual(runtimeBefore);
  expect(labelsOf(sdkRepo, '6.0-bullseye-slim-1.1.0')['com.example.team']).toBe('platform');
});

/** A line Docker itself prints while building or pushing (classic builder, BuildKit, push). */
const DOCKER_LINE = /^(Step \d+\/\d+ : |Successfully (built|tagged) |The push refers to repository |Sending build context |#\d+ )/;

/** The titles of the blocks Docker's output was written in, in order. */
function blockTitles(output: string, title: RegExp): string[] {
  return output.split('\n').filter((line) => title.test(line));
}

test('a forced run republishes every selected image', async () => {
  const before = (await cards(ws)).length;
  const run = nx(ws, ['run-many', '-t', 'publish'], { PLATFORM_IMAGES_FORCE_UPDATE: 'true' });
  expectOk(run);
  // Two images side by side in one batch: Docker's output comes in one block per command, each named with
  // its image, never a line of it loose.
  const lines = run.output.split('\n');
  expect(lines.filter((line) => DOCKER_LINE.test(line))).toEqual([]);
  expect(lines.filter((line) => DOCKER_LINE.test(line.replace(/^ {2}\| /, ''))).length).toBeGreaterThan(10);
  for (const image of ['net6-runtime', 'net6-sdk']) {
    const repo = image === 'net6-runtime' ? runtimeRepo : sdkRepo;
    expect(blockTitles(run.output, new RegExp(`^${image}: docker `)).map((t) => t.replace(/staging-\w+/, 'staging-…'))).toEqual([
      expect.stringMatching(new RegExp(`^${image}: docker build: \\d+ lines of output$`)),
      expect.stringMatching(new RegExp(`^${image}: docker build of the test app: \\d+ lines of output$`)),
      expect.stringMatching(new RegExp(`^${image}: docker push \\S+/${repo}:staging-…: \\d+ lines of output$`)),
    ]);
  }
  expect(decision('net6/runtime')).toEqual({ stale: true, reason: 'forced' });
  expect(decision('net6/sdk')).toEqual({ stale: true, reason: 'forced' });
  expect(versionTags(runtimeRepo)).toContain('6.0-bullseye-slim-1.2.0');
  expect(versionTags(sdkRepo)).toContain('6.0-bullseye-slim-1.2.0');
  expect((await cards(ws)).length).toBe(before + 2);
});

test('a test app that never answers 200 publishes nothing; the channel gets a failure card', async () => {
  // A test app whose endpoint answers 404: built FROM the image like the real one, but never healthy.
  const appDir = path.join(ws.root, 'integration-tests/net6-unhealthy');
  mkdirSync(appDir, { recursive: true });
  writeFileSync(
    path.join(appDir, 'Dockerfile'),
    [
      'FROM mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim',
      'WORKDIR /app',
      'CMD ["busybox", "httpd", "-f", "-p", "8080", "-h", "/app"]',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(appDir, 'test-app.json'),
    JSON.stringify({ port: 8080, request: { method: 'GET', path: '/health' }, expectStatus: 200, timeoutSeconds: 8 }),
  );
  const nxJsonFile = path.join(ws.root, 'nx.json');
  const nxJson = readFileSync(nxJsonFile, 'utf8');
  editJson(ws.root, 'nx.json', (value: NxJsonFile) => {
    value.plugins[0].options.profiles.local.testAppSubstitutes['integration-tests/net6'] = 'integration-tests/net6-unhealthy';
  });
  const before = { runtime: versionTags(runtimeRepo), cards: (await cards(ws)).length };
  const run = nx(ws, ['run', 'net6-runtime:publish'], { PLATFORM_IMAGES_FORCE_UPDATE: 'true' });
  writeFileSync(nxJsonFile, nxJson);
  expect(run.code).not.toBe(0);
  // Why, as the failed step recorded it for the run summary: the step, the check's run, the error.
  const failed = recordsOf(ws, 'net6/runtime').failure();
  expect(failed).toMatchObject({ step: 'integration-test', runId: recordsOf(ws, 'net6/runtime').read('mcr-check').runId });
  expect(failed?.error).toMatch(/did not answer 200 within 8s \(last: HTTP 404\)/);
  expect(summaryRows(ws)).toEqual([
    expect.objectContaining({ image: 'net6-runtime', decision: 'failed at integration-test', reason: failed?.error.split('\n')[0] }),
  ]);
  expect(run.output).toMatch(/container logs:/);
  expect(versionTags(runtimeRepo)).toEqual(before.runtime);
  // No published-image card: one failure card, naming the step and the error.
  const newCards = (await cards(ws)).slice(before.cards);
  expect(newCards).toHaveLength(1);
  const failure = newCards[0].body.attachments[0].content.body;
  expect(failure[0].text).toBe('Platform image net6-runtime: integration-test failed, nothing published');
  expect(failure[2].text).toMatch(/did not answer 200 within 8s \(last: HTTP 404\)/);
  expect(recordsOf(ws, 'net6/runtime').find('ecr-publish')).toBeUndefined();
  // The failed test left no container and no test image behind.
  expect(
    execFileSync('docker', ['ps', '-a', '--filter', 'name=platform-images-test-', '--format', '{{.Names}}'], { encoding: 'utf8' }).trim(),
  ).toBe('');
  expect(
    execFileSync('docker', ['images', 'platform-images-test/*', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' }).trim(),
  ).toBe('');
});

test('an IMMUTABLE repository gets the new version, and the moving tags that exist stay where they were', () => {
  expect(awsEcr(['put-image-tag-mutability', '--repository-name', sdkRepo, '--image-tag-mutability', 'IMMUTABLE']).status).toBe(0);
  const before = { latest: digestOf(sdkRepo, 'latest'), versions: versionTags(sdkRepo) };
  const run = nx(ws, ['run', 'net6-sdk:publish'], { PLATFORM_IMAGES_FORCE_UPDATE: 'true' });
  expectOk(run);
  expect(recordsOf(ws, 'net6/sdk').read('ecr-publish')).toMatchObject({
    versionTag: '6.0-bullseye-slim-1.3.0',
    blockedTags: ['latest', '6.0'],
  });
  expect(versionTags(sdkRepo)).toEqual([...before.versions, '6.0-bullseye-slim-1.3.0']);
  expect(digestOf(sdkRepo, 'latest')).toBe(before.latest);
  expect(digestOf(sdkRepo, '6.0-bullseye-slim-1.3.0')).not.toBe(before.latest);
});

test('under Azure Pipelines the executors speak its logging commands, exactly', () => {
  const run = nx(ws, ['run', 'net6-sdk:mcr-check', '--outputStyle=stream-without-prefixes', '--skip-nx-cache'], { TF_BUILD: 'True' });
  expectOk(run);
  const digest = upstreamDigest('dotnet/sdk:6.0-bullseye-slim').slice(0, 'sha256:'.length + 12);
  const version = versionTags(sdkRepo).pop();
  expect(run.output.split('\n').filter((line) => /^(##|net6-sdk: )/.test(line))).toEqual([
    '##[group]mcr-check net6-sdk',
    '##vso[task.logissue type=warning]net6-sdk: .NET 6 reached its end of support on 2024-11-12: Microsoft no longer patches it; move the image to a supported .NET version',
    `net6-sdk: CURRENT: ${version} is built on ${digest}, the current base; nothing to do`,
    '##[endgroup]',
    `##vso[task.uploadsummary]${path.join(ws.root, 'dist/platform-images-summary.md')}`,
  ]);
});

test("under Azure Pipelines a batch's Docker output is a collapsed group per command, and a failed build's is shown in full", () => {
  const dockerfile = path.join(ws.root, 'platform-images/net6/sdk/Dockerfile');
  const original = readFileSync(dockerfile, 'utf8');
  appendFileSync(dockerfile, '\nRUN echo "broken on purpose" && exit 3\n');
  const run = nx(ws, ['run-many', '-t', 'publish'], { PLATFORM_IMAGES_FORCE_UPDATE: 'true', TF_BUILD: 'True' });
  writeFileSync(dockerfile, original);
  expect(run.code).not.toBe(0);
  const lines = run.output.split('\n');
  expect(lines.filter((line) => DOCKER_LINE.test(line))).toEqual([]);
  // net6-runtime went through: each of its commands one group, closed right after its output.
  const groups = lines.flatMap((line, i) => (/^##\[group\]net6-runtime: docker /.test(line) ? [i] : []));
  expect(groups.map((i) => lines[i].replace(/staging-\w+/, 'staging-…'))).toEqual([
    expect.stringMatching(/^##\[group\]net6-runtime: docker build: \d+ lines of output$/),
    expect.stringMatching(/^##\[group\]net6-runtime: docker build of the test app: \d+ lines of output$/),
    expect.stringMatching(new RegExp(`^##\\[group\\]net6-runtime: docker push \\S+/${runtimeRepo}:staging-…: \\d+ lines of output$`)),
  ]);
  for (const start of groups) {
    const body = lines.slice(start + 1).findIndex((line) => !line.startsWith('  | '));
    expect(lines[start + 1 + body]).toBe('##[endgroup]');
    expect(body).toBe(Number(/(\d+) lines of output$/.exec(lines[start])![1]));
  }
  // net6-sdk's build failed (exit 3 from the classic builder, which passes the RUN's code on; 1 from BuildKit): its
  // output is no group, its title an error, the RUN's own words in it.
  const failed = lines.findIndex((line) => line.startsWith('##[error]net6-sdk: docker build failed'));
  expect(lines[failed]).toMatch(/^##\[error\]net6-sdk: docker build failed \(exit [13]\): \d+ lines of output$/);
  const body = lines.slice(failed + 1, failed + 1 + Number(/(\d+) lines of output$/.exec(lines[failed])![1]));
  expect(body.every((line) => line.startsWith('  | '))).toBe(true);
  expect(body.join('\n')).toMatch(/\| broken on purpose/);
  expect(lines[failed + 1 + body.length]).not.toMatch(/^(##\[endgroup\]| {2}\| )/);
  expect(lines.filter((line) => /^##\[group\]net6-sdk: docker/.test(line))).toEqual([]);
  // The error the summary shows comes after the output it points to.
  const error = lines.findIndex((line) => line.startsWith('##vso[task.logissue type=error]net6-sdk: docker-build failed'));
  expect(error).toBeGreaterThan(failed);
  expect(lines[error]).toMatch(/see the build output above/);
});
