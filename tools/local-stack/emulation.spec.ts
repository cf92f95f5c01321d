import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * emulation.sh against a folder standing for /proc/sys/fs/binfmt_misc: mount, umount, mountpoint and
 * update-binfmts are shell functions that log what they were asked, so nothing on the machine changes.
 */
const REPO_ROOT = path.resolve(__dirname, '../..');
let dir: string;
let binfmt: string;
let state: string;

const handler = (flags: string, enabled = true): string =>
  `${enabled ? 'enabled' : 'disabled'}\ninterpreter /usr/libexec/qemu-binfmt/x-binfmt-P\nflags: ${flags}\noffset 0\n`;

function shell(script: string, opts: { mounted: boolean }): { code: number | null; out: string; calls: string[] } {
  const stubs = `
    mountpoint() { ${opts.mounted ? 'return 0' : '[[ -f "$STATE_DIR/mounted-now" ]]'}; }
    mount() { echo "mount $*" >>"$STATE_DIR/calls"; touch "$STATE_DIR/mounted-now"; }
    umount() { echo "umount $*" >>"$STATE_DIR/calls"; }
    update-binfmts() { echo "update-binfmts $*" >>"$STATE_DIR/calls"; printf '${handler('PF')}' >"$BINFMT_DIR/$2"; }
  `;
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -euo pipefail; source tools/local-stack/lib.sh; STATE_DIR=${state}; BINFMT_DIR=${binfmt}; ` +
        `source tools/local-stack/emulation.sh\n${stubs}\n${script}`,
    ],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  const calls = existsSync(path.join(state, 'calls')) ? readFileSync(path.join(state, 'calls'), 'utf8').trim().split('\n') : [];
  return { code: run.status, out: run.stdout + run.stderr, calls };
}

const record = (): string | undefined =>
  existsSync(path.join(state, 'emulation')) ? readFileSync(path.join(state, 'emulation'), 'utf8') : undefined;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'emulation-'));
  binfmt = path.join(dir, 'binfmt_misc');
  state = path.join(dir, 'state');
  mkdirSync(binfmt);
  mkdirSync(state);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('ensure_emulation and undo_emulation', () => {
  it('on a bare machine: mounts, registers both handlers, and undoes exactly that', () => {
    const up = shell('ensure_emulation', { mounted: false });
    expect(up.code).toBe(0);
    expect(up.calls).toEqual([
      `mount -t binfmt_misc binfmt_misc ${binfmt}`,
      'update-binfmts --enable qemu-aarch64',
      'update-binfmts --enable qemu-arm',
    ]);
    expect(record()).toBe('mounted\nregistered qemu-aarch64\nregistered qemu-arm\n');

    const down = shell('undo_emulation', { mounted: true });
    expect(down.code).toBe(0);
    // Newest first: the handlers are removed (-1), then binfmt_misc is unmounted.
    expect(readFileSync(path.join(binfmt, 'qemu-aarch64'), 'utf8').trim()).toBe('-1');
    expect(readFileSync(path.join(binfmt, 'qemu-arm'), 'utf8').trim()).toBe('-1');
    expect(down.calls.at(-1)).toBe(`umount ${binfmt}`);
    expect(down.out.indexOf("undid 'registered qemu-arm'")).toBeLessThan(down.out.indexOf("undid 'registered qemu-aarch64'"));
    expect(record()).toBeUndefined();
  });

  it('with binfmt_misc mounted and F handlers registered by someone else: changes nothing, undoes nothing', () => {
    for (const h of ['qemu-aarch64', 'qemu-arm']) writeFileSync(path.join(binfmt, h), handler('OCF'));
    expect(shell('ensure_emulation', { mounted: true }).code).toBe(0);
    expect(record()).toBeUndefined();
    const down = shell('undo_emulation', { mounted: true });
    expect(down.code).toBe(0);
    expect(down.calls).toEqual([]);
    expect(readFileSync(path.join(binfmt, 'qemu-arm'), 'utf8')).toBe(handler('OCF'));
  });

  it('enables a disabled handler and disables it again on the way down', () => {
    writeFileSync(path.join(binfmt, 'qemu-aarch64'), handler('F', false));
    writeFileSync(path.join(binfmt, 'qemu-arm'), handler('F'));
    expect(shell('ensure_emulation', { mounted: true }).code).toBe(0);
    expect(record()).toBe('enabled qemu-aarch64\n');
    expect(shell('undo_emulation', { mounted: true }).code).toBe(0);
    expect(readFileSync(path.join(binfmt, 'qemu-aarch64'), 'utf8').trim()).toBe('0');
    expect(readFileSync(path.join(binfmt, 'qemu-arm'), 'utf8')).toBe(handler('F'));
  });

  it('refuses a handler registered without F: containers of that architecture would not start', () => {
    writeFileSync(path.join(binfmt, 'qemu-aarch64'), handler('P'));
    const up = shell('ensure_emulation', { mounted: true });
    expect(up.code).not.toBe(0);
    expect(up.out).toContain('qemu-aarch64 is registered without the F flag (flags: P)');
  });
});
