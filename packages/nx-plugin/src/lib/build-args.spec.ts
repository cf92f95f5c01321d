import { buildArgDigests, changedBuildArgs, decodeBuildArgDigests, encodeBuildArgDigests } from './build-args';

describe('buildArgDigests', () => {
  it('gives each build arg a digest of its name and value, never the value', () => {
    const digests = buildArgDigests({ TOKEN: 'hunter2-secret', TAG: '10.0-noble' });
    expect(Object.keys(digests)).toEqual(['TAG', 'TOKEN']);
    for (const digest of Object.values(digests)) expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(encodeBuildArgDigests(digests)).not.toContain('hunter2');
  });

  it.each<[string, Record<string, string>, Record<string, string>, boolean]>([
    ['the same name and value', { A: '1' }, { A: '1' }, true],
    ['another value', { A: '1' }, { A: '2' }, false],
    ['the value under another name', { A: '1' }, { B: '1' }, false],
    ['an empty value is a value', { A: '' }, { A: '' }, true],
  ])('%s', (_name, a, b, equal) => {
    expect(Object.values(buildArgDigests(a))[0] === Object.values(buildArgDigests(b))[0]).toBe(equal);
  });
});

describe('encodeBuildArgDigests / decodeBuildArgDigests', () => {
  it('round-trips, with keys in order whatever order they came in', () => {
    const text = encodeBuildArgDigests({ B: 'sha256:b', A: 'sha256:a' });
    expect(text).toBe('{"A":"sha256:a","B":"sha256:b"}');
    expect(decodeBuildArgDigests(text)).toEqual({ A: 'sha256:a', B: 'sha256:b' });
  });

  it.each<[string, string | undefined]>([
    ['absent', undefined],
    ['not JSON', '{A:'],
    ['a list', '["A"]'],
    ['a value that is not a string', '{"A":1}'],
  ])('reads %s as nothing recorded', (_name, text) => {
    expect(decodeBuildArgDigests(text)).toBeUndefined();
  });
});

describe('changedBuildArgs', () => {
  it.each<[string, Record<string, string>, Record<string, string>, string[]]>([
    ['nothing changed', { A: 'x', B: 'y' }, { B: 'y', A: 'x' }, []],
    ['a value changed', { A: 'x', B: 'y' }, { A: 'x', B: 'z' }, ['B']],
    ['one added, one removed', { A: 'x' }, { B: 'y' }, ['A', 'B']],
    ['none before', {}, { TAG: 'x' }, ['TAG']],
  ])('%s', (_name, published, current, expected) => {
    expect(changedBuildArgs(published, current)).toEqual(expected);
  });
});
