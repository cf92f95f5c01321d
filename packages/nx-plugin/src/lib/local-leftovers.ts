/**
 * What a run keeps on its machine while it works, and how the next run tells a killed run's leftovers from a
 * live run's work. Everything carries its owner: `<host>-<pid>` of the process that removes it when all goes
 * well.
 *
 * - The test container (`platform-images-test-<project>-<run id>`): owned by the integration-test process,
 *   in Docker labels (LOCAL_LABELS in types/annotations.ts).
 * - The test app image (`platform-images-test/<project>:<run id>-<owner>`): the same owner, in its tag.
 * - The candidate image (`platform-images/<project>:candidate-<run id>-<owner>`): owned by the nx process of the
 *   run (the parent of every task process), because it outlives docker-build until ecr-publish has pushed it.
 *   The owner is in the tag, not a label: the candidate is the image that is published, and a label would be
 *   published with it and inherited by every image built FROM it.
 * - Temp folders (`platform-images-{build,test,docker}-<owner>-XXXXXX` in the OS temp folder): the process
 *   that made them. The docker one holds a registry login.
 *
 * Something whose owner ran on this host is removed once that process is gone, however young, and never while
 * it lives. Something whose owner cannot be checked from here (another host sharing the Docker engine, or a
 * name from before owners were recorded) is removed once older than the configured age.
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { formatDuration } from '../types/duration';

export interface Owner {
  /** The host, as hostToken writes it. */
  host: string;
  pid: number;
}

/** The host name in the characters names, tags and labels all allow, at most 40 of them. */
export function hostToken(name: string = hostname()): string {
  return (name.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40) || 'host').replace(/^[.-]/, '_');
}

export function ownerToken(owner: Owner): string {
  return `${owner.host}-${owner.pid}`;
}

export function parseOwnerToken(token: string | undefined): Owner | undefined {
  const match = token ? /^(.+)-(\d+)$/.exec(token) : null;
  return match ? { host: match[1], pid: Number(match[2]) } : undefined;
}

/** This process. */
export function thisProcess(): Owner {
  return { host: hostToken(), pid: process.pid };
}

/** The nx process running this task (every task process is its child): the owner of what outlives one step. */
export function thisRun(): Owner {
  return { host: hostToken(), pid: process.ppid };
}

/**
 * The classic image store holds one image per name, so each platform of a multi-platform image has a candidate
 * of its own: `platform-images/<project>/<platform slug>:…` (the sweep reads either form).
 */
export function candidateImage(project: string, runId: string, runOwner: Owner, platformSlug?: string): string {
  return `platform-images/${project}${platformSlug ? `/${platformSlug}` : ''}:candidate-${runId}-${ownerToken(runOwner)}`;
}

export function testImage(project: string, runId: string, owner: Owner, platformSlug?: string): string {
  return `platform-images-test/${project}${platformSlug ? `/${platformSlug}` : ''}:${runId}-${ownerToken(owner)}`;
}

export function testContainerName(project: string, runId: string): string {
  return `platform-images-test-${project}-${runId}`;
}

export type TempKind = 'build' | 'test' | 'docker' | 'sbom';

/** For mkdtemp, which appends six random letters and digits. */
export function tempDirPrefix(kind: TempKind, owner: Owner): string {
  return `platform-images-${kind}-${ownerToken(owner)}-`;
}

/** Something a run left on this machine, as the listings show it. */
export interface LocalThing {
  kind: 'container' | 'image' | 'folder';
  /** What to remove it by: a container id, an image reference, a folder path. */
  ref: string;
  /** How messages name it (the container's name, the image reference, the folder path). */
  name: string;
  owner?: Owner;
  createdAt?: Date;
  /** Images: the run it belongs to, and whether it is a candidate or a local staging reference. */
  runId?: string;
  role?: 'candidate' | 'test' | 'staging';
  imageId?: string;
}

const CANDIDATE = /^platform-images\/[a-z0-9._/-]+:candidate-([0-9a-f]{16})(?:-(.+-\d+))?$/;
const TEST_IMAGE = /^platform-images-test\/[a-z0-9._/-]+:([0-9a-f]{16})(?:-(.+-\d+))?$/;
/** What `docker tag` made for `docker push` (`<repository uri>:staging-<run id>`), the candidate's image under another name. */
const LOCAL_STAGING = /:staging-([0-9a-f]{16})(?:-linux-[a-z0-9-]+)?$/;
const FOLDER = /^platform-images-(?:build|test|docker|sbom)-(?:(.+-\d+)-)?[A-Za-z0-9]{6}$/;

/** A line of the image listing (id, reference, Docker's CreatedAt), when it is something a run makes. */
export function imageThing(id: string, ref: string, created: string): LocalThing | undefined {
  const createdAt = parseDockerTime(created);
  const base = { kind: 'image' as const, ref, name: ref, imageId: id, ...(createdAt ? { createdAt } : {}) };
  let match = CANDIDATE.exec(ref);
  if (match) return { ...base, role: 'candidate', runId: match[1], ...ownerOf(match[2]) };
  match = TEST_IMAGE.exec(ref);
  if (match) return { ...base, role: 'test', runId: match[1], ...ownerOf(match[2]) };
  match = LOCAL_STAGING.exec(ref);
  if (match) return { ...base, role: 'staging', runId: match[1] };
  return undefined;
}

