/**
 * An engine whose `docker push` sends an OCI image index: Docker Engine 29 on a fresh install (containerd
 * image store, BuildKit's default provenance attestation) pushes the image and its attestation manifest in
 * one index. The engine here is 20.10, so the run's `docker.command` is tools/local-stack/docker29.sh, which
 * pushes that index itself. The version tag must name the same index, annotated, and everything the product
 * reports must be that index's digest.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import {
  awsEcr,
  cardFact,
  cards,
  createWorkspace,
  digestOf,
  ecrImages,
  ecrTags,
  editJson,
  expectOk,
  labelsOf,
  nx,
  recordsOf,
  REPO_ROOT,
  upstreamDigest,
  withEcrAuthFile,
  type Workspace,
} from './support';
import { notifyHasWork, publishHasWork } from '../src/steps/records';
import type { NxJsonFile } from './json-files';

jest.setTimeout(20 * 60_000);

const DOCKER_29 = path.join(REPO_ROOT, 'tools/local-stack/docker29.sh');
const VERSION = '8.0-bookworm-slim-1.0.0';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

let ws: Workspace;
let repo: string;
/** The candidate images this suite's builds left in the engine (a failed publish keeps its candidate). */
const candidates = new Set<string>();

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

/** A manifest's bytes exactly as the registry serves them, read with skopeo through the ECR stand-in's auth. */
function rawManifest(reference: string): string {
  return withEcrAuthFile((authFile) =>
    execFileSync(
      'skopeo',
      ['inspect', '--raw', '--tls-verify=false', '--authfile', authFile, `docker://localhost:5002/${repo}${reference}`],
      { encoding: 'utf8' },
    ),
  );
}

function publish() {
  const run = nx(ws, ['run', 'net8-runtime:publish']);
  const localTag = recordsOf(ws, 'net8/runtime').find('docker-build')?.localTag;
  if (localTag) candidates.add(localTag);
  return run;
}

beforeAll(() => {
  ws = createWorkspace(['net8/runtime']);
  repo = `${ws.prefix}/runtime`;
  editJson(ws.root, 'nx.json', (value: NxJsonFile) => {
    value.plugins[0].options.docker.command = DOCKER_29;
  });
});

