/**
 * Finds warnings in `docker build` output. stderr cannot be trusted as a signal (the classic builder always
 * prints a deprecation notice there), so warnings are recognised by shape, from both streams:
 * the classic builder's `[Warning] …`, BuildKit's `WARN: …` and `N warnings found`, MSBuild's
 * `file(1,2): warning CS1234: …`, and tools' own `warning: …` lines.
 */
const WARNING_PATTERNS: RegExp[] = [
  /^\[warning\]/i,
  /^warn(ing)?:\s/i,
  /^\d+ warnings? found\b/i,
  /:\s+warning\s+[A-Z]+\d+\s*:/,
  /^warning\s+[A-Z]+\d+\s*:/,
  /^npm warn\b/i,
];

/** Strips BuildKit's `#12 0.345 ` step and time prefix so RUN output is matched like plain output. */
function stripBuildkitPrefix(line: string): string {
  return line.replace(/^#\d+\s+(\d+\.\d+\s+)?/, '');
}

export function findBuildWarnings(output: string, ignore: RegExp[] = []): string[] {
  const found: string[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const line = stripBuildkitPrefix(raw.trim()).trim();
    if (!line) continue;
    if (/^0 warnings?\b/i.test(line) || /\b0 Warning\(s\)/.test(line)) continue;
    const isWarning = WARNING_PATTERNS.some((p) => p.test(line)) || /^\s*\d+ Warning\(s\)/.test(line);
    if (isWarning && !ignore.some((p) => p.test(line))) found.push(line);
  }
  return found;
}
