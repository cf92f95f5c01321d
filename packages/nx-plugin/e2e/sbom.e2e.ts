/**
 * Every published version carries its SBOM as an OCI 1.1 referrer. A version of the .NET 8 runtime image is
 * published against the local stack, and an independent client (plain HTTP as the OCI distribution spec
 * describes it, Basic auth with the ECR token) lists the version's referrers and reads the SBOM back: CycloneDX
 * naming the packages dpkg in the image says are installed, at those versions, and the .NET runtime the image
 * declares (DOTNET_VERSION), attached to the digest the version tag names.
 *
 * The fallback for a registry without the referrers API (the referrers tag schema) runs against Debian's
 * distribution registry 2.8 on a port of its own, which has no such API.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DockerCli } from '../src/lib/docker';
import { attachArtifact, findReferrers, referrersTag } from '../src/lib/referrers';
import { cycloneDxSbom } from '../src/lib/sbom';
import { readImageContents } from '../src/steps/sbom';
import { recordFigure } from './figures';
import { RegistryClient } from '../src/lib/registry-client';
import { awsEcr, createWorkspace, digestOf, ecrImages, ecrPassword, expectOk, nx, recordsOf, type Workspace } from './support';

jest.setTimeout(20 * 60_000);

const ECR = 'http://localhost:5002';
const VERSION = '8.0-bookworm-slim-1.0.0';
const CYCLONEDX = 'application/vnd.cyclonedx+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

let ws: Workspace;
let repo: string;

interface Bom {
  bomFormat: string;
  specVersion: string;
  metadata: { component: { name: string; version: string } };
  components: Array<{ type: string; name: string; version?: string; purl?: string }>;
}

/** A GET on the ECR stand-in's registry API, authenticated as docker login would be. */
async function ecrGet(pathAndQuery: string, accept?: string): Promise<Response> {
  const auth = `Basic ${Buffer.from(`AWS:${ecrPassword()}`).toString('base64')}`;
  return fetch(`${ECR}/v2/${pathAndQuery}`, { headers: { authorization: auth, ...(accept ? { accept } : {}) } });
}

/** What is in the published image, read by Docker itself: pulled with a login of its own, then asked. */
async function publishedImage(ref: string): Promise<{ dpkg: Map<string, string>; env: Record<string, string> }> {
  const config = mkdtempSync(path.join(tmpdir(), 'sbom-e2e-docker-'));
  try {
    execFileSync('docker', ['--config', config, 'login', '--username', 'AWS', '--password-stdin', 'localhost:5002'], {
      input: ecrPassword(),
    });
    execFileSync('docker', ['--config', config, 'pull', '--quiet', ref]);
    // dpkg's own view: status abbreviation, name, version; `ii` is installed.
    const format = ['db:Status-Abbrev', 'Package', 'Version'].map((field) => `$\{${field}}`).join('\\t');
    const listed = execFileSync('docker', ['run', '--rm', '--entrypoint', 'dpkg-query', ref, '-W', '-f', `${format}\\n`], {
      encoding: 'utf8',
    });
    const env = JSON.parse(
      execFileSync('docker', ['image', 'inspect', '--format', '{{json .Config.Env}}', ref], { encoding: 'utf8' }),
    ) as string[];
    // What making the SBOM costs for one image (read without running it, then written), for the figures.
    const started = performance.now();
    const contents = await readImageContents(new DockerCli(), ref);
    const text = cycloneDxSbom({ name: ref, version: VERSION, digest: 'sha256:0', platform: 'linux/amd64', created: new Date() }, contents);
    recordFigure('sbom', {
      case: `SBOM of ${ref.split('/').pop()}`,
      ok: contents.packages.length > 0 && contents.frameworks.length > 0,
      observed: `${contents.packages.length} packages, ${contents.frameworks.map((f) => `${f.name} ${f.version}`).join(', ')}; ${text.length} bytes`,
      ms: Math.round(performance.now() - started),
    });
    return {
      dpkg: new Map(
        listed
          .trim()
          .split('\n')
          .map((line) => line.split('\t'))
          .filter(([status]) => status.startsWith('ii'))
          .map(([, name, version]) => [name, version] as [string, string]),
      ),
      env: Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
    };
  } finally {
    execFileSync('docker', ['image', 'rm', '--force', ref]);
    rmSync(config, { recursive: true, force: true });
  }
}

beforeAll(() => {
  ws = createWorkspace(['net8/runtime']);
  repo = `${ws.prefix}/runtime`;
});

