/**
 * Finds warnings in `docker build` output. stderr cannot be trusted as a signal (the classic builder always
 * prints a deprecation notice there), so warnings are recognised by shape, from both streams:
 * the classic builder's `[Warning] …`, BuildKit's `WARN: …` and `N warnings found`, MSBuild's
 * `file(1,2): warning CS1234: …`, and tools' own `warning: …` lines.
 */
import { UserError } from '../types/errors';
import type { DockerCli } from './docker';
import type { CommandOutput } from './exec';

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

/**
 * Builds, the build's output going to `output`, and fails on errors and on warnings. `output` is told the
 * build ended only once its warnings are judged: a build that printed one failed as surely as one that
 * exited non-zero, and its output is shown as a failure's.
 */
export async function checkedBuild(
  docker: DockerCli,
  builder: Parameters<DockerCli['build']>[0],
  req: Parameters<DockerCli['build']>[1],
  what: string,
  output: CommandOutput,
): Promise<string> {
  let failure: string | undefined = 'did not run';
  try {
    const result = await docker.build(builder, req, { write: (chunk) => output.write(chunk), end: (f) => (failure = f) });
    if (result.exitCode !== 0)
      throw new UserError(
        `${what}: docker build failed (exit ${result.exitCode}); see the build output above`,
        'the build output above names the instruction that failed: fix it in the Dockerfile or the build context, then rerun',
      );
    const warnings = findBuildWarnings(result.output);
    if (warnings.length) {
      failure = `${warnings.length} warning${warnings.length === 1 ? '' : 's'}`;
      await docker.removeImage(req.tag);
      throw new UserError(
        `${what}: the build printed ${warnings.length} warning(s), which fail the build:\n  ${warnings.join('\n  ')}`,
        'fix the warnings in the Dockerfile or the app',
      );
    }
    return result.imageId;
  } finally {
    output.end(failure);
  }
}