/** A line of the container listing (id, name, the owner and created labels). */
export function containerThing(id: string, name: string, owner: string, created: string): LocalThing {
  const createdAt = created ? new Date(created) : undefined;
  return { kind: 'container', ref: id, name, ...ownerOf(owner), ...(createdAt && !Number.isNaN(createdAt.getTime()) ? { createdAt } : {}) };
}

/** An entry of the temp folder, when a run made it. */
export function folderThing(dir: string, name: string, modified: Date): LocalThing | undefined {
  const match = FOLDER.exec(name);
  if (!match) return undefined;
  const full = path.join(dir, name);
  return { kind: 'folder', ref: full, name: full, createdAt: modified, ...ownerOf(match[1]) };
}

function ownerOf(token: string | undefined): { owner?: Owner } {
  const owner = parseOwnerToken(token);
  // pid 1 (or 0) is no run's: an orphaned task's parent. Judged by age like an unknown owner.
  return owner && owner.pid > 1 ? { owner } : {};
}

/** Docker's CreatedAt, `2026-11-29 10:00:00 +0000 UTC` (Go's time format, with the zone name after the offset). */
export function parseDockerTime(text: string): Date | undefined {
  const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.\d+)? ([+-]\d\d)(\d\d)/.exec(text.trim());
  if (!match) return undefined;
  const date = new Date(`${match[1]}T${match[2]}${match[3]}:${match[4]}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export interface SweepContext {
  /** This host, as hostToken writes it. */
  host: string;
  /** Whether a process of this host is running. */
  isAlive: (pid: number) => boolean;
  now: Date;
  /** How old something whose owner cannot be checked must be before it is removed. */
  maxAgeMs: number;
}

/** Why it may be removed, or undefined when it may belong to a live run. */
export function whyRemovable(thing: LocalThing, ctx: SweepContext): string | undefined {
  if (thing.owner && thing.owner.host === ctx.host) {
    return ctx.isAlive(thing.owner.pid) ? undefined : `process ${thing.owner.pid} is gone`;
  }
  if (thing.createdAt && ctx.now.getTime() - thing.createdAt.getTime() > ctx.maxAgeMs) return `older than ${formatDuration(ctx.maxAgeMs)}`;
  return undefined;
}

export interface Removal {
  thing: LocalThing;
  why: string;
}

/**
 * What to remove, in the order to remove it: containers (they hold their images), then test app images, then
 * candidates with the local staging references `docker push` left on the same image for the same run, then
 * folders. A staging reference goes only with its run's candidate: its repository name is the user's.
 */
export function planSweep(things: LocalThing[], ctx: SweepContext): Removal[] {
  const removals: Removal[] = [];
  const order: Array<LocalThing['role'] | 'container' | 'folder'> = ['container', 'test', 'candidate', 'folder'];
  for (const step of order) {
    for (const thing of things) {
      const matches = thing.kind === 'image' ? thing.role === step : thing.kind === step;
      if (!matches) continue;
      const why = whyRemovable(thing, ctx);
      if (!why) continue;
      removals.push({ thing, why });
      if (step === 'candidate') {
        for (const staging of things) {
          if (staging.role === 'staging' && staging.runId === thing.runId && staging.imageId === thing.imageId)
            removals.push({ thing: staging, why: `the local push name of ${thing.ref}` });
        }
      }
    }
  }
  return removals;
}

/**
 * Whether a process of this host is running. Where /proc exists (Linux) its status decides: a zombie (killed,
 * not yet reaped, which happens to a task process whose nx parent was killed with it) has ended, and an id
 * that is now a thread of another process (thread ids share the numbers) is not the owner either. Elsewhere
 * signal 0 asks the kernel; EPERM means it runs as someone else.
 */
export function processIsAlive(pid: number, readStatus: (pid: number) => string | undefined = procStatus): boolean {
  const status = readStatus(pid);
  if (status !== undefined) return statusSaysRunning(status, pid);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `/proc/<pid>/status` as the kernel writes it: `State:\tZ (zombie)`, `Tgid:\t<process id>`. */
export function statusSaysRunning(status: string, pid: number): boolean {
  const state = /^State:\s+(\S)/m.exec(status)?.[1];
  const tgid = Number(/^Tgid:\s+(\d+)/m.exec(status)?.[1]);
  if (state === 'Z' || state === 'X') return false;
  return !tgid || tgid === pid;
}

/** The status text, '' when /proc is there but the process is not, undefined when there is no /proc. */
function procStatus(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && existsSync('/proc/self/status')) return 'State:\tX (gone)\n';
    return undefined;
  }
}
