import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../types/errors';
import { assertTestAppStartsFrom } from '../steps/integration-test';
import { assertWebhookReady } from '../steps/notify';
import { omit } from '../steps/test-fixtures';
import { FORCE_ENV, parseForce, PROFILE_ENV } from './environment';
import { readTargetOptions } from './executor-options';
import type { ConfigFiles } from './json';
import { loadImageSettings, normalizeSettings, type LoadImageInput, type SettingsLayers } from './normalize';
import type { JsonObject } from './validate';
import { WorkspaceImages } from './workspace-images';
import { regionHint, requireRegion } from './region';
import { DEFAULT_SHARED } from './settings';
import { resolveShared } from './shared';

const PROJECT_ROOT = 'platform-images/net6/runtime';
const IMAGE_FILE = `${PROJECT_ROOT}/platform-image.json`;
const TEST_APP_FILE = 'integration-tests/net6/test-app.json';
const OPTIONS_PATH = 'plugins[@platform-images/nx-plugin].options';

let root: string;

function write(rel: string, content: unknown): void {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
}

const imageConfig = () => ({
  ecr: { repository: 'runtime', tag: '6.0-bullseye-slim', extraTags: ['6.0', '{buildNumber}'] },
  integrationTest: { app: 'integration-tests/net6', replaceFrom: 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim' },
});

const workspaceOptions = () => ({
  aws: { region: 'eu-west-1' },
  registryMirrors: {},
  teams: { webhookEnv: 'TEAMS_WEBHOOK_URI', failOnError: false },
  docker: { builder: 'auto' },
  profiles: {
    local: {
      aws: { ecrEndpoint: 'http://localhost:5003' },
      registryMirrors: { 'mcr.microsoft.com': 'http://localhost:5001' },
      testAppSubstitutes: { 'integration-tests/net6': 'integration-tests/net6-stand-in' },
      buildArgs: { CREDPROVIDER_URL: '' },
      cleanup: { registryAfter: '2s' },
    },
  },
});

function input(over: { options?: unknown; env?: Record<string, string | undefined> } = {}): LoadImageInput {
  return {
    workspaceRoot: root,
    project: 'net6-runtime',
    projectRoot: PROJECT_ROOT,
    workspaceOptions: { file: 'nx.json', options: 'options' in over ? over.options : workspaceOptions() },
    env: over.env ?? {},
  };
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'settings-spec-'));
  write(IMAGE_FILE, imageConfig());
  write(`${PROJECT_ROOT}/Dockerfile`, 'FROM mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim\n');
  write(TEST_APP_FILE, {
    port: 8080,
    request: { method: 'POST', path: '/MyService', headers: { 'Content-Type': 'application/json' }, body: { data: 'string' } },
    expectStatus: 200,
    timeoutSeconds: 60,
  });
  write('integration-tests/net6/Dockerfile', 'FROM mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim\n');
  write('integration-tests/net6-stand-in/test-app.json', { port: 8081 });
  write('integration-tests/net6-stand-in/Dockerfile', 'FROM mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim\n');
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('loadImageSettings', () => {
  it('loads a valid config with defaults', () => {
    const settings = loadImageSettings(input({ options: undefined }));
    expect(settings).toEqual({
      aws: {},
      registryMirrors: {},
      teams: { webhookEnv: 'TEAMS_WEBHOOK_URI', failOnError: false },
      docker: { builder: 'auto', command: 'docker' },
      testAppSubstitutes: {},
      buildArgs: {},
      dotnetEndOfSupport: {},
      cleanup: { registryAfterMs: 3_600_000, localAfterMs: 21_600_000 },
      scan: DEFAULT_SHARED.scan,
      project: 'net6-runtime',
      workspaceRoot: root,
      projectRoot: PROJECT_ROOT,
      configFile: IMAGE_FILE,
      dockerfile: path.join(root, PROJECT_ROOT, 'Dockerfile'),
      context: path.join(root, PROJECT_ROOT),
      ecr: { repository: 'runtime', tag: '6.0-bullseye-slim', extraTags: ['6.0', '{buildNumber}'], scanOnPush: true, latest: true },
      platforms: ['linux/amd64'],
      integrationTest: {
        replaceFrom: 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim',
        requireAllPlatforms: false,
        app: {
          dir: path.join(root, 'integration-tests/net6'),
          configFile: TEST_APP_FILE,
          dockerfile: path.join(root, 'integration-tests/net6/Dockerfile'),
          context: path.join(root, 'integration-tests/net6'),
          port: 8080,
          request: { method: 'POST', path: '/MyService', headers: { 'Content-Type': 'application/json' }, body: '{"data":"string"}' },
          expectStatus: 200,
          timeoutSeconds: 60,
        },
      },
      check: { timeoutMs: 30_000 },
      force: false,
      profile: undefined,
      outputDir: path.join(root, 'dist', PROJECT_ROOT),
      repositoryImages: [{ extraTags: ['6.0', '{buildNumber}'], latest: true }],
    });
  });

  it('reads platforms and requireAllPlatforms', () => {
    write(IMAGE_FILE, {
      ...imageConfig(),
      platforms: ['linux/amd64', 'linux/arm64'],
      integrationTest: { ...imageConfig().integrationTest, requireAllPlatforms: true },
    });
    const settings = loadImageSettings(input());
    expect(settings.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    expect(settings.integrationTest.requireAllPlatforms).toBe(true);
  });

  it('fills test app defaults; no port, so the test probes the one the image configures', () => {
    write(TEST_APP_FILE, {});
    expect(loadImageSettings(input()).integrationTest.app).toMatchObject({
      port: undefined,
      request: { method: 'GET', path: '/', headers: {}, body: undefined },
      expectStatus: 200,
      timeoutSeconds: 60,
    });
  });

  it('keeps a string request body as written', () => {
    write(TEST_APP_FILE, { request: { body: 'plain' } });
    expect(loadImageSettings(input()).integrationTest.app.request.body).toBe('plain');
  });

  it('does not share the defaults object between loads', () => {
    const first = loadImageSettings(input({ options: undefined }));
    expect(() => {
      first.buildArgs.X = 'mutated';
    }).toThrow(TypeError);
    expect(Object.isFrozen(DEFAULT_SHARED.buildArgs)).toBe(false);
    expect(DEFAULT_SHARED.buildArgs).toEqual({});
    expect(loadImageSettings(input({ options: undefined })).teams.webhookEnv).toBe('TEAMS_WEBHOOK_URI');
  });

  it('resolves dockerfile and context relative to the image folder', () => {
    write(IMAGE_FILE, { ...imageConfig(), dockerfile: 'docker/Dockerfile.custom', context: '../shared' });
    write(`${PROJECT_ROOT}/docker/Dockerfile.custom`, 'FROM x\n');
    mkdirSync(path.join(root, 'platform-images/net6/shared'), { recursive: true });
    const settings = loadImageSettings(input());
    expect(settings.dockerfile).toBe(path.join(root, PROJECT_ROOT, 'docker/Dockerfile.custom'));
    expect(settings.context).toBe(path.join(root, 'platform-images/net6/shared'));
  });

  it('lets image settings override the workspace', () => {
    write(IMAGE_FILE, {
      ...imageConfig(),
      aws: { region: 'us-east-1' },
      docker: { builder: 'classic' },
      buildArgs: { A: 'image' },
      ecr: { ...imageConfig().ecr, scanOnPush: false },
    });
    const settings = loadImageSettings(input());
    expect(settings.aws.region).toBe('us-east-1');
    expect(settings.docker).toEqual({ builder: 'classic', command: 'docker' });
    expect(settings.buildArgs).toEqual({ A: 'image' });
    expect(settings.ecr.scanOnPush).toBe(false);
  });

  it('lets the profile from PLATFORM_IMAGES_PROFILE override workspace and image settings', () => {
    write(IMAGE_FILE, {
      ...imageConfig(),
      aws: { ecrEndpoint: 'https://ecr.image.example' },
      registryMirrors: { 'mcr.microsoft.com': 'mirror.image.example', 'docker.io': 'hub.image.example' },
      buildArgs: { CREDPROVIDER_URL: 'https://image.example/cred.sh', OTHER: 'image' },
    });
    const settings = loadImageSettings(input({ env: { [PROFILE_ENV]: 'local' } }));
    expect(settings.profile).toBe('local');
    expect(settings.aws).toEqual({ region: 'eu-west-1', ecrEndpoint: 'http://localhost:5003' });
    expect(settings.registryMirrors).toEqual({ 'mcr.microsoft.com': 'http://localhost:5001', 'docker.io': 'hub.image.example' });
    expect(settings.buildArgs).toEqual({ CREDPROVIDER_URL: '', OTHER: 'image' });
    expect(settings.testAppSubstitutes).toEqual({ 'integration-tests/net6': 'integration-tests/net6-stand-in' });
    expect(settings.integrationTest.app.dir).toBe(path.join(root, 'integration-tests/net6-stand-in'));
    expect(settings.integrationTest.app.configFile).toBe('integration-tests/net6-stand-in/test-app.json');
    expect(settings.integrationTest.app.port).toBe(8081);
  });

  it('ignores an unset or blank profile', () => {
    expect(loadImageSettings(input({ env: { [PROFILE_ENV]: '  ' } })).profile).toBeUndefined();
    expect(loadImageSettings(input({ env: { [PROFILE_ENV]: '  ' } })).aws.ecrEndpoint).toBeUndefined();
  });

  it.each<[string, string | undefined, boolean]>([
    ['unset', undefined, false],
    ['true', 'true', true],
    ['0', '0', false],
  ])('reads force from the environment (%s)', (_name, value, force) => {
    expect(loadImageSettings(input({ env: { [FORCE_ENV]: value } })).force).toBe(force);
  });

  it('accepts a $schema key', () => {
    write(IMAGE_FILE, { $schema: '../../schema.json', ...imageConfig() });
    expect(loadImageSettings(input()).ecr.repository).toBe('runtime');
  });

  type Case = [string, () => LoadImageInput, string, string, RegExp, RegExp?];
  const withImage = (patch: (c: ReturnType<typeof imageConfig> & Record<string, unknown>) => unknown) => () => {
    write(IMAGE_FILE, patch(imageConfig()));
    return input();
  };
  const withOptions =
    (patch: (o: ReturnType<typeof workspaceOptions> & Record<string, unknown>) => unknown, env: Record<string, string> = {}) =>
    () =>
      input({ options: patch(workspaceOptions()), env });

  it.each<Case>([
    ['missing ecr', withImage((c) => omit(c, 'ecr')), IMAGE_FILE, 'ecr', /is required/, /"ecr"/],
    [
      'platforms not a list',
      withImage((c) => ({ ...c, platforms: 'linux/arm64' })),
      IMAGE_FILE,
      'platforms',
      /must be an array of strings/,
      /"platforms": \[/,
    ],
    [
      'platforms empty',
      withImage((c) => ({ ...c, platforms: [] })),
      IMAGE_FILE,
      'platforms',
      /at least one platform/,
      /leave "platforms" out/,
    ],
    [
      'a platform not of the form os/arch',
      withImage((c) => ({ ...c, platforms: ['linux/amd64', 'arm64'] })),
      IMAGE_FILE,
      'platforms[1]',
      /"arm64" is not a platform/,
      /os\/architecture\[\/variant\], one of linux\/amd64, linux\/arm64, linux\/arm\/v7/,
    ],
    [
      'a platform the product does not build',
      withImage((c) => ({ ...c, platforms: ['linux/amd64', 'windows/amd64'] })),
      IMAGE_FILE,
      'platforms[1]',
      /"windows\/amd64" is not a platform this product builds/,
      /use one of linux\/amd64, linux\/arm64, linux\/arm\/v7/,
    ],
    [
      'a platform listed twice',
      withImage((c) => ({ ...c, platforms: ['linux/arm64', 'linux/amd64', 'linux/arm64'] })),
      IMAGE_FILE,
      'platforms[2]',
      /"linux\/arm64" is listed twice/,
      /name each platform once/,
    ],
    [
      'requireAllPlatforms not a boolean',
      withImage((c) => ({ ...c, integrationTest: { ...c.integrationTest, requireAllPlatforms: 'yes' } })),
      IMAGE_FILE,
      'integrationTest.requireAllPlatforms',
      /must be true or false/,
      /without quotes/,
    ],
    [
      'unknown field extraTag',
      withImage((c) => ({ ...c, ecr: { repository: 'runtime', tag: '6.0', extraTag: ['x'] } })),
      IMAGE_FILE,
      'ecr.extraTag',
      /unknown field/,
      /did you mean "extraTags"\?/,
    ],
    [
      'unknown top-level field',
      withImage((c) => ({ ...c, ecrRepository: 'x' })),
      IMAGE_FILE,
      'ecrRepository',
      /unknown field/,
      /did you mean "ecr"\?/,
    ],
    [
      'extraTags item a number',
      withImage((c) => ({ ...c, ecr: { ...c.ecr, extraTags: ['latest', 6] } })),
      IMAGE_FILE,
      'ecr.extraTags[1]',
      /must be a string, got 6/,
      /write "6" in quotes/,
    ],
    [
      'extraTags not an array',
      withImage((c) => ({ ...c, ecr: { ...c.ecr, extraTags: '6.0' } })),
      IMAGE_FILE,
      'ecr.extraTags',
      /must be an array of strings/,
    ],
    [
      'unknown placeholder {build}',
      withImage((c) => ({ ...c, ecr: { ...c.ecr, extraTags: ['6.0', '{build}'] } })),
      IMAGE_FILE,
      'ecr.extraTags[1]',
      /unknown placeholder \{build\}/,
      /\{buildNumber\}/,
    ],
    [
      'prototype name as placeholder',
      withImage((c) => ({ ...c, ecr: { ...c.ecr, extraTags: ['{constructor}'] } })),
      IMAGE_FILE,
      'ecr.extraTags[0]',
      /unknown placeholder \{constructor\}/,
    ],
    [
      'extra tag not a valid tag',
      withImage((c) => ({ ...c, ecr: { ...c.ecr, extraTags: ['has space'] } })),
      IMAGE_FILE,
      'ecr.extraTags[0]',
      /"has space" is not a valid Docker tag/,
    ],
    [
      'extra tag looks like a version',
      withImage((c) => ({ ...c, ecr: { ...c.ecr, extraTags: ['1.2.3'] } })),
      IMAGE_FILE,
      'ecr.extraTags[0]',
      /looks like a version tag/,
    ],
    [
      'extra tag collides with the version prefix',
      withImage((c) => ({ ...c, ecr: { ...c.ecr, extraTags: ['6.0-bullseye-slim-{buildId}'] } })),
      IMAGE_FILE,
      'ecr.extraTags[0]',
      /looks like a version tag/,
    ],
    [
      'bad region in the image',
      withImage((c) => ({ ...c, aws: { region: 'Ireland' } })),
      IMAGE_FILE,
      'aws.region',
      /"Ireland" is not valid/,
      /eu-west-1/,
    ],
    [
      'bad region in nx.json',
      withOptions((o) => ({ ...o, aws: { region: 'eu_west_1' } })),
      'nx.json',
      `${OPTIONS_PATH}.aws.region`,
      /"eu_west_1" is not valid/,
      /did you mean "eu-west-1"\?/,
    ],
    [
      'region with a misspelt direction',
      withOptions((o) => ({ ...o, aws: { region: 'eu-westt-1' } })),
      'nx.json',
      `${OPTIONS_PATH}.aws.region`,
      /"eu-westt-1" is not valid/,
      /did you mean "eu-west-1"\? an AWS region code is <area>-<direction>-<number>/,
    ],
    [
      'region with an unknown direction',
      withImage((c) => ({ ...c, aws: { region: 'eu-middle-1' } })),
      IMAGE_FILE,
      'aws.region',
      /"eu-middle-1" is not valid/,
      /^an AWS region code is <area>-<direction>-<number>, e.g. "eu-west-1"/,
    ],
    [
      'region without its number',
      withImage((c) => ({ ...c, aws: { region: 'eu-west' } })),
      IMAGE_FILE,
      'aws.region',
      /"eu-west" is not valid/,
      /^an AWS region code/,
    ],
    [
      'end-of-support date not a date',
      withOptions((o) => ({ ...o, dotnetEndOfSupport: { net8: 'Nov 2026' } })),
      'nx.json',
      `${OPTIONS_PATH}.dotnetEndOfSupport.net8`,
      /"Nov 2026" is not a date/,
      /YYYY-MM-DD/,
    ],
    [
      'end-of-support key not a .NET line',
      withOptions((o) => ({ ...o, dotnetEndOfSupport: { '8.0': '2026-11-10' } })),
      'nx.json',
      `${OPTIONS_PATH}.dotnetEndOfSupport.8.0`,
      /is not a \.NET line/,
      /"net8"/,
    ],
    [
      '11-digit account',
      withImage((c) => ({ ...c, aws: { account: '12345678901' } })),
      IMAGE_FILE,
      'aws.account',
      /"12345678901" is not valid/,
      /12 digits/,
    ],
    [
      'account as a number',
      withOptions((o) => ({ ...o, aws: { account: 123456789012 } })),
      'nx.json',
      `${OPTIONS_PATH}.aws.account`,
      /must be a string, got 123456789012/,
    ],
    [
      'bad ecrEndpoint',
      withOptions((o) => ({ ...o, aws: { ecrEndpoint: 'localhost:5003' } })),
      'nx.json',
      `${OPTIONS_PATH}.aws.ecrEndpoint`,
      /"localhost:5003" is not valid/,
    ],
    [
      'repository name with capitals',
      withImage((c) => ({ ...c, ecr: { ...c.ecr, repository: 'Dotnet/Runtime' } })),
      IMAGE_FILE,
      'ecr.repository',
      /"Dotnet\/Runtime" is not valid/,
      /lowercase/,
    ],
    [
      'empty repository',
      withImage((c) => ({ ...c, ecr: { ...c.ecr, repository: '' } })),
      IMAGE_FILE,
      'ecr.repository',
      /must not be empty/,
    ],
    [
      'missing tag',
      withImage((c) => ({ ...c, ecr: { repository: 'runtime' } })),
      IMAGE_FILE,
      'ecr.tag',
      /is required/,
      /a Docker tag such as "6.0-bullseye-slim"/,
    ],
    [
      'misspelt repository',
      withImage((c) => ({ ...c, ecr: { repositry: 'runtime', tag: '6.0' } })),
      IMAGE_FILE,
      'ecr.repositry',
      /unknown field/,
      /did you mean "repository"\?/,
    ],
    [
      'misspelt replaceFrom',
      withImage((c) => ({ ...c, integrationTest: { app: c.integrationTest.app, replaceform: c.integrationTest.replaceFrom } })),
      IMAGE_FILE,
      'integrationTest.replaceform',
      /unknown field/,
      /did you mean "replaceFrom"\?/,
    ],
    [
      'missing integrationTest.app',
      withImage((c) => ({ ...c, integrationTest: { replaceFrom: c.integrationTest.replaceFrom } })),
      IMAGE_FILE,
      'integrationTest.app',
      /is required/,
      /integration-tests\/net6/,
    ],
    [
      'latest as a quoted boolean',
      withImage((c) => ({ ...c, ecr: { ...c.ecr, latest: 'false' } })),
      IMAGE_FILE,
      'ecr.latest',
      /must be true or false, got "false"/,
      /write false without quotes/,
    ],
    [
      'port as a quoted number',
      () => {
        write(TEST_APP_FILE, { port: '8080' });
        return input();
      },
      TEST_APP_FILE,
      'port',
      /must be a number, got "8080"/,
      /write 8080 without quotes/,
    ],
    ['bad tag', withImage((c) => ({ ...c, ecr: { ...c.ecr, tag: '-6.0' } })), IMAGE_FILE, 'ecr.tag', /"-6.0" is not valid/],
    [
      'scanOnPush a string',
      withImage((c) => ({ ...c, ecr: { ...c.ecr, scanOnPush: 'yes' } })),
      IMAGE_FILE,
      'ecr.scanOnPush',
      /must be true or false, got "yes"/,
    ],
    [
      'missing Dockerfile',
      () => {
        rmSync(path.join(root, PROJECT_ROOT, 'Dockerfile'));
        return input();
      },
      IMAGE_FILE,
      'dockerfile',
      /platform-images\/net6\/runtime\/Dockerfile does not exist/,
    ],
    [
      'missing context',
      withImage((c) => ({ ...c, context: 'nope' })),
      IMAGE_FILE,
      'context',
      /platform-images\/net6\/runtime\/nope does not exist/,
    ],
    [
      'invalid JSON',
      () => {
        write(IMAGE_FILE, '{\n  "ecr": {\n    "repository": "runtime",\n  }\n}\n');
        return input();
      },
      IMAGE_FILE,
      '(file)',
      /is not valid JSON: Expected double-quoted property name \(line 4, column 3\)$/,
      /no trailing commas/,
    ],
    [
      'JSON cut short',
      () => {
        write(IMAGE_FILE, '{\n  "ecr": {\n    "repository": "runtime"');
        return input();
      },
      IMAGE_FILE,
      '(file)',
      /is not valid JSON: .*\(line 3, column 28\)$/,
      /no trailing commas/,
    ],
    [
      'JSON with a bare word',
      () => {
        write(IMAGE_FILE, '{\n  "ecr": {\n    "latest": yes\n  }\n}\n');
        return input();
      },
      IMAGE_FILE,
      '(file)',
      /is not valid JSON: Unexpected token "y" \(line 3, column 15\)$/,
      /no trailing commas/,
    ],
    [
      'JSON array at the root',
      () => {
        write(IMAGE_FILE, '[]');
        return input();
      },
      IMAGE_FILE,
      '(root)',
      /must be a JSON object/,
    ],
    [
      'missing platform-image.json',
      () => {
        rmSync(path.join(root, IMAGE_FILE));
        return input();
      },
      IMAGE_FILE,
      '(file)',
      /cannot be read/,
    ],
    ['missing integrationTest', withImage((c) => omit(c, 'integrationTest')), IMAGE_FILE, 'integrationTest', /is required/],
    [
      'bad replaceFrom',
      withImage((c) => ({ ...c, integrationTest: { ...c.integrationTest, replaceFrom: 'Not An Image' } })),
      IMAGE_FILE,
      'integrationTest.replaceFrom',
      /not an image reference/,
    ],
    [
      'unknown profile',
      withOptions((o) => o, { [PROFILE_ENV]: 'ci' }),
      'nx.json',
      `${OPTIONS_PATH}.profiles.ci`,
      /profile "ci" \(from PLATFORM_IMAGES_PROFILE\) is not defined/,
      /use one of: local/,
    ],
    [
      'profile with no profiles defined',
      withOptions((o) => omit(o, 'profiles'), { [PROFILE_ENV]: 'local' }),
      'nx.json',
      `${OPTIONS_PATH}.profiles.local`,
      /is not defined/,
      /unset PLATFORM_IMAGES_PROFILE/,
    ],
    [
      'unknown field in a profile',
      withOptions((o) => ({ ...o, profiles: { local: { mirrors: {} } } }), { [PROFILE_ENV]: 'local' }),
      'nx.json',
      `${OPTIONS_PATH}.profiles.local.mirrors`,
      /unknown field/,
    ],
    ['unknown plugin option', withOptions((o) => ({ ...o, region: 'eu-west-1' })), 'nx.json', `${OPTIONS_PATH}.region`, /unknown field/],
    [
      'test app dir without test-app.json',
      withImage((c) => ({ ...c, integrationTest: { ...c.integrationTest, app: 'platform-images/net6' } })),
      IMAGE_FILE,
      'integrationTest.app',
      /test app "platform-images\/net6" has no test-app.json/,
    ],
    [
      'substituted test app without test-app.json',
      () => {
        rmSync(path.join(root, 'integration-tests/net6-stand-in/test-app.json'));
        return input({ env: { [PROFILE_ENV]: 'local' } });
      },
      'nx.json (profile local) or platform-images/net6/runtime/platform-image.json',
      'testAppSubstitutes.integration-tests/net6',
      /test app "integration-tests\/net6-stand-in" has no test-app.json/,
    ],
    [
      'test app Dockerfile missing',
      () => {
        rmSync(path.join(root, 'integration-tests/net6/Dockerfile'));
        return input();
      },
      TEST_APP_FILE,
      'dockerfile',
      /integration-tests\/net6\/Dockerfile does not exist/,
    ],
    [
      'test app port out of range',
      () => {
        write(TEST_APP_FILE, { port: 70000 });
        return input();
      },
      TEST_APP_FILE,
      'port',
      /must be at most 65535, got 70000/,
      /set "port" to a whole number from 1 to 65535, or leave it out to probe the port the image configures \(ASPNETCORE_HTTP_PORTS\)/,
    ],
    [
      'test app port 0',
      () => {
        write(TEST_APP_FILE, { port: 0 });
        return input();
      },
      TEST_APP_FILE,
      'port',
      /must be at least 1, got 0/,
      /from 1 to 65535/,
    ],
    [
      'test app port not a whole number',
      () => {
        write(TEST_APP_FILE, { port: 8080.5 });
        return input();
      },
      TEST_APP_FILE,
      'port',
      /must be a whole number, got 8080\.5/,
      /a whole number from 1 to 65535/,
    ],
    [
      'test app timeout out of range',
      () => {
        write(TEST_APP_FILE, { timeoutSeconds: 7200 });
        return input();
      },
      TEST_APP_FILE,
      'timeoutSeconds',
      /must be at most 3600, got 7200/,
      /set "timeoutSeconds" to a number from 1 to 3600, or leave it out for the default \(60\)/,
    ],
    [
      'test app timeout of zero',
      () => {
        write(TEST_APP_FILE, { timeoutSeconds: 0 });
        return input();
      },
      TEST_APP_FILE,
      'timeoutSeconds',
      /must be at least 1, got 0/,
      /from 1 to 3600/,
    ],
    [
      'test app timeout as text',
      () => {
        write(TEST_APP_FILE, { timeoutSeconds: 'a minute' });
        return input();
      },
      TEST_APP_FILE,
      'timeoutSeconds',
      /must be a number, got "a minute"/,
      /from 1 to 3600/,
    ],
    [
      'test app expectStatus out of range',
      () => {
        write(TEST_APP_FILE, { expectStatus: 2000 });
        return input();
      },
      TEST_APP_FILE,
      'expectStatus',
      /must be at most 599/,
      /a whole number from 100 to 599, or leave it out for the default \(200\)/,
    ],
    [
      'test app request not an object',
      () => {
        write(TEST_APP_FILE, { request: 'GET /' });
        return input();
      },
      TEST_APP_FILE,
      'request',
      /must be an object/,
      /"request": \{/,
    ],
    [
      'test app headers a list',
      () => {
        write(TEST_APP_FILE, { request: { headers: ['Accept: */*'] } });
        return input();
      },
      TEST_APP_FILE,
      'request.headers',
      /must be an object of strings/,
      /"headers": \{ "NAME": "value" \}/,
    ],
    [
      'test app not JSON',
      () => {
        write(TEST_APP_FILE, '{ "port": 8080 "timeoutSeconds": 5 }');
        return input();
      },
      TEST_APP_FILE,
      '(file)',
      /is not valid JSON: .*\(line 1, column 16\)/,
      /no trailing commas/,
    ],
    [
      'cleanup duration without a unit',
      withOptions((o) => ({ ...o, cleanup: { registryAfter: '60' } })),
      'nx.json',
      `${OPTIONS_PATH}.cleanup.registryAfter`,
      /"60" is not a duration/,
      /"30s", "90m", "6h" or "2d"/,
    ],
    [
      'cleanup duration as a number',
      withImage((c) => ({ ...c, cleanup: { localAfter: 3600 } })),
      IMAGE_FILE,
      'cleanup.localAfter',
      /must be a duration such as "1h", got 3600/,
      /write "3600s" for 3600 seconds/,
    ],
    [
      'cleanup field misspelt',
      withOptions((o) => ({ ...o, cleanup: { registryAfterMinutes: 60 } })),
      'nx.json',
      `${OPTIONS_PATH}.cleanup.registryAfterMinutes`,
      /unknown field/,
      /did you mean "registryAfter"\?/,
    ],
    [
      'extra tag with a run tag prefix',
      withImage((c) => ({ ...c, ecr: { ...c.ecr, extraTags: ['staging-{buildId}'] } })),
      IMAGE_FILE,
      'ecr.extraTags[0]',
      /"staging-\{buildId\}" starts with "staging-", which this product's own run tags use/,
      /choose another name/,
    ],
    [
      'extra tag with the marker prefix',
      withImage((c) => ({ ...c, ecr: { ...c.ecr, extraTags: ['unannounced-build'] } })),
      IMAGE_FILE,
      'ecr.extraTags[0]',
      /starts with "unannounced-"/,
    ],
    [
      'test app method unknown',
      () => {
        write(TEST_APP_FILE, { request: { method: 'FETCH' } });
        return input();
      },
      TEST_APP_FILE,
      'request.method',
      /"FETCH" is not one of GET, POST, PUT, HEAD/,
    ],
    [
      'test app path without slash',
      () => {
        write(TEST_APP_FILE, { request: { path: 'MyService' } });
        return input();
      },
      TEST_APP_FILE,
      'request.path',
      /"MyService" is not valid/,
      /start the path with \//,
    ],
    [
      'test app unknown field',
      () => {
        write(TEST_APP_FILE, { healthcheck: '/health' });
        return input();
      },
      TEST_APP_FILE,
      'healthcheck',
      /unknown field/,
      /known fields: dockerfile, context, port, request, expectStatus, timeoutSeconds/,
    ],
    [
      'test app field misspelt',
      () => {
        write(TEST_APP_FILE, { expectedStatus: 200 });
        return input();
      },
      TEST_APP_FILE,
      'expectedStatus',
      /unknown field/,
      /did you mean "expectStatus"\?/,
    ],
    [
      'test app field with the wrong case',
      () => {
        write(TEST_APP_FILE, { Port: 8080 });
        return input();
      },
      TEST_APP_FILE,
      'Port',
      /unknown field/,
      /did you mean "port"\?/,
    ],
    [
      'bad PLATFORM_IMAGES_FORCE_UPDATE',
      () => input({ env: { [FORCE_ENV]: 'maybe' } }),
      'environment',
      FORCE_ENV,
      /"maybe" is not a boolean/,
    ],
    [
      'webhookEnv holding a URL',
      withOptions((o) => ({ ...o, teams: { webhookEnv: 'https://prod.logic.azure.com/workflows/x' } })),
      'nx.json',
      `${OPTIONS_PATH}.teams.webhookEnv`,
      /is not valid/,
      /never put the URL itself here/,
    ],
    [
      'failOnError a string',
      withImage((c) => ({ ...c, teams: { failOnError: 'true' } })),
      IMAGE_FILE,
      'teams.failOnError',
      /must be true or false/,
    ],
    [
      'mirror not a host',
      withOptions((o) => ({ ...o, registryMirrors: { 'mcr.microsoft.com': 'http://localhost:5001/v2/path' } })),
      'nx.json',
      `${OPTIONS_PATH}.registryMirrors.mcr.microsoft.com`,
      /"http:\/\/localhost:5001\/v2\/path" is not a registry host/,
    ],
    [
      'mirror value not a string',
      withImage((c) => ({ ...c, registryMirrors: { 'mcr.microsoft.com': 5001 } })),
      IMAGE_FILE,
      'registryMirrors.mcr.microsoft.com',
      /must be a string, got 5001/,
    ],
    [
      'unknown builder',
      withOptions((o) => ({ ...o, docker: { builder: 'kaniko' } })),
      'nx.json',
      `${OPTIONS_PATH}.docker.builder`,
      /"kaniko" is not one of auto, buildx, buildkit, classic/,
    ],
    [
      'buildArgs value a number',
      withImage((c) => ({ ...c, buildArgs: { PORT: 8080 } })),
      IMAGE_FILE,
      'buildArgs.PORT',
      /must be a string, got 8080/,
    ],
    ['plugin options not an object', () => input({ options: 'yes' }), 'nx.json', '(root)', /the plugin options must be a JSON object/],
    [
      'failOnError without the webhook variable',
      withOptions((o) => ({ ...o, teams: { failOnError: true } })),
      'environment',
      'TEAMS_WEBHOOK_URI',
      /^environment: TEAMS_WEBHOOK_URI: is not set; teams.failOnError is true/,
      /or set teams.failOnError to false/,
    ],
    [
      'failOnError with a webhook that is not a URL',
      () => {
        write(IMAGE_FILE, { ...imageConfig(), teams: { failOnError: true } });
        return input({ env: { TEAMS_WEBHOOK_URI: 'secret-part not a url' } });
      },
      'environment',
      'TEAMS_WEBHOOK_URI',
      /^environment: TEAMS_WEBHOOK_URI: does not hold a valid URL; teams.failOnError is true(?!.*secret-part)/,
    ],
    [
      'failOnError with an unexpanded pipeline macro',
      withOptions((o) => ({ ...o, teams: { failOnError: true } }), { TEAMS_WEBHOOK_URI: '$(TEAMS_WEBHOOK_URI)' }),
      'environment',
      'TEAMS_WEBHOOK_URI',
      /holds the unexpanded macro/,
    ],
    [
      // teams-notify's own target option counts as much as nx.json: the run must not build, then fail on the card.
      'failOnError set on the teams-notify target, without the webhook variable',
      () => ({ ...input(), targetOptions: { 'teams-notify': { failOnError: true } } }),
      'environment',
      'TEAMS_WEBHOOK_URI',
      /^environment: TEAMS_WEBHOOK_URI: is not set; teams.failOnError is true/,
    ],
    [
      'failOnError names the configured variable',
      withOptions((o) => ({ ...o, teams: { webhookEnv: 'CHANNEL_HOOK', failOnError: true } }), {
        TEAMS_WEBHOOK_URI: 'https://example.invalid/hook',
      }),
      'environment',
      'CHANNEL_HOOK',
      /is not set/,
    ],
    [
      'another image publishing the same repository and tag',
      () => {
        write('platform-images/net6/runtime-copy/platform-image.json', imageConfig());
        return input();
      },
      IMAGE_FILE,
      'ecr.tag',
      /^platform-images\/net6\/runtime\/platform-image.json: ecr.tag: platform-images\/net6\/runtime-copy\/platform-image.json also publishes "6.0-bullseye-slim-<version>" to ECR repository "runtime"/,
      /another ecr.tag or ecr.repository/,
    ],
    [
      'two images moving latest in one repository',
      () => {
        write('platform-images/net8/runtime/platform-image.json', {
          ...imageConfig(),
          ecr: { repository: 'runtime', tag: '8.0-bookworm-slim' },
        });
        return input();
      },
      IMAGE_FILE,
      'ecr.latest',
      /platform-images\/net8\/runtime\/platform-image.json also moves "latest" in ECR repository "runtime"/,
      /"latest": false in all but one/,
    ],
  ])('%s → ConfigError', (_name, make, file, field, problem, ...optional) => {
    // A rest parameter keeps the arity at five, so rows without a hint get no `done` callback.
    const [hint] = optional;
    const given = make();
    let error: unknown;
    try {
      // The settings, then the checks mcr-check runs on them before anything is built.
      assertWebhookReady(loadImageSettings(given).teams, given.env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect({ file: e.file, field: e.field }).toEqual({ file, field });
    expect(e.message.startsWith(`${file}: ${field}: `)).toBe(true);
    expect(e.message).toMatch(problem);
    // Every mistake comes with what fixes it: the `fix:` line executors print.
    expect(e.hint?.trim()).toBeTruthy();
    if (hint) expect(e.hint).toMatch(hint);
  });
});

describe('resolveShared', () => {
  it('applies the profile over the workspace', () => {
    expect(resolveShared({ file: 'nx.json', options: workspaceOptions() }, 'local')).toEqual({
      aws: { region: 'eu-west-1', ecrEndpoint: 'http://localhost:5003' },
      registryMirrors: { 'mcr.microsoft.com': 'http://localhost:5001' },
      teams: { webhookEnv: 'TEAMS_WEBHOOK_URI', failOnError: false },
      docker: { builder: 'auto', command: 'docker' },
      testAppSubstitutes: { 'integration-tests/net6': 'integration-tests/net6-stand-in' },
      buildArgs: { CREDPROVIDER_URL: '' },
      dotnetEndOfSupport: {},
      cleanup: { registryAfterMs: 2000, localAfterMs: 21_600_000 },
      scan: DEFAULT_SHARED.scan,
    });
  });

  it.each<[string, unknown, { registryAfterMs: number; localAfterMs: number }]>([
    ['nothing set: an hour in ECR, six hours here', undefined, { registryAfterMs: 3_600_000, localAfterMs: 21_600_000 }],
    ['both set', { registryAfter: '90m', localAfter: '2d' }, { registryAfterMs: 5_400_000, localAfterMs: 172_800_000 }],
    ['one set, the other kept', { localAfter: '30s' }, { registryAfterMs: 3_600_000, localAfterMs: 30_000 }],
  ])('reads cleanup: %s', (_name, cleanup, expected) => {
    expect(resolveShared({ file: 'nx.json', options: { cleanup } }, undefined).cleanup).toEqual(expected);
  });

  it('is the defaults without options', () => {
    expect(resolveShared({ file: 'nx.json', options: undefined }, undefined)).toEqual(DEFAULT_SHARED);
  });
});

describe('parseForce', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, false],
    ['', false],
    ['false', false],
    ['False', false],
    ['0', false],
    ['no', false],
    ['true', true],
    ['TRUE', true],
    [' true ', true],
    ['1', true],
    ['yes', true],
  ])('%j → %s', (value, expected) => {
    expect(parseForce({ [FORCE_ENV]: value })).toBe(expected);
  });

  it.each(['maybe', '2', 'on', 'y'])('rejects %j', (value) => {
    expect(() => parseForce({ [FORCE_ENV]: value })).toThrow(
      new ConfigError('environment', FORCE_ENV, `"${value}" is not a boolean`, 'set it to true or false'),
    );
  });
});

describe('requireRegion', () => {
  const settings = (region?: string) => ({ region });

  it.each<[string | undefined, Record<string, string>, string]>([
    ['eu-west-1', { AWS_REGION: 'us-east-1' }, 'eu-west-1'],
    [undefined, { AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'eu-central-1' }, 'us-east-1'],
    [undefined, { AWS_DEFAULT_REGION: 'eu-central-1' }, 'eu-central-1'],
    ['us-gov-west-1', {}, 'us-gov-west-1'],
  ])('settings %s, env %j → %s', (region, env, expected) => {
    expect(requireRegion(settings(region), env)).toBe(expected);
  });

  it('fails naming the setting when no region is configured', () => {
    expect(() => requireRegion(settings(), {})).toThrow(ConfigError);
    expect(() => requireRegion(settings(), {})).toThrow(`nx.json: ${OPTIONS_PATH}.aws.region: no AWS region configured`);
  });

  it.each<[Record<string, string>, string, RegExp]>([
    [{ AWS_REGION: 'ireland' }, 'AWS_REGION', /<area>-<direction>-<number>/],
    [{ AWS_REGION: 'eu-westt-1' }, 'AWS_REGION', /did you mean "eu-west-1"\?/],
    [{ AWS_DEFAULT_REGION: 'EU_CENTRAL_1' }, 'AWS_DEFAULT_REGION', /did you mean "eu-central-1"\?/],
  ])('fails on a malformed region from the environment, naming the variable (%j)', (env, variable, hint) => {
    const error = (() => {
      try {
        requireRegion(settings(), env);
      } catch (err) {
        return err as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect({ file: error!.file, field: error!.field }).toEqual({ file: 'environment', field: variable });
    expect(error!.message).toBe(`environment: ${variable}: "${env[variable]}" is not an AWS region code`);
    expect(error!.hint).toMatch(hint);
  });
});

describe('images sharing an ECR repository', () => {
  const other = 'platform-images/net8/runtime/platform-image.json';
  const otherConfig = (over: Record<string, unknown> = {}, ecr: Record<string, unknown> = {}) => ({
    ...imageConfig(),
    ...over,
    ecr: { repository: 'runtime', tag: '8.0-bookworm-slim', ...ecr },
  });

  it.each<[string, () => void, Record<string, string>?]>([
    ['the other leaves latest to this one', () => write(other, otherConfig({}, { latest: false }))],
    [
      'this one leaves latest to the other',
      () => {
        write(other, otherConfig());
        write(IMAGE_FILE, { ...imageConfig(), ecr: { ...imageConfig().ecr, latest: false } });
      },
    ],
    ['same name in another region', () => write(other, otherConfig({ aws: { region: 'us-east-1' } }))],
    ['same name in another account', () => write(other, otherConfig({ aws: { account: '123456789012' } }))],
    ['another repository, same tag', () => write(other, otherConfig({}, { repository: 'aspnet', tag: '6.0-bullseye-slim' }))],
    ['the other config is broken (its own runs say so)', () => write(other, '{ not json')],
    ['the other config lacks ecr', () => write(other, { integrationTest: imageConfig().integrationTest })],
  ])('no conflict: %s', (_name, arrange) => {
    arrange();
    expect(loadImageSettings(input()).ecr.repository).toBe('runtime');
  });

  it('collects the moving tags of the images it shares the repository with, itself first', () => {
    write(other, otherConfig({}, { latest: false, extraTags: ['8.0', '{buildNumber}'] }));
    write('platform-images/net8/sdk/platform-image.json', otherConfig({}, { repository: 'sdk', extraTags: ['8.0-sdk'] }));
    expect(loadImageSettings(input()).repositoryImages).toEqual([
      { extraTags: ['6.0', '{buildNumber}'], latest: true },
      { extraTags: ['8.0', '{buildNumber}'], latest: false },
    ]);
  });

  it('compares the region the environment gives with a configured one', () => {
    write(other, otherConfig({ aws: { region: 'eu-west-1' } }));
    expect(() => loadImageSettings(input({ options: undefined, env: { AWS_REGION: 'eu-west-1' } }))).toThrow(/also moves "latest"/);
    expect(loadImageSettings(input({ options: undefined, env: { AWS_REGION: 'us-east-1' } })).ecr.latest).toBe(true);
  });

  it('applies the profile to the other image too', () => {
    // The profile moves both to the same region, where they collide.
    write(other, otherConfig({ aws: { region: 'us-east-1' } }));
    const options = { ...workspaceOptions(), profiles: { local: { ...workspaceOptions().profiles.local, aws: { region: 'eu-west-1' } } } };
    expect(loadImageSettings(input({ options })).ecr.latest).toBe(true);
    expect(() => loadImageSettings(input({ options, env: { [PROFILE_ENV]: 'local' } }))).toThrow(/also moves "latest"/);
  });
});

describe('regionHint', () => {
  it.each<[unknown, string | undefined]>([
    ['eu-westt-1', 'eu-west-1'],
    ['EU-WEST-1', 'eu-west-1'],
    ['eu west 1', 'eu-west-1'],
    ['ap-souteast-2', 'ap-southeast-2'],
    ['us-gov-wset-1', 'us-gov-west-1'],
    ['Ireland', undefined],
    ['eu-middle-1', undefined],
    [42, undefined],
  ])('%j → %s', (value, guess) => {
    const hint = regionHint(value);
    expect(hint).toMatch(/an AWS region code is <area>-<direction>-<number>, e.g. "eu-west-1"/);
    if (guess) expect(hint.startsWith(`did you mean "${guess}"? `)).toBe(true);
    else expect(hint).not.toMatch(/did you mean/);
  });

  it.each([
    'eu-west-1',
    'eu-west-9',
    'us-east-2',
    'ap-southeast-7',
    'ca-west-1',
    'il-central-1',
    'mx-central-1',
    'cn-northwest-1',
    'us-gov-east-1',
    'us-iso-east-1',
    'us-isob-east-1',
    'eu-isoe-west-1',
    'eusc-de-east-1',
  ])('accepts %s', (region) => {
    write(IMAGE_FILE, { ...imageConfig(), aws: { region } });
    expect(loadImageSettings(input()).aws.region).toBe(region);
  });
});

describe('assertTestAppStartsFrom', () => {
  const TEST_APP_DOCKERFILE = 'integration-tests/net6/Dockerfile';

  it('passes when a FROM of the test app names replaceFrom', () => {
    write(
      TEST_APP_DOCKERFILE,
      'FROM mcr.microsoft.com/dotnet/sdk:6.0-bullseye-slim AS build\nFROM mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim AS final\n',
    );
    expect(() => assertTestAppStartsFrom(loadImageSettings(input()))).not.toThrow();
  });

  it('names the image config, the field, the Dockerfile and what it starts FROM', () => {
    write(
      TEST_APP_DOCKERFILE,
      'FROM mcr.microsoft.com/dotnet/sdk:6.0-bullseye-slim AS build\nFROM mcr.microsoft.com/dotnet/aspnet:6.0-bullseye-slim\n',
    );
    const settings = loadImageSettings(input());
    expect(() => assertTestAppStartsFrom(settings)).toThrow(
      new ConfigError(
        IMAGE_FILE,
        'integrationTest.replaceFrom',
        `no FROM in ${TEST_APP_DOCKERFILE} names "mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim" (it starts FROM mcr.microsoft.com/dotnet/sdk:6.0-bullseye-slim, mcr.microsoft.com/dotnet/aspnet:6.0-bullseye-slim), so the test app would not run on the new image`,
        "set it to the image in the test app's Dockerfile that the new platform image stands in for",
      ),
    );
  });

  it('reads the substituted test app under a profile', () => {
    write('integration-tests/net6-stand-in/Dockerfile', 'FROM busybox\n');
    const settings = loadImageSettings(input({ env: { [PROFILE_ENV]: 'local' } }));
    let error: ConfigError | undefined;
    try {
      assertTestAppStartsFrom(settings);
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.message).toMatch(/no FROM in integration-tests\/net6-stand-in\/Dockerfile names .* \(it starts FROM busybox\)/);
  });

  it('says to start FROM it when the Dockerfile has no image FROM at all', () => {
    write(TEST_APP_DOCKERFILE, 'ARG X\nFROM ${X}\n');
    let error: ConfigError | undefined;
    try {
      assertTestAppStartsFrom(loadImageSettings(input()));
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.hint).toBe(`start ${TEST_APP_DOCKERFILE} FROM mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim`);
  });

  it('reads past heredocs and honours the escape directive', () => {
    write(
      TEST_APP_DOCKERFILE,
      [
        '# escape=`',
        'FROM mcr.microsoft.com/dotnet/sdk:6.0-bullseye-slim AS build',
        'RUN dotnet publish -o C:\\out\\',
        'FROM mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim AS final',
        'COPY <<EOF /app/check.py',
        'from os import path',
        'EOF',
        '',
      ].join('\n'),
    );
    expect(() => assertTestAppStartsFrom(loadImageSettings(input()))).not.toThrow();
  });

  it("names the test app's Dockerfile and line when docker build could not read it", () => {
    write(TEST_APP_DOCKERFILE, 'FROM mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim\nRUN <<EOF\necho never closed\n');
    expect(() => assertTestAppStartsFrom(loadImageSettings(input()))).toThrow(
      new ConfigError(TEST_APP_DOCKERFILE, 'line 2', 'unterminated heredoc <<EOF', 'docker build cannot read it either'),
    );
  });
});

describe('the executor options layer', () => {
  it.each<[string, Record<string, unknown>, RegExp, RegExp]>([
    [
      'integration-test',
      { timeoutSeconds: 0 },
      /^integration-test options \(--option, project\.json or nx\.json targetDefaults\): timeoutSeconds: must be at least 1, got 0$/,
      /set "timeoutSeconds" to a number from 1 to 3600/,
    ],
    ['integration-test', { timeoutSeconds: 86400 }, /timeoutSeconds: must be at most 3600, got 86400$/, /from 1 to 3600/],
    ['integration-test', { timeoutSeconds: '60' }, /timeoutSeconds: must be a number, got "60"$/, /write 60 without quotes/],
    ['teams-notify', { timeoutSeconds: 0 }, /^teams-notify options .*: timeoutSeconds: must be at least 1, got 0$/, /from 1 to 300/],
    ['mcr-check', { timeoutSeconds: 0 }, /^mcr-check options .*: timeoutSeconds: must be at least 1, got 0$/, /from 1 to 600/],
    [
      'docker-build',
      { builder: 'kaniko' },
      /^docker-build options .*: builder: "kaniko" is not one of auto, buildx, buildkit, classic$/,
      /use one of/,
    ],
    ['teams-notify', { failOnError: 'yes' }, /^teams-notify options .*: failOnError: must be true or false, got "yes"$/, /true or false/],
  ])('%s %j: the same message and fix as in a file', (step, options, problem, fix) => {
    let error: unknown;
    try {
      readTargetOptions({ [step]: options });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(problem);
    expect((error as ConfigError).hint).toMatch(fix);
  });

  it('reads nothing from options that are not an object', () => {
    expect(readTargetOptions({ 'mcr-check': undefined, 'teams-notify': 'x' })).toEqual({});
  });

  it.each<[string, Record<string, Record<string, unknown>>, (s: ReturnType<typeof loadImageSettings>) => unknown, unknown]>([
    [
      'none: the files decide',
      {},
      (s) => [s.docker.builder, s.integrationTest.app.timeoutSeconds, s.teams.failOnError, s.check.timeoutMs],
      ['auto', 60, false, 30_000],
    ],
    ['docker-build builder', { 'docker-build': { builder: 'classic' } }, (s) => s.docker.builder, 'classic'],
    [
      'integration-test timeoutSeconds over test-app.json',
      { 'integration-test': { timeoutSeconds: 5 } },
      (s) => s.integrationTest.app.timeoutSeconds,
      5,
    ],
    ['teams-notify failOnError over nx.json', { 'teams-notify': { failOnError: true } }, (s) => s.teams.failOnError, true],
    ['teams-notify timeoutSeconds', { 'teams-notify': { timeoutSeconds: 7 } }, (s) => s.teams.timeoutMs, 7000],
    ['mcr-check timeoutSeconds', { 'mcr-check': { timeoutSeconds: 3 } }, (s) => s.check.timeoutMs, 3000],
    ['mcr-check force', { 'mcr-check': { force: true } }, (s) => s.force, true],
    [
      'the step key the inferred targets carry is no option',
      { 'docker-build': { builder: 'buildkit' } },
      (s) => s.docker.builder,
      'buildkit',
    ],
  ])('%s', (_name, targetOptions, read, expected) => {
    expect(read(loadImageSettings({ ...input(), targetOptions }))).toEqual(expected);
  });

  it('settings are frozen: a step cannot change what the next one sees', () => {
    const settings = loadImageSettings(input());
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(settings.integrationTest.app)).toBe(true);
    expect(() => {
      (settings.teams as { failOnError: boolean }).failOnError = true;
    }).toThrow(TypeError);
  });
});

describe('normalizeSettings', () => {
  /** The files of a workspace that exists only in memory: everything normalizeSettings reads comes through here. */
  function memoryFiles(files: Record<string, unknown>): ConfigFiles & { reads: string[] } {
    const reads: string[] = [];
    return {
      reads,
      exists: (file) => file in files || Object.keys(files).some((known) => known.startsWith(`${file}/`)),
      readJson: (file, displayName) => {
        reads.push(file);
        if (!(file in files)) throw new ConfigError(displayName, '(file)', 'cannot be read', 'check the path exists');
        return files[file] as JsonObject;
      },
    };
  }
  const ROOT = '/workspace-in-memory';
  const layers = (files: ConfigFiles, targetOptions = {}): SettingsLayers => ({
    workspaceRoot: ROOT,
    project: 'net6-runtime',
    projectRoot: PROJECT_ROOT,
    workspace: { file: 'nx.json', options: workspaceOptions() },
    targetOptions,
    env: { [PROFILE_ENV]: 'local' },
    files,
    images: new WorkspaceImages(ROOT, { file: 'nx.json', options: workspaceOptions() }, 'local', {}, files),
  });
  const inMemory = () =>
    memoryFiles({
      [`${ROOT}/${IMAGE_FILE}`]: imageConfig(),
      [`${ROOT}/${PROJECT_ROOT}/Dockerfile`]: {},
      [`${ROOT}/integration-tests/net6-stand-in/test-app.json`]: { port: 8081 },
      [`${ROOT}/integration-tests/net6-stand-in/Dockerfile`]: {},
    });

  it('reads only through its arguments: the same layers give the same frozen settings', () => {
    const files = inMemory();
    const first = normalizeSettings(layers(files));
    const second = normalizeSettings(layers(files));
    expect(second).toEqual(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(first.integrationTest.app).toMatchObject({ dir: `${ROOT}/integration-tests/net6-stand-in`, port: 8081 });
    expect(first.aws.ecrEndpoint).toBe('http://localhost:5003');
    expect(files.reads.sort()).toEqual(
      [
        `${ROOT}/${IMAGE_FILE}`,
        `${ROOT}/integration-tests/net6-stand-in/test-app.json`,
        `${ROOT}/${IMAGE_FILE}`,
        `${ROOT}/integration-tests/net6-stand-in/test-app.json`,
      ].sort(),
    );
  });

  it("takes the targets' options as a layer above the files", () => {
    const settings = normalizeSettings(
      layers(inMemory(), { 'integration-test': { timeoutSeconds: 9 }, 'teams-notify': { failOnError: true } }),
    );
    expect(settings.integrationTest.app.timeoutSeconds).toBe(9);
    expect(settings.teams.failOnError).toBe(true);
  });
});
