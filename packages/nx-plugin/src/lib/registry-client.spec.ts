import { createHash } from 'node:crypto';
import { UserError } from '../types/errors';
import { parseImageRef } from '../types/image-ref';
import { MANIFEST_ACCEPT } from '../types/media-types';
import { parseChallenge, RegistryClient } from './registry-client';

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
}

type Handler = (req: Sent) => Response;

/** A fetch that records each request and answers from the handlers in order (the last one repeats). */
function fakeFetch(...handlers: Handler[]) {
  const sent: Sent[] = [];
  const fetch = ((input: string | URL, init: RequestInit = {}) => {
    const req: Sent = { url: String(input), method: init.method ?? 'GET', headers: { ...(init.headers as Record<string, string>) } };
    sent.push(req);
    const handler = handlers[Math.min(sent.length - 1, handlers.length - 1)];
    return Promise.resolve(handler(req));
  }) as unknown as typeof globalThis.fetch;
  return { sent, fetch };
}

const DIGEST = `sha256:${'d'.repeat(64)}`;
/** The digest of a body as ok() serves it. */
const digestOf = (body: unknown) => `sha256:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`;
const RUNTIME = parseImageRef('mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim');

const ok =
  (headers: Record<string, string> = {}, body?: unknown) =>
  () =>
    new Response(body === undefined ? null : JSON.stringify(body), { status: 200, headers });
const status =
  (code: number, headers: Record<string, string> = {}) =>
  () =>
    new Response(null, { status: code, headers });

const CHALLENGE = 'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:dotnet/runtime:pull"';

describe('parseChallenge', () => {
  it.each([
    [
      CHALLENGE,
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:dotnet/runtime:pull' },
      },
    ],
    [
      'Basic realm="https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/",service="ecr.amazonaws.com"',
      { scheme: 'basic', params: { realm: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/', service: 'ecr.amazonaws.com' } },
    ],
    [
      'Bearer realm=https://auth.example/token,service=reg',
      { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'reg' } },
    ],
    ['Basic', { scheme: 'basic', params: {} }],
  ])('%s', (header, expected) => {
    expect(parseChallenge(header)).toEqual(expected);
  });

  it('returns undefined for an empty header', () => {
    expect(parseChallenge('')).toBeUndefined();
  });
});

