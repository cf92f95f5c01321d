/**
 * What `npm ci` needs from package-lock.json: every optional dependency a locked package names must be
 * locked too, whatever OS or CPU it is built for. npm resolves optional platform packages only for the
 * machine a lock was written on when the lock is updated in place (npm/cli#4828); `npm ci` on a lock
 * missing them refuses with EUSAGE (npm 11) or installs a build without its native part elsewhere (npm 10).
 */
export interface LockFile {
  packages: Record<string, { optionalDependencies?: Record<string, string> }>;
}

/** Where npm would look for `name` as a dependency of the package at `from` (nested first, then upwards). */
function resolves(lock: LockFile, from: string, name: string): boolean {
  let dir = from;
  for (;;) {
    if (lock.packages[`${dir ? `${dir}/` : ''}node_modules/${name}`]) return true;
    if (!dir) return false;
    const up = dir.lastIndexOf('/node_modules/');
    dir = up >= 0 ? dir.slice(0, up) : '';
  }
}

/** `<package> → <optional dependency>` for every optional dependency the lock file does not hold. */
export function missingOptionalPackages(lock: LockFile): string[] {
  const missing: string[] = [];
  for (const [location, entry] of Object.entries(lock.packages)) {
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      if (!resolves(lock, location, name)) missing.push(`${location || '(root)'} → ${name}`);
    }
  }
  return missing.sort();
}
