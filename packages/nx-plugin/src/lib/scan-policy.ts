/**
 * The vulnerability gate's decisions, pure: what ECR's scan of an image says (basic or enhanced scanning, in
 * one shape), whether a scan is finished, whether a repository is scanned at all, and which findings block a
 * version under the configured policy.
 *
 * The severity vocabulary and the policy's shape are types/scan.ts.
 */

import { type AllowEntry, type FailOn, type Finding, type ScanPolicy, type ScanSummary, SEVERITIES, type Severity } from '../types/scan';
import { wildcardMatches } from '../types/wildcard';

export type { AllowEntry, FailOn, Finding, ScanPolicy, Severity };

const RANK: Record<Severity, number> = { CRITICAL: 5, HIGH: 4, MEDIUM: 3, LOW: 2, INFORMATIONAL: 1, UNDEFINED: 0, UNTRIAGED: 0 };

/** A severity as ECR or Inspector wrote it; anything unknown counts as UNDEFINED. */
export function severityOf(text: string | undefined): Severity {
  const upper = (text ?? '').toUpperCase();
  return (SEVERITIES as readonly string[]).includes(upper) ? (upper as Severity) : 'UNDEFINED';
}

export function blocksAt(severity: Severity, failOn: FailOn): boolean {
  return failOn !== 'NONE' && RANK[severity] >= RANK[failOn];
}

export type ScanType = 'BASIC' | 'ENHANCED';

/** ECR's answer for one image, as lib/ecr.ts reads it (every page). */
export interface ImageScan {
  image: string;
  scanType?: ScanType;
  status: string;
  description?: string;
  /** Finding counts by severity as ECR gives them (findingSeverityCounts). */
  counts: Partial<Record<string, number>>;
  findings: Finding[];
  completedAt?: string;
}

/** Where a scan stands: finished, still to come, or never going to give findings (and why). */
export type ScanState = 'done' | 'pending' | 'failed' | 'unsupported' | 'unavailable';

/**
 * ImageScanStatus.status (ECR API reference, ImageScanStatus): basic scanning goes IN_PROGRESS → COMPLETE, or
 * FAILED, or UNSUPPORTED_IMAGE for an operating system it cannot scan; enhanced scanning reports Inspector's
 * view: PENDING until the first scan, ACTIVE once scanned (and monitored), SCAN_ELIGIBILITY_EXPIRED or
 * FINDINGS_UNAVAILABLE when it no longer has findings (ECR User Guide, Troubleshooting image scanning),
 * LIMIT_EXCEEDED, IMAGE_ARCHIVED. An unknown status is treated as not finished: the wait's bound ends it.
 */
export function scanState(status: string): ScanState {
  switch (status) {
    case 'COMPLETE':
    case 'ACTIVE':
      return 'done';
    case 'FAILED':
    case 'LIMIT_EXCEEDED':
      return 'failed';
    case 'UNSUPPORTED_IMAGE':
      return 'unsupported';
    case 'SCAN_ELIGIBILITY_EXPIRED':
    case 'FINDINGS_UNAVAILABLE':
    case 'IMAGE_ARCHIVED':
      return 'unavailable';
    default:
      return 'pending';
  }
}

/** The registry's scanning configuration (GetRegistryScanningConfiguration). */
export interface RegistryScanning {
  /** The registry the configuration belongs to: the caller's own. */
  registryId?: string;
  scanType: ScanType;
  rules: Array<{ scanFrequency: string; filters: string[] }>;
}

/**
 * Whether pushes to a repository are scanned, and by what. Enhanced scanning scans the repositories a
 * SCAN_ON_PUSH or CONTINUOUS_SCAN rule's filters match and no others; basic scanning scans on push where a
 * SCAN_ON_PUSH rule matches, or where the repository's own scanOnPush is on (PutRegistryScanningConfiguration:
 * "When a registry scanning configuration is not defined, by default the BASIC scan type is used").
 */
export function scanCoverage(registry: RegistryScanning, repository: string, repositoryScanOnPush: boolean): ScanType | undefined {
  const covered = registry.rules.some(
    (rule) =>
      (rule.scanFrequency === 'SCAN_ON_PUSH' || (registry.scanType === 'ENHANCED' && rule.scanFrequency === 'CONTINUOUS_SCAN')) &&
      rule.filters.some((f) => wildcardMatches(f, repository)),
  );
  if (covered) return registry.scanType;
  return registry.scanType === 'BASIC' && repositoryScanOnPush ? 'BASIC' : undefined;
}

