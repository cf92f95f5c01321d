import { withoutColour } from './without-colour';

const ESC = String.fromCharCode(0x1b);

describe('withoutColour', () => {
  it.each<[string, string]>([
    [`${ESC}[1m${ESC}[32mNX${ESC}[39m${ESC}[22m   Successfully ran`, 'NX   Successfully ran'],
    [`${ESC}[0;31merror${ESC}[0m: x`, 'error: x'],
    ['plain [text] stays', 'plain [text] stays'],
    // Only SGR sequences (ending in m) are colour; other escapes are kept.
    [`${ESC}[2K cleared`, `${ESC}[2K cleared`],
  ])('%j → %j', (text, expected) => {
    expect(withoutColour(text)).toBe(expected);
  });
});
