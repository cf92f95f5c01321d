import type { Ecr, EcrRepository } from '../lib/ecr';
import type { ImageScan, RegistryScanning } from '../lib/scan-policy';
import { UserError, VulnerabilityError } from '../types/errors';
import { MEDIA_TYPES } from '../types/media-types';
import type { ScanPolicy } from '../types/scan';
import { imageDigestsOf, scanGate } from './scan-gate';
import { imageSettings, recordingLogger } from './test-fixtures';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const repository: EcrRepository = {
  name: 'runtime',
  uri: 'localhost:5002/runtime',
  registryId: '123456789012',
  registry: 'localhost:5002',
  tagMutability: 'IMMUTABLE',
  mutableTagFilters: [],
  scanOnPush: true,
};
const BASIC: RegistryScanning = { registryId: '123456789012', scanType: 'BASIC', rules: [] };

const done = (image: string, findings: ImageScan['findings'] = [], status = 'COMPLETE'): ImageScan => ({
  image,
  status,
  counts: {},
  findings,
  scanType: 'BASIC',
});
const critical = (image: string) => ({
  id: 'CVE-2099-1',
  severity: 'CRITICAL' as const,
  package: 'hostname',
  installed: '3.23+nmu1',
  image,
});

/** ECR answering each image's polls in turn (the last answer repeats), on a clock the sleeps move. */
function fake(answers: Record<string, Array<ImageScan | 'not-found'>>, registry = BASIC) {
  let clock = 0;
  const asked: string[] = [];
  const ecr = {
    registryScanning: () => Promise.resolve(registry),
    scanFindings: (_name: string, digest: string) => {
      asked.push(digest);
      const list = answers[digest];
      return Promise.resolve(list.length > 1 ? list.shift()! : list[0]);
    },
  } as unknown as Ecr;
  return {
    ecr,
    asked,
    now: () => clock,
    sleep: (ms: number) => {
      clock += ms;
      return Promise.resolve();
    },
  };
}

function run(
  answers: Record<string, Array<ImageScan | 'not-found'>>,
  scan: Partial<ScanPolicy> = {},
  opts: { registry?: RegistryScanning; repo?: EcrRepository } = {},
) {
  const settings = imageSettings('/w', 'runtime');
  const { log, lines } = recordingLogger();
  const f = fake(answers, opts.registry);
  const images = Object.keys(answers);
  const result = scanGate({ ...settings, scan: { ...settings.scan, timeoutSeconds: 30, ...scan } }, opts.repo ?? repository, images, {
    ecr: f.ecr,
    log,
    now: f.now,
    sleep: f.sleep,
  });
  return { result, lines, asked: f.asked };
}

