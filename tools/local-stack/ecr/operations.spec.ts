import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Account, createAccount } from './accounts';
import { AwsError } from './aws-errors';
import { ecrOperations, type Operation } from './operations';
import { RegistryAuth } from './registry-auth';
import type { Json, OperationContext } from './requests';
import { Scanning } from './scanning';
import { TagHistory } from './tag-history';
import { FakeRegistry, imageManifest } from './testing/fake-registry';

const CTX: OperationContext = { region: 'us-east-2', operation: 'Test', callerArn: 'arn:aws:iam::000000000000:user/local' };
const DOCKER = 'application/vnd.docker.distribution.manifest.v2+json';
const LATEST = [{ filterType: 'WILDCARD', filter: 'latest' }];

describe('ECR operations', () => {
  let dir: string;
  let fakes: FakeRegistry[];
  let agent: http.Agent;
  let caller: Account;
  let other: Account;
  let history: TagHistory;
  let logged: string[];
  let ops: Record<string, Operation>;

  /** The operation's answer, or its error as `type: message`. */
  async function call(operation: string, input: Json = {}): Promise<Json> {
    return ops[operation](input, { ...CTX, operation });
  }
  async function refusal(operation: string, input: Json): Promise<string> {
    try {
      await call(operation, input);
    } catch (err) {
      if (err instanceof AwsError) return `${err.type}: ${err.message}`;
      throw err;
    }
    throw new Error(`${operation} was not refused`);
  }

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecr-operations-'));
    agent = new http.Agent({ keepAlive: true });
    fakes = [];
    const account = async (id: string, port: number): Promise<Account> => {
      const fake = await new FakeRegistry(path.join(dir, `data-${id}`)).start();
      fakes.push(fake);
      return createAccount(
        { id, proxyPort: port, backend: fake.url, storage: fake.root, metaFile: path.join(dir, `meta-${id}.json`) },
        agent,
        1000,
      );
    };
    caller = await account('000000000000', 5002);
    other = await account('111111111111', 5007);
    history = new TagHistory(path.join(dir, 'history.jsonl'));
    logged = [];
    ops = ecrOperations({
      caller,
      accounts: [caller, other],
      auth: new RegistryAuth('pw', () => 2_000_000),
      history,
      startedAt: 1000,
      log: (m) => logged.push(m),
      scanning: new Scanning([], () => undefined),
    });
  });
  afterEach(async () => {
    agent.destroy();
    for (const fake of fakes) await fake.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const fakeOf = (acct: Account): FakeRegistry => fakes[acct === caller ? 0 : 1];

  describe('GetAuthorizationToken', () => {
    it("answers the caller's own registry and the password, whatever registryIds says", async () => {
      const out = (await call('GetAuthorizationToken', { registryIds: ['111111111111'] })) as { authorizationData: Json[] };
      expect(out.authorizationData).toEqual([
        { authorizationToken: Buffer.from('AWS:pw').toString('base64'), expiresAt: 2000 + 43_200, proxyEndpoint: 'http://localhost:5002' },
      ]);
    });
  });

  describe('CreateRepository', () => {
    it('creates a MUTABLE repository by default and answers as ECR, with the region signed for', async () => {
      expect(await call('CreateRepository', { repositoryName: 'team/app' })).toEqual({
        repository: {
          repositoryArn: 'arn:aws:ecr:us-east-2:000000000000:repository/team/app',
          registryId: '000000000000',
          repositoryName: 'team/app',
          repositoryUri: 'localhost:5002/team/app',
          createdAt: expect.any(Number) as jest.AsymmetricMatcher,
          imageTagMutability: 'MUTABLE',
          imageScanningConfiguration: { scanOnPush: false },
          encryptionConfiguration: { encryptionType: 'AES256' },
        },
      });
      expect(logged).toEqual(['CreateRepository 000000000000/team/app (MUTABLE, scanOnPush=false)']);
    });

    it("creates in another account's registry when registryId names it", async () => {
      const out = (await call('CreateRepository', {
        registryId: '111111111111',
        repositoryName: 'app',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: LATEST,
        imageScanningConfiguration: { scanOnPush: true },
      })) as { repository: Json };
      expect(out.repository).toMatchObject({
        registryId: '111111111111',
        repositoryUri: 'localhost:5007/app',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: LATEST,
        imageScanningConfiguration: { scanOnPush: true },
      });
      expect(other.meta.names()).toEqual(['app']);
      expect(caller.meta.names()).toEqual([]);
      expect(logged).toEqual(['CreateRepository 111111111111/app (IMMUTABLE_WITH_EXCLUSION except latest, scanOnPush=true)']);
    });

    it('refuses a repository that exists, a bad name, and a bad setting, creating nothing', async () => {
      await call('CreateRepository', { repositoryName: 'app' });
      expect(await refusal('CreateRepository', { repositoryName: 'app' })).toBe(
        "RepositoryAlreadyExistsException: The repository with name 'app' already exists in the registry with id '000000000000'",
      );
      expect(await refusal('CreateRepository', { repositoryName: 'App' })).toMatch(
        /^InvalidParameterException: Invalid parameter at 'repositoryName'/,
      );
      expect(await refusal('CreateRepository', { repositoryName: 'other', imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION' })).toMatch(
        /^InvalidParameterException: .*can't be null when imageTagMutability is set as IMMUTABLE_WITH_EXCLUSION/,
      );
      expect(caller.meta.names()).toEqual(['app']);
    });
  });

  describe('DescribeRepositories', () => {
    beforeEach(async () => {
      for (const repositoryName of ['cc', 'a/b', 'bb']) await call('CreateRepository', { repositoryName });
    });

    it('lists every repository by name, in pages', async () => {
      const first = (await call('DescribeRepositories', { maxResults: 2 })) as { repositories: Json[]; nextToken: string };
      expect(first.repositories.map((r) => r.repositoryName)).toEqual(['a/b', 'bb']);
      const rest = await call('DescribeRepositories', { maxResults: 2, nextToken: first.nextToken });
      expect(rest).toEqual({ repositories: [expect.objectContaining({ repositoryName: 'cc' })] });
    });

    it('describes the named ones, and refuses when one is missing', async () => {
      const out = (await call('DescribeRepositories', { repositoryNames: ['cc', 'bb'] })) as { repositories: Json[] };
      expect(out.repositories.map((r) => r.repositoryName)).toEqual(['cc', 'bb']);
      expect(await refusal('DescribeRepositories', { repositoryNames: ['cc', 'nope'] })).toBe(
        "RepositoryNotFoundException: The repository with name 'nope' does not exist in the registry with id '000000000000'",
      );
    });
  });

  describe('with images', () => {
    let a: string;
    let b: string;
    let untagged: string;

    beforeEach(async () => {
      await call('CreateRepository', {
        repositoryName: 'app',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: LATEST,
      });
      const fake = fakeOf(caller);
      a = fake.put('app', imageManifest('a', [100], 10), '1.0.0');
      fake.put('app', imageManifest('a', [100], 10), 'latest');
      b = fake.put('app', imageManifest('b', [5], 1), '1.1.0');
      untagged = fake.put('app', imageManifest('u', [1], 1));
      caller.meta.recordPush('app', untagged);
    });

    it('describes images with their tags, size, media types and pushed-at time; untagged ones without tags', async () => {
      const out = (await call('DescribeImages', { repositoryName: 'app', filter: { tagStatus: 'UNTAGGED' } })) as { imageDetails: Json[] };
      expect(out.imageDetails).toEqual([
        {
          registryId: '000000000000',
          repositoryName: 'app',
          imageDigest: untagged,
          imageSizeInBytes: 2,
          imagePushedAt: expect.any(Number) as jest.AsymmetricMatcher,
          imageManifestMediaType: DOCKER,
          artifactMediaType: 'application/vnd.docker.container.image.v1+json',
        },
      ]);
      const tagged = (await call('DescribeImages', { repositoryName: 'app', filter: { tagStatus: 'TAGGED' } })) as { imageDetails: Json[] };
      expect(tagged.imageDetails.map((d) => [d.imageDigest, d.imageTags, d.imageSizeInBytes]).sort()).toEqual(
        [
          [a, ['1.0.0', 'latest'], 110],
          [b, ['1.1.0'], 6],
        ].sort(),
      );
    });

    it('describes a referrer with the digest of its subject (subjectManifestDigest), as ECR does', async () => {
      const referrer = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          artifactType: 'application/vnd.cyclonedx+json',
          config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: `sha256:${'4'.repeat(64)}`, size: 2 },
          layers: [{ mediaType: 'application/vnd.cyclonedx+json', digest: `sha256:${'5'.repeat(64)}`, size: 10 }],
          subject: { mediaType: DOCKER, digest: b, size: 100 },
        }),
      );
      const sbom = fakeOf(caller).put('app', referrer);
      const out = (await call('DescribeImages', { repositoryName: 'app', imageIds: [{ imageDigest: sbom }, { imageDigest: b }] })) as {
        imageDetails: Json[];
      };
      expect(out.imageDetails.map((d) => [d.imageDigest, d.subjectManifestDigest, d.imageManifestMediaType])).toEqual([
        [sbom, b, 'application/vnd.oci.image.manifest.v1+json'],
        [b, undefined, DOCKER],
      ]);
    });

    it('describes named images once each, and refuses one that is not there', async () => {
      const out = (await call('DescribeImages', { repositoryName: 'app', imageIds: [{ imageTag: 'latest' }, { imageDigest: a }] })) as {
        imageDetails: Json[];
      };
      expect(out.imageDetails.map((d) => d.imageDigest)).toEqual([a]);
      expect(await refusal('DescribeImages', { repositoryName: 'app', imageIds: [{ imageTag: '9' }] })).toBe(
        "ImageNotFoundException: The image with imageId {imageDigest:'null', imageTag:'9'} does not exist within the repository with name 'app' in the registry with id '000000000000'",
      );
    });

    it('lists one id per tag, and the digest alone for an untagged image', async () => {
      const out = (await call('ListImages', { repositoryName: 'app' })) as { imageIds: Json[] };
      expect(out.imageIds).toEqual(
        expect.arrayContaining([
          { imageDigest: a, imageTag: '1.0.0' },
          { imageDigest: a, imageTag: 'latest' },
          { imageDigest: b, imageTag: '1.1.0' },
          { imageDigest: untagged },
        ]),
      );
      expect(out.imageIds).toHaveLength(4);
    });

    it('gets manifests as stored, and says why an id failed', async () => {
      const wrong = { imageDigest: b, imageTag: '1.0.0' };
      const out = await call('BatchGetImage', {
        repositoryName: 'app',
        imageIds: [{ imageTag: '1.0.0' }, wrong, { imageTag: '9' }],
      });
      expect(out).toEqual({
        images: [
          {
            registryId: '000000000000',
            repositoryName: 'app',
            imageId: { imageDigest: a, imageTag: '1.0.0' },
            imageManifest: imageManifest('a', [100], 10).toString(),
            imageManifestMediaType: DOCKER,
          },
        ],
        failures: [
          { imageId: wrong, failureCode: 'ImageTagDoesNotMatchDigest', failureReason: 'Invalid image digest for the image tag' },
          { imageId: { imageDigest: undefined, imageTag: '9' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
        ],
      });
    });

    it('deletes only the tag of an image that has others, and the image with all its tags otherwise', async () => {
      const out = await call('BatchDeleteImage', {
        repositoryName: 'app',
        imageIds: [{ imageTag: 'latest' }, { imageTag: '1.1.0' }, { imageTag: '9' }],
      });
      expect(out).toEqual({
        imageIds: [
          { imageDigest: a, imageTag: 'latest' },
          { imageDigest: b, imageTag: '1.1.0' },
        ],
        failures: [
          { imageId: { imageDigest: undefined, imageTag: '9' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
        ],
      });
      const left = (await call('ListImages', { repositoryName: 'app' })) as { imageIds: Json[] };
      expect(left.imageIds).toEqual(expect.arrayContaining([{ imageDigest: a, imageTag: '1.0.0' }, { imageDigest: untagged }]));
      expect(left.imageIds).toHaveLength(2);
      expect(logged.at(-1)).toBe('BatchDeleteImage app: 2 deleted, 1 failed');
    });

    it('deletes a repository with images only when forced, its storage with it', async () => {
      expect(await refusal('DeleteRepository', { repositoryName: 'app' })).toBe(
        "RepositoryNotEmptyException: The repository with name 'app' in registry with id '000000000000' cannot be deleted because it still contains images",
      );
      const out = (await call('DeleteRepository', { repositoryName: 'app', force: true })) as { repository: Json };
      expect(out.repository.repositoryName).toBe('app');
      expect(fs.existsSync(caller.storage.repositoryDir('app'))).toBe(false);
      expect(caller.meta.get('app')).toBeUndefined();
    });

    describe('PutImage', () => {
      it('puts a tag on a stored manifest, recording the assignment and what the tag named before', async () => {
        const manifest = imageManifest('b', [5], 1).toString();
        const out = await call('PutImage', { repositoryName: 'app', imageTag: 'latest', imageManifest: manifest });
        expect(out).toEqual({
          image: {
            registryId: '000000000000',
            repositoryName: 'app',
            imageId: { imageDigest: b, imageTag: 'latest' },
            imageManifest: manifest,
            imageManifestMediaType: DOCKER,
          },
        });
        expect(history.list()).toEqual([
          expect.objectContaining({ repository: 'app', tag: 'latest', digest: b, previous: a, via: 'PutImage' }),
        ]);
        expect(caller.meta.get('app')?.pushedAt[b]).toEqual(expect.any(Number));
      });

      it('refuses to move an immutable tag, and to put a tag where it already is', async () => {
        const manifest = imageManifest('b', [5], 1).toString();
        expect(await refusal('PutImage', { repositoryName: 'app', imageTag: '1.0.0', imageManifest: manifest })).toBe(
          "ImageTagAlreadyExistsException: The image tag '1.0.0' already exists in the 'app' repository and cannot be overwritten because the tag is immutable.",
        );
        expect(await refusal('PutImage', { repositoryName: 'app', imageTag: '1.1.0', imageManifest: manifest })).toBe(
          `ImageAlreadyExistsException: Image with digest '${b}' and tag '1.1.0' already exists in the repository with name 'app' in registry with id '000000000000'`,
        );
        expect(await refusal('PutImage', { repositoryName: 'app', imageManifest: manifest })).toBe(
          `ImageAlreadyExistsException: Image with digest '${b}' already exists in the repository with name 'app' in registry with id '000000000000'`,
        );
        expect(history.list()).toEqual([]);
      });

      it('answers missing layers as ECR does', async () => {
        const manifest = imageManifest('new', [1]);
        const layer = (JSON.parse(manifest.toString()) as { layers: { digest: string }[] }).layers[0].digest;
        fakeOf(caller).unknownBlobs.add(layer);
        expect(await refusal('PutImage', { repositoryName: 'app', imageTag: '2.0.0', imageManifest: manifest.toString() })).toBe(
          `LayersNotFoundException: Layers with digests '[${layer}]' required for pushing image into repository with name 'app' in the registry with id '000000000000' do not exist`,
        );
      });

      it('lets exactly one of two racing PutImages of one immutable tag win', async () => {
        const results = await Promise.allSettled(
          ['x', 'y'].map((seed) =>
            call('PutImage', { repositoryName: 'app', imageTag: '3.0.0', imageManifest: imageManifest(seed).toString() }),
          ),
        );
        expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
        expect(history.list().map((e) => e.tag)).toEqual(['3.0.0']);
      });

      it('checks the repository before the manifest', async () => {
        expect(await refusal('PutImage', { repositoryName: 'nope', imageManifest: '{' })).toBe(
          "RepositoryNotFoundException: The repository with name 'nope' does not exist in the registry with id '000000000000'",
        );
      });
    });

    it('changes tag mutability and scanning, and answers with the new settings', async () => {
      expect(await call('PutImageTagMutability', { repositoryName: 'app', imageTagMutability: 'MUTABLE' })).toEqual({
        registryId: '000000000000',
        repositoryName: 'app',
        imageTagMutability: 'MUTABLE',
      });
      expect(
        await call('PutImageScanningConfiguration', { repositoryName: 'app', imageScanningConfiguration: { scanOnPush: true } }),
      ).toEqual({
        registryId: '000000000000',
        repositoryName: 'app',
        imageScanningConfiguration: { scanOnPush: true },
      });
      expect(caller.meta.get('app')).toMatchObject({ imageTagMutability: 'MUTABLE', exclusionFilters: [], scanOnPush: true });
      // Now mutable: the tag moves.
      await call('PutImage', { repositoryName: 'app', imageTag: '1.0.0', imageManifest: imageManifest('b', [5], 1).toString() });
      expect(history.list().map((e) => [e.tag, e.digest])).toEqual([['1.0.0', b]]);
      expect(logged).toContain('PutImageTagMutability app MUTABLE');
    });
  });

  it('refuses every repository operation on a repository nobody created, naming the account asked', async () => {
    for (const operation of [
      'DescribeImages',
      'ListImages',
      'BatchGetImage',
      'BatchDeleteImage',
      'DeleteRepository',
      'PutImageScanningConfiguration',
    ]) {
      expect(await refusal(operation, { registryId: '111111111111', repositoryName: 'app' })).toBe(
        "RepositoryNotFoundException: The repository with name 'app' does not exist in the registry with id '111111111111'",
      );
    }
    expect(await refusal('ListImages', {})).toBe(
      "InvalidParameterException: Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must not be null'",
    );
  });
});
