/**
 * Turns the generator's answers into everything the templates need: derived defaults filled in and each
 * answer checked the way the executors will check the generated platform-image.json, so a mistake is
 * reported now, naming the option, rather than on the first scheduled run.
 */
import { normalizeAppPath } from '../../config/test-app';
import { formatImageRef, parseImageRef, type ImageRef } from '../../types/image-ref';
import { extraTagProblem, REPOSITORY_NAME, REPOSITORY_NAME_HINT } from '../../types/tags';
import { defaultOsTag, dotnetMajor, GeneratorInputError, given } from '../dotnet-line';
import type { PlatformImageGeneratorSchema } from './schema';

export { defaultOsTag, GeneratorInputError } from '../dotnet-line';

export const DEFAULT_SCHEDULE = '0 6 * * 1';
// The workspace's AWS service connection, as the other pipelines in .azure-pipelines name it.
export const DEFAULT_AWS_CREDENTIALS = 'platform-images-aws';
const MCR = 'mcr.microsoft.com';

const VARIANT = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
// The same rules settings.ts applies to platform-image.json.
const TAG = /^[\w][\w.-]{0,100}$/;
// Five fields of digits, names, `*`, ranges, lists and steps: what Azure Pipelines' schedules accept.
const CRON = /^[0-9A-Za-z*/,-]+(?:\s+[0-9A-Za-z*/,-]+){4}$/;

/** The repositories Microsoft publishes .NET images under (mcr.microsoft.com/dotnet/<name>). */
export const MCR_DOTNET_REPOSITORIES = ['runtime-deps', 'runtime', 'aspnet', 'sdk', 'monitor', 'aspire-dashboard'];

/** Who the image runs as, which decides the Dockerfile's hardening block. */
export type ImageUser =
  /** .NET 8 and later ship an unprivileged `app` user (uid APP_UID=1654). */
  | 'app'
  /** Older images have none: create `devsecops` (uid 1000) with Debian/Ubuntu's tools. */
  | 'devsecops-debian'
  /** …or with busybox's, on Alpine. */
  | 'devsecops-alpine'
  /** SDK images are build stages: they keep root (see the Dockerfile template). */
  | 'root';

export interface NormalizedOptions {
  dotnet: string;
  /** 6 for net6. */
  major: number;
  /** `6.0` for net6. */
  dotnetVersion: string;
  variant: string;
  project: string;
  imageDir: string;
  base: string;
  baseRef: ImageRef;
  repository: string;
  tag: string;
  extraTags: string[];
  testApp: string;
  replaceFrom: string;
  user: ImageUser;
  /** `ASPNETCORE_…=…` making ASP.NET Core listen on 8080, or undefined for build images. */
  portEnv?: string;
  pipeline: boolean;
  schedule: string;
  awsCredentials: string;
  /** Things worth saying that do not stop the generator. */
  warnings: string[];
}

/** `mcr.microsoft.com/dotnet/<variant>:<X.0>-<os>`. */
export function defaultBase(major: number, variant: string): string {
  return `${MCR}/dotnet/${variant}:${major}.0-${defaultOsTag(major)}`;
}

function parseDotnet(raw: string | undefined): number {
  const major = dotnetMajor(raw);
  // Before 5 the line was ".NET Core" (netcoreapp3.1): no netN images to derive from.
  if (major < 5) {
    throw new GeneratorInputError(
      'dotnet',
      `"${raw?.trim()}" is not a .NET version Microsoft ships container images for as netN`,
      'write net5 or later, e.g. net8',
    );
  }
  return major;
}

function parseBase(base: string, major: number, warnings: string[], explicit: boolean): ImageRef {
  let ref: ImageRef;
  try {
    ref = parseImageRef(base);
  } catch (err) {
    throw new GeneratorInputError(
      'base',
      (err as Error).message,
      'name the upstream image, e.g. mcr.microsoft.com/dotnet/aspnet:8.0-bookworm-slim',
    );
  }
  if (ref.digest) {
    // mcr-check follows the tag's digest to see upstream rebuilds; a pinned digest never moves.
    throw new GeneratorInputError('base', `"${base}" pins a digest`, 'name a tag without @sha256:…, the pipeline follows its digest');
  }
  const lastSegment = base.slice(base.lastIndexOf('/') + 1);
  if (!lastSegment.includes(':') || ref.tag === 'latest') {
    throw new GeneratorInputError(
      'base',
      `"${base}" names no specific tag`,
      `add one, e.g. :${major}.0-${defaultOsTag(major)}; "latest" moves to the next .NET version`,
    );
  }
  if (ref.registry === MCR && ref.repository.startsWith('dotnet/')) {
    const version = /^(\d+)\.\d+/.exec(ref.tag!);
    if (version && Number(version[1]) !== major) {
      throw new GeneratorInputError(
        'base',
        `"${base}" is .NET ${version[1]}, not net${major}`,
        `use a ${major}.0 tag or --dotnet=net${version[1]}`,
      );
    }
    const repository = ref.repository.slice('dotnet/'.length);
    // A derived base is already warned about, naming the variant.
    if (explicit && !MCR_DOTNET_REPOSITORIES.includes(repository) && !repository.includes('/')) {
      warnings.push(
        `${MCR}/${ref.repository} is not one of Microsoft's .NET image repositories (${MCR_DOTNET_REPOSITORIES.join(', ')}); check --base`,
      );
    }
  }
  return ref;
}

