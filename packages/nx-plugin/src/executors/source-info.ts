import { runCommand } from '../lib/exec';
import type { SourceInfo } from '../steps/build';

/** Commit and source location for the OCI labels: from Azure Pipelines when there, else from git. */
export async function sourceInfo(workspaceRoot: string, projectRoot: string, env: Record<string, string | undefined>): Promise<SourceInfo> {
  const git = async (args: string[]) => {
    const result = await runCommand('git', ['-C', workspaceRoot, ...args]);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  };
  const revision = env.BUILD_SOURCEVERSION ?? (await git(['rev-parse', 'HEAD']));
  const repo = env.BUILD_REPOSITORY_URI ?? (await git(['config', '--get', 'remote.origin.url']));
  // Remote URLs can embed credentials (https://user:token@host/...): never stamp those on an image.
  const clean = repo?.replace(/\/\/[^@/]+@/, '//');
  return { revision, source: clean ? `${clean}#${projectRoot}` : undefined };
}
