import {
  decodePlatformDigests,
  encodePlatformDigests,
  formatPlatform,
  parsePlatform,
  platformSlug,
  platformsProblem,
  samePlatforms,
} from './platforms';

const A = `sha256:${'a'.repeat(64)}`;
const E = `sha256:${'e'.repeat(64)}`;

describe('platforms', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm/v7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux', undefined],
    ['Linux/AMD64', undefined],
    ['linux/arm/v7/x', undefined],
  ])('parsePlatform(%s)', (text, parsed) => {
    expect(parsePlatform(text)).toEqual(parsed);
  });

  it.each([
    [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, 'linux/arm64'],
    [{ os: 'linux', architecture: 'arm', variant: 'v7' }, 'linux/arm/v7'],
    [{ os: 'linux', architecture: 'amd64' }, 'linux/amd64'],
  ])('formatPlatform(%j) = %s', (platform, text) => {
    expect(formatPlatform(platform)).toBe(text);
  });

  it('records per-platform digests sorted, and reads back only what it writes', () => {
    const text = encodePlatformDigests({ 'linux/arm64': E, 'linux/amd64': A });
    expect(text).toBe(`linux/amd64=${A},linux/arm64=${E}`);
    expect(decodePlatformDigests(text)).toEqual({ 'linux/amd64': A, 'linux/arm64': E });
    expect(decodePlatformDigests(undefined)).toBeUndefined();
    expect(decodePlatformDigests('linux/amd64=sha256:short')).toBeUndefined();
    expect(decodePlatformDigests(`amd64=${A}`)).toBeUndefined();
  });

  it('slugs, same lists', () => {
    expect(platformSlug('linux/arm/v7')).toBe('linux-arm-v7');
    expect(samePlatforms(['linux/arm64', 'linux/amd64'], ['linux/amd64', 'linux/arm64'])).toBe(true);
    expect(samePlatforms(['linux/amd64'], ['linux/amd64', 'linux/arm64'])).toBe(false);
    expect(platformsProblem(['linux/amd64', 'linux/arm64', 'linux/arm/v7'])).toBeUndefined();
  });
});
