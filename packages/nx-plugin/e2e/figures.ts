/**
 * Figures the end-to-end suites record as they run (faults tried, bad inputs, races, secrets found…).
 * Each suite writes `dist/figures/<suite>.json` in this checkout; `tools/figures.ts` turns them into the
 * table README links to, so the published figures are always the ones the last test run saw.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const FIGURES_DIR = path.resolve(__dirname, '../../../dist/figures');

export interface FigureRow {
  /** What was tried, e.g. "upstream 429 with Retry-After: 1". */
  case: string;
  /** Whether the product behaved as required (the test also asserts it; a failed row fails its test). */
  ok: boolean;
  /** What was observed, in a few words (the message, the exit status, the tags). */
  observed: string;
  [extra: string]: string | number | boolean;
}

const rows = new Map<string, FigureRow[]>();

/** Adds a row to the suite's figures and rewrites its file, so figures survive a suite that fails half-way. */
export function recordFigure(suite: string, row: FigureRow): void {
  const list = rows.get(suite) ?? [];
  list.push(row);
  rows.set(suite, list);
  mkdirSync(FIGURES_DIR, { recursive: true });
  writeFileSync(
    path.join(FIGURES_DIR, `${suite}.json`),
    JSON.stringify({ suite, recordedAt: new Date().toISOString(), rows: list }, null, 2) + '\n',
  );
}
