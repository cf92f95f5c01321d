/**
 * AWS ECR through @aws-sdk/client-ecr, with the standard credential chain (environment, profile, web
 * identity, instance role…). Only what the pipeline needs: repository lookup and creation, the full tag
 * listing (paginated), and a login token whose password never leaves this process except on Docker's stdin.
 */
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  type EnhancedImageScanFinding,
  GetAuthorizationTokenCommand,
  GetRegistryScanningConfigurationCommand,
  type ImageScanFinding,
  paginateDescribeImageScanFindings,
  paginateDescribeImages,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { type Finding, type ImageScan, type RegistryScanning, severityOf } from './scan-policy';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { UserError } from '../types/errors';
import { MANIFEST_MEDIA_TYPES } from '../types/media-types';

export interface EcrRepository {
  name: string;
  uri: string;
  registryId: string;
  /** The registry host part of the URI, what Docker logs in to. */
  registry: string;
  tagMutability: string;
  /** WILDCARD filters of tags exempt from IMMUTABLE_WITH_EXCLUSION. */
  mutableTagFilters: string[];
  /** The repository's own scan-on-push setting (imageScanningConfiguration). */
  scanOnPush?: boolean;
}

export interface EcrImage {
  digest: string;
  tags: string[];
  pushedAt?: Date;
  /** The manifest's media type (imageManifestMediaType). */
  mediaType?: string;
  /** For a referrer, the manifest it refers to (subjectManifestDigest). */
  subject?: string;
}

/**
 * What `docker login` needs for ECR. The token works on every ECR registry the credentials may use, so it is
 * used for the registry host of the repository at hand (from its URI), never for GetAuthorizationToken's
 * `proxyEndpoint`: that names the caller's own default registry, whichever account holds the repository
 * (ECR API reference, GetAuthorizationToken).
 */
export interface EcrLogin {
  username: string;
  password: string;
}

/** How a repository the product creates protects its tags. */
export interface NewRepository {
  scanOnPush: boolean;
  tagMutability: 'MUTABLE' | 'IMMUTABLE' | 'IMMUTABLE_WITH_EXCLUSION';
  /** WILDCARD filters of the tags that stay mutable under IMMUTABLE_WITH_EXCLUSION (`latest`, `8.0`…). */
  mutableTagFilters: string[];
}

/** What happened to each tag a retag asked for. */
export interface RetagResult {
  moved: string[];
  /** Already on that image: nothing to do. */
  unchanged: string[];
  /** Immutable tags naming another image. */
  refused: string[];
}

/** A manifest as the repository stores it. */
export interface StoredManifest {
  digest: string;
  manifest: string;
  mediaType?: string;
}

/** What writing a manifest under a tag did. */
export type PutOutcome = 'put' | 'unchanged' | 'refused';

export interface Ecr {
  findRepository(name: string): Promise<EcrRepository | undefined>;
  /** Many repositories in as few calls as ECR allows (100 names each); missing ones map to undefined. */
  findRepositories(names: string[]): Promise<Map<string, EcrRepository | undefined>>;
  createRepository(name: string, settings: NewRepository): Promise<EcrRepository>;
  listImages(name: string): Promise<EcrImage[]>;
  /**
   * Points tags at an image already in the repository, registry-side (BatchGetImage + PutImage): no pull, no
   * push. `stored` is the manifest the digest names when the caller has it in hand (it just wrote it): then
   * only PutImage is called.
   */
  retag(name: string, digest: string, tags: string[], stored?: StoredManifest): Promise<RetagResult>;
  /** The manifests the references (tags or digests) name, 100 per BatchGetImage; references naming nothing are left out. */
  getManifests(name: string, references: string[]): Promise<Map<string, StoredManifest>>;
  /** Writes a manifest under a tag (PutImage): `refused` when the tag is immutable and names another image. */
  putManifest(name: string, manifest: string, mediaType: string | undefined, tag?: string): Promise<PutOutcome>;
  /** Removes one tag (BatchDeleteImage); the image goes with it when no other tag names it. */
  untag(name: string, tag: string): Promise<void>;
  /** Removes tags, 100 per BatchDeleteImage; answers the ones gone now (removed, or already gone). */
  removeTags(name: string, tags: string[]): Promise<string[]>;
  login(): Promise<EcrLogin>;
  /** The caller's account (STS GetCallerIdentity), for when no repository has said which account it is in. */
  accountId(): Promise<string>;
  /** An image's scan (DescribeImageScanFindings, every page); `not-found` when ECR has no scan of it (ScanNotFoundException). */
  scanFindings(name: string, digest: string): Promise<ImageScan | 'not-found'>;
  /** The registry's scanning configuration (GetRegistryScanningConfiguration). */
  registryScanning(): Promise<RegistryScanning>;
}

