/**
 * What the generators share about a .NET line: how `--dotnet` is written, the OS Microsoft builds a line's
 * default images on, and how an answer is reported as wrong.
 */

export class GeneratorInputError extends Error {
  constructor(option: string, problem: string, hint?: string) {
    super(`--${option}: ${problem}${hint ? `\n  fix: ${hint}` : ''}`);
    this.name = 'GeneratorInputError';
  }
}

/** An unset answer: absent, or left empty at a prompt. */
export function given(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** The major version of a `--dotnet` answer written as the line's folder name (`net8`, `net10`; no leading zeros). */
export function dotnetMajor(raw: string | undefined): number {
  const dotnet = raw?.trim() ?? '';
  const match = /^net(\d+)$/.exec(dotnet);
  if (!match || String(Number(match[1])) !== match[1]) {
    throw new GeneratorInputError('dotnet', `"${dotnet}" is not a .NET version folder name`, 'write net<major>, e.g. net8 or net10');
  }
  return Number(match[1]);
}

/** The OS Microsoft builds a .NET line's default images on: Debian 11, Debian 12, then Ubuntu (no Debian images from .NET 10). */
export function defaultOsTag(major: number): string {
  if (major >= 10) return 'noble';
  if (major >= 8) return 'bookworm-slim';
  return 'bullseye-slim';
}

/** The tag of a line's default images, e.g. `8.0-bookworm-slim`, `10.0-noble`. */
export function defaultTag(major: number): string {
  return `${major}.0-${defaultOsTag(major)}`;
}
