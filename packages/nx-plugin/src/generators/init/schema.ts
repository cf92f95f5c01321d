/** The generator's answers, as schema.json describes them. */
export interface InitGeneratorSchema {
  azurePipelines?: boolean;
  example?: boolean;
  awsRegion?: string;
}
