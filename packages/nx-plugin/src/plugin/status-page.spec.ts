import type { ChainTargetKey } from '../config/layout';
import type { CheckRecord, FailureRecord, PublishRecord } from '../steps/records';
import type { ImageRun, SummaryRow } from './run-summary';
import { FIXTURE_ROWS, GENERATED_AT } from './status-page.fixture';
import { baseMovedOf, escapeHtml, outcomeOf, renderStatusPage, statusRow, type StatusRow } from './status-page';

const BASE = 'mcr.microsoft.com/dotnet/runtime:8.0';
const OLD = `sha256:${'1'.repeat(64)}`;
const NEW = `sha256:${'2'.repeat(64)}`;
const IMAGE = `sha256:${'a'.repeat(64)}`;

const check: CheckRecord = {
  project: 'net8-runtime',
  stale: true,
  reason: 'base-moved',
  message: `${BASE} moved from sha256:111111111111 to sha256:222222222222`,
  runId: 'r1',
  base: { name: BASE, digest: NEW, pullRef: `${BASE}@${NEW}` },
  contextDigest: 'sha256:c1',
  published: { versionTag: '8.0-1.0.0', digest: IMAGE, baseDigest: OLD, contextDigest: 'sha256:c1' },
  nextVersion: { tag: '8.0-1.0.1', version: '1.0.1' },
  findings: { images: [IMAGE], outcome: 'passed', failOn: 'HIGH', counts: { MEDIUM: 2, LOW: 1 }, findings: [] },
};

const run = (statuses: Partial<Record<ChainTargetKey, string>>): ImageRun => ({
  project: 'net8-runtime',
  projectRoot: 'platform-images/net8/runtime',
  tasks: Object.entries(statuses).map(([target, status]) => ({ target: target as ChainTargetKey, status: status })),
});
const summary = (decision: string, reason = check.message): SummaryRow => ({
  image: 'net8-runtime',
  decision,
  reason,
  tags: [],
  durationMs: 0,
  warnings: [],
});

describe('statusRow', () => {
  it('shows the check: reason, base, the digest the newest version was built from, .NET end of support and the check’s scan counts', () => {
    const row = statusRow(run({ 'mcr-check': 'success' }), { 'mcr-check': check }, summary('stale, not built'));
    expect(row).toMatchObject({
      decision: 'stale, not built',
      reason: check.message,
      reasonCode: 'base-moved',
      baseName: BASE,
      baseDigest: NEW,
      publishedBaseDigest: OLD,
      newestVersion: '8.0-1.0.0',
      newestDigest: IMAGE,
      dotnet: 'net8',
      endOfSupport: '2026-11-10',
      scan: '2 MEDIUM, 1 LOW',
    });
    expect(row.failedStep).toBeUndefined();
  });

  it('a published version is the newest, with its own scan', () => {
    const publish: PublishRecord = {
      runId: 'r1',
      published: true,
      versionTag: '8.0-1.0.1',
      digest: `sha256:${'b'.repeat(64)}`,
      scan: { images: [], outcome: 'passed', failOn: 'HIGH', counts: { CRITICAL: 0, LOW: 4 }, findings: [] },
    };
    const row = statusRow(
      run({ 'mcr-check': 'success', 'ecr-publish': 'success' }),
      { 'mcr-check': check, 'ecr-publish': publish },
      {
        ...summary('rebuilt'),
        versionTag: '8.0-1.0.1',
        digest: publish.digest,
      },
    );
    expect(row.newestVersion).toBe('8.0-1.0.1');
    expect(row.newestDigest).toBe(publish.digest);
    expect(row.scan).toBe('4 LOW');
  });

  it('shows when the newest version was pushed and the check’s end-of-support date, as the check recorded them', () => {
    const recorded: CheckRecord = {
      ...check,
      stale: false,
      reason: 'current',
      publishedAt: '2026-03-01T08:00:00.000Z',
      dotnetEndOfSupport: '2027-01-31',
    };
    const row = statusRow(run({ 'mcr-check': 'success' }), { 'mcr-check': recorded }, summary('current'));
    expect(row.publishedAt).toBe('2026-03-01T08:00:00.000Z');
    expect(row.endOfSupport).toBe('2027-01-31');
    const html = renderStatusPage([row], { generatedAt: '2026-11-29T12:00:00.000Z' });
    expect(html).toContain('<td data-key="published" data-sort="2026-03-01T08:00:00.000Z">2026-03-01T08:00:00.000Z</td>');
    expect(html).toContain('2027-01-31');
    expect(html).not.toContain('(ended)');
  });

  it('names the step that failed in this run and its fix', () => {
    const failure: FailureRecord = { step: 'docker-build', error: 'COPY failed', fix: 'add the file to the build context' };
    const row = statusRow(
      run({ 'mcr-check': 'success', 'docker-build': 'failure' }),
      { 'mcr-check': check, failure },
      summary('failed at docker-build', 'COPY failed'),
    );
    expect(row.failedStep).toBe('docker-build');
    expect(row.fix).toBe('add the file to the build context');
    expect(row.reason).toBe('COPY failed');
  });

  it('an image outside platform-images/<net…>/ has no .NET line', () => {
    const row = statusRow({ ...run({}), projectRoot: 'platform-images/tools/node' }, {}, summary('not checked', ''));
    expect(row.dotnet).toBeUndefined();
    expect(row.endOfSupport).toBeUndefined();
  });
});