/** An allow entry still in force on `today` (YYYY-MM-DD, UTC): through its expiry day, not after. */
export function allowInForce(entry: AllowEntry, today: string): boolean {
  return entry.expires >= today;
}

export interface GateVerdict {
  /** Findings at or above the threshold that no allow entry in force covers. */
  blocking: Finding[];
  /** Findings at or above the threshold that an allow entry covers, with its reason. */
  allowed: Array<Finding & { reason: string; expires: string }>;
  /** Counts by severity over every image (each image's findingSeverityCounts, else its findings counted). */
  counts: Partial<Record<Severity, number>>;
  /** Allow entries past their expiry that named a finding here: they no longer count. */
  expired: AllowEntry[];
}

/** Applies the policy to finished scans. */
export function judge(scans: ImageScan[], policy: Pick<ScanPolicy, 'failOn' | 'allow'>, today: string): GateVerdict {
  const counts: Partial<Record<Severity, number>> = {};
  const blocking: Finding[] = [];
  const allowed: GateVerdict['allowed'] = [];
  const expired = new Map<string, AllowEntry>();
  for (const scan of scans) {
    const given = Object.entries(scan.counts).filter(([, n]) => typeof n === 'number');
    if (given.length) {
      for (const [severity, n] of given) add(counts, severityOf(severity), n!);
    } else {
      for (const finding of scan.findings) add(counts, finding.severity, 1);
    }
    for (const finding of scan.findings) {
      if (!blocksAt(finding.severity, policy.failOn)) continue;
      const entries = policy.allow.filter((a) => a.id.toUpperCase() === finding.id.toUpperCase());
      const inForce = entries.find((a) => allowInForce(a, today));
      if (inForce) {
        allowed.push({ ...finding, reason: inForce.reason, expires: inForce.expires });
        continue;
      }
      for (const entry of entries) expired.set(entry.id, entry);
      blocking.push(finding);
    }
  }
  return { blocking: sortFindings(blocking), allowed, counts, expired: [...expired.values()] };
}

function add(counts: Partial<Record<Severity, number>>, severity: Severity, n: number): void {
  counts[severity] = (counts[severity] ?? 0) + n;
}

/** Worst first, then by id. */
export function sortFindings<T extends Finding>(findings: T[]): T[] {
  return [...findings].sort((a, b) => RANK[b.severity] - RANK[a.severity] || a.id.localeCompare(b.id) || a.image.localeCompare(b.image));
}

/** "2 CRITICAL, 1 HIGH, 3 LOW" (worst first), or "no findings". */
export function formatCounts(counts: Partial<Record<Severity, number>>): string {
  const parts = SEVERITIES.filter((s) => (counts[s] ?? 0) > 0).map((s) => `${counts[s]} ${s}`);
  return parts.length ? parts.join(', ') : 'no findings';
}

/** One finding on a line: "CVE-2024-1 CRITICAL libc6 2.36-9 (fixed in 2.36-10)". */
export function formatFinding(f: Finding): string {
  const pkg = f.package ? ` ${f.package}${f.installed ? ` ${f.installed}` : ''}` : '';
  const fix = f.fixed ? ` (fixed in ${f.fixed})` : ' (no fixed version given)';
  return `${f.id} ${f.severity}${pkg}${fix}`;
}

/** A publish's scan in one line, for the card and the run summary. */
export function scanLine(scan: ScanSummary): string {
  const by = scan.scanType ? `ECR ${scan.scanType.toLowerCase()} scan` : 'ECR scan';
  if (scan.outcome === 'blocked')
    return `${formatCounts(scan.counts)} (${by}); blocked by ${scan.findings.map((f) => `${f.id} ${f.severity}`).join(', ')}`;
  const gate = scan.failOn === 'NONE' ? 'no gate' : `nothing at or above ${scan.failOn}`;
  return scan.warning ? `not judged: ${scan.warning}` : `${formatCounts(scan.counts)} (${by}; ${gate})`;
}