describe('scanGate', () => {
  it('waits for a scan in progress (and one ECR has not registered yet), then passes with the counts', async () => {
    const { result, lines, asked } = run({
      [A]: ['not-found', { ...done(A), status: 'IN_PROGRESS' }, done(A, [{ ...critical(A), severity: 'LOW' }])],
    });
    await expect(result).resolves.toMatchObject({ outcome: 'passed', counts: { LOW: 1 }, findings: [], scanType: 'BASIC' });
    expect(asked).toEqual([A, A, A]);
    expect(lines).toContain('info net6-runtime: ECR basic scan of 1 image: 1 LOW (nothing at or above CRITICAL blocks)');
  });

  it('blocks on a CRITICAL finding in any platform image, naming package and versions', async () => {
    const { result } = run({ [A]: [done(A)], [B]: [done(B, [critical(B)])] });
    await expect(result).rejects.toThrow(VulnerabilityError);
    await expect(result).rejects.toThrow(/CVE-2099-1 CRITICAL hostname 3\.23\+nmu1 \(no fixed version given\)/);
  });

  it('publishes past an allowed finding, and past any finding with failOn NONE', async () => {
    const allow = [{ id: 'CVE-2099-1', reason: 'not loaded', expires: '2999-12-31' }];
    await expect(run({ [A]: [done(A, [critical(A)])] }, { allow }).result).resolves.toMatchObject({
      outcome: 'passed',
      allowed: [{ id: 'CVE-2099-1', reason: 'not loaded' }],
    });
    await expect(run({ [A]: [done(A, [critical(A)])] }, { failOn: 'NONE' }).result).resolves.toMatchObject({ outcome: 'passed' });
  });

  it.each<[string, ImageScan, RegExp]>([
    [
      'FAILED',
      { ...done(A), status: 'FAILED', description: 'the layers could not be read' },
      /scan failed \(FAILED: the layers could not be read\)/,
    ],
    ['UNSUPPORTED_IMAGE', { ...done(A), status: 'UNSUPPORTED_IMAGE' }, /ECR cannot scan this image \(UNSUPPORTED_IMAGE\)/],
    ['SCAN_ELIGIBILITY_EXPIRED', { ...done(A), status: 'SCAN_ELIGIBILITY_EXPIRED' }, /has no findings for this image/],
  ])('fails clearly on %s', async (_status, answer, message) => {
    await expect(run({ [A]: [answer] }).result).rejects.toThrow(message);
  });

  it('fails when the scan does not finish within the bound, or warns and publishes when told to', async () => {
    const pending = { ...done(A), status: 'IN_PROGRESS' };
    const failing = run({ [A]: [pending] }, { timeoutSeconds: 10 });
    await expect(failing.result).rejects.toThrow(/did not finish within 10s \(.*IN_PROGRESS\); nothing was published/);
    // Polls back off: 1, 2, 4, then what is left of the 10 s.
    expect(failing.asked).toHaveLength(5);
    const warning = run({ [A]: [pending] }, { timeoutSeconds: 10, onTimeout: 'warn' });
    await expect(warning.result).resolves.toMatchObject({
      outcome: 'warned',
      warning: expect.stringContaining('did not finish') as string,
    });
    expect(warning.lines.some((l) => l.startsWith('warn') && l.includes('published without its findings'))).toBe(true);
  });

  it('reports a repository ECR does not scan instead of waiting for it: fails by default, warns when told to', async () => {
    const unscanned = { repo: { ...repository, scanOnPush: false } };
    const failing = run({ [A]: ['not-found'] }, {}, unscanned);
    await expect(failing.result).rejects.toThrow(UserError);
    await expect(failing.result).rejects.toThrow(/is not scanned by ECR \(scan on push is off for runtime.*unknown, not absent/);
    expect(failing.asked).toEqual([]);
    await expect(run({ [A]: ['not-found'] }, { onUnscanned: 'warn' }, unscanned).result).resolves.toMatchObject({ outcome: 'warned' });
    const enhanced = run({ [A]: ['not-found'] }, {}, { registry: { ...BASIC, scanType: 'ENHANCED' } });
    await expect(enhanced.result).rejects.toThrow(/enhanced scanning and none of its rules names runtime/);
  });
});

describe('imageDigestsOf', () => {
  it('is the image itself, or the platform images of an index without its attestation manifests', () => {
    expect(
      imageDigestsOf({ digest: A, manifest: '{"schemaVersion":2,"config":{},"layers":[]}', mediaType: MEDIA_TYPES.ociManifest }),
    ).toEqual([A]);
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [
        { mediaType: MEDIA_TYPES.ociManifest, digest: A, size: 1, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: MEDIA_TYPES.ociManifest, digest: B, size: 1, platform: { os: 'linux', architecture: 'arm64' } },
        {
          mediaType: MEDIA_TYPES.ociManifest,
          digest: `sha256:${'c'.repeat(64)}`,
          size: 1,
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': A },
        },
      ],
    };
    expect(imageDigestsOf({ digest: `sha256:${'d'.repeat(64)}`, manifest: JSON.stringify(index) })).toEqual([A, B]);
  });
});
