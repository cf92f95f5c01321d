/**
 * The registry password and the token GetAuthorizationToken hands out for it. Like real ECR, the proxies want
 * `Authorization: Basic base64("AWS:" + password)`, and the one token works on every registry the caller may
 * use (ECR API reference, GetAuthorizationToken).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The lifetime ECR gives an authorization token: 12 hours. */
export const TOKEN_TTL_SECONDS = 12 * 3600;

export interface AuthorizationToken {
  /** base64("AWS:" + password) */
  authorizationToken: string;
  /** Epoch seconds. */
  expiresAt: number;
}

export class RegistryAuth {
  private readonly expected: Buffer;

  /** @param now epoch milliseconds */
  constructor(
    private readonly password: string,
    private readonly now: () => number = Date.now,
  ) {
    this.expected = createHash('sha256')
      .update(`Basic ${Buffer.from(`AWS:${password}`).toString('base64')}`)
      .digest();
  }

  token(): AuthorizationToken {
    const expiresAt = Math.floor(this.now() / 1000) + TOKEN_TTL_SECONDS;
    return { authorizationToken: Buffer.from(`AWS:${this.password}`).toString('base64'), expiresAt };
  }

  /** Whether an Authorization header carries the password. */
  authorized(header: string | undefined): boolean {
    if (!header) return false;
    // Compared as hashes so the comparison takes the same time whatever the guess.
    return timingSafeEqual(createHash('sha256').update(header.trim()).digest(), this.expected);
  }
}
