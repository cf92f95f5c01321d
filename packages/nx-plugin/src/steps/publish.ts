/**
 * ecr-publish: pushes the tested image under the next version tag, then points `latest` and the extra
 * tags at it registry-side. The version is re-derived from the repository's tag listing right before
 * pushing, and repositories are created with immutable version tags, so a run racing another refuses
 * instead of moving a published version.
 */
import type { ImageSettings } from '../config/settings';
import type { DockerCli } from '../lib/docker';
import type { Ecr, RetagResult, StoredManifest } from '../lib/ecr';
import { formatDuration } from '../types/duration';
import { describeError, PartialPublishError, UserError } from '../types/errors';
import { imageInputs } from '../lib/labels';
import type { Logger } from '../lib/log';
import { annotatedManifest, platformIndex } from '../lib/manifest';
import { platformPushes, stagePlatforms, type StagedPlatform } from './publish-platforms';
import { expandExtraTags } from '../lib/tags';
import { isValidTag, movingTags, runTag, TAG_HINT } from '../types/tags';
import { webhookFrom } from '../lib/teams';
import { exclusionFiltersFor, planMovingTags } from '../lib/tag-mutability';
import { nextVersion, versionTags } from '../lib/versioning';
import type { ReferrerRegistry } from '../lib/referrers';
import { candidatesOf, type BuildRecord, type CheckRecord, type PublishRecord, type TestRecord } from './records';
import { imageDigestsOf, scanGate } from './scan-gate';
import type { ScanSummary } from '../types/scan';
import { attachSboms, finishSbom } from './sbom';

