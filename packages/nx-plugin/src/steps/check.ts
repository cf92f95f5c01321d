/** mcr-check: is the platform image current? The registry decides, not the Nx cache. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ImageSettings } from '../config/settings';
import { contextDigest } from '../lib/context-digest';
import { dotnetLineOf, END_OF_SUPPORT, endOfSupportWarning } from '../lib/dotnet-support';
import { buildArgDigests, decodeBuildArgDigests } from '../lib/build-args';
import { DockerfileSyntaxError, parseDockerfile, passedBuildArgs } from '../lib/dockerfile';
import { finalBaseImage } from '../lib/dockerfile-rewrite';
import type { EcrImage, EcrLogin, EcrRepository, StoredManifest } from '../lib/ecr';
import type { EcrReads } from '../lib/ecr-reader';
import { ConfigError, NotFoundError } from '../types/errors';
import { canonicalName, parseImageRef, pullReference, type ImageRef } from '../types/image-ref';
import { LABELS } from '../types/annotations';
import type { Logger } from '../lib/log';
import type { ResolvedBase } from '../lib/registry-client';
import { decodePlatformDigests } from '../types/platforms';
import { decodeBaseCreated } from '../lib/base-created';
import { inputsFromManifest } from '../lib/manifest';
import { leftoverTags, owedAnnouncements, sbomOwed } from '../lib/registry-recovery';
import { decideStaleness, pinBehindWarning, short, type PublishedVersion } from '../lib/staleness';
import { movingTagsFor, unfinishedTags } from '../lib/tag-mutability';
import { newRunId as randomRunId, parseRunTag } from '../types/tags';
import { malformedVersionTags, nextVersion, versionTags } from '../lib/versioning';
import type { CheckRecord, OwedCard } from './records';
import { imageDigestsOf, reportFindings } from './scan-gate';

export interface UpstreamRegistry {
  /** What the reference names now, with each platform's manifest for an index (one GET; see RegistryClient.resolveBase). */
  resolveBase(ref: ImageRef): Promise<ResolvedBase>;
  /** When the image a platform's manifest digest names was built (its config's `created`); see RegistryClient.configCreated. */
  baseCreated(ref: ImageRef, digest: string): Promise<string | undefined>;
}

export interface PublishedReader {
  imageLabels(ref: ImageRef): Promise<{ digest: string; labels: Record<string, string> }>;
}

export interface CheckDeps {
  upstream: UpstreamRegistry;
  /** ECR as the checks of one run read it together (see EcrReader). */
  ecr: EcrReads;
  /**
   * Reads labels from an ECR registry host (the repository's, from its URI) with the given login: only for
   * versions whose manifest records nothing.
   */
  published: (registry: string, login: EcrLogin) => PublishedReader;
  log: Logger;
  newRunId?: () => string;
  now?: Date;
}

/**
 * The upstream image the final stage builds on, read with the build args the build passes: what is checked
 * here is what docker-build pins and what the labels record. `name` is canonical and without a digest (the
 * image's recorded base name); `digest` is set when FROM pins one.
 */
export function baseImageOf(settings: ImageSettings): ImageRef & { name: string } {
  return dockerfileInputs(settings).base;
}

/** What the Dockerfile, read with the configured build args, makes an input: its base, and the build args it declares. */
function dockerfileInputs(settings: ImageSettings): { base: ImageRef & { name: string }; buildArgs: Record<string, string> } {
  const file = path.relative(settings.workspaceRoot, settings.dockerfile);
  let image: string;
  let buildArgs: Record<string, string>;
  try {
    const parsed = parseDockerfile(readFileSync(settings.dockerfile, 'utf8'), { buildArgs: settings.buildArgs });
    image = finalBaseImage(parsed).image;
    buildArgs = passedBuildArgs(parsed, settings.buildArgs);
  } catch (err) {
    if (err instanceof DockerfileSyntaxError)
      throw new ConfigError(file, `line ${err.line}`, err.problem, 'docker build cannot read it either');
    throw new ConfigError(
      file,
      'FROM',
      (err as Error).message,
      'start the final stage FROM the upstream image, e.g. FROM mcr.microsoft.com/dotnet/runtime:8.0',
    );
  }
  try {
    const ref = parseImageRef(image);
    return { base: { ...ref, name: canonicalName(ref) }, buildArgs };
  } catch (err) {
    throw new ConfigError(
      file,
      'FROM',
      (err as Error).message,
      'name the base as registry/repository:tag, e.g. FROM mcr.microsoft.com/dotnet/runtime:8.0',
    );
  }
}

