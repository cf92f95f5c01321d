import { createdOf, decodeBaseCreated, encodeBaseCreated } from './base-created';

describe('createdOf', () => {
  it.each<[string, unknown, string | undefined]>([
    ['a UTC time with nanoseconds, as Go writes it', { created: '2024-03-05T21:14:07.123456789Z' }, '2024-03-05T21:14:07.123Z'],
    ['a time with an offset, in UTC', { created: '2024-03-05T23:14:07+02:00' }, '2024-03-05T21:14:07.000Z'],
    ['none (the field is OPTIONAL)', { architecture: 'amd64' }, undefined],
    ['the epoch of a reproducible build: no build time', { created: '1970-01-01T00:00:00Z' }, undefined],
    ['not RFC 3339', { created: 'yesterday' }, undefined],
    ['a date without a time', { created: '2024-03-05' }, undefined],
    ['not a string', { created: 1709673247 }, undefined],
    ['no config at all', undefined, undefined],
  ])('%s', (_name, config, expected) => expect(createdOf(config)).toBe(expected));
});

describe('the annotation', () => {
  it('is platform=time pairs sorted by platform, and reads back', () => {
    const times = { 'linux/arm64': '2024-03-05T21:20:00.000Z', 'linux/amd64': '2024-03-05T21:14:07.000Z' };
    const text = encodeBaseCreated(times);
    expect(text).toBe('linux/amd64=2024-03-05T21:14:07.000Z,linux/arm64=2024-03-05T21:20:00.000Z');
    expect(decodeBaseCreated(text)).toEqual(times);
  });

  it.each([undefined, '', 'linux/amd64', 'linux/amd64=soon', 'amd64=2024-03-05T21:14:07.000Z', 'linux/amd64=2024-03-05T21:14:07.000Z,x'])(
    '%p is not one this product writes: unknown',
    (text) => expect(decodeBaseCreated(text)).toBeUndefined(),
  );
});
