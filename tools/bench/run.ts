/**
 * `npm run bench`: how the product scales with the number of platform images, against the local stack.
 *
 *   node -r @swc-node/register tools/bench/run.ts [--sizes=10,50,200] [--out=dist/bench] [--no-targets]
 *        [--no-seed] [--no-base-change] [--no-floor] [--repeat=1] [--keep]
 *   node -r @swc-node/register tools/bench/run.ts --only=floor [--repeat=3] [--sizes=200] [--out=…] [--keep]
 *   node -r @swc-node/register tools/bench/run.ts --clean=<bench id>     # what a --keep or failed run left
 *
 * 1. Pushes five upstream bases (and one for the floor image) into the MCR stand-in.
 * 2. Generates a workspace with the largest N images and publishes it once (the setup, timed but no target).
 * 3. For each N (a workspace with the first N of those images, already published): a no-op pass with the Nx
 *    cache wiped, then one with it warm; and the seed pipeline's catalog check over the same images.
 * 4. Moves one base among the largest N: exactly the images FROM it must be rebuilt.
 * 5. The floor: one stale image through the product vs the same Docker commands by hand.
 *    `--repeat=K` runs it K times (product, then by hand, each on a new base digest) and reports the median.
 * Then prints a table, writes bench.json, noop-time.svg and benchmark.md under --out, and exits non-zero when
 * a target fails (unless --no-targets).
 *
 * `--only=floor` runs step 5 alone, 3 rounds unless --repeat says otherwise, in a workspace of the largest N
 * images (generated, not published: Nx and the plugin still read them all, as in the full run) plus the floor
 * image; it prints each round with the product's time by phase, and writes floor.json under --out.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { resolveAutoBuilder } from './floor';
import { ourCheck } from './our-check';
import {
  floorComparison,
  noOpProblems,
  oneBaseChanged,
  publishAll,
  round,
  runPass,
  seedCheck,
  type BenchWorkspace,
  type FloorFigures,
} from './phases';
import {
  consoleTable,
  details,
  evaluateTargets,
  floorLines,
  markdownPage,
  noOpChart,
  TABLE_HEADER,
  tableRows,
  TARGETS,
  verdict,
  type BenchResult,
  type SizeFigures,
} from './report';
import { deleteBase, deleteRepositories, ensureStack, LOCAL_ENV, pushBase, removeLocalImages, repositoriesStartingWith } from './stack';
import {
  BASE_TAGS,
  baseRepository,
  floorImage,
  FLOOR_BASE_TAG,
  generateWorkspace,
  planImages,
  REPO_ROOT,
  type BaseRef,
  type BenchImage,
} from './workspace';

export interface BenchOptions {
  sizes: number[];
  seed: boolean;
  baseChange: boolean;
  floor: boolean;
  /** Rounds of the floor comparison (product, then by hand; 1 unless said); its figures are the median round's. */
  repeat?: number;
  /** When to leave the workspaces, ECR repositories and bases behind for a look at them. */
  keep: 'always' | 'on-failure' | 'never';
  log: (line: string) => void;
}

/** The base the "one base changed" pass moves. */
const CHANGED_BASE = 'c';

function machine(): BenchResult['machine'] {
  const dockerVersion = execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' }).trim();
  return {
    cpus: cpus().length,
    memoryGB: Math.round(totalmem() / 1e9),
    node: process.versions.node,
    docker: dockerVersion,
    builder: resolveAutoBuilder(),
  };
}

function workspaceFor(benchDir: string, benchId: string, images: BenchImage[]): BenchWorkspace {
  return { root: generateWorkspace(path.join(benchDir, `ws-${images.length}`), images), images, webhookPath: `/webhook/bench-${benchId}` };
}

