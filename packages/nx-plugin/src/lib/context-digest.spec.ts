import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildArgDigests } from './build-args';
import { contextDigest, contextFiles } from './context-digest';

let root: string;

function write(rel: string, content: string): void {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

const digest = () => contextDigest(path.join(root, 'ctx'), path.join(root, 'ctx', 'Dockerfile'));

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'context-digest-spec-'));
  write('ctx/Dockerfile', 'FROM mcr.microsoft.com/dotnet/runtime:6.0\nCOPY . /app\n');
  write('ctx/app/run.sh', '#!/bin/sh\necho hi\n');
  write('ctx/app/config.json', '{"a":1}\n');
  write('ctx/logs/build.log', 'noise\n');
  write('ctx/logs/keep.log', 'kept\n');
  write('ctx/.dockerignore', '# build noise\nlogs/*.log\n!logs/keep.log\n*.tmp\nnode_modules\n');
  chmodSync(path.join(root, 'ctx/app/run.sh'), 0o644);
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('contextDigest', () => {
  it('counts the build args passed, by digest: another value is another digest; none is the files alone', async () => {
    const ctx = path.join(root, 'ctx');
    const files = await digest();
    expect(await contextDigest(ctx, path.join(ctx, 'Dockerfile'), {})).toBe(files);
    const tag8 = await contextDigest(ctx, path.join(ctx, 'Dockerfile'), buildArgDigests({ TAG: '8.0' }));
    const tag10 = await contextDigest(ctx, path.join(ctx, 'Dockerfile'), buildArgDigests({ TAG: '10.0' }));
    expect(new Set([files, tag8, tag10]).size).toBe(3);
    expect(await contextDigest(ctx, path.join(ctx, 'Dockerfile'), buildArgDigests({ TAG: '8.0' }))).toBe(tag8);
  });

  it('is a sha256 digest and the same for the same files', async () => {
    const first = await digest();
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await digest()).toBe(first);
  });

  it('is the same for an identical copy elsewhere', async () => {
    const first = await digest();
    const otherRoot = root;
    root = mkdtempSync(path.join(tmpdir(), 'context-digest-spec-'));
    try {
      write('ctx/Dockerfile', 'FROM mcr.microsoft.com/dotnet/runtime:6.0\nCOPY . /app\n');
      write('ctx/app/run.sh', '#!/bin/sh\necho hi\n');
      write('ctx/app/config.json', '{"a":1}\n');
      write('ctx/logs/keep.log', 'kept\n');
      write('ctx/.dockerignore', '# build noise\nlogs/*.log\n!logs/keep.log\n*.tmp\nnode_modules\n');
      chmodSync(path.join(root, 'ctx/app/run.sh'), 0o644);
      expect(await digest()).toBe(first);
    } finally {
      rmSync(root, { recursive: true, force: true });
      root = otherRoot;
    }
  });

  it.each<[string, () => void]>([
    ['a file content changes', () => write('ctx/app/config.json', '{"a":2}\n')],
    ['a new file appears', () => write('ctx/app/extra.txt', 'x')],
    ['a new empty file appears', () => write('ctx/empty', '')],
    [
      'a file is renamed',
      () => {
        rmSync(path.join(root, 'ctx/app/config.json'));
        write('ctx/app/config2.json', '{"a":1}\n');
      },
    ],
    ['a file is removed', () => rmSync(path.join(root, 'ctx/app/config.json'))],
    ['a file becomes executable', () => chmodSync(path.join(root, 'ctx/app/run.sh'), 0o755)],
    ['the Dockerfile changes', () => write('ctx/Dockerfile', 'FROM mcr.microsoft.com/dotnet/runtime:8.0\nCOPY . /app\n')],
    ['a negated (kept) file changes', () => write('ctx/logs/keep.log', 'changed\n')],
    ['the .dockerignore itself changes', () => write('ctx/.dockerignore', 'logs/*.log\n!logs/keep.log\n*.tmp\nnode_modules\n')],
    // As in Docker, `*.tmp` matches at the context root only, so a nested one is sent.
    ['a nested file matching a root-only wildcard appears', () => write('ctx/app/scratch.tmp', 'x')],
    ['a symlink appears', () => symlinkSync('app/run.sh', path.join(root, 'ctx/link'))],
  ])('changes when %s', async (_name, change) => {
    const before = await digest();
    change();
    expect(await digest()).not.toBe(before);
  });

  it.each<[string, () => void]>([
    ['an ignored file changes', () => write('ctx/logs/build.log', 'other noise\n')],
    ['an ignored file appears', () => write('ctx/logs/new.log', 'x')],
    ['a file matching a root wildcard appears', () => write('ctx/scratch.tmp', 'x')],
    ['an ignored directory appears', () => write('ctx/node_modules/pkg/index.js', 'x')],
    ['a file changes outside the context', () => write('outside.txt', 'x')],
    ['the mtime changes', () => write('ctx/app/config.json', '{"a":1}\n')],
  ])('does not change when %s', async (_name, change) => {
    const before = await digest();
    change();
    expect(await digest()).toBe(before);
  });

  it('hashes a Dockerfile kept outside the context', async () => {
    write('elsewhere/Dockerfile', 'FROM a\n');
    const outside = () => contextDigest(path.join(root, 'ctx'), path.join(root, 'elsewhere', 'Dockerfile'));
    const before = await outside();
    write('elsewhere/Dockerfile', 'FROM b\n');
    expect(await outside()).not.toBe(before);
  });
});

describe('contextFiles', () => {
  it('lists what .dockerignore lets through, sorted', async () => {
    write('ctx/node_modules/pkg/index.js', 'x');
    write('ctx/b.tmp', 'x');
    expect(await contextFiles(path.join(root, 'ctx'))).toEqual([
      '.dockerignore',
      'Dockerfile',
      'app/config.json',
      'app/run.sh',
      'logs/keep.log',
    ]);
  });

  it('sends everything without a .dockerignore', async () => {
    rmSync(path.join(root, 'ctx/.dockerignore'));
    expect(await contextFiles(path.join(root, 'ctx'))).toEqual([
      'Dockerfile',
      'app/config.json',
      'app/run.sh',
      'logs/build.log',
      'logs/keep.log',
    ]);
  });
});
