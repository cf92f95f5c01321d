import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { PostTasksExecutionContext, TaskResult } from '@nx/devkit';
import type { CheckRecord, PublishRecord } from '../steps/records';
import { readLayout, type ChainTargetKey } from '../config/layout';
import {
  failureLines,
  formatDuration,
  imageRunsFrom,
  outcomeLine,
  postTasksExecution,
  renderSummary,
  summaryOrder,
  summaryRow,
  uploadSummaryCommand,
  writeRunSummary,
  type ImageRun,
  type StepRecords,
  type SummaryFile,
  type SummaryRow,
} from './run-summary';

const BASE = 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim';
const OLD_BASE = 'sha256:1111111111111111111111111111111111111111111111111111111111111111';
const NEW_BASE = 'sha256:2222222222222222222222222222222222222222222222222222222222222222';
const IMAGE_DIGEST = 'sha256:abcdefabcdef0123456789abcdef0123456789abcdef0123456789abcdef0123';
const PUBLISHED_DIGEST = 'sha256:9999999999990000000000000000000000000000000000000000000000000000';

const currentCheck: CheckRecord = {
  project: 'net6-sdk',
  stale: false,
  reason: 'current',
  message: '6.0-bullseye-slim-1.0.0 is built on sha256:111111111111, the current base',
  base: { name: BASE, digest: OLD_BASE, pullRef: `${BASE}@${OLD_BASE}` },
  contextDigest: 'sha256:c0',
  published: { versionTag: '6.0-bullseye-slim-1.0.0', digest: PUBLISHED_DIGEST, baseDigest: OLD_BASE, contextDigest: 'sha256:c0' },
};

const staleCheck: CheckRecord = {
  project: 'net6-runtime',
  stale: true,
  reason: 'base-moved',
  message: `${BASE} moved from sha256:111111111111 to sha256:222222222222`,
  runId: 'r1',
  base: { name: BASE, digest: NEW_BASE, pullRef: `${BASE}@${NEW_BASE}` },
  contextDigest: 'sha256:c1',
  nextVersion: { tag: '6.0-bullseye-slim-1.1.0', version: '1.1.0' },
};

const published: PublishRecord = {
  runId: 'r1',
  published: true,
  digest: IMAGE_DIGEST,
  versionTag: '6.0-bullseye-slim-1.1.0',
  version: '1.1.0',
  tags: ['6.0-bullseye-slim-1.1.0', 'latest', '6.0', '20240101.1'],
};

const CHAIN = ['mcr-check', 'docker-build', 'integration-test', 'ecr-publish', 'teams-notify', 'publish'];

function run(project: string, statuses: Partial<Record<ChainTargetKey, string>>, durationMs = 1000): ImageRun {
  return {
    project,
    projectRoot: `platform-images/net6/${project.split('-')[1]}`,
    tasks: Object.entries(statuses).map(([target, status]) => ({ target: target as ChainTargetKey, status: status, durationMs })),
  };
}

const buildFailed = {
  'mcr-check': 'success',
  'docker-build': 'failure',
  'integration-test': 'skipped',
  'ecr-publish': 'skipped',
  'teams-notify': 'skipped',
  publish: 'skipped',
};

const row = (image: string, decision: string, over: Partial<SummaryRow> = {}): SummaryRow => ({
  image,
  decision,
  reason: '',
  tags: [],
  durationMs: 0,
  warnings: [],
  ...over,
});

const allSucceeded = (cache = 'success') => Object.fromEntries(CHAIN.map((t, i) => [t, i === 0 ? 'success' : cache]));

