/**
 * The `scan` settings: the vulnerability gate ecr-publish applies to ECR's scan of the pushed image before a
 * version tag is written. Shared like `teams`: nx.json sets them for every image, an image's
 * platform-image.json overrides them (field by field; `allow` entries add to the workspace's), a profile last.
 *
 *   "scan": {
 *     "failOn": "CRITICAL",             // CRITICAL | HIGH | MEDIUM | LOW | INFORMATIONAL | UNDEFINED | NONE
 *     "allow": [{ "id": "CVE-2024-1234", "reason": "not reachable: …", "expires": "2026-12-31" }],
 *     "timeoutSeconds": 600,            // how long to wait for ECR to finish scanning
 *     "onTimeout": "fail",              // fail | warn
 *     "onUnscanned": "fail"             // fail | warn: a repository ECR does not scan
 *   }
 */
import { FAIL_ON, ON_TIMEOUT, type AllowEntry, type ScanPolicy } from '../types/scan';
import { Fields, isDay, isObject, type Json } from './validate';

const CVE_LIKE = /^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9][A-Za-z0-9.:_-]*$/;
const DATE = /^\d{4}-\d\d-\d\d$/;
/** ECR's own bound for a basic scan is minutes; an hour is longer than any publish should wait. */
export const MAX_SCAN_TIMEOUT_SECONDS = 3600;

export const SCAN_KEYS = ['failOn', 'allow', 'timeoutSeconds', 'onTimeout', 'onUnscanned'];

/** Reads one layer's `scan` over `base`. */
export function readScan(fields: Fields, base: ScanPolicy): ScanPolicy {
  const scan = fields.object('scan')?.allowOnly(SCAN_KEYS);
  if (!scan) return base;
  const out: ScanPolicy = { ...base, allow: [...base.allow] };
  out.failOn = scan.oneOf('failOn', FAIL_ON) ?? out.failOn;
  out.timeoutSeconds = scan.number('timeoutSeconds', { min: 0, max: MAX_SCAN_TIMEOUT_SECONDS, integer: true }) ?? out.timeoutSeconds;
  out.onTimeout = scan.oneOf('onTimeout', ON_TIMEOUT) ?? out.onTimeout;
  out.onUnscanned = scan.oneOf('onUnscanned', ON_TIMEOUT) ?? out.onUnscanned;
  const allow = scan.value.allow;
  if (allow !== undefined && allow !== null) {
    const list: Json[] = Array.isArray(allow)
      ? allow
      : scan.fail('allow', 'must be a list', 'write "allow": [{ "id": "CVE-…", "reason": "…", "expires": "YYYY-MM-DD" }]');
    list.forEach((item, i) => {
      const key = `allow[${i}]`;
      const value = isObject(item)
        ? item
        : scan.fail(key, 'must be an object', 'write { "id": "CVE-…", "reason": "why it is accepted", "expires": "YYYY-MM-DD" }');
      const entry = new Fields(scan.file, scan.path(key), value).allowOnly(['id', 'reason', 'expires']);
      const id = entry.requiredString('id', { pattern: CVE_LIKE, patternHint: 'a vulnerability id as ECR names it, e.g. "CVE-2024-1234"' });
      const reason = entry.requiredString('reason', {
        patternHint: 'say why the finding is accepted, e.g. "the affected code is never loaded"',
      });
      const expires = entry.requiredString('expires', {
        pattern: DATE,
        patternHint: 'the last day the exception holds, as YYYY-MM-DD, e.g. "2026-12-31"',
      });
      if (!isDay(expires)) entry.fail('expires', `"${expires}" is not a date`, 'write a real day as YYYY-MM-DD');
      const accepted: AllowEntry = { id, reason, expires };
      out.allow = [...out.allow.filter((a) => a.id.toUpperCase() !== id.toUpperCase()), accepted];
    });
  }
  return out;
}
