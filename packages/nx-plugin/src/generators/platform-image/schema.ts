/** The generator's answers, as schema.json describes them (every derived default is optional here). */
export interface PlatformImageGeneratorSchema {
  /** `net6`, `net8`, `net10`… */
  dotnet: string;
  /** `runtime`, `aspnet`, `sdk`, `runtime-deps` or any lowercase name. */
  variant: string;
  base?: string;
  repository?: string;
  tag?: string;
  extraTags?: string[];
  testApp?: string;
  replaceFrom?: string;
  pipeline?: boolean;
  schedule?: string;
  awsCredentials?: string;
}
