/** docker-build: builds the platform image FROM exactly the base digest the check resolved. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ImageSettings } from '../config/settings';
import { checkedBuild } from '../lib/build-warnings';
import type { DockerCli } from '../lib/docker';
import { parseDockerfile, passedBuildArgs } from '../lib/dockerfile';
import { finalBaseImage, pinBaseImage, withLabelInstruction } from '../lib/dockerfile-rewrite';
import { UserError } from '../types/errors';
import { sameImageName } from '../types/image-ref';
import { imageInputs } from '../lib/labels';
import { LABELS } from '../types/annotations';
import { DEFAULT_PLATFORMS, platformSlug } from '../types/platforms';
import { candidateImage, tempDirPrefix, thisProcess, thisRun, type Owner } from '../lib/local-leftovers';
import type { Logger } from '../lib/log';
import type { BuildRecord, CheckRecord, PlatformCandidate } from './records';

export interface SourceInfo {
  revision?: string;
  source?: string;
}

export function imageLabels(check: CheckRecord, source: SourceInfo, now: Date): Record<string, string> {
  const labels: Record<string, string> = {
    ...imageInputs(check),
    [LABELS.created]: now.toISOString(),
    [LABELS.version]: check.nextVersion?.tag ?? '',
  };
  if (source.revision) labels[LABELS.revision] = source.revision;
  if (source.source) labels[LABELS.source] = source.source;
  return labels;
}

/** The candidate's local name: the run's own, with the nx process that runs it (see lib/local-leftovers.ts). */
export function localImageTag(project: string, runId: string, runOwner?: Owner, platform?: string): string {
  return candidateImage(project, runId, runOwner ?? thisRun(), platform ? platformSlug(platform) : undefined);
}

/** What one platform's build starts FROM, and which `--platform` it names (none for a default single-platform image). */
export interface PlatformBuildPlan {
  platform: string;
  /** The base pinned by digest: the platform's own manifest for a multi-platform image, the checked digest otherwise. */
  pullRef: string;
  baseDigest: string;
  /** `--platform`, when the build must name it. */
  flag?: string;
  /** Names the platform in the candidate's local name (multi-platform images only). */
  multi: boolean;
}

/**
 * One build per platform. A multi-platform image builds each platform FROM that platform's manifest of the
 * checked index, pinned by its digest, so no builder picks a manifest of its own; a single-platform image keeps
 * building FROM the checked digest, naming its platform only when it is not the default.
 */
export function platformBuilds(platforms: readonly string[], base: CheckRecord['base']): PlatformBuildPlan[] {
  const multi = platforms.length > 1;
  return platforms.map((platform) => {
    const own = base.platforms?.[platform];
    if (multi && !own)
      throw new UserError(
        `the check recorded no ${platform} manifest of ${base.name}`,
        'rerun the chain, from the check: the check records each platform the image builds',
      );
    const digest = multi ? own! : base.digest;
    return {
      platform,
      pullRef: multi ? base.pullRef.replace(/@sha256:[0-9a-f]{64}$/, `@${digest}`) : base.pullRef,
      baseDigest: own ?? base.digest,
      ...(multi || !DEFAULT_PLATFORMS.includes(platform) ? { flag: platform } : {}),
      multi,
    };
  });
}

export async function buildImage(
  settings: ImageSettings,
  check: CheckRecord,
  deps: { docker: DockerCli; log: Logger; source: SourceInfo; now?: Date; runOwner?: Owner },
): Promise<BuildRecord> {
  await deps.docker.ensureEngine();
  const builder = await deps.docker.resolveBuilder(settings.docker.builder);
  const source = readFileSync(settings.dockerfile, 'utf8');
  // Read with the same build args as the check, the Dockerfile names the base the check resolved; it is
  // pinned to the digest checked, so the build args passed below cannot move it.
  const parsed = parseDockerfile(source, { buildArgs: settings.buildArgs });
  const { image } = finalBaseImage(parsed);
  if (!sameImageName(image, check.base.name)) {
    throw new UserError(
      `${settings.project}: ${path.relative(settings.workspaceRoot, settings.dockerfile)} now builds on ${image}, but the check resolved ${check.base.name}`,
      `rerun the chain, from the check: nx run ${settings.project}:publish`,
    );
  }
  const labels = imageLabels(check, deps.source, deps.now ?? new Date());
  const buildArgs = passedBuildArgs(parsed, settings.buildArgs);
  const candidates: PlatformCandidate[] = [];
  for (const plan of platformBuilds(settings.platforms, check.base)) {
    const tag = localImageTag(settings.project, check.runId!, deps.runOwner, plan.multi ? plan.platform : undefined);
    const dir = mkdtempSync(path.join(tmpdir(), tempDirPrefix('build', thisProcess())));
    try {
      const dockerfile = path.join(dir, 'Dockerfile');
      const pinned = pinBaseImage(source, plan.pullRef, settings.buildArgs, settings.registryMirrors);
      // The classic builder makes each --label a step of its own (a container created and committed, about
      // 0.1 s each); one LABEL instruction at the end of the temporary copy is one step. BuildKit applies
      // --label to the image's config without a step, so it keeps the flags.
      const labelled = builder === 'classic' ? withLabelInstruction(pinned, labels) : undefined;
      writeFileSync(dockerfile, labelled ?? pinned);
      deps.log.info(
        `${settings.project}: building ${check.nextVersion?.tag}${plan.multi ? ` for ${plan.platform}` : ''} FROM ${plan.pullRef} with the ${builder} builder`,
      );
      const imageId = await checkedBuild(
        deps.docker,
        builder,
        {
          dockerfile,
          context: settings.context,
          tag,
          buildArgs,
          ...(labelled ? {} : { labels }),
          iidFile: path.join(dir, 'iid'),
          ...(plan.flag ? { platform: plan.flag } : {}),
        },
        `${settings.project} (${path.relative(settings.workspaceRoot, settings.dockerfile)}${plan.multi ? `, ${plan.platform}` : ''})`,
        deps.log.command(`${settings.project}: docker build${plan.multi ? ` for ${plan.platform}` : ''}`),
      );
      deps.log.info(`${settings.project}: built ${imageId} as ${tag}`);
      candidates.push({ platform: plan.platform, imageId, localTag: tag, baseDigest: plan.baseDigest });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const [first] = candidates;
  return {
    runId: check.runId,
    built: true,
    imageId: first.imageId,
    localTag: first.localTag,
    versionTag: check.nextVersion?.tag,
    builder,
    ...(candidates.length > 1 ? { platforms: candidates } : {}),
  };
}
