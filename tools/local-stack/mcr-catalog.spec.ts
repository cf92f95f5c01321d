import {
  catalogBody,
  type CatalogTag,
  currentRecord,
  HISTORY_END,
  imageSize,
  MEDIA_TYPES,
  observe,
  osVersionOf,
  patchTuesdays,
  portalDate,
  representative,
  seededRandom,
  syntheticHistory,
} from './mcr-catalog';

const parse = (chunks: Buffer[]): CatalogTag[] => JSON.parse(Buffer.concat(chunks).toString('utf8')) as CatalogTag[];

describe('syntheticHistory', () => {
  const runtime = syntheticHistory('dotnet/runtime');
  const records = JSON.parse(`[${runtime.joined.toString('utf8')}]`) as CatalogTag[];

  it('is thousands of tags and megabytes, like the portal listing', () => {
    expect(records.length).toBeGreaterThan(5000);
    expect(records.length).toBe(runtime.records.length);
    expect(runtime.joined.length).toBeGreaterThan(3_500_000);
    expect(runtime.joined.length).toBeLessThan(6_500_000);
  });

  it('is the same bytes every time for a repository, and another repository gets its own', () => {
    expect(syntheticHistory('dotnet/runtime').joined.equals(runtime.joined)).toBe(true);
    const sdk = syntheticHistory('dotnet/sdk');
    expect(sdk.joined.equals(runtime.joined)).toBe(false);
    expect(sdk.records.some((r) => r.includes('"name":"8.0.100-bookworm-slim"'))).toBe(true);
  });

  it('has records shaped like the portal: names, digests, dates in order, platform, size', () => {
    const end = Date.parse(`${HISTORY_END}T23:59:59.999Z`);
    const keys = [
      'name',
      'digest',
      'createdDate',
      'lastModifiedDate',
      'operatingSystem',
      'osVersion',
      'architecture',
      'size',
      'mediaType',
      'repository',
      'dockerfile',
    ].join();
    // One expectation over all records: thousands of expect() calls would take seconds.
    const wrong = records.filter(
      (r) =>
        Object.keys(r).join() !== keys ||
        !/^sha256:[0-9a-f]{64}$/.test(r.digest) ||
        !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/.test(r.createdDate) ||
        !(Date.parse(r.createdDate) <= Date.parse(r.lastModifiedDate) && Date.parse(r.lastModifiedDate) <= end) ||
        !['linux', 'windows'].includes(r.operatingSystem) ||
        !['amd64', 'arm64', 'arm', 'multiarch'].includes(r.architecture) ||
        !(Number.isInteger(r.size) && r.size > 0) ||
        !Object.values(MEDIA_TYPES).includes(r.mediaType as never) ||
        r.repository !== 'dotnet/runtime' ||
        !r.dockerfile?.startsWith('https://github.com/dotnet/dotnet-docker/'),
    );
    expect(wrong.slice(0, 3)).toEqual([]);
    expect(new Set(records.map((r) => r.name)).size).toBe(records.length);
    expect(new Set(records.map((r) => r.digest)).size).toBe(records.length);
    expect(records.find((r) => r.name === '6.0.36-bullseye-slim-arm64v8')).toMatchObject({
      architecture: 'arm64',
      osVersion: 'Debian 11',
      operatingSystem: 'linux',
    });
    expect(records.find((r) => r.name === '8.0.0-bookworm-slim')).toMatchObject({
      architecture: 'multiarch',
      mediaType: MEDIA_TYPES.dockerList,
    });
    expect(records.find((r) => r.name === '8.0.0-nanoserver-ltsc2022')).toMatchObject({
      architecture: 'amd64',
      operatingSystem: 'windows',
    });
    expect(records.some((r) => r.name === '8.0.0-rc.2-bookworm-slim-amd64')).toBe(true);
  });

  it('never uses a floating major.minor tag name, so it cannot shadow the stand-in tags', () => {
    expect(records.filter((r) => !/^\d+\.\d+\.\d+(-(preview|rc)\.\d+)?-/.test(r.name)).map((r) => r.name)).toEqual([]);
  });

  it('stops at the given time when that is earlier than the fixed end', () => {
    const until = new Date('2024-01-01T00:00:00Z');
    const early = JSON.parse(`[${syntheticHistory('dotnet/aspnet', { until }).joined.toString('utf8')}]`) as CatalogTag[];
    expect(early.length).toBeGreaterThan(1000);
    expect(early.length).toBeLessThan(records.length);
    expect(early.filter((r) => Date.parse(r.lastModifiedDate) > until.getTime())).toEqual([]);
  });
});

describe('patchTuesdays', () => {
  it('gives the second Tuesday of every month in range', () => {
    const days = patchTuesdays('2026-08-01', '2026-11-30').map((ms) => new Date(ms).toISOString().slice(0, 10));
    expect(days).toEqual(['2026-08-11', '2026-09-08', '2026-10-13', '2026-11-10']);
    expect(patchTuesdays('2026-10-14', '2026-11-09')).toEqual([]);
  });
});