async function measureSize(ws: BenchWorkspace, options: BenchOptions): Promise<SizeFigures> {
  const n = ws.images.length;
  options.log(`N=${n}: no-op pass, cache wiped`);
  const cold = await runPass('no-op cold', ws, { wipe: true });
  options.log(`N=${n}: no-op pass, warm cache`);
  const warm = await runPass('no-op warm', ws, { wipe: false });
  for (const pass of [cold, warm]) {
    const problems = noOpProblems(pass);
    if (problems.length) options.log(`  warning: the ${pass.kind} pass at N=${n} was not a no-op: ${problems.join('; ')}`);
  }
  const seed = options.seed ? await seedCheck(ws.images) : { images: n, skipped: '--no-seed' };
  if (seed.error) options.log(`  seed's catalog check failed: ${seed.error}`);
  const ours = options.seed ? await timeOurCheck(ws) : undefined;
  const seedRatio = seed.seconds !== undefined && ours ? round(seed.seconds / ours.seconds, 1) : undefined;
  const seedOverPass = seed.seconds !== undefined ? round(seed.seconds / cold.seconds, 1) : undefined;
  options.log(
    `  cold ${cold.seconds.toFixed(1)} s, warm ${warm.seconds.toFixed(1)} s, ${cold.registryRequestsPerImage} registry requests/image, ` +
      `our check ${ours?.seconds.toFixed(2) ?? '–'} s, seed ${seed.seconds?.toFixed(1) ?? '–'} s`,
  );
  return { images: n, cold, warm, seed, ourCheck: ours, seedRatio, seedOverPass };
}

/** The product's check alone over the workspace's images, as the mcr-check batch runs it. */
async function timeOurCheck(ws: BenchWorkspace): Promise<NonNullable<SizeFigures['ourCheck']>> {
  const result = await ourCheck(ws.root, Object.fromEntries(ws.images.map((img) => [img.project, img.root])), {
    ...process.env,
    ...LOCAL_ENV,
  });
  return { seconds: round(result.seconds, 3), stale: result.stale.length, current: result.current.length, failed: result.unchecked.length };
}

function benchDirOf(benchId: string): string {
  return path.join(tmpdir(), `platform-images-bench-${benchId}`);
}

function basesOf(benchId: string): BaseRef[] {
  return [...BASE_TAGS, FLOOR_BASE_TAG].map((tag) => ({ repository: baseRepository(benchId), tag }));
}

/** Removes what a bench run made: its workspaces, its ECR repositories and its upstream bases. */
export async function cleanUp(benchId: string): Promise<void> {
  rmSync(benchDirOf(benchId), { recursive: true, force: true });
  await deleteRepositories(await repositoriesStartingWith(`bench-${benchId}/`));
  for (const base of basesOf(benchId)) await deleteBase(base);
  removeLocalImages(baseRepository(benchId));
}

