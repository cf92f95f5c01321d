/**
 * What the benchmark found, judged against its targets and written out: a console table, bench.json (every
 * figure), noop-time.svg and a benchmark.md page.
 */
import { lineChartSvg } from './chart';
import type { MemoryPeak } from './measure';
import type { BaseChangeFigures, FloorFigures, PassFigures, SeedFigures, SetupFigures } from './phases';

export interface SizeFigures {
  images: number;
  cold: PassFigures;
  warm: PassFigures;
  seed: SeedFigures;
  /** Our check alone (the mcr-check batch's code, in this process), for the seed comparison. */
  ourCheck?: { seconds: number; stale: number; current: number; failed: number };
  /** seed seconds / our check's seconds. */
  seedRatio?: number;
  /** seed seconds / our whole cache-wiped no-op pass (Nx start-up and all five steps included). */
  seedOverPass?: number;
}

export interface BenchResult {
  benchId: string;
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; memoryGB: number; node: string; docker: string; builder: string };
  sizes: number[];
  setup: SetupFigures & { basesSeconds: number };
  bySize: SizeFigures[];
  baseChange?: BaseChangeFigures;
  floor?: FloorFigures;
}

// ---------------------------------------------------------------------------------------------------------
// Targets

export const TARGETS = {
  noOpColdSeconds: { images: 200, seconds: 15 },
  registryRequestsPerImage: 2,
  blobBytes: 0,
  productOverFloor: 1.2,
  seedOverOurs: { images: 200, ratio: 10 },
  peakRssMB: 300,
};

export interface TargetResult {
  target: string;
  /** undefined: not measured in this run (e.g. N=200 not among the sizes), which fails nothing. */
  ok?: boolean;
  observed: string;
}

const noOpPasses = (r: BenchResult) => r.bySize.flatMap((s) => [s.cold, s.warm]);

/** Every nx run the benchmark measured (not the setup publish): the memory target covers them all. */
function measuredRuns(r: BenchResult): Array<{ what: string; memory: MemoryPeak }> {
  return [
    ...noOpPasses(r).map((p) => ({ what: `${p.kind} N=${p.images}`, memory: p.memory })),
    ...(r.baseChange ? [{ what: `one base changed N=${r.baseChange.images}`, memory: r.baseChange.pass.memory }] : []),
    ...(r.floor ? [{ what: `floor (nx run ${r.floor.image}:publish)`, memory: r.floor.product.memory }] : []),
  ];
}

function maxBy<T>(items: T[], value: (item: T) => number): T | undefined {
  return items.reduce<T | undefined>((best, item) => (best === undefined || value(item) > value(best) ? item : best), undefined);
}

