/**
 * The SBOM of a published version: for each platform image of the version, what its package databases say it
 * holds (lib/sbom.ts), attached in the registry as an OCI 1.1 referrer of that platform's manifest
 * (lib/referrers.ts). Part of ecr-publish, not a step of its own: publishImage calls it once, right after the
 * version tag is written and read back.
 *
 * Whose subject: each platform's own manifest, not the version's index. An SBOM describes one filesystem, and
 * only a platform manifest has one; a client that resolved a platform (docker pull, `oras discover
 * --platform`, a scanner looking at the image it pulled) holds that manifest's digest and asks the referrers
 * API about it, as BuildKit ties each attestation to its platform manifest (`vnd.docker.reference.digest`,
 * "Image attestation storage"). Today a version is one manifest, which is then the subject itself: the version
 * tag's digest.
 *
 * The image is read without running it (docker create + docker cp), so a platform the engine cannot run needs
 * no emulation. Nothing here fails the publish: the version is published and its tag never moves, so an SBOM
 * that could not be made or attached is reported (a warning, and `sbomMissing` in the record) and the version
 * stays as it is.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { DockerCli } from '../lib/docker';
import type { Ecr, EcrLogin } from '../lib/ecr';
import { ownerToken, tempDirPrefix, thisProcess } from '../lib/local-leftovers';
import type { Logger } from '../lib/log';
import { attachArtifact, type Attached, type ReferrerRegistry } from '../lib/referrers';
import { platformEntryOf } from '../lib/manifest';
import { RegistryClient, type Descriptor } from '../lib/registry-client';
import { cycloneDxSbom, dotnetFramework, parseDpkgStatus, parseOsRelease, type DotnetFramework, type ImageContents } from '../lib/sbom';
import { LABELS, LOCAL_LABELS } from '../types/annotations';
import type { ImageRef } from '../types/image-ref';
import { isIndexMediaType, MEDIA_TYPES } from '../types/media-types';

/** One platform image of a version: the platform (`linux/amd64`; unset, the image's own) and the local image built for it. */
export interface PlatformImage {
  platform?: string;
  localImage: string;
}

/** The version as published: the manifest or index its tag names, with its bytes. */
export interface PublishedVersion {
  digest: string;
  manifest: string;
  mediaType?: string;
}

/** One SBOM attached: for which platform, to which manifest, as which referrer. */
export interface AttachedSbom {
  platform: string;
  subject: string;
  digest: string;
  via: Attached['via'];
  packages: number;
  frameworks: string[];
}

export interface SbomTarget {
  /** The project, which every log line starts with. */
  project: string;
  /** The repository's URI, what the SBOM names the image by. */
  repositoryUri: string;
  /** Where the registry API reaches it: the registry host and repository name. */
  ref: ImageRef;
  versionTag: string;
}

export interface SbomDeps {
  docker: DockerCli;
  /** The registry API of the repository's registry; by default a RegistryClient with the ECR login for that host only. */
  registry?: ReferrerRegistry;
  login: EcrLogin;
  log: Logger;
}

/** Where the official .NET images lay out the runtime (DOTNET_ROOT). */
const DOTNET_SHARED = '/usr/share/dotnet/shared';

/**
 * The SBOMs of a published version, one per platform image, attached as referrers. Never throws: what could not
 * be attached is in `missing`, with why.
 */
