/**
 * Runs a command with its arguments quoted (zx), input on stdin when given — secrets go there, never into
 * argv — and output both collected and streamed.
 */
import { $ } from 'zx';

export interface RunOptions {
  input?: string;
  env?: Record<string, string | undefined>;
  /** Called with each chunk of stdout and stderr as it arrives. */
  onOutput?: (chunk: string) => void;
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

export const runCommand: CommandRunner = async (command, args, options = {}) => {
  const process$ = $({
    quiet: true,
    nothrow: true,
    input: options.input,
    env: options.env ? { ...process.env, ...options.env } : process.env,
    timeout: options.timeoutMs,
  })`${command} ${args}`;
  let output = '';
  const collect = (chunk: Buffer | string) => {
    const text = chunk.toString();
    output += text;
    options.onOutput?.(text);
  };
  process$.stdout.on('data', collect);
  process$.stderr.on('data', collect);
  const result = await process$;
  return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr, output };
};
