/**
 * The ECR operations the stand-in answers, each taking the request's JSON input and giving ECR's answer or
 * throwing the AwsError ECR would. What is in a repository is read from its backing registry on every call.
 */
import type { ExclusionFilter, MutabilitySetting } from '../ecr-tag-rules';
import { immutableTagMessage, isTagImmutable } from '../ecr-tag-rules';
import { type Account, accountOf } from './accounts';
import { AwsError, type ImageId, imageNotFound, putImageError, repositoryNotFound } from './aws-errors';
import { findImage, type Image, loadImages } from './images';
import type { Log } from './log';
import type { RepositoryMeta } from './meta-store';
import type { RegistryAuth } from './registry-auth';
import { type Scanning, scanningOperations } from './scanning';
import {
  byTagStatus,
  checkName,
  imageIdsOf,
  type Json,
  mutabilityOf,
  type OperationContext,
  page,
  putImageRequest,
  requiredString,
  scanOnPushOf,
} from './requests';
import { referrerOf } from './referrers';
import type { TagHistory } from './tag-history';

/** ECR's answer: at once from the stand-in's own state, or once the backing registry has answered. */
export type Operation = (input: Json, ctx: OperationContext) => Json | Promise<Json>;

export interface OperationDeps {
  /** The caller's own account, first among `accounts`. */
  caller: Account;
  accounts: readonly Account[];
  auth: RegistryAuth;
  history: TagHistory;
  /** Epoch seconds: the pushed-at time of images older than any record. */
  startedAt: number;
  log: Log;
  scanning: Scanning;
}

/** The mutability fields of an ECR answer; the filters only when there are some, as ECR leaves them out. */
function mutabilityOut(repo: MutabilitySetting): Json {
  return {
    imageTagMutability: repo.imageTagMutability,
    ...(repo.exclusionFilters.length
      ? { imageTagMutabilityExclusionFilters: repo.exclusionFilters.map((f: ExclusionFilter) => ({ ...f })) }
      : {}),
  };
}

function repositoryOut(acct: Account, name: string, repo: RepositoryMeta, ctx: OperationContext): Json {
  return {
    repositoryArn: `arn:aws:ecr:${ctx.region}:${acct.id}:repository/${name}`,
    registryId: acct.id,
    repositoryName: name,
    // The account's own registry host: `<account>.dkr.ecr.<region>.amazonaws.com/<name>` in AWS.
    repositoryUri: `${acct.registryHost}/${name}`,
    createdAt: repo.createdAt,
    ...mutabilityOut(repo),
    imageScanningConfiguration: { scanOnPush: repo.scanOnPush },
    encryptionConfiguration: { encryptionType: 'AES256' },
  };
}

function imageDetail(name: string, registryId: string, image: Image): Json {
  const detail: Json = {
    registryId,
    repositoryName: name,
    imageDigest: image.digest,
    imageSizeInBytes: image.size,
    imagePushedAt: image.pushedAt,
    imageManifestMediaType: image.manifest.mediaType,
  };
  if (image.tags.length) detail.imageTags = image.tags;
  if (image.manifest.config?.mediaType) detail.artifactMediaType = image.manifest.config.mediaType;
  // "The digest of the subject manifest for images that are referrers" (ECR API reference, ImageDetail).
  if (image.manifest.subject?.digest) detail.subjectManifestDigest = image.manifest.subject.digest;
  return detail;
}

function describeMutability(setting: MutabilitySetting): string {
  return setting.exclusionFilters.length
    ? `${setting.imageTagMutability} except ${setting.exclusionFilters.map((f) => f.filter).join(', ')}`
    : setting.imageTagMutability;
}

