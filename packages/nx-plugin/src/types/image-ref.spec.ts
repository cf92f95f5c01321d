import {
  canonicalName,
  sameImageName,
  formatImageRef,
  type ImageRef,
  isLoopback,
  parseImageRef,
  pullReference,
  registryEndpoint,
} from './image-ref';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseImageRef', () => {
  it.each<[string, ImageRef]>([
    [
      'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim',
      { registry: 'mcr.microsoft.com', repository: 'dotnet/runtime', tag: '6.0-bullseye-slim', digest: undefined },
    ],
    ['mcr.microsoft.com/dotnet/sdk', { registry: 'mcr.microsoft.com', repository: 'dotnet/sdk', tag: 'latest', digest: undefined }],
    ['nginx', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest', digest: undefined }],
    ['nginx:1.25', { registry: 'docker.io', repository: 'library/nginx', tag: '1.25', digest: undefined }],
    ['bitnami/redis:7.2', { registry: 'docker.io', repository: 'bitnami/redis', tag: '7.2', digest: undefined }],
    ['docker.io/library/alpine:3.19', { registry: 'docker.io', repository: 'library/alpine', tag: '3.19', digest: undefined }],
    ['localhost:5001/x', { registry: 'localhost:5001', repository: 'x', tag: 'latest', digest: undefined }],
    ['localhost/dotnet/runtime:8.0', { registry: 'localhost', repository: 'dotnet/runtime', tag: '8.0', digest: undefined }],
    ['127.0.0.1:5000/a/b/c:t', { registry: '127.0.0.1:5000', repository: 'a/b/c', tag: 't', digest: undefined }],
    [
      `mcr.microsoft.com/dotnet/runtime:6.0@${DIGEST}`,
      { registry: 'mcr.microsoft.com', repository: 'dotnet/runtime', tag: '6.0', digest: DIGEST },
    ],
    [
      `mcr.microsoft.com/dotnet/runtime@${DIGEST}`,
      { registry: 'mcr.microsoft.com', repository: 'dotnet/runtime', tag: undefined, digest: DIGEST },
    ],
    [`alpine@${DIGEST}`, { registry: 'docker.io', repository: 'library/alpine', tag: undefined, digest: DIGEST }],
    ['  nginx:1.25  ', { registry: 'docker.io', repository: 'library/nginx', tag: '1.25', digest: undefined }],
    [
      'my-registry.example:8443/team/app_name:v1',
      { registry: 'my-registry.example:8443', repository: 'team/app_name', tag: 'v1', digest: undefined },
    ],
  ])('%s', (text, expected) => {
    expect(parseImageRef(text)).toEqual(expected);
  });

  it.each([
    ['', /not an image reference/],
    ['   ', /not an image reference/],
    ['nginx latest', /not an image reference/],
    ['Nginx:1.0', /bad repository name/],
    ['mcr.microsoft.com/Dotnet/runtime', /bad repository name/],
    ['mcr.microsoft.com/', /bad repository name/],
    ['nginx:', /bad tag/],
    ['nginx:-bad', /bad tag/],
    [`nginx:${'x'.repeat(129)}`, /bad tag/],
    ['nginx@sha256', /bad digest/],
    ['nginx@', /bad digest/],
    ['a//b', /bad repository name/],
    ['/nginx', /bad repository name/],
  ])('rejects %j', (text, message) => {
    expect(() => parseImageRef(text)).toThrow(message);
  });
});

describe('formatImageRef', () => {
  it.each([
    'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim',
    'nginx:latest',
    'bitnami/redis:7.2',
    'localhost:5001/x:latest',
    `mcr.microsoft.com/dotnet/runtime:6.0@${DIGEST}`,
    `mcr.microsoft.com/dotnet/runtime@${DIGEST}`,
    `alpine@${DIGEST}`,
  ])('round trips %s', (text) => {
    expect(formatImageRef(parseImageRef(text))).toBe(text);
  });

  it.each([
    ['nginx', 'nginx:latest'],
    ['docker.io/library/alpine:3.19', 'alpine:3.19'],
    ['docker.io/bitnami/redis', 'bitnami/redis:latest'],
  ])('normalises %s to %s', (text, formatted) => {
    expect(formatImageRef(parseImageRef(text))).toBe(formatted);
  });

  it('keeps the library/ prefix of a non-Hub registry', () => {
    expect(formatImageRef({ registry: 'localhost:5001', repository: 'library/alpine', tag: '3' })).toBe('localhost:5001/library/alpine:3');
  });
});

