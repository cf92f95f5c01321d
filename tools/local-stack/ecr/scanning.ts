/**
 * The ECR stand-in's image scanning: what ECR does after a push to a repository it scans, close enough to test
 * a gate that reads the findings.
 *
 * - Which pushes are scanned: the registry's scanning configuration (Get/PutRegistryScanningConfiguration).
 *   With none defined the scan type is BASIC (ECR API reference, PutRegistryScanningConfiguration: "When a
 *   registry scanning configuration is not defined, by default the BASIC scan type is used"); basic scanning
 *   scans on push where the repository's scanOnPush is on or a SCAN_ON_PUSH rule's WILDCARD filter names the
 *   repository; enhanced scanning where a SCAN_ON_PUSH or CONTINUOUS_SCAN rule does (RegistryScanningRule).
 * - What is scanned: image manifests only. An image index or a non-image artifact is never scanned (StartImageScan
 *   refuses them: "An artifact with media type 'application/vnd.oci.image.index.v1+json' cannot be scanned",
 *   alexjurkiewicz/ecr-scan-image#43), so DescribeImageScanFindings answers ScanNotFoundException ("The specified
 *   image scan could not be found. Ensure that image scanning is enabled on the repository and try again.").
 * - How: the image's dpkg database (dpkg.ts) against a small vulnerability list (vulnerabilities.json, plus
 *   entries a test adds on /__vulnerabilities). No dpkg database: UNSUPPORTED_IMAGE, as for an operating system
 *   basic scanning does not support or a scratch image (ECR User Guide, Troubleshooting image scanning).
 * - When: IN_PROGRESS (enhanced: PENDING) for `scanSeconds` after the push, then COMPLETE (enhanced: ACTIVE),
 *   or FAILED when the layers cannot be read (ImageScanStatus).
 * - Answers: basic findings are `findings` with the CVE as `name` and the attributes `package_name` and
 *   `package_version` and no fixed version; enhanced ones are `enhancedFindings` (Inspector's
 *   PackageVulnerabilityDetails with VulnerablePackage `version`/`release`/`epoch`/`fixedInVersion`); both with
 *   `findingSeverityCounts` (ImageScanFindings, ImageScanFinding, EnhancedImageScanFinding).
 * A test makes a scan fail or never finish with a fault rule on DescribeImageScanFindings (faults.ts).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type * as http from 'node:http';
import type { Account } from './accounts';
import { AwsError, invalidParameter } from './aws-errors';
import { repoPath } from './backing-registry';
import { compareVersions, installedPackages, type LayerDpkg, parseVersion, readLayer, statusOf } from './dpkg';
import type { Log } from './log';
import { readBody } from './read-body';
import { type Json, type OperationContext, page } from './requests';
import { wildcardMatches } from '../ecr-tag-rules';

export type ScanType = 'BASIC' | 'ENHANCED';

export interface Vulnerability {
  id: string;
  /** The binary package it affects. */
  package: string;
  severity: string;
  /** The first version that has the fix: every installed version before it is affected. */
  fixed: string;
  /** The first affected version, when older ones are not. */
  introduced?: string;
  description?: string;
}

export interface RegistryScanningConfiguration {
  scanType: ScanType;
  rules: Array<{ scanFrequency: string; repositoryFilters: Array<{ filter: string; filterType: string }> }>;
}

interface Scan {
  scanType: ScanType;
  /** Epoch ms the scan finishes at. */
  doneAt: number;
  result?: {
    status: 'COMPLETE' | 'FAILED' | 'UNSUPPORTED_IMAGE';
    description: string;
    found: Array<{ v: Vulnerability; installed: string; arch?: string }>;
  };
  completedAt?: number;
}

const SEVERITY_KEYS = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED', 'UNTRIAGED'];

export function loadFixture(file = path.join(__dirname, 'vulnerabilities.json')): Vulnerability[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { vulnerabilities: Vulnerability[] }).vulnerabilities;
}

/** The vulnerabilities that name an installed package at an affected version. */
export function match(status: string, list: Vulnerability[]): Array<{ v: Vulnerability; installed: string; arch?: string }> {
  const found: Array<{ v: Vulnerability; installed: string; arch?: string }> = [];
  for (const pkg of installedPackages(status)) {
    for (const v of list) {
      if (v.package !== pkg.name) continue;
      if (compareVersions(pkg.version, v.fixed) >= 0) continue;
      if (v.introduced !== undefined && compareVersions(pkg.version, v.introduced) < 0) continue;
      found.push({ v, installed: pkg.version, ...(pkg.arch ? { arch: pkg.arch } : {}) });
    }
  }
  return found;
}

