/**
 * Turns the generator's answers into everything the templates need: derived defaults filled in and each
 * answer checked, so a mistake is reported now, naming the option and the fix, rather than when the first
 * integration test builds the app.
 */
import { normalizeAppPath } from '../../config/test-app';
import { defaultTag, dotnetMajor, GeneratorInputError, given } from '../dotnet-line';
import type { TestAppGeneratorSchema } from './schema';

export { GeneratorInputError } from '../dotnet-line';

const MCR_DOTNET = 'mcr.microsoft.com/dotnet';
// The tag rules settings.ts applies to ECR tags, which Docker's own rules contain.
const TAG = /^[\w][\w.-]{0,127}$/;
// Lines before .NET 8 have no ASPNETCORE_HTTP_PORTS and no non-root user in their images, and the generated
// C# uses .NET 8 APIs (source-generated JSON with web defaults, Order()).
const MIN_MAJOR = 8;

/** What the app needs from the image: ASP.NET Core (aspnet and sdk images) or the base runtime alone (runtime images). */
export const KINDS = ['aspnet', 'runtime'] as const;
export type TestAppKind = (typeof KINDS)[number];

/** The project each kind of app builds, by its file name: `WebApp.csproj`, `WebApp.dll`. */
const PROJECTS: Record<TestAppKind, string> = { aspnet: 'WebApp', runtime: 'RuntimeApp' };

export interface NormalizedOptions {
  /** `net10`. */
  dotnet: string;
  major: number;
  kind: TestAppKind;
  /** The folder written, e.g. `integration-tests/net10-runtime`. */
  directory: string;
  baseTag: string;
  /** `net10.0`. */
  targetFramework: string;
  /** The build stage's image, `mcr.microsoft.com/dotnet/sdk:<baseTag>`: an sdk platform image's replaceFrom. */
  sdkImage: string;
  /** The final stage's image, `mcr.microsoft.com/dotnet/<kind>:<baseTag>`: an aspnet or runtime platform image's replaceFrom. */
  finalImage: string;
  /** `WebApp` or `RuntimeApp`. */
  project: string;
}

function parseDotnet(raw: string | undefined): number {
  const major = dotnetMajor(raw);
  if (major < MIN_MAJOR) {
    throw new GeneratorInputError(
      'dotnet',
      `"net${major}" is older than the .NET ${MIN_MAJOR} these test apps need (ASPNETCORE_HTTP_PORTS, the images' non-root user)`,
      `write net${MIN_MAJOR} or later; an older line keeps a test app of its own, as integration-tests/net6 is`,
    );
  }
  return major;
}

function parseKind(raw: string | undefined): TestAppKind {
  const kind = given(raw) ?? 'aspnet';
  if (!(KINDS as readonly string[]).includes(kind)) {
    throw new GeneratorInputError(
      'kind',
      `"${kind}" is not a kind of test app`,
      'write aspnet (an ASP.NET Core Web API, for the aspnet and sdk images) or runtime (an HttpListener app on the base runtime, for the runtime images)',
    );
  }
  return kind as TestAppKind;
}

function parseBaseTag(raw: string | undefined, dotnet: string, major: number): string {
  // The tag the platform-image generator derives for the line's images, so the two agree by default.
  const baseTag = given(raw) ?? defaultTag(major);
  if (!TAG.test(baseTag))
    throw new GeneratorInputError(
      'baseTag',
      `"${baseTag}" is not a valid Docker tag`,
      `use letters, digits, ".", "_" and "-", e.g. ${major}.0-noble`,
    );
  const version = /^(\d+)\.\d+(?:[.-]|$)/.exec(baseTag);
  if (!version) {
    throw new GeneratorInputError(
      'baseTag',
      `"${baseTag}" does not start with a .NET version`,
      `Microsoft tags its .NET images <major>.0-<os>: write e.g. ${major}.0-noble`,
    );
  }
  if (Number(version[1]) !== major) {
    throw new GeneratorInputError(
      'baseTag',
      `"${baseTag}" is .NET ${version[1]}, not ${dotnet}`,
      `use a ${major}.0 tag, or --dotnet=net${version[1]}`,
    );
  }
  if (/chiseled|distroless/.test(baseTag)) {
    // The build stage needs an sdk image, and Microsoft publishes no sdk image under a chiseled tag.
    throw new GeneratorInputError(
      'baseTag',
      `"${baseTag}" is a chiseled tag, and there is no sdk image for the build stage under it`,
      `use the tag of the same OS with a shell, e.g. ${major}.0-noble, and point a chiseled platform image's replaceFrom at that image`,
    );
  }
  return baseTag;
}

function parseName(raw: string | undefined, dotnet: string, kind: TestAppKind): string {
  const name = normalizeAppPath(given(raw) ?? `integration-tests/${dotnet}${kind === 'runtime' ? '-runtime' : ''}`);
  if (name.startsWith('/') || name === '..' || name.startsWith('../') || name === '.' || /^[A-Za-z]:/.test(name)) {
    throw new GeneratorInputError(
      'name',
      `"${raw}" is not a folder inside the workspace`,
      `name it relative to the workspace root, e.g. integration-tests/${dotnet}`,
    );
  }
  return name;
}

export function normalizeOptions(schema: TestAppGeneratorSchema): NormalizedOptions {
  const major = parseDotnet(schema.dotnet);
  const dotnet = `net${major}`;
  const kind = parseKind(schema.kind);
  const baseTag = parseBaseTag(schema.baseTag, dotnet, major);
  return {
    dotnet,
    major,
    kind,
    directory: parseName(schema.name, dotnet, kind),
    baseTag,
    targetFramework: `${dotnet}.0`,
    sdkImage: `${MCR_DOTNET}/sdk:${baseTag}`,
    finalImage: `${MCR_DOTNET}/${kind}:${baseTag}`,
    project: PROJECTS[kind],
  };
}