interface PublishedState {
  repository?: EcrRepository;
  images: EcrImage[];
  tags: string[];
  newest?: { tag: string; version: string };
  published?: PublishedVersion;
  owedCards: OwedCard[];
  /** The newest version's manifest, when it was read. */
  stored?: StoredManifest;
}

/**
 * What the newest published version records about its inputs. Its manifest's annotations say it in the one
 * request that reads the manifest; a version published without them (by an older release of this product)
 * has its labels read from its config instead.
 */
async function readPublished(settings: ImageSettings, deps: CheckDeps): Promise<PublishedState> {
  const repository = await deps.ecr.repository(settings.ecr.repository);
  if (!repository) return { images: [], tags: [], owedCards: [] };
  const images = await deps.ecr.images(repository.name);
  const tags = images.flatMap((image) => image.tags);
  const [newest] = versionTags(settings.ecr.tag, tags);
  if (!newest) return { repository, images, tags, owedCards: [] };
  const owed = owedAnnouncements(settings.ecr.tag, images);
  // The versions owed a card are asked for with the newest one: the same BatchGetImage reads them all.
  const [stored, ...owedStored] = await Promise.all(
    [newest.tag, ...owed.map((o) => o.versionTag)].map((tag) => deps.ecr.manifest(repository.name, tag)),
  );
  const owedCards = owed.map((o, i): OwedCard => {
    const record = owedStored[i] && inputsFromManifest(owedStored[i].manifest);
    return {
      marker: o.marker,
      versionTag: o.versionTag,
      digest: o.digest,
      tags: o.tags,
      repositoryUri: repository.uri,
      ...(record?.[LABELS.baseName] ? { baseName: record[LABELS.baseName] } : {}),
      ...(record?.[LABELS.baseDigest] ? { baseDigest: record[LABELS.baseDigest] } : {}),
    };
  });
  const annotations = stored && inputsFromManifest(stored.manifest);
  const { digest, labels } =
    stored && annotations
      ? { digest: stored.digest, labels: annotations }
      : await deps
          .published(repository.registry, await deps.ecr.login())
          .imageLabels({ registry: repository.registry, repository: repository.name, tag: newest.tag });
  return {
    repository,
    images,
    tags,
    newest,
    owedCards,
    ...(stored ? { stored } : {}),
    published: {
      versionTag: newest.tag,
      digest,
      baseName: labels[LABELS.baseName],
      baseDigest: labels[LABELS.baseDigest],
      contextDigest: labels[LABELS.contextDigest],
      ...(labels[LABELS.buildArgs] !== undefined ? { buildArgs: decodeBuildArgDigests(labels[LABELS.buildArgs]) } : {}),
      ...recordedPlatforms(labels[LABELS.basePlatformDigests]),
      ...recordedCreated(labels[LABELS.baseCreated]),
    },
  };
}

function recordedPlatforms(text: string | undefined): { basePlatformDigests?: Record<string, string> } {
  const digests = decodePlatformDigests(text);
  return digests ? { basePlatformDigests: digests } : {};
}

function recordedCreated(text: string | undefined): { baseCreated?: Record<string, string> } {
  const times = decodeBaseCreated(text);
  return times ? { baseCreated: times } : {};
}

/**
 * When the base of each platform a rebuild builds FROM was built, for the rebuild to record on the image:
 * its config's `created`, two small reads per platform (its manifest, its config blob). Only a stale image
 * asks: a current one shows what its newest version recorded, so the no-change path sends no request for it.
 * A read that fails leaves that platform's time unknown, never the run failed: it is shown, not decided on.
 */
async function baseCreatedTimes(
  settings: ImageSettings,
  base: ImageRef,
  platforms: Record<string, string>,
  deps: CheckDeps,
): Promise<Record<string, string> | undefined> {
  const ref: ImageRef = { registry: base.registry, repository: base.repository, tag: base.tag, digest: undefined };
  const times: Record<string, string> = {};
  await Promise.all(
    Object.entries(platforms).map(async ([platform, digest]) => {
      try {
        const created = await deps.upstream.baseCreated(ref, digest);
        if (created) times[platform] = created;
      } catch (err) {
        deps.log.warn(
          `${settings.project}: when the ${platform} base (${short(digest)}) was built is not recorded: ${(err as Error).message}`,
        );
      }
    }),
  );
  return Object.keys(times).length ? times : undefined;
}

/**
 * The digest to build on: the tag's current digest upstream, or the pin FROM names. A pinned base is decided
 * from its pin; its tag is still looked up (when it has one), only to say whether the pin is behind. Each is
 * one GET of the manifest, which for an index lists every platform's manifest; a pin the tag still names is
 * read once.
 */
