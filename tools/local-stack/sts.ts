/**
 * STS on its own endpoint, as in AWS (`sts.<region>.amazonaws.com`, never the ECR API host): the query
 * protocol (form-encoded `Action=…&Version=2011-06-15`, XML answers) as @aws-sdk/client-sts and the AWS CLI
 * send it. GetCallerIdentity and AssumeRole, shaped after the STS API reference; AssumeRole issues the
 * temporary credentials that CredentialStore later expires.
 *
 * A control path stands in for time passing, which a test cannot wait for (the shortest real session is
 * 900 s): `POST /__credentials {"lifetimeSeconds": n}` issues session credentials of any lifetime, and
 * `POST /__credentials/expire {"accessKeyId": "…"}` ends a session now.
 */
import { randomUUID } from 'node:crypto';
import type * as http from 'node:http';
import { CredentialStore, EXPIRED_MESSAGE, INVALID_TOKEN_MESSAGE } from './aws-credentials';
import { sendJson } from './faults';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
/** AssumeRole's DurationSeconds range (STS API reference). */
const MIN_DURATION = 900;
const MAX_DURATION = 43_200;
const DEFAULT_DURATION = 3600;

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function send(res: http.ServerResponse, status: number, xml: string, requestId: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml), 'x-amzn-requestid': requestId });
  res.end(xml);
}

function error(res: http.ServerResponse, status: number, code: string, message: string, requestId: string): void {
  send(
    res,
    status,
    `<ErrorResponse xmlns="${NS}">
  <Error>
    <Type>Sender</Type>
    <Code>${code}</Code>
    <Message>${xmlEscape(message)}</Message>
  </Error>
  <RequestId>${requestId}</RequestId>
</ErrorResponse>
`,
    requestId,
  );
}

function result(res: http.ServerResponse, action: string, inner: string, requestId: string): void {
  send(
    res,
    200,
    `<${action}Response xmlns="${NS}">
  <${action}Result>
${inner}
  </${action}Result>
  <ResponseMetadata>
    <RequestId>${requestId}</RequestId>
  </ResponseMetadata>
</${action}Response>
`,
    requestId,
  );
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface StsOptions {
  /** The account of the stack's long-lived keys, and of the roles it lets callers assume. */
  account: string;
  credentials: CredentialStore;
  /**
   * The role's maximum session duration, AssumeRole's upper bound on DurationSeconds. A role's default is one
   * hour (IAM User Guide, "Update the maximum session duration for a role").
   */
  roleMaxSessionSeconds: number;
  log: (message: string) => void;
}

/** The body of a control request (`POST /__credentials`, `/__credentials/expire`); every field may be left out. */
interface ControlRequest {
  accessKeyId?: string;
  lifetimeSeconds?: number;
  role?: string;
  session?: string;
}

export function stsHandler(options: StsOptions): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
  const { account, credentials, roleMaxSessionSeconds, log } = options;

  async function control(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<void> {
    let body: ControlRequest;
    try {
      const text = await readBody(req);
      body = text ? (JSON.parse(text) as ControlRequest) : {};
    } catch {
      return sendJson(res, 400, { error: 'body is not valid JSON' });
    }
    if (req.method !== 'POST') return sendJson(res, 405, { error: `POST ${pathname}` });
    if (pathname === '/__credentials/expire') {
      const id = String(body.accessKeyId ?? '');
      if (!credentials.expire(id)) return sendJson(res, 404, { error: `no session credentials with access key id "${id}"` });
      log(`session credentials ${id} expired on request`);
      return sendJson(res, 204);
    }
    const lifetime = Number(body.lifetimeSeconds ?? DEFAULT_DURATION);
    if (!Number.isFinite(lifetime) || lifetime <= 0) return sendJson(res, 400, { error: 'lifetimeSeconds must be a positive number' });
    const issued = credentials.issue(
      account,
      String(body.role ?? 'platform-images-publish'),
      String(body.session ?? 'local-stack'),
      lifetime,
    );
    log(`issued session credentials ${issued.accessKeyId} for ${lifetime} s (control)`);
    return sendJson(res, 201, {
      accessKeyId: issued.accessKeyId,
      secretAccessKey: issued.secretAccessKey,
      sessionToken: issued.sessionToken,
      expiration: new Date(issued.expiresAt).toISOString(),
    });
  }

  return async function handleSts(req, res) {
    const requestId = randomUUID();
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname === '/health' && req.method === 'GET') return sendJson(res, 200, { service: 'sts stand-in', account });
    if (pathname === '/__credentials' || pathname === '/__credentials/expire') return control(req, res, pathname);
    const form = new URLSearchParams(await readBody(req));
    const problem = credentials.problem(req);
    if (problem?.code === 'expired') return error(res, 400, 'ExpiredToken', EXPIRED_MESSAGE, requestId);
    if (problem?.code === 'invalid-token') return error(res, 403, 'InvalidClientTokenId', INVALID_TOKEN_MESSAGE, requestId);
    const caller = credentials.of(req);
    const action = form.get('Action');
    if (action === 'GetCallerIdentity') {
      const arn = caller?.arn ?? `arn:aws:iam::${account}:user/local`;
      return result(
        res,
        action,
        `    <Arn>${xmlEscape(arn)}</Arn>
    <UserId>AIDALOCALSTACKUSER0001</UserId>
    <Account>${caller?.account ?? account}</Account>`,
        requestId,
      );
    }
    if (action === 'AssumeRole') {
      const roleArn = form.get('RoleArn') ?? '';
      const sessionName = form.get('RoleSessionName') ?? '';
      const match = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(roleArn);
      if (!match) return error(res, 400, 'ValidationError', `${roleArn} is invalid`, requestId);
      if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
        return error(
          res,
          400,
          'ValidationError',
          `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: ` +
            `Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
          requestId,
        );
      }
      const duration = Number(form.get('DurationSeconds') ?? DEFAULT_DURATION);
      if (!Number.isInteger(duration) || duration < MIN_DURATION || duration > MAX_DURATION) {
        return error(
          res,
          400,
          'ValidationError',
          `1 validation error detected: Value '${form.get('DurationSeconds')}' at 'durationSeconds' failed to satisfy constraint: ` +
            `Member must have value ${duration < MIN_DURATION ? `greater than or equal to ${MIN_DURATION}` : `less than or equal to ${MAX_DURATION}`}`,
          requestId,
        );
      }
      if (duration > roleMaxSessionSeconds) {
        return error(
          res,
          400,
          'ValidationError',
          'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
          requestId,
        );
      }
      const issued = credentials.issue(match[1], match[2], sessionName, duration);
      log(`AssumeRole ${roleArn} as ${sessionName}: ${issued.accessKeyId} for ${duration} s`);
      return result(
        res,
        action,
        `    <AssumedRoleUser>
      <Arn>${xmlEscape(issued.arn)}</Arn>
      <AssumedRoleId>AROALOCALSTACKROLE01:${xmlEscape(sessionName)}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${issued.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${issued.secretAccessKey}</SecretAccessKey>
      <SessionToken>${issued.sessionToken}</SessionToken>
      <Expiration>${new Date(issued.expiresAt).toISOString().replace(/\.\d+Z$/, 'Z')}</Expiration>
    </Credentials>`,
        requestId,
      );
    }
    return error(
      res,
      400,
      'InvalidAction',
      `Could not find operation ${action ?? '(none)'} for version ${form.get('Version') ?? '(none)'}`,
      requestId,
    );
  };
}
