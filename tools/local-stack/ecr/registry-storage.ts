/**
 * The backing registry's storage directory (distribution's filesystem driver layout), read only to find
 * untagged manifests and written only to remove single tags and whole repositories, which the registry API
 * cannot do. The registry runs without a blob descriptor cache (up.sh), so it sees these changes at once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export class RegistryStorage {
  constructor(readonly root: string) {}

  repositoryDir(name: string): string {
    return path.join(this.root, 'docker', 'registry', 'v2', 'repositories', ...name.split('/'));
  }

  /** Every manifest revision the registry holds for a repository, tagged or not: digest → epoch seconds it was stored. */
  revisions(name: string): Map<string, number> {
    const dir = path.join(this.repositoryDir(name), '_manifests', 'revisions', 'sha256');
    const found = new Map<string, number>();
    let entries: string[];
    try {
      entries = fs.readdirSync(dir);
    } catch {
      return found;
    }
    for (const hex of entries) {
      try {
        // A deleted manifest keeps its directory but loses its link file.
        found.set(`sha256:${hex}`, fs.statSync(path.join(dir, hex, 'link')).mtimeMs / 1000);
      } catch {
        // deleted
      }
    }
    return found;
  }

  /** Removes one tag and leaves the image and its other tags alone, which the registry API cannot do. */
  untag(name: string, tag: string): void {
    fs.rmSync(path.join(this.repositoryDir(name), '_manifests', 'tags', tag), { recursive: true, force: true });
  }

  /** Removes what is left of a repository once its manifests are deleted. */
  removeRepository(name: string): void {
    fs.rmSync(this.repositoryDir(name), { recursive: true, force: true });
  }
}
