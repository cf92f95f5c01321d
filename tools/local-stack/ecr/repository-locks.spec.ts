import { RepositoryLocks } from './repository-locks';

/** A promise and the function that settles it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('RepositoryLocks', () => {
  it('runs work on one repository one at a time, in the order it came', async () => {
    const locks = new RepositoryLocks();
    const events: string[] = [];
    const first = gate();
    const a = locks.run('app', async () => {
      events.push('a start');
      await first.promise;
      events.push('a end');
      return 'a';
    });
    const b = locks.run('app', () => {
      events.push('b');
      return Promise.resolve('b');
    });
    await flush();
    expect(events).toEqual(['a start']);
    first.open();
    await expect(Promise.all([a, b])).resolves.toEqual(['a', 'b']);
    expect(events).toEqual(['a start', 'a end', 'b']);
  });

  it('lets other repositories through while one is held', async () => {
    const locks = new RepositoryLocks();
    const held = gate();
    const a = locks.run('app', () => held.promise);
    await expect(locks.run('other', () => Promise.resolve('other'))).resolves.toBe('other');
    held.open();
    await a;
  });

  it('passes a failure to its caller and still runs what waited behind it', async () => {
    const locks = new RepositoryLocks();
    const failed = locks.run('app', () => Promise.reject(new Error('backend down')));
    const next = locks.run('app', () => Promise.resolve('next'));
    await expect(failed).rejects.toThrow('backend down');
    await expect(next).resolves.toBe('next');
  });

  it('forgets a repository once nothing is running or waiting for it', async () => {
    const locks = new RepositoryLocks();
    const held = gate();
    const a = locks.run('app', () => held.promise);
    expect(locks.held('app')).toBe(true);
    held.open();
    await a;
    await flush();
    expect(locks.held('app')).toBe(false);
  });
});