export interface EcrOptions {
  region: string;
  account?: string;
  /**
   * Endpoint overrides, each for its own service. Unset, the SDK resolves the endpoint as every AWS SDK does:
   * `AWS_ENDPOINT_URL_ECR` / `AWS_ENDPOINT_URL_STS`, then `AWS_ENDPOINT_URL`, then the shared config file's
   * `endpoint_url`, then AWS's (AWS SDKs and Tools Reference Guide, "Service-specific endpoints"). An ECR
   * endpoint is never used for STS: a VPC endpoint for ECR does not answer STS.
   */
  endpoint?: string;
  stsEndpoint?: string;
  /** Tries per call; the SDK backs off between them (throttling included). */
  maxAttempts?: number;
  requestTimeoutMs?: number;
}

function toRepository(repo: {
  repositoryName?: string;
  repositoryUri?: string;
  registryId?: string;
  imageTagMutability?: string;
  imageTagMutabilityExclusionFilters?: Array<{ filterType?: string; filter?: string }>;
  imageScanningConfiguration?: { scanOnPush?: boolean };
}): EcrRepository {
  const uri = repo.repositoryUri ?? '';
  return {
    name: repo.repositoryName ?? '',
    uri,
    registryId: repo.registryId ?? '',
    registry: uri.split('/')[0],
    tagMutability: repo.imageTagMutability ?? 'MUTABLE',
    mutableTagFilters: (repo.imageTagMutabilityExclusionFilters ?? [])
      .filter((f) => f.filterType === 'WILDCARD' && f.filter)
      .map((f) => f.filter!),
    scanOnPush: repo.imageScanningConfiguration?.scanOnPush ?? false,
  };
}

/**
 * A basic scanning finding: the CVE is its `name`, the package and the installed version are the attributes
 * `package_name` and `package_version`; basic scanning names no fixed version (ECR API reference,
 * ImageScanFinding and Attribute; the AWS CLI's describe-image-scan-findings example output).
 */
function basicFinding(f: ImageScanFinding, image: string): Finding {
  const attr = (key: string) => f.attributes?.find((a) => a.key === key)?.value;
  const pkg = attr('package_name');
  const installed = attr('package_version');
  return {
    id: f.name ?? 'unnamed finding',
    severity: severityOf(f.severity),
    image,
    ...(pkg ? { package: pkg } : {}),
    ...(installed ? { installed } : {}),
    ...(f.uri ? { uri: f.uri } : {}),
  };
}

/**
 * An enhanced (Amazon Inspector) finding, one per vulnerable package it names (EnhancedImageScanFinding,
 * PackageVulnerabilityDetails, VulnerablePackage: `version`, `release` and `epoch` make the installed version,
 * `fixedInVersion` the fix). Findings Inspector no longer reports as ACTIVE (SUPPRESSED by a suppression rule,
 * CLOSED once remediated; Inspector API reference, Finding `status`) do not count.
 */
