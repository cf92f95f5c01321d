import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { registryInstrumentation } from '../faults';
import { type Account, createAccount } from './accounts';
import { manifestDigest } from './backing-registry';
import { type Proxy, proxyHandler } from './proxy';
import { RegistryAuth } from './registry-auth';
import { MAX_MANIFEST_BYTES } from './requests';
import { Scanning } from './scanning';
import { TagHistory } from './tag-history';
import { FakeRegistry, imageManifest } from './testing/fake-registry';
import { listen, type Listening } from './testing/listen';

const DOCKER = 'application/vnd.docker.distribution.manifest.v2+json';
const AUTH = `Basic ${Buffer.from('AWS:pw').toString('base64')}`;

describe('the registry proxy', () => {
  let dir: string;
  let fake: FakeRegistry;
  let agent: http.Agent;
  let acct: Account;
  let proxy: Proxy;
  let history: TagHistory;
  let logged: string[];
  let server: Listening;

  const put = (reference: string, body: Buffer, repository = 'app'): Promise<Response> =>
    fetch(`${server.base}/v2/${repository}/manifests/${reference}`, {
      method: 'PUT',
      headers: { authorization: AUTH, 'content-type': DOCKER },
      body,
    });
  const errors = async (res: Response): Promise<unknown> => ((await res.json()) as { errors: unknown }).errors;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecr-proxy-'));
    fake = await new FakeRegistry(path.join(dir, 'data')).start();
    agent = new http.Agent({ keepAlive: true });
    acct = createAccount(
      { id: '000000000000', proxyPort: 5002, backend: fake.url, storage: fake.root, metaFile: path.join(dir, 'meta.json') },
      agent,
      0,
    );
    acct.meta.create(
      'app',
      { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }] },
      false,
    );
    history = new TagHistory(path.join(dir, 'history.jsonl'));
    logged = [];
    proxy = { acct, instrumentation: registryInstrumentation('test proxy', () => undefined) };
    const handler = proxyHandler(proxy, {
      auth: new RegistryAuth('pw'),
      history,
      log: (m) => logged.push(m),
      scanning: new Scanning([], () => undefined),
    });
    server = await listen(handler);
  });
  afterEach(async () => {
    agent.destroy();
    await server.close();
    await fake.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers /health with its account and backing registry', async () => {
    expect(await (await fetch(`${server.base}/health`)).json()).toEqual({
      service: 'ecr-stand-in registry proxy',
      account: '000000000000',
      backend: new URL(fake.url).host,
    });
  });

  it('answers paths outside the registry API with NOT_FOUND', async () => {
    const res = await fetch(`${server.base}/other`);
    expect(res.status).toBe(404);
    expect(await errors(res)).toEqual([{ code: 'NOT_FOUND', message: '/other is not part of the registry API', detail: null }]);
  });

  it.each<[string, Record<string, string>]>([
    ['no credentials', {}],
    ['another password', { authorization: `Basic ${Buffer.from('AWS:guess').toString('base64')}` }],
  ])('challenges a request with %s for Basic auth, before it reaches the registry', async (_what, headers) => {
    const res = await fetch(`${server.base}/v2/`, { headers });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="ECR stand-in"');
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(await errors(res)).toEqual([{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }]);
    expect(fake.requests).toEqual([]);
  });

  it('passes an authenticated request on without the credentials', async () => {
    const res = await fetch(`${server.base}/v2/`, { headers: { authorization: AUTH } });
    expect(res.status).toBe(200);
    expect(fake.requests.map((r) => [r.url, r.headers.authorization])).toEqual([['/v2/', undefined]]);
  });

  it('refuses a repository nobody created with NAME_UNKNOWN, pulls and pushes alike', async () => {
    const pull = await fetch(`${server.base}/v2/nope/manifests/1.0.0`, { headers: { authorization: AUTH } });
    expect(pull.status).toBe(404);
    expect(await errors(pull)).toEqual([
      {
        code: 'NAME_UNKNOWN',
        message: "The repository with name 'nope' does not exist in the registry with id '000000000000'",
        detail: { name: 'nope' },
      },
    ]);
    const push = await put('1.0.0', imageManifest('a'), 'nope');
    expect(push.status).toBe(404);
    expect(fake.requests).toEqual([]);
  });

  it('answers a manifest GET without Docker-Content-Digest, as ECR does, and a HEAD with it', async () => {
    const digest = fake.put('app', imageManifest('a'), '1.0.0');
    const get = await fetch(`${server.base}/v2/app/manifests/1.0.0`, { headers: { authorization: AUTH, accept: DOCKER } });
    expect(get.status).toBe(200);
    expect(get.headers.get('docker-content-digest')).toBeNull();
    expect(manifestDigest(Buffer.from(await get.arrayBuffer()))).toBe(digest);
    const head = await fetch(`${server.base}/v2/app/manifests/1.0.0`, { method: 'HEAD', headers: { authorization: AUTH, accept: DOCKER } });
    expect(head.headers.get('docker-content-digest')).toBe(digest);
  });

  it('counts the bytes of blobs it serves', async () => {
    fake.blob = Buffer.alloc(1234);
    await (await fetch(`${server.base}/v2/app/blobs/sha256:${'a'.repeat(64)}`, { headers: { authorization: AUTH } })).arrayBuffer();
    expect(proxy.instrumentation.stats.snapshot().blobBytes).toBe(1234);
  });

  it('records a push by tag: the assignment, the first push time and a log line', async () => {
    const body = imageManifest('a');
    const res = await put('1.0.0', body);
    expect(res.status).toBe(201);
    const digest = manifestDigest(body);
    expect(history.list()).toEqual([
      expect.objectContaining({ registryId: '000000000000', repository: 'app', tag: '1.0.0', digest, previous: null, via: 'push' }),
    ]);
    expect(acct.meta.get('app')?.pushedAt[digest]).toEqual(expect.any(Number));
    expect(logged).toEqual([`pushed 000000000000/app:1.0.0 ${digest}`]);
  });

  it('records a push by digest as a push, not as a tag assignment', async () => {
    const body = imageManifest('a');
    const digest = manifestDigest(body);
    expect((await put(digest, body)).status).toBe(201);
    expect(history.list()).toEqual([]);
    expect(acct.meta.get('app')?.pushedAt[digest]).toEqual(expect.any(Number));
    expect(logged).toEqual([`pushed 000000000000/app ${digest}`]);
  });

  it('keeps an immutable tag from moving, lets the same digest be pushed again, and lets an excluded tag move', async () => {
    await put('1.0.0', imageManifest('a'));
    const moved = await put('1.0.0', imageManifest('b'));
    expect(moved.status).toBe(400);
    expect(await errors(moved)).toEqual([
      {
        code: 'TAG_INVALID',
        message: "The image tag '1.0.0' already exists in the 'app' repository and cannot be overwritten because the tag is immutable.",
        detail: null,
      },
    ]);
    expect((await put('1.0.0', imageManifest('a'))).status).toBe(201);
    await put('latest', imageManifest('a'));
    expect((await put('latest', imageManifest('b'))).status).toBe(201);
    expect(history.list().map((e) => [e.tag, e.previous === null ? null : 'was'])).toEqual([
      ['1.0.0', null],
      ['1.0.0', 'was'],
      ['latest', null],
      ['latest', 'was'],
    ]);
    expect(logged.filter((m) => m.startsWith('refused'))).toHaveLength(1);
  });

  it('lets exactly one of two racing pushes of one immutable tag win', async () => {
    const statuses = await Promise.all(
      [put('2.0.0', imageManifest('x')), put('2.0.0', imageManifest('y'))].map(async (p) => (await p).status),
    );
    expect(statuses.sort()).toEqual([201, 400]);
  });

  it(`drops a manifest push over ${MAX_MANIFEST_BYTES} bytes before it reaches the registry`, async () => {
    // readBody stops reading by destroying the connection, so its SIZE_INVALID answer never reaches the client.
    await expect(put('big', Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20))).rejects.toThrow('fetch failed');
    expect(fake.requests).toEqual([]);
    expect(acct.meta.get('app')?.pushedAt).toEqual({});
  });

  it('answers UNAVAILABLE when its backing registry is down', async () => {
    await fake.stop();
    const res = await fetch(`${server.base}/v2/`, { headers: { authorization: AUTH } });
    expect(res.status).toBe(502);
    expect(await errors(res)).toEqual([
      {
        code: 'UNAVAILABLE',
        message: expect.stringMatching(new RegExp(`^backing registry ${acct.registry.url.host}: .*ECONNREFUSED`)) as jest.AsymmetricMatcher,
        detail: null,
      },
    ]);
  });

  describe('the referrers API, which ECR serves and the backing registry lacks', () => {
    const OCI = 'application/vnd.oci.image.manifest.v1+json';
    const subjectBody = Buffer.from(JSON.stringify(imageManifest('subject')));
    const SUBJECT = manifestDigest(subjectBody);
    const artifact = (artifactType: string, extra: Record<string, unknown> = {}) =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI,
          artifactType,
          config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: `sha256:${'4'.repeat(64)}`, size: 2 },
          layers: [{ mediaType: artifactType, digest: `sha256:${'5'.repeat(64)}`, size: 10 }],
          subject: { mediaType: DOCKER, digest: SUBJECT, size: subjectBody.length },
          annotations: { 'org.opencontainers.image.created': '2026-11-29T10:00:00Z' },
          ...extra,
        }),
      );
    const putOci = (reference: string, body: Buffer): Promise<Response> =>
      fetch(`${server.base}/v2/app/manifests/${reference}`, { method: 'PUT', headers: { authorization: AUTH, 'content-type': OCI }, body });
    const stateOf = (folder: string) =>
      JSON.parse(fs.readFileSync(path.join(folder, 'meta.json'), 'utf8')) as { referrers?: Record<string, Record<string, unknown[]>> };
    const referrers = (digest: string, query = ''): Promise<Response> =>
      fetch(`${server.base}/v2/app/referrers/${digest}${query}`, { headers: { authorization: AUTH } });

    it('answers a manifest pushed with a subject with OCI-Subject, and lists it under that subject with its artifactType and annotations', async () => {
      const sbom = artifact('application/vnd.cyclonedx+json');
      const pushed = await putOci(manifestDigest(sbom), sbom);
      expect(pushed.status).toBe(201);
      expect(pushed.headers.get('oci-subject')).toBe(SUBJECT);
      const res = await referrers(SUBJECT);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/vnd.oci.image.index.v1+json');
      expect(res.headers.get('oci-filters-applied')).toBeNull();
      expect(await res.json()).toEqual({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: OCI,
            digest: manifestDigest(sbom),
            size: sbom.length,
            artifactType: 'application/vnd.cyclonedx+json',
            annotations: { 'org.opencontainers.image.created': '2026-11-29T10:00:00Z' },
          },
        ],
      });
    });

    it('answers a push without a subject without OCI-Subject, and records nothing', async () => {
      const res = await putOci('v1', subjectBody);
      expect(res.status).toBe(201);
      expect(res.headers.get('oci-subject')).toBeNull();
      expect(((await (await referrers(manifestDigest(subjectBody))).json()) as { manifests: unknown[] }).manifests).toEqual([]);
    });

    it('filters by artifactType and says so; an unknown digest gets an empty index, a malformed one 400', async () => {
      const sbom = artifact('application/vnd.cyclonedx+json');
      const sig = artifact('application/vnd.dev.cosign.artifact.sig.v1+json');
      await putOci(manifestDigest(sbom), sbom);
      await putOci(manifestDigest(sig), sig);
      const filtered = await referrers(SUBJECT, '?artifactType=application%2Fvnd.cyclonedx%2Bjson');
      expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
      expect(((await filtered.json()) as { manifests: Array<{ digest: string }> }).manifests.map((m) => m.digest)).toEqual([
        manifestDigest(sbom),
      ]);
      expect(((await (await referrers(SUBJECT)).json()) as { manifests: unknown[] }).manifests).toHaveLength(2);
      const unknown = await referrers(`sha256:${'0'.repeat(64)}`);
      expect(unknown.status).toBe(200);
      expect(((await unknown.json()) as { manifests: unknown[] }).manifests).toEqual([]);
      expect((await referrers('sha256:nothex')).status).toBe(400);
    });

    it('keeps the record in the stack state, and drops it when the referrer manifest is deleted', async () => {
      const sbom = artifact('application/vnd.cyclonedx+json');
      await putOci(manifestDigest(sbom), sbom);
      expect(stateOf(dir).referrers?.app[SUBJECT]).toHaveLength(1);
      const deleted = await fetch(`${server.base}/v2/app/manifests/${manifestDigest(sbom)}`, {
        method: 'DELETE',
        headers: { authorization: AUTH },
      });
      expect(deleted.status).toBe(202);
      expect(((await (await referrers(SUBJECT)).json()) as { manifests: unknown[] }).manifests).toEqual([]);
      expect(stateOf(dir).referrers).toBeUndefined();
    });

    it('refuses, as ECR does, an artifactType or layer media type with parameters', async () => {
      const typed = artifact('application/vnd.dev.sigstore.bundle+json;version=0.2');
      const res = await putOci(manifestDigest(typed), typed);
      expect(res.status).toBe(405);
      expect(await errors(res)).toEqual([
        {
          code: 'UNSUPPORTED',
          message: "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'",
          detail: null,
        },
      ]);
      expect(fake.requests.filter((r) => r.method === 'PUT')).toEqual([]);
    });

    it('refuses a referrers request for a repository nobody created', async () => {
      const res = await fetch(`${server.base}/v2/nobody/referrers/${SUBJECT}`, { headers: { authorization: AUTH } });
      expect(res.status).toBe(404);
      expect(await errors(res)).toEqual([expect.objectContaining({ code: 'NAME_UNKNOWN' })]);
    });
  });
});
