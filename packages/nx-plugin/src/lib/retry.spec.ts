import { isTransientStatus, nextRetry, parseRetryAfter, probeDelayMs, type RetryPolicy } from './retry';

const POLICY: RetryPolicy = { attempts: 3, baseDelayMs: 500, maxDelayMs: 30_000 };
const NOW = Date.parse('2026-11-24T10:00:00Z');

describe('parseRetryAfter', () => {
  it.each<[string | null | undefined, number | undefined]>([
    [null, undefined],
    [undefined, undefined],
    ['', undefined],
    ['  ', undefined],
    ['0', 0],
    ['2', 2000],
    [' 7 ', 7000],
    ['soon', undefined],
    ['-1', undefined],
    ['1.5', undefined],
    ['Tue, 24 Nov 2026 10:00:05 GMT', 5000],
    ['Tue, 24 Nov 2026 09:59:00 GMT', 0],
  ])('%j → %j ms', (header, expected) => {
    expect(parseRetryAfter(header, NOW)).toBe(expected);
  });
});

describe('nextRetry', () => {
  it.each<[number, number | undefined, ReturnType<typeof nextRetry>]>([
    [1, undefined, { retry: true, delayMs: 500 }],
    [2, undefined, { retry: true, delayMs: 1000 }],
    [3, undefined, { retry: false, why: 'after 3 attempts' }],
    [1, 2000, { retry: true, delayMs: 2000 }],
    [1, 0, { retry: true, delayMs: 0 }],
    [2, 30_000, { retry: true, delayMs: 30_000 }],
    [1, 30_001, { retry: false, why: 'it asked to retry after 31 s, longer than the 30 s this run waits' }],
    [3, 1000, { retry: false, why: 'after 3 attempts' }],
  ])('after attempt %i with Retry-After %j ms → %j', (attempt, retryAfter, expected) => {
    expect(nextRetry(attempt, POLICY, retryAfter)).toEqual(expected);
  });

  it('caps the doubling at the longest wait', () => {
    expect(nextRetry(9, { attempts: 20, baseDelayMs: 1000, maxDelayMs: 30_000 })).toEqual({ retry: true, delayMs: 30_000 });
  });

  it('says "1 attempt" when only one try is allowed', () => {
    expect(nextRetry(1, { ...POLICY, attempts: 1 })).toEqual({ retry: false, why: 'after 1 attempt' });
  });
});

describe('isTransientStatus', () => {
  it.each<[number, boolean]>([
    [200, false],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [408, true],
    [429, true],
    [500, true],
    [501, false],
    [502, true],
    [503, true],
    [504, true],
    [505, false],
  ])('%i → %s', (status, expected) => {
    expect(isTransientStatus(status)).toBe(expected);
  });
});

describe('probeDelayMs: the integration test polls a starting app every 100 ms for a second, then as before', () => {
  it.each<[number, number, number]>([
    [1, 500, 100],
    [2, 500, 100],
    [10, 500, 100],
    [11, 500, 500],
    [400, 500, 500],
    [1, 50, 50],
    [11, 50, 50],
  ])('after failed probe %i, at most every %i ms → %i ms', (failed, maxMs, expected) => {
    expect(probeDelayMs(failed, maxMs)).toBe(expected);
  });

  it('over the first second the probes are never further apart than 100 ms, and never closer than before after it', () => {
    const at = (probes: number) => Array.from({ length: probes - 1 }, (_, i) => probeDelayMs(i + 1, 500)).reduce((a, b) => a + b, 0);
    expect(at(11)).toBe(1000);
    expect(at(12) - at(11)).toBe(500);
  });
});