afterAll(() => {
  if (!ws) return;
  // What this suite put in the engine and in ECR, and nothing else.
  const refs = execFileSync('docker', ['images', `localhost:5002/${ws.prefix}/*`, '--format', '{{.Repository}}:{{.Tag}}'], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
  for (const ref of [...refs, ...candidates]) spawnSync('docker', ['image', 'rm', '--force', ref], { stdio: 'ignore' });
  awsEcr(['delete-repository', '--repository-name', repo, '--force']);
  ws.dispose();
});

test('the version tag names the pushed index, annotated: the image and its attestation untouched, latest on it, the card naming it', async () => {
  const run = publish();
  expectOk(run);
  expect(recordsOf(ws, 'net8/runtime').read('mcr-check')).toMatchObject({ stale: true, reason: 'nothing-published' });
  expect(recordsOf(ws, 'net8/runtime').read('docker-build')).toMatchObject({ built: true, versionTag: VERSION });
  expect(ecrTags(repo)).toEqual(['8.0', VERSION, 'latest']);

  const digest = digestOf(repo, VERSION)!;
  const text = rawManifest(`:${VERSION}`);
  expect(`sha256:${createHash('sha256').update(text).digest('hex')}`).toBe(digest);
  const index = JSON.parse(text) as { mediaType: string; manifests: Descriptor[]; annotations?: Record<string, string> };
  expect(index.mediaType).toBe(OCI_INDEX);

  // The index lists what Docker pushed: the image for linux/amd64, then its attestation manifest.
  expect(index.manifests).toHaveLength(2);
  const [image, attestation] = index.manifests;
  expect(image.platform).toEqual({ architecture: 'amd64', os: 'linux' });
  expect(attestation.platform).toEqual({ architecture: 'unknown', os: 'unknown' });
  expect(attestation.annotations).toEqual({
    'vnd.docker.reference.digest': image.digest,
    'vnd.docker.reference.type': 'attestation-manifest',
  });
  // Untouched: each descriptor names the bytes stored under its digest.
  for (const child of index.manifests) {
    const stored = rawManifest(`@${child.digest}`);
    expect(`sha256:${createHash('sha256').update(stored).digest('hex')}`).toBe(child.digest);
    expect(Buffer.byteLength(stored)).toBe(child.size);
  }
  const attested = JSON.parse(rawManifest(`@${attestation.digest}`)) as { layers: Descriptor[] };
  expect(attested.layers.map((l) => [l.mediaType, l.annotations?.['in-toto.io/predicate-type']])).toEqual([
    ['application/vnd.in-toto+json', 'https://slsa.dev/provenance/v0.2'],
  ]);

  // The record the next check reads, on the index itself.
  expect(index.annotations).toEqual({
    // When the base was built (its config's `created`), per platform: the status page's "base moved".
    'io.platform-images.base.created': expect.stringMatching(
      /^linux\/amd64=\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
    ) as jest.AsymmetricMatcher,
    // Single-platform images record their platform's base manifest too: a base bumped only for others leaves them current.
    'io.platform-images.base.platform-digests': expect.stringMatching(/^linux\/amd64=sha256:[0-9a-f]{64}$/) as jest.AsymmetricMatcher,
    'io.platform-images.context.digest': expect.stringMatching(/^sha256:[0-9a-f]{64}$/) as jest.AsymmetricMatcher,
    'org.opencontainers.image.base.digest': upstreamDigest('dotnet/runtime:8.0-bookworm-slim'),
    'org.opencontainers.image.base.name': 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim',
  });
  // A client following the index to linux/amd64 finds the image's labels.
  expect(labelsOf(repo, VERSION)['org.opencontainers.image.version']).toBe(VERSION);

  // Moving tags name the same index; the staging index is gone; nothing else is tagged. Beside them, untagged,
  // the SBOM of the linux/amd64 image, a referrer of that platform's manifest (steps/sbom.ts), not of the index.
  expect(digestOf(repo, 'latest')).toBe(digest);
  expect(digestOf(repo, '8.0')).toBe(digest);
  const [sbom] = recordsOf(ws, 'net8/runtime').read('ecr-publish').sboms ?? [];
  expect(sbom).toMatchObject({ platform: 'linux/amd64', subject: image.digest, via: 'referrers-api' });
  expect(
    ecrImages(repo)
      .map((i) => i.imageDigest)
      .sort(),
  ).toEqual([digest, image.digest, attestation.digest, sbom.digest].sort());

  // Log, record and card all name the index.
  expect(run.output).toContain(`net8-runtime: published localhost:5002/${repo}:${VERSION} (${digest})`);
  expect(recordsOf(ws, 'net8/runtime').read('ecr-publish').digest).toBe(digest);
  const received = await cards(ws);
  expect(received).toHaveLength(1);
  expect(cardFact(received[0], 'Version tag')).toBe(VERSION);
  expect(cardFact(received[0], 'Digest')).toBe(digest);
  process.stdout.write(
    `index push: ${VERSION} = ${digest}, an OCI index of ${index.manifests.length} (linux/amd64 ${image.digest}, attestation ${attestation.digest}); latest, 8.0, log, record and card name it\n`,
  );
});

test('a second run reads the record from the index: CURRENT, nothing built, pushed or announced', async () => {
  const before = { tags: ecrTags(repo), latest: digestOf(repo, 'latest') };
  rmSync(path.join(ws.root, '.nx'), { recursive: true, force: true });
  const run = publish();
  expectOk(run);
  const records = recordsOf(ws, 'net8/runtime');
  const check = records.read('mcr-check');
  expect(check).toMatchObject({ stale: false, reason: 'current', published: { versionTag: VERSION } });
  // Nothing left to do: no moving tag to finish, no card owed, no run tag to remove.
  expect(publishHasWork(check) || notifyHasWork(check)).toBe(false);
  expect(records.read('docker-build').built).toBe(false);
  expect(records.read('ecr-publish').published).toBe(false);
  expect({ tags: ecrTags(repo), latest: digestOf(repo, 'latest') }).toEqual(before);
  expect(await cards(ws)).toHaveLength(1);
  process.stdout.write(`index push, second run: CURRENT: ${check.message}\n`);
});
