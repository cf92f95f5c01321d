/**
 * The vulnerability gate of ecr-publish: between the staging push and the version tag, ECR's scan of every
 * pushed image manifest is read (DescribeImageScanFindings), waiting up to `scan.timeoutSeconds` for the scans
 * to finish, and judged by the `scan` policy. Findings that block, a scan that failed, and (by default) a scan
 * that never finished or a repository ECR does not scan throw: publish then writes no version tag and removes
 * its staging tag, so nothing is half-published.
 *
 * Scan findings belong to image manifests, not to indexes: ECR refuses to scan an image index ("An artifact
 * with media type 'application/vnd.oci.image.index.v1+json' cannot be scanned", StartImageScan's
 * UnsupportedImageTypeException, alexjurkiewicz/ecr-scan-image#43; Amazon Inspector likewise scans only image
 * manifests, awslabs/soci-snapshotter#1845). So a multi-platform push is checked image by image, each platform
 * manifest its index lists; BuildKit's attestation manifests (platform unknown/unknown,
 * `vnd.docker.reference.type: attestation-manifest`; BuildKit, "Image attestation storage") carry no packages
 * and are left out.
 */
import type { ImageSettings } from '../config/settings';
import type { Ecr, EcrRepository, StoredManifest } from '../lib/ecr';
import type { Logger } from '../lib/log';
import { sleep as realSleep } from '../lib/retry';
import { formatCounts, formatFinding, type ImageScan, judge, scanCoverage, scanLine, scanState, type ScanType } from '../lib/scan-policy';
import { UserError, VulnerabilityError } from '../types/errors';
import { isIndexMediaType } from '../types/media-types';
import type { ScanSummary } from '../types/scan';