async function resolveBase(
  settings: ImageSettings,
  base: ImageRef,
  deps: CheckDeps,
): Promise<{ digest: string; platforms?: Record<string, string>; tagDigest?: string | null }> {
  const tagOnly: ImageRef = { registry: base.registry, repository: base.repository, tag: base.tag, digest: undefined };
  if (base.digest) {
    const byPin = () => deps.upstream.resolveBase({ ...tagOnly, digest: base.digest });
    if (!base.tag) return byPin();
    const tagged = await deps.upstream.resolveBase(tagOnly).catch((err: unknown) => {
      if (err instanceof NotFoundError) return null;
      throw err;
    });
    const pinned = tagged?.digest === base.digest ? tagged : await byPin();
    return { digest: base.digest, ...(pinned.platforms ? { platforms: pinned.platforms } : {}), tagDigest: tagged ? tagged.digest : null };
  }
  return deps.upstream.resolveBase(tagOnly).catch((err: unknown) => {
    // The user wrote that tag: point at the line to fix, not only at the registry URL.
    if (err instanceof NotFoundError) {
      throw new ConfigError(
        path.relative(settings.workspaceRoot, settings.dockerfile),
        'FROM',
        err.message,
        'check the repository and tag in FROM exist upstream (and in the registry mirror, when one is configured)',
      );
    }
    throw err;
  });
}

/**
 * The base manifest of each platform the image builds. A single manifest (not an index) is one image of one
 * platform, which only a single-platform image can build on: it stands for that platform.
 */
export function platformBases(
  settings: Pick<ImageSettings, 'platforms' | 'configFile' | 'dockerfile' | 'workspaceRoot'>,
  baseName: string,
  resolved: { digest: string; platforms?: Record<string, string> },
): Record<string, string> {
  const dockerfile = path.relative(settings.workspaceRoot, settings.dockerfile);
  if (!resolved.platforms) {
    if (settings.platforms.length > 1)
      throw new ConfigError(
        settings.configFile,
        'platforms',
        `${baseName} (FROM in ${dockerfile}) is a single image, not an image index, so it has no ${settings.platforms.join(', ')} images to build on`,
        `build FROM a multi-platform base in ${dockerfile}, or list one platform in platforms`,
      );
    return { [settings.platforms[0]]: resolved.digest };
  }
  const missing = settings.platforms.filter((p) => !resolved.platforms![p]);
  if (missing.length)
    throw new ConfigError(
      settings.configFile,
      'platforms',
      `${baseName} (FROM in ${dockerfile}) has no ${missing.join(', ')} image; its index lists ${Object.keys(resolved.platforms).sort().join(', ') || 'none'}`,
      `remove ${missing.join(', ')} from platforms, or build FROM a base published for ${missing.length === 1 ? 'it' : 'them'}`,
    );
  return Object.fromEntries([...settings.platforms].sort().map((p) => [p, resolved.platforms![p]]));
}

