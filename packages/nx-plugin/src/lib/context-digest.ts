/**
 * A digest of what `docker build` would see: the Dockerfile, every file of the build context that
 * .dockerignore lets through (paths, executable bits and contents), and the build args passed (each by its
 * digest, never its value). Recorded on the image as a label so a later run can tell, from the registry
 * alone, whether the image's inputs changed.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import dockerignore from '@balena/dockerignore';
import type { BuildArgDigests } from './build-args';

async function walk(root: string, dir: string, out: string[]): Promise<void> {
  const entries = await fs.readdir(path.join(root, dir), { withFileTypes: true });
  for (const entry of entries) {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) await walk(root, rel, out);
    else if (entry.isFile() || entry.isSymbolicLink()) out.push(rel);
  }
}

export async function contextFiles(contextDir: string): Promise<string[]> {
  const files: string[] = [];
  await walk(contextDir, '', files);
  let patterns: string[] = [];
  try {
    patterns = (await fs.readFile(path.join(contextDir, '.dockerignore'), 'utf8')).split(/\r?\n/);
  } catch {
    // no .dockerignore: everything is sent
  }
  const ig = dockerignore({ ignorecase: false }).add(patterns.filter((p) => p.trim() && !p.trim().startsWith('#')));
  return ig.filter(files).sort();
}

/** Without build args the digest is what it was before they counted, so images that pass none stay current. */
export async function contextDigest(contextDir: string, dockerfilePath: string, buildArgs: BuildArgDigests = {}): Promise<string> {
  const hash = createHash('sha256');
  hash.update('dockerfile\0');
  hash.update(await fs.readFile(dockerfilePath));
  for (const rel of await contextFiles(contextDir)) {
    const full = path.join(contextDir, rel);
    const stat = await fs.lstat(full);
    hash.update(`\0file\0${rel}\0${stat.mode & 0o111 ? 'x' : '-'}\0`);
    hash.update(stat.isSymbolicLink() ? `link:${await fs.readlink(full)}` : await fs.readFile(full));
  }
  for (const name of Object.keys(buildArgs).sort()) hash.update(`\0build-arg\0${name}\0${buildArgs[name]}`);
  return `sha256:${hash.digest('hex')}`;
}
