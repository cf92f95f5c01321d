import { runCommand } from './exec';

const node = process.execPath;

describe('runCommand', () => {
  it('passes each argument as it is, with no shell to interpret it', async () => {
    const args = ['-e', 'console.log(JSON.stringify(process.argv.slice(1)))', '$HOME', 'a b', '"q"', '; echo no', '*'];
    const result = await runCommand(node, args);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(['$HOME', 'a b', '"q"', '; echo no', '*']);
  });

  it('collects stdout and stderr apart and interleaved, streams them, and gives the exit code', async () => {
    const chunks: string[] = [];
    const result = await runCommand(node, ['-e', 'process.stdout.write("out\\n"); process.stderr.write("err\\n"); process.exit(3)'], { onOutput: (c) => chunks.push(c) });
    expect(result).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(result.output.split('\n').filter(Boolean).sort()).toEqual(['err', 'out']);
    expect(chunks.join('')).toBe(result.output);
  });

  it('writes the input on stdin, never in argv', async () => {
    const result = await runCommand(node, ['-e', 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(s.length, process.argv.length))'], { input: 'secret-password' });
    expect(result.stdout.trim()).toBe('15 1');
  });

  it('adds the given variables to the environment', async () => {
    const result = await runCommand(node, ['-e', 'console.log(process.env.DOCKER_BUILDKIT, !!process.env.PATH)'], { env: { DOCKER_BUILDKIT: '1' } });
    expect(result.stdout.trim()).toBe('1 true');
  });

  it('answers 127 and why for a command that cannot start', async () => {
    const result = await runCommand('/nonexistent/docker', ['version']);
    expect(result.exitCode).toBe(127);
    expect(result.output).toMatch(/\/nonexistent\/docker: spawn \/nonexistent\/docker ENOENT/);
  });

  it('ends a command that runs past its timeout', async () => {
    const started = Date.now();
    const result = await runCommand(node, ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 200 });
    expect(result.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
