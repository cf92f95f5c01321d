/**
 * The ECR stand-in's settings, read once from the environment by its entry (ecr-stand-in.ts) and handed to
 * every module as a read-only object; no module reads process.env itself.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';

export interface AccountConfig {
  readonly id: string;
  /** The port of this account's registry host (its authenticating proxy). */
  readonly proxyPort: number;
  /** The plain distribution registry behind the proxy: this account's storage. */
  readonly backend: string;
  /** That registry's storage directory, read to find untagged manifests and to remove single tags. */
  readonly storage: string;
  /** Repository settings and first-push times. */
  readonly metaFile: string;
}

export interface EcrConfig {
  readonly stateDir: string;
  readonly bind: string;
  readonly apiPort: number;
  readonly stsPort: number;
  readonly historyFile: string;
  /** The region of ARNs when a request is not signed for one. */
  readonly defaultRegion: string;
  /** The registry password GetAuthorizationToken hands out. */
  readonly password: string;
  /** AssumeRole's upper bound on DurationSeconds (sts.ts). */
  readonly roleMaxSessionSeconds: number;
  /** Epoch seconds: the pushed-at time of images older than any record. */
  readonly startedAt: number;
  /** The caller's own account: where credentials of the stack belong, and what GetAuthorizationToken's proxyEndpoint names. */
  readonly caller: AccountConfig;
  /** Accounts other than the caller's, whose repositories calls name with registryId. */
  readonly others: readonly AccountConfig[];
}

/** The stack's state directory when LOCAL_STACK_STATE does not name one: tools/local-stack/.state. */
export const DEFAULT_STATE_DIR = path.resolve(__dirname, '..', '.state');

const OTHER_ACCOUNT = /^(\d{12})=(\d+):(\d+)$/;

/** `<account>=<proxy port>:<backing registry port>`, comma-separated: accounts other than the caller's. */
export function parseOtherAccounts(spec: string, stateDir: string): AccountConfig[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = OTHER_ACCOUNT.exec(entry);
      if (!match) throw new Error(`ECR_STAND_IN_OTHER_ACCOUNTS: "${entry}" is not <12-digit account>=<proxy port>:<backing port>`);
      return Object.freeze({
        id: match[1],
        proxyPort: Number(match[2]),
        backend: `http://127.0.0.1:${match[3]}`,
        storage: path.join(stateDir, `ecr-data-${match[1]}`),
        metaFile: path.join(stateDir, `ecr-meta-${match[1]}.json`),
      });
    });
}

/**
 * The settings from an environment: LOCAL_STACK_STATE, LOCAL_STACK_BIND, ECR_STAND_IN_{API,STS,PROXY}_PORT,
 * ECR_STAND_IN_{HISTORY,ACCOUNT,BACKEND,STORAGE,META,PASSWORD,OTHER_ACCOUNTS}, AWS_REGION / AWS_DEFAULT_REGION
 * and STS_STAND_IN_ROLE_MAX_SESSION_SECONDS. The password is random unless ECR_STAND_IN_PASSWORD sets it.
 */
export function readConfig(
  env: Readonly<Record<string, string | undefined>>,
  nowMs: number = Date.now(),
  randomPassword: () => string = () => randomBytes(24).toString('base64url'),
): EcrConfig {
  const stateDir = env.LOCAL_STACK_STATE ?? DEFAULT_STATE_DIR;
  const caller: AccountConfig = Object.freeze({
    id: env.ECR_STAND_IN_ACCOUNT ?? '000000000000',
    proxyPort: Number(env.ECR_STAND_IN_PROXY_PORT ?? 5002),
    backend: env.ECR_STAND_IN_BACKEND ?? 'http://127.0.0.1:5012',
    storage: env.ECR_STAND_IN_STORAGE ?? path.join(stateDir, 'ecr-data'),
    metaFile: env.ECR_STAND_IN_META ?? path.join(stateDir, 'ecr-meta.json'),
  });
  return Object.freeze({
    stateDir,
    bind: env.LOCAL_STACK_BIND ?? '127.0.0.1',
    apiPort: Number(env.ECR_STAND_IN_API_PORT ?? 5003),
    stsPort: Number(env.ECR_STAND_IN_STS_PORT ?? 5006),
    historyFile: env.ECR_STAND_IN_HISTORY ?? path.join(stateDir, 'ecr-history.jsonl'),
    defaultRegion: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'eu-west-1',
    password: env.ECR_STAND_IN_PASSWORD || randomPassword(),
    roleMaxSessionSeconds: Number(env.STS_STAND_IN_ROLE_MAX_SESSION_SECONDS ?? 3600),
    startedAt: nowMs / 1000,
    caller,
    others: Object.freeze(parseOtherAccounts(env.ECR_STAND_IN_OTHER_ACCOUNTS ?? '111111111111=5007:5013', stateDir)),
  });
}
