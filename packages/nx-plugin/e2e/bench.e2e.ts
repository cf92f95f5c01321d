/**
 * The benchmark (tools/bench) at a small size, for its deterministic targets only: with 10 images already
 * published, a no-op pass (cache wiped, then warm) finds every image current, publishes nothing, downloads no
 * blob and stays within the registry request bound; moving one base rebuilds exactly the images FROM it; the
 * floor comparison runs. Wall-clock targets are left to `npm run bench` on a quiet machine.
 */
import { runBenchmark } from '../../../tools/bench/run';
import type { PassFigures } from '../../../tools/bench/phases';
import { TARGETS, type BenchResult } from '../../../tools/bench/report';

jest.setTimeout(10 * 60_000);

const IMAGES = 10;
let result: BenchResult;

beforeAll(async () => {
  // Progress straight to stdout: the run takes minutes, and console.log inside Jest adds a stack line to each.
  result = await runBenchmark({
    sizes: [IMAGES],
    seed: false,
    baseChange: true,
    floor: true,
    keep: 'never',
    log: (line) => process.stdout.write(`${line}\n`),
  });
});

function noOpPasses(): PassFigures[] {
  const size = result.bySize.find((s) => s.images === IMAGES)!;
  return [size.cold, size.warm];
}

test('no-op passes, cache wiped and warm: every image checked CURRENT, no ECR tag added or moved', () => {
  for (const pass of noOpPasses()) {
    expect({ kind: pass.kind, stale: pass.stale, unchecked: pass.unchecked, changedTags: pass.changedTags }).toEqual({
      kind: pass.kind,
      stale: [],
      unchecked: [],
      changedTags: [],
    });
    expect(pass.current).toHaveLength(IMAGES);
  }
});

test('no-op passes download no blob from either registry', () => {
  for (const pass of noOpPasses())
    expect({ kind: pass.kind, blobBytes: pass.blobBytes }).toEqual({ kind: pass.kind, blobBytes: TARGETS.blobBytes });
});

test(`no-op passes send at most ${TARGETS.registryRequestsPerImage} registry requests per image (upstream + ECR registry)`, () => {
  for (const pass of noOpPasses()) {
    process.stdout.write(
      `${pass.kind}: requests ${JSON.stringify(pass.requests)}, ${pass.registryRequestsPerImage} registry requests/image\n`,
    );
    expect(pass.registryRequestsPerImage).toBeLessThanOrEqual(TARGETS.registryRequestsPerImage);
  }
});

test('one base changed: exactly the images FROM it get a new version in ECR', () => {
  const change = result.baseChange!;
  expect(change.expected).toHaveLength(IMAGES / 5);
  expect([...change.rebuilt].sort()).toEqual([...change.expected].sort());
  expect(change.exact).toBe(true);
});

test('floor: the product publishes one new version of the stale image, the Docker commands by hand push it too', () => {
  const floor = result.floor!;
  expect(floor.product.exitCode).toBe(0);
  expect(floor.product.published.filter((t) => /:img-floor-\d+\.\d+\.\d+$/.test(t))).toHaveLength(1);
  expect(floor.manual.steps.map((s) => s.step)).toHaveLength(5);
  expect(floor.ratio).toBeGreaterThan(0);
});
