import { CredentialStore } from './aws-credentials';
import { listen, type Listening } from './ecr/testing/listen';
import { stsHandler } from './sts';

describe('the STS stand-in', () => {
  let server: Listening;
  let credentials: CredentialStore;
  let logged: string[];

  const query = (params: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${server.base}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ Version: '2011-06-15', ...params }).toString(),
    });
  const tag = (xml: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  const assume = (extra: Record<string, string> = {}): Promise<Response> =>
    query({ Action: 'AssumeRole', RoleArn: 'arn:aws:iam::111111111111:role/ci/publish', RoleSessionName: 'run-1', ...extra });
  const signed = (accessKeyId: string, sessionToken: string): Record<string, string> => ({
    authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260501/eu-west-1/sts/aws4_request, SignedHeaders=host, Signature=abc`,
    'x-amz-security-token': sessionToken,
  });

  beforeEach(async () => {
    credentials = new CredentialStore();
    logged = [];
    const handler = stsHandler({ account: '000000000000', credentials, roleMaxSessionSeconds: 7200, log: (m) => logged.push(m) });
    server = await listen(handler);
  });
  afterEach(() => server.close());

  it('answers /health', async () => {
    expect(await (await fetch(`${server.base}/health`)).json()).toEqual({ service: 'sts stand-in', account: '000000000000' });
  });

  it("names the stack's own user to a caller with a long-lived key", async () => {
    const res = await query({ Action: 'GetCallerIdentity' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/xml');
    const xml = await res.text();
    expect(xml).toContain('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">');
    expect([tag(xml, 'Arn'), tag(xml, 'Account')]).toEqual(['arn:aws:iam::000000000000:user/local', '000000000000']);
    expect(tag(xml, 'RequestId')).toBe(res.headers.get('x-amzn-requestid'));
  });

  it('issues credentials of the role asked for, an hour by default, which then identify the caller', async () => {
    const before = Date.now();
    const xml = await (await assume()).text();
    expect(tag(xml, 'Arn')).toBe('arn:aws:sts::111111111111:assumed-role/publish/run-1');
    const accessKeyId = tag(xml, 'AccessKeyId') as string;
    const expiration = Date.parse(tag(xml, 'Expiration') as string);
    expect(expiration).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 3600_000 - 1000);
    expect(expiration).toBeLessThanOrEqual(Date.now() + 3600_000);
    const who = await (await query({ Action: 'GetCallerIdentity' }, signed(accessKeyId, tag(xml, 'SessionToken') as string))).text();
    expect([tag(who, 'Arn'), tag(who, 'Account')]).toEqual(['arn:aws:sts::111111111111:assumed-role/publish/run-1', '111111111111']);
  });

  it("allows sessions up to the role's maximum, and no longer", async () => {
    expect((await assume({ DurationSeconds: '7200' })).status).toBe(200);
    const res = await assume({ DurationSeconds: '7201' });
    expect(res.status).toBe(400);
    const xml = await res.text();
    expect([tag(xml, 'Code'), tag(xml, 'Message')]).toEqual([
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    ]);
  });

  it.each<[string, Record<string, string>, string]>([
    ['a role ARN that is not one', { RoleArn: 'publish' }, 'publish is invalid'],
    [
      'a session name with a space',
      { RoleSessionName: 'run 1' },
      "1 validation error detected: Value 'run 1' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    ],
    [
      'a session shorter than 900 s',
      { DurationSeconds: '899' },
      "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    ],
    [
      'a session longer than 43,200 s',
      { DurationSeconds: '43201' },
      "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200",
    ],
  ])('refuses %s', async (_what, extra, message) => {
    const res = await assume(extra);
    expect(res.status).toBe(400);
    const xml = await res.text();
    expect([tag(xml, 'Code'), tag(xml, 'Message')]).toEqual(['ValidationError', message]);
  });

  it('refuses expired credentials with ExpiredToken, and a wrong session token with InvalidClientTokenId', async () => {
    const issued = credentials.issue('000000000000', 'publish', 'run', 60);
    const wrong = await query({ Action: 'GetCallerIdentity' }, signed(issued.accessKeyId, 'other'));
    expect([wrong.status, tag(await wrong.text(), 'Code')]).toEqual([403, 'InvalidClientTokenId']);
    credentials.expire(issued.accessKeyId);
    const expired = await query({ Action: 'GetCallerIdentity' }, signed(issued.accessKeyId, issued.sessionToken));
    const xml = await expired.text();
    expect([expired.status, tag(xml, 'Code'), tag(xml, 'Message')]).toEqual([
      400,
      'ExpiredToken',
      'The security token included in the request is expired',
    ]);
  });

  it('answers an action it does not have with InvalidAction', async () => {
    const xml = await (await query({ Action: 'GetSessionToken' })).text();
    expect([tag(xml, 'Code'), tag(xml, 'Message')]).toEqual([
      'InvalidAction',
      'Could not find operation GetSessionToken for version 2011-06-15',
    ]);
  });

  describe('the control path that stands in for time passing', () => {
    const control = (pathname: string, body: string, method = 'POST'): Promise<Response> =>
      fetch(`${server.base}${pathname}`, { method, body: method === 'GET' ? undefined : body });

    it('issues session credentials of any lifetime, and expires them on request', async () => {
      const res = await control('/__credentials', '{"lifetimeSeconds":10}');
      expect(res.status).toBe(201);
      const issued = (await res.json()) as { accessKeyId: string; sessionToken: string; expiration: string };
      expect(Date.parse(issued.expiration) - Date.now()).toBeLessThanOrEqual(10_000);
      expect(credentials.of({ headers: signed(issued.accessKeyId, issued.sessionToken) })?.arn).toBe(
        'arn:aws:sts::000000000000:assumed-role/platform-images-publish/local-stack',
      );
      expect((await control('/__credentials/expire', JSON.stringify({ accessKeyId: issued.accessKeyId }))).status).toBe(204);
      expect(credentials.problem({ headers: signed(issued.accessKeyId, issued.sessionToken) })?.code).toBe('expired');
      expect(logged).toContain(`session credentials ${issued.accessKeyId} expired on request`);
    });

    it.each<[string, string, string, string, number, string]>([
      ['a body that is not JSON', '/__credentials', '{', 'POST', 400, 'body is not valid JSON'],
      [
        'a lifetime that is not positive',
        '/__credentials',
        '{"lifetimeSeconds":0}',
        'POST',
        400,
        'lifetimeSeconds must be a positive number',
      ],
      ['a GET', '/__credentials', '', 'GET', 405, 'POST /__credentials'],
      [
        'an unknown access key',
        '/__credentials/expire',
        '{"accessKeyId":"ASIANONE"}',
        'POST',
        404,
        'no session credentials with access key id "ASIANONE"',
      ],
    ])('refuses %s', async (_what, pathname, body, method, status, error) => {
      const res = await control(pathname, body, method);
      expect(res.status).toBe(status);
      expect(await res.json()).toEqual({ error });
    });
  });
});
