import { AwsError } from './aws-errors';
import { manifestDigest } from './backing-registry';
import {
  byTagStatus,
  checkName,
  imageIdsOf,
  MAX_MANIFEST_BYTES,
  mutabilityOf,
  optionalString,
  page,
  putImageRequest,
  requiredString,
  scanOnPushOf,
} from './requests';

/** The AwsError fn throws, as `type: message`. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof AwsError) return `${err.type}: ${err.message}`;
    throw err;
  }
  throw new Error('nothing was refused');
}

describe('string fields', () => {
  it('takes a string, treats null as absent, and refuses anything else', () => {
    expect(optionalString({ a: 'x' }, 'a')).toBe('x');
    expect(optionalString({ a: null }, 'a')).toBeUndefined();
    expect(refusal(() => optionalString({ a: 5 }, 'a'))).toBe(
      "InvalidParameterException: Invalid parameter at 'a' failed to satisfy constraint: 'must be a string'",
    );
  });

  it('refuses a missing required field', () => {
    expect(requiredString({ repositoryName: 'app' }, 'repositoryName')).toBe('app');
    expect(refusal(() => requiredString({}, 'repositoryName'))).toBe(
      "InvalidParameterException: Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must not be null'",
    );
  });
});

describe('checkName', () => {
  it.each(['ab', 'team/app', 'a.b-c_d/e', 'x'.repeat(256)])('accepts %s', (name) => {
    expect(checkName(name)).toBe(name);
  });

  it.each(['a', 'App', 'team//app', '/app', 'app/', 'a..b', 'a__b', '-app', 'x'.repeat(257), 'app:1'])('refuses %s', (name) => {
    expect(refusal(() => checkName(name, 'repositoryNames'))).toBe(
      "InvalidParameterException: Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''",
    );
  });
});

describe('mutabilityOf', () => {
  it('defaults where the operation has a default, and requires the setting where it has none', () => {
    expect(mutabilityOf({}, 'MUTABLE')).toEqual({ imageTagMutability: 'MUTABLE', exclusionFilters: [] });
    expect(refusal(() => mutabilityOf({}))).toBe(
      "InvalidParameterException: Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'must not be null'",
    );
  });

  it('passes the exclusion filters through, and refuses them as ECR does', () => {
    const filters = [{ filterType: 'WILDCARD', filter: 'latest' }];
    expect(mutabilityOf({ imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: filters })).toEqual({
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusionFilters: filters,
    });
    expect(refusal(() => mutabilityOf({ imageTagMutability: 'IMMUTABLE', imageTagMutabilityExclusionFilters: filters }))).toMatch(
      /^InvalidParameterException: .*must be null when imageTagMutability is set as IMMUTABLE/,
    );
  });
});

describe('scanOnPushOf', () => {
  it('is true only when asked for with true', () => {
    expect(scanOnPushOf({ imageScanningConfiguration: { scanOnPush: true } })).toBe(true);
    expect(scanOnPushOf({ imageScanningConfiguration: { scanOnPush: 'true' } })).toBe(false);
    expect(scanOnPushOf({})).toBe(false);
  });
});

describe('page', () => {
  const items = Array.from({ length: 5 }, (_, i) => i);

  it('gives everything on one page when it fits, without a token', () => {
    expect(page(items, {}, 100)).toEqual({ items });
  });

  it('walks the items with opaque tokens until the last page, which has none', () => {
    const first = page(items, { maxResults: 2 }, 100);
    expect(first.items).toEqual([0, 1]);
    const second = page(items, { maxResults: 2, nextToken: first.nextToken }, 100);
    expect(second.items).toEqual([2, 3]);
    const last = page(items, { maxResults: 2, nextToken: second.nextToken }, 100);
    expect(last).toEqual({ items: [4] });
  });

  it('uses the default size when maxResults is not given', () => {
    expect(page(items, {}, 3).items).toEqual([0, 1, 2]);
  });

  it.each([0, 1001, 2.5, '5'])('refuses maxResults %p', (maxResults) => {
    expect(refusal(() => page(items, { maxResults }, 100))).toBe(
      "InvalidParameterException: Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and 1000'",
    );
  });

  it.each(['zz', Buffer.from('{"offset":-1}').toString('base64url'), Buffer.from('{"offset":"1"}').toString('base64url')])(
    'refuses the token %s',
    (nextToken) => {
      expect(refusal(() => page(items, { nextToken }, 100))).toBe(
        "InvalidParameterException: Invalid parameter at 'nextToken' failed to satisfy constraint: 'The token is not valid'",
      );
    },
  );
});

describe('imageIdsOf', () => {
  it('reads digests and tags, absent when not given', () => {
    expect(imageIdsOf({})).toBeUndefined();
    expect(imageIdsOf({ imageIds: [{ imageTag: '1' }, { imageDigest: 'sha256:aa', imageTag: null }] })).toEqual([
      { imageDigest: undefined, imageTag: '1' },
      { imageDigest: 'sha256:aa', imageTag: undefined },
    ]);
  });

  it('refuses a non-list and an id naming nothing', () => {
    expect(refusal(() => imageIdsOf({ imageIds: {} }))).toBe(
      "InvalidParameterException: Invalid parameter at 'imageIds' failed to satisfy constraint: 'must be a list'",
    );
    expect(refusal(() => imageIdsOf({ imageIds: [null] }))).toBe(
      "InvalidParameterException: Invalid parameter at 'imageIds' failed to satisfy constraint: 'imageId must have imageDigest or imageTag'",
    );
  });
});

describe('byTagStatus', () => {
  const images = [{ tags: ['1'] }, { tags: [] }];

  it('keeps the tagged, the untagged or all', () => {
    expect(byTagStatus(images, { filter: { tagStatus: 'TAGGED' } })).toEqual([{ tags: ['1'] }]);
    expect(byTagStatus(images, { filter: { tagStatus: 'UNTAGGED' } })).toEqual([{ tags: [] }]);
    expect(byTagStatus(images, { filter: { tagStatus: 'ANY' } })).toEqual(images);
    expect(byTagStatus(images, {})).toEqual(images);
  });

  it('refuses another status', () => {
    expect(refusal(() => byTagStatus(images, { filter: { tagStatus: 'tagged' } }))).toBe(
      "InvalidParameterException: Invalid parameter at 'filter.tagStatus' failed to satisfy constraint: 'Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]'",
    );
  });
});

describe('putImageRequest', () => {
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [] });
  const digest = manifestDigest(Buffer.from(manifest));

  it('gives the manifest, its bytes and digest, its media type and the tag', () => {
    expect(putImageRequest({ imageManifest: manifest, imageTag: '1.0.0', imageDigest: digest })).toEqual({
      manifestText: manifest,
      body: Buffer.from(manifest),
      digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      tag: '1.0.0',
    });
  });

  it('takes the media type from the request when the manifest has none', () => {
    const bare = JSON.stringify({ schemaVersion: 2 });
    expect(putImageRequest({ imageManifest: bare, imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' })).toMatchObject({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    expect(putImageRequest({ imageManifest: bare, imageManifestMediaType: 'x' })).not.toHaveProperty('tag');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no manifest', {}, "InvalidParameterException: Invalid parameter at 'imageManifest' failed to satisfy constraint: 'must not be null'"],
    [
      'an empty manifest',
      { imageManifest: '' },
      `InvalidParameterException: Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must have length between 1 and ${MAX_MANIFEST_BYTES}'`,
    ],
    [
      'a manifest over 4 MiB',
      { imageManifest: 'x'.repeat(MAX_MANIFEST_BYTES + 1) },
      `InvalidParameterException: Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must have length between 1 and ${MAX_MANIFEST_BYTES}'`,
    ],
    [
      'a tag over 300 characters, before the JSON is read',
      { imageManifest: '{', imageTag: 'x'.repeat(301) },
      "InvalidParameterException: Invalid parameter at 'imageTag' failed to satisfy constraint: 'Member must have length between 1 and 300'",
    ],
    [
      'an empty tag',
      { imageManifest: manifest, imageTag: '' },
      "InvalidParameterException: Invalid parameter at 'imageTag' failed to satisfy constraint: 'Member must have length between 1 and 300'",
    ],
    [
      'a manifest that is not JSON',
      { imageManifest: '{' },
      "InvalidParameterException: Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'",
    ],
    [
      'two media types that differ',
      { imageManifest: manifest, imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json' },
      "InvalidParameterException: Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'Manifest media type application/vnd.oci.image.manifest.v1+json does not match the provided media type application/vnd.docker.distribution.manifest.v2+json'",
    ],
    [
      'no media type anywhere',
      { imageManifest: 'null' },
      "InvalidParameterException: Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'must be given when the manifest has no mediaType field'",
    ],
    [
      'a digest other than the manifest has',
      { imageManifest: manifest, imageDigest: `sha256:${'0'.repeat(64)}` },
      `ImageDigestDoesNotMatchException: The image digest 'sha256:${'0'.repeat(64)}' does not match the digest '${digest}' calculated for the image manifest`,
    ],
  ])('refuses %s', (_what, input, expected) => {
    expect(refusal(() => putImageRequest(input))).toBe(expected);
  });
});
