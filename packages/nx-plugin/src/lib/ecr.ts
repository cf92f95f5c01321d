/**
 * AWS ECR through @aws-sdk/client-ecr, with the standard credential chain (environment, profile, web
 * identity, instance role…). Only what the pipeline needs: repository lookup and creation, the full tag
 * listing (paginated), and a login token whose password never leaves this process except on Docker's stdin.
 */
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  paginateDescribeImages,
} from '@aws-sdk/client-ecr';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { UserError } from './errors';

export interface EcrRepository {
  name: string;
  uri: string;
  registryId: string;
  /** The registry host part of the URI, what Docker logs in to. */
  registry: string;
  tagMutability: string;
  /** WILDCARD filters of tags exempt from IMMUTABLE_WITH_EXCLUSION. */
  mutableTagFilters: string[];
}

export interface EcrImage {
  digest: string;
  tags: string[];
  pushedAt?: Date;
}

export interface EcrLogin {
  registry: string;
  username: string;
  password: string;
}

export interface Ecr {
  findRepository(name: string): Promise<EcrRepository | undefined>;
  createRepository(name: string, scanOnPush: boolean): Promise<EcrRepository>;
  listImages(name: string): Promise<EcrImage[]>;
  login(): Promise<EcrLogin>;
  accountId(): Promise<string>;
}

export interface EcrOptions {
  region: string;
  account?: string;
  endpoint?: string;
  stsEndpoint?: string;
}

function toRepository(repo: {
  repositoryName?: string;
  repositoryUri?: string;
  registryId?: string;
  imageTagMutability?: string;
  imageTagMutabilityExclusionFilters?: Array<{ filterType?: string; filter?: string }>;
}): EcrRepository {
  const uri = repo.repositoryUri ?? '';
  return {
    name: repo.repositoryName ?? '',
    uri,
    registryId: repo.registryId ?? '',
    registry: uri.split('/')[0],
    tagMutability: repo.imageTagMutability ?? 'MUTABLE',
    mutableTagFilters: (repo.imageTagMutabilityExclusionFilters ?? []).filter((f) => f.filterType === 'WILDCARD' && f.filter).map((f) => f.filter!),
  };
}

/** Turns SDK errors into messages a user can act on, keeping the AWS error name. */
function explain(err: unknown, what: string): never {
  const e = err as { name?: string; message?: string };
  const name = e.name ?? 'Error';
  if (name === 'CredentialsProviderError') {
    throw new UserError(`${what}: no AWS credentials found (${e.message})`, 'set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run under an AWS service connection');
  }
  if (name === 'AccessDeniedException' || name === 'UnrecognizedClientException') {
    throw new UserError(`${what}: AWS refused the request (${name}: ${e.message})`, 'grant the ecr:* permissions the pipeline needs to these credentials');
  }
  throw new UserError(`${what}: ${name}: ${e.message ?? String(err)}`);
}

export class AwsEcr implements Ecr {
  private readonly client: ECRClient;
  private account?: string;

  constructor(private readonly options: EcrOptions) {
    this.client = new ECRClient({ region: options.region, endpoint: options.endpoint });
    this.account = options.account;
  }

  /** The configured account, or the one STS named once asked; undefined means the caller's own. */
  private get registryId(): string | undefined {
    return this.account;
  }

  async findRepository(name: string): Promise<EcrRepository | undefined> {
    try {
      const out = await this.client.send(new DescribeRepositoriesCommand({ registryId: this.registryId, repositoryNames: [name] }));
      return out.repositories?.[0] && toRepository(out.repositories[0]);
    } catch (err) {
      if ((err as Error).name === 'RepositoryNotFoundException') return undefined;
      explain(err, `ECR DescribeRepositories ${name}`);
    }
  }

  async createRepository(name: string, scanOnPush: boolean): Promise<EcrRepository> {
    try {
      const out = await this.client.send(new CreateRepositoryCommand({
        registryId: this.registryId,
        repositoryName: name,
        imageScanningConfiguration: { scanOnPush },
      }));
      return toRepository(out.repository ?? {});
    } catch (err) {
      // Another run created it meanwhile: use it.
      if ((err as Error).name === 'RepositoryAlreadyExistsException') {
        const repo = await this.findRepository(name);
        if (repo) return repo;
      }
      explain(err, `ECR CreateRepository ${name}`);
    }
  }

  async listImages(name: string): Promise<EcrImage[]> {
    const images: EcrImage[] = [];
    try {
      for await (const page of paginateDescribeImages({ client: this.client, pageSize: 1000 }, { registryId: this.registryId, repositoryName: name })) {
        for (const detail of page.imageDetails ?? []) {
          if (detail.imageDigest) images.push({ digest: detail.imageDigest, tags: detail.imageTags ?? [], pushedAt: detail.imagePushedAt });
        }
      }
    } catch (err) {
      explain(err, `ECR DescribeImages ${name}`);
    }
    return images;
  }

  async login(): Promise<EcrLogin> {
    try {
      const out = await this.client.send(new GetAuthorizationTokenCommand({}));
      const data = out.authorizationData?.[0];
      if (!data?.authorizationToken || !data.proxyEndpoint) throw new UserError('ECR GetAuthorizationToken returned no token');
      const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return { registry: data.proxyEndpoint.replace(/^https?:\/\//, '').replace(/\/$/, ''), username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    } catch (err) {
      if (err instanceof UserError) throw err;
      explain(err, 'ECR GetAuthorizationToken');
    }
  }

  async accountId(): Promise<string> {
    if (this.account) return this.account;
    try {
      const sts = new STSClient({ region: this.options.region, endpoint: this.options.stsEndpoint ?? this.options.endpoint });
      const out = await sts.send(new GetCallerIdentityCommand({}));
      this.account = out.Account ?? '';
      return this.account;
    } catch (err) {
      explain(err, 'STS GetCallerIdentity');
    }
  }
}
