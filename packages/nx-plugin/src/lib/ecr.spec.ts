/**
 * AwsEcr with the real AWS SDK against local HTTP servers that answer as ECR (JSON 1.1) and STS (query/XML)
 * do: which endpoint each service's calls reach, and how AWS errors read to a user.
 */
import type { PutImageRequest } from '@aws-sdk/client-ecr';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsEcr } from './ecr';
import { UserError } from '../types/errors';

interface Seen {
  server: string;
  target?: string;
  body: string;
}

let seen: Seen[];
let answer: (server: string, req: http.IncomingMessage) => { status: number; type: string; body: string };
const servers: http.Server[] = [];

function start(name: string): Promise<string> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ server: name, target: req.headers['x-amz-target'] as string | undefined, body });
      const out = answer(name, req);
      res.writeHead(out.status, { 'content-type': out.type, 'content-length': Buffer.byteLength(out.body) });
      res.end(out.body);
    });
  });
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

const IDENTITY = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
<Arn>arn:aws:iam::210987654321:user/ci</Arn><UserId>AIDAX</UserId><Account>210987654321</Account>
</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;

const ENV_KEYS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_ECR',
  'AWS_ENDPOINT_URL_STS',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
];
const saved: Record<string, string | undefined> = {};
let ecrUrl: string;
let stsUrl: string;

beforeAll(async () => {
  for (const key of ENV_KEYS) saved[key] = process.env[key];
  ecrUrl = await start('ecr');
  stsUrl = await start('sts');
});

