import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { candidateImage, ownerToken, tempDirPrefix, testImage } from '../lib/local-leftovers';
import { sweepLocalLeftovers, type SweepDeps } from './sweep';
import { recordingLogger } from './test-fixtures';

const HOST = 'agent-07';
const RUN = '0123456789abcdef';
const NOW = new Date('2024-03-07T12:00:00Z');
const dead = { host: HOST, pid: 300 };
const live = { host: HOST, pid: 100 };
const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime';

let temp: string;

beforeEach(() => {
  temp = mkdtempSync(path.join(tmpdir(), 'sweep-spec-'));
});
afterEach(() => rmSync(temp, { recursive: true, force: true }));

function folder(name: string, modified = NOW): string {
  const dir = path.join(temp, name);
  mkdirSync(dir);
  utimesSync(dir, modified, modified);
  return dir;
}

function fakeDocker(listed: { containers?: string[][]; images?: string[][] } | undefined, refuse: Record<string, string> = {}) {
  const calls: string[] = [];
  const docker: SweepDeps['docker'] = {
    listOwnedContainers: () => {
      calls.push('ps');
      return Promise.resolve(listed?.containers ?? (listed ? [] : undefined));
    },
    listBuiltImages: () => {
      calls.push('images');
      return Promise.resolve(listed?.images ?? (listed ? [] : undefined));
    },
    removeContainer: (id) => {
      calls.push(`rm ${id}`);
      return Promise.resolve();
    },
    removeImageName: (ref) => {
      calls.push(`rmi ${ref}`);
      return Promise.resolve(refuse[ref]);
    },
  };
  return { calls, docker };
}

const deps = (docker: SweepDeps['docker'], log: SweepDeps['log']): SweepDeps => ({
  docker,
  log,
  maxAgeMs: 6 * 3_600_000,
  tempDir: temp,
  now: NOW,
  host: HOST,
  isAlive: (pid) => pid === live.pid,
});

describe('sweepLocalLeftovers', () => {
  it('removes what a killed run left (its container, images, local push name, temp folders) and says so in one line', async () => {
    const deadFolder = folder(`${tempDirPrefix('test', dead)}Ab12Cd`);
    const liveFolder = folder(`${tempDirPrefix('build', live)}Zz99Yy`);
    const candidate = candidateImage('net6-runtime', RUN, dead);
    const test = testImage('net6-runtime', RUN, dead);
    const { calls, docker } = fakeDocker({
      containers: [
        ['c1', `platform-images-test-net6-runtime-${RUN}`, ownerToken(dead), '2024-03-07T11:59:00.000Z'],
        ['c2', 'platform-images-test-net6-sdk-fedcba9876543210', ownerToken(live), '2024-03-07T11:59:00.000Z'],
      ],
      images: [
        ['i1', candidate, '2024-03-07 11:58:00 +0000 UTC'],
        ['i1', `${ECR}:staging-${RUN}`, '2024-03-07 11:58:00 +0000 UTC'],
        ['i2', test, '2024-03-07 11:58:30 +0000 UTC'],
        ['i3', candidateImage('net6-sdk', 'fedcba9876543210', live), '2024-03-07 11:58:00 +0000 UTC'],
        ['i4', `${ECR}:6.0-bullseye-slim-1.2.0`, '2024-03-01 00:00:00 +0000 UTC'],
      ],
    });
    const { lines, log } = recordingLogger();
    const report = await sweepLocalLeftovers(deps(docker, log));
    expect(calls).toEqual(['ps', 'images', 'rm c1', `rmi ${test}`, `rmi ${candidate}`, `rmi ${ECR}:staging-${RUN}`]);
    expect(existsSync(deadFolder)).toBe(false);
    expect(existsSync(liveFolder)).toBe(true);
    expect(report.failed).toEqual([]);
    expect(lines).toEqual([
      `info cleanup: removed what stopped runs left on this machine: container platform-images-test-net6-runtime-${RUN} (process 300 is gone); ` +
        `image ${test} (process 300 is gone); image ${candidate} (process 300 is gone); ` +
        `image ${ECR}:staging-${RUN} (the local push name of ${candidate}); folder ${deadFolder} (process 300 is gone)`,
    ]);
  });

  it('removes folders and images named before owners were recorded once they are older than the threshold', async () => {
    const old = folder('platform-images-docker-Ab12Cd', new Date('2024-03-07T05:00:00Z'));
    const young = folder('platform-images-test-Zz99Yy', new Date('2024-03-07T11:00:00Z'));
    const { calls, docker } = fakeDocker({
      images: [
        ['i1', `platform-images/net6-runtime:candidate-${RUN}`, '2024-03-07 05:00:00 +0000 UTC'],
        ['i2', 'platform-images/net6-runtime:candidate-fedcba9876543210', '2024-03-07 11:00:00 +0000 UTC'],
      ],
    });
    const { lines, log } = recordingLogger();
    await sweepLocalLeftovers(deps(docker, log));
    expect(calls).toEqual(['ps', 'images', `rmi platform-images/net6-runtime:candidate-${RUN}`]);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(young)).toBe(true);
    expect(lines).toEqual([
      `info cleanup: removed what stopped runs left on this machine: image platform-images/net6-runtime:candidate-${RUN} (older than 6h); folder ${old} (older than 6h)`,
    ]);
  });

  it('says nothing when there is nothing to remove', async () => {
    folder(`${tempDirPrefix('test', live)}Ab12Cd`);
    folder('platform-images-e2e-Ab12Cd', new Date('2020-01-01T00:00:00Z'));
    const { calls, docker } = fakeDocker({});
    const { lines, log } = recordingLogger();
    expect(await sweepLocalLeftovers(deps(docker, log))).toEqual({ removed: [], failed: [] });
    expect(calls).toEqual(['ps', 'images']);
    expect(lines).toEqual([]);
  });

  it('without a Docker engine, sweeps the folders only, quietly about Docker', async () => {
    const deadFolder = folder(`${tempDirPrefix('build', dead)}Ab12Cd`);
    const { calls, docker } = fakeDocker(undefined);
    const { lines, log } = recordingLogger();
    await sweepLocalLeftovers(deps(docker, log));
    expect(calls).toEqual(['ps']);
    expect(existsSync(deadFolder)).toBe(false);
    expect(lines).toEqual([`info cleanup: removed what stopped runs left on this machine: folder ${deadFolder} (process 300 is gone)`]);
  });

  it('warns about what it could not remove, for the next run to try again', async () => {
    const test = testImage('net6-runtime', RUN, dead);
    const { docker } = fakeDocker({ images: [['i2', test, '']] }, { [test]: 'conflict: unable to remove repository reference' });
    const { lines, log } = recordingLogger();
    const report = await sweepLocalLeftovers(deps(docker, log));
    expect(report.failed.map((f) => f.thing.ref)).toEqual([test]);
    expect(lines).toEqual([
      `warn cleanup: could not remove image ${test} (process 300 is gone): conflict: unable to remove repository reference (the next run tries again)`,
    ]);
  });
});
