import { accessKeyIdOf, CredentialStore } from './aws-credentials';

const signedWith = (accessKeyId: string, sessionToken?: string) => ({
  headers: {
    authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260501/eu-west-1/ecr/aws4_request, SignedHeaders=host, Signature=abc`,
    ...(sessionToken !== undefined ? { 'x-amz-security-token': sessionToken } : {}),
  },
});

describe('accessKeyIdOf', () => {
  it('reads the access key id of a SigV4 signature, nothing from an unsigned request', () => {
    expect(accessKeyIdOf(signedWith('AKIAEXAMPLE'))).toBe('AKIAEXAMPLE');
    expect(accessKeyIdOf({ headers: {} })).toBeUndefined();
    expect(accessKeyIdOf({ headers: { authorization: 'Basic QVdTOnB3' } })).toBeUndefined();
  });
});

describe('CredentialStore', () => {
  let now: number;
  let store: CredentialStore;

  beforeEach(() => {
    now = 1_000_000;
    store = new CredentialStore(() => now);
  });

  it('issues temporary credentials of an assumed role, for the lifetime asked', () => {
    const issued = store.issue('111111111111', 'publish', 'run-1', 900);
    expect(issued).toMatchObject({
      accessKeyId: expect.stringMatching(/^ASIA[0-9A-F]{16}$/) as jest.AsymmetricMatcher,
      expiresAt: 1_000_000 + 900_000,
      arn: 'arn:aws:sts::111111111111:assumed-role/publish/run-1',
      account: '111111111111',
    });
    expect(store.issue('111111111111', 'publish', 'run-1', 900).accessKeyId).not.toBe(issued.accessKeyId);
  });

  it('accepts a request signed with them until they expire, then says they expired', () => {
    const issued = store.issue('000000000000', 'publish', 'run', 60);
    const req = signedWith(issued.accessKeyId, issued.sessionToken);
    expect(store.of(req)).toBe(issued);
    now += 59_999;
    expect(store.problem(req)).toBeUndefined();
    now += 1;
    expect(store.problem(req)).toEqual({ code: 'expired', credentials: issued });
  });

  it('refuses their access key with another session token, or none', () => {
    const issued = store.issue('000000000000', 'publish', 'run', 60);
    expect(store.problem(signedWith(issued.accessKeyId, 'other'))).toEqual({ code: 'invalid-token' });
    expect(store.problem(signedWith(issued.accessKeyId))).toEqual({ code: 'invalid-token' });
  });

  it('ends a session on request, and knows no session of an access key it never issued', () => {
    const issued = store.issue('000000000000', 'publish', 'run', 3600);
    expect(store.expire(issued.accessKeyId)).toBe(true);
    expect(store.problem(signedWith(issued.accessKeyId, issued.sessionToken))?.code).toBe('expired');
    expect(store.expire('ASIANEVERISSUED')).toBe(false);
  });

  it('takes any other key as a long-lived key, with nothing wrong', () => {
    expect(store.of(signedWith('AKIALONGLIVED'))).toBeUndefined();
    expect(store.problem(signedWith('AKIALONGLIVED'))).toBeUndefined();
    expect(store.problem({ headers: {} })).toBeUndefined();
  });
});