describe('summaryRow', () => {
  it.each<[string, ImageRun, StepRecords, Partial<SummaryRow>]>([
    [
      'current: the published version and its digest',
      run('net6-sdk', allSucceeded('local-cache'), 500),
      { 'mcr-check': currentCheck, 'ecr-publish': { published: false } },
      {
        decision: 'current',
        reason: currentCheck.message,
        versionTag: '6.0-bullseye-slim-1.0.0',
        digest: PUBLISHED_DIGEST,
        tags: [],
        durationMs: 3000,
      },
    ],
    [
      'rebuilt: what was published',
      run('net6-runtime', allSucceeded(), 20_000),
      {
        'mcr-check': staleCheck,
        'docker-build': { runId: 'r1', built: true, versionTag: '6.0-bullseye-slim-1.1.0' },
        'integration-test': { runId: 'r1', passed: true },
        'ecr-publish': published,
      },
      {
        decision: 'rebuilt',
        reason: staleCheck.message,
        versionTag: '6.0-bullseye-slim-1.1.0',
        digest: IMAGE_DIGEST,
        tags: published.tags,
        durationMs: 120_000,
      },
    ],
    [
      'a pull request run stops after the integration test',
      run('net6-runtime', { 'mcr-check': 'success', 'docker-build': 'success', 'integration-test': 'success' }),
      {
        'mcr-check': staleCheck,
        'docker-build': { runId: 'r1', built: true, versionTag: '6.0-bullseye-slim-1.1.0' },
        'integration-test': { runId: 'r1', passed: true },
      },
      { decision: 'rebuilt, not published', versionTag: '6.0-bullseye-slim-1.1.0', tags: [] },
    ],
    [
      'failed at the failed step, with the error its failure record gives',
      run('net6-runtime', buildFailed),
      {
        'mcr-check': staleCheck,
        failure: { step: 'docker-build', runId: 'r1', error: 'the build printed 1 warning', fix: 'fix the Dockerfile' },
      },
      {
        decision: 'failed at docker-build',
        reason: 'the build printed 1 warning',
        versionTag: '6.0-bullseye-slim-1.1.0',
        failedStep: 'docker-build',
        fix: 'fix the Dockerfile',
      },
    ],
    [
      'failed at the check, with the configuration mistake it names',
      run('net6-runtime', { 'mcr-check': 'failure', publish: 'skipped' }),
      {
        failure: {
          step: 'mcr-check',
          error: 'platform-images/net6/runtime/platform-image.json: ecr.tag: is required',
          fix: 'add "tag"',
          file: 'platform-images/net6/runtime/platform-image.json',
          field: 'ecr.tag',
        },
      },
      {
        decision: 'failed at mcr-check',
        reason: 'platform-images/net6/runtime/platform-image.json: ecr.tag: is required',
        failedStep: 'mcr-check',
        fix: 'add "tag"',
      },
    ],
    [
      'failed at the check without a failure record (the step could not write one): no reason',
      run('net6-runtime', { 'mcr-check': 'failure', publish: 'skipped' }),
      {},
      { decision: 'failed at mcr-check', reason: '', versionTag: undefined, failedStep: 'mcr-check' },
    ],
    [
      "a multi-line error gives its first line: the test app's logs after it are for the log",
      run('net6-runtime', { 'mcr-check': 'success', 'docker-build': 'success', 'integration-test': 'failure' }),
      {
        'mcr-check': staleCheck,
        failure: {
          step: 'integration-test',
          runId: 'r1',
          error: 'net6-runtime: the test app did not answer 200 within 60s (last: HTTP 404)\n  | listening on :8080\n  | GET /health 404',
          fix: 'check integration-tests/net6/test-app.json',
        },
      },
      { decision: 'failed at integration-test', reason: 'net6-runtime: the test app did not answer 200 within 60s (last: HTTP 404)' },
    ],
    [
      "a failure record of another step is not this failure's: the check's reason stays",
      run('net6-runtime', buildFailed),
      { 'mcr-check': staleCheck, failure: { step: 'integration-test', error: 'an older failure' } },
      { decision: 'failed at docker-build', reason: staleCheck.message, failedStep: 'docker-build' },
    ],
    [
      'stopped',
      run('net6-runtime', { 'mcr-check': 'success', 'docker-build': 'stopped' }),
      { 'mcr-check': staleCheck },
      { decision: 'stopped at docker-build' },
    ],
    [
      'only the check ran',
      run('net6-runtime', { 'mcr-check': 'success' }),
      { 'mcr-check': staleCheck },
      { decision: 'stale, not built', versionTag: '6.0-bullseye-slim-1.1.0' },
    ],
    ['no check record', run('net6-runtime', { publish: 'success' }), {}, { decision: 'not checked', reason: '' }],
  ])('%s', (_name, imageRun, records, expected) => {
    expect(summaryRow(imageRun, records)).toMatchObject(expected);
  });

  it("gives no fix from another step's failure record, nor without one", () => {
    const other = summaryRow(run('net6-runtime', buildFailed), {
      'mcr-check': staleCheck,
      failure: { step: 'integration-test', error: 'x', fix: 'y' },
    });
    expect(other).not.toHaveProperty('fix');
    expect(summaryRow(run('net6-runtime', buildFailed), { 'mcr-check': staleCheck })).not.toHaveProperty('fix');
  });

  it.each<[string, StepRecords['ecr-publish'], string[]]>([
    ['with its SBOM', { ...published, sboms: [] }, []],
    [
      'without it: a warning saying why',
      { ...published, sbomMissing: 'linux/amd64: HTTP 405' },
      ['no SBOM attached: linux/amd64: HTTP 405'],
    ],
  ])('a published version %s', (_name, record, warnings) => {
    const row = summaryRow(run('net6-runtime', allSucceeded(), 20_000), { 'mcr-check': staleCheck, 'ecr-publish': record });
    expect(row.warnings).toEqual(warnings);
    expect(row.decision).toBe('rebuilt');
  });

  it('carries the check record warnings', () => {
    const check = { ...currentCheck, warnings: ['.NET 6 reached its end of support on 2024-11-12'] };
    expect(summaryRow(run('net6-sdk', { 'mcr-check': 'success' }), { 'mcr-check': check }).warnings).toEqual([
      '.NET 6 reached its end of support on 2024-11-12',
    ]);
  });
});

