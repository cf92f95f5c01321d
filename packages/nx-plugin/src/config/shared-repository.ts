/**
 * Images sharing an ECR repository must not fight over it: two with the same tag would number their versions
 * in one sequence and take turns overwriting what "the newest version" means, and two moving `latest` would
 * move it back and forth on every run. Both files are named, so either can be changed.
 */
import * as path from 'node:path';
import { ConfigError } from '../types/errors';
import { IMAGE_CONFIG_FILE } from '../types/workspace';
import type { MovingTagSource } from './settings';
import type { EcrTarget, WorkspaceImages } from './workspace-images';

/** The moving tags of the images sharing this image's repository, this one first; a ConfigError on a conflict. */
export function checkSharedRepository(self: EcrTarget & { projectRoot: string }, images: WorkspaceImages): MovingTagSource[] {
  const sharing: MovingTagSource[] = [{ extraTags: self.ecr.extraTags, latest: self.ecr.latest }];
  const own = `${path.posix.normalize(self.projectRoot.replace(/\\/g, '/'))}/${IMAGE_CONFIG_FILE}`;
  for (const file of images.configFiles()) {
    if (file === own) continue;
    const other = images.target(file);
    if (!other || other.ecr.repository !== self.ecr.repository || other.region !== self.region || other.account !== self.account) continue;
    if (other.ecr.tag === self.ecr.tag) {
      throw new ConfigError(
        self.configFile,
        'ecr.tag',
        `${file} also publishes "${self.ecr.tag}-<version>" to ECR repository "${self.ecr.repository}": the two images would share one version sequence`,
        `give one of them another ecr.tag or ecr.repository`,
      );
    }
    if (other.ecr.latest && self.ecr.latest) {
      throw new ConfigError(
        self.configFile,
        'ecr.latest',
        `${file} also moves "latest" in ECR repository "${self.ecr.repository}": each run would move it to its own image`,
        `set "latest": false in all but one of the images sharing the repository (usually keep it on the newest .NET line)`,
      );
    }
    sharing.push({ extraTags: other.ecr.extraTags, latest: other.ecr.latest });
  }
  return sharing;
}
