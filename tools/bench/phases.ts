/**
 * The benchmark's steps, each a real `nx` run (or the seed's check, or Docker by hand) against the local
 * stack, measured the same way: wall time, the stack's request counters, the process tree's memory, and what
 * ECR holds before and after.
 */
import { manualRebuild, testAppBuildTimes, type FloorRun, type TestAppBuildTimes } from './floor';
import { runNx, timed, type MemoryPeak, type TimedRun } from './measure';
import {
  changedTags,
  COUNTED_SERVICES,
  ecrPassword,
  ECR_ENDPOINT,
  LOCAL_ENV,
  pushBase,
  readStats,
  REGION,
  resetStats,
  tagListing,
  TEAMS_SINK,
  type CountedService,
  type ServiceStats,
  type StackStats,
  type TagListing,
} from './stack';
import { seedCatalogCheck, type SeedImage } from './seed-check';
import { addImage, chainProgress, checkOutcomes, MCR_MIRROR, wipeNxState, type BenchImage } from './workspace';

export interface BenchWorkspace {
  root: string;
  images: BenchImage[];
  /** Teams cards of this bench run go to their own webhook path on the sink. */
  webhookPath: string;
}

function nxEnv(ws: BenchWorkspace): Record<string, string> {
  return { ...LOCAL_ENV, TEAMS_WEBHOOK_URI: `${TEAMS_SINK}${ws.webhookPath}` };
}

function repositoriesOf(images: BenchImage[]): string[] {
  return [...new Set(images.map((i) => i.ecrRepository))];
}

function failed(what: string, run: TimedRun): Error {
  return new Error(`${what} failed (exit ${run.code}) after ${run.seconds.toFixed(1)}s:\n${run.output.slice(-8000)}`);
}

// ---------------------------------------------------------------------------------------------------------
// Setup: every image published once

export interface SetupFigures {
  images: number;
  seconds: number;
  memory: MemoryPeak;
}

/** Publishes every image of `ws` (first publish: build, test, push, card), two tasks at a time. */
export async function publishAll(ws: BenchWorkspace, log: (line: string) => void): Promise<SetupFigures> {
  // A first publish of 200 images takes a while: say how far it got, from the step records, twice a minute.
  const progress = setInterval(() => {
    const done = Object.entries(chainProgress(ws.root, ws.images));
    log(`  setup: ${done.map(([step, count]) => `${count} ${step}`).join(', ')} of ${ws.images.length}`);
  }, 30_000);
  let run: TimedRun;
  try {
    run = await runNx(ws.root, ['run-many', '-t', 'publish', '--parallel=2'], nxEnv(ws));
  } finally {
    clearInterval(progress);
  }
  if (run.code !== 0) throw failed(`publishing the ${ws.images.length} images`, run);
  return { images: ws.images.length, seconds: run.seconds, memory: run.memory };
}

// ---------------------------------------------------------------------------------------------------------
// One pass of `nx run-many -t publish`

export type PassKind = 'no-op cold' | 'no-op warm' | 'one base changed';

export interface PassFigures {
  kind: PassKind;
  images: number;
  seconds: number;
  exitCode: number;
  /** Requests each counted service received during the pass. */
  requests: Record<CountedService, number>;
  byKind: Record<CountedService, Record<string, number>>;
  /** (upstream registry + ECR registry requests) / images: the registry requests the target bounds. */
  registryRequestsPerImage: number;
  /** ECR API calls / images, reported beside the registry requests. */
  ecrApiCallsPerImage: number;
  /** Every counted request / images. */
  totalRequestsPerImage: number;
  /** Blob bytes served by the upstream and ECR registries. */
  blobBytes: number;
  memory: MemoryPeak;
  /** Projects whose mcr-check found them current / stale, and those that left no check record. */
  current: string[];
  stale: string[];
  unchecked: string[];
  /** `repository:tag` added or moved in ECR during the pass. */
  changedTags: string[];
}

