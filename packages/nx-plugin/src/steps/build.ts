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
import { candidateImage, tempDirPrefix, thisProcess, thisRun, type Owner } from '../lib/local-leftovers';
import type { Logger } from '../lib/log';
import type { BuildRecord, CheckRecord } from './records';

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
export function localImageTag(project: string, runId: string, runOwner?: Owner): string {
  return candidateImage(project, runId, runOwner ?? thisRun());
}

export async function buildImage(
  settings: ImageSettings,
  check: CheckRecord,
  deps: { docker: DockerCli; log: Logger; source: SourceInfo; write?: (chunk: string) => void; now?: Date; runOwner?: Owner },
): Promise<BuildRecord> {
  await deps.docker.ensureEngine();
  const builder = await deps.docker.resolveBuilder(settings.docker.builder);
  const tag = localImageTag(settings.project, check.runId!, deps.runOwner);
  const dir = mkdtempSync(path.join(tmpdir(), tempDirPrefix('build', thisProcess())));
  try {
    const dockerfile = path.join(dir, 'Dockerfile');
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
    const pinned = pinBaseImage(source, check.base.pullRef, settings.buildArgs, settings.registryMirrors);
    const labels = imageLabels(check, deps.source, deps.now ?? new Date());
    // The classic builder makes each --label a step of its own (a container created and committed, about
    // 0.1 s each); one LABEL instruction at the end of the temporary copy is one step. BuildKit applies
    // --label to the image's config without a step, so it keeps the flags.
    const labelled = builder === 'classic' ? withLabelInstruction(pinned, labels) : undefined;
    writeFileSync(dockerfile, labelled ?? pinned);
    const buildArgs = passedBuildArgs(parsed, settings.buildArgs);
    deps.log.info(`${settings.project}: building ${check.nextVersion?.tag} FROM ${check.base.pullRef} with the ${builder} builder`);
    const imageId = await checkedBuild(
      deps.docker,
      builder,
      { dockerfile, context: settings.context, tag, buildArgs, ...(labelled ? {} : { labels }), iidFile: path.join(dir, 'iid') },
      `${settings.project} (${path.relative(settings.workspaceRoot, settings.dockerfile)})`,
      deps.write ?? ((chunk) => process.stdout.write(chunk)),
    );
    deps.log.info(`${settings.project}: built ${imageId} as ${tag}`);
    return { runId: check.runId, built: true, imageId, localTag: tag, versionTag: check.nextVersion?.tag, builder };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
