import { RegistryAuth, TOKEN_TTL_SECONDS } from './registry-auth';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('RegistryAuth', () => {
  it('hands out base64("AWS:" + password), valid for 12 hours from now', () => {
    const auth = new RegistryAuth('s3cret', () => 1_700_000_000_999);
    const token = auth.token();
    expect(Buffer.from(token.authorizationToken, 'base64').toString()).toBe('AWS:s3cret');
    expect(TOKEN_TTL_SECONDS).toBe(43_200);
    expect(token.expiresAt).toBe(1_700_000_000 + 43_200);
  });

  it('lets in Basic auth as AWS with the password, the token itself, surrounding spaces trimmed', () => {
    const auth = new RegistryAuth('s3cret');
    expect(auth.authorized(basic('AWS', 's3cret'))).toBe(true);
    expect(auth.authorized(`Basic ${auth.token().authorizationToken}`)).toBe(true);
    expect(auth.authorized(`  ${basic('AWS', 's3cret')} `)).toBe(true);
  });

  it.each<[string, string | undefined]>([
    ['no header', undefined],
    ['an empty header', ''],
    ['another password', basic('AWS', 'guess')],
    ['another user', basic('aws', 's3cret')],
    ['a bearer token', `Bearer ${Buffer.from('AWS:s3cret').toString('base64')}`],
  ])('refuses %s', (_what, header) => {
    expect(new RegistryAuth('s3cret').authorized(header)).toBe(false);
  });
});
