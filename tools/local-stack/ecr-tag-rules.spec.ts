import { InvalidMutabilityError, isTagImmutable, parseMutabilitySetting, wildcardMatches, type MutabilitySetting } from './ecr-tag-rules';

const latest = [{ filterType: 'WILDCARD', filter: 'latest' }];

describe('parseMutabilitySetting', () => {
  it.each<[string, unknown, unknown, string | undefined, MutabilitySetting]>([
    ['the CreateRepository default', undefined, undefined, 'MUTABLE', { imageTagMutability: 'MUTABLE', exclusionFilters: [] }],
    ['IMMUTABLE', 'IMMUTABLE', undefined, undefined, { imageTagMutability: 'IMMUTABLE', exclusionFilters: [] }],
    ['null filters', 'IMMUTABLE', null, undefined, { imageTagMutability: 'IMMUTABLE', exclusionFilters: [] }],
    [
      'IMMUTABLE_WITH_EXCLUSION',
      'IMMUTABLE_WITH_EXCLUSION',
      latest,
      undefined,
      { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }] },
    ],
    [
      'MUTABLE_WITH_EXCLUSION',
      'MUTABLE_WITH_EXCLUSION',
      [{ filterType: 'WILDCARD', filter: 'v*' }],
      undefined,
      { imageTagMutability: 'MUTABLE_WITH_EXCLUSION', exclusionFilters: [{ filterType: 'WILDCARD', filter: 'v*' }] },
    ],
  ])('accepts %s', (_what, mutability, filters, fallback, expected) => {
    expect(parseMutabilitySetting(mutability, filters, fallback as never)).toEqual(expected);
  });

  it.each<[string, unknown, unknown, string]>([
    [
      'a missing mutability',
      undefined,
      undefined,
      `Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'must not be null'`,
    ],
    [
      'an unknown mutability',
      'FROZEN',
      undefined,
      'Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]',
    ],
    [
      'exclusion without filters',
      'IMMUTABLE_WITH_EXCLUSION',
      undefined,
      `Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as IMMUTABLE_WITH_EXCLUSION'`,
    ],
    ['an empty filter list', 'IMMUTABLE_WITH_EXCLUSION', [], 'Member must have length between 1 and 5'],
    [
      'six filters',
      'IMMUTABLE_WITH_EXCLUSION',
      Array.from({ length: 6 }, (_, i) => ({ filterType: 'WILDCARD', filter: `t${i}` })),
      'Member must have length between 1 and 5',
    ],
    ['filters with IMMUTABLE', 'IMMUTABLE', latest, 'must be null when imageTagMutability is set as IMMUTABLE'],
    [
      'another filter type',
      'IMMUTABLE_WITH_EXCLUSION',
      [{ filterType: 'REGEX', filter: 'x' }],
      `'imageTagMutabilityExclusionFilters.1.member.filterType'`,
    ],
    [
      'a character outside the pattern',
      'IMMUTABLE_WITH_EXCLUSION',
      [{ filterType: 'WILDCARD', filter: 'a/b' }],
      'regular expression pattern: ^[0-9a-zA-Z._*-]{1,128}$',
    ],
    [
      'a 129-character filter',
      'IMMUTABLE_WITH_EXCLUSION',
      [{ filterType: 'WILDCARD', filter: 'a'.repeat(129) }],
      'regular expression pattern',
    ],
  ])('refuses %s', (_what, mutability, filters, message) => {
    expect(() => parseMutabilitySetting(mutability, filters)).toThrow(InvalidMutabilityError);
    expect(() => parseMutabilitySetting(mutability, filters)).toThrow(message);
  });
});

describe('wildcardMatches', () => {
  it.each([
    ['latest', 'latest', true],
    ['latest', 'latest-1', false],
    ['latest', 'xlatest', false],
    ['dev-*', 'dev-', true],
    ['dev-*', 'dev-feature', true],
    ['dev-*', 'xdev-1', false],
    ['*-rc', '1.2-rc', true],
    ['8.0*', '8.0.1', true],
    ['8.0', '880', false],
    ['*', 'anything', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'aXbY', false],
  ])('%s ~ %s → %s', (filter, tag, expected) => {
    expect(wildcardMatches(filter, tag)).toBe(expected);
  });
});

describe('isTagImmutable', () => {
  const filters = [
    { filterType: 'WILDCARD' as const, filter: 'latest' },
    { filterType: 'WILDCARD' as const, filter: '8.0*' },
  ];
  it.each<[MutabilitySetting['imageTagMutability'], string, boolean]>([
    ['MUTABLE', '1.0.0', false],
    ['IMMUTABLE', 'latest', true],
    ['IMMUTABLE_WITH_EXCLUSION', 'latest', false],
    ['IMMUTABLE_WITH_EXCLUSION', '8.0', false],
    ['IMMUTABLE_WITH_EXCLUSION', '8.0.3', false],
    ['IMMUTABLE_WITH_EXCLUSION', '1.0.0', true],
    ['MUTABLE_WITH_EXCLUSION', 'latest', true],
    ['MUTABLE_WITH_EXCLUSION', '1.0.0', false],
  ])('%s: %s → %s', (mutability, tag, expected) => {
    const exclusionFilters = mutability.endsWith('_WITH_EXCLUSION') ? filters : [];
    expect(isTagImmutable({ imageTagMutability: mutability, exclusionFilters }, tag)).toBe(expected);
  });
});
