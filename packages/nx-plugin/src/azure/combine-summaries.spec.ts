import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { SummaryRow } from '../plugin/run-summary';
import { attemptOf, combine, combineRows, expectedProjects, findSummaries, parseArgs } from './combine-summaries';

const row = (image: string, decision: string, over: Partial<SummaryRow> = {}): SummaryRow => ({
  image,
  decision,
  reason: '',
  tags: [],
  durationMs: 1000,
  warnings: [],
  ...over,
});

describe('combineRows', () => {
  it('keeps one row per image, from the latest job attempt, sorted', () => {
    expect(
      combineRows(
        [
          { attempt: 1, rows: [row('net6-sdk', 'failed at docker-build')] },
          { attempt: 1, rows: [row('net6-runtime', 'current')] },
          { attempt: 2, rows: [row('net6-sdk', 'rebuilt')] },
        ],
        [],
      ),
    ).toEqual([row('net6-runtime', 'current'), row('net6-sdk', 'rebuilt')]);
  });

  it('reports an expected image that left no summary', () => {
    expect(combineRows([{ attempt: 1, rows: [row('net6-runtime', 'current')] }], ['net6-runtime', 'net6-sdk'])).toEqual([
      row('net6-runtime', 'current'),
      row('net6-sdk', 'no summary', { reason: 'the image job ended before nx ran the chain; see its log', durationMs: 0 }),
    ]);
  });
});

describe('expectedProjects', () => {
  it('reads the planned matrix', () => {
    expect(expectedProjects('{"net6_runtime":{"project":"net6-runtime"},"net6_sdk":{"project":"net6-sdk"}}')).toEqual([
      'net6-runtime',
      'net6-sdk',
    ]);
  });

  it('reads the images of each shard', () => {
    expect(
      expectedProjects(
        '{"shard_1_of_2":{"project":"shard-1-of-2","projects":"a,c"},"shard_2_of_2":{"project":"shard-2-of-2","projects":"b"}}',
      ),
    ).toEqual(['a', 'c', 'b']);
  });

  it.each([undefined, '', '$(expected_matrix)', "$[ dependencies.plan.outputs['list.matrix'] ]", 'not json'])(
    'is empty for %p',
    (value) => {
      expect(expectedProjects(value)).toEqual([]);
    },
  );
});

describe('attemptOf', () => {
  it.each([
    ['summary-net6-runtime-1', 1],
    ['summary-net6-runtime-12', 12],
    ['summaries', 0],
  ] as const)('%s → %d', (folder, attempt) => expect(attemptOf(folder)).toBe(attempt));
});