describe('RegistryClient.resolveDigest', () => {
  it('sends one HEAD with the manifest Accept header and returns Docker-Content-Digest', async () => {
    const { sent, fetch } = fakeFetch(ok({ 'Docker-Content-Digest': DIGEST }));
    const client = new RegistryClient({ fetch });
    await expect(client.resolveDigest(RUNTIME)).resolves.toBe(DIGEST);
    expect(sent).toEqual([
      {
        url: 'https://mcr.microsoft.com/v2/dotnet/runtime/manifests/6.0-bullseye-slim',
        method: 'HEAD',
        headers: { Accept: MANIFEST_ACCEPT },
      },
    ]);
    expect(MANIFEST_ACCEPT).toBe(
      'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
    );
    expect(client.requestCount).toBe(1);
  });

  it('asks for a digest reference by digest', async () => {
    const { sent, fetch } = fakeFetch(ok({ 'Docker-Content-Digest': DIGEST }));
    await new RegistryClient({ fetch }).resolveDigest(parseImageRef(`nginx@${DIGEST}`));
    expect(sent[0].url).toBe(`https://registry-1.docker.io/v2/library/nginx/manifests/${DIGEST}`);
  });

  it('without a digest header on HEAD, GETs the manifest and hashes its bytes (the header is optional)', async () => {
    const body = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] };
    const { sent, fetch } = fakeFetch(ok(), ok({}, body));
    await expect(new RegistryClient({ fetch }).resolveDigest(RUNTIME)).resolves.toBe(digestOf(body));
    expect(sent.map((s) => `${s.method} ${s.url} ${s.headers.Accept}`)).toEqual([
      `HEAD https://mcr.microsoft.com/v2/dotnet/runtime/manifests/6.0-bullseye-slim ${MANIFEST_ACCEPT}`,
      `GET https://mcr.microsoft.com/v2/dotnet/runtime/manifests/6.0-bullseye-slim ${MANIFEST_ACCEPT}`,
    ]);
  });

  it('answers a Bearer challenge with an anonymous token and reuses the token', async () => {
    const { sent, fetch } = fakeFetch(
      status(401, { 'WWW-Authenticate': CHALLENGE }),
      ok({}, { token: 'tok-1' }),
      ok({ 'Docker-Content-Digest': DIGEST }),
      ok({ 'Docker-Content-Digest': DIGEST }),
    );
    const client = new RegistryClient({ fetch });
    await expect(client.resolveDigest(RUNTIME)).resolves.toBe(DIGEST);
    await expect(client.resolveDigest(parseImageRef('mcr.microsoft.com/dotnet/runtime:8.0'))).resolves.toBe(DIGEST);

    expect(sent.map((s) => `${s.method} ${s.url.split('?')[0]}`)).toEqual([
      'HEAD https://mcr.microsoft.com/v2/dotnet/runtime/manifests/6.0-bullseye-slim',
      'GET https://auth.example/token',
      'HEAD https://mcr.microsoft.com/v2/dotnet/runtime/manifests/6.0-bullseye-slim',
      'HEAD https://mcr.microsoft.com/v2/dotnet/runtime/manifests/8.0',
    ]);
    const token = new URL(sent[1].url);
    expect([...token.searchParams.entries()]).toEqual([
      ['service', 'registry.example'],
      ['scope', 'repository:dotnet/runtime:pull'],
    ]);
    expect(sent[1].headers).toEqual({});
    expect(sent[0].headers.Authorization).toBeUndefined();
    expect(sent[2].headers).toEqual({ Accept: MANIFEST_ACCEPT, Authorization: 'Bearer tok-1' });
    expect(sent[3].headers).toEqual({ Accept: MANIFEST_ACCEPT, Authorization: 'Bearer tok-1' });
    expect(client.requestCount).toBe(4);
  });

  it('accepts access_token and derives the scope when the challenge has none', async () => {
    const { sent, fetch } = fakeFetch(
      status(401, { 'WWW-Authenticate': 'Bearer realm="https://auth.example/token"' }),
      ok({}, { access_token: 'tok-2' }),
      ok({ 'Docker-Content-Digest': DIGEST }),
    );
    await new RegistryClient({ fetch }).resolveDigest(RUNTIME);
    expect([...new URL(sent[1].url).searchParams.entries()]).toEqual([['scope', 'repository:dotnet/runtime:pull']]);
    expect(sent[2].headers.Authorization).toBe('Bearer tok-2');
  });

  it('sends credentials to the token service when it has them', async () => {
    const { sent, fetch } = fakeFetch(
      status(401, { 'WWW-Authenticate': CHALLENGE }),
      ok({}, { token: 't' }),
      ok({ 'Docker-Content-Digest': DIGEST }),
    );
    await new RegistryClient({ fetch, credentials: () => ({ username: 'u', password: 'p' }) }).resolveDigest(RUNTIME);
    expect(sent[1].headers).toEqual({ Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
  });

  it('answers a Basic challenge with the credentials of the reference registry', async () => {
    const ecr = parseImageRef('123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime:6.0-bullseye-slim-1.0.0');
    const credentials = jest.fn(() => ({ username: 'AWS', password: 'secret' }));
    const { sent, fetch } = fakeFetch(
      status(401, {
        'WWW-Authenticate': 'Basic realm="https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/",service="ecr.amazonaws.com"',
      }),
      ok({ 'Docker-Content-Digest': DIGEST }),
    );
    await expect(new RegistryClient({ fetch, credentials }).resolveDigest(ecr)).resolves.toBe(DIGEST);
    expect(credentials).toHaveBeenCalledWith('123456789012.dkr.ecr.eu-west-1.amazonaws.com');
    expect(sent).toHaveLength(2);
    expect(sent[1].headers.Authorization).toBe(`Basic ${Buffer.from('AWS:secret').toString('base64')}`);
  });

  it('fails on a Basic challenge without credentials', async () => {
    const { fetch } = fakeFetch(status(401, { 'WWW-Authenticate': 'Basic realm="r"' }));
    await expect(new RegistryClient({ fetch }).resolveDigest(RUNTIME)).rejects.toThrow(
      'the registry wants credentials and none are configured',
    );
  });

  it('fails on a challenge it cannot answer', async () => {
    const { fetch } = fakeFetch(status(401));
    await expect(new RegistryClient({ fetch }).resolveDigest(RUNTIME)).rejects.toThrow(
      'requires authentication without a usable challenge',
    );
  });

  it('refuses access when the token is rejected, without asking again', async () => {
    const { sent, fetch } = fakeFetch(
      status(401, { 'WWW-Authenticate': CHALLENGE }),
      ok({}, { token: 't' }),
      status(401, { 'WWW-Authenticate': CHALLENGE }),
    );
    const error = await new RegistryClient({ fetch }).resolveDigest(RUNTIME).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe('mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim: the registry refused access (HTTP 401)');
    expect(sent).toHaveLength(3);
  });

  it.each([
    [403, { errors: [] }, 'the token service at auth.example answered HTTP 403'],
    [200, { expires_in: 300 }, 'the token service at auth.example returned no token'],
  ])('fails when the token service answers %i with %j', async (code, body, message) => {
    const { fetch } = fakeFetch(status(401, { 'WWW-Authenticate': CHALLENGE }), () => new Response(JSON.stringify(body), { status: code }));
    await expect(new RegistryClient({ fetch }).resolveDigest(RUNTIME)).rejects.toThrow(message);
  });

  it('reports 404 as not found with a hint', async () => {
    const { fetch } = fakeFetch(status(404));
    const error = await new RegistryClient({ fetch }).resolveDigest(RUNTIME).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(
      'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim: not found in the registry (HEAD manifests answered 404)',
    );
    expect((error as UserError).hint).toMatch(/exist upstream/);
  });

  describe('retries', () => {
    // The backoff runs on fake timers: the tests step the clock instead of waiting.
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('retries a 503 and succeeds', async () => {
      const { sent, fetch } = fakeFetch(status(503), ok({ 'Docker-Content-Digest': DIGEST }));
      const client = new RegistryClient({ fetch });
      const result = client.resolveDigest(RUNTIME);
      await jest.advanceTimersByTimeAsync(500);
      await expect(result).resolves.toBe(DIGEST);
      expect(sent.map((s) => s.method)).toEqual(['HEAD', 'HEAD']);
      expect(client.requestCount).toBe(2);
    });

    it('backs off longer on each attempt', async () => {
      const { sent, fetch } = fakeFetch(status(500), status(500), ok({ 'Docker-Content-Digest': DIGEST }));
      const result = new RegistryClient({ fetch }).resolveDigest(RUNTIME);
      await jest.advanceTimersByTimeAsync(499);
      expect(sent).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(1);
      expect(sent).toHaveLength(2);
      await jest.advanceTimersByTimeAsync(999);
      expect(sent).toHaveLength(2);
      await jest.advanceTimersByTimeAsync(1);
      await expect(result).resolves.toBe(DIGEST);
      expect(sent).toHaveLength(3);
    });

    it('waits as long as Retry-After says on 429', async () => {
      const { sent, fetch } = fakeFetch(status(429, { 'Retry-After': '2' }), ok({ 'Docker-Content-Digest': DIGEST }));
      const result = new RegistryClient({ fetch }).resolveDigest(RUNTIME);
      await jest.advanceTimersByTimeAsync(1999);
      expect(sent).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(1);
      await expect(result).resolves.toBe(DIGEST);
      expect(sent).toHaveLength(2);
    });

    it('tries a reset connection again', async () => {
      let calls = 0;
      const fetch = (() => {
        if (++calls === 1) return Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }));
        return Promise.resolve(new Response(null, { status: 200, headers: { 'Docker-Content-Digest': DIGEST } }));
      }) as unknown as typeof globalThis.fetch;
      const result = new RegistryClient({ fetch }).resolveDigest(RUNTIME);
      await jest.advanceTimersByTimeAsync(500);
      await expect(result).resolves.toBe(DIGEST);
      expect(calls).toBe(2);
    });

    it('gives up at once when Retry-After is longer than the bound', async () => {
      const { sent, fetch } = fakeFetch(status(429, { 'Retry-After': '120' }));
      await expect(new RegistryClient({ fetch }).resolveDigest(RUNTIME)).rejects.toThrow(
        'the registry answered HTTP 429 to HEAD manifests, it asked to retry after 120 s, longer than the 30 s this run waits',
      );
      expect(sent).toHaveLength(1);
    });

    it('gives up after three 5xx answers', async () => {
      const { sent, fetch } = fakeFetch(status(502));
      const result = expect(new RegistryClient({ fetch }).resolveDigest(RUNTIME)).rejects.toThrow(
        'the registry answered HTTP 502 to HEAD manifests',
      );
      await jest.advanceTimersByTimeAsync(1500);
      await result;
      expect(sent).toHaveLength(3);
    });
  });

  it('does not retry other client errors', async () => {
    const { sent, fetch } = fakeFetch(status(400));
    await expect(new RegistryClient({ fetch }).resolveDigest(RUNTIME)).rejects.toThrow('HTTP 400');
    expect(sent).toHaveLength(1);
  });

  it('turns a network failure into a UserError naming the host', async () => {
    const fetch = (() =>
      Promise.reject(
        Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      )) as unknown as typeof globalThis.fetch;
    const client = new RegistryClient({
      fetch,
      mirrors: { 'mcr.microsoft.com': 'http://localhost:5001' },
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    });
    const error = await client.resolveDigest(RUNTIME).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(
      'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim: cannot reach localhost:5001 (ECONNREFUSED) after 2 attempts',
    );
    expect(client.requestCount).toBe(2);
  });

  it.each<[Record<string, string>, string]>([
    [{ 'mcr.microsoft.com': 'http://localhost:5001' }, 'http://localhost:5001/v2/dotnet/runtime/manifests/6.0-bullseye-slim'],
    [{ 'mcr.microsoft.com': 'localhost:5001' }, 'http://localhost:5001/v2/dotnet/runtime/manifests/6.0-bullseye-slim'],
    [{ 'mcr.microsoft.com': 'localhost:5001/' }, 'http://localhost:5001/v2/dotnet/runtime/manifests/6.0-bullseye-slim'],
    [{ 'mcr.microsoft.com': 'mirror.corp.example' }, 'https://mirror.corp.example/v2/dotnet/runtime/manifests/6.0-bullseye-slim'],
    [
      { 'mcr.microsoft.com': 'http://cache.corp.example:8080' },
      'http://cache.corp.example:8080/v2/dotnet/runtime/manifests/6.0-bullseye-slim',
    ],
    [{ 'docker.io': 'http://localhost:5002' }, 'https://mcr.microsoft.com/v2/dotnet/runtime/manifests/6.0-bullseye-slim'],
  ])('with mirrors %j asks %s', async (mirrors, url) => {
    const { sent, fetch } = fakeFetch(ok({ 'Docker-Content-Digest': DIGEST }));
    await new RegistryClient({ fetch, mirrors }).resolveDigest(RUNTIME);
    expect(sent.map((s) => s.url)).toEqual([url]);
  });
});

