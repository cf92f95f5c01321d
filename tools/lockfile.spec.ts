import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { missingOptionalPackages, type LockFile } from './lockfile';

describe('missingOptionalPackages', () => {
  const lock = (packages: LockFile['packages']): LockFile => ({ packages });

  it.each([
    [
      'every platform build locked',
      lock({
        '': {},
        'node_modules/@swc/core': { optionalDependencies: { '@swc/core-linux-x64-gnu': '1', '@swc/core-darwin-arm64': '1' } },
        'node_modules/@swc/core-linux-x64-gnu': {},
        'node_modules/@swc/core-darwin-arm64': {},
      }),
      [],
    ],
    [
      "a platform build only the writer's machine needed",
      lock({
        'node_modules/@swc/core': { optionalDependencies: { '@swc/core-linux-x64-gnu': '1', '@swc/core-darwin-arm64': '1' } },
        'node_modules/@swc/core-linux-x64-gnu': {},
      }),
      ['node_modules/@swc/core → @swc/core-darwin-arm64'],
    ],
    [
      'nested copy satisfies a nested package',
      lock({
        'node_modules/a/node_modules/b': { optionalDependencies: { c: '1' } },
        'node_modules/a/node_modules/c': {},
      }),
      [],
    ],
    [
      'a hoisted copy satisfies a nested package',
      lock({
        'node_modules/a/node_modules/b': { optionalDependencies: { c: '1' } },
        'node_modules/c': {},
      }),
      [],
    ],
    ['the root package', lock({ '': { optionalDependencies: { fsevents: '2' } } }), ['(root) → fsevents']],
  ])('%s', (_name, input, expected) => {
    expect(missingOptionalPackages(input)).toEqual(expected);
  });

  it("holds for this repository's package-lock.json, so `npm ci` installs on a clean clone on any OS", () => {
    const repoLock = JSON.parse(readFileSync(path.join(__dirname, '..', 'package-lock.json'), 'utf8')) as LockFile;
    expect(Object.keys(repoLock.packages).length).toBeGreaterThan(100);
    expect(missingOptionalPackages(repoLock)).toEqual([]);
  });
});
