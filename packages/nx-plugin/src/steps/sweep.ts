/**
 * The local sweep: what killed runs left on this machine (test containers still running, candidate and test
 * app images, temp folders, a Docker login among them), found by the names and labels the product gives them
 * and removed once no live run can own them (see lib/local-leftovers.ts). mcr-check runs it once per process,
 * so it happens on every run, also one that finds every image current. It costs two Docker listings and
 * one read of the temp folder; with no Docker engine (mcr-check needs none) only the folders are swept.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { DockerCli } from '../lib/docker';
import { describeError } from '../types/errors';
import {
  containerThing,
  folderThing,
  hostToken,
  imageThing,
  planSweep,
  processIsAlive,
  type LocalThing,
  type Removal,
  type SweepContext,
} from '../lib/local-leftovers';
import type { Logger } from '../lib/log';

export interface SweepDeps {
  docker: Pick<DockerCli, 'listOwnedContainers' | 'listBuiltImages' | 'removeContainer' | 'removeImageName'>;
  log: Logger;
  /** How old something whose owner cannot be checked must be (cleanup.localAfter). */
  maxAgeMs: number;
  tempDir?: string;
  now?: Date;
  isAlive?: (pid: number) => boolean;
  host?: string;
}

export interface SweepReport {
  removed: Removal[];
  failed: Array<Removal & { error: string }>;
}

/** Lists, decides, removes, and says in one line what it removed (nothing when there was nothing). */
export async function sweepLocalLeftovers(deps: SweepDeps): Promise<SweepReport> {
  const tempDir = deps.tempDir ?? tmpdir();
  const ctx: SweepContext = {
    host: deps.host ?? hostToken(),
    isAlive: deps.isAlive ?? processIsAlive,
    now: deps.now ?? new Date(),
    maxAgeMs: deps.maxAgeMs,
  };
  const things: LocalThing[] = [];
  const containers = await deps.docker.listOwnedContainers();
  // No engine answered: nothing in Docker to sweep, and nothing to say about it (the check needs no Docker).
  const images = containers ? await deps.docker.listBuiltImages() : undefined;
  for (const [id, name, owner, created] of containers ?? [])
    if (id) things.push(containerThing(id, name ?? id, owner ?? '', created ?? ''));
  for (const [id, ref, created] of images ?? []) {
    const thing = id && ref ? imageThing(id, ref, created ?? '') : undefined;
    if (thing) things.push(thing);
  }
  for (const name of safeReaddir(tempDir)) {
    if (!name.startsWith('platform-images-')) continue;
    const modified = safeMtime(path.join(tempDir, name));
    const thing = modified && folderThing(tempDir, name, modified);
    if (thing) things.push(thing);
  }

  const report: SweepReport = { removed: [], failed: [] };
  for (const removal of planSweep(things, ctx)) {
    const error = await remove(removal.thing, deps.docker);
    if (error) report.failed.push({ ...removal, error });
    else report.removed.push(removal);
  }
  if (report.removed.length) {
    deps.log.info(`cleanup: removed what stopped runs left on this machine: ${report.removed.map(describe).join('; ')}`);
  }
  if (report.failed.length) {
    deps.log.warn(
      `cleanup: could not remove ${report.failed.map((f) => `${describe(f)}: ${f.error}`).join('; ')} (the next run tries again)`,
    );
  }
  return report;
}

function describe({ thing, why }: Removal): string {
  return `${thing.kind} ${thing.name} (${why})`;
}

async function remove(thing: LocalThing, docker: SweepDeps['docker']): Promise<string | undefined> {
  try {
    if (thing.kind === 'container') {
      await docker.removeContainer(thing.ref);
      return undefined;
    }
    if (thing.kind === 'image') return await docker.removeImageName(thing.ref);
    rmSync(thing.ref, { recursive: true, force: true });
    return undefined;
  } catch (err) {
    return describeError(err);
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeMtime(file: string): Date | undefined {
  try {
    return statSync(file).mtime;
  } catch {
    return undefined;
  }
}
