import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { MANIFEST_ACCEPT } from '../media-types';
import { BackendError, BackingRegistry, manifestDigest, repoPath } from './backing-registry';
import { FakeRegistry, imageManifest } from './testing/fake-registry';
import { listen, type Listening } from './testing/listen';

describe('manifestDigest and repoPath', () => {
  it('names bytes by their sha256, as registries do', () => {
    expect(manifestDigest(Buffer.from('abc'))).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('encodes each component of a repository name and keeps the slashes', () => {
    expect(repoPath('team/my app')).toBe('team/my%20app');
  });
});

describe('BackingRegistry', () => {
  let root: string;
  let fake: FakeRegistry;
  let agent: http.Agent;
  let registry: BackingRegistry;

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'backing-registry-'));
    fake = await new FakeRegistry(root).start();
    agent = new http.Agent({ keepAlive: true });
    registry = new BackingRegistry(new URL(fake.url), agent);
  });
  afterEach(async () => {
    agent.destroy();
    await fake.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('lists tags, none for a repository the registry does not know', async () => {
    expect(await registry.listTags('app')).toEqual([]);
    fake.put('app', imageManifest('a'), '1.0.0');
    fake.put('app', imageManifest('b'), 'latest');
    expect((await registry.listTags('app')).sort()).toEqual(['1.0.0', 'latest']);
  });

  it('resolves a tag with a HEAD that asks for every manifest type, so no schema1 conversion changes the digest', async () => {
    const digest = fake.put('app', imageManifest('a'), '1.0.0');
    expect(await registry.resolveTag('app', '1.0.0')).toBe(digest);
    expect(await registry.resolveTag('app', 'nope')).toBeUndefined();
    const heads = fake.requests.filter((r) => r.method === 'HEAD');
    expect(heads.map((r) => [r.url, r.headers.accept])).toEqual([
      ['/v2/app/manifests/1.0.0', MANIFEST_ACCEPT],
      ['/v2/app/manifests/nope', MANIFEST_ACCEPT],
    ]);
  });

  it('fetches a manifest once: its bytes, media type and descriptors', async () => {
    const body = imageManifest('a', [100, 200], 7);
    const digest = fake.put('app', body);
    const info = await registry.fetchManifest('app', digest);
    expect(info).toMatchObject({ digest, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', body });
    expect(info?.layers?.map((l) => l.size)).toEqual([100, 200]);
    expect(info?.config?.size).toBe(7);
    expect(await registry.fetchManifest('app', digest)).toBe(info);
    expect(fake.requests.filter((r) => r.method === 'GET')).toHaveLength(1);
    expect(await registry.fetchManifest('app', manifestDigest(Buffer.from('none')))).toBeUndefined();
  });

  it('stores a manifest under a tag with its media type, and deletes it with its tags', async () => {
    const body = imageManifest('a');
    const res = await registry.putManifest('app', '1.0.0', 'application/vnd.docker.distribution.manifest.v2+json', body);
    expect(res.status).toBe(201);
    expect(fake.requests.at(-1)?.headers['content-type']).toBe('application/vnd.docker.distribution.manifest.v2+json');
    await registry.deleteManifest('app', manifestDigest(body));
    expect(await registry.listTags('app')).toEqual([]);
    // Deleting what is gone already is no error.
    await registry.deleteManifest('app', manifestDigest(body));
  });

  describe('when the registry misbehaves', () => {
    let server: Listening;
    let broken: BackingRegistry;

    beforeEach(async () => {
      server = await listen((req, res) => {
        if (req.method === 'HEAD') {
          res.writeHead(200);
          res.end();
          return;
        }
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('storage driver failed');
      });
      broken = new BackingRegistry(new URL(server.base), agent);
    });
    afterEach(() => server.close());

    it('says what it asked and what came back', async () => {
      await expect(broken.listTags('app')).rejects.toThrow(
        new BackendError('backing registry answered 500 to tags/list of app: storage driver failed'),
      );
      await expect(broken.deleteManifest('app', 'sha256:aa')).rejects.toThrow(
        'backing registry answered 500 to DELETE manifest app@sha256:aa',
      );
      await expect(broken.fetchManifest('app', 'sha256:aa')).rejects.toThrow('backing registry answered 500 to GET manifest app@sha256:aa');
    });

    it('refuses a tag whose HEAD has no digest', async () => {
      await expect(broken.resolveTag('app', '1')).rejects.toThrow('backing registry answered 200 to HEAD manifest app:1');
    });
  });

  it('names the registry it cannot reach', async () => {
    await fake.stop();
    await expect(registry.listTags('app')).rejects.toThrow(new RegExp(`^backing registry 127\\.0\\.0\\.1:\\d+: .*ECONNREFUSED`));
  });
});
