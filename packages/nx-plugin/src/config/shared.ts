/**
 * The shared layers: fields nx.json's plugin options set for every image, a profile overrides (where the run
 * happens, e.g. the local stack), and an image's platform-image.json may override too.
 */
import { BUILDERS } from '../types/builders';
import { ConfigError } from '../types/errors';
import { PLUGIN_NAME } from '../types/workspace';
import { PROFILE_ENV } from './environment';
import { LAYOUT_KEYS, readLayout } from './layout';
import { REGION, regionHint } from './region';
import { readScan } from './scan';
import { DEFAULT_SHARED, type SharedSettings } from './settings';
import { Fields, isDay } from './validate';

const ACCOUNT = /^\d{12}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const SHARED_KEYS = [
  'aws',
  'registryMirrors',
  'teams',
  'docker',
  'testAppSubstitutes',
  'buildArgs',
  'dotnetEndOfSupport',
  'cleanup',
  'scan',
];

export interface WorkspaceOptionsFile {
  /** Where the options came from, for messages. */
  file: string;
  options: unknown;
}

/** Reads the shared fields present in one layer on top of `base`. */
export function readShared(fields: Fields, base: SharedSettings): SharedSettings {
  const out: SharedSettings = {
    aws: { ...base.aws },
    registryMirrors: { ...base.registryMirrors },
    teams: { ...base.teams },
    docker: { ...base.docker },
    testAppSubstitutes: { ...base.testAppSubstitutes },
    buildArgs: { ...base.buildArgs },
    dotnetEndOfSupport: { ...base.dotnetEndOfSupport },
    cleanup: { ...base.cleanup },
    scan: readScan(fields, base.scan),
  };
  const aws = fields.object('aws')?.allowOnly(['account', 'region', 'ecrEndpoint', 'stsEndpoint']);
  if (aws) {
    const account = aws.string('account', { pattern: ACCOUNT, patternHint: 'an AWS account id is 12 digits, e.g. "123456789012"' });
    if (account !== undefined) out.aws.account = account || undefined;
    const region = aws.string('region', { pattern: REGION, patternHint: regionHint(aws.value.region) });
    if (region !== undefined) out.aws.region = region;
    for (const key of ['ecrEndpoint', 'stsEndpoint'] as const) {
      const url = aws.string(key, { pattern: /^https?:\/\/[^\s/]+\/?$/, patternHint: 'an http(s) URL such as "http://localhost:5003"' });
      if (url !== undefined) out.aws[key] = url || undefined;
    }
  }
  const mirrors = fields.stringMap('registryMirrors');
  if (mirrors) {
    for (const [from, to] of Object.entries(mirrors)) {
      if (!/^(https?:\/\/)?[\w.-]+(:\d+)?\/?$/.test(to)) {
        fields.fail(`registryMirrors.${from}`, `"${to}" is not a registry host`, 'write host[:port], optionally with http:// or https://');
      }
      out.registryMirrors[from] = to;
    }
  }
  const teams = fields.object('teams')?.allowOnly(['webhookEnv', 'failOnError']);
  if (teams) {
    out.teams.webhookEnv =
      teams.string('webhookEnv', {
        pattern: ENV_NAME,
        patternHint: 'name an environment variable, e.g. "TEAMS_WEBHOOK_URI"; never put the URL itself here',
      }) ?? out.teams.webhookEnv;
    out.teams.failOnError = teams.boolean('failOnError') ?? out.teams.failOnError;
  }
  const docker = fields.object('docker')?.allowOnly(['builder', 'command']);
  if (docker) {
    out.docker.builder = docker.oneOf('builder', BUILDERS) ?? out.docker.builder;
    out.docker.command = docker.string('command') ?? out.docker.command;
  }
  Object.assign(out.testAppSubstitutes, fields.stringMap('testAppSubstitutes') ?? {});
  Object.assign(out.buildArgs, fields.stringMap('buildArgs') ?? {});
  for (const [line, date] of Object.entries(fields.stringMap('dotnetEndOfSupport') ?? {})) {
    if (!/^net\d+$/.test(line)) fields.fail(`dotnetEndOfSupport.${line}`, 'is not a .NET line', 'use keys such as "net8"');
    if (!isDay(date)) fields.fail(`dotnetEndOfSupport.${line}`, `"${date}" is not a date`, 'write YYYY-MM-DD');
    out.dotnetEndOfSupport[line] = date;
  }
  const cleanup = fields.object('cleanup')?.allowOnly(['registryAfter', 'localAfter']);
  if (cleanup) {
    out.cleanup.registryAfterMs = cleanup.duration('registryAfter') ?? out.cleanup.registryAfterMs;
    out.cleanup.localAfterMs = cleanup.duration('localAfter') ?? out.cleanup.localAfterMs;
  }
  return out;
}

function workspaceFields(source: WorkspaceOptionsFile): Fields {
  const root = Fields.root(source.file, source.options ?? {}, 'the plugin options');
  // Where the projects are and what their targets are called: read (and checked) by createNodes, here only so
  // that a mistake in them fails the run too, with the same message.
  readLayout(root.value, source.file);
  return new Fields(source.file, `plugins[${PLUGIN_NAME}].options`, root.value).allowOnly([...SHARED_KEYS, ...LAYOUT_KEYS, 'profiles']);
}

function profileFields(source: WorkspaceOptionsFile, profile: string): Fields {
  const profiles = workspaceFields(source).object('profiles');
  const selected = profiles?.object(profile);
  if (!selected) {
    const known = profiles ? Object.keys(profiles.value) : [];
    throw new ConfigError(
      source.file,
      `plugins[${PLUGIN_NAME}].options.profiles.${profile}`,
      `profile "${profile}" (from ${PROFILE_ENV}) is not defined`,
      known.length ? `use one of: ${known.join(', ')}, or unset ${PROFILE_ENV}` : `unset ${PROFILE_ENV}`,
    );
  }
  return selected.allowOnly(SHARED_KEYS);
}

/** The workspace layer, then the selected profile. */
export function resolveShared(source: WorkspaceOptionsFile, profile: string | undefined): SharedSettings {
  const shared = readShared(workspaceFields(source), DEFAULT_SHARED);
  return profile ? readShared(profileFields(source, profile), shared) : shared;
}

/**
 * Image-level shared fields override the workspace; the profile then overrides both, because a
 * profile describes where the run happens (the local stack), not what the image is.
 */
export function imageShared(fields: Fields, workspace: WorkspaceOptionsFile, profile: string | undefined): SharedSettings {
  const shared = readShared(fields, resolveShared(workspace, undefined));
  return profile ? readShared(profileFields(workspace, profile), shared) : shared;
}