export async function publishImage(
  settings: ImageSettings,
  check: CheckRecord,
  build: BuildRecord,
  test: TestRecord,
  deps: {
    docker: DockerCli;
    ecr: Ecr;
    log: Logger;
    env: Record<string, string | undefined>;
    now?: Date;
    /** The registry API the SBOM is attached through; by default the repository's registry with the ECR login. */
    registry?: ReferrerRegistry;
  },
): Promise<PublishRecord> {
  const { docker, ecr, log } = deps;
  if (!test.passed || test.imageId !== build.imageId) {
    throw new UserError(
      `${settings.project}: image ${build.imageId} has not passed its integration test; nothing is published`,
      `run the whole chain: nx run ${settings.project}:publish`,
    );
  }
  await docker.ensureEngine();
  const candidates = candidatesOf(build, settings.platforms[0]);
  const multi = !!build.platforms?.length;
  for (const candidate of candidates) {
    if (multi && !test.platforms?.some((t) => t.platform === candidate.platform && t.imageId === candidate.imageId))
      throw new UserError(
        `${settings.project}: the ${candidate.platform} image ${candidate.imageId} has not been through its integration test; nothing is published`,
        `run the whole chain: nx run ${settings.project}:publish`,
      );
    if ((await docker.imageId(candidate.localTag)) !== candidate.imageId) {
      throw new UserError(
        `${settings.project}: the tested image ${candidate.imageId} is no longer in this Docker engine`,
        `rerun the chain on one agent: nx run ${settings.project}:publish`,
      );
    }
  }

  const found = await ecr.findRepository(settings.ecr.repository);
  if (!found && check.published) {
    throw new UserError(
      `${settings.project}: ECR repository ${settings.ecr.repository} held ${check.published.versionTag} when checked and is gone now; nothing was pushed`,
      'if it was deleted on purpose, rerun: the repository is recreated and the image published again',
    );
  }
  const repository = found ?? (await createRepository(settings, ecr, log));
  // The repository says which account holds it (the configured one, or the caller's own): no STS call.
  const account = repository.registryId || (await ecr.accountId());
  if (repository.tagMutability === 'MUTABLE') {
    log.warn(
      `${settings.project}: ${repository.name} is MUTABLE, so ECR would let two runs publishing at once overwrite a version tag. ` +
        `Make version tags immutable: ${exclusionCommand(repository.name, [...new Set(settings.repositoryImages.flatMap(movingTags))])}`,
    );
  }
  const existing = (await ecr.listImages(repository.name)).flatMap((image) => image.tags);
  const next = nextVersion(settings.ecr.tag, existing);
  if (next.tag !== check.nextVersion?.tag) throw takenMeanwhile(settings, check);
  const { tags: extraTags, skipped } = expandExtraTags(settings.ecr.extraTags, {
    version: next.version,
    env: deps.env,
    now: deps.now ?? new Date(),
  });
  for (const tag of extraTags) {
    if (!isValidTag(tag))
      throw new UserError(
        `${settings.configFile}: ecr.extraTags: "${tag}" is not a valid Docker tag after filling placeholders`,
        `${TAG_HINT}: change the template, or the pipeline value its placeholder takes`,
      );
  }
  if (skipped.length)
    log.warn(`${settings.project}: extra tags ${skipped.join(', ')} skipped: their placeholders have no value outside Azure Pipelines`);
  // Every tag this run writes beside the version: `latest` when the image owns it, and its extra tags filled.
  const besideVersion = [...(settings.ecr.latest ? ['latest'] : []), ...extraTags.filter((t) => t !== 'latest' && t !== next.tag)];
  const plan = planMovingTags(besideVersion, existing, repository.tagMutability, repository.mutableTagFilters);

  const login = await ecr.login();
  // Docker pushes the layers and a manifest under a tag only this run uses. The version tag is then written
  // registry-side on the same blobs, as an OCI manifest whose annotations record what the image was built
  // from, so the next check reads that record with the manifest and never downloads a blob. An engine that
  // pushes an image index (the image and its attestation manifests) gets that same index under the version
  // tag, the record on the index (see annotatedManifest). Only the
  // version tag is written from here on: if anything later fails, what is published is complete and
  // versioned, the moving tags still name the previous version, and the next run's check moves them.
  const runId = check.runId ?? next.version;
  const stagingTag = runTag('staging', runId);
  const stagingRef = `${repository.uri}:${stagingTag}`;
  // One staging tag per platform of a multi-platform image (publish-platforms.ts); the one above otherwise.
  const pushes = platformPushes(runId, candidates, multi);
  const versionRef = `${repository.uri}:${next.tag}`;
  // The card this version is owed, recorded in the registry itself before the version tag exists: a marker tag
  // on the same image, which teams-notify removes once a card is delivered. A run that stops after the version
  // tag leaves it for the next run's check to find; one that stops before leaves a marker on an image no
  // version names, which a later publish removes as a leftover. Only when a card can be sent at all.
  const marker = typeof webhookFrom(settings.teams.webhookEnv, deps.env) === 'string' ? undefined : runTag('unannounced', runId);
  // Docker logs in to the registry host that holds the repository, from its URI: in another account that
  // is another host than the caller's own, which GetAuthorizationToken's proxyEndpoint names.
  await docker.withLogin(repository.registry, login.username, login.password, async (configDir) => {
    for (const push of pushes) {
      const ref = `${repository.uri}:${push.stagingTag}`;
      await docker.tag(push.localTag, ref);
      try {
        await docker.push(ref, configDir, log.command(`${settings.project}: docker push ${ref}`));
      } finally {
        // The local name only served the push; the candidate's own name stays until the end.
        await docker.removeImage(ref);
      }
    }
  });
  let versioned: StoredManifest;
  // The platform manifests the version names, staged before it exists: what the gate and the SBOMs read.
  let staged: StagedPlatform[];
  let scan: ScanSummary;
  let markerWritten = false;
  try {
    try {
      let scanned: string[];
      if (multi) {
        staged = await stagePlatforms(ecr, repository.name, pushes, imageInputs(check), settings.project);
        versioned = platformIndex(staged, imageInputs(check));
        scanned = staged.map((s) => s.digest);
      } else {
        const pushed = (await ecr.getManifests(repository.name, [stagingTag])).get(stagingTag);
        if (!pushed)
          throw new UserError(
            `${settings.project}: ${stagingRef} is not in ${repository.name} right after this run pushed it; nothing was published`,
            'rerun: the check decides again from what is published now',
          );
        versioned = annotatedManifest(pushed.manifest, pushed.mediaType, imageInputs(check));
        staged = [stagedOf(pushed, candidates[0])];
        scanned = imageDigestsOf(pushed);
      }
      // ECR's scan of every staged image, judged before anything is tagged: a blocked image leaves no version.
      scan = await scanGate(settings, repository, scanned, { ecr, log });
      if (marker) {
        if ((await ecr.putManifest(repository.name, versioned.manifest, versioned.mediaType, marker)) === 'refused') {
          throw new UserError(
            `${settings.project}: ${repository.name} already has a ${marker} tag on another image; nothing was published`,
            'rerun: the next run has another run id',
          );
        }
        markerWritten = true;
      }
      // An immutable repository refusing the version tag: another run published it first.
      if ((await ecr.putManifest(repository.name, versioned.manifest, versioned.mediaType, next.tag)) === 'refused')
        throw takenMeanwhile(settings, check);
    } finally {
      // Served its purpose, or failed it: either way no one should pull it. A leftover is only untidy.
      for (const push of pushes)
        await ecr
          .untag(repository.name, push.stagingTag)
          .catch((err: unknown) =>
            log.warn(`${settings.project}: could not remove ${repository.uri}:${push.stagingTag}: ${(err as Error).message}`),
          );
    }
    // In a MUTABLE repository nothing stops a racing run from overwriting the tag just written: read it back.
    const stored = (await ecr.listImages(repository.name)).find((image) => image.tags.includes(next.tag));
    if (stored?.digest !== versioned.digest) {
      throw new UserError(
        `${settings.project}: ${versionRef} names ${stored?.digest ?? 'nothing'} right after this run published ${versioned.digest}: ` +
          `another run published the same version at the same time`,
        `make the repository's version tags immutable (IMMUTABLE_WITH_EXCLUSION), then rerun`,
      );
    }
  } catch (err) {
    // Not published by this run: its marker would name an image no version of its own names.
    if (markerWritten)
      await ecr
        .untag(repository.name, marker!)
        .catch((e: unknown) => log.warn(`${settings.project}: could not remove ${repository.uri}:${marker}: ${(e as Error).message}`));
    throw err;
  }
  // Published: its SBOM is attached to it as a referrer now, before anything moves (never fails the publish).
  const sbom = await attachSboms(
    {
      project: settings.project,
      repositoryUri: repository.uri,
      ref: { registry: repository.registry, repository: repository.name },
      versionTag: next.tag,
    },
    versioned,
    candidates.map((c) => ({ platform: c.platform, localImage: c.localTag })),
    { docker, login, log, registry: deps.registry },
  );
  const digest = versioned.digest;
  let moved: RetagResult;
  try {
    // The manifest just written and read back under its digest: the moving tags get it without reading it again.
    moved = await ecr.retag(repository.name, digest, plan.push, versioned);
  } catch (err) {
    throw new PartialPublishError(
      `${settings.project}: ${versionRef} is published (${digest}), but moving ${plan.push.join(', ')} to it failed: ${(err as Error).message}`,
      'rerun: the check finds the tags behind and moves them',
      next.tag,
    );
  }
  const blocked = [...plan.blocked, ...moved.refused];
  if (blocked.length) {
    log.warn(
      `${settings.project}: ${repository.name} is ${repository.tagMutability}: ` +
        `${blocked.join(', ')} cannot move to ${next.tag} and still name the previous image. ` +
        `To let them move, make the repository IMMUTABLE_WITH_EXCLUSION with WILDCARD exclusion filters for them ` +
        `(${exclusionCommand(repository.name, [...new Set([...repository.mutableTagFilters, ...blocked])])})`,
    );
  }
  // Published: the candidate has served its purpose. Dropping it keeps long-lived agents from collecting one
  // image per run (layers still shared by other images stay).
  for (const candidate of candidates) await docker.removeImage(candidate.localTag);
  const tags = [next.tag, ...moved.moved, ...moved.unchanged];
  log.info(
    `${settings.project}: published ${versionRef} (${digest}${multi ? `, an image index of ${staged.map((s) => `${s.platform} ${s.digest}`).join(', ')}` : ''}) ` +
      `with tags ${tags.join(', ')} in account ${account}`,
  );
  const removedTags = await removeLeftovers(settings, check, { ecr, log });
  return {
    runId: check.runId,
    published: true,
    account,
    repositoryUri: repository.uri,
    digest,
    versionTag: next.tag,
    version: next.version,
    tags,
    skippedTags: skipped,
    ...(blocked.length ? { blockedTags: blocked } : {}),
    ...(marker ? { marker } : {}),
    ...(removedTags.length ? { removedTags } : {}),
    ...(multi ? { platforms: staged.map((s) => ({ platform: s.platform, digest: s.digest })) } : {}),
    scan,
    ...(sbom.attached.length ? { sboms: sbom.attached } : {}),
    ...(sbom.missing ? { sbomMissing: sbom.missing } : {}),
  };
}

