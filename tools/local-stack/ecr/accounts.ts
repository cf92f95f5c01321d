/**
 * The accounts this stand-in holds. In AWS every account has its own registry host,
 * `<account>.dkr.ecr.<region>.amazonaws.com` (ECR User Guide, "Amazon ECR private registry"); here each has its
 * own proxy port, backing registry, storage and repository settings.
 */
import type * as http from 'node:http';
import { AwsError, invalidParameter } from './aws-errors';
import { BackingRegistry } from './backing-registry';
import type { AccountConfig } from './config';
import { MetaStore } from './meta-store';
import { RegistryStorage } from './registry-storage';
import { RepositoryLocks } from './repository-locks';
import { type Json, type OperationContext, optionalString } from './requests';

export interface Account {
  id: string;
  proxyPort: number;
  /** What clients are told to push to: "localhost" rather than 127.0.0.1 because Docker treats both as
   * insecure-allowed, and the repository URIs then read like the registry host users type. */
  registryHost: string;
  registry: BackingRegistry;
  storage: RegistryStorage;
  meta: MetaStore;
  locks: RepositoryLocks;
}

/** @param startedAt epoch seconds, for repository records that lack a creation time */
export function createAccount(config: AccountConfig, agent: http.Agent, startedAt: number): Account {
  return {
    id: config.id,
    proxyPort: config.proxyPort,
    registryHost: `localhost:${config.proxyPort}`,
    registry: new BackingRegistry(new URL(config.backend), agent),
    storage: new RegistryStorage(config.storage),
    meta: new MetaStore(config.metaFile, startedAt),
    locks: new RepositoryLocks(),
  };
}

/**
 * The account a call is about: `registryId`, else the caller's own (ECR API reference: "If you do not specify
 * a registry, the default registry is assumed"). An account this stack does not hold grants the caller
 * nothing, which AWS answers with AccessDeniedException.
 */
export function accountOf(accounts: readonly Account[], caller: Account, input: Json, ctx: OperationContext): Account {
  const id = optionalString(input, 'registryId');
  if (id === undefined) return caller;
  if (!/^\d{12}$/.test(id)) throw invalidParameter('registryId', `must satisfy regular expression '[0-9]{12}'`);
  const found = accounts.find((a) => a.id === id);
  if (!found) {
    const name = optionalString(input, 'repositoryName') ?? '*';
    throw new AwsError(
      'AccessDeniedException',
      `User: ${ctx.callerArn} is not authorized to perform: ecr:${ctx.operation} on resource: ` +
        `arn:aws:ecr:${ctx.region}:${id}:repository/${name} because no resource-based policy allows the ecr:${ctx.operation} action`,
    );
  }
  return found;
}