export class Scanning {
  private readonly scans = new Map<string, Scan>();
  private readonly configs = new Map<string, RegistryScanningConfiguration>();
  private readonly layers = new Map<string, LayerDpkg>();
  private extra: Vulnerability[] = [];

  constructor(
    private readonly fixture: Vulnerability[],
    private readonly log: Log,
    /** How long a scan stays in progress. */
    private readonly scanMs = 1500,
  ) {}

  vulnerabilities(): Vulnerability[] {
    return [...this.fixture, ...this.extra];
  }

  configuration(acct: Account): RegistryScanningConfiguration {
    return this.configs.get(acct.id) ?? { scanType: 'BASIC', rules: [] };
  }

  setConfiguration(acct: Account, config: RegistryScanningConfiguration): void {
    this.configs.set(acct.id, config);
  }

  /** The scan type pushes to `name` get, undefined when they are not scanned. */
  coverage(acct: Account, name: string): ScanType | undefined {
    const config = this.configuration(acct);
    const ruled = config.rules.some(
      (r) =>
        (r.scanFrequency === 'SCAN_ON_PUSH' || (config.scanType === 'ENHANCED' && r.scanFrequency === 'CONTINUOUS_SCAN')) &&
        r.repositoryFilters.some((f) => wildcardMatches(f.filter, name)),
    );
    if (ruled) return config.scanType;
    return config.scanType === 'BASIC' && acct.meta.get(name)?.scanOnPush ? 'BASIC' : undefined;
  }

  /** A manifest was pushed (through the registry or PutImage): scan it when the repository is scanned. */
  pushed(acct: Account, name: string, digest: string): void {
    const scanType = this.coverage(acct, name);
    if (scanType && !this.scans.has(`${acct.id}/${name}@${digest}`)) this.start(acct, name, digest, scanType);
  }

  /**
   * StartImageScan: a basic scan of one image manifest, at most once a day ("An image can be scanned once per
   * 24 hours", ECR User Guide, Manually scanning an image; LimitExceededException), and never of an index or
   * another artifact (UnsupportedImageTypeException: "An artifact with media type '…' cannot be scanned",
   * alexjurkiewicz/ecr-scan-image#43). Enhanced scanning is Inspector's to schedule (InvalidParameterException).
   */
  startScan(acct: Account, name: string, digest: string, mediaType: string, isImage: boolean): Json {
    if (this.configuration(acct).scanType === 'ENHANCED')
      throw new AwsError('InvalidParameterException', 'This feature is disabled for registries with enhanced scanning enabled.');
    if (!isImage) throw new AwsError('UnsupportedImageTypeException', `An artifact with media type '${mediaType}' cannot be scanned.`);
    const previous = this.scans.get(`${acct.id}/${name}@${digest}`);
    if (previous && Date.now() - (previous.doneAt - this.scanMs) < 24 * 3600_000)
      throw new AwsError('LimitExceededException', 'The scan quota per image has been exceeded. Wait and try again.');
    this.start(acct, name, digest, 'BASIC');
    return { registryId: acct.id, repositoryName: name, imageId: { imageDigest: digest }, imageScanStatus: { status: 'IN_PROGRESS' } };
  }

  private start(acct: Account, name: string, digest: string, scanType: ScanType): void {
    const key = `${acct.id}/${name}@${digest}`;
    const scan: Scan = { scanType, doneAt: Date.now() + this.scanMs };
    this.scans.set(key, scan);
    this.run(acct, name, digest, scan).catch((err: unknown) => {
      scan.result = { status: 'FAILED', description: `The scan could not read the image: ${(err as Error).message}`, found: [] };
    });
  }

  private async run(acct: Account, name: string, digest: string, scan: Scan): Promise<void> {
    const manifest = await acct.registry.fetchManifest(name, digest);
    if (!manifest || manifest.manifests || !manifest.layers) {
      // Not an image: nothing ECR would scan.
      this.scans.delete(`${acct.id}/${name}@${digest}`);
      return;
    }
    const layers: LayerDpkg[] = [];
    for (const layer of manifest.layers) {
      if (!layer.digest) continue;
      let read = this.layers.get(layer.digest);
      if (!read) {
        const res = await acct.registry.request('GET', `/v2/${repoPath(name)}/blobs/${layer.digest}`);
        if (res.status !== 200) throw new Error(`layer ${layer.digest}: HTTP ${res.status}`);
        read = readLayer(res.body);
        this.layers.set(layer.digest, read);
      }
      layers.push(read);
    }
    const status = statusOf(layers);
    scan.result =
      status === undefined
        ? { status: 'UNSUPPORTED_IMAGE', description: 'The operating system and/or package manager are not supported.', found: [] }
        : { status: 'COMPLETE', description: 'The scan was completed successfully.', found: match(status, this.vulnerabilities()) };
    this.log(`scanned ${acct.id}/${name}@${digest}: ${scan.result.status}, ${scan.result.found.length} findings`);
  }

