import { legName, matrixFor, parseArgs, parseProjectList, planOutput, showProjectsArgs } from './plan';

describe('matrixFor', () => {
  it('has one leg per project, named for Azure, carrying the real project name', () => {
    expect(matrixFor(['net6-sdk', 'net6-runtime', 'net10-aspnet'])).toEqual({
      net10_aspnet: { project: 'net10-aspnet' },
      net6_runtime: { project: 'net6-runtime' },
      net6_sdk: { project: 'net6-sdk' },
    });
  });

  it('serialises to the JSON the images job expands', () => {
    expect(JSON.stringify(matrixFor(['net6-runtime', 'net6-sdk']))).toBe('{"net6_runtime":{"project":"net6-runtime"},"net6_sdk":{"project":"net6-sdk"}}');
  });

  it('is empty for no projects, and ignores duplicates', () => {
    expect(matrixFor([])).toEqual({});
    expect(matrixFor(['net6-sdk', 'net6-sdk'])).toEqual({ net6_sdk: { project: 'net6-sdk' } });
  });

  it('keeps legs apart when two names map to the same leg', () => {
    expect(matrixFor(['net6.sdk', 'net6-sdk'])).toEqual({ net6_sdk: { project: 'net6-sdk' }, net6_sdk_2: { project: 'net6.sdk' } });
  });
});

describe('legName', () => {
  it.each([
    ['net6-runtime', 'net6_runtime'],
    ['net8-aspnet-chiseled', 'net8_aspnet_chiseled'],
    ['6-runtime', 'p_6_runtime'],
    ['x'.repeat(120), 'x'.repeat(100)],
  ])('%s → %s', (project, leg) => {
    expect(legName(project)).toBe(leg);
    expect(legName(project)).toMatch(/^[A-Za-z][A-Za-z0-9_]{0,99}$/);
  });
});

describe('planOutput', () => {
  it('prints the list, then the matrix and the count as output variables', () => {
    expect(planOutput(['net6-sdk', 'net6-runtime'], { target: 'publish', tag: 'type:platform-image' })).toEqual([
      '2 platform image(s) selected for publish (all):',
      '  net6-runtime',
      '  net6-sdk',
      '##vso[task.setvariable variable=matrix;isOutput=true]{"net6_runtime":{"project":"net6-runtime"},"net6_sdk":{"project":"net6-sdk"}}',
      '##vso[task.setvariable variable=count;isOutput=true]2',
    ]);
  });

  it('says nothing was selected, with a count of 0 the later jobs skip on', () => {
    expect(planOutput([], { target: 'integration-test', tag: 'type:platform-image', base: 'origin/main', head: 'HEAD' })).toEqual([
      '0 platform image(s) selected for integration-test (affected between origin/main and HEAD)',
      '##vso[task.setvariable variable=matrix;isOutput=true]{}',
      '##vso[task.setvariable variable=count;isOutput=true]0',
    ]);
  });
});

describe('showProjectsArgs', () => {
  it('lists every image with the target', () => {
    expect(showProjectsArgs({ target: 'publish', tag: 'type:platform-image' })).toEqual(['nx', 'show', 'projects', '--with-target=publish', '--projects=tag:type:platform-image', '--json']);
  });

  it('lists the affected ones between two commits', () => {
    expect(showProjectsArgs({ target: 'publish', tag: 'type:platform-image', base: 'abc123', head: 'HEAD' })).toEqual([
      'nx', 'show', 'projects', '--with-target=publish', '--projects=tag:type:platform-image', '--json', '--affected', '--base=abc123', '--head=HEAD',
    ]);
  });
});

describe('parseArgs', () => {
  it('defaults to every platform image and publish', () => {
    expect(parseArgs([])).toEqual({ target: 'publish', tag: 'type:platform-image' });
    expect(parseArgs(['--target=integration-test', '--base=origin/main', '--head=HEAD'])).toEqual({ target: 'integration-test', tag: 'type:platform-image', base: 'origin/main', head: 'HEAD' });
  });

  it('refuses what it does not know', () => {
    expect(() => parseArgs(['--affected'])).toThrow(/unknown argument --affected/);
    expect(() => parseArgs(['--head=HEAD'])).toThrow(/--head needs --base/);
  });
});

describe('parseProjectList', () => {
  it('reads the JSON list among other output', () => {
    expect(parseProjectList('npm warn something\n["net6-runtime","net6-sdk"]\n')).toEqual(['net6-runtime', 'net6-sdk']);
    expect(parseProjectList('[]')).toEqual([]);
  });

  it('fails on anything else', () => {
    expect(() => parseProjectList('NX   Failed to process project graph')).toThrow(/no project list/);
    expect(() => parseProjectList('[1, 2]')).toThrow(/not a list of project names/);
  });
});