describe('RegistryClient.imageLabels', () => {
  const ref = parseImageRef('123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime:6.0-bullseye-slim-1.0.0');
  const base = 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/v2/runtime';
  const config = `sha256:${'c'.repeat(64)}`;
  const labels = { 'org.opencontainers.image.base.digest': DIGEST };

  const manifest = { mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: config } };
  const armManifest = { ...manifest, annotations: { platform: 'arm64' } };
  // Content-addressed: an index names its manifests by the digests of their bytes.
  const amd64 = digestOf(manifest);
  const arm64 = digestOf(armManifest);
  const index = {
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { digest: arm64, platform: { os: 'linux', architecture: 'arm64' } },
      { digest: amd64, platform: { os: 'linux', architecture: 'amd64' } },
    ],
  };

  it('follows an index to linux/amd64 and reads the config labels', async () => {
    const { sent, fetch } = fakeFetch(
      ok({ 'Docker-Content-Digest': DIGEST }, index),
      ok({}, manifest),
      ok({}, { architecture: 'amd64', config: { Labels: labels } }),
    );
    const client = new RegistryClient({ fetch });
    await expect(client.imageLabels(ref)).resolves.toEqual({ digest: digestOf(index), labels });
    expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      `GET ${base}/manifests/6.0-bullseye-slim-1.0.0`,
      `GET ${base}/manifests/${amd64}`,
      `GET ${base}/blobs/${config}`,
    ]);
    expect(sent[0].headers.Accept).toBe(MANIFEST_ACCEPT);
    expect(sent[1].headers.Accept).toBe(MANIFEST_ACCEPT);
    expect(client.requestCount).toBe(3);
  });

  it('picks the configured platform', async () => {
    const { sent, fetch } = fakeFetch(
      ok({ 'Docker-Content-Digest': DIGEST }, index),
      ok({}, armManifest),
      ok({}, { config: { Labels: labels } }),
    );
    await new RegistryClient({ fetch, platform: { os: 'linux', architecture: 'arm64' } }).imageLabels(ref);
    expect(sent[1].url).toBe(`${base}/manifests/${arm64}`);
  });

  it('reads a single-platform manifest directly', async () => {
    const { sent, fetch } = fakeFetch(ok({ 'Docker-Content-Digest': DIGEST }, manifest), ok({}, { config: { Labels: null } }));
    await expect(new RegistryClient({ fetch }).imageLabels(ref)).resolves.toEqual({ digest: digestOf(manifest), labels: {} });
    expect(sent.map((s) => s.url)).toEqual([`${base}/manifests/6.0-bullseye-slim-1.0.0`, `${base}/blobs/${config}`]);
  });

  it('keeps the credentials for every request of one repository', async () => {
    const { sent, fetch } = fakeFetch(
      status(401, { 'WWW-Authenticate': 'Basic realm="x"' }),
      ok({ 'Docker-Content-Digest': DIGEST }, index),
      ok({}, manifest),
      ok({}, { config: { Labels: labels } }),
    );
    await new RegistryClient({ fetch, credentials: () => ({ username: 'AWS', password: 'pw' }) }).imageLabels(ref);
    const auth = `Basic ${Buffer.from('AWS:pw').toString('base64')}`;
    expect(sent.map((s) => s.headers.Authorization)).toEqual([undefined, auth, auth, auth]);
  });

  it('takes the digest from the bytes: private ECR answers GET without Docker-Content-Digest', async () => {
    const { fetch } = fakeFetch(ok({}, manifest), ok({}, { config: { Labels: labels } }));
    await expect(new RegistryClient({ fetch }).imageLabels(ref)).resolves.toEqual({ digest: digestOf(manifest), labels });
  });

  it('refuses a manifest fetched by digest whose bytes have another digest', async () => {
    const { fetch } = fakeFetch(ok({}, index), ok({}, { ...manifest, tampered: true }));
    await expect(new RegistryClient({ fetch }).imageLabels(ref)).rejects.toThrow(
      `the registry served a manifest whose digest is ${digestOf({ ...manifest, tampered: true })}, not the ${amd64} asked for`,
    );
  });

  it.each<[string, unknown, string]>([
    ['an empty index', { mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }, 'the image index lists no manifests'],
    ['no config', { mediaType: 'application/vnd.oci.image.manifest.v1+json' }, 'the manifest has no config'],
  ])('fails on %s', async (_name, body, message) => {
    const { fetch } = fakeFetch(ok({ 'Docker-Content-Digest': DIGEST }, body));
    await expect(new RegistryClient({ fetch }).imageLabels(ref)).rejects.toThrow(message);
  });
});