function enhancedFindings(f: EnhancedImageScanFinding, image: string): Finding[] {
  if (f.status && f.status !== 'ACTIVE') return [];
  const details = f.packageVulnerabilityDetails;
  const id = details?.vulnerabilityId ?? f.title ?? 'unnamed finding';
  const base: Finding = {
    id,
    severity: severityOf(f.severity),
    image,
    ...(details?.sourceUrl ? { uri: details.sourceUrl } : {}),
  };
  const packages = details?.vulnerablePackages ?? [];
  if (!packages.length) return [base];
  return packages.map((p) => {
    const installed = p.version ? `${p.epoch ? `${p.epoch}:` : ''}${p.version}${p.release ? `-${p.release}` : ''}` : undefined;
    return {
      ...base,
      ...(p.name ? { package: p.name } : {}),
      ...(installed ? { installed } : {}),
      ...(p.fixedInVersion && p.fixedInVersion !== 'NotAvailable' ? { fixed: p.fixedInVersion } : {}),
    };
  });
}

/** Turns SDK errors into messages a user can act on, keeping the AWS error name. */
function explain(err: unknown, what: string, attempts: number): never {
  const e = err as { name?: string; message?: string; $metadata?: { attempts?: number } };
  const name = e.name ?? 'Error';
  const tries = e.$metadata?.attempts ?? attempts;
  if (name === 'ExpiredTokenException' || name === 'ExpiredToken' || name === 'RequestExpired') {
    // Static credentials from a role (the AWS Toolkit's AWSShellScript@1 exports them) end after the session
    // duration it asked for: 900 s unless the pipeline variable aws.rolecredential.maxduration says more.
    throw new UserError(
      `${what}: the AWS credentials expired during the run (${name}: ${e.message})`,
      'give the run credentials that outlast it: in Azure Pipelines set the variable aws.rolecredential.maxduration (seconds) to at least the job timeout, ' +
        "and the IAM role's maximum session duration to match (the templates in .azure-pipelines do the first); " +
        'elsewhere use credentials the AWS SDK refreshes itself ' +
        '(an instance or task role, web identity, or a profile with role_arn); then rerun',
    );
  }
  if (name === 'CredentialsProviderError') {
    throw new UserError(
      `${what}: no AWS credentials found (${e.message})`,
      'set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run under an AWS service connection',
    );
  }
  if (name === 'AccessDeniedException' || name === 'UnrecognizedClientException') {
    throw new UserError(
      `${what}: AWS refused the request (${name}: ${e.message})`,
      'give these credentials the policy in docs/iam/publishing-policy.json (docs/iam/read-only-policy.json for runs that stop before ecr-publish)',
    );
  }
  if (name === 'ThrottlingException' || name === 'TooManyRequestsException') {
    throw new UserError(
      `${what}: AWS kept throttling the request (${name}) after ${tries} attempt${tries === 1 ? '' : 's'}`,
      'rerun later, run fewer images at once (--parallel), or ask AWS for a higher ECR API rate',
    );
  }
  if (name === 'RepositoryNotFoundException') {
    throw new UserError(
      `${what}: the repository does not exist (any more)`,
      'if it was deleted during the run, rerun: the next run recreates it and publishes',
    );
  }
  if (name === 'TimeoutError' || name === 'RequestTimeout' || (e as { code?: string }).code === 'ECONNREFUSED') {
    throw new UserError(
      `${what}: no answer from the ECR API (${name}: ${e.message})`,
      'check aws.region / aws.ecrEndpoint and the network, then rerun',
    );
  }
  throw new UserError(
    `${what}: ${name}: ${e.message ?? String(err)}`,
    'the AWS error above says why: fix what it names (see docs/iam for permissions), then rerun',
  );
}

/** Names or image ids per DescribeRepositories / BatchGetImage call. */
const ECR_BATCH_LIMIT = 100;

/** The distinct items, in calls of at most ECR_BATCH_LIMIT. */
function batches(items: string[]): string[][] {
  const unique = [...new Set(items)];
  const out: string[][] = [];
  for (let i = 0; i < unique.length; i += ECR_BATCH_LIMIT) out.push(unique.slice(i, i + ECR_BATCH_LIMIT));
  return out;
}

