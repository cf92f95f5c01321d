import type { ExecutorContext } from '@nx/devkit';
import type { Builder } from '../../types/builders';
import { buildImage } from '../../steps/build';
import { sourceInfo } from '../source-info';
import { batchOf, nxParallel, runStep, type TaskRuntime } from '../run-step';

export interface DockerBuildOptions {
  builder?: Builder;
}

export default async function dockerBuild(options: DockerBuildOptions, context: ExecutorContext, runtime?: TaskRuntime) {
  return runStep(
    'docker-build',
    options,
    context,
    async ({ settings, log, env, check, session }) =>
      buildImage(settings, check, {
        docker: session.docker(settings.docker.command),
        log,
        source: await sourceInfo(context.root, settings.projectRoot, env),
      }),
    { whenCurrent: () => ({ built: false }) },
    runtime,
  );
}

export const batch = batchOf(dockerBuild, nxParallel);