describe('writing to a registry (what ecr-publish attaches)', () => {
  const ECR = parseImageRef('localhost:5002/runtime');
  const credentials = () => ({ username: 'AWS', password: 'token' });
  const BYTES = Buffer.from('{"bomFormat":"CycloneDX"}');
  const BLOB = `sha256:${createHash('sha256').update(BYTES).digest('hex')}`;

  it('uploads a missing blob by POST then PUT to the Location with its digest, with Basic credentials', async () => {
    const { sent, fetch } = fakeFetch(
      status(401, { 'www-authenticate': 'Basic realm="ECR"' }),
      status(404),
      () => new Response(null, { status: 202, headers: { location: '/v2/runtime/blobs/uploads/u1?_state=s' } }),
      status(201),
    );
    await expect(new RegistryClient({ fetch, credentials }).pushBlob(ECR, BYTES)).resolves.toEqual({ digest: BLOB, size: BYTES.length });
    expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      `HEAD http://localhost:5002/v2/runtime/blobs/${BLOB}`,
      `HEAD http://localhost:5002/v2/runtime/blobs/${BLOB}`,
      'POST http://localhost:5002/v2/runtime/blobs/uploads/',
      `PUT http://localhost:5002/v2/runtime/blobs/uploads/u1?_state=s&digest=${encodeURIComponent(BLOB)}`,
    ]);
    expect(sent[3].headers.Authorization).toBe(`Basic ${Buffer.from('AWS:token').toString('base64')}`);
  });

  it('uploads nothing when the blob is there', async () => {
    const { sent, fetch } = fakeFetch(ok());
    await new RegistryClient({ fetch }).pushBlob(ECR, BYTES);
    expect(sent.map((s) => s.method)).toEqual(['HEAD']);
  });

  it.each([
    [{ 'oci-subject': DIGEST }, DIGEST],
    [{}, undefined],
  ])('answers a manifest PUT with the OCI-Subject the registry sent (%j)', async (headers, subject) => {
    const { sent, fetch } = fakeFetch(() => new Response(null, { status: 201, headers }));
    const result = await new RegistryClient({ fetch }).putManifest(ECR, BLOB, BYTES, 'application/vnd.oci.image.manifest.v1+json');
    expect(result).toEqual({ digest: BLOB, subject });
    expect(sent[0]).toMatchObject({ method: 'PUT', url: `http://localhost:5002/v2/runtime/manifests/${BLOB}` });
    expect(sent[0].headers['Content-Type']).toBe('application/vnd.oci.image.manifest.v1+json');
  });

  it('names the registry’s own error when it refuses a manifest (ECR answers 405 UNSUPPORTED)', async () => {
    const body = {
      errors: [
        { code: 'UNSUPPORTED', message: "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'" },
      ],
    };
    const { fetch } = fakeFetch(() => new Response(JSON.stringify(body), { status: 405 }));
    await expect(new RegistryClient({ fetch }).putManifest(ECR, BLOB, BYTES, 'application/vnd.oci.image.manifest.v1+json')).rejects.toThrow(
      "HTTP 405 to PUT manifests: UNSUPPORTED Invalid parameter at 'ImageManifest'",
    );
  });

  it('lists referrers, following Link pages, and says whether the registry filtered', async () => {
    const page = (digest: string) => ({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'm', digest, size: 1 }],
    });
    const { sent, fetch } = fakeFetch(
      ok({ 'oci-filters-applied': 'artifactType', link: '</v2/runtime/referrers/x?n=1&last=a>; rel="next"' }, page('a')),
      ok({ 'oci-filters-applied': 'artifactType' }, page('b')),
    );
    await expect(new RegistryClient({ fetch }).referrers(ECR, DIGEST, 'application/vnd.cyclonedx+json')).resolves.toEqual({
      manifests: [page('a').manifests[0], page('b').manifests[0]],
      filtered: true,
    });
    expect(sent.map((s) => s.url)).toEqual([
      `http://localhost:5002/v2/runtime/referrers/${DIGEST}?artifactType=application%2Fvnd.cyclonedx%2Bjson`,
      'http://localhost:5002/v2/runtime/referrers/x?n=1&last=a',
    ]);
  });

  it('a 404 on the referrers listing means no referrers API', async () => {
    const { fetch } = fakeFetch(status(404));
    await expect(new RegistryClient({ fetch }).referrers(ECR, DIGEST)).resolves.toBeUndefined();
  });

  it('reads a manifest’s bytes, undefined when the reference names nothing', async () => {
    const { fetch } = fakeFetch(ok({ 'content-type': 'application/vnd.oci.image.index.v1+json' }, { manifests: [] }), status(404));
    const client = new RegistryClient({ fetch });
    await expect(client.getManifest(ECR, 'sha256-x')).resolves.toEqual({
      bytes: Buffer.from('{"manifests":[]}'),
      mediaType: 'application/vnd.oci.image.index.v1+json',
    });
    await expect(client.getManifest(ECR, 'sha256-y')).resolves.toBeUndefined();
  });
});

