import { createLogger } from './log';

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
