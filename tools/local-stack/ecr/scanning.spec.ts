import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Account, createAccount } from './accounts';
import { AwsError } from './aws-errors';
import { ecrOperations, type Operation } from './operations';
import { RegistryAuth } from './registry-auth';
import type { Json, OperationContext } from './requests';
import { match, Scanning, type Vulnerability } from './scanning';
import { TagHistory } from './tag-history';
import { FakeRegistry, imageManifest } from './testing/fake-registry';
import { tarOf } from './testing/tar';

const CTX: OperationContext = { region: 'us-east-2', operation: 'Test', callerArn: 'arn:aws:iam::000000000000:user/local' };
const LIST: Vulnerability[] = [
  { id: 'CVE-2099-1', package: 'hostname', severity: 'CRITICAL', fixed: '3.23+nmu2' },
  { id: 'CVE-2099-2', package: 'tar', severity: 'LOW', fixed: '1.35+dfsg-1' },
  { id: 'CVE-2099-3', package: 'libc6', severity: 'HIGH', introduced: '2.37', fixed: '2.37-15' },
];
const status = (pkgs: Array<[string, string]>) =>
  pkgs.map(([name, version]) => `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n`).join('\n');
const BOOKWORM = status([
  ['hostname', '3.23+nmu1'],
  ['tar', '1.34+dfsg-1.2+deb12u1'],
  ['libc6', '2.36-9+deb12u14'],
]);

describe('match', () => {
  it('finds the installed versions before the fix, within the affected range only', () => {
    expect(match(BOOKWORM, LIST).map((m) => `${m.v.id} ${m.installed}`)).toEqual([
      'CVE-2099-1 3.23+nmu1',
      'CVE-2099-2 1.34+dfsg-1.2+deb12u1',
    ]);
    expect(match(status([['hostname', '3.23+nmu2']]), LIST)).toEqual([]);
  });
});