function figuresFrom(
  kind: PassKind,
  ws: BenchWorkspace,
  run: TimedRun,
  stats: StackStats,
  before: TagListing,
  after: TagListing,
): PassFigures {
  const n = ws.images.length;
  const services = Object.keys(COUNTED_SERVICES) as CountedService[];
  const perService = <T>(pick: (s: ServiceStats) => T) =>
    Object.fromEntries(services.map((s) => [s, pick(stats[s])])) as Record<CountedService, T>;
  const requests = perService((s) => s.requests);
  const byKind = perService((s) => s.byKind);
  return {
    kind,
    images: n,
    seconds: round(run.seconds, 2),
    exitCode: run.code,
    requests,
    byKind,
    registryRequestsPerImage: round((requests.upstream + requests.ecrRegistry) / n, 3),
    ecrApiCallsPerImage: round(requests.ecrApi / n, 3),
    totalRequestsPerImage: round((requests.upstream + requests.ecrRegistry + requests.ecrApi) / n, 3),
    blobBytes: stats.upstream.blobBytes + stats.ecrRegistry.blobBytes,
    memory: run.memory,
    ...checkOutcomes(ws.root, ws.images),
    changedTags: changedTags(before, after),
  };
}

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * `nx run-many -t publish` over the whole workspace. Cold: as on a fresh agent, no Nx cache, no project
 * graph cache, no records. The counters are reset right before and read right after, and ECR is listed
 * outside that window, so the listing's own calls are not counted.
 */
export async function runPass(kind: PassKind, ws: BenchWorkspace, options: { wipe: boolean }): Promise<PassFigures> {
  const repositories = repositoriesOf(ws.images);
  const before = await tagListing(repositories);
  if (options.wipe) wipeNxState(ws.root);
  await resetStats();
  const run = await runNx(ws.root, ['run-many', '-t', 'publish'], nxEnv(ws));
  const stats = await readStats();
  const after = await tagListing(repositories);
  if (run.code !== 0) throw failed(`${kind} pass over ${ws.images.length} images`, run);
  return figuresFrom(kind, ws, run, stats, before, after);
}

