/**
 * Repository settings (tag mutability, scan on push, creation time), the time each manifest was first
 * pushed, and each repository's referrers (the manifests pushed with a `subject`, by subject digest), kept in a
 * small JSON file: the backing registry (distribution 2.8) stores a manifest's `subject` but keeps no index of
 * it and has no referrers API. What is in a repository is never kept here: it is always read from the
 * backing registry, so the two cannot drift apart (a referrer is listed only while its manifest is there).
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

/** A referrer as the referrers API lists it (OCI distribution spec, "Listing Referrers"). */
export interface ReferrerRecord {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export class MetaStore {
  private repositories: Record<string, RepositoryMeta> = {};
  /** repository → subject digest → the manifests pushed with that subject, in push order. */
  private referrers: Record<string, Record<string, ReferrerRecord[]>> = {};

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
    const parsed = JSON.parse(text) as {
      repositories?: Record<string, Partial<RepositoryMeta>>;
      referrers?: Record<string, Record<string, ReferrerRecord[]>>;
    };
    this.referrers = parsed.referrers && typeof parsed.referrers === 'object' ? parsed.referrers : {};
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
    const referrers = Object.keys(this.referrers).length ? { referrers: this.referrers } : {};
    fs.writeFileSync(tmp, `${JSON.stringify({ repositories: this.repositories, ...referrers }, null, 2)}\n`);
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
    delete this.referrers[name];
    this.save();
  }

  /** Records a manifest pushed with a `subject`; pushing the same manifest again records nothing new. */
  recordReferrer(name: string, subject: string, referrer: ReferrerRecord): void {
    if (!this.get(name)) return;
    const bySubject = (this.referrers[name] ??= {});
    const list = (bySubject[subject] ??= []);
    if (list.some((r) => r.digest === referrer.digest)) return;
    list.push(referrer);
    this.save();
  }

  /** The manifests pushed with `subject` as their subject (none for a digest nothing refers to). */
  referrersOf(name: string, subject: string): ReferrerRecord[] {
    const bySubject = Object.prototype.hasOwnProperty.call(this.referrers, name) ? this.referrers[name] : {};
    return Object.prototype.hasOwnProperty.call(bySubject, subject) ? [...bySubject[subject]] : [];
  }

  /** A manifest deleted: it refers to nothing any more. */
  forgetManifest(name: string, digest: string): void {
    const bySubject = this.referrers[name];
    if (!bySubject) return;
    let changed = false;
    for (const [subject, list] of Object.entries(bySubject)) {
      const kept = list.filter((r) => r.digest !== digest);
      if (kept.length === list.length) continue;
      changed = true;
      if (kept.length) bySubject[subject] = kept;
      else delete bySubject[subject];
    }
    if (!changed) return;
    if (!Object.keys(bySubject).length) delete this.referrers[name];
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