describe('RegistryClient.resolveBase', () => {
  const AMD = `sha256:${'a'.repeat(64)}`;
  const ARM = `sha256:${'e'.repeat(64)}`;
  const V7 = `sha256:${'7'.repeat(64)}`;
  const ATT = `sha256:${'0'.repeat(64)}`;
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: AMD, size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: ARM,
        size: 1,
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      },
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: V7,
        size: 1,
        platform: { os: 'linux', architecture: 'arm', variant: 'v7' },
      },
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: ATT,
        size: 1,
        platform: { os: 'unknown', architecture: 'unknown' },
      },
    ],
  };

  it('one GET of the index gives its digest and each platform manifest (attestations left out, arm64/v8 is arm64)', async () => {
    const { sent, fetch } = fakeFetch(ok({ 'Docker-Content-Digest': DIGEST }, index));
    const client = new RegistryClient({ fetch });
    await expect(client.resolveBase(RUNTIME)).resolves.toEqual({
      digest: digestOf(index),
      platforms: { 'linux/amd64': AMD, 'linux/arm64': ARM, 'linux/arm/v7': V7 },
    });
    expect(sent).toEqual([
      {
        url: 'https://mcr.microsoft.com/v2/dotnet/runtime/manifests/6.0-bullseye-slim',
        method: 'GET',
        headers: { Accept: MANIFEST_ACCEPT },
      },
    ]);
    expect(client.requestCount).toBe(1);
  });

  it('a single manifest: its digest, no platforms', async () => {
    const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: DIGEST }, layers: [] };
    const { fetch } = fakeFetch(ok({}, manifest));
    await expect(new RegistryClient({ fetch }).resolveBase(RUNTIME)).resolves.toEqual({ digest: digestOf(manifest) });
  });

  it('asks a pinned reference by its digest, and refuses bytes of another digest', async () => {
    const { sent, fetch } = fakeFetch(ok({}, index));
    await expect(new RegistryClient({ fetch }).resolveBase(parseImageRef(`nginx@${DIGEST}`))).rejects.toThrow(
      /not the sha256:d+ asked for/,
    );
    expect(sent[0].url).toBe(`https://registry-1.docker.io/v2/library/nginx/manifests/${DIGEST}`);
  });
});

