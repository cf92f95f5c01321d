/**
 * After every nx command that ran platform image tasks: a markdown summary of what happened to each image
 * (current, rebuilt, or where it failed and why): the count of each outcome, then each failure with the step
 * that failed and what fixes it, then one table row per image, failures first, built from the step records and the failure record in
 * `dist/<projectRoot>/` (never from the tasks' log output), written to
 * `dist/platform-images-summary.md` (and `.json`, so a fan-out pipeline can merge the tables of its jobs).
 * Under Azure Pipelines the table is attached to the run's summary page.
 *
 * Nx calls this hook in its own process after every task-running command, so it stays silent when no
 * platform image task ran and never throws: a summary must not fail a run that published correctly.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PostTasksExecution, PostTasksExecutionContext } from '@nx/devkit';
import { CHAIN_TARGET_KEYS, DEFAULT_LAYOUT, folderMatches, readLayout, type ChainTargetKey, type Layout } from '../config/layout';
import { createLogger } from '../lib/log';
import { short } from '../lib/staleness';
import { formatFinding, scanLine } from '../lib/scan-policy';
import { Records, recordsDir, STEP_NAMES, type FailureRecord, type RecordTypes, type StepName } from '../steps/records';
import { OUTCOMES, outcomeCounts, outcomeOf, renderStatusPage, STATUS_PAGE, statusRow, type Outcome, type StatusRow } from './status-page';

export const SUMMARY_MARKDOWN = 'platform-images-summary.md';
export const SUMMARY_JSON = 'platform-images-summary.json';
/** `false` leaves the upload to a later job that merges several jobs' summaries into one table. */
export const SUMMARY_UPLOAD_ENV = 'PLATFORM_IMAGES_SUMMARY_UPLOAD';

/** Statuses whose task left its outputs (the step record) in place during this run. */
const RESTORED = new Set(['success', 'local-cache', 'local-cache-kept-existing', 'remote-cache']);

export interface ImageTask {
  /** The step the task ran (or `publish`), whatever the workspace calls its target. */
  target: ChainTargetKey;
  status: string;
  durationMs?: number;
}

export interface ImageRun {
  project: string;
  projectRoot: string;
  tasks: ImageTask[];
}

/** The records of this run's steps, and the failure record when a step of this run failed. */
export type StepRecords = Partial<RecordTypes> & { failure?: FailureRecord };

export interface SummaryRow {
  image: string;
  decision: string;
  reason: string;
  versionTag?: string;
  tags: string[];
  digest?: string;
  durationMs: number;
  warnings: string[];
  /** ECR's scan: counts on a publish, or the findings that blocked it. */
  vulnerabilities?: string[];
  /** The step that failed in this run. */
  failedStep?: string;
  /** What fixes it: the `fix:` line its failure record carries. */
  fix?: string;
}

export interface SummaryFile {
  rows: SummaryRow[];
  /** The status page's rows, so a job merging several jobs' summaries can write one page for the run. */
  status?: StatusRow[];
}

/**
 * The platform image projects this run touched, each with its tasks in chain order: the projects the layout's
 * images glob names, their tasks by the target names it gives.
 */
export function imageRunsFrom(taskResults: PostTasksExecutionContext['taskResults'], layout: Layout = DEFAULT_LAYOUT): ImageRun[] {
  const stepOfTargetName = new Map(CHAIN_TARGET_KEYS.map((key) => [layout.targetNames[key], key]));
  const runs = new Map<string, ImageRun>();
  for (const result of Object.values(taskResults ?? {})) {
    const task = result?.task;
    const root = task?.projectRoot;
    const step = task && stepOfTargetName.get(task.target.target);
    if (!task || !root || !step || !folderMatches(layout.imagesGlob, root)) continue;
    const run = runs.get(task.target.project) ?? { project: task.target.project, projectRoot: root, tasks: [] };
    run.tasks.push({
      target: step,
      status: result.status,
      durationMs:
        typeof task.startTime === 'number' && typeof task.endTime === 'number' && task.endTime >= task.startTime
          ? task.endTime - task.startTime
          : undefined,
    });
    runs.set(run.project, run);
  }
  for (const run of runs.values()) run.tasks.sort((a, b) => CHAIN_TARGET_KEYS.indexOf(a.target) - CHAIN_TARGET_KEYS.indexOf(b.target));
  return [...runs.values()].sort((a, b) => a.project.localeCompare(b.project));
}

/** The steps whose record belongs to this run: a record of a step that did not run here may be older. */
export function stepsWithRecords(run: ImageRun): StepName[] {
  return STEP_NAMES.filter((step) => run.tasks.some((t) => t.target === step && RESTORED.has(t.status)));
}

