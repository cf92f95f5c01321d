/**
 * What a step is given: one image's settings, validated and frozen. They are made once per task by
 * normalizeSettings (normalize.ts) from five layers, each validated field by field so a mistake is reported
 * with its file and field before anything talks to a registry:
 *
 *   workspace (nx.json plugin options) → image (platform-image.json) → profile (PLATFORM_IMAGES_PROFILE)
 *   → executor options (the targets' options) → environment (force, region)
 *
 * This module holds only their shape and defaults; each layer's rules live in the module named for it.
 */
import type { Builder } from '../types/builders';
import type { ScanPolicy } from '../types/scan';

/** Settings that nx.json sets for every image and a profile or an image may override. */
export interface SharedSettings {
  aws: { account?: string; region?: string; ecrEndpoint?: string; stsEndpoint?: string };
  registryMirrors: Record<string, string>;
  /** `timeoutMs` comes from teams-notify's options only (no config file sets it). */
  teams: { webhookEnv: string; failOnError: boolean; timeoutMs?: number };
  docker: { builder: Builder; command: string };
  testAppSubstitutes: Record<string, string>;
  /** Build args for the platform image; only those its Dockerfile declares are passed. */
  buildArgs: Record<string, string>;
  /** End-of-support dates (YYYY-MM-DD) by .NET line, over the built-in table. */
  dotnetEndOfSupport: Record<string, string>;
  /** When what a stopped run left counts as abandoned (see README, When things fail). */
  cleanup: CleanupSettings;
  /** The vulnerability gate ecr-publish applies to ECR's scan before a version tag is written (config/scan.ts). */
  scan: ScanPolicy;
}

export interface CleanupSettings {
  /** Run tags in ECR (`staging-…`, a marker no version names): removed once pushed longer ago than this. */
  registryAfterMs: number;
  /** Local leftovers whose owner cannot be checked from this machine: removed once older than this. */
  localAfterMs: number;
}

export interface HttpProbe {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface TestAppSettings {
  dir: string;
  configFile: string;
  dockerfile: string;
  context: string;
  /** Only for images that configure no HTTP port themselves (the test uses the image's; see testPort). */
  port?: number;
  request: HttpProbe;
  expectStatus: number;
  timeoutSeconds: number;
}

export interface ImageSettings extends SharedSettings {
  project: string;
  workspaceRoot: string;
  projectRoot: string;
  /** platform-image.json, relative to the workspace root (for messages). */
  configFile: string;
  dockerfile: string;
  context: string;
  /** `latest`: whether this image moves the repository's latest tag (off when several .NET lines share a repository). */
  ecr: { repository: string; tag: string; extraTags: string[]; scanOnPush: boolean; latest: boolean };
  /** The platforms built, tested and published (`os/arch[/variant]`, see types/platforms.ts); one image index when several. */
  platforms: string[];
  /**
   * `requireAllPlatforms`: a platform this machine can neither run natively nor emulate fails the test instead
   * of being reported untested.
   */
  integrationTest: { replaceFrom: string; requireAllPlatforms: boolean; app: TestAppSettings };
  /** mcr-check: how long one registry request may take; whether to report the newest version's scan findings. */
  check: { timeoutMs: number; reportFindings?: boolean };
  force: boolean;
  profile?: string;
  /** Where this image's step records go (declared as the targets' outputs). */
  outputDir: string;
  /** The moving tags of every image publishing to this image's repository (itself first), for a repository ecr-publish creates. */
  repositoryImages: MovingTagSource[];
}

export interface MovingTagSource {
  extraTags: string[];
  latest: boolean;
}

export const DEFAULT_SHARED: SharedSettings = {
  aws: {},
  registryMirrors: {},
  teams: { webhookEnv: 'TEAMS_WEBHOOK_URI', failOnError: false },
  docker: { builder: 'auto', command: 'docker' },
  testAppSubstitutes: {},
  buildArgs: {},
  dotnetEndOfSupport: {},
  // A live run needs its staging tag and marker for the seconds between its push and its version tag; its
  // local work for as long as the run, which only an owner on another host cannot be asked about.
  cleanup: { registryAfterMs: 60 * 60_000, localAfterMs: 6 * 60 * 60_000 },
  // CRITICAL: a HIGH without a fix is common in a Debian base at any time and would stop every rebuild that
  // carries the base's own fixes. Ten minutes: basic scans finish in seconds to minutes, Inspector's first scan
  // of a push can take several. An unfinished scan or an unscanned repository fails: a version tag cannot be
  // taken back, and "not scanned" must never read as "clean" (both can be set to warn).
  scan: { failOn: 'CRITICAL', allow: [], timeoutSeconds: 600, onTimeout: 'fail', onUnscanned: 'fail' },
};

/** mcr-check's registry request timeout when its options set none. */
export const DEFAULT_CHECK_TIMEOUT_MS = 30_000;