export function evaluateTargets(r: BenchResult): TargetResult[] {
  const results: TargetResult[] = [];
  const passes = noOpPasses(r);

  const noOp = passes.map((p) => ({
    p,
    problems: [
      ...(p.stale.length ? [`${p.stale.length} stale`] : []),
      ...(p.unchecked.length ? [`${p.unchecked.length} unchecked`] : []),
      ...(p.changedTags.length ? [`${p.changedTags.length} ECR tags changed`] : []),
    ],
  }));
  const broken = noOp.filter((x) => x.problems.length);
  results.push({
    target: 'no-op passes: every image checked CURRENT, no ECR tag added or moved',
    ok: broken.length === 0,
    observed: broken.length
      ? broken.map((x) => `${x.p.kind} N=${x.p.images}: ${x.problems.join(', ')}`).join('; ')
      : `${passes.length} passes, ${passes.reduce((n, p) => n + p.current.length, 0)} checks, all current`,
  });

  const { images: coldN, seconds: coldLimit } = TARGETS.noOpColdSeconds;
  const cold = r.bySize.find((s) => s.images === coldN)?.cold;
  results.push({
    target: `no-op pass, cache wiped, N=${coldN}: ≤ ${coldLimit} s`,
    ok: cold ? cold.seconds <= coldLimit : undefined,
    observed: cold ? `${cold.seconds.toFixed(1)} s` : `not measured (sizes ${r.sizes.join(', ')})`,
  });

  const worstRequests = maxBy(passes, (p) => p.registryRequestsPerImage);
  const worstApi = maxBy(passes, (p) => p.ecrApiCallsPerImage);
  const worstTotal = maxBy(passes, (p) => p.totalRequestsPerImage);
  results.push({
    target:
      `≤ ${TARGETS.registryRequestsPerImage} registry requests per image in every no-op pass (upstream registry via :5005 + ECR registry :5002; ` +
      `ECR API calls :5003 reported beside)`,
    ok: worstRequests ? worstRequests.registryRequestsPerImage <= TARGETS.registryRequestsPerImage : undefined,
    observed: worstRequests
      ? `worst ${worstRequests.registryRequestsPerImage}/image (${worstRequests.kind} N=${worstRequests.images}: ` +
        `${worstRequests.requests.upstream} upstream + ${worstRequests.requests.ecrRegistry} ECR registry); ` +
        `ECR API worst ${worstApi!.ecrApiCallsPerImage}/image; all three worst ${worstTotal!.totalRequestsPerImage}/image`
      : 'no pass measured',
  });

  const bytes = maxBy(passes, (p) => p.blobBytes);
  results.push({
    target: `${TARGETS.blobBytes} blob bytes from the registries in every no-op pass`,
    ok: bytes ? bytes.blobBytes <= TARGETS.blobBytes : undefined,
    observed: bytes ? `worst ${bytes.blobBytes} bytes (${bytes.kind} N=${bytes.images})` : 'no pass measured',
  });

  results.push({
    target: 'warm cache faster than cache wiped, at every N',
    ok: r.bySize.length ? r.bySize.every((s) => s.warm.seconds < s.cold.seconds) : undefined,
    observed:
      r.bySize.map((s) => `N=${s.images}: ${s.warm.seconds.toFixed(1)} s < ${s.cold.seconds.toFixed(1)} s`).join('; ') ||
      'no pass measured',
  });

  const change = r.baseChange;
  results.push({
    target: 'one base changed: exactly the images FROM it get a new version',
    ok: change ? change.exact : undefined,
    observed: change
      ? `${change.rebuilt.length} rebuilt, ` +
        `${change.expected.length} expected${change.exact ? '' : ` (unexpected: ${change.rebuilt.filter((p) => !change.expected.includes(p)).join(', ') || 'none'}; missing: ${change.expected.filter((p) => !change.rebuilt.includes(p)).join(', ') || 'none'})`}`
      : 'not measured',
  });

  results.push({
    target: `one stale image: product / floor ≤ ${TARGETS.productOverFloor}`,
    ok: r.floor ? r.floor.ratio <= TARGETS.productOverFloor : undefined,
    observed: r.floor
      ? `${r.floor.ratio} (${r.floor.product.seconds.toFixed(1)} s / ${r.floor.manual.seconds.toFixed(1)} s)`
      : 'not measured',
  });

  const { images: seedN, ratio: seedRatio } = TARGETS.seedOverOurs;
  const seedAt = r.bySize.find((s) => s.images === seedN);
  results.push({
    target: `seed's catalog check / our check ≥ ${seedRatio} at N=${seedN} (both in this process, same images, same run)`,
    ok: seedAt?.seedRatio !== undefined ? seedAt.seedRatio >= seedRatio : undefined,
    observed:
      seedAt?.seedRatio !== undefined
        ? `${seedAt.seedRatio} (${seedAt.seed.seconds!.toFixed(1)} s / ${seedAt.ourCheck!.seconds.toFixed(2)} s); ` +
          `against our whole cache-wiped no-op pass (Nx and all five steps): ${seedAt.seedOverPass} (${seedAt.cold.seconds.toFixed(1)} s)`
        : seedAt
          ? `not measured: ${seedAt.seed.skipped ?? seedAt.seed.error}`
          : `not measured (sizes ${r.sizes.join(', ')})`,
  });

  const runs = measuredRuns(r);
  const peak = maxBy(runs, (x) => x.memory.processMB);
  const tree = maxBy(runs, (x) => x.memory.treeMB);
  results.push({
    target: `peak RSS ≤ ${TARGETS.peakRssMB} MB (largest single process of the nx process tree, VmHWM, over every measured run)`,
    ok: peak ? peak.memory.processMB <= TARGETS.peakRssMB : undefined,
    observed: peak
      ? `${peak.memory.processMB} MB (${peak.memory.process}, ${peak.what}); largest tree sum ${tree!.memory.treeMB} MB (${tree!.what})`
      : 'not measured',
  });
  return results;
}

export function verdict(t: TargetResult): string {
  return t.ok === undefined ? 'N/A ' : t.ok ? 'PASS' : 'FAIL';
}