  /** DescribeImageScanFindings for one image of a repository that exists. */
  describe(acct: Account, name: string, digest: string, input: Json, region: string): Json {
    const scan = this.scans.get(`${acct.id}/${name}@${digest}`);
    if (!scan)
      throw new AwsError(
        'ScanNotFoundException',
        `Image scan does not exist for the image with '{imageDigest:'${digest}'}' in the repository with name '${name}' in the registry with id '${acct.id}'`,
      );
    const enhanced = scan.scanType === 'ENHANCED';
    const base = { registryId: acct.id, repositoryName: name, imageId: { imageDigest: digest } };
    if (!scan.result || Date.now() < scan.doneAt) {
      return { ...base, imageScanStatus: { status: enhanced ? 'PENDING' : 'IN_PROGRESS', description: 'The scan is in progress.' } };
    }
    scan.completedAt ??= Date.now();
    const { status, description, found } = scan.result;
    const shown = status === 'COMPLETE' && enhanced ? 'ACTIVE' : status;
    if (status !== 'COMPLETE') return { ...base, imageScanStatus: { status: shown, description } };
    const counts: Record<string, number> = {};
    for (const f of found) {
      const key = SEVERITY_KEYS.includes(f.v.severity) ? f.v.severity : 'UNDEFINED';
      counts[key] = (counts[key] ?? 0) + 1;
    }
    const { items, nextToken } = page(found, input, 100);
    const completedAt = scan.completedAt / 1000;
    const findings = items.map((f) =>
      enhanced
        ? enhancedFinding(f, acct, name, digest, region, completedAt)
        : {
            name: f.v.id,
            description: f.v.description ?? '',
            uri: `https://security-tracker.debian.org/tracker/${f.v.id}`,
            severity: f.v.severity,
            attributes: [
              { key: 'package_version', value: f.installed },
              { key: 'package_name', value: f.v.package },
            ],
          },
    );
    return {
      ...base,
      imageScanStatus: { status: shown, description },
      imageScanFindings: {
        imageScanCompletedAt: completedAt,
        vulnerabilitySourceUpdatedAt: completedAt,
        findingSeverityCounts: counts,
        ...(enhanced ? { enhancedFindings: findings } : { findings }),
      },
      ...(nextToken ? { nextToken } : {}),
    };
  }

  /** `/__vulnerabilities` on the API port: GET the list, POST {"vulnerabilities": [...]} to add, DELETE the added ones. */
  async control(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST') {
      const added = (JSON.parse((await readBody(req, 1024 * 1024)).toString('utf8')) as { vulnerabilities?: Vulnerability[] })
        .vulnerabilities;
      if (!Array.isArray(added) || added.some((v) => !v?.id || !v.package || !v.fixed || !v.severity))
        return send(400, { message: 'give {"vulnerabilities": [{ id, package, fixed, severity, introduced? }]}' });
      this.extra.push(...added);
      this.log(`vulnerabilities added: ${added.map((v) => v.id).join(', ')}`);
    } else if (req.method === 'DELETE') {
      this.extra = [];
    } else if (req.method !== 'GET') {
      return send(405, { message: 'GET, POST or DELETE' });
    }
    send(200, { vulnerabilities: this.vulnerabilities() });
  }
}

