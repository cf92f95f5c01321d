/**
 * The ECR API port: the AWS JSON 1.1 protocol exactly as @aws-sdk/client-ecr and the AWS CLI send it
 * (`POST /`, the operation in `X-Amz-Target`, JSON in and out, errors as `{"__type", "message"}`). Only ECR
 * answers there: STS has its own endpoint in AWS (sts.<region>.amazonaws.com, AWS General Reference, "Service
 * endpoints"), so an STS call sent to the ECR endpoint gets ECR's answer to an operation it does not know.
 * Also `GET /health` and the tag history, `GET`/`DELETE /__history`.
 */
import { randomUUID } from 'node:crypto';
import type * as http from 'node:http';
import { type CredentialStore, EXPIRED_MESSAGE, INVALID_TOKEN_MESSAGE } from '../aws-credentials';
import type { Account } from './accounts';
import { AwsError } from './aws-errors';
import type { Log } from './log';
import type { Operation } from './operations';
import { readBody } from './read-body';
import type { Json } from './requests';
import type { TagHistory } from './tag-history';

const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

/** The ECR operation a request names in X-Amz-Target, if any. */
export function operationOf(req: Pick<http.IncomingMessage, 'headers'>): string | undefined {
  const target = String(req.headers['x-amz-target'] ?? '');
  return target.startsWith(ECR_TARGET_PREFIX) ? target.slice(ECR_TARGET_PREFIX.length) : undefined;
}

/** The region the client signed for, so ARNs name the region the caller asked about. */
export function regionOf(req: Pick<http.IncomingMessage, 'headers'>, defaultRegion: string): string {
  const match = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\//.exec(String(req.headers.authorization ?? ''));
  return match ? match[1] : defaultRegion;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export interface ApiOptions {
  operations: Record<string, Operation>;
  credentials: CredentialStore;
  history: TagHistory;
  /** The caller's own account, first among `accounts`. */
  caller: Account;
  accounts: readonly Account[];
  /** Named in the health answer. */
  stsPort: number;
  defaultRegion: string;
  log: Log;
}

export function apiHandler(options: ApiOptions): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
  const { operations, credentials, history, caller, accounts, stsPort, defaultRegion, log } = options;
  return async function handleApi(req, res) {
    const requestId = randomUUID();
    const pathname = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && pathname === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          service: 'ecr-stand-in',
          account: caller.id,
          registries: Object.fromEntries(accounts.map((a) => [a.id, a.registryHost])),
          sts: `localhost:${stsPort}`,
        }),
      );
      return;
    }
    if (pathname === '/__history') {
      history.handle(req, res);
      return;
    }
    if (req.method !== 'POST' || pathname !== '/') {
      sendJson(
        res,
        404,
        { __type: 'UnknownOperationException', message: `${req.method} ${pathname} is not an AWS API call` },
        { 'x-amzn-requestid': requestId },
      );
      return;
    }
    const body = await readBody(req, MAX_REQUEST_BYTES);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = operationOf(req) ?? '';
    const handler = Object.prototype.hasOwnProperty.call(operations, operation) ? operations[operation] : undefined;
    try {
      // Credentials are checked before anything else, as AWS does: an expired session fails every call.
      const problem = credentials.problem(req);
      if (problem?.code === 'expired') throw new AwsError('ExpiredTokenException', EXPIRED_MESSAGE);
      if (problem?.code === 'invalid-token') throw new AwsError('UnrecognizedClientException', INVALID_TOKEN_MESSAGE);
      // A form-encoded STS query sent here finds no X-Amz-Target: ECR does not know it (see the header comment).
      if (!handler) throw new AwsError('UnknownOperationException', `Unknown operation ${target || '(no X-Amz-Target)'}`);
      let input: Json;
      try {
        input = body.length ? (JSON.parse(body.toString('utf8')) as Json) : {};
      } catch {
        throw new AwsError('SerializationException', 'Request body is not valid JSON');
      }
      if (input === null || typeof input !== 'object' || Array.isArray(input))
        throw new AwsError('SerializationException', 'Request body must be a JSON object');
      const callerArn = credentials.of(req)?.arn ?? `arn:aws:iam::${caller.id}:user/local`;
      const out = await handler(input, { region: regionOf(req, defaultRegion), operation, callerArn });
      sendJson(res, 200, out, { 'x-amzn-requestid': requestId });
    } catch (err) {
      if (err instanceof AwsError) {
        // Looking a repository up before creating it is routine, not worth a log line.
        if (err.type !== 'RepositoryNotFoundException') log(`${operation || target}: ${err.type}: ${err.message}`);
        sendJson(res, err.status, { __type: err.type, message: err.message }, { 'x-amzn-requestid': requestId });
      } else {
        log(`${operation || target}: ${(err as Error).stack ?? String(err)}`);
        sendJson(res, 500, { __type: 'ServerException', message: (err as Error).message }, { 'x-amzn-requestid': requestId });
      }
    }
  };
}