export function summaryRow(run: ImageRun, records: StepRecords): SummaryRow {
  const check = records['mcr-check'];
  const build = records['docker-build'];
  const test = records['integration-test'];
  const publish = records['ecr-publish'];
  const failed = run.tasks.find((t) => t.status === 'failure');
  const stopped = run.tasks.find((t) => t.status === 'stopped');
  const durationMs = run.tasks.reduce((sum, t) => sum + (t.durationMs ?? 0), 0);
  // Older check records carry no warnings.
  const listed = (check as { warnings?: unknown } | undefined)?.warnings;
  const warnings = Array.isArray(listed) ? listed.filter((w): w is string => typeof w === 'string') : [];
  // A version out without its SBOM (steps/sbom.ts); older publish records carry no such field.
  const sbomMissing = (publish as { sbomMissing?: unknown } | undefined)?.sbomMissing;
  if (typeof sbomMissing === 'string') warnings.push(`no SBOM attached: ${sbomMissing}`);
  const row: SummaryRow = { image: run.project, decision: '', reason: check?.message ?? '', tags: [], durationMs, warnings };

  if (failed) {
    row.decision = `failed at ${failed.target}`;
    row.failedStep = failed.target;
    // The failed step wrote why; a step that could not (killed, dist not writable) leaves the check's reason.
    // The error's first line: what follows it (a failed test app's container logs) is for the log.
    if (records.failure?.step === failed.target) row.reason = records.failure.error.split('\n')[0];
    if (records.failure?.step === failed.target && records.failure.fix) row.fix = records.failure.fix;
    const blocked = records.failure?.step === failed.target ? records.failure.scan : undefined;
    if (blocked) row.vulnerabilities = [scanLine(blocked), ...blocked.findings.map(formatFinding)];
  } else if (stopped) {
    row.decision = `stopped at ${stopped.target}`;
  } else if (!check) {
    row.decision = 'not checked';
  } else if (!check.stale) {
    row.decision = 'current';
  } else if (publish?.published) {
    row.decision = 'rebuilt';
  } else if (test?.passed) {
    row.decision = 'rebuilt, not published';
  } else if (build?.built) {
    row.decision = 'built, not tested';
  } else {
    row.decision = 'stale, not built';
  }

  if (publish?.published && publish.scan) row.vulnerabilities = [scanLine(publish.scan)];
  if (publish?.published) {
    row.versionTag = publish.versionTag;
    row.tags = publish.tags ?? [];
    row.digest = publish.digest;
  } else if (check && !check.stale) {
    row.versionTag = check.published?.versionTag;
    row.digest = check.published?.digest;
  } else {
    row.versionTag = build?.versionTag ?? check?.nextVersion?.tag;
  }
  return row;
}

export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(Math.round(ms / 100) / 10).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${String(s).padStart(2, '0')}s`;
}

function cell(text: string | undefined): string {
  const value = (text ?? '').replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').trim();
  return value || '—';
}

function code(text: string | undefined): string {
  return text ? `\`${text.replace(/`/g, "'")}\`` : '—';
}

/** Each outcome's mark, in the counts and before each row's decision. */
export const OUTCOME_ICONS: Record<Outcome, string> = {
  failed: '❌',
  stale: '⚠️',
  rebuilt: '✅',
  current: '⏸️',
  other: '❔',
};

/** The rows in summary order: failures first, then stale, rebuilt, current, other; the given order within each. */
export function summaryOrder(rows: readonly SummaryRow[]): SummaryRow[] {
  const rank = (r: SummaryRow) => OUTCOMES.indexOf(outcomeOf(r.decision));
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => rank(a.row) - rank(b.row) || a.index - b.index)
    .map((x) => x.row);
}

/** "❌ 1 failed · ✅ 3 rebuilt · ⏸️ 4 current": each outcome that occurs, in summary order. */
export function outcomeLine(rows: readonly SummaryRow[]): string {
  return outcomeCounts(rows)
    .map(([o, n]) => `${OUTCOME_ICONS[o]} ${n} ${o}`)
    .join(' · ');
}

/**
 * A failed (or stopped) image as a list item: the step, why, and its fix as a nested item (a line of its
 * own however the markdown is rendered). A row from before failedStep was recorded gives it in its decision.
 */
export function failureLines(row: SummaryRow): string[] {
  const [, verb = 'failed', named] = /^(failed|stopped) at (.+)$/.exec(row.decision) ?? [];
  const step = row.failedStep ?? named;
  const reason = row.reason.trim() ? `: ${cell(row.reason)}` : '';
  const what = step ? `${verb} at ${code(step)}` : cell(row.decision);
  return [`- ${OUTCOME_ICONS.failed} **${cell(row.image)}** ${what}${reason}`, ...(row.fix ? [`  - fix: ${cell(row.fix)}`] : [])];
}