export async function checkImage(settings: ImageSettings, deps: CheckDeps): Promise<CheckRecord> {
  const { base, buildArgs: passedArgs } = dockerfileInputs(settings);
  const buildArgs = buildArgDigests(passedArgs);
  // The ECR reads do not wait for the upstream answer: checks of images sharing a repository then reach
  // each read together, and one call serves them all.
  const [
    { digest: baseDigest, platforms: indexPlatforms, tagDigest },
    ctxDigest,
    { repository, images, tags, newest, published, owedCards, stored },
  ] = await Promise.all([
    resolveBase(settings, base, deps),
    contextDigest(settings.context, settings.dockerfile, buildArgs),
    readPublished(settings, deps),
  ]);
  // Run tags are the product's own (staging-…, unannounced-…), never versions, however ecr.tag is spelt.
  const malformed = malformedVersionTags(
    settings.ecr.tag,
    tags.filter((tag) => !parseRunTag(tag)),
  );
  if (malformed.length) {
    deps.log.warn(
      `${settings.project}: ${settings.ecr.repository} has tags that are not versions this product writes; ignored: ${malformed.join(', ')}`,
    );
  }

  // A run that has work to do (a rebuild, or tags to finish) gets an id its later steps must match.
  const newRunId = deps.newRunId ?? randomRunId;
  const pinned = base.digest !== undefined;
  const basePlatformDigests = platformBases(settings, base.name, { digest: baseDigest, platforms: indexPlatforms });
  const decision = decideStaleness({
    force: settings.force,
    baseName: base.name,
    baseDigest,
    platforms: settings.platforms,
    basePlatformDigests,
    contextDigest: ctxDigest,
    buildArgs,
    published,
    pinned,
  });
  const record: CheckRecord = {
    project: settings.project,
    stale: decision.stale,
    reason: decision.reason,
    message: decision.message,
    base: {
      name: base.name,
      digest: baseDigest,
      pullRef: pullReference(base, baseDigest, settings.registryMirrors),
      platforms: basePlatformDigests,
    },
    contextDigest: ctxDigest,
    ...(Object.keys(buildArgs).length ? { buildArgs } : {}),
    published,
  };
  // For the status page: when the newest version was pushed (ECR's listing, already read) and when the
  // image's .NET line leaves support (with the workspace's corrections).
  const newestPushedAt = newest && images.find((image) => image.tags.includes(newest.tag))?.pushedAt;
  if (newestPushedAt) record.publishedAt = newestPushedAt.toISOString();
  const dotnetLine = dotnetLineOf(settings.projectRoot);
  const endOfSupport = dotnetLine && (settings.dotnetEndOfSupport[dotnetLine] ?? END_OF_SUPPORT[dotnetLine]);
  if (endOfSupport) record.dotnetEndOfSupport = endOfSupport;
  const warnings = [
    endOfSupportWarning(dotnetLineOf(settings.projectRoot), deps.now ?? new Date(), settings.dotnetEndOfSupport),
    pinned && tagDigest !== undefined ? pinBehindWarning(base.name, baseDigest, tagDigest ?? undefined) : undefined,
  ].filter((w): w is string => w !== undefined);
  if (warnings.length) record.warnings = warnings;
  for (const warning of warnings) deps.log.warn(`${settings.project}: ${warning}`);
  if (!decision.stale && repository && newest && published) {
    const newestDigest = images.find((image) => image.tags.includes(newest.tag))!.digest;
    const wanted = movingTagsFor(settings.ecr.extraTags, settings.ecr.latest, newest.version);
    const unfinished = unfinishedTags(wanted, images, newestDigest, repository.tagMutability, repository.mutableTagFilters);
    if (unfinished.length) {
      record.tagsToFinish = unfinished;
      record.runId = newRunId();
      record.message +=
        `; ${unfinished.join(', ')} still name${unfinished.length === 1 ? 's' : ''} an older image (a publish stopped half-way): ` +
        `ecr-publish moves ${unfinished.length === 1 ? 'it' : 'them'}`;
    }
    // From the listing already read: a publish that stopped before its SBOM was attached.
    if (sbomOwed(images, newestDigest)) {
      record.sbomOwed = { versionTag: newest.tag, digest: newestDigest };
      record.runId ??= newRunId();
      record.message += `; ${newest.tag} has no SBOM attached: ecr-publish attaches it`;
    }
  }
  if (decision.stale) {
    record.runId = newRunId();
    record.nextVersion = nextVersion(settings.ecr.tag, tags);
    const created = await baseCreatedTimes(settings, base, basePlatformDigests, deps);
    if (created) record.base.created = created;
  }
  // Is what runs still clean? Only when asked: otherwise the check sends no scan request.
  if (settings.check.reportFindings && repository && published)
    record.findings = await reportFindings(settings, repository, stored ? imageDigestsOf(stored) : [published.digest], deps);
  // What earlier runs left unfinished, from the listing already read: cards owed, and run tags nobody needs.
  const leftovers = leftoverTags(images, deps.now ?? new Date(), settings.cleanup.registryAfterMs);
  const notes: string[] = [];
  if (owedCards.length) {
    record.owedCards = owedCards;
    const versions = owedCards.map((o) => o.versionTag).join(', ');
    notes.push(
      `${versions} ${owedCards.length === 1 ? 'was' : 'were'} published by an earlier run that sent no card: ` +
        `teams-notify sends ${owedCards.length === 1 ? 'it' : 'them'}`,
    );
  }
  if (leftovers.length) {
    record.leftoverTags = leftovers;
    notes.push(
      `${leftovers.map((l) => l.tag).join(', ')} ${leftovers.length === 1 ? 'was' : 'were'} left by runs that stopped: ` +
        `ecr-publish removes ${leftovers.length === 1 ? 'it' : 'them'}`,
    );
  }
  if (notes.length && !decision.stale) {
    record.runId ??= newRunId();
    record.message += `; ${notes.join('; ')}`;
  }
  const todo = record.tagsToFinish || notes.length || record.sbomOwed;
  deps.log.info(
    decision.stale
      ? `${settings.project}: STALE (${decision.reason}): ${decision.message}; ` +
          `will build ${record.nextVersion!.tag} on ${base.name}@${short(baseDigest)}${notes.map((n) => `; ${n}`).join('')}`
      : `${settings.project}: CURRENT: ${record.message}${todo ? '' : '; nothing to do'}`,
  );
  return record;
}
