import { catalogRepository, dayOf, seedDecision } from './seed-check';

describe('seedDecision', () => {
  it.each<[string, string | undefined, string | Date | undefined, 'stale' | 'current']>([
    ['ECR pushed a day after MCR', '2026-11-20T09:00:00.0000000Z', '2026-11-21T01:00:00Z', 'current'],
    ['ECR pushed a year after MCR', '2025-11-20T09:00:00Z', new Date('2026-11-20T09:00:00Z'), 'current'],
    ['same day, ECR hours later: rebuilt needlessly (seed defect)', '2026-11-20T01:00:00Z', '2026-11-20T23:00:00Z', 'stale'],
    ['same day, ECR earlier', '2026-11-20T23:00:00Z', '2026-11-20T01:00:00Z', 'stale'],
    ['MCR pushed after ECR', '2026-11-22T00:10:00Z', '2026-11-21T12:00:00Z', 'stale'],
    // Upstream pushed late, we rebuilt just after midnight: the next upstream push on that day is missed.
    ['late MCR push, ECR just after midnight', '2026-11-20T23:59:00Z', new Date('2026-11-21T00:01:00Z'), 'current'],
    ['the day is compared as text, months with two digits', '2026-09-30T12:00:00Z', '2026-10-01T00:00:00Z', 'current'],
    ['tag missing from the catalog', undefined, '2026-11-21T00:00:00Z', 'stale'],
    ['repository without images', '2026-11-20T00:00:00Z', undefined, 'stale'],
    ['neither', undefined, undefined, 'stale'],
  ])('%s', (_name, mcr, ecr, expected) => {
    expect(seedDecision(mcr, ecr)).toBe(expected);
  });
});

describe('dayOf', () => {
  it('cuts an ISO time to its day, dates in UTC', () => {
    expect(dayOf('2026-11-20T23:59:59.1234567Z')).toBe('2026-11-20');
    expect(dayOf(new Date('2026-11-20T23:59:59+00:00'))).toBe('2026-11-20');
    expect(dayOf(new Date('2026-11-21T00:30:00+02:00'))).toBe('2026-11-20');
    expect(dayOf(undefined)).toBe('');
    expect(dayOf(null)).toBe('');
  });
});

describe('catalogRepository', () => {
  it.each([
    ['dotnet/runtime', 'dotnet/runtime'],
    ['mcr.microsoft.com/dotnet/runtime', 'dotnet/runtime'],
    ['localhost:5005/dotnet/sdk', 'dotnet/sdk'],
    ['localhost/dotnet/sdk', 'dotnet/sdk'],
    ['nginx', 'nginx'],
  ])('%s → %s', (input, expected) => {
    expect(catalogRepository(input)).toBe(expected);
  });
});
