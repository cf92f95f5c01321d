/** The errors the ECR API answers with, `{"__type": type, "message": …}`, shaped and worded as ECR's. */
import { isIndexMediaType } from '../media-types';
import { type BackendResponse, unexpected } from './backing-registry';

export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface ImageId {
  imageDigest?: string;
  imageTag?: string;
}

/** ECR's answer to a request field that breaks its constraint. */
export function invalidParameter(field: string, constraint: string): AwsError {
  return new AwsError('InvalidParameterException', `Invalid parameter at '${field}' failed to satisfy constraint: '${constraint}'`);
}

export function repositoryNotFound(name: string, registryId: string): AwsError {
  return new AwsError(
    'RepositoryNotFoundException',
    `The repository with name '${name}' does not exist in the registry with id '${registryId}'`,
  );
}

export function imageNotFound(id: ImageId, name: string, registryId: string): AwsError {
  return new AwsError(
    'ImageNotFoundException',
    `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', ` +
      `imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${name}' in the registry with id '${registryId}'`,
  );
}

/** The ECR error for a manifest the backing registry would not store. */
export function putImageError(res: BackendResponse, name: string, registryId: string, mediaType: string): Error {
  let errors: { code?: string; message?: string; detail?: unknown }[] = [];
  try {
    errors = (JSON.parse(res.body.toString('utf8')) as { errors?: typeof errors }).errors ?? [];
  } catch {
    // not a registry error body
  }
  const missing = errors
    .filter((e) => e.code === 'MANIFEST_BLOB_UNKNOWN' || e.code === 'BLOB_UNKNOWN')
    .map((e) =>
      typeof e.detail === 'string'
        ? e.detail
        : typeof (e.detail as Record<string, unknown>)?.digest === 'string'
          ? String((e.detail as Record<string, unknown>).digest)
          : '?',
    );
  if (missing.length && isIndexMediaType(mediaType)) {
    return new AwsError(
      'ReferencedImagesNotFoundException',
      `The following images referenced in the manifest list were not found: [${missing.join(', ')}]`,
    );
  }
  if (missing.length) {
    return new AwsError(
      'LayersNotFoundException',
      `Layers with digests '[${missing.join(', ')}]' required for pushing image into repository with name '${name}' in the registry with id '${registryId}' do not exist`,
    );
  }
  if (res.status === 400 && errors.length) {
    return invalidParameter('ImageManifest', errors.map((e) => `${e.code}: ${e.message}`).join('; '));
  }
  return unexpected(res, `PUT manifest in ${name}`);
}