/**
 * A current image's publish work: the moving tags an interrupted publish left behind, the run tags that
 * stopped runs left in the repository, and the SBOM a version was published without. Nothing is built or
 * pushed; only an owed SBOM pulls the version it describes.
 */
export async function finishCurrent(
  settings: ImageSettings,
  check: CheckRecord,
  deps: { ecr: Ecr; log: Logger; docker?: DockerCli; registry?: ReferrerRegistry },
): Promise<PublishRecord> {
  const record: PublishRecord = check.tagsToFinish?.length
    ? await finishTags(settings, check, deps)
    : { runId: check.runId, published: false };
  // The SBOM a stopped publish left unattached (steps/sbom.ts): the version is pulled for it, and nothing else.
  const sbom =
    check.sbomOwed && deps.docker
      ? await finishSbom(settings.project, settings.ecr.repository, check.sbomOwed, { ...deps, docker: deps.docker })
      : undefined;
  const removedTags = await removeLeftovers(settings, check, deps);
  return {
    ...record,
    ...(removedTags.length ? { removedTags } : {}),
    ...(sbom?.attached.length ? { sboms: sbom.attached } : {}),
    ...(sbom?.missing ? { sbomMissing: sbom.missing } : {}),
  };
}

/**
 * Removes the run tags the check found abandoned, in one BatchDeleteImage by tag: that removes each tag, and
 * an image only when no other tag names it (ECR API reference, BatchDeleteImage). Tag immutability does not
 * stop it: it refuses overwriting a tag (ImageTagAlreadyExistsException on a push), not removing one. Best
 * effort: what is left is tried again by the next run.
 */