export async function runBenchmark(options: BenchOptions): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const sizes = [...new Set(options.sizes)].sort((a, b) => a - b);
  const largest = sizes[sizes.length - 1];
  ensureStack();

  const benchId = randomBytes(3).toString('hex');
  const benchDir = benchDirOf(benchId);
  mkdirSync(benchDir);
  const images = planImages(benchId, largest);
  const floor = floorImage(benchId);
  const bases = basesOf(benchId).filter((base) => options.floor || base.tag !== FLOOR_BASE_TAG);
  options.log(
    `bench ${benchId}: workspaces in ${benchDir}, ECR repositories bench-${benchId}/*, bases ${baseRepository(benchId)}:{${bases.map((b) => b.tag).join(',')}}`,
  );

  let succeeded = false;
  try {
    const basesStarted = Date.now();
    for (const base of bases) await pushBase(base);
    const basesSeconds = (Date.now() - basesStarted) / 1000;

    const full = workspaceFor(benchDir, benchId, images);
    options.log(`setup: publishing ${largest} images once (build, test, push), 2 at a time`);
    const setup = { ...(await publishAll(full, options.log)), basesSeconds: round(basesSeconds, 1) };
    options.log(`setup: done in ${(setup.seconds / 60).toFixed(1)} min`);

    const bySize: SizeFigures[] = [];
    for (const n of sizes)
      bySize.push(await measureSize(n === largest ? full : workspaceFor(benchDir, benchId, images.slice(0, n)), options));

    let baseChange;
    if (options.baseChange) {
      options.log(`N=${largest}: one base (:${CHANGED_BASE}) changed`);
      baseChange = await oneBaseChanged(full, CHANGED_BASE);
      options.log(`  rebuilt ${baseChange.rebuilt.length} (expected ${baseChange.expected.length}) in ${baseChange.seconds.toFixed(1)} s`);
    }

    let floorFigures;
    if (options.floor) {
      options.log(
        `floor: ${floor.project} (alone on :${FLOOR_BASE_TAG}) added and published, then its base bumped: product vs Docker by hand`,
      );
      floorFigures = await floorComparison(full, floor, { rounds: options.repeat, log: options.log });
      options.log(`  product ${floorFigures.product.seconds.toFixed(1)} s, by hand ${floorFigures.manual.seconds.toFixed(1)} s`);
    }

    succeeded = true;
    return {
      benchId,
      startedAt,
      finishedAt: new Date().toISOString(),
      machine: machine(),
      sizes,
      setup,
      bySize,
      baseChange,
      floor: floorFigures,
    };
  } finally {
    if (options.keep === 'always' || (options.keep === 'on-failure' && !succeeded)) {
      options.log(
        `left behind: ${benchDir}, ECR repositories bench-${benchId}/*, bases ${baseRepository(benchId)} (remove them: npm run bench -- --clean=${benchId})`,
      );
    } else {
      await cleanUp(benchId);
    }
  }
}

/** What `--only=floor` measured. */
export interface FloorOnlyResult {
  benchId: string;
  startedAt: string;
  finishedAt: string;
  machine: BenchResult['machine'];
  /** Images in the workspace beside the floor image (generated, never published). */
  images: number;
  floor: FloorFigures;
}

