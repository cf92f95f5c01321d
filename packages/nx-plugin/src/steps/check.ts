/** mcr-check: is the platform image current? The registry decides, not the Nx cache. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ImageSettings } from '../config/settings';
import { contextDigest } from '../lib/context-digest';
import { dotnetLineOf, endOfSupportWarning } from '../lib/dotnet-support';
import { finalBaseImage, parseDockerfile } from '../lib/dockerfile';
import type { Ecr, EcrLogin } from '../lib/ecr';
import { ConfigError } from '../lib/errors';
import { parseImageRef, pullReference, type ImageRef } from '../lib/image-ref';
import { LABELS } from '../lib/labels';
import type { Logger } from '../lib/log';
import { decideStaleness, short, type PublishedRecord } from '../lib/staleness';
import { nextVersion, versionTags } from '../lib/versioning';
import type { CheckRecord } from './records';

export interface UpstreamRegistry {
  resolveDigest(ref: ImageRef): Promise<string>;
}

export interface PublishedReader {
  imageLabels(ref: ImageRef): Promise<{ digest: string; labels: Record<string, string> }>;
}

export interface CheckDeps {
  upstream: UpstreamRegistry;
  ecr: Ecr;
  /** Reads labels from the ECR registry with the given login. */
  published: (login: EcrLogin) => PublishedReader;
  log: Logger;
  newRunId?: () => string;
  now?: Date;
}

export function baseImageOf(settings: ImageSettings): ImageRef & { name: string } {
  const file = path.relative(settings.workspaceRoot, settings.dockerfile);
  let image: string;
  try {
    image = finalBaseImage(parseDockerfile(readFileSync(settings.dockerfile, 'utf8'))).image;
  } catch (err) {
    throw new ConfigError(file, 'FROM', (err as Error).message, 'start the final stage FROM the upstream image, e.g. FROM mcr.microsoft.com/dotnet/runtime:8.0');
  }
  try {
    return { ...parseImageRef(image), name: image };
  } catch (err) {
    throw new ConfigError(file, 'FROM', (err as Error).message);
  }
}

export async function checkImage(settings: ImageSettings, deps: CheckDeps): Promise<CheckRecord> {
  const base = baseImageOf(settings);
  const [baseDigest, ctxDigest, repository] = await Promise.all([
    deps.upstream.resolveDigest(base),
    contextDigest(settings.context, settings.dockerfile),
    deps.ecr.findRepository(settings.ecr.repository),
  ]);

  const tags = repository ? (await deps.ecr.listImages(repository.name)).flatMap((image) => image.tags) : [];
  const [newest] = versionTags(settings.ecr.tag, tags);
  let published: PublishedRecord | undefined;
  if (repository && newest) {
    const reader = deps.published(await deps.ecr.login());
    const { digest, labels } = await reader.imageLabels({ registry: repository.registry, repository: repository.name, tag: newest.tag });
    published = {
      versionTag: newest.tag,
      digest,
      baseName: labels[LABELS.baseName],
      baseDigest: labels[LABELS.baseDigest],
      contextDigest: labels[LABELS.contextDigest],
    };
  }

  const decision = decideStaleness({ force: settings.force, baseName: base.name, baseDigest, contextDigest: ctxDigest, published });
  const record: CheckRecord = {
    project: settings.project,
    stale: decision.stale,
    reason: decision.reason,
    message: decision.message,
    base: { name: base.name, digest: baseDigest, pullRef: pullReference(base, baseDigest, settings.registryMirrors) },
    contextDigest: ctxDigest,
    published,
  };
  const eol = endOfSupportWarning(dotnetLineOf(settings.projectRoot), deps.now ?? new Date(), settings.dotnetEndOfSupport);
  if (eol) {
    record.warnings = [eol];
    deps.log.warn(`${settings.project}: ${eol}`);
  }
  if (decision.stale) {
    record.runId = (deps.newRunId ?? (() => randomBytes(8).toString('hex')))();
    record.nextVersion = nextVersion(settings.ecr.tag, tags);
  }
  deps.log.info(
    decision.stale
      ? `${settings.project}: STALE (${decision.reason}): ${decision.message}; will build ${record.nextVersion!.tag} on ${base.name}@${short(baseDigest)}`
      : `${settings.project}: CURRENT: ${decision.message}; nothing to do`,
  );
  return record;
}
