/**
 * Where every platform image of the workspace publishes, each config read once. A check over N images
 * compares each with all the others (shared-repository.ts); reading every other config again for each image
 * would be N² reads. Built for one run's workspace options, profile and environment, which its tasks share.
 */
import * as path from 'node:path';
import { IMAGE_CONFIG_FILE } from '../types/workspace';
import type { Env } from './environment';
import { diskFiles, type ConfigFiles } from './json';
import { foldersMatching, readLayout } from './layout';
import { regionOf } from './region';
import { imageShared, type WorkspaceOptionsFile } from './shared';
import { Fields } from './validate';

/** Where one image publishes, as its config says. */
export interface EcrTarget {
  configFile: string;
  ecr: { repository: string; tag: string; latest: boolean; extraTags: string[] };
  region?: string;
  account?: string;
}

export class WorkspaceImages {
  private files?: string[];
  private readonly targets = new Map<string, EcrTarget | undefined>();

  constructor(
    private readonly workspaceRoot: string,
    private readonly workspaceOptions: WorkspaceOptionsFile,
    private readonly profile: string | undefined,
    private readonly env: Env,
    private readonly read: ConfigFiles = diskFiles,
  ) {}

  /** Every image's config file, as createNodes finds them (the plugin options' `imagesGlob`, `platform-images/<dotnet>/<variant>/`). */
  configFiles(): string[] {
    if (!this.files) {
      const { imagesGlob } = readLayout(this.workspaceOptions.options, this.workspaceOptions.file);
      this.files = foldersMatching(this.workspaceRoot, imagesGlob)
        .filter((root) => this.read.exists(path.join(this.workspaceRoot, root, IMAGE_CONFIG_FILE)))
        .map((root) => `${root}/${IMAGE_CONFIG_FILE}`)
        .sort();
    }
    return this.files;
  }

  /** What an image's config says about where it publishes; undefined when it is too broken to say (its own runs report that). */
  target(configFile: string): EcrTarget | undefined {
    if (!this.targets.has(configFile)) this.targets.set(configFile, this.readTarget(configFile));
    return this.targets.get(configFile);
  }

  private readTarget(configFile: string): EcrTarget | undefined {
    try {
      const fields = Fields.root(configFile, this.read.readJson(path.join(this.workspaceRoot, configFile), configFile));
      const ecr = fields.object('ecr');
      const repository = ecr?.string('repository');
      const tag = ecr?.string('tag');
      if (!ecr || !repository || !tag) return undefined;
      const shared = imageShared(fields, this.workspaceOptions, this.profile);
      return {
        configFile,
        ecr: { repository, tag, latest: ecr.boolean('latest') ?? true, extraTags: ecr.stringArray('extraTags') ?? [] },
        region: regionOf(shared.aws, this.env),
        account: shared.aws.account,
      };
    } catch {
      return undefined;
    }
  }
}