describe('baseMovedOf: when the base named now was built, from the records alone', () => {
  const T1 = '2024-02-13T18:02:11.000Z';
  const T2 = '2024-03-05T21:14:07.000Z';
  const AMD1 = `sha256:${'3'.repeat(64)}`;
  const ARM1 = `sha256:${'4'.repeat(64)}`;
  const ARM2 = `sha256:${'5'.repeat(64)}`;
  const current: CheckRecord = {
    ...check,
    stale: false,
    reason: 'current',
    base: { ...check.base, digest: OLD },
    published: { ...check.published!, baseDigest: OLD, baseCreated: { 'linux/amd64': T1 } },
  };
  const multi = (nowArm: string, created?: Record<string, string>): CheckRecord => ({
    ...current,
    base: { ...current.base, digest: NEW, platforms: { 'linux/amd64': AMD1, 'linux/arm64': nowArm }, ...(created ? { created } : {}) },
    published: {
      ...current.published!,
      baseDigest: OLD,
      basePlatformDigests: { 'linux/amd64': AMD1, 'linux/arm64': ARM1 },
      baseCreated: { 'linux/amd64': T1, 'linux/arm64': T1 },
    },
  });
  it.each<[string, CheckRecord | undefined, ReturnType<typeof baseMovedOf>]>([
    ['no check: nothing', undefined, {}],
    ['current: what the newest version recorded', current, { baseBuilt: { 'linux/amd64': T1 } }],
    [
      'current, a version from before the record: unknown',
      { ...current, published: { ...current.published!, baseCreated: undefined } },
      {},
    ],
    [
      'stale, the base moved and the check read the new one: that time',
      { ...check, base: { ...check.base, created: { 'linux/amd64': T2 } } },
      { baseBuilt: { 'linux/amd64': T2 } },
    ],
    [
      'stale, the base moved and its time could not be read: moved since the newest version',
      { ...check, published: { ...check.published!, baseCreated: { 'linux/amd64': T1 } } },
      { baseMovedSince: '8.0-1.0.0' },
    ],
    [
      'stale for its context, base unchanged, the read failed: what the newest version recorded',
      { ...current, stale: true, reason: 'context-changed' },
      { baseBuilt: { 'linux/amd64': T1 } },
    ],
    ['nothing published and no time read: unknown', { ...check, published: undefined }, {}],
    [
      'multi-platform, the index moved only for a platform not built: still the recorded times',
      multi(ARM1),
      { baseBuilt: { 'linux/amd64': T1, 'linux/arm64': T1 } },
    ],
    ['multi-platform, a built platform moved, no time read: moved since', multi(ARM2), { baseMovedSince: '8.0-1.0.0' }],
    [
      'multi-platform, a built platform moved, read for the rebuild',
      multi(ARM2, { 'linux/amd64': T1, 'linux/arm64': T2 }),
      { baseBuilt: { 'linux/amd64': T1, 'linux/arm64': T2 } },
    ],
  ])('%s', (_name, record, expected) => expect(baseMovedOf(record)).toEqual(expected));

  it('is part of the status row', () => {
    expect(statusRow(run({ 'mcr-check': 'success' }), { 'mcr-check': current }, summary('current')).baseBuilt).toEqual({
      'linux/amd64': T1,
    });
  });

  it.each<[string, Partial<StatusRow>, string]>([
    ['one time', { baseBuilt: { 'linux/amd64': T2 } }, `<span title="when the base was built (its image config's created)">${T2}</span>`],
    ['the same time on every platform: once', { baseBuilt: { 'linux/amd64': T2, 'linux/arm64': T2 } }, `>${T2}</span>`],
    [
      'times that differ: each platform',
      { baseBuilt: { 'linux/arm64': T2, 'linux/amd64': T1 } },
      `>${T1} <small>linux/amd64</small><br>${T2} <small>linux/arm64</small></span>`,
    ],
    ['moved since a version, no time known', { baseMovedSince: '8.0-1.0.0' }, '>unknown<br><small>moved since 8.0-1.0.0</small></td>'],
    ['nothing recorded', {}, '>unknown</td>'],
  ])('shows %s', (_name, over, html) => {
    const row: StatusRow = { image: 'net8-runtime', decision: 'current', reason: '', baseName: BASE, ...over };
    const page = renderStatusPage([row], { generatedAt: '2026-11-29T12:00:00.000Z' });
    const cell = /<td data-key="baseMoved"[^]*?<\/td>/.exec(page)![0];
    expect(cell).toContain(html);
  });
});