afterAll(() => ws?.dispose());

test('a published version has its SBOM attached as a referrer of the version tag’s digest, naming what is in the image', async () => {
  expectOk(nx(ws, ['run', 'net8-runtime:publish']));
  const digest = digestOf(repo, VERSION);
  expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  const record = recordsOf(ws, 'net8/runtime').read('ecr-publish');
  expect(record.sbomMissing).toBeUndefined();
  expect(record.sboms).toEqual([expect.objectContaining({ platform: 'linux/amd64', subject: digest, via: 'referrers-api' })]);

  // The referrers API, asked as the distribution spec says, filtered to SBOMs.
  const listing = await ecrGet(`${repo}/referrers/${digest}?artifactType=${encodeURIComponent(CYCLONEDX)}`);
  expect(listing.status).toBe(200);
  expect(listing.headers.get('content-type')).toBe(OCI_INDEX);
  expect(listing.headers.get('oci-filters-applied')).toBe('artifactType');
  const index = (await listing.json()) as {
    mediaType: string;
    manifests: Array<{ digest: string; mediaType: string; artifactType: string }>;
  };
  expect(index.manifests).toEqual([
    expect.objectContaining({ mediaType: OCI_MANIFEST, artifactType: CYCLONEDX, digest: record.sboms![0].digest }),
  ]);

  // The referrer: its subject is the version, its config the empty descriptor, its one layer the SBOM.
  const manifestResponse = await ecrGet(`${repo}/manifests/${index.manifests[0].digest}`, OCI_MANIFEST);
  const manifestBytes = Buffer.from(await manifestResponse.arrayBuffer());
  expect(`sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`).toBe(index.manifests[0].digest);
  const manifest = JSON.parse(manifestBytes.toString()) as {
    artifactType: string;
    config: { mediaType: string; digest: string };
    subject: { digest: string };
    layers: Array<{ mediaType: string; digest: string }>;
  };
  expect(manifest.subject.digest).toBe(digest);
  expect(manifest.artifactType).toBe(CYCLONEDX);
  expect(manifest.config.mediaType).toBe('application/vnd.oci.empty.v1+json');
  expect(manifest.layers).toEqual([expect.objectContaining({ mediaType: CYCLONEDX })]);
  const blob = Buffer.from(await (await ecrGet(`${repo}/blobs/${manifest.layers[0].digest}`)).arrayBuffer());
  expect(`sha256:${createHash('sha256').update(blob).digest('hex')}`).toBe(manifest.layers[0].digest);
  const bom = JSON.parse(blob.toString()) as Bom;
  expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', metadata: { component: { version: VERSION } } });

  // What the image itself says: every package dpkg lists, at its version, and the .NET it declares.
  const image = await publishedImage(`localhost:5002/${repo}:${VERSION}`);
  const libraries = new Map(bom.components.filter((c) => c.purl?.startsWith('pkg:deb/')).map((c) => [c.name, c.version]));
  expect(image.dpkg.get('libc6')).toMatch(/^2\.36-/);
  expect(libraries.get('libc6')).toBe(image.dpkg.get('libc6'));
  expect(new Map([...libraries].sort())).toEqual(new Map([...image.dpkg].sort()));
  expect(bom.components.find((c) => c.name === 'libc6')?.purl).toBe(
    `pkg:deb/debian/libc6@${image.dpkg.get('libc6')!.replace(/\+/g, '%2B')}?arch=amd64&distro=debian-12`,
  );
  expect(image.env.DOTNET_VERSION).toMatch(/^8\.0\.\d+$/);
  expect(bom.components.find((c) => c.name === 'Microsoft.NETCore.App')).toMatchObject({
    type: 'framework',
    version: image.env.DOTNET_VERSION,
  });
});

test('the next run finds the version current: its untagged SBOM referrer is neither a version, a leftover nor a card owed', () => {
  const images = ecrImages(repo);
  expect(images.filter((i) => !i.imageTags?.length)).toHaveLength(1);
  expectOk(nx(ws, ['run', 'net8-runtime:publish']));
  const check = recordsOf(ws, 'net8/runtime').read('mcr-check');
  expect(check).toMatchObject({ stale: false, reason: 'current', published: { versionTag: VERSION } });
  expect(check.leftoverTags).toBeUndefined();
  expect(check.owedCards).toBeUndefined();
  expect(check.tagsToFinish).toBeUndefined();
  expect(check.sbomOwed).toBeUndefined();
  expect(ecrImages(repo)).toEqual(images);
});

