/**
 * The pure half of the MCR portal's tag catalog, `GET /api/v1/catalog/<repo>/tags`, as the MCR proxy
 * (mcr-proxy.ts) serves it: a JSON array with one record per tag ever pushed to the repository.
 *
 * The original pipeline downloaded this listing, several megabytes of mostly history, just to read one
 * tag's `lastModifiedDate`. A stand-in that answered with three records would make that approach look far
 * cheaper than it was, so the listing is padded with a deterministic history shaped like the real one
 * (every past patch release × distro × architecture, plus previews), around 5 MB per repository.
 *
 * Record fields follow what the portal gives for a tag: its current `digest`, `createdDate` (first push of
 * the tag) and `lastModifiedDate` (latest push), platform, size and media type. The history part is the same
 * bytes on every request (built once per repository); the current tags are read from the registry each time.
 */
import { createHash } from 'node:crypto';

export interface CatalogTag {
  name: string;
  digest: string;
  /** First push of the tag (ISO 8601, UTC). */
  createdDate: string;
  /** Latest push of the tag: when it last moved to another digest (ISO 8601, UTC). */
  lastModifiedDate: string;
  operatingSystem: string;
  /** Human-readable OS release, e.g. "Debian 12"; null when the tag does not say. */
  osVersion: string | null;
  /** amd64, arm64, arm; "multiarch" for a tag naming a manifest list / image index. */
  architecture: string;
  /** Compressed size in bytes: config plus layers of the (amd64) image. */
  size: number;
  mediaType: string;
  repository: string;
  /** Where the portal links the Dockerfile; null when unknown. */
  dockerfile: string | null;
}

import { isIndexMediaType, MEDIA_TYPES } from './media-types';

export { isIndexMediaType, MEDIA_TYPES };

// ---------------------------------------------------------------------------------------------------
// The synthetic history

interface Distro {
  /** Tag suffix, e.g. bookworm-slim. */
  tag: string;
  osVersion: string;
  /** When the major started and stopped shipping on it (YYYY-MM-DD); the major's own span when absent. */
  from?: string;
  to?: string;
  /** Linux architectures published; amd64 only for Windows. */
  archs: readonly Arch[];
  windows?: boolean;
  /** Rough size relative to the Debian image. */
  weight: number;
}

type Arch = 'amd64' | 'arm64v8' | 'arm32v7';
const ALL_ARCHS: readonly Arch[] = ['amd64', 'arm64v8', 'arm32v7'];
const NO_ARM32: readonly Arch[] = ['amd64', 'arm64v8'];
const AMD64: readonly Arch[] = ['amd64'];
const ARCH_NAME: Record<Arch, string> = { amd64: 'amd64', arm64v8: 'arm64', arm32v7: 'arm' };

const debian = (tag: string, version: number, from?: string, to?: string): Distro => ({
  tag,
  osVersion: `Debian ${version}`,
  from,
  to,
  archs: ALL_ARCHS,
  weight: 1,
});
const ubuntu = (tag: string, version: string, from?: string, to?: string, weight = 1.05): Distro => ({
  tag,
  osVersion: `Ubuntu ${version}`,
  from,
  to,
  archs: ALL_ARCHS,
  weight,
});
const alpine = (version: string, from?: string, to?: string): Distro => ({
  tag: `alpine${version}`,
  osVersion: `Alpine ${version}`,
  from,
  to,
  archs: ALL_ARCHS,
  weight: 0.55,
});
const mariner = (tag: string, osVersion: string, from?: string, to?: string, weight = 0.9): Distro => ({
  tag,
  osVersion,
  from,
  to,
  archs: NO_ARM32,
  weight,
});
const windows = (tag: string, osVersion: string, weight: number, from?: string, to?: string): Distro => ({
  tag,
  osVersion,
  from,
  to,
  archs: AMD64,
  windows: true,
  weight,
});

interface Major {
  version: string;
  /** General availability (first patch Tuesday counted from here) and end of support. */
  ga: string;
  eol: string;
  /** Previews and release candidates published before GA. */
  previews: number;
  distros: readonly Distro[];
}