afterAll(async () => {
  for (const key of ENV_KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

beforeEach(() => {
  seen = [];
  for (const key of ENV_KEYS) delete process.env[key];
  // No shared config files: only what each test sets decides.
  process.env.AWS_CONFIG_FILE = '/nonexistent/config';
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
  process.env.AWS_ACCESS_KEY_ID = 'AKIAUNITTEST';
  process.env.AWS_SECRET_ACCESS_KEY = 'secret';
  answer = (server) =>
    server === 'sts'
      ? { status: 200, type: 'text/xml', body: IDENTITY }
      : { status: 200, type: 'application/x-amz-json-1.1', body: JSON.stringify({ repositories: [] }) };
});

describe('endpoints', () => {
  it('never sends STS to the ECR endpoint override: with only an ECR endpoint, STS follows AWS_ENDPOINT_URL_STS', async () => {
    process.env.AWS_ENDPOINT_URL_STS = stsUrl;
    const ecr = new AwsEcr({ region: 'eu-west-1', endpoint: ecrUrl, maxAttempts: 1 });
    await expect(ecr.accountId()).resolves.toBe('210987654321');
    expect(seen.map((s) => s.server)).toEqual(['sts']);
    expect(seen[0].body).toContain('Action=GetCallerIdentity');
  });

  it('honours AWS_ENDPOINT_URL_ECR when no ECR endpoint is configured', async () => {
    process.env.AWS_ENDPOINT_URL_ECR = ecrUrl;
    const ecr = new AwsEcr({ region: 'eu-west-1', maxAttempts: 1 });
    await ecr.findRepositories(['runtime']);
    expect(seen).toEqual([
      {
        server: 'ecr',
        target: 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories',
        body: JSON.stringify({ repositoryNames: ['runtime'] }),
      },
    ]);
  });

  it('prefers the configured endpoints over the environment, each for its own service', async () => {
    process.env.AWS_ENDPOINT_URL_ECR = 'http://127.0.0.1:9';
    process.env.AWS_ENDPOINT_URL_STS = 'http://127.0.0.1:9';
    const ecr = new AwsEcr({ region: 'eu-west-1', endpoint: ecrUrl, stsEndpoint: stsUrl, maxAttempts: 1 });
    await ecr.findRepositories(['runtime']);
    await ecr.accountId();
    expect(seen.map((s) => s.server)).toEqual(['ecr', 'sts']);
  });

  it('asks STS at most once, and not at all when the account is configured', async () => {
    const configured = new AwsEcr({ region: 'eu-west-1', account: '123456789012', endpoint: ecrUrl, stsEndpoint: stsUrl, maxAttempts: 1 });
    await expect(configured.accountId()).resolves.toBe('123456789012');
    const learned = new AwsEcr({ region: 'eu-west-1', endpoint: ecrUrl, stsEndpoint: stsUrl, maxAttempts: 1 });
    await learned.accountId();
    await learned.accountId();
    expect(seen.map((s) => s.server)).toEqual(['sts']);
  });
});

describe('GetAuthorizationToken', () => {
  it('asks without the deprecated registryIds and returns only the credentials, not proxyEndpoint', async () => {
    const token = Buffer.from('AWS:the-password').toString('base64');
    answer = () => ({
      status: 200,
      type: 'application/x-amz-json-1.1',
      body: JSON.stringify({
        authorizationData: [
          { authorizationToken: token, expiresAt: 1, proxyEndpoint: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com' },
        ],
      }),
    });
    const ecr = new AwsEcr({ region: 'eu-west-1', account: '210987654321', endpoint: ecrUrl, maxAttempts: 1 });
    await expect(ecr.login()).resolves.toEqual({ username: 'AWS', password: 'the-password' });
    expect(seen).toEqual([{ server: 'ecr', target: 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken', body: '{}' }]);
  });
});

describe('errors a user can act on', () => {
  const awsError =
    (type: string, message: string, status = 400) =>
    () => ({ status, type: 'application/x-amz-json-1.1', body: JSON.stringify({ __type: type, message }) });

  it.each<[string, ReturnType<typeof awsError>, RegExp, RegExp | undefined]>([
    [
      'expired session credentials',
      awsError('ExpiredTokenException', 'The security token included in the request is expired'),
      /^ECR DescribeRepositories runtime: the AWS credentials expired during the run \(ExpiredTokenException: The security token included in the request is expired\)$/,
      /aws\.rolecredential\.maxduration.*maximum session duration/,
    ],
    [
      'access denied',
      awsError('AccessDeniedException', 'User: arn:aws:iam::1:user/x is not authorized to perform: ecr:DescribeRepositories'),
      /^ECR DescribeRepositories runtime: AWS refused the request \(AccessDeniedException: User: .* is not authorized to perform: ecr:DescribeRepositories\)$/,
      /docs\/iam\/publishing-policy\.json/,
    ],
    [
      'a security token AWS does not know',
      awsError('UnrecognizedClientException', 'The security token included in the request is invalid.'),
      /AWS refused the request \(UnrecognizedClientException/,
      /docs\/iam\/publishing-policy\.json/,
    ],
  ])('%s', async (_name, reply, message, fix) => {
    answer = reply;
    const ecr = new AwsEcr({ region: 'eu-west-1', endpoint: ecrUrl, maxAttempts: 1 });
    const error = await ecr.findRepository('runtime').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(message);
    if (fix) expect((error as UserError).hint).toMatch(fix);
  });

  it("says the same of STS's expired-credentials answer", async () => {
    answer = () => ({
      status: 400,
      type: 'text/xml',
      body: '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message></Error><RequestId>r</RequestId></ErrorResponse>',
    });
    const ecr = new AwsEcr({ region: 'eu-west-1', endpoint: ecrUrl, stsEndpoint: stsUrl, maxAttempts: 1 });
    const error = (await ecr.accountId().catch((e: unknown) => e)) as UserError;
    expect(error.message).toBe(
      'STS GetCallerIdentity: the AWS credentials expired during the run (ExpiredToken: The security token included in the request is expired)',
    );
    expect(error.hint).toMatch(/aws\.rolecredential\.maxduration/);
  });
});

describe('removing tags (BatchDeleteImage by tag)', () => {
  const answerWith = (failures: unknown[]) => () => ({
    status: 200,
    type: 'application/x-amz-json-1.1',
    body: JSON.stringify({ imageIds: [], failures }),
  });

  it('counts a tag already gone as removed, and names each one ECR would not remove, with its reason', async () => {
    answer = answerWith([
      { imageId: { imageTag: 'staging-a' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
      { imageId: { imageTag: 'staging-b' }, failureCode: 'AccessDenied', failureReason: 'not allowed' },
    ]);
    const ecr = new AwsEcr({ region: 'eu-west-1', endpoint: ecrUrl, maxAttempts: 1 });
    const error = (await ecr.removeTags('runtime', ['staging-a', 'staging-b', 'staging-c']).catch((e: unknown) => e)) as UserError;
    expect(error.message).toBe('ECR BatchDeleteImage runtime: staging-b (AccessDenied: not allowed) (removed staging-a, staging-c)');
    expect(JSON.parse(seen[0].body)).toEqual({
      repositoryName: 'runtime',
      imageIds: [{ imageTag: 'staging-a' }, { imageTag: 'staging-b' }, { imageTag: 'staging-c' }],
    });

    answer = answerWith([{ imageId: { imageTag: 'staging-a' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }]);
    await expect(ecr.removeTags('runtime', ['staging-a', 'staging-c'])).resolves.toEqual(['staging-a', 'staging-c']);
  });

  it('untag: one tag, the same rules, its own message', async () => {
    const ecr = new AwsEcr({ region: 'eu-west-1', endpoint: ecrUrl, maxAttempts: 1 });
    answer = answerWith([{ imageId: { imageTag: 'staging-a' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }]);
    await expect(ecr.untag('runtime', 'staging-a')).resolves.toBeUndefined();
    answer = answerWith([{ imageId: { imageTag: 'staging-a' }, failureCode: 'AccessDenied', failureReason: 'not allowed' }]);
    await expect(ecr.untag('runtime', 'staging-a')).rejects.toThrow('ECR BatchDeleteImage runtime:staging-a: AccessDenied: not allowed');
  });
});

describe('retag (PutImage of a manifest already in the repository)', () => {
  const MANIFEST = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] });
  const DIGEST = `sha256:${'a'.repeat(64)}`;

  beforeEach(() => {
    answer = (_server, req) =>
      req.headers['x-amz-target']?.toString().endsWith('BatchGetImage')
        ? {
            status: 200,
            type: 'application/x-amz-json-1.1',
            body: JSON.stringify({
              images: [
                {
                  imageId: { imageDigest: DIGEST },
                  imageManifest: MANIFEST,
                  imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
                },
              ],
              failures: [],
            }),
          }
        : { status: 200, type: 'application/x-amz-json-1.1', body: JSON.stringify({ image: {} }) };
  });

  it('reads the manifest by digest (BatchGetImage), then writes it under each tag (PutImage)', async () => {
    const ecr = new AwsEcr({ region: 'eu-west-1', endpoint: ecrUrl, maxAttempts: 1 });
    await expect(ecr.retag('runtime', DIGEST, ['latest', '6.0'])).resolves.toEqual({
      moved: ['latest', '6.0'],
      unchanged: [],
      refused: [],
    });
    expect(seen.map((s) => s.target)).toEqual([
      'AmazonEC2ContainerRegistry_V20150921.BatchGetImage',
      'AmazonEC2ContainerRegistry_V20150921.PutImage',
      'AmazonEC2ContainerRegistry_V20150921.PutImage',
    ]);
  });

  it('with the manifest in hand for that digest, only writes it: no BatchGetImage', async () => {
    const ecr = new AwsEcr({ region: 'eu-west-1', endpoint: ecrUrl, maxAttempts: 1 });
    await ecr.retag('runtime', DIGEST, ['latest'], {
      digest: DIGEST,
      manifest: MANIFEST,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    expect(seen.map((s) => s.target)).toEqual(['AmazonEC2ContainerRegistry_V20150921.PutImage']);
    expect(JSON.parse(seen[0].body)).toEqual({
      repositoryName: 'runtime',
      imageManifest: MANIFEST,
      imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
      imageTag: 'latest',
    });
  });

  it('a manifest in hand for another digest is not used: the one the digest names is read', async () => {
    const ecr = new AwsEcr({ region: 'eu-west-1', endpoint: ecrUrl, maxAttempts: 1 });
    await ecr.retag('runtime', DIGEST, ['latest'], {
      digest: `sha256:${'b'.repeat(64)}`,
      manifest: '{}',
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    expect(seen.map((s) => s.target)).toEqual([
      'AmazonEC2ContainerRegistry_V20150921.BatchGetImage',
      'AmazonEC2ContainerRegistry_V20150921.PutImage',
    ]);
    expect((JSON.parse(seen[1].body) as PutImageRequest).imageManifest).toBe(MANIFEST);
  });
});

describe('scan findings (DescribeImageScanFindings, every page)', () => {
  const DIGEST = `sha256:${'a'.repeat(64)}`;
  const json = (body: unknown) => ({ status: 200, type: 'application/x-amz-json-1.1', body: JSON.stringify(body) });

  it('reads basic findings over pages: the CVE, package and installed version from the attributes, no fix', async () => {
    const pages = [
      {
        imageScanStatus: { status: 'COMPLETE', description: 'The scan was completed successfully.' },
        imageScanFindings: {
          findingSeverityCounts: { CRITICAL: 1, LOW: 1 },
          findings: [
            {
              name: 'CVE-2099-1',
              severity: 'CRITICAL',
              attributes: [
                { key: 'package_version', value: '3.23+nmu1' },
                { key: 'package_name', value: 'hostname' },
              ],
            },
          ],
        },
        nextToken: 'page-2',
      },
      { imageScanStatus: { status: 'COMPLETE' }, imageScanFindings: { findings: [{ name: 'CVE-2099-2', severity: 'LOW' }] } },
    ];
    answer = () => json(pages.shift());
    const ecr = new AwsEcr({ region: 'eu-west-1', endpoint: ecrUrl, maxAttempts: 1 });
    expect(await ecr.scanFindings('runtime', DIGEST)).toEqual({
      image: DIGEST,
      scanType: 'BASIC',
      status: 'COMPLETE',
      description: 'The scan was completed successfully.',
      counts: { CRITICAL: 1, LOW: 1 },
      findings: [
        { id: 'CVE-2099-1', severity: 'CRITICAL', package: 'hostname', installed: '3.23+nmu1', image: DIGEST },
        { id: 'CVE-2099-2', severity: 'LOW', image: DIGEST },
      ],
    });
    expect(seen.map((s) => s.target)).toEqual([
      'AmazonEC2ContainerRegistry_V20150921.DescribeImageScanFindings',
      'AmazonEC2ContainerRegistry_V20150921.DescribeImageScanFindings',
    ]);
    expect(JSON.parse(seen[1].body)).toMatchObject({ repositoryName: 'runtime', imageId: { imageDigest: DIGEST }, nextToken: 'page-2' });
  });

  it('reads enhanced findings: one per vulnerable package, epoch, version and release joined, the fix; suppressed ones left out', async () => {
    const finding = (status: string) => ({
      severity: 'HIGH',
      status,
      packageVulnerabilityDetails: {
        vulnerabilityId: 'CVE-2099-3',
        sourceUrl: 'https://security-tracker.debian.org/tracker/CVE-2099-3',
        vulnerablePackages: [
          { name: 'login', epoch: 1, version: '4.13+dfsg1', release: '1+deb12u1', fixedInVersion: '1:4.13+dfsg1-1+deb12u2' },
          { name: 'passwd', epoch: 1, version: '4.13+dfsg1', release: '1+deb12u1', fixedInVersion: 'NotAvailable' },
        ],
      },
    });
    answer = () =>
      json({ imageScanStatus: { status: 'ACTIVE' }, imageScanFindings: { enhancedFindings: [finding('ACTIVE'), finding('SUPPRESSED')] } });
    const ecr = new AwsEcr({ region: 'eu-west-1', endpoint: ecrUrl, maxAttempts: 1 });
    const scan = await ecr.scanFindings('runtime', DIGEST);
    expect(scan).toMatchObject({ scanType: 'ENHANCED', status: 'ACTIVE' });
    expect(scan !== 'not-found' && scan.findings).toEqual([
      {
        id: 'CVE-2099-3',
        severity: 'HIGH',
        image: DIGEST,
        uri: 'https://security-tracker.debian.org/tracker/CVE-2099-3',
        package: 'login',
        installed: '1:4.13+dfsg1-1+deb12u1',
        fixed: '1:4.13+dfsg1-1+deb12u2',
      },
      {
        id: 'CVE-2099-3',
        severity: 'HIGH',
        image: DIGEST,
        uri: 'https://security-tracker.debian.org/tracker/CVE-2099-3',
        package: 'passwd',
        installed: '1:4.13+dfsg1-1+deb12u1',
      },
    ]);
  });

  it('answers not-found for ScanNotFoundException, and reads the registry scanning configuration', async () => {
    answer = () => ({
      status: 400,
      type: 'application/x-amz-json-1.1',
      body: JSON.stringify({ __type: 'ScanNotFoundException', message: 'Image scan does not exist' }),
    });
    const ecr = new AwsEcr({ region: 'eu-west-1', endpoint: ecrUrl, maxAttempts: 1 });
    await expect(ecr.scanFindings('runtime', DIGEST)).resolves.toBe('not-found');
    answer = () =>
      json({
        registryId: '210987654321',
        scanningConfiguration: {
          scanType: 'ENHANCED',
          rules: [{ scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: [{ filter: 'platform/*', filterType: 'WILDCARD' }] }],
        },
      });
    await expect(ecr.registryScanning()).resolves.toEqual({
      registryId: '210987654321',
      scanType: 'ENHANCED',
      rules: [{ scanFrequency: 'CONTINUOUS_SCAN', filters: ['platform/*'] }],
    });
  });
});