describe('combine', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'combine-spec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function artifact(name: string, rows: SummaryRow[]) {
    mkdirSync(path.join(dir, 'in', name), { recursive: true });
    writeFileSync(path.join(dir, 'in', name, 'platform-images-summary.json'), JSON.stringify({ rows }));
    writeFileSync(path.join(dir, 'in', name, 'platform-images-summary.md'), 'ignored');
  }

  it('merges the downloaded artifacts into one table and attaches it', () => {
    artifact('summary-net6-sdk-1', [row('net6-sdk', 'failed at integration-test')]);
    artifact('summary-net6-sdk-2', [
      row('net6-sdk', 'rebuilt', {
        versionTag: '6.0-bullseye-slim-1.1.0',
        tags: ['latest'],
        digest: 'sha256:abcdefabcdef0123',
        durationMs: 61_000,
      }),
    ]);
    artifact('summary-net6-runtime-1', [row('net6-runtime', 'current')]);
    expect(
      findSummaries(path.join(dir, 'in'))
        .map((s) => s.attempt)
        .sort(),
    ).toEqual([1, 1, 2]);

    const out = path.join(dir, 'out', 'platform-images-summary.md');
    const lines = combine(path.join(dir, 'in'), out, {
      EXPECTED_MATRIX: '{"a":{"project":"net6-runtime"},"b":{"project":"net6-sdk"},"c":{"project":"net8-runtime"}}',
    });
    expect(lines).toEqual(['3 image(s) in the run summary', `##vso[task.uploadsummary]${out}`]);
    expect(readFileSync(out, 'utf8')).toBe(
      [
        '### Platform images',
        '',
        '✅ 1 rebuilt · ⏸️ 1 current · ❔ 1 other',
        '',
        '| Image | Decision | Reason | Version tag | Tags | Digest | Duration |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        '| net6-sdk | ✅ rebuilt | — | `6.0-bullseye-slim-1.1.0` | `latest` | `sha256:abcdefabcdef` | 1m 01s |',
        '| net6-runtime | ⏸️ current | — | — | — | — | 1.0s |',
        '| net8-runtime | ❔ no summary | the image job ended before nx ran the chain; see its log | — | — | — | 0.0s |',
        '',
      ].join('\n'),
    );
  });

  it("lays out the jobs' rows as one run's: the counts, each failure with its step and fix, failures first", () => {
    artifact('summary-net6-sdk-1', [row('net6-sdk', 'current')]);
    artifact('summary-net8-aspnet-1', [
      row('net8-aspnet', 'failed at docker-build', {
        reason: 'the build printed 1 warning',
        failedStep: 'docker-build',
        fix: 'fix the Dockerfile | then rerun',
      }),
    ]);
    artifact('summary-net6-runtime-1', [row('net6-runtime', 'rebuilt', { versionTag: '6.0-bullseye-slim-1.1.0' })]);
    const out = path.join(dir, 'out', 'platform-images-summary.md');
    combine(path.join(dir, 'in'), out, {});
    expect(readFileSync(out, 'utf8')).toBe(
      [
        '### Platform images',
        '',
        '❌ 1 failed · ✅ 1 rebuilt · ⏸️ 1 current',
        '',
        '**Failed**',
        '',
        '- ❌ **net8-aspnet** failed at `docker-build`: the build printed 1 warning',
        '  - fix: fix the Dockerfile \\| then rerun',
        '',
        '| Image | Decision | Reason | Version tag | Tags | Digest | Duration |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        '| net8-aspnet | ❌ failed at docker-build | the build printed 1 warning | — | — | — | 1.0s |',
        '| net6-runtime | ✅ rebuilt | — | `6.0-bullseye-slim-1.1.0` | — | — | 1.0s |',
        '| net6-sdk | ⏸️ current | — | — | — | — | 1.0s |',
        '',
      ].join('\n'),
    );
  });

  it('writes one status page for the run next to the table, from the latest attempt of each image', () => {
    mkdirSync(path.join(dir, 'in', 'summary-net6-sdk-1'), { recursive: true });
    writeFileSync(
      path.join(dir, 'in', 'summary-net6-sdk-1', 'platform-images-summary.json'),
      JSON.stringify({
        rows: [row('net6-sdk', 'rebuilt')],
        status: [{ image: 'net6-sdk', decision: 'rebuilt', reason: 'base moved', baseName: 'mcr.microsoft.com/dotnet/sdk:6.0' }],
      }),
    );
    artifact('summary-net6-runtime-1', [row('net6-runtime', 'current')]);
    const out = path.join(dir, 'out', 'platform-images-summary.md');
    combine(path.join(dir, 'in'), out, { EXPECTED_MATRIX: '{"a":{"project":"net8-runtime"}}' }, new Date('2026-11-29T12:00:00Z'));
    const html = readFileSync(path.join(dir, 'out', 'platform-images-status.html'), 'utf8');
    expect(html.match(/<tr data-image=/g)).toHaveLength(3);
    expect(html).toContain('mcr.microsoft.com/dotnet/sdk:6.0');
    // An image without status rows (or without a summary at all) still gets its summary row's decision.
    expect(html).toContain('<tr data-image="net6-runtime" data-outcome="current">');
    expect(html).toContain('the image job ended before nx ran the chain; see its log');
  });

  it('still writes a table when nothing was downloaded', () => {
    const out = path.join(dir, 'summary.md');
    combine(path.join(dir, 'missing'), out, {});
    expect(readFileSync(out, 'utf8')).toMatch(/\| Image \| Decision/);
  });

  it('needs both folders', () => {
    expect(parseArgs(['--dir=a', '--out=b.md'])).toEqual({ dir: 'a', out: 'b.md' });
    expect(() => parseArgs(['--dir=a'])).toThrow(/required/);
  });
});
