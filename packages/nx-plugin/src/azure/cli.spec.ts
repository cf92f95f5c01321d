import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CLI_NAME, COMMANDS, main, usage } from './cli';

describe(CLI_NAME, () => {
  let log: jest.SpyInstance;
  let error: jest.SpyInstance;
  beforeEach(() => {
    log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('has the three commands the pipelines run, each in the usage text', () => {
    expect(Object.keys(COMMANDS)).toEqual(['plan', 'base-sha', 'combine-summaries']);
    for (const name of Object.keys(COMMANDS)) expect(usage()).toContain(`\n  ${name} `);
  });

  it('prints the usage without a command (exit 2) and for --help (exit 0)', async () => {
    expect(await main([])).toBe(2);
    expect(await main(['--help'])).toBe(0);
    expect(log).toHaveBeenCalledWith(usage());
  });

  it('refuses an unknown command, or a name of Object.prototype', async () => {
    expect(await main(['deploy'])).toBe(2);
    expect(await main(['toString'])).toBe(2);
    expect(error.mock.calls.map(([text]) => String(text))).toEqual([
      expect.stringContaining('unknown command deploy'),
      expect.stringContaining('unknown command toString'),
    ]);
  });

  it('hands the arguments after the command over and returns its exit code', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'azure-cli-'));
    try {
      const out = path.join(dir, 'out/summary.md');
      expect(await main(['combine-summaries', `--dir=${dir}/none`, `--out=${out}`])).toBe(0);
      expect(readFileSync(out, 'utf8')).toContain('|');
      expect(log).toHaveBeenCalledWith('0 image(s) in the run summary');
      // A planning argument it does not know fails the step.
      expect(await main(['plan', '--colour=blue'])).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
