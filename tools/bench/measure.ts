/**
 * Measuring one run: wall time, and the memory of the whole process tree it starts (the nx CLI, the task
 * runners it forks, the Docker CLI calls under them), sampled from /proc while it runs.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './workspace';
import { withoutColour } from '../without-colour';

export interface MemoryPeak {
  /** The largest resident set any single process of the tree reached (VmHWM), in MB (10^6 bytes). */
  processMB: number;
  /** Which process that was (its /proc name and the start of its command line). */
  process: string;
  /** The largest sum of the tree's resident sets (VmRSS) seen in one sample, in MB. Shared pages count once per process. */
  treeMB: number;
  /** The most processes seen in the tree at once. */
  processes: number;
  samples: number;
}

interface ProcessMemory {
  rssKiB: number;
  hwmKiB: number;
  name: string;
}

/** pid → parent pid for every process now; one read of /proc per sample (a few hundred small files at most). */
function parentsOfAll(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so read from the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // exited while listing
    }
  }
  return parents;
}

function treeOf(root: number, parents: Map<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, parent] of parents) children.set(parent, [...(children.get(parent) ?? []), pid]);
  const tree: number[] = [];
  for (const pending = [root]; pending.length;) {
    const pid = pending.pop()!;
    if (!parents.has(pid)) continue;
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

function memoryOf(pid: number): ProcessMemory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    let name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?';
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    // A node process is better named by its script (the nx CLI, a forked task runner).
    if (cmdline.length > 1)
      name += ` ${cmdline
        .slice(1, 3)
        .map((a) => path.basename(a))
        .join(' ')}`;
    return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM'), name };
  } catch {
    return undefined;
  }
}

/** Samples a process tree every `intervalMs` until stopped; short-lived processes between samples are missed. */
export class TreeMemorySampler {
  private timer?: NodeJS.Timeout;
  private peak = { hwmKiB: 0, name: '', treeKiB: 0, processes: 0, samples: 0 };

  constructor(
    private readonly root: number,
    private readonly intervalMs = 100,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  sample(): void {
    const tree = treeOf(this.root, parentsOfAll());
    let treeKiB = 0;
    for (const pid of tree) {
      const memory = memoryOf(pid);
      if (!memory) continue;
      treeKiB += memory.rssKiB;
      if (memory.hwmKiB > this.peak.hwmKiB) Object.assign(this.peak, { hwmKiB: memory.hwmKiB, name: memory.name });
    }
    this.peak.treeKiB = Math.max(this.peak.treeKiB, treeKiB);
    this.peak.processes = Math.max(this.peak.processes, tree.length);
    this.peak.samples++;
  }

  stop(): MemoryPeak {
    clearInterval(this.timer);
    const mb = (kib: number) => Math.round((kib * 1024) / 1e5) / 10;
    return {
      processMB: mb(this.peak.hwmKiB),
      process: this.peak.name,
      treeMB: mb(this.peak.treeKiB),
      processes: this.peak.processes,
      samples: this.peak.samples,
    };
  }
}

export interface TimedRun {
  code: number;
  output: string;
  seconds: number;
  memory: MemoryPeak;
}

const NX_BIN = path.join(REPO_ROOT, 'node_modules/.bin/nx');

/**
 * Runs `nx <args>` in `cwd`, timing it from spawn to exit and sampling its process tree. The event loop stays
 * free while it runs, so the sampler keeps its pace. Output is kept for error reports, echoed with `echo`, and handed line by line to `onLine`
 * with the seconds since the spawn at which it arrived.
 */
export function runNx(
  cwd: string,
  args: string[],
  env: Record<string, string>,
  options: { echo?: boolean; onLine?: (line: string, seconds: number) => void } = {},
): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(NX_BIN, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) return reject(new Error(`could not start ${NX_BIN}`));
    const sampler = new TreeMemorySampler(child.pid).start();
    let output = '';
    // One collector per stream, so a line split across chunks is joined with its own rest.
    const collector = () => {
      let partialLine = '';
      return (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        output += text;
        if (options.echo) process.stderr.write(chunk);
        if (!options.onLine) return;
        const lines = (partialLine + text).split('\n');
        partialLine = lines.pop()!;
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        for (const line of lines) options.onLine(withoutColour(line), seconds);
      };
    };
    child.stdout.on('data', collector());
    child.stderr.on('data', collector());
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ code: code ?? -1, output: withoutColour(output), seconds, memory: sampler.stop() });
    });
  });
}

/** Wall time of an async function, in seconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}
