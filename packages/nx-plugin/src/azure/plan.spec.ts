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
    expect(JSON.stringify(matrixFor(['net6-runtime', 'net6-sdk']))).toBe(
      '{"net6_runtime":{"project":"net6-runtime"},"net6_sdk":{"project":"net6-sdk"}}',
    );
  });

  it('is empty for no projects, and ignores duplicates', () => {
    expect(matrixFor([])).toEqual({});
    expect(matrixFor(['net6-sdk', 'net6-sdk'])).toEqual({ net6_sdk: { project: 'net6-sdk' } });
  });

  it('keeps legs apart when two names map to the same leg', () => {
    expect(matrixFor(['net6.sdk', 'net6-sdk'])).toEqual({ net6_sdk: { project: 'net6-sdk' }, net6_sdk_2: { project: 'net6.sdk' } });
  });
});

describe('matrixFor with shards', () => {
  const images = ['net8-sdk', 'net6-runtime', 'net10-aspnet', 'net6-sdk', 'net8-runtime'];

  it('deals the images round-robin over the legs, each leg naming its images', () => {
    expect(matrixFor(images, 2)).toEqual({
      shard_1_of_2: { project: 'shard-1-of-2', projects: 'net10-aspnet,net6-sdk,net8-sdk' },
      shard_2_of_2: { project: 'shard-2-of-2', projects: 'net6-runtime,net8-runtime' },
    });
  });

  it.each([
    [1, 1],
    [5, 5],
    [9, 5],
  ])('%s shard(s) over 5 images: %s leg(s), every image exactly once', (shards, legs) => {
    const matrix = matrixFor(images, shards);
    expect(Object.keys(matrix)).toHaveLength(legs);
    expect(
      Object.values(matrix)
        .flatMap((leg) => leg.projects!.split(','))
        .sort(),
    ).toEqual([...images].sort());
  });

  it('is empty for no projects', () => {
    expect(matrixFor([], 4)).toEqual({});
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

describe('planOutput with shards', () => {
  it('lists each shard with its images', () => {
    expect(planOutput(['b', 'a', 'c'], { target: 'publish', tag: 'type:platform-image', shards: 2 })).toEqual([
      '3 platform image(s) selected for publish (all) in 2 shard(s):',
      '  shard-1-of-2: a c',
      '  shard-2-of-2: b',
      '##vso[task.setvariable variable=matrix;isOutput=true]{"shard_1_of_2":{"project":"shard-1-of-2","projects":"a,c"},"shard_2_of_2":{"project":"shard-2-of-2","projects":"b"}}',
      '##vso[task.setvariable variable=count;isOutput=true]2',
    ]);
  });
});

describe('showProjectsArgs', () => {
  it('lists every image with the target', () => {
    expect(showProjectsArgs({ target: 'publish', tag: 'type:platform-image' })).toEqual([
      'nx',
      'show',
      'projects',
      '--with-target=publish',
      '--projects=tag:type:platform-image',
      '--json',
    ]);
  });

  it('lists the affected ones between two commits', () => {
    expect(showProjectsArgs({ target: 'publish', tag: 'type:platform-image', base: 'abc123', head: 'HEAD' })).toEqual([
      'nx',
      'show',
      'projects',
      '--with-target=publish',
      '--projects=tag:type:platform-image',
      '--json',
      '--affected',
      '--base=abc123',
      '--head=HEAD',
    ]);
  });
});

describe('parseArgs', () => {
  it('defaults to every platform image and publish', () => {
    expect(parseArgs([])).toEqual({ target: 'publish', tag: 'type:platform-image' });
    expect(parseArgs(['--target=integration-test', '--base=origin/main', '--head=HEAD'])).toEqual({
      target: 'integration-test',
      tag: 'type:platform-image',
      base: 'origin/main',
      head: 'HEAD',
    });
  });

  it('refuses what it does not know', () => {
    expect(() => parseArgs(['--affected'])).toThrow(/unknown argument --affected/);
    expect(() => parseArgs(['--head=HEAD'])).toThrow(/--head needs --base/);
    expect(() => parseArgs(['--shards=two'])).toThrow('--shards=two: expected a whole number (0 for one leg per image)');
  });

  it('reads the number of shards', () => {
    expect(parseArgs(['--shards=4']).shards).toBe(4);
    expect(parseArgs(['--shards=0']).shards).toBe(0);
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
