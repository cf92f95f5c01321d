import { formatDuration, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each<[string, number | undefined]>([
    ['30s', 30_000],
    ['90m', 5_400_000],
    ['6h', 21_600_000],
    ['2d', 172_800_000],
    [' 1h ', 3_600_000],
    ['0s', undefined],
    ['60', undefined],
    ['1.5h', undefined],
    ['-1h', undefined],
    ['1 h', undefined],
    ['1H', undefined],
    ['2w', undefined],
    ['', undefined],
  ])('%j → %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [3_600_000, '1h'],
    [5_400_000, '90m'],
    [172_800_000, '2d'],
    [21_600_000, '6h'],
    [2000, '2s'],
    [1500, '2s'],
  ])('%i → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