test('a version whose SBOM is gone (a publish stopped before it): the next run notices from its listing and attaches it again', async () => {
  const digest = digestOf(repo, VERSION)!;
  const sbom = ecrImages(repo).find((i) => !i.imageTags?.length)!;
  expect(awsEcr(['batch-delete-image', '--repository-name', repo, '--image-ids', `imageDigest=${sbom.imageDigest}`]).status).toBe(0);
  const referrers = async () =>
    ((await (await ecrGet(`${repo}/referrers/${digest}?artifactType=${encodeURIComponent(CYCLONEDX)}`)).json()) as { manifests: unknown[] })
      .manifests;
  expect(await referrers()).toEqual([]);

  expectOk(nx(ws, ['run', 'net8-runtime:publish']));
  const records = recordsOf(ws, 'net8/runtime');
  expect(records.read('mcr-check')).toMatchObject({ stale: false, sbomOwed: { versionTag: VERSION, digest } });
  expect(records.read('docker-build').built).toBe(false);
  expect(records.read('ecr-publish')).toMatchObject({ published: false, sboms: [expect.objectContaining({ subject: digest })] });
  // The same image gives the same SBOM bytes: the referrer is the one that was deleted.
  expect(await referrers()).toEqual([expect.objectContaining({ digest: sbom.imageDigest })]);

  expectOk(nx(ws, ['run', 'net8-runtime:publish']));
  expect(recordsOf(ws, 'net8/runtime').read('mcr-check').sbomOwed).toBeUndefined();
});

describe('a registry without the referrers API (distribution 2.8 on its own)', () => {
  const PORT = 5141;
  let dir: string;
  let registry: ChildProcess;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sbom-e2e-registry-'));
    const config = path.join(dir, 'config.yml');
    writeFileSync(
      config,
      `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${PORT}\n`,
    );
    registry = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const up = await fetch(`http://127.0.0.1:${PORT}/v2/`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`docker-registry did not answer on ${PORT}`);
  });

  afterAll(() => {
    registry?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('answers no OCI-Subject, so the SBOM is listed under the sha256-<hex> referrers tag, which a reader finds', async () => {
    const client = new RegistryClient();
    const ref = { registry: `127.0.0.1:${PORT}`, repository: 'runtime' };
    // A subject to refer to: any image manifest in the repository.
    const config = await client.pushBlob(
      ref,
      Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'),
    );
    const subjectBytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [],
      }),
    );
    const subject = await client.putManifest(ref, VERSION, subjectBytes, OCI_MANIFEST);
    expect(subject.subject).toBeUndefined();
    const descriptor = { mediaType: OCI_MANIFEST, digest: subject.digest, size: subjectBytes.length };

    const sbom = Buffer.from(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1 }));
    const attached = await attachArtifact(client, ref, { artifactType: CYCLONEDX, content: sbom, subject: descriptor });
    expect(attached).toMatchObject({ via: 'referrers-tag', tag: referrersTag(subject.digest) });
    // The registry has no referrers API: a plain 404.
    expect((await fetch(`http://127.0.0.1:${PORT}/v2/runtime/referrers/${subject.digest}`)).status).toBe(404);
    const tags = (await (await fetch(`http://127.0.0.1:${PORT}/v2/runtime/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags.sort()).toEqual([VERSION, `sha256-${subject.digest.slice('sha256:'.length)}`].sort());

    // A second referrer is appended to the same list; attaching the first again adds nothing.
    const other = await attachArtifact(client, ref, {
      artifactType: 'application/spdx+json',
      content: Buffer.from('{"spdxVersion":"SPDX-2.3"}'),
      subject: descriptor,
    });
    await attachArtifact(client, ref, { artifactType: CYCLONEDX, content: sbom, subject: descriptor });
    const listed = await client.getManifest(ref, attached.tag!);
    const list = JSON.parse(listed!.bytes.toString()) as { mediaType: string; manifests: Array<{ digest: string; artifactType: string }> };
    expect(list.mediaType).toBe(OCI_INDEX);
    expect(list.manifests.map((m) => [m.digest, m.artifactType])).toEqual([
      [attached.digest, CYCLONEDX],
      [other.digest, 'application/spdx+json'],
    ]);
    await expect(findReferrers(client, ref, subject.digest, CYCLONEDX)).resolves.toEqual([
      expect.objectContaining({ digest: attached.digest }),
    ]);
  });
});
