import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { batchOf, nxParallel, type TaskRuntime } from './run-step';

function taskGraph(projects: string[]): TaskGraph {
  const tasks = Object.fromEntries(
    projects.map((project) => [
      `${project}:docker-build`,
      {
        id: `${project}:docker-build`,
        target: { project, target: 'docker-build' },
        overrides: {},
        outputs: [],
        parallelism: true,
      },
    ]),
  );
  return { roots: Object.keys(tasks), tasks, dependencies: {}, continuousDependencies: {} };
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
    const run = batchOf<{ option: string }>(
      (options, ctx, runtime) => {
        seen.push({ project: ctx.projectName, option: options.option, runtime: runtime! });
        runtime!.write(`${ctx.projectName}: built`);
        return Promise.resolve({ success: ctx.projectName !== 'b' });
      },
      () => 10,
    );
    const graph = taskGraph(['a', 'b', 'c']);
    const results = await collect(
      run(
        graph,
        { 'a:docker-build': { option: 'x' }, 'b:docker-build': { option: 'y' }, 'c:docker-build': { option: 'z' } },
        { option: '' },
        context,
      ),
    );
    expect(seen.map((s) => [s.project, s.option])).toEqual([
      ['a', 'x'],
      ['b', 'y'],
      ['c', 'z'],
    ]);
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
    const run = batchOf<Record<string, never>>(
      (_o, ctx) => {
        if (ctx.projectName === 'a') return Promise.reject(new Error('engine gone'));
        return Promise.resolve({ success: true });
      },
      () => 1,
    );
    const results = await collect(run(taskGraph(['a', 'b']), {}, {}, context));
    expect(results.map((r) => [r.task, r.result.success])).toEqual([
      ['a:docker-build', false],
      ['b:docker-build', true],
    ]);
    expect(results[0].result.terminalOutput).toMatch(/^error: a: Error: engine gone\n\s+at /);
    expect(results[1].result.terminalOutput).toBe('');
  });
});

/**
 * How each Nx major writes a dependency in the task graph it hands a batch: Nx 22 the task's id, Nx 24 an edge
 * `{ id }` (nx 24.0.6 dist/src/native/index.d.ts: `dependencies: Record<string, Array<TaskGraphEdge>>`; its
 * tasks-schedule.js copies those edges into the batch's graph as they are).
 */
const EDGES = {
  'Nx 22 (ids)': (id: string): unknown => id,
  'Nx 24 (edges)': (id: string): unknown => ({ id }),
};
type EdgeShape = keyof typeof EDGES;

/** Each project's steps after the check, chained as the inferred targets chain them, all in one batch. */
function chainGraphOf(projects: string[], shape: EdgeShape): TaskGraph {
  const steps = ['docker-build', 'integration-test', 'ecr-publish', 'teams-notify'];
  const tasks: Record<string, unknown> = {};
  const dependencies: Record<string, unknown[]> = {};
  for (const project of projects) {
    steps.forEach((target, i) => {
      const id = `${project}:${target}`;
      tasks[id] = { id, target: { project, target }, overrides: {}, outputs: [], parallelism: true };
      dependencies[id] = i ? [EDGES[shape](`${project}:${steps[i - 1]}`)] : [];
    });
  }
  return { roots: projects.map((p) => `${p}:docker-build`), tasks, dependencies, continuousDependencies: {} } as unknown as TaskGraph;
}

