/**
 * Build args are inputs: a declared build arg the run passes changes what is built as surely as the
 * Dockerfile does. Each is recorded on the image as a digest of its name and value, never the value (a
 * build arg may carry a token), so a later check can say which build arg changed without anyone reading it.
 */
import { createHash } from 'node:crypto';

/** Build arg name → `sha256:…` of that name and its value. */
export type BuildArgDigests = Record<string, string>;

export function buildArgDigests(args: Record<string, string>): BuildArgDigests {
  return Object.fromEntries(
    Object.keys(args)
      .sort()
      .map((name) => [name, `sha256:${createHash('sha256').update(`platform-images build arg\0${name}\0${args[name]}`).digest('hex')}`]),
  );
}

/** As recorded in a label/annotation: JSON with sorted keys, so equal inputs give equal text. */
export function encodeBuildArgDigests(digests: BuildArgDigests): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.keys(digests)
        .sort()
        .map((name) => [name, digests[name]]),
    ),
  );
}

/** A recorded value read back; undefined when absent or not a map of strings (an image that recorded none). */
export function decodeBuildArgDigests(text: string | undefined): BuildArgDigests | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.every(([, v]) => typeof v === 'string') ? (Object.fromEntries(entries) as BuildArgDigests) : undefined;
  } catch {
    return undefined;
  }
}

/** The build args whose value differs, or that one side passes and the other does not, sorted by name. */
export function changedBuildArgs(published: BuildArgDigests, current: BuildArgDigests): string[] {
  const names = new Set([...Object.keys(published), ...Object.keys(current)]);
  return [...names].filter((name) => published[name] !== current[name]).sort();
}