// ---------------------------------------------------------------------------------------------------------
// Table

function perImage(p: PassFigures): string {
  const n = p.images;
  return `${fmt(p.requests.upstream / n)} · ${fmt(p.requests.ecrRegistry / n)} · ${fmt(p.requests.ecrApi / n)}`;
}

function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

export const TABLE_HEADER = [
  'N',
  'no-op cold s',
  'no-op warm s',
  'cold req/image (MCR · ECR reg · ECR API)',
  'warm req/image',
  'blob bytes (cold/warm)',
  'our check s',
  'seed s',
  'seed/our check',
  'peak RSS MB (process / tree)',
];

export function tableRows(r: BenchResult): string[][] {
  return r.bySize.map((s) => {
    const memory = [s.cold.memory, s.warm.memory];
    return [
      String(s.images),
      s.cold.seconds.toFixed(1),
      s.warm.seconds.toFixed(1),
      perImage(s.cold),
      perImage(s.warm),
      `${s.cold.blobBytes} / ${s.warm.blobBytes}`,
      s.ourCheck ? s.ourCheck.seconds.toFixed(2) : '–',
      s.seed.seconds !== undefined ? s.seed.seconds.toFixed(1) : s.seed.error ? 'error' : '–',
      s.seedRatio !== undefined ? s.seedRatio.toFixed(1) : '–',
      `${Math.max(...memory.map((m) => m.processMB))} / ${Math.max(...memory.map((m) => m.treeMB))}`,
    ];
  });
}

export function consoleTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

