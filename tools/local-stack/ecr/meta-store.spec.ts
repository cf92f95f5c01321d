import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MetaStore } from './meta-store';

describe('MetaStore', () => {
  let dir: string;
  let file: string;
  let now: number;
  const store = (): MetaStore => new MetaStore(file, 1000, () => now);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meta-store-'));
    file = path.join(dir, 'sub', 'ecr-meta.json');
    now = 2000;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('starts empty without a file, and writes none until something changes', () => {
    const meta = store();
    expect(meta.names()).toEqual([]);
    expect(fs.existsSync(file)).toBe(false);
    meta.update('app', () => undefined);
    meta.recordPush('app', 'sha256:aa');
    expect(fs.existsSync(file)).toBe(false);
  });

  it('keeps what it creates across restarts, in the file, without a temporary file left behind', () => {
    store().create(
      'b/app',
      { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }] },
      true,
    );
    now = 3000;
    store().create('a', { imageTagMutability: 'MUTABLE', exclusionFilters: [] }, false);
    const again = store();
    expect(again.names()).toEqual(['a', 'b/app']);
    expect(again.get('b/app')).toEqual({
      createdAt: 2000,
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
      scanOnPush: true,
      pushedAt: {},
    });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['ecr-meta.json']);
  });

  it('reads an older or damaged record with defaults: MUTABLE, no filters, no scanning, created at the start', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ repositories: { old: { imageTagMutability: 'SOMETIMES', pushedAt: { 'sha256:aa': 5 } } } }));
    expect(store().get('old')).toEqual({
      createdAt: 1000,
      imageTagMutability: 'MUTABLE',
      exclusionFilters: [],
      scanOnPush: false,
      pushedAt: { 'sha256:aa': 5 },
    });
  });

  it('knows no repository by the names of object properties', () => {
    const meta = store();
    expect(meta.get('constructor')).toBeUndefined();
    expect(meta.get('toString')).toBeUndefined();
  });

  it('records only the first push of a digest', () => {
    const meta = store();
    meta.create('app', { imageTagMutability: 'MUTABLE', exclusionFilters: [] }, false);
    now = 2500;
    meta.recordPush('app', 'sha256:aa');
    now = 2600;
    meta.recordPush('app', 'sha256:aa');
    meta.recordPush('app', 'sha256:bb');
    expect(store().get('app')?.pushedAt).toEqual({ 'sha256:aa': 2500, 'sha256:bb': 2600 });
  });

  it('updates and deletes, on disk too', () => {
    const meta = store();
    meta.create('app', { imageTagMutability: 'MUTABLE', exclusionFilters: [] }, false);
    meta.create('gone', { imageTagMutability: 'MUTABLE', exclusionFilters: [] }, false);
    meta.update('app', (repo) => {
      repo.scanOnPush = true;
      repo.imageTagMutability = 'IMMUTABLE';
    });
    meta.delete('gone');
    const again = store();
    expect(again.names()).toEqual(['app']);
    expect(again.get('app')).toMatchObject({ scanOnPush: true, imageTagMutability: 'IMMUTABLE' });
  });
});

describe('MetaStore referrers', () => {
  let dir: string;
  let file: string;
  const store = (): MetaStore => new MetaStore(file, 1000, () => 2000);
  const S = `sha256:${'a'.repeat(64)}`;
  const sbom = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `sha256:${'b'.repeat(64)}`,
    size: 10,
    artifactType: 'application/vnd.cyclonedx+json',
  };
  const sig = { ...sbom, digest: `sha256:${'c'.repeat(64)}`, artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meta-store-'));
    file = path.join(dir, 'ecr-meta.json');
    store().create('app', { imageTagMutability: 'MUTABLE', exclusionFilters: [] }, false);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps referrers by subject across restarts, once each, in push order', () => {
    store().recordReferrer('app', S, sbom);
    store().recordReferrer('app', S, sig);
    store().recordReferrer('app', S, sbom);
    expect(store().referrersOf('app', S)).toEqual([sbom, sig]);
    expect(store().referrersOf('app', `sha256:${'d'.repeat(64)}`)).toEqual([]);
    expect(store().referrersOf('other', S)).toEqual([]);
  });

  it('records nothing for a repository nobody created', () => {
    store().recordReferrer('nobody', S, sbom);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).not.toHaveProperty('referrers');
  });

  it('forgets a deleted manifest, and a deleted repository’s referrers with it', () => {
    const meta = store();
    meta.recordReferrer('app', S, sbom);
    meta.recordReferrer('app', S, sig);
    meta.forgetManifest('app', sbom.digest);
    expect(store().referrersOf('app', S)).toEqual([sig]);
    meta.delete('app');
    meta.create('app', { imageTagMutability: 'MUTABLE', exclusionFilters: [] }, false);
    expect(store().referrersOf('app', S)).toEqual([]);
  });
});
