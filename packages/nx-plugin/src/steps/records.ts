/**
 * What each step hands to the next, written as that target's Nx output
 * (`dist/<projectRoot>/<step>.json`). A rebuild carries a fresh `runId`, so the Nx cache can only ever
 * replay the no-change path: a stale image is never "built" by a cache hit on an engine that lacks it.
 * A step that fails writes `dist/<projectRoot>/failure.json` instead: which step, why and what fixes it.
 * That record is no Nx output, so the Nx cache never stores or replays it.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { errorFields, UserError, type ErrorFields } from '../types/errors';
import { FAILURE, recordFileName, recordsDir, type RecordName, type StepName } from '../types/workspace';
import type { BuildArgDigests } from '../lib/build-args';
import type { LeftoverTag } from '../lib/registry-recovery';
import type { PublishedVersion, Reason } from '../lib/staleness';
import type { VersionedTag } from '../lib/versioning';
import type { ScanSummary } from '../types/scan';
import type { AttachedSbom } from './sbom';

export interface CheckRecord {
  project: string;
  stale: boolean;
  reason: Reason;
  message: string;
  runId?: string;
  /**
   * `platforms`: the base manifest of each platform the image builds (the digest itself for a single-manifest
   * base). `created`: when each of those was built (its config's `created`), read only for a rebuild, which
   * records it on the image; a platform whose base says no time is left out.
   */
  base: { name: string; digest: string; pullRef: string; platforms?: Record<string, string>; created?: Record<string, string> };
  contextDigest: string;
  /** The build args the build passes, by digest (their values are never recorded). */
  buildArgs?: BuildArgDigests;
  published?: PublishedVersion;
  nextVersion?: VersionedTag;
  /** Current image, but moving tags an interrupted publish left on an older one: ecr-publish moves them. */
  tagsToFinish?: string[];
  /** Things the user should act on that do not stop the run (e.g. .NET past its end of support). */
  warnings?: string[];
  /** Versions published by an earlier run whose card was never delivered: teams-notify sends them. */
  owedCards?: OwedCard[];
  /** Run tags that stopped runs left in the repository, old enough to be nobody's: ecr-publish removes them. */
  leftoverTags?: LeftoverTag[];
  /** The newest published version's scan findings, when mcr-check's reportFindings asked for them. */
  findings?: ScanSummary;
  /** When ECR says the newest published version was pushed (ISO), when it says. */
  publishedAt?: string;
  /** When the image's .NET line leaves Microsoft's support (YYYY-MM-DD), when known. */
  dotnetEndOfSupport?: string;
  /** The newest version, current, published without its SBOM: ecr-publish attaches it. */
  sbomOwed?: { versionTag: string; digest: string };
}

/** A published version whose `unannounced-<run id>` marker is still in ECR, with what its card shows. */
export interface OwedCard {
  marker: string;
  versionTag: string;
  digest: string;
  /** Its tags when checked (the version and the moving tags naming it), run tags left out. */
  tags: string[];
  repositoryUri: string;
  /** What the version records about its base, when it does. */
  baseName?: string;
  baseDigest?: string;
}

export interface BuildRecord {
  runId?: string;
  built: boolean;
  /** The first platform's image (the only one of a single-platform image); `platforms` lists them all. */
  imageId?: string;
  localTag?: string;
  versionTag?: string;
  builder?: string;
  /** A multi-platform image: one candidate per platform, each under a local name of its own. */
  platforms?: PlatformCandidate[];
}

export interface PlatformCandidate {
  platform: string;
  imageId: string;
  localTag: string;
  /** The base manifest it was built FROM. */
  baseDigest?: string;
}

/** How a platform was tested: on the engine's own platform, under emulation, or not at all (no emulator here). */
export interface PlatformTest {
  platform: string;
  imageId: string;
  how: 'native' | 'emulated' | 'untested';
  passed: boolean;
  /** Why it went untested. */
  why?: string;
  status?: number;
  seconds?: number;
}

export interface TestRecord {
  runId?: string;
  passed: boolean;
  imageId?: string;
  status?: number;
  /** Where the test app answered: the port the image configures. */
  port?: number;
  /** Whom the test app's processes ran as, checked against the image's USER. */
  user?: string;
  /** The .NET runtimes found inside, checked against the versions the image declares. */
  runtimes?: string;
  /** A multi-platform image: how each platform's candidate was tested. */
  platforms?: PlatformTest[];
}

export interface PublishRecord {
  runId?: string;
  published: boolean;
  account?: string;
  repositoryUri?: string;
  digest?: string;
  versionTag?: string;
  version?: string;
  tags?: string[];
  skippedTags?: string[];
  /** Moving tags an immutable repository kept on the previous image. */
  blockedTags?: string[];
  /** This run only finished moving the tags of a version an earlier run published. */
  onlyFinished?: boolean;
  /** The `unannounced-<run id>` marker written with the version: teams-notify removes it once the card is delivered. */
  marker?: string;
  /** Run tags of stopped runs this step removed. */
  removedTags?: string[];
  /** ECR's scan of the published image as the vulnerability gate judged it (steps/scan-gate.ts). */
  scan?: ScanSummary;
  /** The SBOMs attached to the version as referrers, one per platform (steps/sbom.ts). */
  sboms?: AttachedSbom[];
  /** Why the version was published without (some of) its SBOM. */
  sbomMissing?: string;
  /** A multi-platform image: the index's platform manifests (digest is the index's). */
  platforms?: Array<{ platform: string; digest: string }>;
}

