/**
 * The JSON the suites edit and read, typed: the workspace's config files as the suites change them (loosely, for a
 * suite also writes what the product must reject), and what awscli prints.
 */
import type { PublishedImage } from './support';

/** A JSON object whose fields a suite may read, delete or set to anything, a wrong type included. */
export type Fields = Record<string, unknown>;

/** An image's platform-image.json. */
export interface ImageFile extends Fields {
  ecr: Fields;
  integrationTest: Fields;
  buildArgs?: Record<string, string>;
}

/** A profile in the plugin's options: the shared fields it overrides. */
export interface ProfileOptions extends Fields {
  aws?: Fields;
  registryMirrors: Record<string, string>;
  testAppSubstitutes: Record<string, string>;
}

/** The plugin's options in nx.json. */
export interface PluginOptions extends Fields {
  aws: Fields;
  teams: Fields;
  docker: Fields;
  profiles: Record<string, ProfileOptions>;
}

/** The workspace's nx.json, the plugin first among its plugins. */
export interface NxJsonFile extends Fields {
  plugins: Array<{ plugin: string; options: PluginOptions }>;
}

/** What `aws ecr describe-images --output json` prints. */
export interface DescribedImages {
  imageDetails: PublishedImage[];
}
