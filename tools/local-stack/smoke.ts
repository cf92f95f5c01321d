/**
 * Proves a running local stack behaves like the real services for the clients the product uses: the AWS SDK
 * (ECR and STS), the Docker engine, skopeo and the AWS CLI against the ECR stand-in, and the Teams sink;
 * and that fault rules, request statistics and the tag history answer. Leaves nothing behind (its
 * repository is deleted, its images removed, its Docker login kept in a throw-away config directory, its
 * fault rules removed by id; statistics are read, never reset, so other runs' counts stay intact).
 *
 *   node -r @swc-node/register tools/local-stack/smoke.ts
 */
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  ListImagesCommand,
  paginateDescribeImages,
  PutImageCommand,
  PutImageTagMutabilityCommand,
} from '@aws-sdk/client-ecr';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { hostDotnet } from './dotnet-stand-ins';
import { MANIFEST_ACCEPT, MEDIA_TYPES } from './media-types';

const API = process.env.ECR_STAND_IN_API ?? 'http://localhost:5003';
const SINK = process.env.TEAMS_SINK ?? 'http://localhost:5004';
const MCR = 'localhost:5001';
const MCR_PROXY = 'http://localhost:5005';
const REGISTRY = 'localhost:5002';
const credentials = { accessKeyId: 'local-stack', secretAccessKey: 'local-stack-secret' };
const ecr = new ECRClient({ endpoint: API, region: 'eu-west-1', credentials });
const sts = new STSClient({ endpoint: process.env.STS_STAND_IN ?? 'http://localhost:5006', region: 'eu-west-1', credentials });

const repo = `local-stack-smoke/app-${randomBytes(3).toString('hex')}`;
const work = mkdtempSync(path.join(tmpdir(), 'local-stack-smoke-'));
// A private Docker config keeps this login out of the user's ~/.docker/config.json.
const dockerEnv = { ...process.env, DOCKER_CONFIG: path.join(work, 'docker-config'), DOCKER_BUILDKIT: '0' };
const localImages: string[] = [];
let passed = 0;

