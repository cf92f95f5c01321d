import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DockerCli } from '../lib/docker';
import type { ReferrerRegistry } from '../lib/referrers';
import { MEDIA_TYPES } from '../types/media-types';
import { attachSboms, readImageContents, subjectFor, type PublishedVersion } from './sbom';
import { recordingLogger } from './test-fixtures';

const sha = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const AMD64 = { mediaType: MEDIA_TYPES.ociManifest, digest: sha('amd64'), size: 501, platform: { os: 'linux', architecture: 'amd64' } };
const ARM64 = {
  mediaType: MEDIA_TYPES.ociManifest,
  digest: sha('arm64'),
  size: 502,
  platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
};
const ATTESTATION = {
  mediaType: MEDIA_TYPES.ociManifest,
  digest: sha('att'),
  size: 503,
  platform: { os: 'unknown', architecture: 'unknown' },
  annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': sha('amd64') },
};
const INDEX_TEXT = JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [AMD64, ATTESTATION, ARM64] });
const INDEX: PublishedVersion = { digest: sha(INDEX_TEXT), manifest: INDEX_TEXT, mediaType: MEDIA_TYPES.ociIndex };
const MANIFEST_TEXT = JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: {}, layers: [] });
const MANIFEST: PublishedVersion = { digest: sha(MANIFEST_TEXT), manifest: MANIFEST_TEXT, mediaType: MEDIA_TYPES.ociManifest };

describe('subjectFor', () => {
  it.each<[string, PublishedVersion, string, { digest: string; size: number; mediaType: string } | string]>([
    [
      'a version that is one manifest: the version itself',
      MANIFEST,
      'linux/amd64',
      { digest: MANIFEST.digest, size: MANIFEST_TEXT.length, mediaType: MEDIA_TYPES.ociManifest },
    ],
    [
      'a manifest without a media type given: read from its bytes',
      { ...MANIFEST, mediaType: undefined },
      'linux/amd64',
      { digest: MANIFEST.digest, size: MANIFEST_TEXT.length, mediaType: MEDIA_TYPES.ociManifest },
    ],
    [
      'an index: the platform’s own manifest, never the attestation',
      INDEX,
      'linux/amd64',
      { digest: AMD64.digest, size: 501, mediaType: MEDIA_TYPES.ociManifest },
    ],
    [
      'an index: a platform with a variant',
      INDEX,
      'linux/arm64/v8',
      { digest: ARM64.digest, size: 502, mediaType: MEDIA_TYPES.ociManifest },
    ],
    ['an index without the platform: an error', INDEX, 'linux/s390x', 'lists no manifest for linux/s390x'],
  ])('%s', (_, published, platform, expected) => {
    if (typeof expected === 'string') expect(() => subjectFor(published, platform)).toThrow(expected);
    else expect(subjectFor(published, platform)).toEqual(expected);
  });
});

/** A Docker engine holding images as files: each image a map of path → content (a folder is a map of its own). */
function engine(images: Record<string, { platform: string; files: Record<string, string> }>) {
  const events: string[] = [];
  const containers = new Map<string, string>();
  const docker = {
    imagePlatform: (ref: string) => Promise.resolve({ platform: images[ref].platform, created: new Date('2026-11-29T10:00:00Z') }),
    createContainer: (ref: string, labels: Record<string, string>) => {
      const id = `ctr-${containers.size + 1}`;
      containers.set(id, ref);
      events.push(`create ${ref} ${Object.keys(labels).sort().join(',')}`);
      return Promise.resolve(id);
    },
    copyFrom: (id: string, source: string, dest: string) => {
      events.push(`cp ${source}`);
      const files = images[containers.get(id)!].files;
      const under = Object.keys(files).filter((f) => f === source || f.startsWith(`${source}/`));
      for (const file of under) {
        const target = file === source ? dest : path.join(dest, file.slice(source.length + 1));
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target, files[file]);
      }
      return Promise.resolve(under.length > 0);
    },
    removeContainer: (id: string) => {
      events.push(`rm ${id}`);
      containers.delete(id);
      return Promise.resolve();
    },
  } as unknown as DockerCli;
  return { docker, events, containers };
}

