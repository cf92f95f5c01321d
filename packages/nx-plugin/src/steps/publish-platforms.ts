/**
 * ecr-publish for a multi-platform image: each platform's candidate is pushed under a staging tag of its own
 * (`staging-<run id>-<platform slug>`), then made an OCI manifest carrying the record and stored untagged
 * (PutImage without a tag), so the image index under the version tag names manifests no run tag holds: removing
 * the staging tags then removes only what Docker pushed (BatchDeleteImage deletes an image with its last tag;
 * ECR API reference), never a manifest the index names. The index itself is composed here from those staged
 * platform manifests (lib/manifest.ts platformIndex) and written under the version tag by publishImage.
 *
 * The staged platform manifests are an explicit value (`StagedPlatform[]`): whatever must look at every
 * platform's manifest before the version tag exists (a vulnerability gate) or after it (an SBOM per platform)
 * takes that list.
 */
import type { Ecr, StoredManifest } from '../lib/ecr';
import { annotatedManifest, platformEntryOf } from '../lib/manifest';
import { isIndexMediaType } from '../types/media-types';
import { UserError } from '../types/errors';
import { platformSlug } from '../types/platforms';
import { runTag } from '../types/tags';
import type { PlatformCandidate } from './records';

/** A platform manifest staged in the repository, as the image index lists it, with the local candidate it came from. */
export interface StagedPlatform {
  platform: string;
  digest: string;
  mediaType: string;
  size: number;
  localTag: string;
}

/** A candidate and the run tag Docker pushes it under. */
export interface PlatformPush extends PlatformCandidate {
  stagingTag: string;
}

/** Each candidate's staging tag: the run's own, with the platform named when the image has several. */
export function platformPushes(runId: string, candidates: readonly PlatformCandidate[], multi: boolean): PlatformPush[] {
  return candidates.map((c) => ({ ...c, stagingTag: runTag('staging', runId, multi ? platformSlug(c.platform) : undefined) }));
}

/**
 * Reads back what Docker pushed under each staging tag (one BatchGetImage for all), writes each platform's
 * image as an OCI manifest carrying `annotations`, untagged, and answers the staged manifests in platform
 * order. An engine that pushed an index (the image and its attestation) has that index's image for the
 * platform staged.
 */
export async function stagePlatforms(
  ecr: Pick<Ecr, 'getManifests' | 'putManifest'>,
  repository: string,
  pushes: readonly PlatformPush[],
  annotations: Record<string, string>,
  project: string,
): Promise<StagedPlatform[]> {
  const read = await ecr.getManifests(
    repository,
    pushes.map((p) => p.stagingTag),
  );
  const staged: StagedPlatform[] = [];
  for (const push of pushes) {
    let pushed: StoredManifest | undefined = read.get(push.stagingTag);
    if (!pushed)
      throw new UserError(
        `${project}: ${repository}:${push.stagingTag} is not in the repository right after this run pushed it; nothing was published`,
        'rerun: the check decides again from what is published now',
      );
    if (isIndexMediaType(pushed.mediaType)) {
      const entry = platformEntryOf(pushed.manifest, push.platform);
      pushed = entry && (await ecr.getManifests(repository, [entry.digest])).get(entry.digest);
      if (!pushed)
        throw new UserError(
          `${project}: ${repository}:${push.stagingTag} is an image index without a ${push.platform} image; nothing was published`,
          'check docker.command builds one platform per candidate (docker build --platform), then rerun',
        );
    }
    const manifest = annotatedManifest(pushed.manifest, pushed.mediaType, annotations);
    // 'unchanged' is the same manifest already stored (a rerun of the same build): as good as written.
    await ecr.putManifest(repository, manifest.manifest, manifest.mediaType);
    staged.push({
      platform: push.platform,
      digest: manifest.digest,
      mediaType: manifest.mediaType,
      size: Buffer.byteLength(manifest.manifest, 'utf8'),
      localTag: push.localTag,
    });
  }
  return staged.sort((a, b) => a.platform.localeCompare(b.platform));
}