describe('registryEndpoint', () => {
  it.each<[string, Record<string, string>, { host: string; baseUrl: string }]>([
    ['mcr.microsoft.com', {}, { host: 'mcr.microsoft.com', baseUrl: 'https://mcr.microsoft.com' }],
    ['docker.io', {}, { host: 'docker.io', baseUrl: 'https://registry-1.docker.io' }],
    ['localhost:5001', {}, { host: 'localhost:5001', baseUrl: 'http://localhost:5001' }],
    ['localhost', {}, { host: 'localhost', baseUrl: 'http://localhost' }],
    ['127.0.0.1:5000', {}, { host: '127.0.0.1:5000', baseUrl: 'http://127.0.0.1:5000' }],
    ['[::1]:5000', {}, { host: '[::1]:5000', baseUrl: 'http://[::1]:5000' }],
    ['registry.example:5000', {}, { host: 'registry.example:5000', baseUrl: 'https://registry.example:5000' }],
    ['mcr.microsoft.com', { 'mcr.microsoft.com': 'http://localhost:5001' }, { host: 'localhost:5001', baseUrl: 'http://localhost:5001' }],
    ['mcr.microsoft.com', { 'mcr.microsoft.com': 'http://localhost:5001/' }, { host: 'localhost:5001', baseUrl: 'http://localhost:5001' }],
    ['mcr.microsoft.com', { 'mcr.microsoft.com': 'localhost:5001' }, { host: 'localhost:5001', baseUrl: 'http://localhost:5001' }],
    ['mcr.microsoft.com', { 'mcr.microsoft.com': 'localhost:5001/' }, { host: 'localhost:5001', baseUrl: 'http://localhost:5001' }],
    [
      'mcr.microsoft.com',
      { 'mcr.microsoft.com': 'mirror.corp.example' },
      { host: 'mirror.corp.example', baseUrl: 'https://mirror.corp.example' },
    ],
    ['mcr.microsoft.com', { 'mcr.microsoft.com': 'https://localhost:5443' }, { host: 'localhost:5443', baseUrl: 'https://localhost:5443' }],
    [
      'mcr.microsoft.com',
      { 'mcr.microsoft.com': 'http://cache.corp.example:8080' },
      { host: 'cache.corp.example:8080', baseUrl: 'http://cache.corp.example:8080' },
    ],
    [
      'docker.io',
      { 'docker.io': 'https://hub-cache.corp.example' },
      { host: 'hub-cache.corp.example', baseUrl: 'https://hub-cache.corp.example' },
    ],
    ['mcr.microsoft.com', { 'docker.io': 'http://localhost:5002' }, { host: 'mcr.microsoft.com', baseUrl: 'https://mcr.microsoft.com' }],
  ])('%s with mirrors %j', (registry, mirrors, expected) => {
    expect(registryEndpoint(registry, mirrors)).toEqual(expected);
  });
});

describe('isLoopback', () => {
  it.each([
    ['localhost', true],
    ['localhost:5001', true],
    ['127.0.0.1', true],
    ['127.1.2.3:80', true],
    ['[::1]:5000', true],
    ['localhost.example', false],
    ['10.0.0.1:5000', false],
    ['mcr.microsoft.com', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });
});

describe('pullReference', () => {
  it.each<[string, Record<string, string>, string]>([
    ['mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim', {}, `mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim@${DIGEST}`],
    [
      'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim',
      { 'mcr.microsoft.com': 'http://localhost:5001' },
      `localhost:5001/dotnet/runtime:6.0-bullseye-slim@${DIGEST}`,
    ],
    [
      'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim',
      { 'mcr.microsoft.com': 'mirror.corp.example' },
      `mirror.corp.example/dotnet/runtime:6.0-bullseye-slim@${DIGEST}`,
    ],
    [
      'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim',
      { 'mcr.microsoft.com': 'localhost:5001/' },
      `localhost:5001/dotnet/runtime:6.0-bullseye-slim@${DIGEST}`,
    ],
    ['nginx:1.25', {}, `nginx:1.25@${DIGEST}`],
    ['nginx:1.25', { 'docker.io': 'https://hub-cache.corp.example' }, `hub-cache.corp.example/library/nginx:1.25@${DIGEST}`],
    ['mcr.microsoft.com/dotnet/runtime:6.0', { 'docker.io': 'http://localhost:5002' }, `mcr.microsoft.com/dotnet/runtime:6.0@${DIGEST}`],
  ])('%s with mirrors %j', (image, mirrors, expected) => {
    expect(pullReference(parseImageRef(image), DIGEST, mirrors)).toBe(expected);
  });

  it('replaces a digest already present in the reference', () => {
    const other = `sha256:${'b'.repeat(64)}`;
    expect(pullReference(parseImageRef(`mcr.microsoft.com/dotnet/runtime:6.0@${other}`), DIGEST)).toBe(
      `mcr.microsoft.com/dotnet/runtime:6.0@${DIGEST}`,
    );
  });
});

describe('canonicalName', () => {
  it.each<[string, string]>([
    ['debian:12', 'docker.io/library/debian:12'],
    ['docker.io/library/debian:12', 'docker.io/library/debian:12'],
    ['docker.io/debian:12', 'docker.io/library/debian:12'],
    ['debian', 'docker.io/library/debian:latest'],
    ['mcr.microsoft.com/dotnet/runtime:8.0', 'mcr.microsoft.com/dotnet/runtime:8.0'],
    [`mcr.microsoft.com/dotnet/runtime:8.0@sha256:${'a'.repeat(64)}`, 'mcr.microsoft.com/dotnet/runtime:8.0'],
    [`mcr.microsoft.com/dotnet/runtime@sha256:${'a'.repeat(64)}`, 'mcr.microsoft.com/dotnet/runtime'],
    ['localhost:5001/x:1', 'localhost:5001/x:1'],
  ])('%s → %s', (text, expected) => {
    expect(canonicalName({ ...parseImageRef(text), digest: undefined })).toBe(expected);
  });
});

describe('sameImageName', () => {
  it.each<[string, string, boolean]>([
    ['debian:12', 'docker.io/library/debian:12', true],
    ['debian', 'debian:latest', true],
    [`mcr.microsoft.com/dotnet/runtime:8.0@sha256:${'a'.repeat(64)}`, 'mcr.microsoft.com/dotnet/runtime:8.0', true],
    ['mcr.microsoft.com/dotnet/runtime:8.0', 'mcr.microsoft.com/dotnet/runtime:10.0', false],
    ['mcr.microsoft.com/dotnet/runtime:8.0', 'mcr.microsoft.com/dotnet/aspnet:8.0', false],
    ['ghcr.io/x/y:1', 'docker.io/x/y:1', false],
    ['Not Valid', 'Not Valid', true],
  ])('%s ~ %s: %s', (a, b, same) => {
    expect(sameImageName(a, b)).toBe(same);
  });
});
