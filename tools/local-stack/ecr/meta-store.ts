/**
 * Repository settings (tag mutability, scan on push, creation time) and the time each manifest was first
 * pushed, kept in a small JSON file. What is in a repository is never kept here: it is always read from the
 * backing registry, so the two cannot drift apart.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MUTABILITIES, type Mutability, type MutabilitySetting } from '../ecr-tag-rules';

export interface RepositoryMeta extends MutabilitySetting {
  createdAt: number;
  scanOnPush: boolean;
  /** digest → epoch seconds of the first manifest PUT seen through the proxy. */
  pushedAt: Record<string, number>;
}

export class MetaStore {
  private repositories: Record<string, RepositoryMeta> = {};

  /**
   * @param startedAt epoch seconds, the creation time of a repository whose record has none
   * @param now epoch seconds
   */
  constructor(
    private readonly file: string,
    private readonly startedAt: number,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {
    this.load();
  }

  private load(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    const parsed = JSON.parse(text) as { repositories?: Record<string, Partial<RepositoryMeta>> };
    for (const [name, repo] of Object.entries(parsed.repositories ?? {})) {
      const mutability = (MUTABILITIES as readonly unknown[]).includes(repo.imageTagMutability)
        ? (repo.imageTagMutability as Mutability)
        : 'MUTABLE';
      this.repositories[name] = {
        createdAt: typeof repo.createdAt === 'number' ? repo.createdAt : this.startedAt,
        imageTagMutability: mutability,
        exclusionFilters: Array.isArray(repo.exclusionFilters) ? repo.exclusionFilters : [],
        scanOnPush: repo.scanOnPush === true,
        pushedAt: { ...(repo.pushedAt ?? {}) },
      };
    }
  }

  private save(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    // Written whole and renamed so a crash never leaves half a file behind.
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify({ repositories: this.repositories }, null, 2)}\n`);
    fs.renameSync(tmp, this.file);
  }

  get(name: string): RepositoryMeta | undefined {
    return Object.prototype.hasOwnProperty.call(this.repositories, name) ? this.repositories[name] : undefined;
  }

  names(): string[] {
    return Object.keys(this.repositories).sort();
  }

  create(name: string, setting: MutabilitySetting, scanOnPush: boolean): RepositoryMeta {
    const repo: RepositoryMeta = { createdAt: this.now(), ...setting, scanOnPush, pushedAt: {} };
    this.repositories[name] = repo;
    this.save();
    return repo;
  }

  delete(name: string): void {
    delete this.repositories[name];
    this.save();
  }

  update(name: string, change: (repo: RepositoryMeta) => void): void {
    const repo = this.get(name);
    if (!repo) return;
    change(repo);
    this.save();
  }

  recordPush(name: string, digest: string): void {
    const repo = this.get(name);
    if (!repo || repo.pushedAt[digest] !== undefined) return;
    repo.pushedAt[digest] = this.now();
    this.save();
  }
}
