/** The generator's answers, as schema.json describes them (every derived default is optional here). */
export interface TestAppGeneratorSchema {
  /** `net8`, `net10`, `net11`… */
  dotnet: string;
  /** `aspnet` (an ASP.NET Core Web API, the default) or `runtime` (an HttpListener console app). */
  kind?: string;
  /** The folder to write, relative to the workspace root. */
  name?: string;
  /** The tag of both Microsoft images the Dockerfile starts FROM (sdk, then aspnet or runtime). */
  baseTag?: string;
}
