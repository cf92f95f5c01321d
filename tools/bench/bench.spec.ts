/**
 * The benchmark's pure parts: the image plan every workspace is cut from, how ECR listings are compared, what
 * the product's records say each image went through, the test app Dockerfile of the floor run, and how
 * targets are judged. The runs themselves are covered by packages/nx-plugin/e2e/bench.e2e.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../packages/nx-plugin/src/types/errors';
import type { CheckRecord } from '../../packages/nx-plugin/src/steps/records';
import { testDockerfile } from './floor';
import type { MemoryPeak } from './measure';
import { imagesWithNewVersions, productPhases, type PassFigures } from './phases';
import { evaluateTargets, type BenchResult } from './report';
import { changedTags, type TagListing } from './stack';
import { chainProgress, checkOutcomes, dockerfileFor, planImages, platformImageJson, recordsOf } from './workspace';

describe('planImages', () => {
  const images = planImages('abc123', 200);

  test('a smaller workspace holds exactly the first images of the larger one', () => {
    expect(planImages('abc123', 10)).toEqual(images.slice(0, 10));
  });

  test('four images per repository, only the first of each moves latest', () => {
    expect(images.slice(0, 9).map((i) => [i.ecrRepository, i.movesLatest])).toEqual([
      ['bench-abc123/r-00', true],
      ['bench-abc123/r-00', false],
      ['bench-abc123/r-00', false],
      ['bench-abc123/r-00', false],
      ['bench-abc123/r-01', true],
      ['bench-abc123/r-01', false],
      ['bench-abc123/r-01', false],
      ['bench-abc123/r-01', false],
      ['bench-abc123/r-02', true],
    ]);
    expect(new Set(images.map((i) => i.ecrRepository)).size).toBe(50);
    expect(platformImageJson(images[1])).toEqual({
      ecr: { repository: 'bench-abc123/r-00', tag: 'img-001', latest: false },
      integrationTest: { app: 'integration-tests/net10-runtime-stand-in', replaceFrom: 'mcr.microsoft.com/dotnet/runtime:10.0-noble' },
    });
  });

  test('bases round-robin over five tags; every Dockerfile differs and runs as the non-root app user', () => {
    expect(images.filter((i) => i.base.tag === 'c')).toHaveLength(40);
    expect(dockerfileFor(images[7])).toMatch(/^FROM mcr\.microsoft\.com\/dotnet\/bench-abc123:c\n/);
    expect(dockerfileFor(images[7])).toMatch(/\nUSER \$APP_UID\n/);
    expect(new Set(images.map(dockerfileFor)).size).toBe(200);
  });
});

describe('ECR listings', () => {
  const [img0, img1] = planImages('abc123', 2);
  const before: TagListing = new Map([
    [
      'bench-abc123/r-00',
      new Map([
        ['img-000-1.0.0', 'sha256:a'],
        ['img-001-1.0.0', 'sha256:b'],
        ['latest', 'sha256:a'],
      ]),
    ],
  ]);
  const after: TagListing = new Map([
    [
      'bench-abc123/r-00',
      new Map([
        ['img-000-1.0.0', 'sha256:a'],
        ['img-000-1.1.0', 'sha256:c'],
        ['img-001-1.0.0', 'sha256:b'],
        ['latest', 'sha256:c'],
      ]),
    ],
  ]);

  test('changedTags names added and moved tags', () => {
    expect(changedTags(before, after)).toEqual(['bench-abc123/r-00:img-000-1.1.0', 'bench-abc123/r-00:latest']);
    expect(changedTags(before, before)).toEqual([]);
  });

  test("imagesWithNewVersions goes by each image's own version tags, not the moving ones", () => {
    expect(imagesWithNewVersions([img0, img1], before, after)).toEqual(['bench-img-000']);
  });
});

describe("the product's records, read as the bench reads them", () => {
  const images = planImages('abc123', 4);
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'bench-spec-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const check = (stale: boolean): CheckRecord => ({
    project: 'p',
    stale,
    reason: stale ? 'base-moved' : 'current',
    message: '',
    base: { name: 'b', digest: 'sha256:b', pullRef: 'b@sha256:b' },
    contextDigest: 'sha256:c',
    ...(stale ? { runId: 'r1' } : {}),
  });

  test('checkOutcomes: current or stale as mcr-check.json says; an image whose check failed wrote none', () => {
    recordsOf(root, images[0]).write('mcr-check', check(false));
    recordsOf(root, images[1]).write('mcr-check', check(true));
    recordsOf(root, images[2]).fail('mcr-check', new UserError('the registry answered HTTP 500', 'rerun later'));
    expect(checkOutcomes(root, images)).toEqual({
      current: ['bench-img-000'],
      stale: ['bench-img-001'],
      unchecked: ['bench-img-002', 'bench-img-003'],
    });
  });

  test('chainProgress counts the images each step got through, by what its record says', () => {
    for (const img of images.slice(0, 3)) recordsOf(root, img).write('mcr-check', check(true));
    for (const img of images.slice(0, 2)) recordsOf(root, img).write('docker-build', { runId: 'r1', built: true });
    recordsOf(root, images[2]).write('docker-build', { runId: 'r1', built: false });
    recordsOf(root, images[0]).write('integration-test', { runId: 'r1', passed: true });
    recordsOf(root, images[1]).write('integration-test', { runId: 'r1', passed: false });
    recordsOf(root, images[0]).write('ecr-publish', { runId: 'r1', published: true });
    expect(chainProgress(root, images)).toEqual({ checked: 3, built: 2, tested: 1, published: 1 });
  });
});

describe('productPhases', () => {
  const lines = (rows: Array<[number, string]>) => rows.map(([seconds, line]) => ({ seconds, line }));
  const rounded = (output: ReturnType<typeof lines>, total: number) =>
    productPhases(output, total).map((p) => [p.phase, Math.round(p.seconds * 10) / 10]);

  test('one process per step: start-up, then each step until Nx prints its output, then the exit', () => {
    const output = lines([
      [1.4, ' NX   Running target publish for project bench-img-floor and 5 tasks it depends on:'],
      [1.5, '> nx run bench-img-floor:mcr-check'],
      [2.3, '> nx run bench-img-floor:mcr-check'],
      [2.3, 'bench-img-floor: STALE (base-moved): …'],
      [2.4, '> nx run bench-img-floor:docker-build'],
      [16.4, '> nx run bench-img-floor:docker-build'],
      [16.5, '> nx run bench-img-floor:integration-test'],
      [18.4, '> nx run bench-img-floor:integration-test'],
      [18.4, '> nx run bench-img-floor:ecr-publish'],
      [27.3, '> nx run bench-img-floor:ecr-publish'],
      [27.4, '> nx run bench-img-floor:teams-notify'],
      [27.8, '> nx run bench-img-floor:teams-notify'],
      [27.9, ' NX   Successfully ran target publish for project bench-img-floor and 5 tasks it depends on'],
    ]);
    expect(rounded(output, 28)).toEqual([
      ['nx start-up', 1.5],
      ['mcr-check', 0.8],
      ['docker-build', 14.1],
      ['integration-test', 2],
      ['ecr-publish', 8.9],
      ['teams-notify', 0.5],
      ['nx finish', 0.2],
    ]);
    expect(productPhases(output, 28).reduce((sum, p) => sum + p.seconds, 0)).toBeCloseTo(28);
  });

  test("the steps after the check in one batch: the batch's start counts to its first step", () => {
    const output = lines([
      [1.5, '> nx run bench-img-floor:mcr-check'],
      [2.3, '> nx run bench-img-floor:mcr-check'],
      [2.4, ' NX   Running 4 tasks with @platform-images/nx-plugin:step'],
      [15.9, '> nx run bench-img-floor:docker-build'],
      [17.6, '> nx run bench-img-floor:integration-test'],
      [25.9, '> nx run bench-img-floor:ecr-publish'],
      [26.2, '> nx run bench-img-floor:teams-notify'],
      [26.3, ' NX   Successfully ran target publish for project bench-img-floor and 5 tasks it depends on'],
    ]);
    expect(rounded(output, 26.5)).toEqual([
      ['nx start-up', 1.5],
      ['mcr-check', 0.8],
      ['docker-build', 13.6],
      ['integration-test', 1.7],
      ['ecr-publish', 8.3],
      ['teams-notify', 0.3],
      ['nx finish', 0.3],
    ]);
  });

  test('a run with no task markers is one phase', () => {
    expect(productPhases(lines([[0.5, 'something else']]), 3)).toEqual([{ phase: 'nx', seconds: 3 }]);
  });
});

test("the floor's test app Dockerfile starts its final stage FROM the new image and pulls the rest through the mirror", () => {
  const text = [
    'FROM mcr.microsoft.com/dotnet/sdk:8.0-bookworm-slim AS build',
    'COPY cgi-bin/ /out/wwwroot/cgi-bin/',
    'FROM mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim AS final',
    'COPY --from=build /out /app',
  ].join('\n');
  expect(testDockerfile(text, 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim', 'bench-floor/img-floor:manual').split('\n')).toEqual([
    'FROM localhost:5005/dotnet/sdk:8.0-bookworm-slim AS build',
    'COPY cgi-bin/ /out/wwwroot/cgi-bin/',
    'FROM bench-floor/img-floor:manual AS final',
    'COPY --from=build /out /app',
  ]);
});

describe('evaluateTargets', () => {
  const memory: MemoryPeak = { processMB: 180, process: 'node nx', treeMB: 900, processes: 8, samples: 100 };
  const pass = (kind: PassFigures['kind'], images: number, seconds: number, overrides: Partial<PassFigures> = {}): PassFigures => ({
    kind,
    images,
    seconds,
    exitCode: 0,
    requests: { upstream: 5, ecrRegistry: 0, ecrApi: images },
    byKind: { upstream: {}, ecrRegistry: {}, ecrApi: {} },
    registryRequestsPerImage: 5 / images,
    ecrApiCallsPerImage: 1,
    totalRequestsPerImage: (5 + images) / images,
    blobBytes: 0,
    memory,
    current: Array.from({ length: images }, (_, i) => `bench-img-${i}`),
    stale: [],
    unchecked: [],
    changedTags: [],
    ...overrides,
  });
  const result = (sizes: number[], coldSeconds: (n: number) => number): BenchResult => ({
    benchId: 'abc123',
    startedAt: '2026-11-24T00:00:00Z',
    finishedAt: '2026-11-24T00:30:00Z',
    machine: { cpus: 2, memoryGB: 25, node: '20.20.2', docker: '20.10', builder: 'classic' },
    sizes,
    setup: { images: 200, seconds: 600, memory, basesSeconds: 2 },
    bySize: sizes.map((n) => ({
      images: n,
      cold: pass('no-op cold', n, coldSeconds(n)),
      warm: pass('no-op warm', n, coldSeconds(n) / 2),
      seed: { images: n, seconds: coldSeconds(n) * 1.5 },
      ourCheck: { seconds: coldSeconds(n) / 8, stale: 0, current: n, failed: 0 },
      seedRatio: 12,
      seedOverPass: 1.5,
    })),
    baseChange: {
      images: 200,
      base: 'dotnet/bench-abc123:c',
      newDigest: 'sha256:x',
      expected: ['a', 'b'],
      rebuilt: ['b', 'a'],
      exact: true,
      seconds: 60,
      imagesPerHour: 120,
      pass: pass('one base changed', 200, 60),
    },
    floor: {
      image: 'bench-img-floor',
      product: { seconds: 11, exitCode: 0, memory, published: [] },
      manual: { seconds: 10, steps: [], pushedRef: 'x' },
      ratio: 1.1,
    },
  });

  test('all targets met: nothing fails', () => {
    const targets = evaluateTargets(result([10, 50, 200], (n) => 5 + n / 40));
    expect(targets.filter((t) => t.ok !== true)).toEqual([]);
  });

  test('a slow cold pass at N=200 fails its target; without N=200 it is not measured rather than failed', () => {
    expect(
      evaluateTargets(result([10, 50, 200], () => 20))
        .filter((t) => t.ok === false)
        .map((t) => t.target),
    ).toEqual(['no-op pass, cache wiped, N=200: ≤ 15 s']);
    const small = evaluateTargets(result([10], () => 20));
    expect(small.filter((t) => t.ok === false)).toEqual([]);
    expect(small.filter((t) => t.ok === undefined).map((t) => t.observed)).toEqual(['not measured (sizes 10)', 'not measured (sizes 10)']);
  });

  test('a pass that published something or downloaded blobs fails', () => {
    const r = result([10], () => 5);
    r.bySize[0].cold = pass('no-op cold', 10, 5, {
      blobBytes: 1200,
      changedTags: ['r:latest'],
      requests: { upstream: 10, ecrRegistry: 20, ecrApi: 10 },
      registryRequestsPerImage: 3,
    });
    const failed = evaluateTargets(r)
      .filter((t) => t.ok === false)
      .map((t) => t.target);
    expect(failed).toEqual([
      'no-op passes: every image checked CURRENT, no ECR tag added or moved',
      expect.stringMatching(/^≤ 2 registry requests per image/),
      '0 blob bytes from the registries in every no-op pass',
    ]);
  });
});