describe('renderSummary', () => {
  /** A run with a failure, a published and a current image, as the table shows them. */
  const RUN_ROWS: SummaryRow[] = [
    {
      image: 'net6-runtime',
      decision: 'rebuilt',
      reason: staleCheck.message,
      versionTag: '6.0-bullseye-slim-1.1.0',
      tags: ['6.0-bullseye-slim-1.1.0', 'latest', '6.0'],
      digest: IMAGE_DIGEST,
      durationMs: 125_000,
      warnings: [],
    },
    {
      image: 'net6-sdk',
      decision: 'current',
      reason: currentCheck.message,
      versionTag: '6.0-bullseye-slim-1.0.0',
      tags: [],
      digest: PUBLISHED_DIGEST,
      durationMs: 4_240,
      warnings: [],
    },
    {
      image: 'net8-aspnet',
      decision: 'failed at integration-test',
      reason: 'expected HTTP 200 | got 500\nafter 60s',
      tags: [],
      durationMs: 3_725_000,
      warnings: [],
      failedStep: 'integration-test',
      fix: 'make the app answer `GET /health` | see the log',
    },
  ];

  it('counts the outcomes, lists the failures first with their step and fix, then the table, failures first, each row marked', () => {
    expect(renderSummary(RUN_ROWS)).toBe(
      [
        '### Platform images',
        '',
        '❌ 1 failed · ✅ 1 rebuilt · ⏸️ 1 current',
        '',
        '**Failed**',
        '',
        '- ❌ **net8-aspnet** failed at `integration-test`: expected HTTP 200 \\| got 500 after 60s',
        '  - fix: make the app answer `GET /health` \\| see the log',
        '',
        '| Image | Decision | Reason | Version tag | Tags | Digest | Duration |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        '| net8-aspnet | ❌ failed at integration-test | expected HTTP 200 \\| got 500 after 60s | — | — | — | 1h 02m |',
        '| net6-runtime | ✅ rebuilt | mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim moved from sha256:111111111111 to sha256:222222222222 | `6.0-bullseye-slim-1.1.0` | `6.0-bullseye-slim-1.1.0`, `latest`, `6.0` | `sha256:abcdefabcdef` | 2m 05s |',
        '| net6-sdk | ⏸️ current | 6.0-bullseye-slim-1.0.0 is built on sha256:111111111111, the current base | `6.0-bullseye-slim-1.0.0` | — | `sha256:999999999999` | 4.2s |',
        '',
      ].join('\n'),
    );
  });

  it.each<[string, SummaryRow[], string]>([
    ['one of each', RUN_ROWS, '❌ 1 failed · ✅ 1 rebuilt · ⏸️ 1 current'],
    [
      'several, with every outcome, in summary order',
      [
        row('a', 'current'),
        row('b', 'no summary'),
        row('c', 'stale, not built'),
        row('d', 'current'),
        row('e', 'stopped at docker-build'),
        row('f', 'rebuilt'),
        row('g', 'rebuilt, not published'),
      ],
      '❌ 1 failed · ⚠️ 2 stale · ✅ 1 rebuilt · ⏸️ 2 current · ❔ 1 other',
    ],
    ['none', [], ''],
  ])('outcomeLine: %s', (_name, rows, text) => expect(outcomeLine(rows)).toBe(text));

  it('orders failures first, then stale, rebuilt, current and other, keeping the given order within each', () => {
    const rows = [
      row('a', 'current'),
      row('b', 'no summary'),
      row('c', 'failed at mcr-check'),
      row('d', 'rebuilt'),
      row('e', 'stopped at ecr-publish'),
      row('f', 'built, not tested'),
    ];
    expect(summaryOrder(rows).map((r) => r.image)).toEqual(['c', 'e', 'f', 'd', 'a', 'b']);
  });

  it.each<[string, SummaryRow, string[]]>([
    [
      'the step, why and its fix',
      row('net6-sdk', 'failed at docker-build', {
        reason: 'COPY failed: file not found',
        failedStep: 'docker-build',
        fix: 'add the file to the build context',
      }),
      ['- ❌ **net6-sdk** failed at `docker-build`: COPY failed: file not found', '  - fix: add the file to the build context'],
    ],
    [
      'no fix when the failure record had none',
      row('net6-sdk', 'failed at mcr-check', { reason: 'Error: boom', failedStep: 'mcr-check' }),
      ['- ❌ **net6-sdk** failed at `mcr-check`: Error: boom'],
    ],
    [
      'no reason when the step could not say',
      row('net6-sdk', 'failed at mcr-check', { failedStep: 'mcr-check' }),
      ['- ❌ **net6-sdk** failed at `mcr-check`'],
    ],
    ['a stopped step', row('net6-sdk', 'stopped at docker-build'), ['- ❌ **net6-sdk** stopped at `docker-build`']],
    [
      'a row from an older summary, without failedStep: the step from its decision',
      row('net6-sdk', 'failed at integration-test', { reason: 'no answer' }),
      ['- ❌ **net6-sdk** failed at `integration-test`: no answer'],
    ],
    [
      'values escaped as in the table: newlines, pipes, backticks in code',
      row('net|6', 'failed at docker-build', { reason: 'a | b\nc', failedStep: 'docker`build', fix: 'x\r\ny | z' }),
      ["- ❌ **net\\|6** failed at `docker'build`: a \\| b c", '  - fix: x y \\| z'],
    ],
  ])('failureLines: %s', (_name, r, lines) => expect(failureLines(r)).toEqual(lines));

  it('lists warnings under the table', () => {
    const rows: SummaryRow[] = [
      {
        image: 'net6-sdk',
        decision: 'current',
        reason: '',
        tags: [],
        durationMs: 0,
        warnings: ['.NET 6 reached its end of support on 2024-11-12'],
      },
    ];
    expect(renderSummary(rows)).toBe(
      [
        '### Platform images',
        '',
        '⏸️ 1 current',
        '',
        '| Image | Decision | Reason | Version tag | Tags | Digest | Duration |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        '| net6-sdk | ⏸️ current | — | — | — | — | 0.0s |',
        '',
        '**Warnings**',
        '',
        '- net6-sdk: .NET 6 reached its end of support on 2024-11-12',
        '',
      ].join('\n'),
    );
  });

  it('renders an empty table for no rows', () => {
    expect(renderSummary([])).toBe(
      '### Platform images\n\n| Image | Decision | Reason | Version tag | Tags | Digest | Duration |\n| --- | --- | --- | --- | --- | --- | --- |\n',
    );
  });

  it('writes a realistic run to dist/run-summary-example/ to be looked at', () => {
    const dir = path.resolve(__dirname, '../../../../dist/run-summary-example');
    const runId = 'e3b0c442';
    const example = [
      summaryRow(run('net6-runtime', allSucceeded(), 20_000), {
        'mcr-check': staleCheck,
        'docker-build': { runId: 'r1', built: true, versionTag: '6.0-bullseye-slim-1.1.0' },
        'integration-test': { runId: 'r1', passed: true },
        'ecr-publish': {
          ...published,
          scan: { images: [IMAGE_DIGEST], outcome: 'passed', failOn: 'HIGH', counts: { MEDIUM: 2, LOW: 5 }, findings: [] },
        },
      }),
      summaryRow(run('net6-sdk', allSucceeded('local-cache'), 700), {
        'mcr-check': { ...currentCheck, warnings: ['.NET 6 reached its end of support on 2024-11-12'] },
        'ecr-publish': { published: false },
      }),
      summaryRow(
        {
          ...run(
            'net8-aspnet',
            {
              'mcr-check': 'success',
              'docker-build': 'success',
              'integration-test': 'failure',
              'ecr-publish': 'skipped',
              'teams-notify': 'skipped',
              publish: 'skipped',
            },
            40_000,
          ),
          projectRoot: 'platform-images/net8/aspnet',
        },
        {
          'mcr-check': {
            ...staleCheck,
            project: 'net8-aspnet',
            message: 'Dockerfile or build context changed since 8.0-1.4.0',
            reason: 'context-changed',
            nextVersion: { tag: '8.0-1.5.0', version: '1.5.0' },
            runId,
          },
          failure: {
            step: 'integration-test',
            runId,
            error:
              'net8-aspnet: the test app did not answer 200 within 60s (last: HTTP 404)\n  | info: Microsoft.Hosting.Lifetime[14] Now listening on: http://[::]:8080',
            fix: 'check integration-tests/net8/test-app.json (port 8080, request GET /health, expectStatus 200) against the container logs above; if the app only needs longer to start, raise timeoutSeconds there (at most 3600)',
          },
        },
      ),
      summaryRow(run('net8-runtime', allSucceeded('local-cache'), 600), {
        'mcr-check': {
          ...currentCheck,
          project: 'net8-runtime',
          message: '8.0-1.2.0 is built on sha256:111111111111, the current base',
          published: { ...currentCheck.published!, versionTag: '8.0-1.2.0' },
        },
        'ecr-publish': { published: false },
      }),
    ];
    const markdown = renderSummary(example);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'platform-images-summary.md'), markdown);
    expect(markdown.split('\n').slice(0, 9)).toEqual([
      '### Platform images',
      '',
      '❌ 1 failed · ✅ 1 rebuilt · ⏸️ 2 current',
      '',
      '**Failed**',
      '',
      '- ❌ **net8-aspnet** failed at `integration-test`: net8-aspnet: the test app did not answer 200 within 60s (last: HTTP 404)',
      '  - fix: check integration-tests/net8/test-app.json (port 8080, request GET /health, expectStatus 200) against the container logs above; if the app only needs longer to start, raise timeoutSeconds there (at most 3600)',
      '',
    ]);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0.0s'],
    [420, '0.4s'],
    [59_940, '59.9s'],
    [60_000, '1m 00s'],
    [125_400, '2m 05s'],
    [3_600_000, '1h 00m'],
  ])('%d ms is %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

function taskResult(
  project: string,
  projectRoot: string,
  target: string,
  status: TaskResult['status'],
  startTime?: number,
  endTime?: number,
): TaskResult {
  return {
    task: {
      id: `${project}:${target}`,
      target: { project, target },
      projectRoot,
      overrides: {},
      outputs: [],
      parallelism: true,
      startTime,
      endTime,
    },
    status,
    code: status === 'failure' ? 1 : 0,
  };
}

describe('imageRunsFrom', () => {
  it('keeps only platform image tasks, grouped per project in chain order', () => {
    const results = Object.fromEntries(
      [
        taskResult('net6-sdk', 'platform-images/net6/sdk', 'publish', 'success', 10, 11),
        taskResult('net6-sdk', 'platform-images/net6/sdk', 'mcr-check', 'success', 0, 5),
        taskResult('test-app-net6', 'integration-tests/net6', 'build', 'success', 0, 5),
        taskResult('net6-sdk', 'platform-images/net6/sdk', 'lint', 'success', 0, 5),
        taskResult('net6-runtime', 'platform-images/net6/runtime', 'mcr-check', 'failure'),
      ].map((r) => [r.task.id, r]),
    );
    expect(imageRunsFrom(results)).toEqual([
      {
        project: 'net6-runtime',
        projectRoot: 'platform-images/net6/runtime',
        tasks: [{ target: 'mcr-check', status: 'failure', durationMs: undefined }],
      },
      {
        project: 'net6-sdk',
        projectRoot: 'platform-images/net6/sdk',
        tasks: [
          { target: 'mcr-check', status: 'success', durationMs: 5 },
          { target: 'publish', status: 'success', durationMs: 1 },
        ],
      },
    ]);
  });

  it('follows the layout of the plugin options: its images glob and its target names', () => {
    const layout = readLayout({ imagesGlob: 'images/*', targetNames: { 'mcr-check': 'upstream-check', publish: 'refresh' } });
    const results = Object.fromEntries(
      [
        taskResult('net8-runtime', 'images/net8-runtime', 'refresh', 'success', 10, 11),
        taskResult('net8-runtime', 'images/net8-runtime', 'upstream-check', 'success', 0, 5),
        taskResult('net8-runtime', 'images/net8-runtime', 'mcr-check', 'success', 0, 5),
        taskResult('net6-sdk', 'platform-images/net6/sdk', 'refresh', 'success', 0, 5),
      ].map((r) => [r.task.id, r]),
    );
    expect(imageRunsFrom(results, layout)).toEqual([
      {
        project: 'net8-runtime',
        projectRoot: 'images/net8-runtime',
        tasks: [
          { target: 'mcr-check', status: 'success', durationMs: 5 },
          { target: 'publish', status: 'success', durationMs: 1 },
        ],
      },
    ]);
  });

  it('is empty when no platform image task ran', () => {
    expect(imageRunsFrom({})).toEqual([]);
    expect(imageRunsFrom(undefined as unknown as PostTasksExecutionContext['taskResults'])).toEqual([]);
  });
});

describe('writeRunSummary', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'run-summary-spec-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function record(projectRoot: string, step: string, value: unknown) {
    mkdirSync(path.join(root, 'dist', projectRoot), { recursive: true });
    writeFileSync(path.join(root, 'dist', projectRoot, `${step}.json`), JSON.stringify(value));
  }

  function context(results: TaskResult[]): Pick<PostTasksExecutionContext, 'taskResults' | 'workspaceRoot'> {
    return { workspaceRoot: root, taskResults: Object.fromEntries(results.map((r) => [r.task.id, r])) };
  }

  const sdkRun = () =>
    context(
      CHAIN.map((t) => taskResult('net6-sdk', 'platform-images/net6/sdk', t, t === 'mcr-check' ? 'success' : 'local-cache', 0, 1000)),
    );

  it('writes the markdown and JSON summary from the step records', () => {
    record('platform-images/net6/sdk', 'mcr-check', currentCheck);
    record('platform-images/net6/sdk', 'ecr-publish', { published: false });
    const lines: string[] = [];
    const file = writeRunSummary(sdkRun(), { env: {}, write: (l) => lines.push(l) });
    expect(file).toBe(path.join(root, 'dist', 'platform-images-summary.md'));
    expect(readFileSync(file!, 'utf8')).toContain(
      '| net6-sdk | ⏸️ current | 6.0-bullseye-slim-1.0.0 is built on sha256:111111111111, the current base | `6.0-bullseye-slim-1.0.0` | — | `sha256:999999999999` | 6.0s |',
    );
    const json = JSON.parse(readFileSync(path.join(root, 'dist', 'platform-images-summary.json'), 'utf8')) as SummaryFile;
    expect(json.rows).toEqual([expect.objectContaining({ image: 'net6-sdk', decision: 'current', durationMs: 6000 })]);
    expect(lines).toEqual([]);
  });

  it('writes the status page from the same records, and its rows into the JSON', () => {
    record('platform-images/net6/sdk', 'mcr-check', currentCheck);
    writeRunSummary(sdkRun(), { env: {}, write: () => undefined, now: () => new Date('2026-11-29T12:00:00Z') });
    const html = readFileSync(path.join(root, 'dist', 'platform-images-status.html'), 'utf8');
    expect(html).toContain('<tr data-image="net6-sdk" data-outcome="current">');
    expect(html).toContain('6.0-bullseye-slim-1.0.0 is built on sha256:111111111111, the current base');
    expect(html).toContain('Generated 2026-11-29T12:00:00.000Z');
    expect(html).toContain('2024-11-12 (ended)');
    const json = JSON.parse(readFileSync(path.join(root, 'dist', 'platform-images-summary.json'), 'utf8')) as SummaryFile;
    expect(json.status).toEqual([
      expect.objectContaining({ image: 'net6-sdk', decision: 'current', baseDigest: currentCheck.base.digest, dotnet: 'net6' }),
    ]);
  });

  it('attaches the summary to the Azure Pipelines run', () => {
    record('platform-images/net6/sdk', 'mcr-check', currentCheck);
    const lines: string[] = [];
    writeRunSummary(sdkRun(), { env: { TF_BUILD: 'True' }, write: (l) => lines.push(l) });
    expect(lines).toEqual([`##vso[task.uploadsummary]${path.join(root, 'dist', 'platform-images-summary.md')}`]);
    expect(uploadSummaryCommand('/agent/_work/1/s/dist/platform-images-summary.md')).toBe(
      '##vso[task.uploadsummary]/agent/_work/1/s/dist/platform-images-summary.md',
    );
  });

  it('leaves the upload to a merging job when told to', () => {
    const lines: string[] = [];
    writeRunSummary(sdkRun(), { env: { TF_BUILD: 'True', PLATFORM_IMAGES_SUMMARY_UPLOAD: 'false' }, write: (l) => lines.push(l) });
    expect(lines).toEqual([]);
    expect(existsSync(path.join(root, 'dist', 'platform-images-summary.md'))).toBe(true);
  });

  it('ignores a record of a step that did not run in this run', () => {
    record('platform-images/net6/runtime', 'mcr-check', staleCheck);
    record('platform-images/net6/runtime', 'ecr-publish', published);
    writeRunSummary(context([taskResult('net6-runtime', 'platform-images/net6/runtime', 'mcr-check', 'success', 0, 1)]), {
      env: {},
      write: () => undefined,
    });
    expect(readFileSync(path.join(root, 'dist', 'platform-images-summary.md'), 'utf8')).toContain('| net6-runtime | ⚠️ stale, not built |');
  });

  it('does nothing when no platform image task ran', () => {
    const lines: string[] = [];
    expect(
      writeRunSummary(context([taskResult('test-app-net6', 'integration-tests/net6', 'build', 'success')]), {
        env: { TF_BUILD: 'True' },
        write: (l) => lines.push(l),
      }),
    ).toBeUndefined();
    expect(existsSync(path.join(root, 'dist'))).toBe(false);
    expect(lines).toEqual([]);
  });
});

describe('postTasksExecution', () => {
  it('never throws, and warns instead', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'run-summary-spec-'));
    // dist is a file: the summary cannot be written.
    writeFileSync(path.join(root, 'dist'), '');
    const out: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      const context = {
        id: '1',
        workspaceRoot: root,
        nxJsonConfiguration: {},
        argv: [],
        startTime: 0,
        endTime: 1,
        taskResults: { 'net6-sdk:mcr-check': taskResult('net6-sdk', 'platform-images/net6/sdk', 'mcr-check', 'success', 0, 1) },
      } as PostTasksExecutionContext;
      await expect(postTasksExecution(undefined, context)).resolves.toBeUndefined();
      await expect(postTasksExecution(undefined, undefined as unknown as PostTasksExecutionContext)).resolves.toBeUndefined();
    } finally {
      spy.mockRestore();
      rmSync(root, { recursive: true, force: true });
    }
    expect(out.join('')).toMatch(/platform images run summary not written/);
  });
});