describe('renderStatusPage', () => {
  const html = renderStatusPage(FIXTURE_ROWS, { generatedAt: GENERATED_AT });

  it('is one document with its CSS and script inline and no outside assets', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).toContain('<script>');
    expect(html).not.toMatch(/<(link|img)\b/);
    expect(html).not.toMatch(/\b(src|href)=/);
    expect(html).not.toMatch(/https?:\/\/(?!mcr\.microsoft\.com)/);
  });

  it('has one row per image, with its decision and reason', () => {
    expect(html.match(/<tr data-image=/g)).toHaveLength(FIXTURE_ROWS.length);
    expect(html).toContain('<tr data-image="net10-aspnet" data-outcome="rebuilt">');
    expect(html).toContain('mcr.microsoft.com/dotnet/aspnet:10.0 moved from sha256:333333333333 to sha256:444444444444');
    expect(html).toContain('moved since the newest version (was <code');
  });

  it('says when each base was built, unknown when no record says', () => {
    expect(html).toContain('2026-09-30T22:41:05.000Z');
    expect(html).toContain('2026-11-28T19:02:44.000Z <small>linux/amd64</small><br>2026-11-28T19:40:12.000Z <small>linux/arm64</small>');
    // No record says (nothing published yet): unknown, never a date made up.
    expect(html.match(/<td data-key="baseMoved" data-sort="">unknown<\/td>/g)).toHaveLength(1);
  });

  it('escapes every value from the records', () => {
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const hostile = renderStatusPage([{ ...FIXTURE_ROWS[0], image: '"><img src=x>', fix: "it's <b>" }], {
      generatedAt: GENERATED_AT,
      title: '<t>',
    });
    expect(hostile).not.toContain('<img');
    expect(hostile).toContain('data-image="&quot;&gt;&lt;img src=x&gt;"');
    expect(hostile).toContain('<title>&lt;t&gt;</title>');
  });

  it('marks an end of support that has passed by the day it was made', () => {
    expect(html).toContain('2024-11-12 (ended)');
    expect(html).toContain('2026-11-10 (ended)');
    expect(html).not.toContain('2028-11-14 (ended)');
  });

  it('shows the failed step with its fix, the scan counts and the outcome counts', () => {
    expect(html).toContain('<strong>integration-test</strong><br><small>fix: make the app listen on the port the image configures</small>');
    expect(html).toContain('1 HIGH, 3 LOW');
    expect(html).toContain('4 image(s) · 1 failed · 1 stale · 1 rebuilt · 1 current');
  });

  it('reads in light and dark', () => {
    expect(html).toContain('@media (prefers-color-scheme: dark)');
    expect(html).toContain('<meta name="color-scheme" content="light dark">');
  });
});

describe('helpers', () => {
  it('escapeHtml escapes the five characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(escapeHtml(undefined)).toBe('');
  });

  it('outcomeOf groups the decisions', () => {
    expect(outcomeOf('failed at docker-build')).toBe('failed');
    expect(outcomeOf('stopped at ecr-publish')).toBe('failed');
    expect(outcomeOf('rebuilt, not published')).toBe('stale');
    expect(outcomeOf('built, not tested')).toBe('stale');
    expect(outcomeOf('current')).toBe('current');
    expect(outcomeOf('rebuilt')).toBe('rebuilt');
    expect(outcomeOf('not checked')).toBe('other');
  });
});
