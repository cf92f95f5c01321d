/**
 * The vulnerability gate's vocabulary: finding severities, the thresholds `scan.failOn` may name, and the
 * policy's shape (config/scan.ts reads it, lib/scan-policy.ts applies it).
 *
 * Severities: ECR's FindingSeverity is INFORMATIONAL | LOW | MEDIUM | HIGH | CRITICAL | UNDEFINED (ECR API
 * reference, ImageScanFinding; @aws-sdk/client-ecr models' FindingSeverity); UNDEFINED is "not assigned a
 * priority by the CVE source" or one ECR does not recognise (ECR User Guide, Troubleshooting image scanning).
 * Enhanced findings come from Amazon Inspector, whose severity is a free string (EnhancedImageScanFinding
 * `severity`) that adds UNTRIAGED (Inspector API reference, Finding). Worst first.
 */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED', 'UNTRIAGED'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What `scan.failOn` may name: a severity from which findings block, or NONE (report, never block). */
export const FAIL_ON = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED', 'NONE'] as const;
export type FailOn = (typeof FAIL_ON)[number];

export const ON_TIMEOUT = ['fail', 'warn'] as const;

/** A CVE accepted for a while: it stops counting against the gate until `expires` (YYYY-MM-DD) has passed. */
export interface AllowEntry {
  id: string;
  reason: string;
  expires: string;
}

export interface ScanPolicy {
  failOn: FailOn;
  allow: AllowEntry[];
  /** How long publish waits for scans to finish. */
  timeoutSeconds: number;
  /** A scan still unfinished after the wait: fail, or publish with a warning. */
  onTimeout: (typeof ON_TIMEOUT)[number];
  /** A repository ECR does not scan: fail (no gate can be applied), or publish with a warning. */
  onUnscanned: (typeof ON_TIMEOUT)[number];
}

/** One finding of one image, whichever scanning produced it. */
export interface Finding {
  id: string;
  severity: Severity;
  package?: string;
  installed?: string;
  /** The version that fixes it: enhanced scanning says; basic scanning does not. */
  fixed?: string;
  uri?: string;
  /** The image manifest it was found in. */
  image: string;
}

/** What a publish records of the scans it read (PublishRecord.scan), and a failure record of the ones that blocked it. */
export interface ScanSummary {
  scanType?: 'BASIC' | 'ENHANCED';
  /** The image manifests scanned (one per platform). */
  images: string[];
  /** passed: finished, nothing blocks; blocked: findings block; warned: unfinished or unscanned, published anyway. */
  outcome: 'passed' | 'blocked' | 'warned';
  failOn: FailOn;
  /** Counts by severity over every image. */
  counts: Partial<Record<Severity, number>>;
  /** Findings at or above failOn that no allow entry covers (these block unless failOn is NONE). */
  findings: Finding[];
  /** Findings at or above failOn an allow entry in force covers. */
  allowed?: Array<Finding & { reason: string; expires: string }>;
  /** Why the gate could not judge every image, when it could not. */
  warning?: string;
}
