import { howToRun, type PlatformRun } from './emulation';

const AARCH64 =
  'enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POCF\noffset 0\nmagic 7f454c460201010000000000000000000200b700\n';
const entries =
  (files: Record<string, string>) =>
  (name: string): string | undefined =>
    files[name];

describe('howToRun', () => {
  it.each<[string, string, string, Record<string, string>, PlatformRun]>([
    ['the engine’s own platform', 'linux/amd64', 'linux/amd64', {}, { platform: 'linux/amd64', how: 'native' }],
    [
      'arm64 with qemu-aarch64 registered (F flag)',
      'linux/arm64',
      'linux/amd64',
      { status: 'enabled\n', 'qemu-aarch64': AARCH64 },
      { platform: 'linux/arm64', how: 'emulated', handler: 'qemu-aarch64', interpreter: '/usr/libexec/qemu-binfmt/aarch64-binfmt-P' },
    ],
    [
      'binfmt_misc not mounted',
      'linux/arm64',
      'linux/amd64',
      {},
      {
        platform: 'linux/arm64',
        how: 'unavailable',
        why: 'binfmt_misc is not mounted (/proc/sys/fs/binfmt_misc), so no emulator can run linux/arm64 binaries on this linux/amd64 engine',
      },
    ],
    [
      'mounted, but arm/v7 has no handler (only aarch64 registered)',
      'linux/arm/v7',
      'linux/amd64',
      { status: 'enabled', 'qemu-aarch64': AARCH64 },
      {
        platform: 'linux/arm/v7',
        how: 'unavailable',
        why: 'no qemu-arm handler is registered in /proc/sys/fs/binfmt_misc, so this linux/amd64 engine cannot run linux/arm/v7 binaries',
      },
    ],
    [
      'the handler disabled',
      'linux/arm64',
      'linux/amd64',
      { status: 'enabled', 'qemu-aarch64': AARCH64.replace('enabled', 'disabled') },
      { platform: 'linux/arm64', how: 'unavailable', why: 'the qemu-aarch64 handler in /proc/sys/fs/binfmt_misc is disabled' },
    ],
    [
      'registered without F: containers cannot reach the interpreter',
      'linux/arm64',
      'linux/amd64',
      { status: 'enabled', 'qemu-aarch64': AARCH64.replace('flags: POCF', 'flags: OC') },
      {
        platform: 'linux/arm64',
        how: 'unavailable',
        why: 'the qemu-aarch64 handler is registered without the F flag, so containers cannot find its interpreter',
      },
    ],
    [
      'binfmt_misc switched off',
      'linux/arm64',
      'linux/amd64',
      { status: 'disabled', 'qemu-aarch64': AARCH64 },
      { platform: 'linux/arm64', how: 'unavailable', why: 'binfmt_misc is disabled (/proc/sys/fs/binfmt_misc/status)' },
    ],
    [
      'amd64 on an arm64 engine needs qemu-x86_64',
      'linux/amd64',
      'linux/arm64',
      { status: 'enabled' },
      {
        platform: 'linux/amd64',
        how: 'unavailable',
        why: 'no qemu-x86_64 handler is registered in /proc/sys/fs/binfmt_misc, so this linux/arm64 engine cannot run linux/amd64 binaries',
      },
    ],
  ])('%s', (_name, platform, engine, files, expected) => {
    expect(howToRun(platform, engine, entries(files))).toEqual(expected);
  });
});
