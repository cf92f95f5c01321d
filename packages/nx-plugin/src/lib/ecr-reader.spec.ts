import { Coalescer, memoize } from './coalescer';
import type { Ecr, EcrRepository, StoredManifest } from './ecr';
import { EcrReader } from './ecr-reader';

const repo = (name: string): EcrRepository => ({
  name,
  uri: `r.example/${name}`,
  registryId: '1',
  registry: 'r.example',
  tagMutability: 'IMMUTABLE',
  mutableTagFilters: [],
});
const stored = (tag: string): StoredManifest => ({ digest: `sha256:${tag}`, manifest: `{"tag":"${tag}"}` });

function fakeEcr(existing: string[]) {
  const calls: string[] = [];
  const ecr = {
    findRepositories: jest.fn((names: string[]) => {
      calls.push(`DescribeRepositories ${names.join(',')}`);
      return Promise.resolve(new Map(names.map((n) => [n, existing.includes(n) ? repo(n) : undefined])));
    }),
    listImages: jest.fn((name: string) => {
      calls.push(`DescribeImages ${name}`);
      return Promise.resolve([{ digest: 'sha256:a', tags: [`${name}-1.0.0`] }]);
    }),
    getManifests: jest.fn((name: string, refs: string[]) => {
      calls.push(`BatchGetImage ${name} ${refs.join(',')}`);
      return Promise.resolve(new Map(refs.filter((r) => !r.startsWith('gone')).map((r) => [r, stored(r)])));
    }),
    login: jest.fn(() => Promise.resolve({ registry: 'r.example', username: 'AWS', password: 'p' })),
  };
  return { ecr: ecr as unknown as Ecr & typeof ecr, login: ecr.login, calls };
}

describe('EcrReader', () => {
  it('serves many checks with one call per kind of read and repository', async () => {
    const { ecr, calls } = fakeEcr(['a', 'b']);
    const reader = new EcrReader(ecr);
    // Eight checks of four images in two repositories, each asking as a check does.
    const check = async (name: string, tag: string) => {
      const r = await reader.repository(name);
      if (!r) return undefined;
      await reader.images(name);
      return reader.manifest(name, tag);
    };
    const answers = await Promise.all([
      check('a', 'x-1'),
      check('a', 'y-1'),
      check('b', 'x-1'),
      check('b', 'gone-1'),
      check('a', 'x-1'),
      check('a', 'y-1'),
      check('b', 'x-1'),
      check('missing', 'x-1'),
    ]);
    expect(answers).toEqual([
      stored('x-1'),
      stored('y-1'),
      stored('x-1'),
      undefined,
      stored('x-1'),
      stored('y-1'),
      stored('x-1'),
      undefined,
    ]);
    expect(calls).toEqual([
      'DescribeRepositories a,b,missing',
      'DescribeImages a',
      'DescribeImages b',
      'BatchGetImage a x-1,y-1',
      'BatchGetImage b x-1,gone-1',
    ]);
  });

  it('logs in once for the whole run', async () => {
    const { ecr, login } = fakeEcr([]);
    const reader = new EcrReader(ecr);
    await Promise.all([reader.login(), reader.login()]);
    await reader.login();
    expect(login).toHaveBeenCalledTimes(1);
  });
});

describe('Coalescer', () => {
  it('asks once for the keys asked for together, and once more for a key asked for later', async () => {
    const lookups: string[][] = [];
    const c = new Coalescer((keys: string[]) => {
      lookups.push(keys);
      return Promise.resolve(new Map(keys.filter((k) => k !== 'none').map((k) => [k, k.toUpperCase()])));
    }, 'missing');
    expect(await Promise.all([c.get('a'), c.get('b'), c.get('a'), c.get('none')])).toEqual(['A', 'B', 'A', 'missing']);
    expect(await c.get('c')).toBe('C');
    expect(await c.get('b')).toBe('B');
    expect(lookups).toEqual([['a', 'b', 'none'], ['c']]);
    expect(c.lookups).toBe(2);
  });

  it('hands a failed lookup to every caller that waited for it', async () => {
    const c = new Coalescer<string, string>(() => Promise.reject(new Error('throttled')), '');
    const results = await Promise.allSettled([c.get('a'), c.get('b')]);
    expect(results.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual(['throttled', 'throttled']);
  });
});

describe('memoize', () => {
  it('starts the work once per key and shares it', async () => {
    const fn = jest.fn((k: string) => Promise.resolve(k.length));
    const m = memoize(fn);
    expect(await Promise.all([m('ab'), m('ab'), m('abc')])).toEqual([2, 2, 3]);
    expect(fn.mock.calls).toEqual([['ab'], ['abc']]);
  });

  it('shares the work of arguments that make the same key', async () => {
    const fn = jest.fn((ref: { repository: string; tag: string }) => Promise.resolve(`${ref.repository}:${ref.tag}`));
    const m = memoize(fn, (ref) => `${ref.repository}:${ref.tag}`);
    expect(
      await Promise.all([
        m({ repository: 'runtime', tag: '8.0' }),
        m({ repository: 'runtime', tag: '8.0' }),
        m({ repository: 'sdk', tag: '8.0' }),
      ]),
    ).toEqual(['runtime:8.0', 'runtime:8.0', 'sdk:8.0']);
    expect(fn).toHaveBeenCalledTimes(2);
  });
});
