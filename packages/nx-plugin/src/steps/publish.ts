/**
 * ecr-publish: pushes the tested image under the next version tag, then `latest` and the extra tags.
 * The version is re-derived from the repository's full tag listing right before pushing; if another run
 * took it meanwhile, this run refuses instead of moving a published version.
 */
import type { ImageSettings } from '../config/settings';
import type { DockerCli } from '../lib/docker';
import type { Ecr } from '../lib/ecr';
import { UserError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { expandExtraTags, isValidTag } from '../lib/tags';
import { planMovingTags } from '../lib/tag-mutability';
import { nextVersion } from '../lib/versioning';
import type { BuildRecord, CheckRecord, PublishRecord, TestRecord } from './records';

export async function publishImage(
  settings: ImageSettings,
  check: CheckRecord,
  build: BuildRecord,
  test: TestRecord,
  deps: { docker: DockerCli; ecr: Ecr; log: Logger; env: Record<string, string | undefined>; now?: Date; write?: (chunk: string) => void },
): Promise<PublishRecord> {
  const { docker, ecr, log } = deps;
  if (!test.passed || test.imageId !== build.imageId) {
    throw new UserError(`${settings.project}: image ${build.imageId} has not passed its integration test; nothing is published`);
  }
  await docker.ensureEngine();
  if ((await docker.imageId(build.localTag!)) !== build.imageId) {
    throw new UserError(`${settings.project}: the tested image ${build.imageId} is no longer in this Docker engine`, `rerun the chain on one agent: nx run ${settings.project}:publish`);
  }

  // The account is configured, or learned from STS: named in the log and the record, and used as the
  // registry id of every later ECR call.
  const account = await ecr.accountId();
  const repository = (await ecr.findRepository(settings.ecr.repository)) ?? (await createRepository(settings, ecr, log));
  const existing = (await ecr.listImages(repository.name)).flatMap((image) => image.tags);
  const next = nextVersion(settings.ecr.tag, existing);
  if (next.tag !== check.nextVersion?.tag) {
    throw new UserError(
      `${settings.project}: ${check.nextVersion?.tag} was published by another run while this one built and tested; nothing was pushed`,
      'rerun: the check will build and publish the next version',
    );
  }
  const { tags: extraTags, skipped } = expandExtraTags(settings.ecr.extraTags, { version: next.version, env: deps.env, now: deps.now ?? new Date() });
  for (const tag of extraTags) {
    if (!isValidTag(tag)) throw new UserError(`${settings.configFile}: ecr.extraTags: "${tag}" is not a valid Docker tag after filling placeholders`);
  }
  if (skipped.length) log.warn(`${settings.project}: extra tags ${skipped.join(', ')} skipped: their placeholders have no value outside Azure Pipelines`);
  const wanted = [...(settings.ecr.latest ? ['latest'] : []), ...extraTags.filter((t) => t !== 'latest' && t !== next.tag)];
  const { push: movingTags, blocked } = planMovingTags(wanted, existing, repository.tagMutability, repository.mutableTagFilters);
  if (blocked.length) {
    log.warn(
      `${settings.project}: ${repository.name} is ${repository.tagMutability}: ${blocked.join(', ')} cannot move to ${next.tag} and still name the previous image. ` +
        `To let them move, make the repository IMMUTABLE_WITH_EXCLUSION with WILDCARD exclusion filters for them ` +
        `(aws ecr put-image-tag-mutability --repository-name ${repository.name} --image-tag-mutability IMMUTABLE_WITH_EXCLUSION ` +
        `--image-tag-mutability-exclusion-filters ${blocked.map((t) => `filterType=WILDCARD,filter=${t}`).join(' ')})`,
    );
  }

  const login = await ecr.login();
  const write = deps.write ?? ((chunk: string) => process.stdout.write(chunk));
  const digest = await docker.withLogin(login.registry, login.username, login.password, async (configDir) => {
    // The version tag goes first: if a later push fails, what is published is complete and versioned,
    // and the moving tags still point at the previous version.
    const versionRef = `${repository.uri}:${next.tag}`;
    await docker.tag(build.localTag!, versionRef);
    const pushed = await docker.push(versionRef, configDir, write);
    for (const tag of movingTags) {
      const ref = `${repository.uri}:${tag}`;
      await docker.tag(build.localTag!, ref);
      const movedDigest = await docker.push(ref, configDir, write);
      if (movedDigest !== pushed) throw new UserError(`${settings.project}: ${ref} was stored as ${movedDigest}, not ${pushed}`);
    }
    return pushed;
  });
  // Published: the local references have served their purpose. Dropping them keeps long-lived agents
  // from collecting one image per run (layers still shared by other images stay).
  for (const ref of [build.localTag!, ...[next.tag, ...movingTags].map((tag) => `${repository.uri}:${tag}`)]) await docker.removeImage(ref);
  const tags = [next.tag, ...movingTags];
  log.info(`${settings.project}: published ${repository.uri}:${next.tag} (${digest}) with tags ${tags.join(', ')} in account ${account}`);
  return { runId: check.runId, published: true, account, repositoryUri: repository.uri, digest, versionTag: next.tag, version: next.version, tags, skippedTags: skipped, ...(blocked.length ? { blockedTags: blocked } : {}) };
}

async function createRepository(settings: ImageSettings, ecr: Ecr, log: Logger) {
  log.info(`${settings.project}: creating ECR repository ${settings.ecr.repository} (scan on push: ${settings.ecr.scanOnPush ? 'on' : 'off'})`);
  return ecr.createRepository(settings.ecr.repository, settings.ecr.scanOnPush);
}