describe.each(Object.keys(EDGES) as EdgeShape[])('batchOf, a chain of steps in one batch, dependencies as %s', (shape) => {
  const chainGraph = (projects: string[]): TaskGraph => chainGraphOf(projects, shape);

  it('starts a step only after the step before it succeeded, and finishes one image before starting the next', async () => {
    const started: string[] = [];
    const run = batchOf<Record<string, never>>(
      async (_o, ctx) => {
        started.push(`${ctx.projectName}:${ctx.targetName}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
        return { success: true };
      },
      () => 1,
    );
    const results = await collect(run(chainGraph(['a', 'b']), {}, {}, context));
    expect(started).toEqual([
      'a:docker-build',
      'a:integration-test',
      'a:ecr-publish',
      'a:teams-notify',
      'b:docker-build',
      'b:integration-test',
      'b:ecr-publish',
      'b:teams-notify',
    ]);
    expect(results.map((r) => r.result.status)).toEqual(Array(8).fill('success'));
  });

  it('reports the steps after a failed one skipped, without running them; other images go on', async () => {
    const started: string[] = [];
    const run = batchOf<Record<string, never>>((_o, ctx) => {
      started.push(`${ctx.projectName}:${ctx.targetName}`);
      return Promise.resolve({ success: !(ctx.projectName === 'a' && ctx.targetName === 'integration-test') });
    }, nxParallel);
    const results = await collect(run(chainGraph(['a', 'b']), {}, {}, context));
    expect(started.filter((t) => t.startsWith('a:'))).toEqual(['a:docker-build', 'a:integration-test']);
    expect(started.filter((t) => t.startsWith('b:'))).toEqual(['b:docker-build', 'b:integration-test', 'b:ecr-publish', 'b:teams-notify']);
    const byTask = Object.fromEntries(results.map((r) => [r.task, [r.result.status, r.result.success, r.result.terminalOutput]]));
    expect(byTask['a:integration-test']).toEqual(['failure', false, '']);
    expect(byTask['a:ecr-publish']).toEqual(['skipped', false, '']);
    expect(byTask['a:teams-notify']).toEqual(['skipped', false, '']);
    expect(results).toHaveLength(8);
  });

  it('a step that throws skips the steps after it too', async () => {
    const run = batchOf<Record<string, never>>(
      (_o, ctx) => {
        if (ctx.targetName === 'docker-build') return Promise.reject(new Error('engine gone'));
        return Promise.resolve({ success: true });
      },
      () => 2,
    );
    const results = await collect(run(chainGraph(['a']), {}, {}, context));
    expect(results.map((r) => [r.task, r.result.status])).toEqual([
      ['a:docker-build', 'failure'],
      ['a:integration-test', 'skipped'],
      ['a:ecr-publish', 'skipped'],
      ['a:teams-notify', 'skipped'],
    ]);
  });

  it('a dependency Nx completed before the batch (not in it) does not hold a task back', async () => {
    const graph = chainGraph(['a']);
    (graph.dependencies as Record<string, unknown[]>)['a:docker-build'] = [EDGES[shape]('a:mcr-check')];
    const results = await collect(
      batchOf<Record<string, never>>(
        () => Promise.resolve({ success: true }),
        () => 1,
      )(graph, {}, {}, context),
    );
    expect(results.map((r) => r.result.status)).toEqual(Array(4).fill('success'));
  });

  it('keeps to the limit across the steps of every image', async () => {
    let running = 0;
    let most = 0;
    const run = batchOf<Record<string, never>>(async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 3));
      running--;
      return { success: true };
    }, nxParallel);
    const results = await collect(run(chainGraph(['a', 'b', 'c']), {}, {}, context));
    expect(most).toBe(2);
    expect(results).toHaveLength(12);
  });
});

describe("batchOf: how Docker's output reaches the log", () => {
  it.each<[string, string[], number, string]>([
    ['two images side by side', ['a', 'b'], 2, 'blocks'],
    ['two images, one task at a time', ['a', 'b'], 1, 'stream'],
    ["one image's chain, however many at once", ['a'], 3, 'stream'],
  ])('%s: %s, limit %i → %s', async (_name, projects, limit, mode) => {
    const seen = new Set<string | undefined>();
    const run = batchOf<Record<string, never>>(
      (_o, _ctx, runtime) => {
        seen.add(runtime?.commandOutput);
        return Promise.resolve({ success: true });
      },
      () => limit,
    );
    await collect(run(chainGraphOf(projects, 'Nx 24 (edges)'), {}, {}, context));
    expect([...seen]).toEqual([mode]);
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