/**
 * The summary: the count of each outcome, the failures with their fixes, then the table, one row per image
 * (failures first), and the scan findings and warnings under it.
 */
export function renderSummary(given: SummaryRow[]): string {
  const rows = summaryOrder(given);
  const failures = rows.filter((r) => outcomeOf(r.decision) === 'failed');
  const lines = [
    '### Platform images',
    '',
    ...(rows.length ? [outcomeLine(rows), ''] : []),
    ...(failures.length ? ['**Failed**', '', ...failures.flatMap(failureLines), ''] : []),
    '| Image | Decision | Reason | Version tag | Tags | Digest | Duration |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${[
          cell(r.image),
          `${OUTCOME_ICONS[outcomeOf(r.decision)]} ${cell(r.decision)}`,
          cell(r.reason),
          code(r.versionTag),
          r.tags.length ? r.tags.map(code).join(', ') : '—',
          code(r.digest && short(r.digest)),
          formatDuration(r.durationMs),
        ].join(' | ')} |`,
    ),
  ];
  const scanned = rows.filter((r) => r.vulnerabilities?.length);
  if (scanned.length) {
    lines.push('', '**Vulnerabilities**', '');
    for (const r of scanned) {
      const [first, ...findings] = r.vulnerabilities!;
      lines.push(`- ${r.image}: ${first}`, ...findings.map((f) => `  - ${f}`));
    }
  }
  const warned = rows.filter((r) => r.warnings.length);
  if (warned.length) {
    lines.push('', '**Warnings**', '');
    for (const r of warned) for (const w of r.warnings) lines.push(`- ${r.image}: ${w.replace(/\r?\n/g, ' ')}`);
  }
  return lines.join('\n') + '\n';
}

export function uploadSummaryCommand(file: string): string {
  return `##vso[task.uploadsummary]${file}`;
}

/** The records this run wrote for an image; one that cannot be read only makes its row less detailed. */
function readRecords(workspaceRoot: string, run: ImageRun): StepRecords {
  const stored = new Records(recordsDir(workspaceRoot, run.projectRoot));
  const records: Record<string, unknown> = {};
  for (const step of stepsWithRecords(run)) records[step] = stored.find(step);
  // A failed step wrote it when it failed, over any earlier run's.
  if (run.tasks.some((t) => t.status === 'failure')) records.failure = stored.failure();
  return records;
}

export interface SummaryDeps {
  env: Record<string, string | undefined>;
  write: (line: string) => void;
  /** When the status page says it was made. */
  now?: () => Date;
}

/** Writes the summary files and the status page; returns the markdown file, or undefined when no platform image task ran. */
export function writeRunSummary(
  context: Pick<PostTasksExecutionContext, 'taskResults' | 'workspaceRoot'>,
  deps: SummaryDeps,
  layout: Layout = DEFAULT_LAYOUT,
): string | undefined {
  const runs = imageRunsFrom(context.taskResults, layout);
  if (!runs.length) return undefined;
  const rows: SummaryRow[] = [];
  const status: StatusRow[] = [];
  for (const run of runs) {
    const records = readRecords(context.workspaceRoot, run);
    const row = summaryRow(run, records);
    rows.push(row);
    status.push(statusRow(run, records, row));
  }
  const dir = path.join(context.workspaceRoot, 'dist');
  mkdirSync(dir, { recursive: true });
  const markdown = path.join(dir, SUMMARY_MARKDOWN);
  writeFileSync(markdown, renderSummary(rows));
  writeFileSync(path.join(dir, SUMMARY_JSON), JSON.stringify({ rows, status } satisfies SummaryFile, null, 2) + '\n');
  writeFileSync(path.join(dir, STATUS_PAGE), renderStatusPage(status, { generatedAt: (deps.now ?? (() => new Date()))().toISOString() }));
  if (deps.env.TF_BUILD && deps.env[SUMMARY_UPLOAD_ENV]?.toLowerCase() !== 'false') deps.write(uploadSummaryCommand(markdown));
  return markdown;
}

export const postTasksExecution: PostTasksExecution = (options, context) => {
  const env = process.env;
  const write = (line: string) => process.stdout.write(line + '\n');
  try {
    writeRunSummary(context, { env, write }, readLayout(options));
  } catch (err) {
    try {
      createLogger(env, write).warn(`platform images run summary not written: ${(err as Error)?.message ?? String(err)}`);
    } catch {
      // Nothing left to report with.
    }
  }
  // Nx awaits the hook; the summary is written synchronously, so it is done by now.
  return Promise.resolve();
};