const DEBIAN_STATUS = 'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u14\n';
const UBUNTU_STATUS = 'Package: libc6\nStatus: install ok installed\nArchitecture: arm64\nVersion: 2.39-0ubuntu8.4\n';
const deps = (name: string, version: string) =>
  JSON.stringify({
    runtimeTarget: { name: '.NETCoreApp,Version=v10.0/linux-arm64' },
    libraries: { [`${name}.Runtime.linux-arm64/${version}`]: { type: 'package' } },
  });
const IMAGES = {
  'amd64:1': {
    platform: 'linux/amd64',
    files: { '/var/lib/dpkg/status': DEBIAN_STATUS, '/etc/os-release': 'ID=debian\nVERSION_ID="12"\n' },
  },
  'arm64:1': {
    platform: 'linux/arm64/v8',
    files: {
      '/var/lib/dpkg/status': UBUNTU_STATUS,
      // As in Ubuntu: /etc/os-release a link docker cp cannot follow here, the file itself in /usr/lib.
      '/usr/lib/os-release': 'ID=ubuntu\nVERSION_ID="24.04"\n',
      '/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.1/Microsoft.NETCore.App.deps.json': deps('Microsoft.NETCore.App', '10.0.1'),
      '/usr/share/dotnet/shared/Microsoft.AspNetCore.App/10.0.1/Microsoft.AspNetCore.App.deps.json': deps(
        'Microsoft.AspNetCore.App',
        '10.0.1',
      ),
    },
  },
  'scratch:1': { platform: 'linux/amd64', files: {} },
};

describe('readImageContents', () => {
  it('reads dpkg, os-release (from /usr/lib when /etc has none) and the shared frameworks, and removes its container', async () => {
    const { docker, events, containers } = engine(IMAGES);
    const contents = await readImageContents(docker, 'arm64:1');
    expect(contents.os).toMatchObject({ id: 'ubuntu', versionId: '24.04' });
    expect(contents.packages).toEqual([{ name: 'libc6', version: '2.39-0ubuntu8.4', architecture: 'arm64' }]);
    expect(contents.frameworks).toEqual([
      {
        name: 'Microsoft.AspNetCore.App',
        version: '10.0.1',
        rid: 'linux-arm64',
        pack: { name: 'Microsoft.AspNetCore.App.Runtime.linux-arm64', version: '10.0.1' },
      },
      {
        name: 'Microsoft.NETCore.App',
        version: '10.0.1',
        rid: 'linux-arm64',
        pack: { name: 'Microsoft.NETCore.App.Runtime.linux-arm64', version: '10.0.1' },
      },
    ]);
    expect(events).toEqual([
      'create arm64:1 io.platform-images.created,io.platform-images.owner',
      'cp /var/lib/dpkg/status',
      'cp /etc/os-release',
      'cp /usr/lib/os-release',
      'cp /usr/share/dotnet/shared',
      'rm ctr-1',
    ]);
    expect(containers.size).toBe(0);
  });

  it('an image without package databases holds nothing it can name', async () => {
    const { docker } = engine(IMAGES);
    await expect(readImageContents(docker, 'scratch:1')).resolves.toEqual({ os: undefined, packages: [], frameworks: [] });
  });
});