/** .NET majors with the distros their images shipped on, roughly as Microsoft published them. */
const MAJORS: readonly Major[] = [
  {
    version: '2.1',
    ga: '2018-05-30',
    eol: '2021-08-21',
    previews: 0,
    distros: [
      debian('stretch-slim', 9),
      ubuntu('bionic', '18.04'),
      ubuntu('focal', '20.04', '2020-06-01'),
      alpine('3.7', undefined, '2019-01-01'),
      alpine('3.9', '2019-01-01', '2020-01-01'),
      alpine('3.11', '2020-01-01', '2020-07-01'),
      alpine('3.12', '2020-07-01'),
      windows('nanoserver-1809', 'Windows Server 2019', 1.4),
    ],
  },
  {
    version: '2.2',
    ga: '2018-12-04',
    eol: '2019-12-23',
    previews: 0,
    distros: [
      debian('stretch-slim', 9),
      ubuntu('bionic', '18.04'),
      alpine('3.8', undefined, '2019-06-01'),
      alpine('3.9', '2019-06-01'),
      windows('nanoserver-1803', 'Windows Server 1803', 1.4, undefined, '2019-11-12'),
      windows('nanoserver-1809', 'Windows Server 2019', 1.4),
    ],
  },
  {
    version: '3.0',
    ga: '2019-09-23',
    eol: '2020-03-03',
    previews: 11,
    distros: [
      debian('buster-slim', 10),
      ubuntu('bionic', '18.04'),
      ubuntu('disco', '19.04'),
      alpine('3.9', undefined, '2019-11-01'),
      alpine('3.10', '2019-11-01'),
      windows('nanoserver-1809', 'Windows Server 2019', 1.4),
      windows('nanoserver-1903', 'Windows Server 1903', 1.4),
      windows('nanoserver-1909', 'Windows Server 1909', 1.4, '2019-11-12'),
    ],
  },
  {
    version: '3.1',
    ga: '2019-12-03',
    eol: '2022-12-13',
    previews: 0,
    distros: [
      debian('buster-slim', 10),
      debian('bullseye-slim', 11, '2021-08-20'),
      ubuntu('bionic', '18.04', undefined, '2021-06-01'),
      ubuntu('focal', '20.04', '2020-06-01'),
      alpine('3.10', undefined, '2020-01-01'),
      alpine('3.11', '2020-01-01', '2020-07-01'),
      alpine('3.12', '2020-07-01', '2021-02-01'),
      alpine('3.13', '2021-02-01', '2021-07-01'),
      alpine('3.14', '2021-07-01', '2022-01-01'),
      alpine('3.15', '2022-01-01', '2022-06-01'),
      alpine('3.16', '2022-06-01'),
      mariner('cbl-mariner1.0', 'CBL-Mariner 1.0', '2021-04-01'),
      windows('nanoserver-1809', 'Windows Server 2019', 1.4),
      windows('nanoserver-ltsc2022', 'Windows Server 2022', 1.4, '2021-09-01'),
    ],
  },
  {
    version: '5.0',
    ga: '2020-11-10',
    eol: '2022-05-10',
    previews: 8,
    distros: [
      debian('buster-slim', 10),
      debian('bullseye-slim', 11, '2021-08-20'),
      ubuntu('focal', '20.04'),
      alpine('3.12', undefined, '2021-02-01'),
      alpine('3.13', '2021-02-01', '2021-07-01'),
      alpine('3.14', '2021-07-01', '2022-01-01'),
      alpine('3.15', '2022-01-01'),
      mariner('cbl-mariner1.0', 'CBL-Mariner 1.0', '2021-04-01'),
      windows('nanoserver-1809', 'Windows Server 2019', 1.4),
      windows('nanoserver-ltsc2022', 'Windows Server 2022', 1.4, '2021-09-01'),
      windows('windowsservercore-ltsc2019', 'Windows Server 2019', 22),
    ],
  },
  {
    version: '6.0',
    ga: '2021-11-08',
    eol: '2024-11-12',
    previews: 9,
    distros: [
      debian('bullseye-slim', 11),
      debian('bookworm-slim', 12, '2023-06-13'),
      ubuntu('focal', '20.04'),
      ubuntu('jammy', '22.04', '2022-08-09'),
      ubuntu('jammy-chiseled', '22.04', '2023-08-08', undefined, 0.4),
      alpine('3.14', undefined, '2022-01-01'),
      alpine('3.15', '2022-01-01', '2022-06-01'),
      alpine('3.16', '2022-06-01', '2022-12-01'),
      alpine('3.17', '2022-12-01', '2023-06-01'),
      alpine('3.18', '2023-06-01', '2024-01-01'),
      alpine('3.19', '2024-01-01', '2024-06-01'),
      alpine('3.20', '2024-06-01'),
      mariner('cbl-mariner2.0', 'CBL-Mariner 2.0', '2022-08-09'),
      mariner('cbl-mariner2.0-distroless', 'CBL-Mariner 2.0', '2022-08-09', undefined, 0.45),
      windows('nanoserver-1809', 'Windows Server 2019', 1.4),
      windows('nanoserver-ltsc2022', 'Windows Server 2022', 1.4),
      windows('windowsservercore-ltsc2019', 'Windows Server 2019', 22),
      windows('windowsservercore-ltsc2022', 'Windows Server 2022', 20),
    ],
  },
  {
    version: '7.0',
    ga: '2022-11-08',
    eol: '2024-05-14',
    previews: 9,
    distros: [
      debian('bullseye-slim', 11),
      debian('bookworm-slim', 12, '2023-06-13'),
      ubuntu('jammy', '22.04'),
      ubuntu('jammy-chiseled', '22.04', '2023-03-14', undefined, 0.4),
      alpine('3.16', undefined, '2022-12-01'),
      alpine('3.17', '2022-12-01', '2023-06-01'),
      alpine('3.18', '2023-06-01', '2024-01-01'),
      alpine('3.19', '2024-01-01'),
      mariner('cbl-mariner2.0', 'CBL-Mariner 2.0'),
      mariner('cbl-mariner2.0-distroless', 'CBL-Mariner 2.0', undefined, undefined, 0.45),
      windows('nanoserver-1809', 'Windows Server 2019', 1.4),
      windows('nanoserver-ltsc2022', 'Windows Server 2022', 1.4),
      windows('windowsservercore-ltsc2019', 'Windows Server 2019', 22),
      windows('windowsservercore-ltsc2022', 'Windows Server 2022', 20),
    ],
  },
  {
    version: '8.0',
    ga: '2023-11-14',
    eol: '2026-11-10',
    previews: 9,
    distros: [
      debian('bookworm-slim', 12),
      ubuntu('jammy', '22.04'),
      ubuntu('jammy-chiseled', '22.04', undefined, undefined, 0.4),
      ubuntu('jammy-chiseled-extra', '22.04', '2024-02-13', undefined, 0.6),
      ubuntu('noble', '24.04', '2024-05-14'),
      ubuntu('noble-chiseled', '24.04', '2024-05-14', undefined, 0.4),
      ubuntu('noble-chiseled-extra', '24.04', '2024-05-14', undefined, 0.6),
      alpine('3.18', undefined, '2024-01-01'),
      alpine('3.19', '2024-01-01', '2024-06-01'),
      alpine('3.20', '2024-06-01', '2025-01-01'),
      alpine('3.21', '2025-01-01', '2025-06-01'),
      alpine('3.22', '2025-06-01'),
      mariner('cbl-mariner2.0', 'CBL-Mariner 2.0', undefined, '2025-07-01'),
      mariner('cbl-mariner2.0-distroless', 'CBL-Mariner 2.0', undefined, '2025-07-01', 0.45),
      mariner('azurelinux3.0', 'Azure Linux 3.0', '2024-08-13'),
      mariner('azurelinux3.0-distroless', 'Azure Linux 3.0', '2024-08-13', undefined, 0.45),
      windows('nanoserver-1809', 'Windows Server 2019', 1.4),
      windows('nanoserver-ltsc2022', 'Windows Server 2022', 1.4),
      windows('nanoserver-ltsc2025', 'Windows Server 2025', 1.4, '2024-11-12'),
      windows('windowsservercore-ltsc2019', 'Windows Server 2019', 22),
      windows('windowsservercore-ltsc2022', 'Windows Server 2022', 20),
      windows('windowsservercore-ltsc2025', 'Windows Server 2025', 20, '2024-11-12'),
    ],
  },
  {
    version: '9.0',
    ga: '2024-11-12',
    eol: '2026-11-10',
    previews: 9,
    distros: [
      debian('bookworm-slim', 12),
      ubuntu('noble', '24.04'),
      ubuntu('noble-chiseled', '24.04', undefined, undefined, 0.4),
      ubuntu('noble-chiseled-extra', '24.04', undefined, undefined, 0.6),
      alpine('3.20', undefined, '2025-01-01'),
      alpine('3.21', '2025-01-01', '2025-06-01'),
      alpine('3.22', '2025-06-01'),
      mariner('azurelinux3.0', 'Azure Linux 3.0'),
      mariner('azurelinux3.0-distroless', 'Azure Linux 3.0', undefined, undefined, 0.45),
      windows('nanoserver-ltsc2022', 'Windows Server 2022', 1.4),
      windows('nanoserver-ltsc2025', 'Windows Server 2025', 1.4),
      windows('windowsservercore-ltsc2022', 'Windows Server 2022', 20),
      windows('windowsservercore-ltsc2025', 'Windows Server 2025', 20),
    ],
  },
  {
    version: '10.0',
    ga: '2025-11-11',
    eol: '2028-11-14',
    previews: 9,
    distros: [
      debian('trixie-slim', 13),
      ubuntu('noble', '24.04'),
      ubuntu('noble-chiseled', '24.04', undefined, undefined, 0.4),
      ubuntu('noble-chiseled-extra', '24.04', undefined, undefined, 0.6),
      alpine('3.22', undefined, '2026-01-01'),
      alpine('3.23', '2026-01-01'),
      mariner('azurelinux3.0', 'Azure Linux 3.0'),
      mariner('azurelinux3.0-distroless', 'Azure Linux 3.0', undefined, undefined, 0.45),
      windows('nanoserver-ltsc2022', 'Windows Server 2022', 1.4),
      windows('nanoserver-ltsc2025', 'Windows Server 2025', 1.4),
      windows('windowsservercore-ltsc2022', 'Windows Server 2022', 20),
      windows('windowsservercore-ltsc2025', 'Windows Server 2025', 20),
    ],
  },
];