describe('RegistryClient.configCreated', () => {
  const CONFIG = `sha256:${'c'.repeat(64)}`;
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: CONFIG, size: 1 },
    layers: [],
  };

  it("reads the platform's manifest by digest, then its config blob: two GETs, no more", async () => {
    const { sent, fetch } = fakeFetch(ok({}, manifest), ok({}, { created: '2024-03-05T21:14:07.123456789Z', architecture: 'amd64' }));
    const client = new RegistryClient({ fetch });
    await expect(client.configCreated(RUNTIME, digestOf(manifest))).resolves.toBe('2024-03-05T21:14:07.123Z');
    expect(sent.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET https://mcr.microsoft.com/v2/dotnet/runtime/manifests/${digestOf(manifest)}`,
      `GET https://mcr.microsoft.com/v2/dotnet/runtime/blobs/${CONFIG}`,
    ]);
  });

  it('is undefined when the config says no time', async () => {
    const { fetch } = fakeFetch(ok({}, manifest), ok({}, { architecture: 'amd64' }));
    await expect(new RegistryClient({ fetch }).configCreated(RUNTIME, digestOf(manifest))).resolves.toBeUndefined();
  });

  it('refuses what is not one image', async () => {
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] };
    const { fetch } = fakeFetch(ok({}, index));
    await expect(new RegistryClient({ fetch }).configCreated(RUNTIME, digestOf(index))).rejects.toThrow(
      /expected one platform's image manifest/,
    );
  });
});