export interface NotifyRecord {
  runId?: string;
  sent: boolean;
  status?: number;
  error?: string;
  /** Versions an earlier run published whose cards this run delivered. */
  lateCards?: string[];
}

/** Every candidate of a build: its platforms, or the one image of a single-platform build. */
export function candidatesOf(build: BuildRecord, defaultPlatform: string): PlatformCandidate[] {
  if (build.platforms?.length) return build.platforms;
  return build.imageId && build.localTag ? [{ platform: defaultPlatform, imageId: build.imageId, localTag: build.localTag }] : [];
}

/** A current image whose publish stopped half-way: ecr-publish and teams-notify still have work. */
export function hasTagsToFinish(check: CheckRecord): boolean {
  return !!check.tagsToFinish?.length;
}

/** ecr-publish has work on a current image: moving tags to finish, run tags of stopped runs to remove, an SBOM to attach. */
export function publishHasWork(check: CheckRecord): boolean {
  return hasTagsToFinish(check) || !!check.leftoverTags?.length || !!check.sbomOwed;
}

/** teams-notify has work on a current image: a finished publish to announce, or cards owed by earlier runs. */
export function notifyHasWork(check: CheckRecord): boolean {
  return hasTagsToFinish(check) || !!check.owedCards?.length;
}

export { STEP_NAMES, type StepName } from '../types/workspace';

export interface RecordTypes {
  'mcr-check': CheckRecord;
  'docker-build': BuildRecord;
  'integration-test': TestRecord;
  'ecr-publish': PublishRecord;
  'teams-notify': NotifyRecord;
}

/**
 * Why a step failed, as its executor reported it: the error's message, the `fix:` line, and for a
 * configuration mistake the file and field it names. Error messages never hold a secret (a secret's
 * variable is named, never its value), so neither does this record.
 */
export interface FailureRecord extends ErrorFields {
  /** The step (the Nx target) that failed. */
  step: string;
  /** The run the check started; absent when the check itself failed, or failed before a run was started. */
  runId?: string;
}

export { FAILURE, recordsDir, type RecordName } from '../types/workspace';

export class Records {
  constructor(readonly dir: string) {}

  file(name: RecordName): string {
    return path.join(this.dir, recordFileName(name));
  }

  write<S extends StepName>(step: S, record: RecordTypes[S]): void {
    this.writeJson(step, record);
  }

  /**
   * A step starts by removing its own record, so a failed run never leaves a previous run's answer behind,
   * and the failure record, which an earlier run left when one is there.
   */
  clear(name: RecordName): void {
    rmSync(this.file(name), { force: true });
  }

  read<S extends StepName>(step: S): RecordTypes[S] {
    const record = this.find(step);
    if (record === undefined) {
      throw new UserError(
        `no ${step} result for this image (${path.relative(process.cwd(), this.file(step))})`,
        `run the whole chain: nx run <project>:publish`,
      );
    }
    return record;
  }

  /** The step's record, undefined when there is none (or it cannot be read). */
  find<S extends StepName>(step: S): RecordTypes[S] | undefined {
    return this.readJson<RecordTypes[S]>(step);
  }

  /** Records why `step` failed, in place of its own record. */
  fail(step: string, err: unknown, runId?: string): FailureRecord {
    const record: FailureRecord = { step, ...(runId ? { runId } : {}), ...errorFields(err) };
    this.writeJson(FAILURE, record);
    return record;
  }

  /** Why a step of the image failed, undefined when none did since its steps last started. */
  failure(): FailureRecord | undefined {
    return this.readJson<FailureRecord>(FAILURE);
  }

  private writeJson(name: RecordName, record: unknown): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.file(name), JSON.stringify(record, null, 2) + '\n');
  }

  private readJson<T>(name: RecordName): T | undefined {
    try {
      return JSON.parse(readFileSync(this.file(name), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }
}

/** What an executor knows of where it runs: the workspace, and the project with its root. */
export interface ProjectContext {
  root: string;
  projectName?: string;
  projectsConfigurations?: { projects: Record<string, { root: string }> };
}

/**
 * Writes the failure record of the executor's project. Never throws: the step has failed already, so a
 * record that cannot be written (the project unknown, dist not writable) is only warned about.
 */
export function recordFailure(
  context: ProjectContext,
  step: string,
  err: unknown,
  options: { runId?: string; warn: (message: string) => void },
): void {
  try {
    const projectRoot = context.projectsConfigurations?.projects[context.projectName ?? '']?.root;
    if (projectRoot === undefined) throw new Error(`no project root for ${context.projectName}`);
    new Records(recordsDir(context.root, projectRoot)).fail(step, err, options.runId);
  } catch (writeError) {
    options.warn(`${step}: its failure record was not written: ${(writeError as Error).message}`);
  }
}

/** Later steps act only on the rebuild the check decided in this same run. */
export function assertSameRun(check: CheckRecord, step: StepName, record: { runId?: string }): void {
  if (record.runId !== check.runId) {
    throw new UserError(
      `the ${step} result belongs to another run (${record.runId ?? 'none'}, this run is ${check.runId})`,
      'run the whole chain: nx run <project>:publish',
    );
  }
}
