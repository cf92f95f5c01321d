/**
 * One backoff for every HTTP conversation the product has (upstream registries, the ECR registry API for
 * labels, Teams). Transient answers (408, 429, 5xx) and network failures are tried again a bounded number
 * of times. A server's Retry-After is honoured as written; one asking for longer than the bound makes the
 * client give up at once, so a scheduled run neither hammers a throttled service nor stalls on it.
 */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** The first wait when the server names none; doubled on each later try. */
  baseDelayMs: number;
  /** The longest single wait; a longer Retry-After ends the tries. */
  maxDelayMs: number;
}

export const REGISTRY_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 500, maxDelayMs: 30_000 };
export const WEBHOOK_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 1000, maxDelayMs: 30_000 };

export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/** Retry-After as milliseconds: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its month; V8 would read bare numbers such as "1.5" as dates too.
  const at = /[a-z]{3}/i.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; why: string };

/** Whether to try again after failed attempt number `attempt` (1-based), and after how long. */
export function nextRetry(attempt: number, policy: RetryPolicy, retryAfterMs?: number): RetryDecision {
  if (attempt >= policy.attempts) return { retry: false, why: `after ${attempt} attempt${attempt === 1 ? '' : 's'}` };
  if (retryAfterMs !== undefined) {
    if (retryAfterMs > policy.maxDelayMs) {
      return {
        retry: false,
        why: `it asked to retry after ${Math.ceil(retryAfterMs / 1000)} s, longer than the ${policy.maxDelayMs / 1000} s this run waits`,
      };
    }
    return { retry: true, delayMs: retryAfterMs };
  }
  return { retry: true, delayMs: Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs) };
}

/** The integration test's wait between probes while the test app has been up less than a second. */
export const EARLY_PROBE_DELAY_MS = 100;
/** Probes in that first second. */
const EARLY_PROBES = 10;

/**
 * How long to wait after failed probe number `failed` (1-based) of a test app that is starting: every 100 ms
 * for the first second, in which most apps answer (a poll every `maxMs` would see an app that answers at
 * 50 ms only at `maxMs`), then every `maxMs`, as before.
 */
export function probeDelayMs(failed: number, maxMs: number): number {
  return Math.min(failed <= EARLY_PROBES ? EARLY_PROBE_DELAY_MS : maxMs, maxMs);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