async function removeLeftovers(settings: ImageSettings, check: CheckRecord, deps: { ecr: Ecr; log: Logger }): Promise<string[]> {
  const leftovers = check.leftoverTags ?? [];
  if (!leftovers.length) return [];
  try {
    const removed = await deps.ecr.removeTags(
      settings.ecr.repository,
      leftovers.map((l) => l.tag),
    );
    if (removed.length) {
      const oldest = leftovers.map((l) => l.pushedAt).sort()[0];
      deps.log.info(
        `${settings.project}: removed ${removed.join(', ')} from ${settings.ecr.repository}: ` +
          `left by runs that stopped (pushed over ${formatDuration(settings.cleanup.registryAfterMs)} ago, the first at ${oldest})`,
      );
    }
    return removed;
  } catch (err) {
    deps.log.warn(
      `${settings.project}: could not remove ${leftovers.map((l) => l.tag).join(', ')} from ${settings.ecr.repository}: ` +
        `${describeError(err)} (the next run tries again)`,
    );
    return [];
  }
}

/**
 * The rerun after a publish that stopped half-way: the version is published and current, and its moving
 * tags are moved registry-side. Nothing is built, pulled or pushed.
 */
export async function finishTags(settings: ImageSettings, check: CheckRecord, deps: { ecr: Ecr; log: Logger }): Promise<PublishRecord> {
  const { ecr, log } = deps;
  const published = check.published!;
  const repository = await ecr.findRepository(settings.ecr.repository);
  if (!repository)
    throw new UserError(
      `${settings.project}: ECR repository ${settings.ecr.repository} is gone since the check`,
      'rerun: the check decides again from what is published now',
    );
  const image = (await ecr.listImages(repository.name)).find((i) => i.tags.includes(published.versionTag));
  if (!image)
    throw new UserError(
      `${settings.project}: ${published.versionTag} is gone from ${repository.name} since the check`,
      'rerun: the check decides again from what is published now',
    );
  const result = await ecr.retag(repository.name, image.digest, check.tagsToFinish ?? []);
  if (result.refused.length) log.warn(`${settings.project}: ${repository.name} refused to move ${result.refused.join(', ')} (immutable)`);
  const tags = [published.versionTag, ...result.moved, ...result.unchanged];
  log.info(
    `${settings.project}: finished publishing ${repository.uri}:${published.versionTag} (${image.digest}): moved ${result.moved.join(', ') || 'nothing'}`,
  );
  return {
    runId: check.runId,
    published: true,
    onlyFinished: true,
    repositoryUri: repository.uri,
    digest: image.digest,
    versionTag: published.versionTag,
    version: versionTags(settings.ecr.tag, [published.versionTag])[0].version,
    tags,
    ...(result.refused.length ? { blockedTags: result.refused } : {}),
  };
}

