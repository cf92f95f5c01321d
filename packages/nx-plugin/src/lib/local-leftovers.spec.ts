import {
  candidateImage,
  containerThing,
  folderThing,
  hostToken,
  imageThing,
  ownerToken,
  parseDockerTime,
  parseOwnerToken,
  planSweep,
  processIsAlive,
  tempDirPrefix,
  testImage,
  whyRemovable,
  type LocalThing,
  type SweepContext,
} from './local-leftovers';

const RUN = '0123456789abcdef';
const HOST = 'agent-07';
const NOW = new Date('2024-03-07T12:00:00Z');
const SIX_HOURS = 6 * 3_600_000;
/** Processes 100 and 200 run on this host; anything else is gone. */
const ctx: SweepContext = { host: HOST, isAlive: (pid) => pid === 100 || pid === 200, now: NOW, maxAgeMs: SIX_HOURS };

describe('names and owners', () => {
  it.each<[string, string]>([
    ['agent-07', 'agent-07'],
    ['build.example.com', 'build.example.com'],
    ['WIN AGENT (2)', 'WIN-AGENT--2-'],
    ['', 'host'],
    ['-leading', '_leading'],
    ['x'.repeat(80), 'x'.repeat(40)],
  ])('hostToken(%j) → %j', (name, token) => {
    expect(hostToken(name)).toBe(token);
  });

  it.each<[string | undefined, ReturnType<typeof parseOwnerToken>]>([
    ['agent-07-4242', { host: 'agent-07', pid: 4242 }],
    ['build.example.com-1', { host: 'build.example.com', pid: 1 }],
    ['agent', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('parseOwnerToken(%j)', (token, owner) => {
    expect(parseOwnerToken(token)).toEqual(owner);
  });

  it('writes names the listings read back, with their owner', () => {
    const owner = { host: HOST, pid: 4242 };
    expect(candidateImage('net6-runtime', RUN, owner)).toBe(`platform-images/net6-runtime:candidate-${RUN}-agent-07-4242`);
    expect(testImage('net6-runtime', RUN, owner)).toBe(`platform-images-test/net6-runtime:${RUN}-agent-07-4242`);
    expect(tempDirPrefix('docker', owner)).toBe('platform-images-docker-agent-07-4242-');
    expect(imageThing('abc', candidateImage('net6-runtime', RUN, owner), '')).toMatchObject({ role: 'candidate', runId: RUN, owner });
    expect(imageThing('abc', testImage('net6-runtime', RUN, owner), '')).toMatchObject({ role: 'test', runId: RUN, owner });
    expect(folderThing('/tmp', `${tempDirPrefix('test', owner)}Ab12Cd`, NOW)).toMatchObject({ kind: 'folder', owner });
    expect(parseOwnerToken(ownerToken(owner))).toEqual(owner);
  });
});

describe('imageThing', () => {
  it.each<[string, Partial<LocalThing> | undefined]>([
    [`platform-images/net6-runtime:candidate-${RUN}-agent-07-4242`, { role: 'candidate', runId: RUN, owner: { host: HOST, pid: 4242 } }],
    [`platform-images/net6-runtime:candidate-${RUN}`, { role: 'candidate', runId: RUN }],
    [`platform-images-test/net6-runtime:${RUN}-agent-07-4242`, { role: 'test', runId: RUN, owner: { host: HOST, pid: 4242 } }],
    [`platform-images-test/net6-runtime:${RUN}`, { role: 'test', runId: RUN }],
    [`123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime:staging-${RUN}`, { role: 'staging', runId: RUN }],
    [
      `platform-images/net10-runtime/linux-arm64:candidate-${RUN}-agent-07-4242`,
      { role: 'candidate', runId: RUN, owner: { host: HOST, pid: 4242 } },
    ],
    [`platform-images-test/net10-runtime/linux-arm64:${RUN}-agent-07-4242`, { role: 'test', runId: RUN, owner: { host: HOST, pid: 4242 } }],
    [`123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime:staging-${RUN}-linux-arm-v7`, { role: 'staging', runId: RUN }],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime:6.0-bullseye-slim-1.2.0', undefined],
    ['platform-images/net6-runtime:latest', undefined],
    ['my-app:1.0', undefined],
    ['<none>:<none>', undefined],
  ])('%s', (ref, expected) => {
    const thing = imageThing('abc', ref, '2024-03-07 10:00:00 +0000 UTC');
    if (!expected) expect(thing).toBeUndefined();
    else expect(thing).toMatchObject({ kind: 'image', ref, imageId: 'abc', createdAt: new Date('2024-03-07T10:00:00Z'), ...expected });
  });

  it("an owner of pid 1 is no run's: judged by age", () => {
    expect(imageThing('abc', `platform-images/net6-runtime:candidate-${RUN}-agent-07-1`, '')?.owner).toBeUndefined();
  });
});

describe('folderThing', () => {
  it.each<[string, Partial<LocalThing> | undefined]>([
    ['platform-images-test-agent-07-4242-Ab12Cd', { owner: { host: HOST, pid: 4242 } }],
    ['platform-images-build-agent-07-4242-123456', { owner: { host: HOST, pid: 4242 } }],
    ['platform-images-docker-build.example.com-99-zzzzzz', { owner: { host: 'build.example.com', pid: 99 } }],
    ['platform-images-test-Ab12Cd', {}],
    ['platform-images-e2e-Ab12Cd', undefined],
    ['platform-images-bench-Ab12Cd', undefined],
    ['platform-images-test-agent-07-4242-Ab12Cd-extra', undefined],
    ['something-else', undefined],
  ])('%s', (name, expected) => {
    const thing = folderThing('/tmp', name, NOW);
    if (!expected) expect(thing).toBeUndefined();
    else expect(thing).toEqual({ kind: 'folder', ref: `/tmp/${name}`, name: `/tmp/${name}`, createdAt: NOW, ...expected });
  });
});

describe('parseDockerTime', () => {
  it.each<[string, string | undefined]>([
    ['2024-03-07 10:00:00 +0000 UTC', '2024-03-07T10:00:00.000Z'],
    ['2024-03-07 11:00:00 +0100 CET', '2024-03-07T10:00:00.000Z'],
    ['2024-03-07 10:00:00.123456789 -0500 EST', '2024-03-07T15:00:00.000Z'],
    ['3 hours ago', undefined],
    ['', undefined],
  ])('%j', (text, iso) => {
    expect(parseDockerTime(text)?.toISOString()).toBe(iso);
  });
});

describe('whyRemovable: may a sweep remove it?', () => {
  const thing = (over: Partial<LocalThing>): LocalThing => ({ kind: 'container', ref: 'c', name: 'c', ...over });
  it.each<[string, Partial<LocalThing>, string | undefined]>([
    [
      'owner on this host, gone, however young',
      { owner: { host: HOST, pid: 300 }, createdAt: new Date('2024-03-07T11:59:59Z') },
      'process 300 is gone',
    ],
    ['owner on this host, alive, however old', { owner: { host: HOST, pid: 100 }, createdAt: new Date('2024-03-01T00:00:00Z') }, undefined],
    ['owner on another host, young', { owner: { host: 'agent-08', pid: 300 }, createdAt: new Date('2024-03-07T11:00:00Z') }, undefined],
    [
      'owner on another host, older than the threshold',
      { owner: { host: 'agent-08', pid: 100 }, createdAt: new Date('2024-03-07T05:00:00Z') },
      'older than 6h',
    ],
    ['no owner (named before owners were recorded), young', { createdAt: new Date('2024-03-07T11:00:00Z') }, undefined],
    ['no owner, older than the threshold', { createdAt: new Date('2024-03-07T05:59:59Z') }, 'older than 6h'],
    ['no owner, exactly at the threshold', { createdAt: new Date('2024-03-07T06:00:00Z') }, undefined],
    ['no owner and no age', {}, undefined],
  ])('%s', (_name, over, why) => {
    expect(whyRemovable(thing(over), ctx)).toBe(why);
  });
});

describe('planSweep', () => {
  const dead = { host: HOST, pid: 300 };
  const live = { host: HOST, pid: 100 };
  const ecrName = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime';

  it("removes a killed run's container, images, local push name and folders, in that order, and nothing of a live run", () => {
    const things: LocalThing[] = [
      { kind: 'folder', ref: '/tmp/f-dead', name: '/tmp/f-dead', owner: dead },
      imageThing('i1', candidateImage('net6-runtime', RUN, dead), '')!,
      imageThing('i1', `${ecrName}:staging-${RUN}`, '')!,
      imageThing('i2', testImage('net6-runtime', RUN, dead), '')!,
      containerThing('c1', `platform-images-test-net6-runtime-${RUN}`, ownerToken(dead), '2024-03-07T11:59:00Z'),
      // A live run: its container, its images and its folder stay.
      containerThing('c2', 'platform-images-test-net6-sdk-fedcba9876543210', ownerToken(live), '2024-03-07T11:59:00Z'),
      imageThing('i3', candidateImage('net6-sdk', 'fedcba9876543210', live), '')!,
      imageThing('i3', `${ecrName}:staging-fedcba9876543210`, '')!,
      { kind: 'folder', ref: '/tmp/f-live', name: '/tmp/f-live', owner: live },
    ];
    expect(planSweep(things, ctx).map((r) => `${r.thing.kind} ${r.thing.ref} (${r.why})`)).toEqual([
      'container c1 (process 300 is gone)',
      `image ${testImage('net6-runtime', RUN, dead)} (process 300 is gone)`,
      `image ${candidateImage('net6-runtime', RUN, dead)} (process 300 is gone)`,
      `image ${ecrName}:staging-${RUN} (the local push name of ${candidateImage('net6-runtime', RUN, dead)})`,
      'folder /tmp/f-dead (process 300 is gone)',
    ]);
  });

  it('leaves a staging name on another image, or of another run, alone', () => {
    const things: LocalThing[] = [
      imageThing('i1', candidateImage('net6-runtime', RUN, dead), '')!,
      imageThing('i9', `${ecrName}:staging-${RUN}`, '')!,
      imageThing('i1', `${ecrName}:staging-fedcba9876543210`, '')!,
    ];
    expect(planSweep(things, ctx).map((r) => r.thing.ref)).toEqual([candidateImage('net6-runtime', RUN, dead)]);
  });

  it('plans nothing when everything belongs to live runs', () => {
    expect(planSweep([containerThing('c2', 'x', ownerToken(live), ''), imageThing('i', testImage('p', RUN, live), '')!], ctx)).toEqual([]);
  });
});

describe('processIsAlive', () => {
  it('knows this process, and a pid no process has', () => {
    expect(processIsAlive(process.pid)).toBe(true);
    expect(processIsAlive(2 ** 22 + 12345)).toBe(false);
  });

  it.each<[string, string | undefined, boolean]>([
    ['running', 'Name:\tnode\nState:\tS (sleeping)\nTgid:\t4242\nPid:\t4242\n', true],
    ['a zombie: killed, not yet reaped', 'Name:\tnode\nState:\tZ (zombie)\nTgid:\t4242\nPid:\t4242\n', false],
    ['the number is now a thread of another process', 'Name:\tnode\nState:\tS (sleeping)\nTgid:\t5000\nPid:\t4242\n', false],
    ['gone (no /proc entry)', 'State:\tX (gone)\n', false],
  ])('with /proc: %s', (_name, status, alive) => {
    expect(processIsAlive(4242, () => status)).toBe(alive);
  });

  it('without /proc, asks the kernel with signal 0', () => {
    expect(processIsAlive(process.pid, () => undefined)).toBe(true);
    expect(processIsAlive(2 ** 22 + 12345, () => undefined)).toBe(false);
  });
});
