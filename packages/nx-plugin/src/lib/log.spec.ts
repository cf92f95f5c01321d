import { commandBlock, type CommandOutputMode, createLogger, HeldLines, type Logger, MAX_HELD_LINES, MAX_LINE_LENGTH } from './log';

function capture(env: Record<string, string | undefined>) {
  const lines: string[] = [];
  return { lines, log: createLogger(env, (line) => lines.push(line)) };
}

describe('createLogger', () => {
  it('writes plain lines outside Azure Pipelines', async () => {
    const { lines, log } = capture({});
    log.info('building');
    log.warn('two\nlines 100%');
    log.error('broken');
    const result = await log.group('docker-build net6-runtime', () => {
      log.info('inside');
      return Promise.resolve(42);
    });
    expect(result).toBe(42);
    expect(lines).toEqual(['building', 'warning: two\nlines 100%', 'error: broken', 'inside']);
  });

  it('writes logging commands under Azure Pipelines', async () => {
    const { lines, log } = capture({ TF_BUILD: 'True' });
    log.info('building\nplain');
    log.warn('two\nlines');
    log.error('a\r\nb 50%');
    await log.group('docker-build net6-runtime', () => Promise.resolve(log.info('inside')));
    expect(lines).toEqual([
      'building\nplain',
      '##vso[task.logissue type=warning]two%0Alines',
      '##vso[task.logissue type=error]a%0D%0Ab 50%AZP25',
      '##[group]docker-build net6-runtime',
      'inside',
      '##[endgroup]',
    ]);
  });

  it('closes the group when the body throws', async () => {
    const { lines, log } = capture({ TF_BUILD: 'True' });
    await expect(log.group('step', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(lines).toEqual(['##[group]step', '##[endgroup]']);
  });

  it('treats an empty TF_BUILD as not Azure', () => {
    const { lines, log } = capture({ TF_BUILD: '' });
    log.warn('w');
    expect(lines).toEqual(['warning: w']);
  });
});

describe('command output', () => {
  /** A logger in `mode`, and everything written: the task's own lines and, apart, what went to stdout. */
  function outputs(env: Record<string, string | undefined>, mode?: CommandOutputMode) {
    const lines: string[] = [];
    const stdout: string[] = [];
    const log = createLogger(env, (line) => lines.push(line), { commandOutput: mode, out: (text) => stdout.push(text) });
    return { lines, stdout, log };
  }

  /** Two images' builds side by side, chunks arriving interleaved (and split mid-line), runtime's ending first. */
  function twoBuilds(log: Logger, sdkFailure?: string) {
    const runtime = log.command('net6-runtime: docker build');
    const sdk = log.command('net6-sdk: docker build');
    runtime.write('Step 1/2 : FROM base\n');
    sdk.write('Step 1/3 : FROM sdk');
    runtime.write(' ---> a62709548454\nStep 2/2 : USER app\n');
    sdk.write('\nStep 2/3 : RUN make\nmake: *** [all] Error 1\n');
    runtime.write('Successfully built d90681d8ccb6\n');
    runtime.end();
    sdk.end(sdkFailure);
  }

  const AZURE = { TF_BUILD: 'True' };
  it.each<[string, Record<string, string | undefined>, string | undefined, string[]]>([
    [
      'a batch, plain log',
      {},
      undefined,
      [
        'net6-runtime: docker build: 4 lines of output\n' +
          '  | Step 1/2 : FROM base\n  |  ---> a62709548454\n  | Step 2/2 : USER app\n  | Successfully built d90681d8ccb6\n',
        'net6-sdk: docker build: 3 lines of output\n  | Step 1/3 : FROM sdk\n  | Step 2/3 : RUN make\n  | make: *** [all] Error 1\n',
      ],
    ],
    [
      'a batch, plain log, the second build failing',
      {},
      'exit 2',
      [
        'net6-runtime: docker build: 4 lines of output\n' +
          '  | Step 1/2 : FROM base\n  |  ---> a62709548454\n  | Step 2/2 : USER app\n  | Successfully built d90681d8ccb6\n',
        'net6-sdk: docker build failed (exit 2): 3 lines of output\n  | Step 1/3 : FROM sdk\n  | Step 2/3 : RUN make\n  | make: *** [all] Error 1\n',
      ],
    ],
    [
      'a batch under Azure Pipelines: each success a collapsed group',
      AZURE,
      undefined,
      [
        '##[group]net6-runtime: docker build: 4 lines of output\n' +
          '  | Step 1/2 : FROM base\n  |  ---> a62709548454\n  | Step 2/2 : USER app\n  | Successfully built d90681d8ccb6\n##[endgroup]\n',
        '##[group]net6-sdk: docker build: 3 lines of output\n  | Step 1/3 : FROM sdk\n  | Step 2/3 : RUN make\n  | make: *** [all] Error 1\n##[endgroup]\n',
      ],
    ],
    [
      'a batch under Azure Pipelines, the second build failing: shown in full, not in a group',
      AZURE,
      'exit 2',
      [
        '##[group]net6-runtime: docker build: 4 lines of output\n' +
          '  | Step 1/2 : FROM base\n  |  ---> a62709548454\n  | Step 2/2 : USER app\n  | Successfully built d90681d8ccb6\n##[endgroup]\n',
        '##[error]net6-sdk: docker build failed (exit 2): 3 lines of output\n  | Step 1/3 : FROM sdk\n  | Step 2/3 : RUN make\n  | make: *** [all] Error 1\n',
      ],
    ],
  ])('%s: each command one block, written when it ends', (_name, env, sdkFailure, written) => {
    const { lines, stdout, log } = outputs(env, 'blocks');
    twoBuilds(log, sdkFailure);
    expect(stdout).toEqual(written);
    // Never among the task's own lines, which Nx prints when the task ends.
    expect(lines).toEqual([]);
  });

  it.each([
    ['plain', {}],
    ['Azure Pipelines', AZURE],
  ])('streams as it comes when one image runs at a time (%s)', (_name, env) => {
    const { lines, stdout, log } = outputs(env);
    twoBuilds(log, 'exit 2');
    expect(stdout).toEqual([
      'Step 1/2 : FROM base\n',
      'Step 1/3 : FROM sdk',
      ' ---> a62709548454\nStep 2/2 : USER app\n',
      '\nStep 2/3 : RUN make\nmake: *** [all] Error 1\n',
      'Successfully built d90681d8ccb6\n',
    ]);
    expect(lines).toEqual([]);
  });

  it('writes nothing for a command that succeeded silently, and says a failed one printed nothing', () => {
    const { stdout, log } = outputs(AZURE, 'blocks');
    log.command('net6-runtime: docker push r/x:1').end();
    log.command('net6-sdk: docker push r/y:1').end('exit 1');
    expect(stdout).toEqual(['##[error]net6-sdk: docker push r/y:1 failed (exit 1): no output\n']);
  });

  it('keeps a line of the build shaped like a logging command from acting as one', () => {
    const { stdout, log } = outputs(AZURE, 'blocks');
    const build = log.command('net6-runtime: docker build');
    build.write('##[endgroup]\n##[group]not ours\r\n');
    build.end();
    expect(stdout).toEqual([
      '##[group]net6-runtime: docker build: 2 lines of output\n  | ##[endgroup]\n  | ##[group]not ours\n##[endgroup]\n',
    ]);
  });

  it('ignores what comes after the end, and a second end', () => {
    const { stdout, log } = outputs({}, 'blocks');
    const push = log.command('net6-runtime: docker push r/x:1');
    push.write('a: Pushed\n');
    push.end();
    push.write('late\n');
    push.end('exit 1');
    expect(stdout).toEqual(['net6-runtime: docker push r/x:1: 1 line of output\n  | a: Pushed\n']);
  });
});

describe('HeldLines', () => {
  it('keeps the last lines of a long output, and counts those it dropped', () => {
    const held = new HeldLines();
    for (let i = 1; i <= MAX_HELD_LINES + 250; i++) held.add(`line ${i}\n`);
    const { lines, dropped } = held.finish();
    expect(dropped).toBe(250);
    expect(lines).toHaveLength(MAX_HELD_LINES);
    expect(lines[0]).toBe('line 251');
    expect(lines.at(-1)).toBe(`line ${MAX_HELD_LINES + 250}`);
    expect(commandBlock('net6-sdk: docker build', { lines, dropped }, 'exit 1', false)[0]).toBe(
      `net6-sdk: docker build failed (exit 1): the last ${MAX_HELD_LINES} of ${MAX_HELD_LINES + 250} lines of its output`,
    );
  });

  it('cuts a very long line, however it arrives, and says by how much', () => {
    const held = new HeldLines();
    held.add('x'.repeat(MAX_LINE_LENGTH - 10));
    held.add('y'.repeat(30));
    held.add('z'.repeat(5000) + '\nnext');
    expect(held.finish()).toEqual({
      lines: ['x'.repeat(MAX_LINE_LENGTH - 10) + 'y'.repeat(10) + ' … (5020 more characters)', 'next'],
      dropped: 0,
    });
  });

  it.each<[string, string[], string[]]>([
    ['a line split over chunks', ['ab', 'c\nd', 'e\n'], ['abc', 'de']],
    ['CRLF endings', ['a\r\nb\r\n'], ['a', 'b']],
    ['blank lines kept, a final newline adds none', ['a\n\nb\n'], ['a', '', 'b']],
    ['a last line without a newline', ['a\nb'], ['a', 'b']],
    ['nothing', [], []],
  ])('%s', (_name, chunks, lines) => {
    const held = new HeldLines();
    for (const chunk of chunks) held.add(chunk);
    expect(held.finish()).toEqual({ lines, dropped: 0 });
  });
});