function check(what: string, ok: boolean, detail?: unknown): void {
  if (!ok)
    throw new Error(`FAILED: ${what}${detail === undefined ? '' : `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`);
  passed++;
  process.stdout.write(`ok   ${what}\n`);
}

async function expectError(what: string, name: string, call: () => Promise<unknown>): Promise<Error> {
  try {
    await call();
  } catch (err) {
    check(`${what} → ${name}`, (err as Error).name === name, `${(err as Error).name}: ${(err as Error).message}`);
    return err as Error;
  }
  throw new Error(`FAILED: ${what} succeeded, expected ${name}`);
}

function docker(args: string[], input?: string): string {
  return execFileSync('docker', args, { env: dockerEnv, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

function dockerFails(args: string[]): string {
  const run = spawnSync('docker', args, { env: dockerEnv, encoding: 'utf8' });
  if (run.status === 0) throw new Error(`FAILED: docker ${args.join(' ')} succeeded`);
  return `${run.stdout}${run.stderr}`;
}

/** Builds a tiny image on a stand-in base; the label makes each one distinct. */
function buildImage(ref: string, label: string): void {
  const context = path.join(work, `context-${label}`);
  execFileSync('mkdir', ['-p', context]);
  writeFileSync(path.join(context, 'Dockerfile'), `FROM ${MCR}/dotnet/runtime:6.0-bullseye-slim\nLABEL smoke.label=${label}\n`);
  // Removed by id at the end: a tag moved on to a later build would leave this one behind.
  localImages.push(docker(['build', '-q', '-t', ref, context]).trim());
}

async function headDigest(auth: string, tag: string): Promise<string | null> {
  const res = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      authorization: auth,
      accept: MANIFEST_ACCEPT,
    },
  });
  return res.headers.get('docker-content-digest');
}

/**
 * The .NET stand-ins hold the .NET they declare (dotnet-stand-ins.ts): `dotnet --list-runtimes` in each lists
 * DOTNET_VERSION (and ASPNET_VERSION). Where this machine has no .NET SDK they declare none and hold none.
 */
function checkDotnetStandIns(): void {
  // The seeder's own reading of this machine's .NET, so the smoke test expects what it built.
  const hostHasDotnet = hostDotnet() !== undefined;
  for (const tag of ['8.0-bookworm-slim', '10.0-noble']) {
    for (const repo of ['runtime', 'aspnet', 'sdk']) {
      const image = `${MCR}/dotnet/${repo}:${tag}`;
      const env = JSON.parse(docker(['image', 'inspect', '--format', '{{json .Config.Env}}', image])) as string[];
      const declared = Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
      if (!hostHasDotnet) {
        check(`${repo}:${tag} declares no .NET on a machine without the SDK`, declared.DOTNET_VERSION === undefined, declared);
        continue;
      }
      const listed = docker(['run', '--rm', '--network', 'none', image, 'dotnet', '--list-runtimes']);
      if (repo === 'runtime')
        process.stdout.write(`     docker run ${image} dotnet --list-runtimes:\n${listed.trimEnd().replace(/^/gm, '       ')}\n`);
      const wanted = [`Microsoft.NETCore.App ${declared.DOTNET_VERSION} [/usr/share/dotnet/shared/Microsoft.NETCore.App]`];
      if (repo !== 'runtime')
        wanted.push(`Microsoft.AspNetCore.App ${declared.ASPNET_VERSION} [/usr/share/dotnet/shared/Microsoft.AspNetCore.App]`);
      check(
        `${repo}:${tag}: dotnet --list-runtimes lists ${wanted.map((w) => w.split(' [')[0]).join(', ')}`,
        declared.DOTNET_VERSION !== undefined && wanted.every((w) => listed.split('\n').includes(w)),
        listed,
      );
    }
  }
}

async function main(): Promise<void> {
  checkDotnetStandIns();
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  check('STS GetCallerIdentity', identity.Account === '000000000000' && identity.Arn === 'arn:aws:iam::000000000000:user/local', identity);

  await expectError('DescribeRepositories of a missing repository', 'RepositoryNotFoundException', () =>
    ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repo] })),
  );
  const created = await ecr.send(new CreateRepositoryCommand({ repositoryName: repo, imageScanningConfiguration: { scanOnPush: true } }));
  check(
    'CreateRepository',
    created.repository?.repositoryUri === `${REGISTRY}/${repo}` &&
      created.repository?.imageTagMutability === 'MUTABLE' &&
      created.repository?.imageScanningConfiguration?.scanOnPush === true &&
      created.repository?.createdAt instanceof Date,
    created.repository,
  );
  await expectError('CreateRepository again', 'RepositoryAlreadyExistsException', () =>
    ecr.send(new CreateRepositoryCommand({ repositoryName: repo })),
  );
  const described = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repo] }));
  check('DescribeRepositories', described.repositories?.[0]?.repositoryName === repo, described.repositories);

  const token = await ecr.send(new GetAuthorizationTokenCommand({}));
  const data = token.authorizationData?.[0];
  const decoded = Buffer.from(data?.authorizationToken ?? '', 'base64').toString('utf8');
  check(
    'GetAuthorizationToken',
    decoded.startsWith('AWS:') && data?.proxyEndpoint === `http://${REGISTRY}` && data?.expiresAt instanceof Date,
    data,
  );
  const password = decoded.slice(4);
  const auth = `Basic ${Buffer.from(`AWS:${password}`).toString('base64')}`;

  const anonymous = await fetch(`http://${REGISTRY}/v2/`);
  check(
    'proxy wants Basic auth',
    anonymous.status === 401 && anonymous.headers.get('www-authenticate') === 'Basic realm="ECR stand-in"',
    anonymous.status,
  );
  const wrong = await fetch(`http://${REGISTRY}/v2/`, {
    headers: { authorization: `Basic ${Buffer.from('AWS:nope').toString('base64')}` },
  });
  check('proxy refuses a wrong password', wrong.status === 401, wrong.status);
  const unknown = await fetch(`http://${REGISTRY}/v2/not-created-${randomBytes(3).toString('hex')}/blobs/uploads/`, {
    method: 'POST',
    headers: { authorization: auth },
  });
  const unknownBody = (await unknown.json()) as { errors: { code: string }[] };
  check(
    'push to a repository nobody created → NAME_UNKNOWN',
    unknown.status === 404 && unknownBody.errors[0].code === 'NAME_UNKNOWN',
    unknownBody,
  );

  docker(['login', REGISTRY, '-u', 'AWS', '--password-stdin'], password);
  check('docker login', true);
  const refA = `${REGISTRY}/${repo}:a`;
  const refB = `${REGISTRY}/${repo}:b`;
  buildImage(refA, 'first');
  docker(['push', refA]);
  const digestA = await headDigest(auth, 'a');
  check('docker push through the proxy', typeof digestA === 'string' && /^sha256:[a-f0-9]{64}$/.test(digestA ?? ''), digestA);
  docker(['tag', refA, refB]);
  docker(['push', refB]);

  const skopeo = JSON.parse(
    execFileSync('skopeo', ['inspect', '--tls-verify=false', '--creds', `AWS:${password}`, `docker://${refA}`], { encoding: 'utf8' }),
  ) as { Digest: string; Labels: Record<string, string> };
  check('skopeo inspect shows labels', skopeo.Digest === digestA && skopeo.Labels['smoke.label'] === 'first', skopeo.Labels);

  let images = await ecr.send(new DescribeImagesCommand({ repositoryName: repo }));
  const first = images.imageDetails?.[0];
  check(
    'DescribeImages',
    images.imageDetails?.length === 1 &&
      first?.imageDigest === digestA &&
      first?.imageTags?.join() === 'a,b' &&
      (first?.imageSizeInBytes ?? 0) > 1_000_000 &&
      first?.imagePushedAt instanceof Date &&
      first?.imageManifestMediaType === MEDIA_TYPES.dockerManifest,
    first,
  );

  // A second image takes tag "a": the first keeps "b", like ECR.
  buildImage(refA, 'second');
  docker(['push', refA]);
  const digestA2 = await headDigest(auth, 'a');
  check('tag moved to a new image', digestA2 !== digestA, digestA2);
  const all: string[] = [];
  let pages = 0;
  for await (const p of paginateDescribeImages({ client: ecr, pageSize: 1 }, { repositoryName: repo })) {
    pages++;
    for (const d of p.imageDetails ?? []) all.push(`${d.imageDigest}=${(d.imageTags ?? []).join('+')}`);
  }
  check(
    'DescribeImages pages with maxResults 1',
    pages === 2 && all.sort().join() === [`${digestA}=b`, `${digestA2}=a`].sort().join(),
    all,
  );
  await expectError('DescribeImages of a missing tag', 'ImageNotFoundException', () =>
    ecr.send(new DescribeImagesCommand({ repositoryName: repo, imageIds: [{ imageTag: 'nope' }] })),
  );
  const byTag = await ecr.send(new DescribeImagesCommand({ repositoryName: repo, imageIds: [{ imageTag: 'b' }] }));
  check('DescribeImages by tag', byTag.imageDetails?.[0]?.imageDigest === digestA, byTag.imageDetails);

  const listed = await ecr.send(new ListImagesCommand({ repositoryName: repo }));
  check('ListImages', listed.imageIds?.length === 2, listed.imageIds);
  const got = await ecr.send(new BatchGetImageCommand({ repositoryName: repo, imageIds: [{ imageTag: 'a' }, { imageTag: 'nope' }] }));
  const manifest = got.images?.[0]?.imageManifest ?? '';
  check(
    'BatchGetImage returns the exact manifest',
    `sha256:${createHash('sha256').update(manifest).digest('hex')}` === digestA2 && got.failures?.[0]?.failureCode === 'ImageNotFound',
    got.failures,
  );

  const aws = JSON.parse(
    execFileSync(
      '/usr/bin/aws',
      ['ecr', 'describe-images', '--endpoint-url', API, '--region', 'eu-west-1', '--repository-name', repo, '--output', 'json'],
      {
        encoding: 'utf8',
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          AWS_PAGER: '',
        },
      },
    ),
  ) as { imageDetails: { imageDigest: string }[] };
  check(
    'aws ecr describe-images (AWS CLI)',
    aws.imageDetails
      .map((d) => d.imageDigest)
      .sort()
      .join() === [digestA, digestA2].sort().join(),
    aws,
  );

  await ecr.send(new PutImageTagMutabilityCommand({ repositoryName: repo, imageTagMutability: 'IMMUTABLE' }));
  buildImage(refA, 'third');
  const refused = dockerFails(['push', refA]);
  check('IMMUTABLE repository refuses to move a tag', refused.includes('cannot be overwritten because the tag is immutable'), refused);
  check('the tag still points at the old image', (await headDigest(auth, 'a')) === digestA2);
  await ecr.send(new PutImageTagMutabilityCommand({ repositoryName: repo, imageTagMutability: 'MUTABLE' }));

  docker(['tag', refB, `${REGISTRY}/${repo}:c`]);
  docker(['push', `${REGISTRY}/${repo}:c`]);
  const untagged = await ecr.send(new BatchDeleteImageCommand({ repositoryName: repo, imageIds: [{ imageTag: 'c' }] }));
  images = await ecr.send(new DescribeImagesCommand({ repositoryName: repo, imageIds: [{ imageDigest: digestA ?? '' }] }));
  check(
    'BatchDeleteImage of one tag keeps the image',
    untagged.imageIds?.length === 1 && images.imageDetails?.[0]?.imageTags?.join() === 'b',
    images.imageDetails,
  );
  const deleted = await ecr.send(new BatchDeleteImageCommand({ repositoryName: repo, imageIds: [{ imageDigest: digestA ?? '' }] }));
  const left = await ecr.send(new ListImagesCommand({ repositoryName: repo, filter: { tagStatus: 'ANY' } }));
  check(
    'BatchDeleteImage by digest',
    deleted.imageIds?.[0]?.imageTag === 'b' && left.imageIds?.length === 1 && left.imageIds[0].imageDigest === digestA2,
    left.imageIds,
  );

  // IMMUTABLE_WITH_EXCLUSION: "lat*" tags move, every other tag stays put; PutImage retags without a push.
  const exclusion = await ecr.send(
    new PutImageTagMutabilityCommand({
      repositoryName: repo,
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'lat*' }],
    }),
  );
  check('PutImageTagMutability IMMUTABLE_WITH_EXCLUSION', exclusion.imageTagMutabilityExclusionFilters?.[0]?.filter === 'lat*', exclusion);
  await expectError('IMMUTABLE_WITH_EXCLUSION without filters', 'InvalidParameterException', () =>
    ecr.send(new PutImageTagMutabilityCommand({ repositoryName: repo, imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION' })),
  );
  const manifestA2 = (await ecr.send(new BatchGetImageCommand({ repositoryName: repo, imageIds: [{ imageDigest: digestA2 ?? '' }] })))
    .images?.[0];
  const retag = {
    repositoryName: repo,
    imageManifest: manifestA2?.imageManifest,
    imageManifestMediaType: manifestA2?.imageManifestMediaType,
  };
  const put = await ecr.send(new PutImageCommand({ ...retag, imageTag: 'v1' }));
  check(
    'PutImage retags an image',
    put.image?.imageId?.imageDigest === digestA2 && (await headDigest(auth, 'v1')) === digestA2,
    put.image?.imageId,
  );
  await expectError('PutImage of a tag that names this image already', 'ImageAlreadyExistsException', () =>
    ecr.send(new PutImageCommand({ ...retag, imageTag: 'v1' })),
  );
  await ecr.send(new PutImageCommand({ ...retag, imageTag: 'latest' }));
  const refLatest = `${REGISTRY}/${repo}:latest`;
  buildImage(refLatest, 'fourth');
  docker(['push', refLatest]);
  const digestLatest = await headDigest(auth, 'latest');
  check('an excluded tag moves', digestLatest !== digestA2, digestLatest);
  docker(['tag', refLatest, `${REGISTRY}/${repo}:v1`]);
  const refusedV1 = dockerFails(['push', `${REGISTRY}/${repo}:v1`]);
  check(
    'any other tag does not',
    refusedV1.includes('cannot be overwritten because the tag is immutable') && (await headDigest(auth, 'v1')) === digestA2,
    refusedV1,
  );
  const manifestLatest = (await ecr.send(new BatchGetImageCommand({ repositoryName: repo, imageIds: [{ imageTag: 'latest' }] })))
    .images?.[0];
  await expectError('PutImage moving an immutable tag', 'ImageTagAlreadyExistsException', () =>
    ecr.send(new PutImageCommand({ repositoryName: repo, imageTag: 'v1', imageManifest: manifestLatest?.imageManifest })),
  );
  const history = (await (await fetch(`${API}/__history?repository=${encodeURIComponent(repo)}`)).json()) as {
    tag: string;
    digest: string;
    via: string;
  }[];
  const digestsOf = (tag: string): string[] => [...new Set(history.filter((h) => h.tag === tag).map((h) => h.digest))];
  check(
    'tag history',
    digestsOf('v1').join() === digestA2 && digestsOf('latest').length === 2 && history.some((h) => h.tag === 'v1' && h.via === 'PutImage'),
    history,
  );

  // Fault rules and statistics: a throttled API call the SDK retries, a throttled MCR, a throttled Teams.
  const addRules = async (base: string, rules: unknown[]): Promise<number[]> => {
    const res = await fetch(`${base}/__faults`, { method: 'POST', body: JSON.stringify({ rules }) });
    return ((await res.json()) as { rules: { id: number }[] }).rules.map((r) => r.id);
  };
  const removeRules = async (base: string, ids: number[]): Promise<void> => {
    for (const id of ids) await fetch(`${base}/__faults/${id}`, { method: 'DELETE' });
  };
  const statsOf = async (base: string): Promise<{ requests: number; byKind: Record<string, number> }> =>
    (await fetch(`${base}/__stats`)).json() as never;
  const apiBefore = await statsOf(API);
  const apiRules = await addRules(API, [
    { match: { operation: 'DescribeRepositories' }, times: 1, action: { awsError: 'ThrottlingException', message: 'Rate exceeded' } },
  ]);
  const throttled = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repo] }));
  const apiAfter = await statsOf(API);
  check(
    'ECR API fault: the SDK retries a ThrottlingException',
    throttled.$metadata.attempts === 2 && apiAfter.byKind.DescribeRepositories - (apiBefore.byKind.DescribeRepositories ?? 0) >= 2,
    { attempts: throttled.$metadata.attempts, apiAfter },
  );
  await removeRules(API, apiRules);

  const mcrRules = await addRules(MCR_PROXY, [
    {
      match: { method: 'HEAD', path: '/manifests/6\\.0-bullseye-slim$' },
      times: 1,
      action: { status: 429, headers: { 'Retry-After': '1' } },
    },
  ]);
  const mcrBefore = await statsOf(MCR_PROXY);
  const head = (): Promise<Response> =>
    fetch(`${MCR_PROXY}/v2/dotnet/runtime/manifests/6.0-bullseye-slim`, {
      method: 'HEAD',
      headers: { accept: MEDIA_TYPES.dockerManifest },
    });
  const throttledHead = await head();
  const okHead = await head();
  const mcrAfter = await statsOf(MCR_PROXY);
  check(
    'MCR proxy fault: 429 with Retry-After, then the manifest',
    throttledHead.status === 429 &&
      throttledHead.headers.get('retry-after') === '1' &&
      okHead.status === 200 &&
      /^sha256:/.test(okHead.headers.get('docker-content-digest') ?? '') &&
      mcrAfter.byKind.manifests - mcrBefore.byKind.manifests >= 2,
    { throttled: throttledHead.status, ok: okHead.status, mcrAfter },
  );
  await removeRules(MCR_PROXY, mcrRules);

  const sinkRules = await addRules(SINK, [
    { match: { method: 'POST', path: '^/webhook/smoke-faults$' }, times: 1, action: { status: 429, headers: { 'Retry-After': '1' } } },
  ]);
  const card = (): Promise<Response> =>
    fetch(`${SINK}/webhook/smoke-faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"x"}' });
  const throttledCard = await card();
  const acceptedCard = await card();
  check(
    'Teams sink fault: 429, then accepted',
    throttledCard.status === 429 && throttledCard.headers.get('retry-after') === '1' && acceptedCard.status === 202,
    [throttledCard.status, acceptedCard.status],
  );
  await removeRules(SINK, sinkRules);

  await expectError('unknown operation', 'UnknownOperationException', async () => {
    const res = await fetch(API, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.Frobnicate' },
      body: '{}',
    });
    const body = (await res.json()) as { __type: string };
    throw Object.assign(new Error(`HTTP ${res.status}`), { name: res.status === 400 ? body.__type : 'unexpected' });
  });

  await fetch(`${SINK}/cards`, { method: 'DELETE' });
  const posted = await fetch(`${SINK}/webhook/smoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'message', text: 'smoke' }),
  });
  const bad = await fetch(`${SINK}/webhook/smoke`, { method: 'POST', body: '{not json' });
  const cards = (await (await fetch(`${SINK}/cards`)).json()) as { path: string; body: { text: string } }[];
  check(
    'Teams sink keeps cards',
    posted.status === 202 &&
      (await posted.text()) === '' &&
      bad.status === 400 &&
      cards.length === 1 &&
      cards[0].path === '/webhook/smoke' &&
      cards[0].body.text === 'smoke',
    cards,
  );
  await fetch(`${SINK}/cards`, { method: 'DELETE' });
}

async function cleanUp(): Promise<void> {
  await ecr.send(new DeleteRepositoryCommand({ repositoryName: repo, force: true })).catch(() => undefined);
  if (localImages.length) spawnSync('docker', ['rmi', '-f', ...new Set(localImages)], { env: dockerEnv, stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}

main()
  .then(async () => {
    await cleanUp();
    process.stdout.write(`smoke: all ${passed} checks passed\n`);
  })
  .catch(async (err: unknown) => {
    await cleanUp();
    process.stderr.write(`${(err as Error).message}\nsmoke: ${passed} checks passed before the failure\n`);
    process.exit(1);
  });
