import type { ScanSummary } from './scan';

/**
 * A mistake the user can fix (bad config, missing file, unreachable endpoint). Executors print its message
 * without a stack trace, then what fixes it on a `fix:` line of its own: the hint is required, so no user
 * error can be written without one. Anything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  constructor(
    message: string,
    /** What would fix it, printed on its own line. */
    readonly hint: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** A configuration mistake, always naming the file and the field. */
export class ConfigError extends UserError {
  constructor(
    readonly file: string,
    readonly field: string,
    problem: string,
    hint: string,
  ) {
    super(`${file}: ${field}: ${problem}`, hint);
    this.name = 'ConfigError';
  }
}

/** The registry has no such repository or tag: the caller knows which file named it. */
export class NotFoundError extends UserError {
  constructor(message: string, hint: string) {
    super(message, hint);
    this.name = 'NotFoundError';
  }
}

/** A publish that got its version tag out but not all of its moving tags: the next run finishes it. */
export class PartialPublishError extends UserError {
  constructor(
    message: string,
    hint: string,
    readonly versionTag: string,
  ) {
    super(message, hint);
    this.name = 'PartialPublishError';
  }
}

/** Findings that block a version: the publish stopped before its version tag, with the findings listed. */
export class VulnerabilityError extends UserError {
  constructor(
    message: string,
    hint: string,
    readonly scan: ScanSummary,
  ) {
    super(message, hint);
    this.name = 'VulnerabilityError';
  }
}

/** What a failure record keeps of an error: its message, what fixes it, and the file and field a configuration mistake names. */
export interface ErrorFields {
  error: string;
  fix?: string;
  file?: string;
  field?: string;
  /** The scan that blocked a publish: counts and the findings that blocked it. */
  scan?: ScanSummary;
}

/**
 * An error as fields, the message and the `fix:` line as describeError prints them. An unexpected error (a
 * bug) keeps its name and message here; its stack goes to the log only.
 */
export function errorFields(err: unknown): ErrorFields {
  if (!(err instanceof UserError)) return { error: String(err) };
  const fields: ErrorFields = { error: err.message };
  if (err.hint) fields.fix = err.hint;
  if (err instanceof ConfigError) Object.assign(fields, { file: err.file, field: err.field });
  if (err instanceof VulnerabilityError) fields.scan = err.scan;
  return fields;
}

export function describeError(err: unknown): string {
  if (err instanceof UserError) return err.hint ? `${err.message}\n  fix: ${err.hint}` : err.message;
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}

/** What went wrong on the wire for a failed fetch: undici's system code (ECONNREFUSED…), else the error's name (TimeoutError…). */
export function networkCause(err: unknown): string {
  return (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
}
