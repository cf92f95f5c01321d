/**
 * Can this machine run a platform's containers, and how? The engine's own platform natively; another one only
 * through an emulator the kernel hands its binaries to: binfmt_misc, where qemu-user-static registers one
 * handler per architecture (`/proc/sys/fs/binfmt_misc/qemu-aarch64`, `qemu-arm`, …; the kernel's
 * admin-guide/binfmt-misc: each entry file says `enabled` or `disabled`, its `interpreter` and its `flags`).
 * Containers see their own root, so the handler needs the F flag ("fix binary": the kernel opens the
 * interpreter when it is registered, not in the container's namespace); Debian's qemu-user-static registers
 * its handlers with it. The entries read are the kernel's that runs this process, which is the engine's when
 * the engine runs here (the local Docker socket).
 */
import { readFileSync } from 'node:fs';

/** The binfmt_misc handler qemu-user-static registers for each platform the product builds. */
export const QEMU_HANDLERS: Record<string, string> = {
  'linux/amd64': 'qemu-x86_64',
  'linux/arm64': 'qemu-aarch64',
  'linux/arm/v7': 'qemu-arm',
};

export const BINFMT_DIR = '/proc/sys/fs/binfmt_misc';

export type PlatformRun =
  | { platform: string; how: 'native' }
  | { platform: string; how: 'emulated'; handler: string; interpreter?: string }
  | { platform: string; how: 'unavailable'; why: string };

/**
 * How `platform` runs on an engine of `enginePlatform`. `readEntry` reads a binfmt_misc file by name
 * (undefined when it is not there). Pure: the decision is made from what was read.
 */
export function howToRun(platform: string, enginePlatform: string, readEntry: (name: string) => string | undefined): PlatformRun {
  if (platform === enginePlatform) return { platform, how: 'native' };
  const handler = QEMU_HANDLERS[platform];
  if (!handler) return { platform, how: 'unavailable', why: `no emulator is known for ${platform}` };
  const status = readEntry('status');
  if (status === undefined)
    return {
      platform,
      how: 'unavailable',
      why: `binfmt_misc is not mounted (${BINFMT_DIR}), so no emulator can run ${platform} binaries on this ${enginePlatform} engine`,
    };
  if (status.trim() !== 'enabled') return { platform, how: 'unavailable', why: `binfmt_misc is disabled (${BINFMT_DIR}/status)` };
  const entry = readEntry(handler);
  if (entry === undefined)
    return {
      platform,
      how: 'unavailable',
      why: `no ${handler} handler is registered in ${BINFMT_DIR}, so this ${enginePlatform} engine cannot run ${platform} binaries`,
    };
  const lines = entry.split('\n').map((l) => l.trim());
  if (lines[0] !== 'enabled') return { platform, how: 'unavailable', why: `the ${handler} handler in ${BINFMT_DIR} is disabled` };
  const flags = /^flags:\s*(\S*)/m.exec(entry)?.[1] ?? '';
  if (!flags.includes('F'))
    return {
      platform,
      how: 'unavailable',
      why: `the ${handler} handler is registered without the F flag, so containers cannot find its interpreter`,
    };
  const interpreter = /^interpreter\s+(\S+)/m.exec(entry)?.[1];
  return { platform, how: 'emulated', handler, ...(interpreter ? { interpreter } : {}) };
}

/** Reads a binfmt_misc entry of this machine's kernel. */
export function readBinfmtEntry(name: string): string | undefined {
  try {
    return readFileSync(`${BINFMT_DIR}/${name}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** What to do about the platforms that cannot run here: fix, for the message. */
export const EMULATION_FIX =
  'install an emulator for it (on Debian: apt-get install qemu-user-static binfmt-support, which registers qemu handlers in binfmt_misc), ' +
  'or run on an agent of that architecture';