export function ecrOperations(deps: OperationDeps): Record<string, Operation> {
  const { caller, accounts, auth, history, startedAt, log, scanning } = deps;
  const account = (input: Json, ctx: OperationContext): Account => accountOf(accounts, caller, input, ctx);
  const images = (acct: Account, name: string): Promise<Image[]> => loadImages(acct, name, startedAt);

  /** The named repository, which must have been created through CreateRepository. */
  function existingRepository(
    input: Json,
    ctx: OperationContext,
  ): { acct: Account; name: string; registryId: string; repo: RepositoryMeta } {
    const acct = account(input, ctx);
    const registryId = acct.id;
    const name = requiredString(input, 'repositoryName');
    const repo = acct.meta.get(checkName(name));
    if (!repo) throw repositoryNotFound(name, registryId);
    return { acct, name, registryId, repo };
  }

  return {
    GetAuthorizationToken() {
      // "The authorization token … can be used to access any Amazon ECR registry that your IAM principal has
      // access to"; `registryIds` "has been deprecated" and "doesn't change the permissions scope of the
      // authorization token" (ECR API reference, GetAuthorizationToken; the SDK models' deprecation note).
      // So it is ignored, and proxyEndpoint is always the caller's own registry, whichever registry a
      // client is about to push to.
      const { authorizationToken, expiresAt } = auth.token();
      return { authorizationData: [{ authorizationToken, expiresAt, proxyEndpoint: `http://${caller.registryHost}` }] };
    },

    CreateRepository(input, ctx) {
      const acct = account(input, ctx);
      const registryId = acct.id;
      const name = requiredString(input, 'repositoryName');
      checkName(name);
      if (acct.meta.get(name)) {
        throw new AwsError(
          'RepositoryAlreadyExistsException',
          `The repository with name '${name}' already exists in the registry with id '${registryId}'`,
        );
      }
      const repo = acct.meta.create(name, mutabilityOf(input, 'MUTABLE'), scanOnPushOf(input));
      log(`CreateRepository ${registryId}/${name} (${describeMutability(repo)}, scanOnPush=${repo.scanOnPush})`);
      return { repository: repositoryOut(acct, name, repo, ctx) };
    },

    DescribeRepositories(input, ctx) {
      const acct = account(input, ctx);
      const registryId = acct.id;
      const meta = acct.meta;
      const wanted = input.repositoryNames;
      let names: string[];
      if (Array.isArray(wanted) && wanted.length) {
        names = wanted.map((n) => checkName(String(n), 'repositoryNames'));
        const missing = names.find((n) => !meta.get(n));
        if (missing !== undefined) throw repositoryNotFound(missing, registryId);
      } else {
        names = meta.names();
      }
      const { items, nextToken } = page(names, input, 100);
      return {
        repositories: items.map((n) => repositoryOut(acct, n, meta.get(n) as RepositoryMeta, ctx)),
        ...(nextToken ? { nextToken } : {}),
      };
    },

    async DeleteRepository(input, ctx) {
      const { acct, name, registryId, repo } = existingRepository(input, ctx);
      const found = await images(acct, name);
      if (found.length && input.force !== true) {
        throw new AwsError(
          'RepositoryNotEmptyException',
          `The repository with name '${name}' in registry with id '${registryId}' cannot be deleted because it still contains images`,
        );
      }
      for (const image of found) await acct.registry.deleteManifest(name, image.digest);
      acct.storage.removeRepository(name);
      const out = repositoryOut(acct, name, repo, ctx);
      acct.meta.delete(name);
      log(`DeleteRepository ${name} (${found.length} images)`);
      return { repository: out };
    },

    async DescribeImages(input, ctx) {
      const { acct, name, registryId } = existingRepository(input, ctx);
      const all = await images(acct, name);
      const ids = imageIdsOf(input);
      if (ids) {
        const found = ids.map((id) => {
          const image = findImage(all, id);
          if (!image) throw imageNotFound(id, name, registryId);
          return image;
        });
        const unique = [...new Map(found.map((image) => [image.digest, image])).values()];
        return { imageDetails: unique.map((image) => imageDetail(name, registryId, image)) };
      }
      const { items, nextToken } = page(byTagStatus(all, input), input, 100);
      return { imageDetails: items.map((image) => imageDetail(name, registryId, image)), ...(nextToken ? { nextToken } : {}) };
    },

    async ListImages(input, ctx) {
      const { acct, name } = existingRepository(input, ctx);
      const ids: ImageId[] = [];
      for (const image of byTagStatus(await images(acct, name), input)) {
        if (image.tags.length) for (const tag of image.tags) ids.push({ imageDigest: image.digest, imageTag: tag });
        else ids.push({ imageDigest: image.digest });
      }
      const { items, nextToken } = page(ids, input, 100);
      return { imageIds: items, ...(nextToken ? { nextToken } : {}) };
    },

    async BatchGetImage(input, ctx) {
      const { acct, name, registryId } = existingRepository(input, ctx);
      const ids = imageIdsOf(input) ?? [];
      const all = await images(acct, name);
      const found: Json[] = [];
      const failures: Json[] = [];
      for (const id of ids) {
        const image = findImage(all, id);
        if (image) {
          found.push({
            registryId,
            repositoryName: name,
            imageId: { imageDigest: image.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
            imageManifest: image.manifest.body.toString('utf8'),
            imageManifestMediaType: image.manifest.mediaType,
          });
        } else if (id.imageDigest !== undefined && id.imageTag !== undefined && findImage(all, { imageTag: id.imageTag })) {
          failures.push({
            imageId: id,
            failureCode: 'ImageTagDoesNotMatchDigest',
            failureReason: 'Invalid image digest for the image tag',
          });
        } else {
          failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
        }
      }
      return { images: found, failures };
    },

    async BatchDeleteImage(input, ctx) {
      const { acct, name } = existingRepository(input, ctx);
      const ids = imageIdsOf(input) ?? [];
      const deleted: ImageId[] = [];
      const failures: Json[] = [];
      for (const id of ids) {
        // Reloaded for each id: an earlier deletion may have removed this one's image or tag.
        const image = findImage(await images(acct, name), id);
        if (!image) {
          failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
          continue;
        }
        if (id.imageTag !== undefined && image.tags.length > 1) {
          acct.storage.untag(name, id.imageTag);
          deleted.push({ imageDigest: image.digest, imageTag: id.imageTag });
        } else {
          await acct.registry.deleteManifest(name, image.digest);
          acct.meta.forgetManifest(name, image.digest);
          if (image.tags.length) for (const tag of image.tags) deleted.push({ imageDigest: image.digest, imageTag: tag });
          else deleted.push({ imageDigest: image.digest });
        }
      }
      log(`BatchDeleteImage ${name}: ${deleted.length} deleted, ${failures.length} failed`);
      return { imageIds: deleted, failures };
    },

    async PutImageTagMutability(input, ctx) {
      const { acct, name, registryId } = existingRepository(input, ctx);
      const setting = mutabilityOf(input);
      // Under the repository's lock, so a push being checked right now sees the old setting or the new one whole.
      await acct.locks.run(name, () => {
        acct.meta.update(name, (repo) => {
          repo.imageTagMutability = setting.imageTagMutability;
          repo.exclusionFilters = setting.exclusionFilters;
        });
        return Promise.resolve();
      });
      log(`PutImageTagMutability ${name} ${describeMutability(setting)}`);
      return { registryId, repositoryName: name, ...mutabilityOut(setting) };
    },

    async PutImage(input, ctx) {
      const { acct, name, registryId } = existingRepository(input, ctx);
      const { manifestText, body, digest, mediaType, tag } = putImageRequest(input);

      return acct.locks.run(name, async () => {
        const repo = acct.meta.get(name);
        if (!repo) throw repositoryNotFound(name, registryId);
        let previous: string | undefined;
        if (tag !== undefined) {
          previous = await acct.registry.resolveTag(name, tag);
          if (previous === digest) {
            throw new AwsError(
              'ImageAlreadyExistsException',
              `Image with digest '${digest}' and tag '${tag}' already exists in the repository with name '${name}' in registry with id '${registryId}'`,
            );
          }
          if (previous !== undefined && isTagImmutable(repo, tag)) {
            log(`PutImage refused ${name}:${tag} (immutable, has ${previous}, given ${digest})`);
            throw new AwsError('ImageTagAlreadyExistsException', immutableTagMessage(name, tag));
          }
        } else if (acct.storage.revisions(name).has(digest)) {
          throw new AwsError(
            'ImageAlreadyExistsException',
            `Image with digest '${digest}' already exists in the repository with name '${name}' in registry with id '${registryId}'`,
          );
        }
        // The backing registry checks that every blob (or, for an index, every manifest) it refers to is there.
        const res = await acct.registry.putManifest(name, tag ?? digest, mediaType, body);
        if (res.status !== 201) throw putImageError(res, name, registryId, mediaType);
        acct.meta.recordPush(name, digest);
        scanning.pushed(acct, name, digest);
        // ECR's registry proxy stores pushes through PutImage: a subject given this way is a referrer too.
        const referrer = referrerOf(body, digest, mediaType);
        if (referrer) acct.meta.recordReferrer(name, referrer.subject, referrer.record);
        if (tag !== undefined) history.record(acct.id, name, tag, digest, previous, 'PutImage');
        log(`PutImage ${name}${tag !== undefined ? `:${tag}` : ''} ${digest}`);
        return {
          image: {
            registryId,
            repositoryName: name,
            imageId: { imageDigest: digest, ...(tag !== undefined ? { imageTag: tag } : {}) },
            imageManifest: manifestText,
            imageManifestMediaType: mediaType,
          },
        };
      });
    },

    ...scanningOperations(scanning, {
      caller,
      existingRepository,
      digestOf: async (acct, name, input) => {
        const id = imageIdsOf({ imageIds: [input.imageId] })?.[0] ?? {};
        const image = findImage(await images(acct, name), id);
        if (!image) throw imageNotFound(id, name, acct.id);
        return image.digest;
      },
    }),

    PutImageScanningConfiguration(input, ctx) {
      const { acct, name, registryId } = existingRepository(input, ctx);
      const scanOnPush = scanOnPushOf(input);
      acct.meta.update(name, (repo) => {
        repo.scanOnPush = scanOnPush;
      });
      return { registryId, repositoryName: name, imageScanningConfiguration: { scanOnPush } };
    },
  };
}
