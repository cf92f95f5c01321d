/**
 * Runs a command with its argument list as it is — no shell: nothing to quote, and no shell start-up (a
 * non-interactive bash may still read ~/.bashrc, e.g. Debian's when its stdin is a socket, which is what a
 * child's piped stdin is), so a run killed mid-command leaves no half-run shell init behind either. Input goes
 * on stdin when given — secrets go there, never into argv — and output is both collected and streamed.
 */
import { spawn } from 'node:child_process';

export interface RunOptions {
  input?: string;
  env?: Record<string, string | undefined>;
  /** Called with each chunk of stdout and stderr as it arrives. */
  onOutput?: (chunk: string) => void;
  /** Ends the command (SIGTERM, then SIGKILL after 5 s) when it runs longer. */
  timeoutMs?: number;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
}

export type CommandRunner = (command: string, args: string[], options?: RunOptions) => Promise<CommandResult>;

export const runCommand: CommandRunner = (command, args, options = {}) =>
  new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let output = '';
    let settled = false;
    const child = spawn(command, args, { env: options.env ? { ...process.env, ...options.env } : process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const finish = (exitCode: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(kill);
      resolve({ exitCode, stdout, stderr, output });
    };
    let kill: NodeJS.Timeout | undefined;
    const timer = options.timeoutMs
      ? setTimeout(() => {
        child.kill('SIGTERM');
        kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
      }, options.timeoutMs)
      : undefined;
    const collect = (into: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = chunk.toString();
      if (into === 'stdout') stdout += text;
      else stderr += text;
      output += text;
      options.onOutput?.(text);
    };
    child.stdout.on('data', collect('stdout'));
    child.stderr.on('data', collect('stderr'));
    // A command that cannot start (not installed, not executable) answers like a shell would: 127 and why.
    child.on('error', (err) => {
      const text = `${command}: ${err.message}\n`;
      stderr += text;
      output += text;
      finish(127);
    });
    child.on('close', (code, signal) => finish(code ?? (signal ? 128 + (SIGNALS[signal] ?? 0) : 1)));
    // A command that never reads its stdin may close it before the input is written; that is no failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });

const SIGNALS: Record<string, number> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2 };