describe('scanning through the ECR operations', () => {
  let dir: string;
  let fake: FakeRegistry;
  let agent: http.Agent;
  let caller: Account;
  let ops: Record<string, Operation>;
  let scanning: Scanning;

  const call = (operation: string, input: Json = {}) => Promise.resolve(ops[operation](input, { ...CTX, operation }));
  async function refusal(operation: string, input: Json): Promise<string> {
    try {
      await call(operation, input);
    } catch (err) {
      if (err instanceof AwsError) return err.type;
      throw err;
    }
    throw new Error(`${operation} was not refused`);
  }
  /** DescribeImageScanFindings until the scan has finished (the scanner reads layers in the background). */
  async function findings(digest: string): Promise<Json> {
    for (let i = 0; i < 200; i++) {
      const out = (await call('DescribeImageScanFindings', { repositoryName: 'app', imageId: { imageDigest: digest } })) as {
        imageScanStatus: { status: string };
      };
      if (!['IN_PROGRESS', 'PENDING'].includes(out.imageScanStatus.status)) return out;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error('the scan never finished');
  }
  async function push(seed: string): Promise<string> {
    const out = (await call('PutImage', {
      repositoryName: 'app',
      imageTag: seed,
      imageManifest: imageManifest(seed, [5], 1).toString(),
    })) as {
      image: { imageId: { imageDigest: string } };
    };
    return out.image.imageId.imageDigest;
  }

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecr-scanning-'));
    agent = new http.Agent({ keepAlive: true });
    fake = await new FakeRegistry(path.join(dir, 'data')).start();
    caller = createAccount(
      { id: '000000000000', proxyPort: 5002, backend: fake.url, storage: fake.root, metaFile: path.join(dir, 'meta.json') },
      agent,
      1000,
    );
    scanning = new Scanning(LIST, () => undefined, 0);
    ops = ecrOperations({
      caller,
      accounts: [caller],
      auth: new RegistryAuth('pw', () => 2_000_000),
      history: new TagHistory(path.join(dir, 'history.jsonl')),
      startedAt: 1000,
      log: () => undefined,
      scanning,
    });
    fake.blob = gzipSync(tarOf([['var/lib/dpkg/status', BOOKWORM]]));
    await call('CreateRepository', { repositoryName: 'app', imageScanningConfiguration: { scanOnPush: true } });
  });
  afterEach(async () => {
    agent.destroy();
    await fake.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers basic findings by default: the CVE as name, package name and version as attributes, counts by severity', async () => {
    expect(await call('GetRegistryScanningConfiguration')).toEqual({
      registryId: '000000000000',
      scanningConfiguration: { scanType: 'BASIC', rules: [] },
    });
    const out = (await findings(await push('a'))) as {
      imageScanStatus: Json;
      imageScanFindings: { findingSeverityCounts: Json; findings: Json[] };
    };
    expect(out.imageScanStatus.status).toBe('COMPLETE');
    expect(out.imageScanFindings.findingSeverityCounts).toEqual({ CRITICAL: 1, LOW: 1 });
    expect(out.imageScanFindings.findings[0]).toMatchObject({
      name: 'CVE-2099-1',
      severity: 'CRITICAL',
      attributes: [
        { key: 'package_version', value: '3.23+nmu1' },
        { key: 'package_name', value: 'hostname' },
      ],
    });
  });

  it('answers enhanced findings when the registry uses enhanced scanning: the package, its version split, the fix', async () => {
    await call('PutRegistryScanningConfiguration', {
      scanType: 'ENHANCED',
      rules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: 'a*', filterType: 'WILDCARD' }] }],
    });
    const out = (await findings(await push('a'))) as { imageScanStatus: Json; imageScanFindings: { enhancedFindings: Json[] } };
    expect(out.imageScanStatus.status).toBe('ACTIVE');
    expect(out.imageScanFindings.enhancedFindings[0]).toMatchObject({
      severity: 'CRITICAL',
      status: 'ACTIVE',
      packageVulnerabilityDetails: {
        vulnerabilityId: 'CVE-2099-1',
        vulnerablePackages: [{ name: 'hostname', version: '3.23+nmu1', fixedInVersion: '3.23+nmu2' }],
      },
    });
  });

  it('does not scan a repository nothing scans, nor an image index: ScanNotFoundException', async () => {
    await call('PutImageScanningConfiguration', { repositoryName: 'app', imageScanningConfiguration: { scanOnPush: false } });
    expect(await refusal('DescribeImageScanFindings', { repositoryName: 'app', imageId: { imageDigest: await push('a') } })).toBe(
      'ScanNotFoundException',
    );
    await call('PutRegistryScanningConfiguration', { scanType: 'ENHANCED', rules: [] });
    expect(await refusal('DescribeImageScanFindings', { repositoryName: 'app', imageId: { imageTag: 'a' } })).toBe('ScanNotFoundException');
  });

  it('StartImageScan: a manual basic scan where nothing scanned on push, once a day, never of an index, not under enhanced scanning', async () => {
    await call('PutImageScanningConfiguration', { repositoryName: 'app', imageScanningConfiguration: { scanOnPush: false } });
    const image = await push('a');
    expect(await refusal('DescribeImageScanFindings', { repositoryName: 'app', imageId: { imageDigest: image } })).toBe(
      'ScanNotFoundException',
    );
    expect(await call('StartImageScan', { repositoryName: 'app', imageId: { imageTag: 'a' } })).toMatchObject({
      imageId: { imageDigest: image },
      imageScanStatus: { status: 'IN_PROGRESS' },
    });
    expect(((await findings(image)) as { imageScanStatus: { status: string } }).imageScanStatus.status).toBe('COMPLETE');
    expect(await refusal('StartImageScan', { repositoryName: 'app', imageId: { imageDigest: image } })).toBe('LimitExceededException');
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: image, size: 1 }],
    });
    await call('PutImage', { repositoryName: 'app', imageTag: 'multi', imageManifest: index });
    expect(await refusal('StartImageScan', { repositoryName: 'app', imageId: { imageTag: 'multi' } })).toBe(
      'UnsupportedImageTypeException',
    );
    await call('PutRegistryScanningConfiguration', { scanType: 'ENHANCED', rules: [] });
    expect(await refusal('StartImageScan', { repositoryName: 'app', imageId: { imageTag: 'a' } })).toBe('InvalidParameterException');
  });

  it('scans the platform images of an index, never the index itself', async () => {
    const image = await push('a');
    await findings(image);
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          digest: image,
          size: 1,
          platform: { os: 'linux', architecture: 'amd64' },
        },
      ],
    });
    const out = (await call('PutImage', { repositoryName: 'app', imageTag: 'multi', imageManifest: index })) as {
      image: { imageId: { imageDigest: string } };
    };
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(
      await refusal('DescribeImageScanFindings', { repositoryName: 'app', imageId: { imageDigest: out.image.imageId.imageDigest } }),
    ).toBe('ScanNotFoundException');
    expect(((await findings(image)) as { imageScanStatus: { status: string } }).imageScanStatus.status).toBe('COMPLETE');
  });

  it('says UNSUPPORTED_IMAGE for an image without a package database, and a fixed package clears its finding', async () => {
    fake.blob = gzipSync(tarOf([['bin/busybox', 'x']]));
    const unsupported = (await findings(await push('a'))) as { imageScanStatus: { status: string } };
    expect(unsupported.imageScanStatus.status).toBe('UNSUPPORTED_IMAGE');
    fake.blob = gzipSync(tarOf([['var/lib/dpkg/status', status([['hostname', '3.23+nmu2']])]]));
    const clean = (await findings(await push('b'))) as { imageScanFindings: { findings: Json[]; findingSeverityCounts: Json } };
    expect(clean.imageScanFindings).toMatchObject({ findings: [], findingSeverityCounts: {} });
  });
});