export async function attachSboms(
  target: SbomTarget,
  published: PublishedVersion,
  images: PlatformImage[],
  deps: SbomDeps,
): Promise<{ attached: AttachedSbom[]; missing?: string }> {
  const registry =
    deps.registry ??
    new RegistryClient({ credentials: (registry) => (registry === target.ref.registry ? deps.login : undefined), timeoutMs: 60_000 });
  const attached: AttachedSbom[] = [];
  const failures: string[] = [];
  for (const image of images) {
    let platform = image.platform ?? image.localImage;
    try {
      const inspected = await deps.docker.imagePlatform(image.localImage);
      platform = image.platform ?? inspected.platform;
      const subject = subjectFor(published, platform);
      const contents = await readImageContents(deps.docker, image.localImage);
      const sbom = cycloneDxSbom(
        { name: target.repositoryUri, version: target.versionTag, digest: subject.digest, platform, created: inspected.created },
        contents,
      );
      const result = await attachArtifact(registry, target.ref, {
        artifactType: MEDIA_TYPES.cyclonedx,
        content: Buffer.from(sbom),
        subject,
        annotations: { [LABELS.created]: inspected.created.toISOString() },
      });
      attached.push({
        platform,
        subject: subject.digest,
        digest: result.digest,
        via: result.via,
        packages: contents.packages.length,
        frameworks: contents.frameworks.map((f) => `${f.name} ${f.version}`),
      });
      deps.log.info(
        `${target.project}: ${target.repositoryUri}:${target.versionTag}: SBOM of ${platform} attached (${contents.packages.length} packages, ` +
          `${contents.frameworks.map((f) => `${f.name} ${f.version}`).join(', ') || 'no .NET'}) as ${result.digest}` +
          (result.tag ? ` (no referrers API: listed under the ${result.tag} tag)` : ''),
      );
    } catch (err) {
      failures.push(`${platform}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (!failures.length) return { attached };
  const missing = failures.join('; ');
  deps.log.warn(
    `${target.project}: ${target.repositoryUri}:${target.versionTag} is published, but its SBOM is missing: ${missing}. ` +
      (isIndex(published)
        ? 'The version stays as published (its SBOMs are not looked for again: the listing does not tie them to the index)'
        : "The version stays as published; the next run's check finds it without an SBOM and attaches it"),
  );
  return { attached, missing };
}

function isIndex(published: PublishedVersion): boolean {
  return isIndexMediaType(published.mediaType ?? (JSON.parse(published.manifest) as { mediaType?: string }).mediaType);
}

/**
 * The manifest an SBOM of `platform` refers to: the version's own manifest when it is one, else the entry of
 * its index for that platform (attestation manifests, platform `unknown/unknown`, are never it).
 */
export function subjectFor(published: PublishedVersion, platform: string): Descriptor {
  const body = JSON.parse(published.manifest) as { mediaType?: string; manifests?: unknown };
  const mediaType = published.mediaType ?? body.mediaType ?? MEDIA_TYPES.ociManifest;
  if (!isIndexMediaType(mediaType) && !body.manifests)
    return { mediaType, digest: published.digest, size: Buffer.byteLength(published.manifest) };
  const entry = platformEntryOf(published.manifest, platform);
  if (!entry) throw new Error(`the published index ${published.digest} lists no manifest for ${platform}`);
  return { mediaType: entry.mediaType, digest: entry.digest, size: entry.size };
}

/**
 * What an image holds, read out of a container that is never started: dpkg's database, os-release, and each
 * .NET shared framework with its .deps.json. The container and the copies are removed afterwards.
 */
export async function readImageContents(docker: DockerCli, image: string): Promise<ImageContents> {
  const owner = thisProcess();
  const dir = mkdtempSync(path.join(tmpdir(), tempDirPrefix('sbom', owner)));
  let id: string | undefined;
  try {
    id = await docker.createContainer(image, { [LOCAL_LABELS.owner]: ownerToken(owner), [LOCAL_LABELS.created]: new Date().toISOString() });
    const read = async (source: string, name: string): Promise<string | undefined> =>
      (await docker.copyFrom(id!, source, path.join(dir, name))) ? readFileSync(path.join(dir, name), 'utf8') : undefined;
    const status = await read('/var/lib/dpkg/status', 'status');
    const osRelease = (await read('/etc/os-release', 'os-release')) ?? (await read('/usr/lib/os-release', 'os-release'));
    const frameworks: DotnetFramework[] = [];
    if (await docker.copyFrom(id, DOTNET_SHARED, path.join(dir, 'shared'))) {
      for (const name of subfolders(path.join(dir, 'shared'))) {
        for (const version of subfolders(path.join(dir, 'shared', name))) {
          const deps = path.join(dir, 'shared', name, version, `${name}.deps.json`);
          let text: string | undefined;
          try {
            text = readFileSync(deps, 'utf8');
          } catch {
            text = undefined;
          }
          frameworks.push(dotnetFramework(name, version, text));
        }
      }
    }
    return { os: osRelease ? parseOsRelease(osRelease) : undefined, packages: status ? parseDpkgStatus(status) : [], frameworks };
  } finally {
    if (id) await docker.removeContainer(id);
    rmSync(dir, { recursive: true, force: true });
  }
}

function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * The SBOM a published version lacks (the check found it owed from the ECR listing): the version pulled by its
 * digest with the ECR login, its SBOM attached, the pulled image removed. Only a rerun after a publish that
 * stopped before its SBOM, or a version published before SBOMs were attached, comes here. Never throws.
 */
export async function finishSbom(
  project: string,
  repositoryName: string,
  owed: { versionTag: string; digest: string },
  deps: { docker: DockerCli; ecr: Ecr; log: Logger; registry?: ReferrerRegistry },
): Promise<{ attached: AttachedSbom[]; missing?: string }> {
  const { docker, ecr, log } = deps;
  try {
    const repository = await ecr.findRepository(repositoryName);
    const stored = repository && (await ecr.getManifests(repository.name, [owed.digest])).get(owed.digest);
    if (!repository || !stored) throw new Error(`${owed.versionTag} (${owed.digest}) is gone from ${repositoryName} since the check`);
    const login = await ecr.login();
    const ref = `${repository.uri}@${owed.digest}`;
    await docker.ensureEngine();
    await docker.withLogin(repository.registry, login.username, login.password, (configDir) => docker.pull(ref, configDir));
    try {
      return await attachSboms(
        {
          project,
          repositoryUri: repository.uri,
          ref: { registry: repository.registry, repository: repository.name },
          versionTag: owed.versionTag,
        },
        stored,
        [{ localImage: ref }],
        { docker, login, log, registry: deps.registry },
      );
    } finally {
      await docker.removeImage(ref);
    }
  } catch (err) {
    const missing = err instanceof Error ? err.message : String(err);
    log.warn(`${project}: ${repositoryName}:${owed.versionTag} still has no SBOM: ${missing} (the next run tries again)`);
    return { attached: [], missing };
  }
}
