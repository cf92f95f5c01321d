/** Shared by the unit tests: settings for one image, a logger that records what it was told, and a copy without a field. */
import * as path from 'node:path';
import { DEFAULT_CHECK_TIMEOUT_MS, DEFAULT_SHARED, type ImageSettings } from '../config/settings';
import type { Logger } from '../lib/log';
import { recordsDir } from './records';

/** Settings as loadImageSettings would produce them for `platform-images/net6/<variant>` under `root`. */
export function imageSettings(root: string, variant: 'runtime' | 'sdk', over: Partial<ImageSettings> = {}): ImageSettings {
  const projectRoot = `platform-images/net6/${variant}`;
  const dir = path.join(root, projectRoot);
  return {
    ...DEFAULT_SHARED,
    project: `net6-${variant}`,
    workspaceRoot: root,
    projectRoot,
    configFile: `${projectRoot}/platform-image.json`,
    dockerfile: path.join(dir, 'Dockerfile'),
    context: dir,
    ecr: { repository: variant, tag: '6.0-bullseye-slim', extraTags: [], scanOnPush: true, latest: true },
    platforms: ['linux/amd64'],
    integrationTest: {
      replaceFrom: `mcr.microsoft.com/dotnet/${variant}:6.0-bullseye-slim`,
      requireAllPlatforms: false,
      app: {} as ImageSettings['integrationTest']['app'],
    },
    check: { timeoutMs: DEFAULT_CHECK_TIMEOUT_MS },
    force: false,
    outputDir: recordsDir(root, projectRoot),
    repositoryImages: [{ extraTags: [], latest: true }],
    ...over,
  };
}

/** What one command printed through a recordingLogger, and how it ended (`ended` false while it runs). */
export interface RecordedCommand {
  title: string;
  output: string;
  ended: boolean;
  failure?: string;
}

/** A Logger whose lines read `info …`, `warn …`, `error …`; each Docker command's output is kept in `commands`. */
export function recordingLogger(): { lines: string[]; log: Logger; commands: RecordedCommand[] } {
  const lines: string[] = [];
  const commands: RecordedCommand[] = [];
  const log: Logger = {
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
    group: (_t, fn) => fn(),
    command: (title) => {
      const command: RecordedCommand = { title, output: '', ended: false };
      commands.push(command);
      return {
        write: (chunk) => (command.output += chunk),
        end: (failure) => Object.assign(command, { ended: true }, failure === undefined ? {} : { failure }),
      };
    },
  };
  return { lines, log, commands };
}

/** A copy of `value` without its field `key` (what a check or a config lacks when a test leaves it out). */
export function omit<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== key)) as Omit<T, K>;
}
