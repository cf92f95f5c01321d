import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RegistryStorage } from './registry-storage';

const HEX_A = 'a'.repeat(64);
const HEX_B = 'b'.repeat(64);

describe('RegistryStorage', () => {
  let root: string;
  let storage: RegistryStorage;
  const repo = (...parts: string[]): string => path.join(root, 'docker', 'registry', 'v2', 'repositories', 'team', 'app', ...parts);
  const write = (file: string, text: string): void => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-storage-'));
    storage = new RegistryStorage(root);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('finds a repository where distribution keeps it, one directory per name component', () => {
    expect(storage.repositoryDir('team/app')).toBe(repo());
  });

  it('lists the manifest revisions that still have their link, with when they were stored', () => {
    write(repo('_manifests', 'revisions', 'sha256', HEX_A, 'link'), `sha256:${HEX_A}`);
    // A deleted manifest keeps its directory but loses its link file.
    fs.mkdirSync(repo('_manifests', 'revisions', 'sha256', HEX_B), { recursive: true });
    const stored = new Date('2026-01-02T03:04:05Z');
    fs.utimesSync(repo('_manifests', 'revisions', 'sha256', HEX_A, 'link'), stored, stored);
    expect([...storage.revisions('team/app')]).toEqual([[`sha256:${HEX_A}`, stored.getTime() / 1000]]);
  });

  it('finds no revisions in a repository that was never pushed to', () => {
    expect(storage.revisions('team/app').size).toBe(0);
  });

  it('removes one tag and leaves the other tags and the manifest alone', () => {
    write(repo('_manifests', 'tags', '1.0.0', 'current', 'link'), `sha256:${HEX_A}`);
    write(repo('_manifests', 'tags', 'latest', 'current', 'link'), `sha256:${HEX_A}`);
    write(repo('_manifests', 'revisions', 'sha256', HEX_A, 'link'), `sha256:${HEX_A}`);
    storage.untag('team/app', 'latest');
    storage.untag('team/app', 'never-there');
    expect(fs.readdirSync(repo('_manifests', 'tags'))).toEqual(['1.0.0']);
    expect(storage.revisions('team/app').has(`sha256:${HEX_A}`)).toBe(true);
  });

  it('removes a whole repository and nothing beside it', () => {
    write(repo('_manifests', 'tags', '1.0.0', 'current', 'link'), `sha256:${HEX_A}`);
    write(path.join(root, 'docker', 'registry', 'v2', 'repositories', 'team', 'other', 'x'), 'x');
    storage.removeRepository('team/app');
    storage.removeRepository('team/app');
    expect(fs.readdirSync(path.join(root, 'docker', 'registry', 'v2', 'repositories', 'team'))).toEqual(['other']);
  });
});
