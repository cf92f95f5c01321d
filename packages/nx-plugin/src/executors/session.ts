/**
 * What the tasks one executor process runs share: the images' configs read once, one ECR client per
 * account and endpoint (its connection pool with it), one Docker CLI per command (the engine and the
 * builder asked once), one upstream registry client, and the reads the checks make together. A batch of
 * many tasks gets one session (a rebuild's steps after the check are one batch); a single task gets its own.
 */
import type { ExecutorContext } from '@nx/devkit';
import { profileFrom } from '../config/environment';
import { requireRegion } from '../config/region';
import type { ImageSettings } from '../config/settings';
import { WorkspaceImages } from '../config/workspace-images';
import { PLUGIN_NAME } from '../types/workspace';
import { memoize } from '../lib/coalescer';
import { DockerCli } from '../lib/docker';
import { AwsEcr } from '../lib/ecr';
import { EcrReader } from '../lib/ecr-reader';
import type { ImageRef } from '../types/image-ref';
import { RegistryClient } from '../lib/registry-client';
import type { UpstreamRegistry } from '../steps/check';

export function pluginOptions(context: ExecutorContext): unknown {
  const entry = context.nxJsonConfiguration?.plugins?.find((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN_NAME);
  return typeof entry === 'object' ? entry.options : undefined;
}

export class Session {
  private readonly ecrs = new Map<string, AwsEcr>();
  private readonly readers = new Map<AwsEcr, EcrReader>();
  private readonly upstreams = new Map<string, UpstreamRegistry>();
  private readonly dockers = new Map<string, DockerCli>();
  private workspaceImages?: WorkspaceImages;
  private swept = false;

  constructor(readonly env: Record<string, string | undefined> = process.env) {}

  /**
   * Work done once per process however many tasks it runs (the local sweep): the first caller gets the
   * promise to wait on and report in its own output; later callers get undefined.
   */
  once(work: () => Promise<unknown>): Promise<unknown> | undefined {
    if (this.swept) return undefined;
    this.swept = true;
    return work();
  }

  /** Every image's config, for the settings of each task: the workspace, options and environment are the run's. */
  images(context: ExecutorContext): WorkspaceImages {
    this.workspaceImages ??= new WorkspaceImages(
      context.root,
      { file: 'nx.json', options: pluginOptions(context) },
      profileFrom(this.env),
      this.env,
    );
    return this.workspaceImages;
  }

  /** The Docker CLI `command` (docker.command), one per process: what it learns of the engine serves every step. */
  docker(command: string): DockerCli {
    let docker = this.dockers.get(command);
    if (!docker) {
      docker = new DockerCli(command);
      this.dockers.set(command, docker);
    }
    return docker;
  }

  /** ECR for this image: the configured region, account and endpoints, the standard AWS credential chain. */
  ecr(settings: ImageSettings): AwsEcr {
    const options = {
      region: requireRegion(settings.aws, this.env),
      account: settings.aws.account,
      endpoint: settings.aws.ecrEndpoint,
      stsEndpoint: settings.aws.stsEndpoint,
    };
    const key = JSON.stringify(options);
    let ecr = this.ecrs.get(key);
    if (!ecr) {
      ecr = new AwsEcr(options);
      this.ecrs.set(key, ecr);
    }
    return ecr;
  }

  /** ECR as the checks read it together: repositories, listings and newest manifests once each. */
  ecrReader(settings: ImageSettings): EcrReader {
    const ecr = this.ecr(settings);
    let reader = this.readers.get(ecr);
    if (!reader) {
      reader = new EcrReader(ecr);
      this.readers.set(ecr, reader);
    }
    return reader;
  }

  /** The upstream registries: one GET per distinct base and mirror, however many images start FROM it. */
  upstream(settings: ImageSettings, timeoutMs: number): UpstreamRegistry {
    const key = JSON.stringify([settings.registryMirrors, timeoutMs]);
    let upstream = this.upstreams.get(key);
    if (!upstream) {
      const client = new RegistryClient({ mirrors: settings.registryMirrors, timeoutMs });
      // Images rebuilt on the same base read when it was built once.
      const created = memoize(
        ([ref, digest]: [ImageRef, string]) => client.configCreated(ref, digest),
        ([ref, digest]) => `${ref.registry}/${ref.repository}@${digest}`,
      );
      upstream = {
        resolveBase: memoize(
          (ref: ImageRef) => client.resolveBase(ref),
          (ref) => `${ref.registry}/${ref.repository}:${ref.tag ?? ''}@${ref.digest ?? ''}`,
        ),
        baseCreated: (ref, digest) => created([ref, digest]),
      };
      this.upstreams.set(key, upstream);
    }
    return upstream;
  }
}