function referrerRegistry(fail?: (subject: string) => string | undefined) {
  const pushed: Array<{ subject: string; artifactType: string; content: string }> = [];
  const blobs = new Map<string, Buffer>();
  const registry: ReferrerRegistry = {
    pushBlob: (_ref, bytes) => {
      blobs.set(sha(bytes.toString()), bytes);
      return Promise.resolve({ digest: sha(bytes.toString()), size: bytes.length });
    },
    putManifest: (_ref, _reference, bytes) => {
      const m = JSON.parse(bytes.toString()) as { subject: { digest: string }; artifactType: string; layers: Array<{ digest: string }> };
      const why = fail?.(m.subject.digest);
      if (why) return Promise.reject(new Error(why));
      pushed.push({ subject: m.subject.digest, artifactType: m.artifactType, content: blobs.get(m.layers[0].digest)!.toString() });
      return Promise.resolve({ digest: sha(bytes.toString()), subject: m.subject.digest });
    },
    getManifest: () => Promise.resolve(undefined),
    referrers: () => Promise.resolve(undefined),
  };
  return { registry, pushed };
}

describe('attachSboms', () => {
  const target = {
    project: 'net10-runtime',
    repositoryUri: 'localhost:5002/runtime',
    ref: { registry: 'localhost:5002', repository: 'runtime' },
    versionTag: '10.0-noble-1.0.0',
  };
  const login = { username: 'AWS', password: 'p' };
  /** The version's two platform images, as the publish step hands them over. */
  const BOTH_PLATFORMS = [
    { platform: 'linux/amd64', localImage: 'amd64:1' },
    { platform: 'linux/arm64/v8', localImage: 'arm64:1' },
  ];

  it('a multi-platform version: one SBOM per platform, each referring to its platform’s manifest', async () => {
    const { docker } = engine(IMAGES);
    const { registry, pushed } = referrerRegistry();
    const { log } = recordingLogger();
    const result = await attachSboms(target, INDEX, BOTH_PLATFORMS, { docker, registry, login, log });
    expect(result.missing).toBeUndefined();
    expect(result.attached.map((a) => [a.platform, a.subject, a.via, a.packages, a.frameworks.length])).toEqual([
      ['linux/amd64', AMD64.digest, 'referrers-api', 1, 0],
      ['linux/arm64/v8', ARM64.digest, 'referrers-api', 1, 2],
    ]);
    expect(pushed.map((p) => p.subject)).toEqual([AMD64.digest, ARM64.digest]);
    const arm = JSON.parse(pushed[1].content) as { metadata: { component: { purl: string } }; components: Array<{ purl?: string }> };
    expect(arm.metadata.component.purl).toContain('arch=arm64');
    expect(arm.components.map((c) => c.purl)).toContain('pkg:deb/ubuntu/libc6@2.39-0ubuntu8.4?arch=arm64&distro=ubuntu-24.04');
  });

  it('one platform failing leaves the others attached and names what is missing', async () => {
    const { docker } = engine(IMAGES);
    const { registry, pushed } = referrerRegistry((subject) => (subject === ARM64.digest ? 'HTTP 405' : undefined));
    const { log, lines } = recordingLogger();
    const result = await attachSboms(target, INDEX, BOTH_PLATFORMS, { docker, registry, login, log });
    expect(pushed.map((p) => p.subject)).toEqual([AMD64.digest]);
    expect(result.missing).toBe('linux/arm64/v8: HTTP 405');
    expect(lines.filter((l) => l.startsWith('warn'))).toEqual([
      'warn net10-runtime: localhost:5002/runtime:10.0-noble-1.0.0 is published, but its SBOM is missing: linux/arm64/v8: HTTP 405. ' +
        'The version stays as published (its SBOMs are not looked for again: the listing does not tie them to the index)',
    ]);
  });

  it('a single-platform version takes the platform from the image', async () => {
    const { docker } = engine(IMAGES);
    const { registry, pushed } = referrerRegistry();
    const result = await attachSboms(target, MANIFEST, [{ localImage: 'amd64:1' }], {
      docker,
      registry,
      login,
      log: recordingLogger().log,
    });
    expect(result.attached).toEqual([expect.objectContaining({ platform: 'linux/amd64', subject: MANIFEST.digest })]);
    expect(pushed[0].artifactType).toBe('application/vnd.cyclonedx+json');
  });
});