/** The awscli command that makes a repository's tags immutable except those the filters name. */
function exclusionCommand(repository: string, mutableTags: string[]): string {
  return (
    `aws ecr put-image-tag-mutability --repository-name ${repository} --image-tag-mutability IMMUTABLE_WITH_EXCLUSION ` +
    `--image-tag-mutability-exclusion-filters ${mutableTags.map((t) => `filterType=WILDCARD,filter=${t}`).join(' ')}`
  );
}

function takenMeanwhile(settings: ImageSettings, check: CheckRecord): UserError {
  return new UserError(
    `${settings.project}: ${check.nextVersion?.tag} was published by another run while this one built and tested; this image was not published`,
    'rerun: the check decides again from what is published now',
  );
}

/** ECR accepts at most this many exclusion filters on a repository. */
const MAX_EXCLUSION_FILTERS = 5;

async function createRepository(settings: ImageSettings, ecr: Ecr, log: Logger) {
  const mutableTagFilters = exclusionFiltersFor(settings.repositoryImages);
  const scan = `scan on push: ${settings.ecr.scanOnPush ? 'on' : 'off'}`;
  if (mutableTagFilters.length > MAX_EXCLUSION_FILTERS) {
    // More moving tags than ECR can exempt: immutability would pin some of them, which is worse.
    log.warn(
      `${settings.project}: creating ECR repository ${settings.ecr.repository} MUTABLE: ` +
        `its images move ${mutableTagFilters.length} tags (${mutableTagFilters.join(', ')}), ` +
        `more than the ${MAX_EXCLUSION_FILTERS} exclusion filters ECR allows, so version tags cannot be made immutable there`,
    );
    return ecr.createRepository(settings.ecr.repository, {
      scanOnPush: settings.ecr.scanOnPush,
      tagMutability: 'MUTABLE',
      mutableTagFilters: [],
    });
  }
  log.info(
    `${settings.project}: creating ECR repository ${settings.ecr.repository} (${scan}; tags immutable except ${mutableTagFilters.join(', ') || 'none'})`,
  );
  return ecr.createRepository(settings.ecr.repository, {
    scanOnPush: settings.ecr.scanOnPush,
    tagMutability: 'IMMUTABLE_WITH_EXCLUSION',
    mutableTagFilters,
  });
}

/** The one staged manifest of a single-platform image, as Docker pushed it. */
function stagedOf(pushed: StoredManifest, candidate: { platform: string; localTag: string }): StagedPlatform {
  return {
    platform: candidate.platform,
    digest: pushed.digest,
    mediaType: pushed.mediaType ?? '',
    size: Buffer.byteLength(pushed.manifest, 'utf8'),
    localTag: candidate.localTag,
  };
}
