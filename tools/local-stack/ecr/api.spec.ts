import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { CredentialStore } from '../aws-credentials';
import { createAccount } from './accounts';
import { apiHandler, operationOf, regionOf } from './api';
import { AwsError, repositoryNotFound } from './aws-errors';
import type { Operation } from './operations';
import type { Json, OperationContext } from './requests';
import { TagHistory } from './tag-history';
import { listen, type Listening } from './testing/listen';

const TARGET = 'AmazonEC2ContainerRegistry_V20150921.';
const signed = (accessKeyId: string, region = 'us-east-2'): string =>
  `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260501/${region}/ecr/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`;

describe('operationOf and regionOf', () => {
  it('reads the ECR operation from X-Amz-Target, nothing for another service', () => {
    expect(operationOf({ headers: { 'x-amz-target': `${TARGET}DescribeImages` } })).toBe('DescribeImages');
    expect(operationOf({ headers: { 'x-amz-target': 'AWSSecurityTokenServiceV20110615.GetCallerIdentity' } })).toBeUndefined();
    expect(operationOf({ headers: {} })).toBeUndefined();
  });

  it('reads the region from the SigV4 credential scope, else the default', () => {
    expect(regionOf({ headers: { authorization: signed('AKIA1', 'ap-south-1') } }, 'eu-west-1')).toBe('ap-south-1');
    expect(regionOf({ headers: {} }, 'eu-west-1')).toBe('eu-west-1');
  });
});

describe('the ECR API handler', () => {
  let dir: string;
  let server: Listening;
  let logged: string[];
  let seen: { input: Json; ctx: OperationContext }[];
  let credentials: CredentialStore;
  const agent = new http.Agent();

  const operations: Record<string, Operation> = {
    Echo(input, ctx) {
      seen.push({ input, ctx });
      return Promise.resolve({ ok: true });
    },
    Missing: () => Promise.reject(repositoryNotFound('app', '000000000000')),
    Throttled: () => Promise.reject(new AwsError('ThrottlingException', 'Rate exceeded')),
    Broken: () => Promise.reject(new Error('disk on fire')),
  };

  function post(operation: string | undefined, body: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${server.base}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        ...(operation ? { 'x-amz-target': `${TARGET}${operation}` } : {}),
        ...headers,
      },
      body,
    });
  }

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecr-api-'));
    logged = [];
    seen = [];
    credentials = new CredentialStore();
    const account = (id: string, port: number) =>
      createAccount({ id, proxyPort: port, backend: 'http://127.0.0.1:1', storage: dir, metaFile: path.join(dir, `${id}.json`) }, agent, 0);
    const caller = account('000000000000', 5002);
    const history = new TagHistory(path.join(dir, 'history.jsonl'));
    history.record('000000000000', 'app', '1', 'sha256:aa', undefined, 'push');
    const handler = apiHandler({
      operations,
      credentials,
      history,
      caller,
      accounts: [caller, account('111111111111', 5007)],
      stsPort: 5006,
      defaultRegion: 'eu-west-1',
      log: (m) => logged.push(m),
    });
    server = await listen(handler);
  });
  afterEach(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterAll(() => agent.destroy());

  it('answers /health with the accounts, their registries and the STS port', async () => {
    const res = await fetch(`${server.base}/health`);
    expect(await res.json()).toEqual({
      service: 'ecr-stand-in',
      account: '000000000000',
      registries: { '000000000000': 'localhost:5002', '111111111111': 'localhost:5007' },
      sts: 'localhost:5006',
    });
  });

  it('serves the tag history', async () => {
    expect(((await (await fetch(`${server.base}/__history`)).json()) as Json[]).map((e) => e.tag)).toEqual(['1']);
  });

  it('calls the operation with its input, the region signed for and the default caller, and answers AWS JSON', async () => {
    const res = await post('Echo', '{"repositoryName":"app"}', { authorization: signed('AKIALONGLIVED') });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await res.json()).toEqual({ ok: true });
    expect(seen).toEqual([
      {
        input: { repositoryName: 'app' },
        ctx: { region: 'us-east-2', operation: 'Echo', callerArn: 'arn:aws:iam::000000000000:user/local' },
      },
    ]);
  });

  it('passes an empty body as {}, and names the assumed role that signed', async () => {
    const issued = credentials.issue('000000000000', 'publish', 'run', 60);
    await post('Echo', '', { authorization: signed(issued.accessKeyId), 'x-amz-security-token': issued.sessionToken });
    expect(seen[0]).toEqual({
      input: {},
      ctx: expect.objectContaining({ callerArn: 'arn:aws:sts::000000000000:assumed-role/publish/run' }) as jest.AsymmetricMatcher,
    });
  });

  it.each<[string, string | undefined, string, number, Json]>([
    [
      'an operation ECR does not have',
      'CreatePullThroughCacheRule',
      '{}',
      400,
      { __type: 'UnknownOperationException', message: `Unknown operation ${TARGET}CreatePullThroughCacheRule` },
    ],
    [
      'an STS query, which names no target',
      undefined,
      'Action=GetCallerIdentity&Version=2011-06-15',
      400,
      { __type: 'UnknownOperationException', message: 'Unknown operation (no X-Amz-Target)' },
    ],
    ['a body that is not JSON', 'Echo', '{', 400, { __type: 'SerializationException', message: 'Request body is not valid JSON' }],
    [
      'a body that is not an object',
      'Echo',
      '[]',
      400,
      { __type: 'SerializationException', message: 'Request body must be a JSON object' },
    ],
    ['an AWS error of the operation', 'Throttled', '{}', 400, { __type: 'ThrottlingException', message: 'Rate exceeded' }],
    ['any other failure, as a server error', 'Broken', '{}', 500, { __type: 'ServerException', message: 'disk on fire' }],
  ])('answers %s', async (_what, operation, body, status, expected) => {
    const res = await post(operation, body);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual(expected);
    expect(seen).toEqual([]);
  });

  it('answers requests that are not API calls with 404', async () => {
    const res = await fetch(`${server.base}/v2/`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ __type: 'UnknownOperationException', message: 'GET /v2/ is not an AWS API call' });
  });

  it('checks credentials before anything else: expired, or with another session token', async () => {
    const issued = credentials.issue('000000000000', 'publish', 'run', 60);
    const wrongToken = await post('Echo', '{}', { authorization: signed(issued.accessKeyId), 'x-amz-security-token': 'other' });
    expect(await wrongToken.json()).toEqual({
      __type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid',
    });
    credentials.expire(issued.accessKeyId);
    const expired = await post('NoSuchOperation', '{', {
      authorization: signed(issued.accessKeyId),
      'x-amz-security-token': issued.sessionToken,
    });
    expect(expired.status).toBe(400);
    expect(await expired.json()).toEqual({
      __type: 'ExpiredTokenException',
      message: 'The security token included in the request is expired',
    });
    expect(seen).toEqual([]);
  });

  it('logs refusals and failures, but not a repository looked up before it is created', async () => {
    await post('Missing', '{}');
    await post('Throttled', '{}');
    await post('Broken', '{}');
    expect(logged[0]).toBe('Throttled: ThrottlingException: Rate exceeded');
    expect(logged[1]).toMatch(/^Broken: Error: disk on fire\n\s+at /);
    expect(logged).toHaveLength(2);
  });
});
