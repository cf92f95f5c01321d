/** Where the stand-in's modules say what they did: one line each, the caller decides where it goes. */
export type Log = (message: string) => void;

/** A log line on standard output, stamped with the time (up.sh sends it to .state/ecr-stand-in.log). */
export function stdoutLog(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}
