/**
 * The original pipeline's update check (../shared/SEED-NOTES.md, steps 2 and 3), redone in TypeScript as the
 * baseline the benchmark measures the product against. Per image, one after the other, as one pipeline run
 * per image did:
 *
 *   1. DescribeRepositories for the ECR repository; a missing one means "build <tag>-1.0.0" (stale).
 *   2. Download the MCR portal catalog of the base repository (every tag ever pushed, megabytes), parse it
 *      and read the configured tag's `lastModifiedDate`.
 *   3. DescribeImages for the image tagged `latest` (the newest image when there is none): `imagePushedAt`.
 *   4. Cut both to the day and compare the strings: ECR later → current; same day or MCR later → rebuild.
 *
 * Faithful on purpose, defects included (the date-only comparison, the catalog downloaded once per image even
 * when images share a base), but not slowed down: no sleeps, no process per call as the bash scripts had (an
 * `aws` CLI start costs far more than the call), one SDK client and keep-alive connections for the whole pass.
 * That makes this a generous baseline.
 */
import { DescribeImagesCommand, DescribeRepositoriesCommand, ECRClient, type ImageDetail } from '@aws-sdk/client-ecr';

export interface SeedImage {
  project: string;
  baseRepository: string;
  baseTag: string;
  ecrRepository: string;
}

export interface SeedCheckResult {
  /** Projects the seed would rebuild. */
  stale: string[];
  /** Projects the seed would skip. */
  current: string[];
  /** HTTP requests sent (catalog downloads and ECR API calls, retries included). */
  requests: number;
  /** Response body bytes received. */
  bytes: number;
}

export interface SeedCheckOptions {
  /** Where `/api/v1/catalog/<repo>/tags` is served, e.g. http://localhost:5005. */
  catalogUrl: string;
  /** The ECR API, e.g. http://localhost:5003. */
  ecrEndpoint: string;
  region: string;
}

/** The first ten characters of an ISO 8601 time: its day, as `cut -c1-10` gave it. */
export function dayOf(time: string | Date | undefined | null): string {
  if (time === undefined || time === null) return '';
  return (typeof time === 'string' ? time : time.toISOString()).slice(0, 10);
}

/**
 * The seed's decision: `current` only when our last push is on a later day than Microsoft's last push of the
 * tag, compared as strings. The same day rebuilds (needlessly, the seed's known defect); a tag missing from
 * the catalog or a repository with no image rebuilds too.
 */
export function seedDecision(
  mcrLastModified: string | undefined | null,
  ecrPushedAt: string | Date | undefined | null,
): 'stale' | 'current' {
  const mcrDay = dayOf(mcrLastModified);
  const ecrDay = dayOf(ecrPushedAt);
  if (!mcrDay || !ecrDay) return 'stale';
  return ecrDay > mcrDay ? 'current' : 'stale';
}

/** `mcr.microsoft.com/dotnet/runtime` or `dotnet/runtime` → `dotnet/runtime`: the catalog path wants no host. */
export function catalogRepository(baseRepository: string): string {
  const [first, ...rest] = baseRepository.split('/');
  return rest.length && (first.includes('.') || first.includes(':') || first === 'localhost') ? rest.join('/') : baseRepository;
}

interface Counter {
  requests: number;
  bytes: number;
}

/** An ECR client that counts every HTTP exchange it has (each retry too) and the bytes it was answered. */
function countingEcr(options: SeedCheckOptions, counter: Counter): ECRClient {
  const client = new ECRClient({
    region: options.region,
    endpoint: options.ecrEndpoint,
    // The local stack takes any signature; these are its placeholders (tools/local-stack/env.sh).
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local-stack',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local-stack-secret',
    },
  });
  // Last in the deserialize step, next to the HTTP handler: it sees each attempt's raw response, error
  // statuses included, before the SDK parses or retries it.
  client.middlewareStack.add(
    (next) => async (args) => {
      counter.requests++;
      const result = await next(args);
      const response = result.response as { headers?: Record<string, string> };
      counter.bytes += Number(response.headers?.['content-length'] ?? 0);
      return result;
    },
    { step: 'deserialize', priority: 'low', name: 'seedCheckCounter' },
  );
  return client;
}

async function repositoryExists(ecr: ECRClient, name: string): Promise<boolean> {
  try {
    await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
    return true;
  } catch (err) {
    if ((err as Error).name === 'RepositoryNotFoundException') return false;
    throw err;
  }
}

interface CatalogRecord {
  name?: string;
  lastModifiedDate?: string;
}

async function catalogLastModified(options: SeedCheckOptions, image: SeedImage, counter: Counter): Promise<string | undefined> {
  const url = `${options.catalogUrl.replace(/\/+$/, '')}/api/v1/catalog/${catalogRepository(image.baseRepository)}/tags`;
  counter.requests++;
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  counter.bytes += body.length;
  // The seed carried on with whatever came back; a benchmark that did would time error pages, so stop.
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const records = JSON.parse(body.toString('utf8')) as CatalogRecord[];
  return records.find((record) => record.name === image.baseTag)?.lastModifiedDate;
}

/** `imagePushedAt` of the image tagged latest, or of the newest image when no image has that tag. */
async function lastPush(ecr: ECRClient, repositoryName: string): Promise<Date | undefined> {
  try {
    const out = await ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: 'latest' }] }));
    return out.imageDetails?.[0]?.imagePushedAt;
  } catch (err) {
    if ((err as Error).name !== 'ImageNotFoundException') throw err;
  }
  const images: ImageDetail[] = [];
  let nextToken: string | undefined;
  do {
    const out = await ecr.send(new DescribeImagesCommand({ repositoryName, nextToken }));
    images.push(...(out.imageDetails ?? []));
    nextToken = out.nextToken;
  } while (nextToken);
  return images
    .map((image) => image.imagePushedAt)
    .filter((at): at is Date => at !== undefined)
    .sort((a, b) => b.getTime() - a.getTime())[0];
}

export async function seedCatalogCheck(images: SeedImage[], opts: SeedCheckOptions): Promise<SeedCheckResult> {
  const counter: Counter = { requests: 0, bytes: 0 };
  const ecr = countingEcr(opts, counter);
  const result: SeedCheckResult = { stale: [], current: [], requests: 0, bytes: 0 };
  try {
    for (const image of images) {
      if (!(await repositoryExists(ecr, image.ecrRepository))) {
        result.stale.push(image.project);
        continue;
      }
      const mcrLastModified = await catalogLastModified(opts, image, counter);
      const ecrPushedAt = await lastPush(ecr, image.ecrRepository);
      result[seedDecision(mcrLastModified, ecrPushedAt)].push(image.project);
    }
  } finally {
    ecr.destroy();
  }
  result.requests = counter.requests;
  result.bytes = counter.bytes;
  return result;
}
