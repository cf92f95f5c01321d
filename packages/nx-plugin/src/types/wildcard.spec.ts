import { wildcardMatches } from './wildcard';

describe('wildcardMatches (ECR WILDCARD filters)', () => {
  it.each([
    ['latest', 'latest', true],
    ['latest', 'latest-1', false],
    ['8.0*', '8.0', true],
    ['8.0*', '8.0-bookworm-slim-1.2.0', true],
    ['8.0*', 'x8.0', false],
    ['*', '', true],
    ['prod-*', 'prod-runtime', true],
    ['prod-*', 'dev-runtime', false],
    ['a.b', 'axb', false],
    ['*-stand-in', 'net6-stand-in', true],
    ['(x)+', '(x)+', true],
  ])('%s against %s → %s', (filter, name, expected) => {
    expect(wildcardMatches(filter, name)).toBe(expected);
  });
});