function markdownTable(header: string[], rows: string[][]): string {
  const escape = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${header.map(escape).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

/** The lines printed after the table: base change, floor, setup. */
export function details(r: BenchResult): string[] {
  const lines: string[] = [];
  const c = r.baseChange;
  if (c) {
    lines.push(
      `one base changed (${c.base} → ${c.newDigest.slice(0, 19)}…) among N=${c.images}: rebuilt ${c.rebuilt.length}, ` +
        `expected ${c.expected.length}, ${c.exact ? 'exact' : 'NOT exact'}; ${c.seconds.toFixed(1)} s, ${c.imagesPerHour} images/hour`,
    );
    lines.push(
      `  that pass: ${perImage(c.pass)} requests/image (MCR · ECR reg · ECR API), ` +
        `${c.pass.blobBytes} blob bytes, peak RSS ${c.pass.memory.processMB} MB / tree ${c.pass.memory.treeMB} MB`,
    );
  }
  if (r.floor) lines.push(...floorLines(r.floor));
  for (const { images, seed } of r.bySize.filter((s) => s.seed.seconds !== undefined)) {
    lines.push(
      `seed's catalog check at N=${images}: ${seed.seconds!.toFixed(1)} s, would rebuild ${seed.stale} and skip ${seed.current}, ` +
        `${seed.requests} requests, ${(seed.bytes! / 1e6).toFixed(1)} MB downloaded`,
    );
  }
  lines.push(
    `setup: ${r.setup.images} images published once in ${(r.setup.seconds / 60).toFixed(1)} min (bases pushed in ${r.setup.basesSeconds.toFixed(1)} s)`,
  );
  return lines;
}

/** The floor comparison: its (median) round, where the product's time went, and every round when it ran more than once. */
export function floorLines(f: FloorFigures): string[] {
  const lines = [
    `floor: ${f.image} rebuilt, tested and pushed: product ${f.product.seconds.toFixed(1)} s, ` +
      `Docker by hand ${f.manual.seconds.toFixed(1)} s, ratio ${f.ratio}${f.rounds ? ` (median of ${f.rounds.length} rounds)` : ''}`,
  ];
  if (f.testAppBuild)
    lines.push(
      `test app ${f.testAppBuild.app} (real .NET, framework-dependent): first build ${f.testAppBuild.firstSeconds.toFixed(1)} s with nothing cached, ` +
        `repeat ${f.testAppBuild.repeatSeconds.toFixed(1)} s (restore and publish layers reused)`,
    );
  if (f.product.phases) lines.push(`  product: ${f.product.phases.map((p) => `${p.phase} ${p.seconds.toFixed(1)} s`).join(', ')}`);
  lines.push(`  by hand: ${f.manual.steps.map((s) => `${s.step} ${s.seconds.toFixed(1)} s`).join(', ')}`);
  for (const [i, round] of (f.rounds ?? []).entries()) {
    lines.push(
      `  round ${i + 1}: product ${round.product.seconds.toFixed(1)} s, by hand ${round.manual.seconds.toFixed(1)} s, ratio ${round.ratio}`,
    );
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------------------
// Chart and page

export function noOpChart(r: BenchResult): string {
  const series = [
    { name: 'no-op, cache wiped', points: r.bySize.map((s) => ({ x: s.images, y: s.cold.seconds })) },
    { name: 'no-op, warm cache', points: r.bySize.map((s) => ({ x: s.images, y: s.warm.seconds })) },
  ];
  const seed = r.bySize.filter((s) => s.seed.seconds !== undefined).map((s) => ({ x: s.images, y: s.seed.seconds! }));
  if (seed.length) series.push({ name: "seed's catalog check alone", points: seed });
  const ours = r.bySize.filter((s) => s.ourCheck).map((s) => ({ x: s.images, y: s.ourCheck!.seconds }));
  if (ours.length) series.push({ name: 'our check alone', points: ours });
  return lineChartSvg({
    title: 'No-op pass time by number of platform images',
    xLabel: 'platform images (N)',
    yLabel: 'wall time (s)',
    series,
    target: {
      y: TARGETS.noOpColdSeconds.seconds,
      label: `target: ${TARGETS.noOpColdSeconds.seconds} s at N=${TARGETS.noOpColdSeconds.images}`,
    },
  });
}

export function markdownPage(r: BenchResult, targets: TargetResult[], chartFile: string): string {
  const m = r.machine;
  return [
    '# Benchmark',
    '',
    `Measured ${r.finishedAt.slice(0, 16).replace('T', ' ')} UTC on ${m.cpus} cores, ` +
      `${m.memoryGB} GB, Node ${m.node}, Docker ${m.docker} (${m.builder} builder), ` +
      `against the local stack (tools/local-stack). Reproduce: \`npm run bench\` (\`--sizes=${r.sizes.join(',')}\`).`,
    '',
    '## Targets',
    '',
    ...targets.map((t) => `- **${verdict(t).trim()}** ${t.target}: ${t.observed}`),
    '',
    '## No-op passes',
    '',
    'Every image current; `nx run-many -t publish`, `NX_DAEMON=false`, `NX_ISOLATE_PLUGINS=false` (as `npm run local` and the Azure templates run it), the plugin compiled (`npm run build:plugin`), the local profile. *Cold*: `.nx/cache`, `.nx/workspace-data` and `dist` removed first, ' +
      "as on a fresh agent. *Warm*: right after, cache kept. Requests are what the stack's counting services received during the pass, divided by N: " +
      'the upstream registry (MCR, through the counting proxy on :5005), the ECR registry (:5002) and the ECR API (:5003); blob bytes are blob bodies served by the two registries.',
    '',
    markdownTable(TABLE_HEADER, tableRows(r)),
    '',
    `![No-op pass time by N](${chartFile})`,
    '',
    '## Changes and the floor',
    '',
    ...details(r).map((l) => (l.startsWith('  ') ? `  - ${l.trim()}` : `- ${l}`)),
    '',
    "The floor image is a hardened one (OS packages from the Debian mirror, a company CA, an unprivileged user) on the .NET 8 runtime stand-in, tested with the real .NET test app `integration-tests/net8-runtime` (built with the SDK on the sdk stand-in, run on the rebuilt image's own .NET), so its rebuild weighs what real rebuilds weigh; the 200 no-op images are three-line Dockerfiles tested with busybox stand-ins. The floor is the same rebuild done with Docker commands by hand in the same run and engine, with the builder the product uses: " +
      'docker build of the platform image FROM the new base digest, docker build of the test app FROM it, docker run, the HTTP request the test app expects, ' +
      'docker rm -f, docker login (password fetched beforehand, not timed), docker tag and docker push to the ECR registry.' +
      " Each round bumps the base first, for the product and again for the commands by hand; `--repeat=K` runs K rounds and reports the median, and `npm run bench -- --only=floor` runs only this comparison (3 rounds) with the product's time by phase (Nx's start-up, each step including the start of the process it runs in, Nx's exit).",
    '',
    `All figures: \`bench.json\`. Memory: the nx process and every descendant, /proc VmRSS and VmHWM sampled every 100 ms.`,
    '',
  ].join('\n');
}