describe('seededRandom and portalDate', () => {
  it('repeats for a seed and stays in [0, 1)', () => {
    const a = seededRandom('x');
    const b = seededRandom('x');
    const values = Array.from({ length: 1000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(seededRandom('y')()).not.toBe(values[0]);
  });

  it('writes seven fractional digits that Date.parse still reads', () => {
    const ms = Date.parse('2026-11-24T02:09:18.458Z');
    expect(portalDate(ms)).toBe('2026-11-24T02:09:18.4580000Z');
    expect(Date.parse(portalDate(ms, () => 0.5))).toBe(ms);
  });
});

describe('observe', () => {
  const t1 = new Date('2026-11-24T10:00:00Z');
  const t2 = new Date('2026-11-25T11:00:00Z');

  it('dates a tag seen for the first time now', () => {
    expect(observe(undefined, 'sha256:a', t1)).toEqual({
      digest: 'sha256:a',
      createdDate: '2026-11-24T10:00:00.0000000Z',
      lastModifiedDate: '2026-11-24T10:00:00.0000000Z',
    });
  });

  it('keeps the dates while the digest stays', () => {
    const first = observe(undefined, 'sha256:a', t1);
    expect(observe(first, 'sha256:a', t2)).toBe(first);
  });

  it('moves lastModifiedDate, not createdDate, when the tag moves', () => {
    const moved = observe(observe(undefined, 'sha256:a', t1), 'sha256:b', t2);
    expect(moved).toEqual({
      digest: 'sha256:b',
      createdDate: '2026-11-24T10:00:00.0000000Z',
      lastModifiedDate: '2026-11-25T11:00:00.0000000Z',
    });
  });
});

describe('catalogBody', () => {
  const history = syntheticHistory('dotnet/runtime', { until: new Date('2019-01-01T00:00:00Z') });
  const facts = { mediaType: MEDIA_TYPES.dockerManifest, operatingSystem: 'linux', architecture: 'amd64', size: 29_512_800 };
  const sighting = observe(undefined, `sha256:${'a'.repeat(64)}`, new Date('2026-11-24T02:00:00Z'));
  const current = [
    currentRecord('dotnet/runtime', '6.0-bullseye-slim', sighting, facts),
    currentRecord('dotnet/runtime', '8.0-bookworm-slim', sighting, facts),
  ];

  it('is the cached history followed by the current tags, one JSON array', () => {
    const chunks = catalogBody(history, current);
    expect(chunks).toContain(history.joined);
    const all = parse(chunks);
    expect(all.length).toBe(history.records.length + 2);
    expect(all.slice(-2)).toEqual(current);
    expect(all.find((r) => r.name === '6.0-bullseye-slim')).toMatchObject({
      lastModifiedDate: '2026-11-24T02:00:00.0000000Z',
      osVersion: 'Debian 11',
      dockerfile: null,
    });
  });

  it('is still valid JSON with no current tags or no history', () => {
    expect(parse(catalogBody(history, [])).length).toBe(history.records.length);
    const empty = { ...history, records: [], names: new Set<string>(), joined: Buffer.alloc(0) };
    expect(parse(catalogBody(empty, current))).toEqual(current);
    expect(parse(catalogBody(empty, []))).toEqual([]);
  });

  it('lets a current tag replace a history record of the same name', () => {
    const pushed = currentRecord('dotnet/runtime', '2.1.0-stretch-slim-amd64', sighting, facts);
    const all = parse(catalogBody(history, [pushed]));
    expect(all.length).toBe(history.records.length);
    expect(all.filter((r) => r.name === pushed.name)).toEqual([pushed]);
  });
});

describe('manifest facts', () => {
  it('sizes an image as config plus layers', () => {
    expect(imageSize({ config: { size: 1000 }, layers: [{ size: 20 }, { size: 300 }] })).toBe(1320);
    expect(imageSize({})).toBe(0);
  });

  it('describes an index by its linux/amd64 image, else the first, never an attestation', () => {
    const arm = { digest: 'sha256:arm', platform: { os: 'linux', architecture: 'arm64' } };
    const amd = { digest: 'sha256:amd', platform: { os: 'linux', architecture: 'amd64' } };
    const attestation = { digest: 'sha256:att', platform: { os: 'unknown', architecture: 'unknown' } };
    expect(representative({ manifests: [arm, amd] })).toBe(amd);
    expect(representative({ manifests: [attestation, arm] })).toBe(arm);
    expect(representative({ manifests: [] })).toBeUndefined();
  });

  it('names the OS of the stand-in tags', () => {
    expect(osVersionOf('6.0-bullseye-slim')).toBe('Debian 11');
    expect(osVersionOf('8.0-bookworm-slim')).toBe('Debian 12');
    expect(osVersionOf('10.0-noble')).toBe('Ubuntu 24.04');
    expect(osVersionOf('latest')).toBeNull();
  });
});
