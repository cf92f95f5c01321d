/**
 * The AWS credentials the local stack's STS issues, and the check every AWS API request goes through.
 *
 * Real AWS signs every request with Signature Version 4: the `Authorization` header names the access key id
 * (`Credential=<akid>/<date>/<region>/<service>/aws4_request`) and temporary credentials add their session
 * token in `X-Amz-Security-Token` (AWS General Reference, "Signature Version 4 signing process" / "Elements
 * of an AWS API request signature"). Temporary credentials from STS AssumeRole last `DurationSeconds`, 900 to
 * 43,200 seconds (STS API reference, AssumeRole), and a request signed with them afterwards is refused with
 * `ExpiredTokenException` by JSON services such as ECR ("The security token included in the request is
 * expired", ECR API reference, Common Errors) and `ExpiredToken` by STS's query API.
 *
 * Signatures are not verified here (any secret works, as the product's tests do not test AWS's crypto), but
 * the access key id is: keys this STS issued expire like real session credentials; any other key is taken
 * as a long-lived key of the caller's account.
 */
import { randomBytes } from 'node:crypto';
import type * as http from 'node:http';

export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>` */
  arn: string;
  account: string;
}

/** The access key id a SigV4-signed request names, if it is signed. */
export function accessKeyIdOf(req: Pick<http.IncomingMessage, 'headers'>): string | undefined {
  return /Credential=([A-Za-z0-9]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
}

export type CredentialProblem = { code: 'expired'; credentials: SessionCredentials } | { code: 'invalid-token' };

export class CredentialStore {
  private readonly issued = new Map<string, SessionCredentials>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Temporary credentials for an assumed role, as AssumeRole returns them. */
  issue(account: string, roleName: string, sessionName: string, lifetimeSeconds: number): SessionCredentials {
    // Temporary access key ids start with ASIA, long-term ones with AKIA (IAM User Guide, "Unique identifiers").
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const credentials: SessionCredentials = {
      accessKeyId,
      secretAccessKey: randomBytes(30).toString('base64url'),
      sessionToken: randomBytes(48).toString('base64'),
      expiresAt: this.now() + lifetimeSeconds * 1000,
      arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`,
      account,
    };
    this.issued.set(accessKeyId, credentials);
    return credentials;
  }

  /** Makes issued credentials expire now, as if their lifetime had passed; false when the key is unknown. */
  expire(accessKeyId: string): boolean {
    const credentials = this.issued.get(accessKeyId);
    if (!credentials) return false;
    credentials.expiresAt = this.now() - 1;
    return true;
  }

  /** The issued credentials a request is signed with, if any. */
  of(req: Pick<http.IncomingMessage, 'headers'>): SessionCredentials | undefined {
    const id = accessKeyIdOf(req);
    return id === undefined ? undefined : this.issued.get(id);
  }

  /** Why AWS would refuse the request's credentials; undefined when it would accept them. */
  problem(req: Pick<http.IncomingMessage, 'headers'>): CredentialProblem | undefined {
    const credentials = this.of(req);
    if (!credentials) return undefined;
    if (req.headers['x-amz-security-token'] !== credentials.sessionToken) return { code: 'invalid-token' };
    return this.now() >= credentials.expiresAt ? { code: 'expired', credentials } : undefined;
  }
}

/** The message AWS gives for expired temporary credentials, on JSON and query services alike. */
export const EXPIRED_MESSAGE = 'The security token included in the request is expired';
export const INVALID_TOKEN_MESSAGE = 'The security token included in the request is invalid';
