/**
 * Runs a command with its arguments quoted (zx), input on stdin when given — secrets go there, never into
 * argv — and output both collected and streamed.
 *
 * zx runs the command line through bash. A non-interactive bash whose stdin is a socket (a child's piped
 * stdin is one: libuv makes pipes with socketpair) runs ~/.bashrc when it believes itself the top-level
 * shell, SHLVL below 2 after its own increment (bash shell.c, run_startup_files: isnetconn(stdin) &&
 * shell_level < 2). A user's shell init then runs before every Docker command, and a run killed during it
 * can leave that init half-done. With SHLVL at least 1 in the child's environment bash skips it.
 */
import { $ } from 'zx';

export interface RunOptions {
  input?: string;
  env?: Record<string, string | undefined>;
  /** Called with each chunk of stdout and stderr as it arrives. */
  onOutput?: (chunk: string) => void;
  /** Ends the command (SIGTERM) when it runs longer. */
  timeoutMs?: number;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
}

/**
 * Where the output of a long command goes while it runs (a build, a push): each chunk as it arrives, then
 * once that the command ended, and whether it failed.
 */
export interface CommandOutput {
  write(chunk: string): void;
  /** The command ended: `failure` says how it failed (`exit 1`), undefined when it succeeded. */
  end(failure?: string): void;
}

export type CommandRunner = (command: string, args: string[], options?: RunOptions) => Promise<CommandResult>;

/** The child's environment: the given variables over this process's, and a shell level bash reads no rc file at. */
export function commandEnv(
  given: Record<string, string | undefined> | undefined,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = given ? { ...base, ...given } : { ...base };
  if (!(Number(env.SHLVL) >= 1)) env.SHLVL = '1';
  return env;
}

export const runCommand: CommandRunner = async (command, args, options = {}) => {
  const process$ = $({
    quiet: true,
    nothrow: true,
    input: options.input,
    env: commandEnv(options.env),
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
