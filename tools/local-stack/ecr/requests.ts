/**
 * What ECR API requests must look like: field types, repository names, page tokens, image ids, tag status
 * filters, mutability settings and PutImage's manifest. Each check throws the AwsError ECR answers with.
 */
// The repository name pattern ECR documents (ECR API reference, CreateRepository, repositoryName), which the
// product's vocabulary holds for its own checks too.
import { REPOSITORY_NAME } from '../../../packages/nx-plugin/src/types/tags';
import { InvalidMutabilityError, type Mutability, type MutabilitySetting, parseMutabilitySetting } from '../ecr-tag-rules';
import { AwsError, type ImageId, invalidParameter } from './aws-errors';
import { manifestDigest } from './backing-registry';

export type Json = Record<string, unknown>;

/** What an operation knows about the call besides its input. */
export interface OperationContext {
  region: string;
  operation: string;
  /** Who signed the request, for access-denied messages. */
  callerArn: string;
}

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function optionalString(input: Json, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(key, 'must be a string');
  return value;
}

export function requiredString(input: Json, key: string): string {
  const value = optionalString(input, key);
  if (value === undefined) throw invalidParameter(key, 'must not be null');
  return value;
}

export function checkName(name: string, field = 'repositoryName'): string {
  if (name.length < 2 || name.length > 256 || !REPOSITORY_NAME.test(name)) {
    throw invalidParameter(field, `must satisfy regular expression '${REPOSITORY_NAME.source.slice(1, -1)}'`);
  }
  return name;
}

/** The mutability a CreateRepository (fallback MUTABLE) or PutImageTagMutability (none: required) asks for. */
export function mutabilityOf(input: Json, fallback?: Mutability): MutabilitySetting {
  try {
    return parseMutabilitySetting(input.imageTagMutability, input.imageTagMutabilityExclusionFilters, fallback);
  } catch (err) {
    if (err instanceof InvalidMutabilityError) throw new AwsError('InvalidParameterException', err.message);
    throw err;
  }
}

export function scanOnPushOf(input: Json): boolean {
  return ((input.imageScanningConfiguration ?? {}) as Json).scanOnPush === true;
}

/** Opaque page tokens: the offset into a stable ordering. */
export function page<T>(items: T[], input: Json, defaultSize: number): { items: T[]; nextToken?: string } {
  const max = input.maxResults;
  if (max !== undefined && max !== null && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000)) {
    throw invalidParameter('maxResults', 'Member must have value between 1 and 1000');
  }
  const size = typeof max === 'number' ? max : defaultSize;
  let offset = 0;
  const token = optionalString(input, 'nextToken');
  if (token !== undefined) {
    try {
      const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
      if (typeof decoded.offset !== 'number' || !Number.isInteger(decoded.offset) || decoded.offset < 0) throw new Error('bad offset');
      offset = decoded.offset;
    } catch {
      throw invalidParameter('nextToken', 'The token is not valid');
    }
  }
  const slice = items.slice(offset, offset + size);
  const end = offset + slice.length;
  return end < items.length
    ? { items: slice, nextToken: Buffer.from(JSON.stringify({ offset: end })).toString('base64url') }
    : { items: slice };
}

export function imageIdsOf(input: Json): ImageId[] | undefined {
  const ids = input.imageIds;
  if (ids === undefined || ids === null) return undefined;
  if (!Array.isArray(ids)) throw invalidParameter('imageIds', 'must be a list');
  return ids.map((raw: unknown) => {
    const id = (raw ?? {}) as Json;
    const imageDigest = optionalString(id, 'imageDigest');
    const imageTag = optionalString(id, 'imageTag');
    if (imageDigest === undefined && imageTag === undefined) {
      throw invalidParameter('imageIds', 'imageId must have imageDigest or imageTag');
    }
    return { imageDigest, imageTag };
  });
}

/** The images `filter.tagStatus` keeps: TAGGED, UNTAGGED, or ANY (the default). */
export function byTagStatus<T extends { tags: string[] }>(images: T[], input: Json): T[] {
  const status = ((input.filter ?? {}) as Json).tagStatus;
  if (status === undefined || status === null || status === 'ANY') return images;
  if (status === 'TAGGED') return images.filter((image) => image.tags.length > 0);
  if (status === 'UNTAGGED') return images.filter((image) => image.tags.length === 0);
  throw invalidParameter('filter.tagStatus', 'Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]');
}

export interface PutImageRequest {
  manifestText: string;
  /** The manifest's bytes, whose digest names the image. */
  body: Buffer;
  digest: string;
  mediaType: string;
  tag?: string;
}

/** PutImage's manifest, media type, tag and digest, checked in the order ECR checks them. */
export function putImageRequest(input: Json): PutImageRequest {
  const manifestText = requiredString(input, 'imageManifest');
  const body = Buffer.from(manifestText, 'utf8');
  if (!manifestText.length || body.length > MAX_MANIFEST_BYTES) {
    throw invalidParameter('imageManifest', `Member must have length between 1 and ${MAX_MANIFEST_BYTES}`);
  }
  const tag = optionalString(input, 'imageTag');
  if (tag !== undefined && (tag.length < 1 || tag.length > 300)) {
    throw invalidParameter('imageTag', 'Member must have length between 1 and 300');
  }
  let parsed: { mediaType?: unknown };
  try {
    parsed = JSON.parse(manifestText) as { mediaType?: unknown };
  } catch {
    throw invalidParameter('ImageManifest', 'Invalid JSON syntax');
  }
  const declared = typeof parsed?.mediaType === 'string' ? parsed.mediaType : undefined;
  const given = optionalString(input, 'imageManifestMediaType');
  if (given !== undefined && declared !== undefined && given !== declared) {
    throw invalidParameter('imageManifestMediaType', `Manifest media type ${declared} does not match the provided media type ${given}`);
  }
  const mediaType = given ?? declared;
  if (mediaType === undefined) {
    throw invalidParameter('imageManifestMediaType', 'must be given when the manifest has no mediaType field');
  }
  const digest = manifestDigest(body);
  const wanted = optionalString(input, 'imageDigest');
  if (wanted !== undefined && wanted !== digest) {
    throw new AwsError(
      'ImageDigestDoesNotMatchException',
      `The image digest '${wanted}' does not match the digest '${digest}' calculated for the image manifest`,
    );
  }
  return { manifestText, body, digest, mediaType, ...(tag !== undefined ? { tag } : {}) };
}
