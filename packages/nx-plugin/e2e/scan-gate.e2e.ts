/**
 * The vulnerability gate, end to end against the ECR stand-in's scanner: a CRITICAL finding planted on a
 * package the .NET stand-in bases hold (hostname 3.23+nmu1, fixed in 3.23+nmu2) blocks the version under basic
 * scanning and under enhanced scanning (no version tag in ECR, the staging tag gone, the failure card and the
 * run summary naming the CVE with its package, installed and, from Inspector, fixed versions); a Dockerfile
 * that upgrades the package clears it, and the version is published with the counts in the record, the card
 * and the summary.
 *
 * The upgrade is a real .deb: a container of `docker build` here does reach Debian's mirror, but the bases
 * were made from it today, so apt has no newer hostname to install. The Dockerfile packs the installed files as
 * 3.23+nmu2 with dpkg-deb and installs that with dpkg -i, which is what an apt upgrade leaves in the dpkg
 * database.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { SUMMARY_MARKDOWN } from '../src/plugin/run-summary';
import type { NxJsonFile } from './json-files';
import {
  awsEcr,
  clearFaults,
  editJson,
  injectFaults,
  cardFact,
  cards,
  createWorkspace,
  ECR_ENDPOINT,
  ecrTags,
  git,
  nx,
  recordsOf,
  summaryRows,
  type Workspace,
} from './support';

jest.setTimeout(20 * 60_000);

const IMAGE = 'net8/runtime';
const PROJECT = 'net8-runtime';
const VERSION = '8.0-bookworm-slim-1.0.0';
const PLANTED = {
  id: 'CVE-2099-90001',
  package: 'hostname',
  severity: 'CRITICAL',
  fixed: '3.23+nmu2',
  description: 'planted by scan-gate.e2e.ts',
};

let ws: Workspace;
let repo: string;

async function vulnerabilities(method: 'POST' | 'DELETE', body?: unknown): Promise<void> {
  const res = await fetch(`${ECR_ENDPOINT}/__vulnerabilities`, {
    method,
    ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  if (res.status !== 200) throw new Error(`/__vulnerabilities ${method}: HTTP ${res.status}`);
}

/** The registry's scanning: BASIC as on a fresh account, or ENHANCED scanning this suite's repositories on push. */
function setScanning(scanType: 'BASIC' | 'ENHANCED'): void {
  const rules =
    scanType === 'ENHANCED'
      ? [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: `${ws.prefix}/*`, filterType: 'WILDCARD' }] }]
      : [];
  const out = awsEcr(['put-registry-scanning-configuration', '--scan-type', scanType, '--rules', JSON.stringify(rules)]);
  if (out.status !== 0) throw new Error(`put-registry-scanning-configuration: ${out.stderr}`);
}

beforeAll(async () => {
  ws = createWorkspace([IMAGE]);
  repo = `${ws.prefix}/runtime`;
  await vulnerabilities('POST', { vulnerabilities: [PLANTED] });
});

