import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { batchOf, nxParallel, type TaskRuntime } from './run-step';

function taskGraph(projects: string[]): TaskGraph {
  const tasks = Object.fromEntries(projects.map((project) => [`${project}:docker-build`, {
    id: `${project}:docker-build`,
    target: { project, target: 'docker-build' },
    overrides: {},
    outputs: [],
    parallelism: true,
  }]));
  return { roots: Object.keys(tasks), tasks, dependencies: {}, continuousDependencies: {} } as unknown as TaskGraph;
}

const context = { root: '/ws', cwd: '/ws', isVerbose: false, nxJsonConfiguration: { parallel: 2 } } as unknown as ExecutorContext;

async function collect<T>(results: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of results) out.push(r);
  return out;
}

describe('batchOf', () => {
  it('runs every task with its own project and options, one session for all, each output kept apart', async () => {
    const seen: Array<{ project?: string; option: string; runtime: TaskRuntime }> = [];
    const run = batchOf<{ option: string }>(async (options, ctx, runtime) => {
      seen.push({ project: ctx.projectName, option: options.option, runtime: runtime! });
      runtime!.write(`${ctx.projectName}: built`);
      return { success: ctx.projectName !== 'b' };
    }, () => 10);
    const graph = taskGraph(['a', 'b', 'c']);
    const results = await collect(run(graph, { 'a:docker-build': { option: 'x' }, 'b:docker-build': { option: 'y' }, 'c:docker-build': { option: 'z' } }, { option: '' }, context));
    expect(seen.map((s) => [s.project, s.option])).toEqual([['a', 'x'], ['b', 'y'], ['c', 'z']]);
    expect(new Set(seen.map((s) => s.runtime.session)).size).toBe(1);
    expect(results.map((r) => [r.task, r.result.success, r.result.terminalOutput]).sort()).toEqual([
      ['a:docker-build', true, 'a: built\n'],
      ['b:docker-build', false, 'b: built\n'],
      ['c:docker-build', true, 'c: built\n'],
    ]);
    for (const r of results) expect(r.result.endTime).toBeGreaterThanOrEqual(r.result.startTime);
  });

  it('never runs more tasks at once than the limit, and reports each as it ends', async () => {
    let running = 0;
    let most = 0;
    const finished: string[] = [];
    const run = batchOf<Record<string, never>>(async (_o, ctx) => {
      running++;
      most = Math.max(most, running);
      // Later projects finish first: results must come in the order tasks end, not the order they started.
      await new Promise((resolve) => setTimeout(resolve, ctx.projectName === 'a' ? 60 : 5));
      running--;
      finished.push(ctx.projectName!);
      return { success: true };
    }, nxParallel);
    const results = await collect(run(taskGraph(['a', 'b', 'c', 'd', 'e']), {}, {}, context));
    expect(most).toBe(2);
    expect(results.map((r) => r.task.split(':')[0])).toEqual(finished);
    expect(results).toHaveLength(5);
  });

  it('turns an executor that throws into that task failing with the reason (and, being unexpected, its stack), the others unaffected', async () => {
    const run = batchOf<Record<string, never>>(async (_o, ctx) => {
      if (ctx.projectName === 'a') throw new Error('engine gone');
      return { success: true };
    }, () => 1);
    const results = await collect(run(taskGraph(['a', 'b']), {}, {}, context));
    expect(results.map((r) => [r.task, r.result.success])).toEqual([['a:docker-build', false], ['b:docker-build', true]]);
    expect(results[0].result.terminalOutput).toMatch(/^error: a: Error: engine gone\n\s+at /);
    expect(results[1].result.terminalOutput).toBe('');
  });
});

describe('nxParallel', () => {
  it.each([
    [{ parallel: 2 }, 2],
    [{ parallel: '4' }, 4],
    [{}, 3],
    [undefined, 3],
  ])('%j → %i', (nxJson, expected) => {
    expect(nxParallel({ nxJsonConfiguration: nxJson } as unknown as ExecutorContext)).toBe(expected);
  });
});