export interface ScanGateDeps {
  ecr: Ecr;
  log: Logger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** The first wait between polls, doubled each time up to the longest. */
const FIRST_POLL_MS = 1000;
const LONGEST_POLL_MS = 15_000;

/** The image manifests a pushed manifest stands for: itself, or the platform images its index lists. */
export function imageDigestsOf(staged: StoredManifest): string[] {
  let parsed: {
    mediaType?: string;
    manifests?: Array<{ digest?: string; platform?: { os?: string }; annotations?: Record<string, string> }>;
  };
  try {
    parsed = JSON.parse(staged.manifest) as typeof parsed;
  } catch {
    return [staged.digest];
  }
  const type = parsed.mediaType ?? staged.mediaType;
  if (!isIndexMediaType(type) || !Array.isArray(parsed.manifests)) return [staged.digest];
  const images = parsed.manifests
    .filter((m) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest' && m.platform?.os !== 'unknown')
    .map((m) => m.digest)
    .filter((d): d is string => typeof d === 'string');
  return images.length ? images : [staged.digest];
}

/** The command that turns scanning on for one repository, worded for the registry's scan type. */
function enableCommand(repository: string, scanType: ScanType): string {
  return scanType === 'ENHANCED'
    ? `add a registry scanning rule that names it (aws ecr put-registry-scanning-configuration --scan-type ENHANCED --rules ` +
        `'[{"scanFrequency":"SCAN_ON_PUSH","repositoryFilter":[{"filter":"${repository}","filterType":"WILDCARD"}]}]')`
    : `aws ecr put-image-scanning-configuration --repository-name ${repository} --image-scanning-configuration scanOnPush=true`;
}

/**
 * Waits for ECR's scans of `images` in `repository` and applies the policy. Returns what the publish records;
 * throws a VulnerabilityError when findings block, a UserError when the scans cannot be judged and the
 * policy says fail.
 */
export async function scanGate(
  settings: ImageSettings,
  repository: EcrRepository,
  images: string[],
  deps: ScanGateDeps,
): Promise<ScanSummary> {
  const { ecr, log } = deps;
  const policy = settings.scan;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  const who = `${settings.project}: ${repository.uri}`;
  const base = { images, failOn: policy.failOn, counts: {}, findings: [] } satisfies Partial<ScanSummary>;

  // Does ECR scan this repository at all? GetRegistryScanningConfiguration answers for the caller's own
  // registry (its registryId says which): for a repository in another account the wait's bound answers instead.
  const registry = await ecr.registryScanning();
  let scanType: ScanType | undefined;
  if (!registry.registryId || !repository.registryId || registry.registryId === repository.registryId) {
    scanType = scanCoverage(registry, repository.name, repository.scanOnPush ?? false);
    if (!scanType) {
      const why =
        registry.scanType === 'ENHANCED'
          ? `the registry uses enhanced scanning and none of its rules names ${repository.name}`
          : `scan on push is off for ${repository.name} and no registry scanning rule names it`;
      return unjudged(
        settings,
        log,
        policy.onUnscanned,
        base,
        `${who} is not scanned by ECR (${why}): its vulnerabilities are unknown, not absent`,
        `turn scanning on: ${enableCommand(repository.name, registry.scanType)}; or set scan.onUnscanned to "warn" (or scan.failOn to "NONE") to publish unchecked`,
      );
    }
  }

  const deadline = now() + policy.timeoutSeconds * 1000;
  const finished = new Map<string, ImageScan>();
  const last = new Map<string, string>();
  let wait = FIRST_POLL_MS;
  for (;;) {
    for (const image of images) {
      if (finished.has(image)) continue;
      const scan = await ecr.scanFindings(repository.name, image);
      if (scan === 'not-found') {
        // Right after a push ECR may not have registered the scan yet.
        last.set(image, 'no scan yet (ScanNotFoundException)');
        continue;
      }
      last.set(image, `${scan.status}${scan.description ? `: ${scan.description}` : ''}`);
      const state = scanState(scan.status);
      if (state === 'done') finished.set(image, scan);
      else if (state === 'failed')
        throw new UserError(
          `${who}@${image}: ECR's scan failed (${last.get(image)}); nothing was published`,
          'rerun: the next push is scanned again; set scan.failOn to "NONE" to publish without the gate',
        );
      else if (state === 'unsupported' || state === 'unavailable')
        return unjudged(
          settings,
          log,
          policy.onUnscanned,
          { ...base, ...(scanType ? { scanType } : {}) },
          state === 'unsupported'
            ? `${who}@${image}: ECR cannot scan this image (${last.get(image)}): basic scanning reads the package database of ` +
                `Amazon Linux, Debian, Ubuntu, CentOS, Oracle Linux, Alpine and RHEL images, not images without one`
            : `${who}@${image}: ECR has no findings for this image (${last.get(image)})`,
          state === 'unsupported'
            ? 'base the image on a supported distribution, or set scan.onUnscanned to "warn" to publish it unchecked'
            : 'rerun to push and scan it again, or set scan.onUnscanned to "warn" to publish it unchecked',
        );
    }
    const pending = images.filter((i) => !finished.has(i));
    if (!pending.length) break;
    const left = deadline - now();
    if (left <= 0) {
      const states = pending.map((i) => `${i}: ${last.get(i)}`).join('; ');
      const message = `${who}: ECR's scan did not finish within ${policy.timeoutSeconds}s (${states})`;
      if (policy.onTimeout === 'fail')
        throw new UserError(
          `${message}; nothing was published`,
          'rerun later, or raise scan.timeoutSeconds (a scan that never appears means ECR does not scan the repository: check its scanning configuration); ' +
            'scan.onTimeout "warn" publishes without waiting for the findings',
        );
      log.warn(`${message}; published without its findings (scan.onTimeout is "warn")`);
      return summarize(settings, log, images, [...finished.values()], scanType, message);
    }
    await sleep(Math.min(wait, left));
    wait = Math.min(wait * 2, LONGEST_POLL_MS);
  }
  return summarize(settings, log, images, [...finished.values()], scanType);
}

/** A scan that cannot be judged: fail, or warn and let the publish go on, as the policy says. */
function unjudged(
  settings: ImageSettings,
  log: Logger,
  onIt: 'fail' | 'warn',
  base: Omit<ScanSummary, 'outcome'>,
  message: string,
  hint: string,
): ScanSummary {
  if (onIt === 'fail' && settings.scan.failOn !== 'NONE') throw new UserError(`${message}; nothing was published`, hint);
  log.warn(`${message}; publishing unchecked`);
  return { ...base, outcome: 'warned', warning: message };
}

function summarize(
  settings: ImageSettings,
  log: Logger,
  images: string[],
  scans: ImageScan[],
  registryScanType: ScanType | undefined,
  warning?: string,
): ScanSummary {
  const policy = settings.scan;
  const verdict = judge(scans, policy, new Date().toISOString().slice(0, 10));
  const scanType = scans.find((s) => s.scanType)?.scanType ?? registryScanType;
  for (const entry of verdict.expired)
    log.warn(`${settings.project}: scan.allow ${entry.id} expired on ${entry.expires} and no longer counts (${entry.reason})`);
  for (const a of verdict.allowed) log.info(`${settings.project}: allowed until ${a.expires}: ${formatFinding(a)}: ${a.reason}`);
  const summary: ScanSummary = {
    ...(scanType ? { scanType } : {}),
    images,
    outcome: warning ? 'warned' : 'passed',
    failOn: policy.failOn,
    counts: verdict.counts,
    findings: verdict.blocking,
    ...(verdict.allowed.length ? { allowed: verdict.allowed } : {}),
    ...(warning ? { warning } : {}),
  };
  const what = `ECR ${scanType ? `${scanType.toLowerCase()} ` : ''}scan of ${images.length} image${images.length === 1 ? '' : 's'}: ${formatCounts(verdict.counts)}`;
  if (verdict.blocking.length && policy.failOn !== 'NONE') {
    const lines = verdict.blocking.map((f) => `  ${formatFinding(f)}`).join('\n');
    throw new VulnerabilityError(
      `${settings.project}: ${what}; ${verdict.blocking.length === 1 ? '1 finding' : `${verdict.blocking.length} findings`} at or above ${policy.failOn} ` +
        `${verdict.blocking.length === 1 ? 'blocks' : 'block'} the version, nothing was published:\n${lines}`,
      'upgrade the packages named in the Dockerfile (or wait for a base image with the fix); to accept one for a while, add it to scan.allow with a reason and an expiry date',
      { ...summary, outcome: 'blocked' },
    );
  }
  if (verdict.blocking.length)
    log.warn(
      `${settings.project}: ${what}; at or above the report threshold:\n${verdict.blocking.map((f) => `  ${formatFinding(f)}`).join('\n')}`,
    );
  else log.info(`${settings.project}: ${what}${policy.failOn === 'NONE' ? '' : ` (nothing at or above ${policy.failOn} blocks)`}`);
  return summary;
}

/**
 * mcr-check's `reportFindings`: ECR's findings of the newest published version as they stand now, without
 * waiting and without blocking anything (continuous or re-run scans change them after publishing). Each
 * image manifest is read once; what cannot be judged is said in `warning`.
 */
export async function reportFindings(
  settings: ImageSettings,
  repository: EcrRepository,
  images: string[],
  deps: { ecr: { scanFindings: Ecr['scanFindings'] }; log: Logger },
): Promise<ScanSummary> {
  const scans: ImageScan[] = [];
  const unjudgedImages: string[] = [];
  for (const image of images) {
    const scan = await deps.ecr.scanFindings(repository.name, image);
    if (scan !== 'not-found' && scanState(scan.status) === 'done') scans.push(scan);
    else unjudgedImages.push(`${image} (${scan === 'not-found' ? 'no scan' : scan.status})`);
  }
  const verdict = judge(scans, settings.scan, new Date().toISOString().slice(0, 10));
  const scanType = scans.find((s) => s.scanType)?.scanType;
  const warning = unjudgedImages.length ? `ECR has no finished scan of ${unjudgedImages.join(', ')}` : undefined;
  const summary: ScanSummary = {
    ...(scanType ? { scanType } : {}),
    images,
    outcome: verdict.blocking.length ? 'blocked' : warning ? 'warned' : 'passed',
    failOn: settings.scan.failOn,
    counts: verdict.counts,
    findings: verdict.blocking,
    ...(verdict.allowed.length ? { allowed: verdict.allowed } : {}),
    ...(warning ? { warning } : {}),
  };
  const line = `${settings.project}: findings of the newest published version: ${scanLine(summary)}`;
  if (verdict.blocking.length) deps.log.warn(`${line}\n${verdict.blocking.map((f) => `  ${formatFinding(f)}`).join('\n')}`);
  else if (warning) deps.log.warn(`${line}; ${warning}`);
  else deps.log.info(line);
  return summary;
}