/** The floor comparison alone: no setup publish, no no-op passes, the floor image's base only. */
export async function runFloorOnly(options: Pick<BenchOptions, 'sizes' | 'repeat' | 'keep' | 'log'>): Promise<FloorOnlyResult> {
  const startedAt = new Date().toISOString();
  const images = Math.max(...options.sizes);
  ensureStack();
  const benchId = randomBytes(3).toString('hex');
  const benchDir = benchDirOf(benchId);
  mkdirSync(benchDir);
  const floor = floorImage(benchId);
  options.log(
    `bench ${benchId}: floor only, ${options.repeat ?? 1} round(s), workspace of ${images} images + ${floor.project} in ${benchDir}`,
  );
  let succeeded = false;
  try {
    await pushBase(floor.base);
    const ws = workspaceFor(benchDir, benchId, planImages(benchId, images));
    const figures = await floorComparison(ws, floor, { rounds: options.repeat, log: options.log });
    succeeded = true;
    return { benchId, startedAt, finishedAt: new Date().toISOString(), machine: machine(), images, floor: figures };
  } finally {
    if (options.keep === 'always' || (options.keep === 'on-failure' && !succeeded)) {
      options.log(
        `left behind: ${benchDir}, ECR repositories bench-${benchId}/*, bases ${baseRepository(benchId)} (remove them: npm run bench -- --clean=${benchId})`,
      );
    } else {
      await cleanUp(benchId);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Command line

interface CliOptions extends BenchOptions {
  out: string;
  targets: boolean;
  /** A bench id whose leftovers (from --keep or a failed run) to remove instead of benchmarking. */
  clean?: string;
  /** An earlier run's bench.json to draw the outputs from again. */
  report?: string;
  /** Run one part alone. */
  only?: 'floor';
}

function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = {
    sizes: [10, 50, 200],
    out: 'dist/bench',
    targets: true,
    seed: true,
    baseChange: true,
    floor: true,
    repeat: 1,
    keep: 'on-failure',
    log: (line) => console.log(line),
  };
  let repeat: number | undefined;
  for (const arg of argv) {
    const [flag, value] = arg.split(/=(.*)/s, 2);
    if (flag === '--sizes' && value) options.sizes = value.split(',').map(Number);
    else if (flag === '--out' && value) options.out = value;
    else if (flag === '--no-targets') options.targets = false;
    else if (flag === '--no-seed') options.seed = false;
    else if (flag === '--no-base-change') options.baseChange = false;
    else if (flag === '--no-floor') options.floor = false;
    else if (flag === '--keep') options.keep = 'always';
    else if (flag === '--repeat' && /^[1-9]\d*$/.test(value ?? '')) repeat = Number(value);
    else if (flag === '--only' && value === 'floor') options.only = 'floor';
    else if (flag === '--clean' && /^[0-9a-f]{6}$/.test(value ?? '')) options.clean = value;
    else if (flag === '--report' && value) options.report = value;
    else
      throw new Error(
        `unknown argument ${arg}; usage: ` +
          `run.ts [--sizes=10,50,200] [--out=dist/bench] [--no-targets] [--no-seed] [--no-base-change] [--no-floor] [--repeat=1] [--keep] | --only=floor [--repeat=3] [--sizes=200] | --clean=<bench id> | --report=<bench.json> [--out=…]`,
      );
  }
  // The floor alone is for comparing one change: several rounds by default, since one is easily disturbed.
  options.repeat = repeat ?? (options.only === 'floor' ? 3 : 1);
  if (!options.sizes.length || options.sizes.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`--sizes wants positive whole numbers, e.g. --sizes=10,50,200`);
  return options;
}

function writeOutputs(result: BenchResult, out: string, log: (line: string) => void): void {
  const dir = path.resolve(REPO_ROOT, out);
  mkdirSync(dir, { recursive: true });
  const targets = evaluateTargets(result);
  writeFileSync(path.join(dir, 'bench.json'), JSON.stringify({ ...result, targets }, null, 2) + '\n');
  writeFileSync(path.join(dir, 'noop-time.svg'), noOpChart(result));
  writeFileSync(path.join(dir, 'benchmark.md'), markdownPage(result, targets, 'noop-time.svg'));
  log(`written: ${path.relative(process.cwd(), dir)}/{bench.json,noop-time.svg,benchmark.md}`);
}

/** The floor alone: every round with the product's phases, floor.json under --out; non-zero when the median misses the target. */
async function floorOnly(options: CliOptions): Promise<void> {
  const result = await runFloorOnly(options);
  const { floor } = result;
  console.log('');
  for (const line of floorLines(floor)) console.log(line);
  const dir = path.resolve(REPO_ROOT, options.out);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'floor.json'), JSON.stringify(result, null, 2) + '\n');
  options.log(`written: ${path.relative(process.cwd(), dir)}/floor.json`);
  const ok = floor.ratio <= TARGETS.productOverFloor;
  console.log(`${ok ? 'PASS' : 'FAIL'} one stale image: product / floor ≤ ${TARGETS.productOverFloor}: median ${floor.ratio}`);
  if (!ok && options.targets) process.exitCode = 1;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.clean) return cleanUp(options.clean);
  if (options.only === 'floor') return floorOnly(options);
  // Draws the table, page and chart again from the figures of an earlier run, measuring nothing.
  const result = options.report ? (JSON.parse(readFileSync(options.report, 'utf8')) as BenchResult) : await runBenchmark(options);
  console.log('');
  console.log(consoleTable(TABLE_HEADER, tableRows(result)));
  console.log('');
  for (const line of details(result)) console.log(line);
  console.log('');
  const targets = evaluateTargets(result);
  for (const t of targets) console.log(`${verdict(t)} ${t.target}: ${t.observed}`);
  writeOutputs(result, options.out, options.log);
  const failed = targets.filter((t) => t.ok === false);
  if (failed.length && options.targets) {
    console.log(`${failed.length} target(s) failed`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`bench failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  });
}
