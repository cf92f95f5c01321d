import { AwsError, imageNotFound, invalidParameter, putImageError, repositoryNotFound } from './aws-errors';
import { BackendError, type BackendResponse } from './backing-registry';

const answer = (status: number, body: unknown): BackendResponse => ({
  status,
  headers: {},
  body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
});

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

describe('ECR errors', () => {
  it('words a field constraint as ECR does, status 400', () => {
    const err = invalidParameter('imageTag', 'Member must have length between 1 and 300');
    expect(err).toBeInstanceOf(AwsError);
    expect(err).toMatchObject({ type: 'InvalidParameterException', status: 400 });
    expect(err.message).toBe("Invalid parameter at 'imageTag' failed to satisfy constraint: 'Member must have length between 1 and 300'");
  });

  it('names the repository and registry a repository or image was not found in', () => {
    expect(repositoryNotFound('app', '000000000000')).toMatchObject({
      type: 'RepositoryNotFoundException',
      message: "The repository with name 'app' does not exist in the registry with id '000000000000'",
    });
    expect(imageNotFound({ imageTag: '1.0.0' }, 'app', '000000000000')).toMatchObject({
      type: 'ImageNotFoundException',
      message:
        "The image with imageId {imageDigest:'null', imageTag:'1.0.0'} does not exist within the repository with name 'app' in the registry with id '000000000000'",
    });
  });
});

describe('putImageError', () => {
  /** What PutImage makes of a registry that refused the manifest with these errors. */
  const refusedWith = (errors: unknown[], mediaType = DOCKER_MANIFEST): Error =>
    putImageError(answer(400, { errors }), 'app', '000000000000', mediaType);

  it('turns missing blobs of an image into LayersNotFoundException, whatever shape the detail has', () => {
    const err = refusedWith([
      { code: 'MANIFEST_BLOB_UNKNOWN', detail: 'sha256:aa' },
      { code: 'BLOB_UNKNOWN', detail: { digest: 'sha256:bb' } },
      { code: 'BLOB_UNKNOWN', detail: {} },
    ]);
    expect(err).toMatchObject({
      type: 'LayersNotFoundException',
      message:
        "Layers with digests '[sha256:aa, sha256:bb, ?]' required for pushing image into repository with name 'app' in the registry with id '000000000000' do not exist",
    });
  });

  it('turns missing manifests of an index into ReferencedImagesNotFoundException', () => {
    expect(
      refusedWith([{ code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry', detail: 'sha256:cc' }], OCI_INDEX),
    ).toMatchObject({
      type: 'ReferencedImagesNotFoundException',
      message: 'The following images referenced in the manifest list were not found: [sha256:cc]',
    });
  });

  it('passes other refusals on as InvalidParameterException with the registry codes', () => {
    const err = refusedWith([
      { code: 'MANIFEST_INVALID', message: 'manifest invalid' },
      { code: 'TAG_INVALID', message: 'bad tag' },
    ]);
    expect(err).toMatchObject({
      type: 'InvalidParameterException',
      message:
        "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'MANIFEST_INVALID: manifest invalid; TAG_INVALID: bad tag'",
    });
  });

  it('answers anything else as the backing registry failing (a server error)', () => {
    const err = putImageError(answer(500, 'disk full'), 'app', '000000000000', DOCKER_MANIFEST);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toBe('backing registry answered 500 to PUT manifest in app: disk full');
    expect(putImageError(answer(400, 'not json'), 'app', '0', DOCKER_MANIFEST)).toBeInstanceOf(BackendError);
    expect(refusedWith([])).toBeInstanceOf(BackendError);
  });
});