/** Whether a no-op pass was one: every image checked current, nothing published. */
export function noOpProblems(pass: PassFigures): string[] {
  const problems: string[] = [];
  if (pass.stale.length) problems.push(`${pass.stale.length} image(s) found stale: ${pass.stale.slice(0, 5).join(', ')}`);
  if (pass.unchecked.length)
    problems.push(`${pass.unchecked.length} image(s) left no check record: ${pass.unchecked.slice(0, 5).join(', ')}`);
  if (pass.changedTags.length) problems.push(`ECR tags changed: ${pass.changedTags.slice(0, 5).join(', ')}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// One base changed

export interface BaseChangeFigures {
  images: number;
  base: string;
  newDigest: string;
  /** Projects FROM the moved base: these, and only these, must get a new version. */
  expected: string[];
  /** Projects that got a new version tag in ECR during the pass. */
  rebuilt: string[];
  exact: boolean;
  seconds: number;
  imagesPerHour: number;
  pass: PassFigures;
}

function versionTagPattern(img: BenchImage): RegExp {
  return new RegExp(`^${img.name}-\\d+\\.\\d+\\.\\d+$`);
}

/** Images that got a new version tag between two listings (what ECR says, not what the product logged). */
export function imagesWithNewVersions(images: BenchImage[], before: TagListing, after: TagListing): string[] {
  return images
    .filter((img) => {
      const old = before.get(img.ecrRepository) ?? new Map();
      return [...(after.get(img.ecrRepository)?.keys() ?? [])].some((tag) => versionTagPattern(img).test(tag) && !old.has(tag));
    })
    .map((img) => img.project);
}

/** Microsoft rebuilds one base: only the images FROM it must be rebuilt, tested and published. */
export async function oneBaseChanged(ws: BenchWorkspace, baseTag: string): Promise<BaseChangeFigures> {
  const base = ws.images.find((img) => img.base.tag === baseTag)!.base;
  const expected = ws.images.filter((img) => img.base.tag === baseTag).map((img) => img.project);
  const repositories = repositoriesOf(ws.images);
  const before = await tagListing(repositories);
  const newDigest = await pushBase(base);
  const pass = await runPass('one base changed', ws, { wipe: true });
  const rebuilt = imagesWithNewVersions(ws.images, before, await tagListing(repositories));
  const exact = rebuilt.length === expected.length && rebuilt.every((p) => expected.includes(p));
  return {
    images: ws.images.length,
    base: `${base.repository}:${base.tag}`,
    newDigest,
    expected,
    rebuilt,
    exact,
    seconds: pass.seconds,
    imagesPerHour: round((rebuilt.length / pass.seconds) * 3600, 0),
    pass,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Floor: one stale image through the product vs the same Docker commands by hand

/** A stretch of one product run: Nx starting, one step of the chain, Nx finishing. */
export interface ProductPhase {
  phase: string;
  seconds: number;
}

export interface FloorProduct {
  seconds: number;
  exitCode: number;
  memory: MemoryPeak;
  published: string[];
  /** Where its time went, by the tasks Nx started (see productPhases). */
  phases?: ProductPhase[];
}

/** One rebuild of the floor image through the product, and the same rebuild by hand right after it. */
export interface FloorRound {
  product: FloorProduct;
  manual: FloorRun;
  /** product seconds / manual seconds. */
  ratio: number;
}

export interface FloorFigures {
  image: string;
  /** The round with the median ratio (the only one when the floor ran once). */
  product: FloorProduct;
  manual: FloorRun;
  /** product seconds / manual seconds. */
  ratio: number;
  /** Every round, in the order they ran, when more than one ran (`--repeat`). */
  rounds?: FloorRound[];
  /** The floor's real .NET test app built with nothing cached, then again. */
  testAppBuild?: TestAppBuildTimes;
}

/**
 * `> nx run <project>:<target>`: Nx prints it when it starts a task alone, and above each task's output when
 * the task ends (for a batch of several tasks it prints `Running N tasks with <executor>` when it starts them).
 */
const TASK_MARKER = /^> nx run [^:\s]+:(\S+)/;
const BATCH_START = /^\s*NX\s+Running \d+ tasks with /;

/**
 * A product run's time by phase, from its output lines and when each arrived: `nx start-up` until Nx starts
 * the first task, each step from the end of the one before (or the start-up) until Nx prints its output (the
 * last `> nx run` line naming it: so a step's share includes starting the process it runs in), and `nx finish`
 * from the last step's output until the process ended. The phases add up to the run's time.
 */
export function productPhases(lines: Array<{ seconds: number; line: string }>, totalSeconds: number): ProductPhase[] {
  let firstTask: number | undefined;
  const ends = new Map<string, number>();
  for (const { seconds, line } of lines) {
    const target = TASK_MARKER.exec(line)?.[1];
    if ((target || BATCH_START.test(line)) && firstTask === undefined) firstTask = seconds;
    // Map order is first appearance: the chain's order. A later line of the same target moves its end on.
    if (target) ends.set(target, seconds);
  }
  if (firstTask === undefined) return [{ phase: 'nx', seconds: totalSeconds }];
  const phases: ProductPhase[] = [{ phase: 'nx start-up', seconds: firstTask }];
  let last = firstTask;
  for (const [target, end] of ends) {
    phases.push({ phase: target, seconds: end - last });
    last = end;
  }
  phases.push({ phase: 'nx finish', seconds: totalSeconds - last });
  return phases;
}

/**
 * Adds `img` to the workspace and publishes it once (not timed). It is alone on its base, so bumping the base
 * makes it the only stale image.
 */
export async function prepareFloor(ws: BenchWorkspace, img: BenchImage): Promise<void> {
  addImage(ws.root, img);
  const first = await runNx(ws.root, ['run', `${img.project}:publish`], nxEnv(ws));
  if (first.code !== 0) throw failed(`first publish of ${img.project}`, first);
}

/**
 * One round: the base bumped, `nx run <img>:publish` timed; the base bumped again and the same rebuild done
 * by hand, so both build on a new base digest.
 */
export async function floorRound(ws: BenchWorkspace, img: BenchImage): Promise<FloorRound> {
  const repositories = [img.ecrRepository];
  await pushBase(img.base);
  const before = await tagListing(repositories);
  const lines: Array<{ seconds: number; line: string }> = [];
  const run = await runNx(ws.root, ['run', `${img.project}:publish`], nxEnv(ws), {
    onLine: (line, seconds) => lines.push({ seconds, line }),
  });
  if (run.code !== 0) throw failed(`nx run ${img.project}:publish`, run);
  const afterProduct = await tagListing(repositories);
  const published = imagesWithNewVersions([img], before, afterProduct);
  if (published.length !== 1)
    throw new Error(`floor: nx run ${img.project}:publish published no new version of it:\n${run.output.slice(-4000)}`);

  await pushBase(img.base);
  const password = await ecrPassword();
  const manual = await manualRebuild(ws.root, img, { password, pushTag: `manual-${Date.now()}` });
  return {
    product: {
      seconds: round(run.seconds, 2),
      exitCode: run.code,
      memory: run.memory,
      published: changedTags(before, afterProduct),
      phases: productPhases(lines, run.seconds).map((p) => ({ ...p, seconds: round(p.seconds, 2) })),
    },
    manual: { ...manual, seconds: round(manual.seconds, 2), steps: manual.steps.map((s) => ({ ...s, seconds: round(s.seconds, 2) })) },
    ratio: round(run.seconds / manual.seconds, 2),
  };
}

/** The floor comparison: `img` prepared, then `rounds` rounds; the figures are the median round's, with every round beside. */
export async function floorComparison(
  ws: BenchWorkspace,
  img: BenchImage,
  options: { rounds?: number; log?: (line: string) => void } = {},
): Promise<FloorFigures> {
  await prepareFloor(ws, img);
  const testAppBuild = testAppBuildTimes(ws.root, img);
  options.log?.(
    `  test app ${testAppBuild.app}: first build ${testAppBuild.firstSeconds.toFixed(1)} s (nothing cached), repeat ${testAppBuild.repeatSeconds.toFixed(1)} s`,
  );
  const rounds: FloorRound[] = [];
  for (let i = 0; i < (options.rounds ?? 1); i++) {
    const r = await floorRound(ws, img);
    options.log?.(
      `  round ${i + 1}: product ${r.product.seconds.toFixed(1)} s, by hand ${r.manual.seconds.toFixed(1)} s, ratio ${r.ratio}`,
    );
    rounds.push(r);
  }
  const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor((rounds.length - 1) / 2)];
  return {
    image: img.project,
    product: median.product,
    manual: median.manual,
    ratio: median.ratio,
    testAppBuild,
    ...(rounds.length > 1 ? { rounds } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The seed pipeline's catalog check

export interface SeedFigures {
  images: number;
  seconds?: number;
  stale?: number;
  current?: number;
  requests?: number;
  bytes?: number;
  /** What the stack's counters saw during the seed's check (an independent count). */
  countedRequests?: number;
  countedBlobBytes?: number;
  /** Why it was not measured, when it was not. */
  skipped?: string;
  error?: string;
}

/** The seed pipeline's check over the same images, through the same counting proxy; its verdicts are its own (it compares days). */
export async function seedCheck(images: BenchImage[]): Promise<SeedFigures> {
  const seedImages: SeedImage[] = images.map((img) => ({
    project: img.project,
    baseRepository: img.base.repository,
    baseTag: img.base.tag,
    ecrRepository: img.ecrRepository,
  }));
  await resetStats();
  try {
    const { value, seconds } = await timed(() =>
      seedCatalogCheck(seedImages, { catalogUrl: MCR_MIRROR, ecrEndpoint: ECR_ENDPOINT, region: REGION }),
    );
    const stats = await readStats();
    return {
      images: images.length,
      seconds: round(seconds, 2),
      stale: value.stale.length,
      current: value.current.length,
      requests: value.requests,
      bytes: value.bytes,
      countedRequests: stats.upstream.requests + stats.ecrRegistry.requests + stats.ecrApi.requests,
      countedBlobBytes: stats.upstream.blobBytes + stats.ecrRegistry.blobBytes,
    };
  } catch (err) {
    return { images: images.length, error: (err as Error).message };
  }
}