/**
 * The history stops here whatever the clock says, so the bytes for a repository never change between runs
 * (the October 2026 patch Tuesday; the stand-in's "current" pushes come after it).
 */
export const HISTORY_END = '2026-10-13';

/** Compressed size of the Debian amd64 image per repository, in bytes. */
const BASE_SIZE: Record<string, number> = { runtime: 78_000_000, aspnet: 92_000_000, sdk: 262_000_000, 'runtime-deps': 46_000_000 };

/** A small seeded generator (mulberry32), so the history is the same on every machine and every start. */
export function seededRandom(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY_MS = 86_400_000;

function utc(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

/** Second Tuesday of each month from `from` to `to` (inclusive), when Microsoft ships servicing releases. */
export function patchTuesdays(from: string, to: string): number[] {
  const start = utc(from);
  const end = utc(to);
  const days: number[] = [];
  const cursor = new Date(start);
  cursor.setUTCDate(1);
  while (cursor.getTime() <= end) {
    const firstTuesday = 1 + ((2 - cursor.getUTCDay() + 7) % 7);
    const day = Date.UTC(cursor.getUTCFullYear(), cursor.getUTCMonth(), firstTuesday + 7);
    if (day >= start && day <= end) days.push(day);
    cursor.setUTCMonth(cursor.getUTCMonth() + 1);
  }
  return days;
}

interface Release {
  version: string;
  day: number;
  /** When the next release replaced it: rebuilds of this one's tags happen before that. */
  nextDay: number;
}

/** Previews, then GA and one patch a month until end of support or the end of the history. */
function releasesOf(major: Major, image: string, until: number): Release[] {
  const out: { version: string; day: number }[] = [];
  const ga = utc(major.ga);
  const previewNames = [...Array(Math.max(0, major.previews - 2)).keys()]
    .map((i) => `preview.${i + 1}`)
    .concat(major.previews >= 2 ? ['rc.1', 'rc.2'] : []);
  previewNames.forEach((suffix, i) => {
    out.push({ version: `${major.version}.0-${suffix}`, day: ga - (previewNames.length - i) * 30 * DAY_MS });
  });
  const end = Math.min(utc(major.eol), until);
  const tuesdays = patchTuesdays(major.ga, new Date(end).toISOString().slice(0, 10)).filter((day) => day > ga);
  [ga, ...tuesdays].forEach((day, i) => {
    // SDK versions count feature bands from 100; runtimes count patches from 0.
    const patch = image === 'sdk' ? 100 + i : i;
    out.push({ version: `${major.version}.${patch}`, day });
  });
  return out
    .filter((release) => release.day <= until)
    .map((release, i, all) => ({ ...release, nextDay: all[i + 1]?.day ?? Math.min(release.day + 30 * DAY_MS, until) }));
}

export interface SyntheticHistory {
  repository: string;
  /** Each record serialized on its own, oldest release first. */
  records: string[];
  names: Set<string>;
  /** The records joined with commas: what goes between the brackets, ready to send. */
  joined: Buffer;
}

export interface HistoryOptions {
  /** Nothing in the history is later than this (default HISTORY_END). */
  until?: Date;
}

/**
 * Every tag a repository "had" before the stand-in's own images: for each past release, each distro it
 * shipped on and each architecture, an architecture tag (`8.0.11-bookworm-slim-arm64v8`) and, on Linux, the
 * multi-arch tag over them (`8.0.11-bookworm-slim`). Names always carry a full three-part version, so they
 * never collide with the floating tags the stand-in serves (`8.0-bookworm-slim`).
 */
export function syntheticHistory(repository: string, options: HistoryOptions = {}): SyntheticHistory {
  // The end of that day: a release on it is still pushed that evening.
  const until = Math.min(utc(HISTORY_END) + DAY_MS - 1, options.until?.getTime() ?? Infinity);
  const image = repository.split('/').pop() ?? repository;
  const random = seededRandom(repository);
  const baseSize = BASE_SIZE[image] ?? 120_000_000;
  const records: string[] = [];
  const names = new Set<string>();

  const add = (tag: CatalogTag): void => {
    if (names.has(tag.name)) return;
    names.add(tag.name);
    records.push(JSON.stringify(tag));
  };

  for (const major of MAJORS) {
    for (const release of releasesOf(major, image, until)) {
      for (const distro of major.distros) {
        if ((distro.from && release.day < utc(distro.from)) || (distro.to && release.day >= utc(distro.to))) continue;
        // Pushed in the evening of release day (UTC), then rebuilt for base-image fixes on some tags until
        // the next release took over.
        const created = Math.min(release.day + (16 + random() * 6) * 3_600_000, until);
        const rebuilt = random() < 0.6 ? created + random() * Math.max(0, release.nextDay - created) : created;
        const createdDate = portalDate(created, random);
        const lastModifiedDate = rebuilt === created ? createdDate : portalDate(Math.min(rebuilt, until), random);
        const modern = created >= utc('2024-06-01');
        const operatingSystem = distro.windows ? 'windows' : 'linux';
        const size = (arch: Arch): number =>
          Math.round(baseSize * distro.weight * (arch === 'amd64' ? 1 : arch === 'arm64v8' ? 1.03 : 0.88) * (0.95 + random() * 0.1));
        const dockerfile = (arch: Arch): string =>
          `https://github.com/dotnet/dotnet-docker/blob/main/src/${image}/${major.version}/${distro.tag}/${arch}/Dockerfile`;
        const record = (name: string, architecture: string, size: number, mediaType: string, arch: Arch): CatalogTag => ({
          name,
          digest: syntheticDigest(repository, name, createdDate, lastModifiedDate),
          createdDate,
          lastModifiedDate,
          operatingSystem,
          osVersion: distro.osVersion,
          architecture,
          size,
          mediaType,
          repository,
          dockerfile: dockerfile(arch),
        });

        for (const arch of distro.archs) {
          const name = distro.windows ? `${release.version}-${distro.tag}` : `${release.version}-${distro.tag}-${arch}`;
          add(record(name, ARCH_NAME[arch], size(arch), modern ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest, arch));
        }
        if (!distro.windows) {
          add(
            record(
              `${release.version}-${distro.tag}`,
              'multiarch',
              size('amd64'),
              modern ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.dockerList,
              'amd64',
            ),
          );
        }
      }
    }
  }
  return { repository, records, names, joined: Buffer.from(records.join(','), 'utf8') };
}

/**
 * Dates as a .NET service writes them (seven fractional digits); the four digits JavaScript has no room for
 * come from the generator, or are zeros for the current tags. Still ISO 8601: Date.parse reads them.
 */
export function portalDate(ms: number, random?: () => number): string {
  const extra = random ? String(Math.floor(random() * 10_000)).padStart(4, '0') : '0000';
  return new Date(ms).toISOString().replace(/Z$/, `${extra}Z`);
}

function syntheticDigest(...parts: string[]): string {
  return `sha256:${createHash('sha256').update(parts.join('\n')).digest('hex')}`;
}

// ---------------------------------------------------------------------------------------------------
// The current tags

/** What the proxy remembers of a tag between requests. */
export interface Sighting {
  digest: string;
  createdDate: string;
  lastModifiedDate: string;
}

/**
 * The stand-in registry keeps no push times, so the proxy dates a push by when it first saw the tag on a
 * digest: a tag seen for the first time was "created" now, and a tag that moved to another digest was
 * "modified" now. The same digest again changes nothing.
 */
export function observe(previous: Sighting | undefined, digest: string, now: Date): Sighting {
  if (previous?.digest === digest) return previous;
  const at = portalDate(now.getTime());
  return { digest, createdDate: previous?.createdDate ?? at, lastModifiedDate: at };
}

/** The platform and size of one manifest, as the proxy found them in the registry. */
export interface ImageFacts {
  mediaType: string;
  operatingSystem: string;
  architecture: string;
  size: number;
}

interface Descriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
  platform?: { os?: string; architecture?: string };
}

/** Config plus layers: what a pull downloads, the size the portal shows. */
export function imageSize(manifest: { config?: Descriptor; layers?: Descriptor[] }): number {
  return (manifest.config?.size ?? 0) + (manifest.layers ?? []).reduce((sum, layer) => sum + (layer.size ?? 0), 0);
}

/** The image of an index the portal would describe: linux/amd64 when there is one, else the first. */
export function representative(index: { manifests?: Descriptor[] }): Descriptor | undefined {
  const manifests = (index.manifests ?? []).filter((m) => m.platform?.architecture !== 'unknown');
  return manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') ?? manifests[0];
}

/** Distro names of the stand-in's tags, so current records get the same osVersion as history records. */
export function osVersionOf(tag: string): string | null {
  for (const major of MAJORS) {
    for (const distro of major.distros) if (tag.endsWith(`-${distro.tag}`) || tag.includes(`-${distro.tag}-`)) return distro.osVersion;
  }
  const known: Record<string, string> = {
    bookworm: 'Debian 12',
    bullseye: 'Debian 11',
    trixie: 'Debian 13',
    noble: 'Ubuntu 24.04',
    jammy: 'Ubuntu 22.04',
  };
  for (const [word, version] of Object.entries(known)) if (tag.includes(word)) return version;
  return null;
}

export function currentRecord(repository: string, tag: string, sighting: Sighting, facts: ImageFacts): CatalogTag {
  return {
    name: tag,
    digest: sighting.digest,
    createdDate: sighting.createdDate,
    lastModifiedDate: sighting.lastModifiedDate,
    operatingSystem: facts.operatingSystem,
    osVersion: osVersionOf(tag),
    architecture: facts.architecture,
    size: facts.size,
    mediaType: facts.mediaType,
    repository,
    dockerfile: null,
  };
}

// ---------------------------------------------------------------------------------------------------
// The response

/**
 * The body: history first (oldest first), then the current tags, as chunks to write one after the other,
 * so the megabytes of history are sent from the cache without being copied. A current tag with the name of
 * a history record replaces it (someone pushed a patch tag to the stand-in); only then is the history
 * joined again.
 */
export function catalogBody(history: SyntheticHistory, current: readonly CatalogTag[]): Buffer[] {
  const clash = current.some((tag) => history.names.has(tag.name));
  let past = history.joined;
  if (clash) {
    const replaced = new Set(current.map((tag) => tag.name));
    past = Buffer.from(history.records.filter((record) => !replaced.has((JSON.parse(record) as CatalogTag).name)).join(','), 'utf8');
  }
  const now = current.map((tag) => JSON.stringify(tag)).join(',');
  const separator = past.length && now ? ',' : '';
  return [Buffer.from('['), past, Buffer.from(`${separator}${now}]`, 'utf8')];
}