export class AwsEcr implements Ecr {
  private readonly client: ECRClient;
  private account?: string;

  constructor(private readonly options: EcrOptions) {
    this.client = new ECRClient({
      region: options.region,
      endpoint: options.endpoint,
      maxAttempts: options.maxAttempts ?? 3,
      requestHandler: { requestTimeout: options.requestTimeoutMs ?? 30_000, connectionTimeout: 10_000 },
    });
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
      explain(err, `ECR DescribeRepositories ${name}`, this.attempts);
    }
  }

  async findRepositories(names: string[]): Promise<Map<string, EcrRepository | undefined>> {
    const found = new Map<string, EcrRepository | undefined>();
    for (const chunk of batches(names)) {
      try {
        const out = await this.client.send(new DescribeRepositoriesCommand({ registryId: this.registryId, repositoryNames: chunk }));
        for (const repo of out.repositories ?? []) found.set(repo.repositoryName ?? '', toRepository(repo));
        for (const name of chunk) if (!found.has(name)) found.set(name, undefined);
      } catch (err) {
        if ((err as Error).name !== 'RepositoryNotFoundException')
          explain(err, `ECR DescribeRepositories ${chunk.join(', ')}`, this.attempts);
        // One missing name fails the whole call and ECR names only that one: ask for each on its own.
        for (const name of chunk) found.set(name, await this.findRepository(name));
      }
    }
    return found;
  }

  async getManifests(name: string, references: string[]): Promise<Map<string, StoredManifest>> {
    const found = new Map<string, StoredManifest>();
    for (const chunk of batches(references)) {
      try {
        const out = await this.client.send(
          new BatchGetImageCommand({
            registryId: this.registryId,
            repositoryName: name,
            imageIds: chunk.map((ref) => (ref.startsWith('sha256:') ? { imageDigest: ref } : { imageTag: ref })),
            acceptedMediaTypes: [...MANIFEST_MEDIA_TYPES],
          }),
        );
        for (const image of out.images ?? []) {
          const ref = image.imageId?.imageTag ?? image.imageId?.imageDigest;
          if (!ref || !image.imageManifest || !image.imageId?.imageDigest) continue;
          found.set(ref, { digest: image.imageId.imageDigest, manifest: image.imageManifest, mediaType: image.imageManifestMediaType });
        }
      } catch (err) {
        explain(err, `ECR BatchGetImage ${name}`, this.attempts);
      }
    }
    return found;
  }

  /**
   * Writes a manifest under `tag`, or untagged when no tag is given (PutImage's imageTag is optional: an
   * image index's platform manifests are stored so, named by the index alone).
   */
  async putManifest(name: string, manifest: string, mediaType: string | undefined, tag?: string): Promise<PutOutcome> {
    try {
      await this.client.send(
        new PutImageCommand({
          registryId: this.registryId,
          repositoryName: name,
          imageManifest: manifest,
          imageManifestMediaType: mediaType,
          ...(tag !== undefined ? { imageTag: tag } : {}),
        }),
      );
      return 'put';
    } catch (err) {
      const errName = (err as Error).name;
      if (errName === 'ImageAlreadyExistsException') return 'unchanged';
      if (errName === 'ImageTagAlreadyExistsException') return 'refused';
      explain(err, `ECR PutImage ${name}${tag !== undefined ? `:${tag}` : ''}`, this.attempts);
    }
  }

  async untag(name: string, tag: string): Promise<void> {
    const failure = (await this.deleteTags(name, [tag], `ECR BatchDeleteImage ${name}:${tag}`)).get(tag);
    if (failure)
      throw new UserError(
        `ECR BatchDeleteImage ${name}:${tag}: ${failure}`,
        'give the credentials ecr:BatchDeleteImage (docs/iam/publishing-policy.json), then rerun',
      );
  }

  async removeTags(name: string, tags: string[]): Promise<string[]> {
    const failed = await this.deleteTags(name, tags, `ECR BatchDeleteImage ${name}`);
    const gone = [...new Set(tags)].filter((tag) => !failed.has(tag));
    if (failed.size) {
      throw new UserError(
        `ECR BatchDeleteImage ${name}: ${[...failed].map(([tag, why]) => `${tag} (${why})`).join(', ')}${gone.length ? ` (removed ${gone.join(', ')})` : ''}`,
        'give the credentials ecr:BatchDeleteImage (docs/iam/publishing-policy.json); the next run tries again',
      );
    }
    return gone;
  }

  /**
   * Removes tags by name, 100 per BatchDeleteImage, and answers why each tag that is still there was not
   * removed (`<failureCode>: <failureReason>`). A tag already gone (ImageNotFound) counts as removed.
   */
  private async deleteTags(name: string, tags: string[], what: string): Promise<Map<string, string>> {
    const failed = new Map<string, string>();
    for (const chunk of batches(tags)) {
      try {
        const out = await this.client.send(
          new BatchDeleteImageCommand({
            registryId: this.registryId,
            repositoryName: name,
            imageIds: chunk.map((imageTag) => ({ imageTag })),
          }),
        );
        for (const f of out.failures ?? []) {
          if (f.failureCode === 'ImageNotFound' || f.failureCode === 'ImageTagDoesNotMatchDigest' || !f.imageId?.imageTag) continue;
          failed.set(f.imageId.imageTag, `${f.failureCode}: ${f.failureReason}`);
        }
      } catch (err) {
        explain(err, what, this.attempts);
      }
    }
    return failed;
  }

  async createRepository(name: string, settings: NewRepository): Promise<EcrRepository> {
    try {
      const withFilters = settings.tagMutability === 'IMMUTABLE_WITH_EXCLUSION' && settings.mutableTagFilters.length > 0;
      const out = await this.client.send(
        new CreateRepositoryCommand({
          registryId: this.registryId,
          repositoryName: name,
          imageScanningConfiguration: { scanOnPush: settings.scanOnPush },
          // Without filters IMMUTABLE_WITH_EXCLUSION is not accepted; plain IMMUTABLE is what it would mean.
          imageTagMutability: settings.tagMutability === 'IMMUTABLE_WITH_EXCLUSION' && !withFilters ? 'IMMUTABLE' : settings.tagMutability,
          ...(withFilters
            ? {
                imageTagMutabilityExclusionFilters: settings.mutableTagFilters.map((filter) => ({
                  filterType: 'WILDCARD' as const,
                  filter,
                })),
              }
            : {}),
        }),
      );
      return toRepository(out.repository ?? {});
    } catch (err) {
      // Another run created it meanwhile: use it.
      if ((err as Error).name === 'RepositoryAlreadyExistsException') {
        const repo = await this.findRepository(name);
        if (repo) return repo;
      }
      explain(err, `ECR CreateRepository ${name}`, this.attempts);
    }
  }

  async listImages(name: string): Promise<EcrImage[]> {
    const images: EcrImage[] = [];
    try {
      for await (const page of paginateDescribeImages(
        { client: this.client, pageSize: 1000 },
        { registryId: this.registryId, repositoryName: name },
      )) {
        for (const detail of page.imageDetails ?? []) {
          if (!detail.imageDigest) continue;
          images.push({
            digest: detail.imageDigest,
            tags: detail.imageTags ?? [],
            pushedAt: detail.imagePushedAt,
            ...(detail.imageManifestMediaType ? { mediaType: detail.imageManifestMediaType } : {}),
            ...(detail.subjectManifestDigest ? { subject: detail.subjectManifestDigest } : {}),
          });
        }
      }
    } catch (err) {
      explain(err, `ECR DescribeImages ${name}`, this.attempts);
    }
    return images;
  }

  private get attempts(): number {
    return this.options.maxAttempts ?? 3;
  }

  async retag(name: string, digest: string, tags: string[], known?: StoredManifest): Promise<RetagResult> {
    const result: RetagResult = { moved: [], unchanged: [], refused: [] };
    if (!tags.length) return result;
    // A manifest in hand is used only for the digest it was stored under: PutImage must write the same image.
    const stored = known?.digest === digest ? known : (await this.getManifests(name, [digest])).get(digest);
    if (!stored)
      throw new UserError(
        `ECR BatchGetImage ${name}@${digest}: the image is not in the repository`,
        'it was deleted during the run: rerun, and the check decides again',
      );
    for (const tag of tags) {
      const outcome = await this.putManifest(name, stored.manifest, stored.mediaType, tag);
      (outcome === 'put' ? result.moved : outcome === 'unchanged' ? result.unchanged : result.refused).push(tag);
    }
    return result;
  }

  async login(): Promise<EcrLogin> {
    try {
      // No registryIds: the parameter is deprecated and does not change what the token may reach.
      const out = await this.client.send(new GetAuthorizationTokenCommand({}));
      const data = out.authorizationData?.[0];
      if (!data?.authorizationToken)
        throw new UserError('ECR GetAuthorizationToken returned no token', 'check aws.ecrEndpoint points at ECR (or unset it), then rerun');
      const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    } catch (err) {
      if (err instanceof UserError) throw err;
      explain(err, 'ECR GetAuthorizationToken', this.attempts);
    }
  }

  async scanFindings(name: string, digest: string): Promise<ImageScan | 'not-found'> {
    try {
      let scan: ImageScan | undefined;
      for await (const page of paginateDescribeImageScanFindings(
        { client: this.client, pageSize: 1000 },
        { registryId: this.registryId, repositoryName: name, imageId: { imageDigest: digest } },
      )) {
        const found = page.imageScanFindings;
        scan ??= {
          image: digest,
          status: page.imageScanStatus?.status ?? 'PENDING',
          ...(page.imageScanStatus?.description ? { description: page.imageScanStatus.description } : {}),
          counts: { ...(found?.findingSeverityCounts ?? {}) },
          findings: [],
          ...(found?.imageScanCompletedAt ? { completedAt: found.imageScanCompletedAt.toISOString() } : {}),
        };
        for (const f of found?.findings ?? []) scan.findings.push(basicFinding(f, digest));
        for (const f of found?.enhancedFindings ?? []) scan.findings.push(...enhancedFindings(f, digest));
        if (found?.findings?.length) scan.scanType = 'BASIC';
        if (found?.enhancedFindings?.length) scan.scanType = 'ENHANCED';
      }
      return scan ?? { image: digest, status: 'PENDING', counts: {}, findings: [] };
    } catch (err) {
      if ((err as Error).name === 'ScanNotFoundException') return 'not-found';
      explain(err, `ECR DescribeImageScanFindings ${name}@${digest}`, this.attempts);
    }
  }

  async registryScanning(): Promise<RegistryScanning> {
    try {
      const out = await this.client.send(new GetRegistryScanningConfigurationCommand({}));
      const config = out.scanningConfiguration;
      return {
        ...(out.registryId ? { registryId: out.registryId } : {}),
        scanType: config?.scanType === 'ENHANCED' ? 'ENHANCED' : 'BASIC',
        rules: (config?.rules ?? []).map((rule) => ({
          scanFrequency: rule.scanFrequency ?? 'MANUAL',
          filters: (rule.repositoryFilters ?? []).filter((f) => f.filterType === 'WILDCARD' && f.filter).map((f) => f.filter!),
        })),
      };
    } catch (err) {
      explain(err, 'ECR GetRegistryScanningConfiguration', this.attempts);
    }
  }

  async accountId(): Promise<string> {
    if (this.account) return this.account;
    try {
      const sts = new STSClient({ region: this.options.region, endpoint: this.options.stsEndpoint, maxAttempts: this.attempts });
      const out = await sts.send(new GetCallerIdentityCommand({}));
      this.account = out.Account ?? '';
      return this.account;
    } catch (err) {
      explain(err, 'STS GetCallerIdentity', this.attempts);
    }
  }
}
