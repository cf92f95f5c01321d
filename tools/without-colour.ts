/**
 * Output as text: Nx and Docker colour what they print with SGR escape sequences (ESC `[` … `m`) when the
 * environment asks for colour, as CI often does. ESC (0x1b) is spelled as a number, not in a regex literal.
 */
const COLOUR_CODE = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;]*m`, 'g');

export function withoutColour(text: string): string {
  return text.replace(COLOUR_CODE, '');
}
