/**
 * The summary job of the fan-out pipelines: one table for the whole run from the summaries the image jobs
 * published (artifacts `summary-<project>-<attempt>`, each holding the platform-images-summary.json the
 * nx plugin wrote), attached to the run's summary page.
 *
 *   npx platform-images-azure combine-summaries --dir=<downloaded artifacts> --out=<file.md>
 *
 * It also writes the run's status page (platform-images-status.html) next to <file.md>, from the status rows
 * the same summaries carry, for the pipeline to publish as an artifact.
 *
 * EXPECTED_MATRIX (the planning job's matrix) names every image the run meant to handle, so an image whose
 * job ended before nx wrote anything still gets a row instead of silently disappearing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createLogger } from '../lib/log';
import { renderSummary, SUMMARY_JSON, uploadSummaryCommand, type SummaryFile, type SummaryRow } from '../plugin/run-summary';
import { renderStatusPage, STATUS_PAGE, type StatusRow } from '../plugin/status-page';

export interface FoundSummary {
  /** Job attempt from the artifact folder name; a rerun's summary replaces the earlier attempt's. */
  attempt: number;
  rows: SummaryRow[];
  /** The status page's rows; a summary from before the status page has none. */
  status?: StatusRow[];
}

export function attemptOf(folder: string): number {
  const m = /-(\d+)$/.exec(folder);
  return m ? Number(m[1]) : 0;
}

/** Every summary JSON below `dir`, with the attempt of the artifact folder holding it. */
export function findSummaries(dir: string): FoundSummary[] {
  const found: FoundSummary[] = [];
  const walk = (current: string, artifact: string | undefined) => {
    for (const entry of readdirSync(current)) {
      const full = path.join(current, entry);
      if (statSync(full).isDirectory()) walk(full, artifact ?? entry);
      else if (entry === SUMMARY_JSON) {
        const parsed = JSON.parse(readFileSync(full, 'utf8')) as Partial<SummaryFile>;
        if (Array.isArray(parsed.rows)) {
          const status = Array.isArray(parsed.status) ? parsed.status : undefined;
          found.push({ attempt: attemptOf(artifact ?? ''), rows: parsed.rows, ...(status ? { status } : {}) });
        }
      }
    }
  };
  if (existsSync(dir)) walk(dir, undefined);
  return found;
}

export function expectedProjects(matrixJson: string | undefined): string[] {
  if (!matrixJson || matrixJson.startsWith('$[') || matrixJson.startsWith('$(')) return [];
  try {
    const matrix = JSON.parse(matrixJson) as Record<string, { project?: unknown; projects?: unknown }>;
    // A shard's leg lists its images in `projects`; an image's leg names it in `project`.
    return Object.values(matrix ?? {})
      .flatMap((leg) => (typeof leg?.projects === 'string' ? leg.projects.split(',') : [leg?.project]))
      .filter((p): p is string => typeof p === 'string' && p.length > 0);
  } catch {
    return [];
  }
}

/** One row per image: the latest attempt's, and a placeholder for expected images without one. */
export function combineRows(found: FoundSummary[], expected: string[]): SummaryRow[] {
  const best = new Map<string, { attempt: number; row: SummaryRow }>();
  for (const summary of found) {
    for (const row of summary.rows) {
      const seen = best.get(row.image);
      if (!seen || summary.attempt >= seen.attempt) best.set(row.image, { attempt: summary.attempt, row });
    }
  }
  for (const project of expected) {
    if (!best.has(project)) {
      best.set(project, {
        attempt: -1,
        row: {
          image: project,
          decision: 'no summary',
          reason: 'the image job ended before nx ran the chain; see its log',
          tags: [],
          durationMs: 0,
          warnings: [],
        },
      });
    }
  }
  return [...best.values()].map((b) => b.row).sort((a, b) => a.image.localeCompare(b.image));
}

/** The status page's rows: each image's from its latest attempt, else one made from its combined summary row. */
export function combineStatus(found: FoundSummary[], rows: SummaryRow[]): StatusRow[] {
  const best = new Map<string, { attempt: number; row: StatusRow }>();
  for (const summary of found) {
    for (const row of summary.status ?? []) {
      const seen = best.get(row.image);
      if (!seen || summary.attempt >= seen.attempt) best.set(row.image, { attempt: summary.attempt, row });
    }
  }
  return rows.map(
    (r) =>
      best.get(r.image)?.row ?? {
        image: r.image,
        decision: r.decision,
        reason: r.reason,
        newestVersion: r.versionTag,
        newestDigest: r.digest,
      },
  );
}

export function parseArgs(argv: string[]): { dir: string; out: string } {
  const options: Record<string, string> = {};
  for (const arg of argv) {
    const m = /^--(dir|out)=(.+)$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg}; expected --dir=<folder> --out=<file.md>`);
    options[m[1]] = m[2];
  }
  if (!options.dir || !options.out) throw new Error('--dir and --out are required');
  return { dir: options.dir, out: options.out };
}

export function combine(dir: string, out: string, env: Record<string, string | undefined>, now = new Date()): string[] {
  const found = findSummaries(dir);
  const rows = combineRows(found, expectedProjects(env.EXPECTED_MATRIX));
  const file = path.resolve(out);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, renderSummary(rows));
  writeFileSync(
    path.join(path.dirname(file), STATUS_PAGE),
    renderStatusPage(combineStatus(found, rows), { generatedAt: now.toISOString() }),
  );
  return [`${rows.length} image(s) in the run summary`, uploadSummaryCommand(file)];
}

/** The `combine-summaries` command. The summary is a report: its failure is a warning, never a failed step. */
export function runCombineSummaries(argv: string[]): number {
  try {
    const { dir, out } = parseArgs(argv);
    for (const line of combine(dir, out, process.env)) console.log(line);
  } catch (err) {
    createLogger(process.env).warn(`run summary not combined: ${(err as Error)?.message ?? String(err)}`);
  }
  return 0;
}
