import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { commandEnv, runCommand } from './exec';

const node = process.execPath;

describe('runCommand', () => {
  it('passes each argument as it is: quoted, nothing for the shell to interpret', async () => {
    const args = ['-e', 'console.log(JSON.stringify(process.argv.slice(1)))', '$HOME', 'a b', '"q"', '; echo no', '*'];
    const result = await runCommand(node, args);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(['$HOME', 'a b', '"q"', '; echo no', '*']);
  });

  it('collects stdout and stderr apart and interleaved, streams them, and gives the exit code', async () => {
    const chunks: string[] = [];
    const result = await runCommand(node, ['-e', 'process.stdout.write("out\\n"); process.stderr.write("err\\n"); process.exit(3)'], {
      onOutput: (c) => chunks.push(c),
    });
    expect(result).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(result.output.split('\n').filter(Boolean).sort()).toEqual(['err', 'out']);
    expect(chunks.join('')).toBe(result.output);
  });

  it('writes the input on stdin, never in argv', async () => {
    const result = await runCommand(
      node,
      ['-e', 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(s.length, process.argv.length))'],
      { input: 'secret-password' },
    );
    expect(result.stdout.trim()).toBe('15 1');
  });

  it('adds the given variables to the environment', async () => {
    const result = await runCommand(node, ['-e', 'console.log(process.env.DOCKER_BUILDKIT, !!process.env.PATH)'], {
      env: { DOCKER_BUILDKIT: '1' },
    });
    expect(result.stdout.trim()).toBe('1 true');
  });

  it('answers 127 and why for a command that cannot start', async () => {
    const result = await runCommand('/nonexistent/docker', ['version']);
    expect(result.exitCode).toBe(127);
    expect(result.output).toMatch(/\/nonexistent\/docker: .*No such file or directory/);
  });

  it('ends a command that runs past its timeout', async () => {
    const started = Date.now();
    const result = await runCommand(node, ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 200 });
    expect(result.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('runs no ~/.bashrc before the command, even started as the top-level shell (SHLVL 0)', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'exec-spec-'));
    try {
      writeFileSync(path.join(home, '.bashrc'), 'echo "bashrc ran"\n');
      const result = await runCommand(node, ['-e', 'console.log("command ran")'], { env: { HOME: home, SHLVL: '0' } });
      expect(result.output).toBe('command ran\n');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('commandEnv', () => {
  it.each<[string | undefined, string]>([
    [undefined, '1'],
    ['0', '1'],
    ['', '1'],
    ['1', '1'],
    ['3', '3'],
  ])('SHLVL %j becomes %j', (shlvl, expected) => {
    expect(commandEnv({ SHLVL: shlvl }, { PATH: '/bin' }).SHLVL).toBe(expected);
    expect(commandEnv(undefined, { PATH: '/bin', ...(shlvl === undefined ? {} : { SHLVL: shlvl }) }).SHLVL).toBe(expected);
  });
});
