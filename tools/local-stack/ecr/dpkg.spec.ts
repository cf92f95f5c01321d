import { gzipSync } from 'node:zlib';
import { compareVersions, installedPackages, readLayer, statusOf } from './dpkg';
import { tarOf as tar } from './testing/tar';

describe('compareVersions (Debian Policy 5.6.12)', () => {
  it.each<[string, string, number]>([
    // Policy's own examples: `~` sorts before everything, even the end of the part.
    ['1.0~rc1', '1.0', -1],
    ['~~', '~~a', -1],
    ['~~a', '~', -1],
    ['~', '', -1],
    ['', 'a', -1],
    // Epochs win over everything else.
    ['1:1.0', '2.0', 1],
    ['0:1.0', '1.0', 0],
    // Digits compare numerically, leading zeros ignored.
    ['1.10', '1.9', 1],
    ['1.010', '1.10', 0],
    // Letters sort before non-letters.
    ['1.0a', '1.0+', -1],
    ['1.0+', '1.0.', -1],
    // The revision after the last hyphen.
    ['2.36-9+deb12u14', '2.36-9+deb12u4', 1],
    ['2.36-9', '2.36-9+deb12u1', -1],
    ['3.23+nmu1', '3.23+nmu2', -1],
    ['1:4.13+dfsg1-1+deb12u2', '1:4.13+dfsg1-1+deb12u1', 1],
    ['1.34+dfsg-1.2+deb12u1', '1.35+dfsg-1', -1],
  ])('%s against %s is %i', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
    expect(Math.sign(compareVersions(b, a))).toBe(sign === 0 ? 0 : -sign);
  });
});

describe('installedPackages', () => {
  it('keeps installed packages only, with their source', () => {
    const status = [
      'Package: hostname\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.23+nmu1',
      'Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0',
      'Package: libc6\nStatus: install ok installed\nSource: glibc (2.36-9)\nVersion: 2.36-9+deb12u14\nDescription: x\n more',
    ].join('\n\n');
    expect(installedPackages(status)).toEqual([
      { name: 'hostname', version: '3.23+nmu1', arch: 'amd64', source: 'hostname' },
      { name: 'libc6', version: '2.36-9+deb12u14', source: 'glibc' },
    ]);
  });
});

describe('readLayer and statusOf', () => {
  const status = (v: string) => `Package: hostname\nStatus: install ok installed\nVersion: ${v}\n`;
  it('takes the status file of the last layer that writes one, gzip or not', () => {
    const layers = [
      readLayer(gzipSync(tar([['./var/lib/dpkg/status', status('1')]]))),
      readLayer(tar([['var/lib/dpkg/status', status('2')]])),
    ];
    expect(statusOf(layers)).toBe(status('2'));
  });
  it.each([
    ['a whiteout of the file', 'var/lib/dpkg/.wh.status'],
    ['a whiteout of a parent', 'var/lib/.wh.dpkg'],
    ['an opaque directory', 'var/lib/dpkg/.wh..wh..opq'],
  ])('honours %s', (_what, whiteout) => {
    const layers = [readLayer(tar([['var/lib/dpkg/status', status('1')]])), readLayer(tar([[whiteout, '']]))];
    expect(statusOf(layers)).toBeUndefined();
  });
  it('keeps a status file written in the same layer as an opaque marker', () => {
    const layers = [
      readLayer(tar([['var/lib/dpkg/status', status('1')]])),
      readLayer(
        tar([
          ['var/lib/dpkg/.wh..wh..opq', ''],
          ['var/lib/dpkg/status', status('2')],
        ]),
      ),
    ];
    expect(statusOf(layers)).toBe(status('2'));
  });
  it('finds nothing in an image without a package database', () => {
    expect(statusOf([readLayer(tar([['bin/busybox', 'x']]))])).toBeUndefined();
  });
});
