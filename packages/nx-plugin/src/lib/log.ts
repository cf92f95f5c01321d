/**
 * Step output. Under Azure Pipelines (TF_BUILD set) errors and warnings become logging commands so they
 * show on the run's summary, and each step is a collapsible group.
 *
 * Azure Pipelines' formatting commands (Microsoft Learn, "Logging commands", section "Formatting commands")
 * are messages to its log formatter, written to stdout as lines of their own: `##[group]<title>` begins a
 * group and `##[endgroup]` ends it, and the log view shows the lines between as one block that collapses
 * under its title; `##[error]<text>` shows the line as an error. Recording an error or warning on the run's
 * summary is `##vso[task.logissue type=…]`'s job (same page, "LogIssue").
 */
import type { CommandOutput } from './exec';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Where a Docker command's own output goes (a build, a push), `title` naming the image and the command
   * (`net6-runtime: docker build`): streamed as it comes, or held and written as one block when the
   * command ends (see CommandOutputMode).
   */
  command(title: string): CommandOutput;
}

/**
 * How Docker's output reaches the log. `stream`: as it comes, the way Docker prints it, for a task that runs
 * alone (nothing else writes meanwhile). `blocks`: for tasks of several images running side by side in one
 * process (a batch), whose streamed lines would interleave without saying whose they are. Each command's
 * output is then held and written in one piece when the command ends, under a line naming the image and
 * the command: under Azure Pipelines a collapsed group when the command succeeded; a failed command's
 * output is never folded away.
 */
export type CommandOutputMode = 'stream' | 'blocks';

export interface LoggerOptions {
  commandOutput?: CommandOutputMode;
  /** Where command output is written: straight to stdout, when it happens, not among the task's own lines. */
  out?: (text: string) => void;
}

export function createLogger(
  env: Record<string, string | undefined> = process.env,
  write: (line: string) => void = (l) => process.stdout.write(l + '\n'),
  options: LoggerOptions = {},
): Logger {
  const azure = Boolean(env.TF_BUILD);
  const escape = (text: string) => text.replace(/%/g, '%AZP25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const out = options.out ?? ((text: string) => process.stdout.write(text));
  return {
    info: (message) => write(message),
    warn: (message) => write(azure ? `##vso[task.logissue type=warning]${escape(message)}` : `warning: ${message}`),
    error: (message) => write(azure ? `##vso[task.logissue type=error]${escape(message)}` : `error: ${message}`),
    async group(title, fn) {
      if (!azure) return fn();
      write(`##[group]${title}`);
      try {
        return await fn();
      } finally {
        write('##[endgroup]');
      }
    },
    command(title) {
      if (options.commandOutput !== 'blocks') return { write: (chunk) => out(chunk), end: () => undefined };
      const held = new HeldLines();
      let ended = false;
      return {
        write: (chunk) => {
          if (!ended) held.add(chunk);
        },
        end: (failure) => {
          if (ended) return;
          ended = true;
          // One write: no other image's block can come between its lines.
          const lines = commandBlock(title, held.finish(), failure, azure);
          if (lines.length) out(lines.join('\n') + '\n');
        },
      };
    },
  };
}

/**
 * At most this many lines of one command are held, the last ones: a failure's cause is at the end of its
 * output. With MAX_LINE_LENGTH this bounds what a command holds (about 2 MB) however much it prints.
 */
export const MAX_HELD_LINES = 1000;
export const MAX_LINE_LENGTH = 1000;

/** A command's output as lines: the last MAX_HELD_LINES of them, each cut at MAX_LINE_LENGTH. */
export interface HeldOutput {
  lines: string[];
  /** Lines printed before those kept, and not kept. */
  dropped: number;
}

export class HeldLines {
  private readonly lines: string[] = [];
  private dropped = 0;
  private partial = '';
  private cut = 0;

  add(chunk: string): void {
    const pieces = chunk.split('\n');
    this.append(pieces[0]);
    for (const piece of pieces.slice(1)) {
      this.close();
      this.append(piece);
    }
  }

  finish(): HeldOutput {
    if (this.partial || this.cut) this.close();
    return { lines: [...this.lines], dropped: this.dropped };
  }

  private append(text: string): void {
    const room = MAX_LINE_LENGTH - this.partial.length;
    if (text.length <= room) this.partial += text;
    else {
      this.partial += text.slice(0, Math.max(0, room));
      this.cut += text.length - Math.max(0, room);
    }
  }

  private close(): void {
    const line = this.partial.replace(/\r$/, '') + (this.cut ? ` … (${this.cut} more characters)` : '');
    this.partial = '';
    this.cut = 0;
    this.lines.push(line);
    if (this.lines.length > MAX_HELD_LINES) {
      this.lines.shift();
      this.dropped++;
    }
  }
}

/**
 * The lines one command's held output is written as. A title line naming the image and the command, how it
 * ended and how much it printed, then its output, each line behind `  | ` (as the test app's own output is
 * shown), so no line of it can pass for a line of the product, nor for a formatting command, which the
 * page cited above writes at the start of its line: a build printing `##[endgroup]` does not end the group. Under Azure Pipelines a command that succeeded is one
 * collapsed group; a failed one is never folded away, its title marked as an error. Nothing for a command
 * that succeeded without a word.
 */
export function commandBlock(title: string, output: HeldOutput, failure: string | undefined, azure: boolean): string[] {
  const { lines, dropped } = output;
  if (!failure && !lines.length) return [];
  const printed = !lines.length
    ? 'no output'
    : dropped
      ? `the last ${lines.length} of ${lines.length + dropped} lines of its output`
      : `${lines.length} line${lines.length === 1 ? '' : 's'} of output`;
  const head = `${title}${failure ? ` failed (${failure})` : ''}: ${printed}`;
  const body = lines.map((line) => `  | ${line}`);
  if (!azure) return [head, ...body];
  if (failure) return [`##[error]${head}`, ...body];
  return [`##[group]${head}`, ...body, '##[endgroup]'];
}