function checkTag(option: string, tag: string): void {
  if (!TAG.test(tag))
    throw new GeneratorInputError(
      option,
      `"${tag}" is not a valid Docker tag`,
      'use letters, digits, ".", "_" and "-", e.g. 8.0-bookworm-slim',
    );
  if (tag === 'latest')
    throw new GeneratorInputError(
      option,
      '"latest" is pushed on every publish and cannot carry versions',
      "use the base's tag, e.g. 8.0-bookworm-slim",
    );
}

function checkExtraTags(extraTags: string[], tag: string): void {
  for (const extra of extraTags) {
    const found = extraTagProblem(extra, tag);
    if (found) throw new GeneratorInputError('extraTags', found.problem, found.fix);
  }
}

function userFor(major: number, baseRef: ImageRef): ImageUser {
  const image = baseRef.repository.split('/').pop()!;
  if (image === 'sdk') return 'root';
  if (major >= 8) return 'app';
  const tag = baseRef.tag ?? '';
  if (/chiseled|distroless/.test(tag)) {
    throw new GeneratorInputError(
      'base',
      `"${formatImageRef(baseRef)}" has no shell to create the devsecops user with, and .NET ${major} images ship no non-root user`,
      'use a Debian, Ubuntu or Alpine tag, e.g. ' + `${major}.0-${defaultOsTag(major)}`,
    );
  }
  return /alpine/.test(tag) ? 'devsecops-alpine' : 'devsecops-debian';
}

export function normalizeOptions(schema: PlatformImageGeneratorSchema): NormalizedOptions {
  const warnings: string[] = [];
  const major = parseDotnet(schema.dotnet);
  const dotnet = `net${major}`;
  const variant = schema.variant?.trim() ?? '';
  if (!VARIANT.test(variant)) {
    throw new GeneratorInputError(
      'variant',
      `"${variant}" is not a lowercase name`,
      'use lowercase letters, digits and single dashes, e.g. aspnet or runtime-deps',
    );
  }

  const explicitBase = given(schema.base);
  if (!explicitBase && !MCR_DOTNET_REPOSITORIES.includes(variant)) {
    warnings.push(
      `--variant=${variant} is not one of Microsoft's .NET images, so the derived base ${defaultBase(major, variant)} does not exist; pass --base`,
    );
  }
  const base = explicitBase ?? defaultBase(major, variant);
  const baseRef = parseBase(base, major, warnings, explicitBase !== undefined);

  const repository = given(schema.repository) ?? variant;
  if (!REPOSITORY_NAME.test(repository)) {
    throw new GeneratorInputError('repository', `"${repository}" is not an ECR repository name`, REPOSITORY_NAME_HINT);
  }
  const tag = given(schema.tag) ?? baseRef.tag!;
  checkTag('tag', tag);
  // An empty list (`--extraTags=`) arrives as [""]: no extra tags.
  const extraTags = schema.extraTags ? schema.extraTags.map((t) => t.trim()).filter(Boolean) : [`${major}.0`, '{buildNumber}'];
  checkExtraTags(extraTags, tag);

  // From .NET 8 a runtime image has its own test app, one that needs only the base runtime (`nx g …:test-app
  // --kind=runtime`); the others share the line's ASP.NET Core app. .NET 6's one app is self-contained.
  const testApp = normalizeAppPath(
    given(schema.testApp) ?? `integration-tests/${dotnet}${variant === 'runtime' && major >= 8 ? '-runtime' : ''}`,
  );
  if (testApp.startsWith('/') || testApp === '..' || testApp.startsWith('../') || testApp === '.') {
    throw new GeneratorInputError(
      'testApp',
      `"${schema.testApp}" is not a folder inside the workspace`,
      'name it relative to the workspace root, e.g. integration-tests/net8',
    );
  }
  const replaceFrom = given(schema.replaceFrom) ?? base;
  try {
    parseImageRef(replaceFrom);
  } catch (err) {
    throw new GeneratorInputError('replaceFrom', (err as Error).message, "name the image the test app's Dockerfile starts FROM");
  }

  const schedule = (given(schema.schedule) ?? DEFAULT_SCHEDULE).replace(/\s+/g, ' ');
  if (!CRON.test(schedule))
    throw new GeneratorInputError(
      'schedule',
      `"${schedule}" is not a cron expression`,
      `five fields: minute hour day-of-month month day-of-week, e.g. "${DEFAULT_SCHEDULE}"`,
    );
  // Empty is meaningful: no service connection, the agent's own AWS credential chain.
  const awsCredentials = schema.awsCredentials?.trim() ?? DEFAULT_AWS_CREDENTIALS;
  if (/['\n]/.test(awsCredentials)) throw new GeneratorInputError('awsCredentials', `"${awsCredentials}" is not a service connection name`);

  const user = userFor(major, baseRef);
  return {
    dotnet,
    major,
    dotnetVersion: `${major}.0`,
    variant,
    project: `${dotnet}-${variant}`,
    imageDir: `platform-images/${dotnet}/${variant}`,
    base,
    baseRef,
    repository,
    tag,
    extraTags,
    testApp,
    replaceFrom,
    user,
    portEnv: user === 'root' ? undefined : major >= 8 ? 'ASPNETCORE_HTTP_PORTS=8080' : 'ASPNETCORE_URLS=http://+:8080',
    pipeline: schema.pipeline ?? false,
    schedule,
    awsCredentials,
    warnings,
  };
}
