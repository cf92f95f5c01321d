/**
 * Turns the figures the end-to-end suites recorded (dist/figures/*.json) into docs/reliability.md, the
 * page README links to. Run by `npm test` after the suites, so the page shows what the last run saw.
 *
 *   node -r @swc-node/register tools/figures.ts [figures-dir] [output.md]
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

interface Row {
  case: string;
  ok: boolean;
  observed: string;
  [extra: string]: string | number | boolean;
}

interface Suite {
  suite: string;
  recordedAt: string;
  rows: Row[];
}

const TITLES: Record<string, string> = {
  faults: 'Faults injected into the local stack',
  'faults-totals': 'What the faults left behind',
  'bad-input': 'Bad input',
  races: 'Racing publishers',
  secrets: 'Secrets',
  recovery: 'Runs that stopped half-way',
};

function cell(text: string | number | boolean): string {
  return String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function readSuites(dir: string): Suite[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Suite);
}

function find(suites: Suite[], name: string): Row[] {
  return suites.find((s) => s.suite === name)?.rows ?? [];
}

function total(rows: Row[], caseName: string): string {
  return rows.find((r) => r.case === caseName)?.observed ?? 'not measured';
}

export function render(suites: Suite[]): string {
  const faults = find(suites, 'faults');
  const totals = find(suites, 'faults-totals');
  const badInput = find(suites, 'bad-input');
  const races = find(suites, 'races');
  const secrets = find(suites, 'secrets');
  const recovery = find(suites, 'recovery');
  const kinds = new Set(faults.map((r) => r.case));
  const lastRun =
    suites
      .map((s) => s.recordedAt)
      .sort()
      .pop() ?? 'never';
  const raceRounds = races.filter((r) => /round \d+/.test(r.case));
  const lines = [
    '# Reliability figures',
    '',
    `Written by \`npm test\` from what the end-to-end suites recorded (last recorded ${lastRun}). Each row is asserted by`,
    'its test; a row that did not hold fails the run. Rerun `npm test` to measure again.',
    '',
    '| Figure | Value |',
    '| --- | --- |',
    `| Faults tried / survived as required | ${kinds.size} / ${faults.filter((r) => r.ok).length} |`,
    `| Bad inputs tried / reported with file and field, no stack trace | ${badInput.length} / ${badInput.filter((r) => r.ok).length} |`,
    `| Half-published images | ${total(totals, 'half-published images')} |`,
    `| Overwritten versions | ${total(totals, 'overwritten versions')} |`,
    `| Secrets found | ${secrets.length ? secrets.map((r) => r.observed).join('; ') : 'not measured'} |`,
    `| Race rounds (two publishers, one repository) | ${raceRounds.length}: ${raceRounds.map((r) => r.observed).join('; ') || 'not measured'} |`,
    `| Runs stopped half-way / finished or cleared by the next run | ${recovery.length ? `${recovery.length} / ${recovery.filter((r) => r.ok).length}` : 'not measured'} |`,
    '',
  ];
  for (const suite of ['faults', 'faults-totals', 'bad-input', 'races', 'secrets', 'recovery']) {
    const rows = find(suites, suite);
    if (!rows.length) continue;
    const extras = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => !['case', 'ok', 'observed'].includes(k))))];
    lines.push(
      `## ${TITLES[suite] ?? suite}`,
      '',
      `| Case | Held | Observed |${extras.map((e) => ` ${e} |`).join('')}`,
      `| --- | --- | --- |${extras.map(() => ' --- |').join('')}`,
    );
    for (const r of rows)
      lines.push(
        `| ${cell(r.case)} | ${r.ok ? 'yes' : 'NO'} | ${cell(r.observed)} |${extras.map((e) => ` ${r[e] === undefined ? '' : cell(r[e])} |`).join('')}`,
      );
    lines.push('');
  }
  return lines.join('\n');
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const dir = process.argv[2] ?? path.join(root, 'dist/figures');
  const out = process.argv[3] ?? path.join(root, 'docs/reliability.md');
  const suites = readSuites(dir);
  if (!suites.length) {
    console.log(`figures: nothing recorded in ${path.relative(process.cwd(), dir)}; ${path.relative(process.cwd(), out)} left as it was`);
  } else {
    writeFileSync(out, render(suites));
    console.log(`figures: ${path.relative(process.cwd(), out)} written from ${suites.length} suites`);
  }
}