/** An Inspector finding as ECR relays it (EnhancedImageScanFinding). */
function enhancedFinding(
  f: { v: Vulnerability; installed: string; arch?: string },
  acct: Account,
  name: string,
  digest: string,
  region: string,
  at: number,
): Json {
  const { epoch, upstream, revision } = parseVersion(f.installed);
  return {
    awsAccountId: acct.id,
    description: f.v.description ?? '',
    findingArn: `arn:aws:inspector2:${region}:${acct.id}:finding/${digest.slice(7, 39)}`,
    firstObservedAt: at,
    lastObservedAt: at,
    updatedAt: at,
    packageVulnerabilityDetails: {
      source: 'DEBIAN_CVE',
      sourceUrl: `https://security-tracker.debian.org/tracker/${f.v.id}`,
      vulnerabilityId: f.v.id,
      vulnerablePackages: [
        {
          name: f.v.package,
          version: upstream,
          ...(revision ? { release: revision } : {}),
          ...(epoch ? { epoch } : {}),
          ...(f.arch ? { arch: f.arch } : {}),
          packageManager: 'OS',
          fixedInVersion: f.v.fixed,
        },
      ],
    },
    remediation: { recommendation: { text: `Upgrade ${f.v.package} to ${f.v.fixed} or later.` } },
    resources: [
      {
        id: `arn:aws:ecr:${region}:${acct.id}:repository/${name}/${digest}`,
        type: 'AWS_ECR_CONTAINER_IMAGE',
        details: { awsEcrContainerImage: { imageHash: digest, repositoryName: name, registry: acct.id } },
      },
    ],
    severity: f.v.severity,
    status: 'ACTIVE',
    title: `${f.v.id} - ${f.v.package}`,
    type: 'PACKAGE_VULNERABILITY',
    fixAvailable: 'YES',
  };
}

/** Reads PutRegistryScanningConfiguration's input (scanType BASIC | ENHANCED, at most 2 rules). */
export function scanningConfigurationOf(input: Json): RegistryScanningConfiguration {
  const scanType = input.scanType ?? 'BASIC';
  if (scanType !== 'BASIC' && scanType !== 'ENHANCED')
    throw invalidParameter('scanType', 'Member must satisfy enum value set: [BASIC, ENHANCED]');
  const rules = Array.isArray(input.rules) ? (input.rules as Json[]) : [];
  if (rules.length > 2) throw invalidParameter('rules', 'Member must have length less than or equal to 2');
  return {
    scanType,
    rules: rules.map((r) => {
      const frequency = String(r.scanFrequency);
      const allowed = scanType === 'ENHANCED' ? ['SCAN_ON_PUSH', 'CONTINUOUS_SCAN'] : ['SCAN_ON_PUSH'];
      if (!allowed.includes(frequency))
        throw invalidParameter('rules.scanFrequency', `${scanType} scanning supports ${allowed.join(' and ')}`);
      const filters = Array.isArray(r.repositoryFilters) ? (r.repositoryFilters as Json[]) : [];
      return {
        scanFrequency: frequency,
        repositoryFilters: filters.map((f) => {
          if (typeof f.filter !== 'string' || !f.filter)
            throw invalidParameter('rules.repositoryFilters.filter', 'Member must not be null');
          // ScanningRepositoryFilterType has one value (the SDK models' enum).
          if (f.filterType !== 'WILDCARD')
            throw invalidParameter('rules.repositoryFilters.filterType', 'Member must satisfy enum value set: [WILDCARD]');
          return { filter: f.filter, filterType: 'WILDCARD' };
        }),
      };
    }),
  };
}

/** The scanning operations of the ECR API, over the operations' own repository lookup. */
export function scanningOperations(
  scanning: Scanning,
  deps: {
    caller: Account;
    existingRepository: (input: Json, ctx: OperationContext) => { acct: Account; name: string; registryId: string };
    digestOf: (acct: Account, name: string, input: Json) => Promise<string>;
  },
): Record<string, (input: Json, ctx: OperationContext) => Json | Promise<Json>> {
  return {
    async DescribeImageScanFindings(input, ctx) {
      const { acct, name } = deps.existingRepository(input, ctx);
      const digest = await deps.digestOf(acct, name, input);
      return scanning.describe(acct, name, digest, input, ctx.region);
    },
    async StartImageScan(input, ctx) {
      const { acct, name } = deps.existingRepository(input, ctx);
      const digest = await deps.digestOf(acct, name, input);
      const manifest = await acct.registry.fetchManifest(name, digest);
      return scanning.startScan(acct, name, digest, manifest?.mediaType ?? 'unknown', !!manifest?.layers && !manifest.manifests);
    },
    GetRegistryScanningConfiguration() {
      const config = scanning.configuration(deps.caller);
      return { registryId: deps.caller.id, scanningConfiguration: config };
    },
    PutRegistryScanningConfiguration(input) {
      const config = scanningConfigurationOf(input);
      scanning.setConfiguration(deps.caller, config);
      return { registryScanningConfiguration: config };
    },
  };
}