afterAll(async () => {
  await vulnerabilities('DELETE').catch(() => undefined);
  if (!ws) return;
  setScanning('BASIC');
  const refs = execFileSync('docker', ['images', `localhost:5002/${ws.prefix}/*`, '--format', '{{.Repository}}:{{.Tag}}'], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
  const candidate = recordsOf(ws, IMAGE).find('docker-build')?.localTag;
  for (const ref of [...refs, ...(candidate ? [candidate] : [])]) spawnSync('docker', ['image', 'rm', '--force', ref], { stdio: 'ignore' });
  awsEcr(['delete-repository', '--repository-name', repo, '--force']);
  ws.dispose();
});

test('basic scanning: a planted CRITICAL finding blocks the version; no version tag, no staging tag; the failure names it', () => {
  const run = nx(ws, ['run', `${PROJECT}:publish`]);
  expect(run.code).not.toBe(0);
  // Basic scanning names the package and the installed version, not the fix (ImageScanFinding attributes).
  expect(run.output).toMatch(/CVE-2099-90001 CRITICAL hostname 3\.23\+nmu1 \(no fixed version given\)/);
  expect(run.output).toContain('nothing was published');

  // Nothing half-published: no version tag, the staging tag removed.
  const tags = ecrTags(repo);
  expect(tags).not.toContain(VERSION);
  expect(tags.filter((t) => t.startsWith('staging-'))).toEqual([]);

  const failure = recordsOf(ws, IMAGE).failure()!;
  expect(failure.step).toBe('ecr-publish');
  expect(failure.fix).toMatch(/scan\.allow/);
  expect(failure.scan).toMatchObject({
    outcome: 'blocked',
    scanType: 'BASIC',
    failOn: 'CRITICAL',
    findings: [{ id: PLANTED.id, severity: 'CRITICAL', package: 'hostname', installed: '3.23+nmu1' }],
  });
  // The committed list's findings on these bases are counted beside it.
  expect(failure.scan!.counts).toEqual({ CRITICAL: 1, MEDIUM: 1, LOW: 1 });
  expect(summaryRows(ws).find((r) => r.image === PROJECT)!.decision).toBe('failed at ecr-publish');
  process.stdout.write(`scan gate (basic) blocked ${VERSION}: ${failure.error.split('\n')[0]}\n`);
});

test('enhanced scanning: the card and the run summary name the CVE with package, installed and fixed versions', async () => {
  setScanning('ENHANCED');
  const run = nx(ws, ['run', `${PROJECT}:publish`]);
  expect(run.code).not.toBe(0);
  expect(ecrTags(repo)).not.toContain(VERSION);
  expect(ecrTags(repo).filter((t) => t.startsWith('staging-'))).toEqual([]);
  expect(recordsOf(ws, IMAGE).failure()!.scan).toMatchObject({
    scanType: 'ENHANCED',
    findings: [{ id: PLANTED.id, package: 'hostname', installed: '3.23+nmu1', fixed: '3.23+nmu2' }],
  });

  const card = (await cards(ws)).at(-1)!;
  expect(JSON.stringify(card.body)).toContain('ecr-publish failed, nothing published');
  expect(cardFact(card, PLANTED.id)).toBe('CRITICAL hostname 3.23+nmu1 (fixed in 3.23+nmu2)');

  const row = summaryRows(ws).find((r) => r.image === PROJECT)!;
  expect(row.decision).toBe('failed at ecr-publish');
  expect(row.vulnerabilities).toEqual([
    '1 CRITICAL, 1 MEDIUM, 1 LOW (ECR enhanced scan); blocked by CVE-2099-90001 CRITICAL',
    'CVE-2099-90001 CRITICAL hostname 3.23+nmu1 (fixed in 3.23+nmu2)',
  ]);
  const summary = readFileSync(path.join(ws.root, 'dist', SUMMARY_MARKDOWN), 'utf8');
  expect(summary).toContain('**Vulnerabilities**');
  expect(summary).toContain('CVE-2099-90001 CRITICAL hostname 3.23+nmu1 (fixed in 3.23+nmu2)');
  process.stdout.write(`scan gate (enhanced) blocked ${VERSION}: ${row.vulnerabilities![1]}\n`);
});

test('a Dockerfile that upgrades the package clears the finding: the version is published with its counts', async () => {
  const dockerfile = path.join(ws.root, 'platform-images', IMAGE, 'Dockerfile');
  const original = readFileSync(dockerfile, 'utf8');
  // hostname 3.23+nmu2: the installed files packed again under the fixed version, installed with dpkg.
  const upgrade = [
    'RUN set -e; d=/tmp/hostname-fix; mkdir -p "$d/DEBIAN"; \\',
    '    dpkg -L hostname | while read -r f; do if [ -f "$f" ] && [ ! -L "$f" ]; then cp --parents -a "$f" "$d"; fi; done; \\',
    "    dpkg-query -s hostname | sed -e 's/^Version: .*/Version: 3.23+nmu2/' -e '/^Status:/d' > \"$d/DEBIAN/control\"; \\",
    '    dpkg-deb --root-owner-group --build "$d" /tmp/hostname-fix.deb; dpkg -i /tmp/hostname-fix.deb; rm -rf "$d" /tmp/hostname-fix.deb',
  ].join('\n');
  writeFileSync(dockerfile, original.replace(/^(FROM .*\n)/m, `$1\n${upgrade}\n`));
  git(ws.root, ['commit', '-qam', 'upgrade hostname']);

  const run = nx(ws, ['run', `${PROJECT}:publish`]);
  if (run.code !== 0) throw new Error(`nx failed with ${run.code}:\n${run.output.slice(-6000)}`);
  expect(ecrTags(repo)).toContain(VERSION);
  expect(ecrTags(repo).filter((t) => t.startsWith('staging-'))).toEqual([]);

  const publish = recordsOf(ws, IMAGE).read('ecr-publish');
  expect(publish.scan).toMatchObject({
    outcome: 'passed',
    scanType: 'ENHANCED',
    failOn: 'CRITICAL',
    counts: { LOW: 1, MEDIUM: 1 },
    findings: [],
  });
  expect(publish.scan!.counts.CRITICAL).toBeUndefined();
  expect(run.output).toContain('ECR enhanced scan of 1 image: 1 MEDIUM, 1 LOW (nothing at or above CRITICAL blocks)');

  const card = (await cards(ws)).at(-1)!;
  expect(cardFact(card, 'Version tag')).toBe(VERSION);
  expect(cardFact(card, 'Vulnerabilities')).toBe('1 MEDIUM, 1 LOW (ECR enhanced scan; nothing at or above CRITICAL)');
  const row = summaryRows(ws).find((r) => r.image === PROJECT)!;
  expect(row.decision).toBe('rebuilt');
  expect(row.vulnerabilities).toEqual(['1 MEDIUM, 1 LOW (ECR enhanced scan; nothing at or above CRITICAL)']);
  process.stdout.write(`scan gate passed ${VERSION}: ${row.vulnerabilities![0]}\n`);
});

test("a real client reads the published version's findings from the stand-in: awscli, in the enhanced shape", () => {
  const out = awsEcr(['describe-image-scan-findings', '--repository-name', repo, '--image-id', `imageTag=${VERSION}`]);
  expect(out.status).toBe(0);
  const answer = JSON.parse(out.stdout) as {
    imageScanStatus: { status: string };
    imageScanFindings: {
      findingSeverityCounts: Record<string, number>;
      enhancedFindings: Array<{ packageVulnerabilityDetails: { vulnerabilityId: string; vulnerablePackages: Array<{ name: string }> } }>;
    };
  };
  expect(answer.imageScanStatus.status).toBe('ACTIVE');
  expect(answer.imageScanFindings.findingSeverityCounts).toEqual({ LOW: 1, MEDIUM: 1 });
  expect(
    answer.imageScanFindings.enhancedFindings
      .map((f) => `${f.packageVulnerabilityDetails.vulnerabilityId} ${f.packageVulnerabilityDetails.vulnerablePackages[0].name}`)
      .sort(),
  ).toEqual(['CVE-2099-10001 tar', 'CVE-2099-10002 coreutils']);
});

describe('scans ECR does not finish (fault rules on DescribeImageScanFindings)', () => {
  const NEXT = '8.0-bookworm-slim-1.1.0';
  afterEach(() => clearFaults());

  test('a FAILED scan stops the publish with its description: no version tag, no staging tag', async () => {
    await injectFaults('ecrApi', [
      {
        match: { operation: 'DescribeImageScanFindings' },
        action: {
          status: 200,
          body: { imageScanStatus: { status: 'FAILED', description: 'UnsupportedImageError: layer could not be read' } },
        },
      },
    ]);
    const run = nx(ws, ['run', `${PROJECT}:publish`], { PLATFORM_IMAGES_FORCE_UPDATE: 'true' });
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/ECR's scan failed \(FAILED: UnsupportedImageError: layer could not be read\); nothing was published/);
    expect(ecrTags(repo)).not.toContain(NEXT);
    expect(ecrTags(repo).filter((t) => t.startsWith('staging-'))).toEqual([]);
  });

  test('a scan that never finishes: fails by default after scan.timeoutSeconds, publishes with a warning under onTimeout "warn"', async () => {
    await injectFaults('ecrApi', [
      { match: { operation: 'DescribeImageScanFindings' }, action: { status: 200, body: { imageScanStatus: { status: 'IN_PROGRESS' } } } },
    ]);
    editJson(ws.root, 'nx.json', (value: NxJsonFile) => {
      (value.plugins[0].options as Record<string, unknown>).scan = { timeoutSeconds: 3 };
    });
    const failed = nx(ws, ['run', `${PROJECT}:publish`], { PLATFORM_IMAGES_FORCE_UPDATE: 'true' });
    expect(failed.code).not.toBe(0);
    expect(failed.output).toMatch(/ECR's scan did not finish within 3s \(sha256:[0-9a-f]{64}: IN_PROGRESS\); nothing was published/);
    expect(ecrTags(repo)).not.toContain(NEXT);

    editJson(ws.root, 'nx.json', (value: NxJsonFile) => {
      (value.plugins[0].options as Record<string, unknown>).scan = { timeoutSeconds: 3, onTimeout: 'warn' };
    });
    const warned = nx(ws, ['run', `${PROJECT}:publish`], { PLATFORM_IMAGES_FORCE_UPDATE: 'true' });
    if (warned.code !== 0) throw new Error(`nx failed with ${warned.code}:\n${warned.output.slice(-6000)}`);
    expect(ecrTags(repo)).toContain(NEXT);
    const scan = recordsOf(ws, IMAGE).read('ecr-publish').scan!;
    expect(scan.outcome).toBe('warned');
    expect(scan.warning).toContain('did not finish within 3s');
    expect(warned.output).toContain('published without its findings (scan.onTimeout is "warn")');
  });
});
