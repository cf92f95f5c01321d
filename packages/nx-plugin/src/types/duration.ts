/** Durations as configured (`30s`, `90m`, `6h`, `2d`) and as messages print them. */

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds, or undefined when the text is not a whole positive number followed by one of s, m, h, d. */
export function parseDuration(text: string): number | undefined {
  const match = /^([1-9]\d{0,8})(s|m|h|d)$/.exec(text.trim());
  return match ? Number(match[1]) * UNITS[match[2]] : undefined;
}

/** The largest unit that divides it: 3_600_000 → `1h`, 5_400_000 → `90m`. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    if (ms >= UNITS[unit] && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
