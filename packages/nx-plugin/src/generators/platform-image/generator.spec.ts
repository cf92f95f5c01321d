import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { logger, updateJson, type NxJsonConfiguration, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { parse as parseYaml } from 'yaml';
import { loadImageSettings } from '../../config/normalize';
import { parseDockerfile } from '../../lib/dockerfile';
import { finalBaseImage } from '../../lib/dockerfile-rewrite';
import { platformImageGenerator, type PlatformImageGeneratorSchema } from './generator';
import { DEFAULT_SCHEDULE } from './normalize';

const PLUGIN_DIR = path.resolve(__dirname, '../../..');
const WORKSPACE = path.resolve(PLUGIN_DIR, '../..');

let tree: Tree;
let warn: jest.SpiedFunction<typeof logger.warn>;

beforeEach(() => {
  tree = createTreeWithEmptyWorkspace();
  warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  jest.spyOn(logger, 'info').mockImplementation(() => undefined);
});

afterEach(() => jest.restoreAllMocks());

/** A test app like integration-tests/net6: a build stage on the sdk, the app on the runtime. */
function addTestApp(dir: string, major: number, config: Record<string, unknown> = {}): void {
  const dockerfile = typeof config.dockerfile === 'string' ? config.dockerfile : 'Dockerfile';
  tree.write(`${dir}/test-app.json`, JSON.stringify({ port: 8080, request: { method: 'POST', path: '/MyService' }, ...config }));
  tree.write(
    `${dir}/${dockerfile}`,
    [
      `FROM mcr.microsoft.com/dotnet/sdk:${major}.0-bookworm-slim AS build`,
      'RUN echo build',
      `FROM mcr.microsoft.com/dotnet/runtime:${major}.0-bookworm-slim AS final`,
      'COPY --from=build /out /app',
      '',
    ].join('\n'),
  );
}

/** The files the generator wrote under a folder, by path relative to it. */
function written(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const change of tree.listChanges()) {
    if (change.type !== 'DELETE' && change.path.startsWith(`${dir}/`))
      files[change.path.slice(dir.length + 1)] = change.content!.toString('utf8');
  }
  return files;
}

/** What the tests read of a generated platform-image.json. */
interface ImageConfigFile {
  ecr: { extraTags: string[]; latest?: boolean };
}

/** What the tests read of a generated azure-pipelines.yml. */
interface Pipeline {
  schedules: Array<{ cron: string; branches: { include: string[] } }>;
  extends: { template: string; parameters: Record<string, unknown> };
}

const lines = (text: string, keyword: string) => text.split('\n').filter((l) => l.startsWith(`${keyword} `));
const warnings = () => warn.mock.calls.map((call) => String(call[0]));

interface Case {
  name: string;
  answers: PlatformImageGeneratorSchema;
  dir: string;
  from: string;
  user: string[];
  env: string[];
  run: RegExp | undefined;
  config: unknown;
}

const CASES: Case[] = [
  {
    name: 'net6 runtime, every default: Debian 11, a created devsecops user',
    answers: { dotnet: 'net6', variant: 'runtime' },
    dir: 'platform-images/net6/runtime',
    from: 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim',
    user: ['USER 1000'],
    env: ['ENV ASPNETCORE_URLS=http://+:8080'],
    run: /^RUN groupadd --gid 1000 devsecops \\\n {4}&& useradd --uid 1000 --gid devsecops --create-home --shell \/bin\/bash devsecops$/m,
    config: {
      ecr: { repository: 'runtime', tag: '6.0-bullseye-slim', extraTags: ['6.0', '{buildNumber}'] },
      integrationTest: { app: 'integration-tests/net6', replaceFrom: 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim' },
    },
  },
  {
    name: 'net7 aspnet: still Debian 11 and devsecops',
    answers: { dotnet: 'net7', variant: 'aspnet' },
    dir: 'platform-images/net7/aspnet',
    from: 'mcr.microsoft.com/dotnet/aspnet:7.0-bullseye-slim',
    user: ['USER 1000'],
    env: ['ENV ASPNETCORE_URLS=http://+:8080'],
    run: /^RUN groupadd --gid 1000 devsecops/m,
    config: {
      ecr: { repository: 'aspnet', tag: '7.0-bullseye-slim', extraTags: ['7.0', '{buildNumber}'] },
      integrationTest: { app: 'integration-tests/net7', replaceFrom: 'mcr.microsoft.com/dotnet/aspnet:7.0-bullseye-slim' },
    },
  },
  {
    name: "net8 aspnet: Debian 12 and the images' own app user",
    answers: { dotnet: 'net8', variant: 'aspnet' },
    dir: 'platform-images/net8/aspnet',
    from: 'mcr.microsoft.com/dotnet/aspnet:8.0-bookworm-slim',
    user: ['USER $APP_UID'],
    env: ['ENV ASPNETCORE_HTTP_PORTS=8080'],
    run: undefined,
    config: {
      ecr: { repository: 'aspnet', tag: '8.0-bookworm-slim', extraTags: ['8.0', '{buildNumber}'] },
      integrationTest: { app: 'integration-tests/net8', replaceFrom: 'mcr.microsoft.com/dotnet/aspnet:8.0-bookworm-slim' },
    },
  },
  {
    name: 'net9 runtime-deps: Debian 12',
    answers: { dotnet: 'net9', variant: 'runtime-deps' },
    dir: 'platform-images/net9/runtime-deps',
    from: 'mcr.microsoft.com/dotnet/runtime-deps:9.0-bookworm-slim',
    user: ['USER $APP_UID'],
    env: ['ENV ASPNETCORE_HTTP_PORTS=8080'],
    run: undefined,
    config: {
      ecr: { repository: 'runtime-deps', tag: '9.0-bookworm-slim', extraTags: ['9.0', '{buildNumber}'] },
      integrationTest: { app: 'integration-tests/net9', replaceFrom: 'mcr.microsoft.com/dotnet/runtime-deps:9.0-bookworm-slim' },
    },
  },
  {
    name: 'net10 runtime: Ubuntu 24.04 (no Debian images from .NET 10)',
    answers: { dotnet: 'net10', variant: 'runtime' },
    dir: 'platform-images/net10/runtime',
    from: 'mcr.microsoft.com/dotnet/runtime:10.0-noble',
    user: ['USER $APP_UID'],
    env: ['ENV ASPNETCORE_HTTP_PORTS=8080'],
    run: undefined,
    config: {
      ecr: { repository: 'runtime', tag: '10.0-noble', extraTags: ['10.0', '{buildNumber}'] },
      integrationTest: { app: 'integration-tests/net10-runtime', replaceFrom: 'mcr.microsoft.com/dotnet/runtime:10.0-noble' },
    },
  },
  {
    name: 'net8 sdk: a build image keeps root',
    answers: { dotnet: 'net8', variant: 'sdk' },
    dir: 'platform-images/net8/sdk',
    from: 'mcr.microsoft.com/dotnet/sdk:8.0-bookworm-slim',
    user: [],
    env: [],
    run: undefined,
    config: {
      ecr: { repository: 'sdk', tag: '8.0-bookworm-slim', extraTags: ['8.0', '{buildNumber}'] },
      integrationTest: { app: 'integration-tests/net8', replaceFrom: 'mcr.microsoft.com/dotnet/sdk:8.0-bookworm-slim' },
    },
  },
  {
    name: 'net6 aspnet on Alpine: devsecops made with busybox',
    answers: { dotnet: 'net6', variant: 'aspnet', base: 'mcr.microsoft.com/dotnet/aspnet:6.0-alpine' },
    dir: 'platform-images/net6/aspnet',
    from: 'mcr.microsoft.com/dotnet/aspnet:6.0-alpine',
    user: ['USER 1000'],
    env: ['ENV ASPNETCORE_URLS=http://+:8080'],
    run: /^RUN addgroup -g 1000 -S devsecops \\\n {4}&& adduser -u 1000 -S -G devsecops -h \/home\/devsecops -s \/bin\/sh devsecops$/m,
    config: {
      ecr: { repository: 'aspnet', tag: '6.0-alpine', extraTags: ['6.0', '{buildNumber}'] },
      integrationTest: { app: 'integration-tests/net6', replaceFrom: 'mcr.microsoft.com/dotnet/aspnet:6.0-alpine' },
    },
  },
  {
    name: 'every answer given: a company mirror, its own repository, tags and test app',
    answers: {
      dotnet: 'net8',
      variant: 'api',
      base: 'registry.example.com/mirror/dotnet/aspnet:8.0.11-bookworm-slim-amd64',
      repository: 'platform/api',
      tag: '8.0-api',
      extraTags: ['8.0-api', '{date}', '{sourceVersion}'],
      testApp: './integration-tests/api/',
      replaceFrom: 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim',
    },
    dir: 'platform-images/net8/api',
    from: 'registry.example.com/mirror/dotnet/aspnet:8.0.11-bookworm-slim-amd64',
    user: ['USER $APP_UID'],
    env: ['ENV ASPNETCORE_HTTP_PORTS=8080'],
    run: undefined,
    config: {
      ecr: { repository: 'platform/api', tag: '8.0-api', extraTags: ['8.0-api', '{date}', '{sourceVersion}'] },
      integrationTest: { app: 'integration-tests/api', replaceFrom: 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim' },
    },
  },
];

describe('the files of a new platform image', () => {
  test.each(CASES)('$name', async (c) => {
    await platformImageGenerator(tree, c.answers);
    const files = written(c.dir);
    expect(Object.keys(files).sort()).toEqual(['.dockerignore', 'Dockerfile', 'platform-image.json']);

    const dockerfile = files.Dockerfile;
    expect(dockerfile.split('\n')[0]).toBe(`FROM ${c.from}`);
    expect(lines(dockerfile, 'FROM')).toHaveLength(1);
    // mcr-check resolves the base from the same FROM line.
    expect(finalBaseImage(parseDockerfile(dockerfile)).image).toBe(c.from);
    expect(lines(dockerfile, 'USER')).toEqual(c.user);
    expect(lines(dockerfile, 'ENV')).toEqual(c.env);
    expect(lines(dockerfile, 'WORKDIR')).toEqual(['WORKDIR /app']);
    if (c.run) expect(dockerfile).toMatch(c.run);
    else expect(lines(dockerfile, 'RUN')).toEqual([]);

    const { $schema, ...config } = JSON.parse(files['platform-image.json']) as { $schema: string };
    expect(config).toEqual(c.config);
    // A workspace that installed the plugin: the schema the installed plugin ships.
    expect($schema).toBe(path.posix.relative(c.dir, 'node_modules/@platform-images/nx-plugin/dist/schemas/platform-image.schema.json'));
    expect(files['.dockerignore']).toBe('platform-image.json\nazure-pipelines.yml\n');
  });

  test.each<[string, Record<string, unknown> | undefined, boolean]>([
    ['another image already moves latest in the repository', { repository: 'runtime', tag: '6.0-bullseye-slim', extraTags: [] }, false],
    ['the other image there leaves latest alone', { repository: 'runtime', tag: '6.0-bullseye-slim', extraTags: [], latest: false }, true],
    ['the other image publishes to another repository', { repository: 'sdk', tag: '6.0-bullseye-slim', extraTags: [] }, true],
    ['no other image', undefined, true],
  ])('latest: %s', async (_name, otherEcr, ownsLatest) => {
    if (otherEcr) tree.write('platform-images/net6/runtime/platform-image.json', JSON.stringify({ ecr: otherEcr }));
    await platformImageGenerator(tree, { dotnet: 'net8', variant: 'runtime' });
    const config = JSON.parse(written('platform-images/net8/runtime')['platform-image.json']) as ImageConfigFile;
    expect(config.ecr.latest).toBe(ownsLatest ? undefined : false);
  });

  test("the net6 Dockerfile, whole: the seed runtime image's hardening with a numeric user", async () => {
    await platformImageGenerator(tree, { dotnet: 'net6', variant: 'runtime' });
    expect(tree.read('platform-images/net6/runtime/Dockerfile', 'utf-8')).toBe(`FROM mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim

# Unprivileged processes cannot bind ports below 1024, so applications listen on 8080.
ENV ASPNETCORE_URLS=http://+:8080

# .NET 6 images ship no unprivileged user: create one with a fixed uid, so volume permissions are
# predictable.
RUN groupadd --gid 1000 devsecops \\
    && useradd --uid 1000 --gid devsecops --create-home --shell /bin/bash devsecops

# /app stays owned by root: the application can read its files but not rewrite them.
WORKDIR /app

# uid 1000 is devsecops. A numeric user lets Kubernetes' runAsNonRoot verify it is not root.
USER 1000
`);
  });

  test('the net8 Dockerfile, whole: no RUN, so it also suits shell-less (chiseled) bases', async () => {
    await platformImageGenerator(tree, { dotnet: 'net8', variant: 'aspnet', base: 'mcr.microsoft.com/dotnet/aspnet:8.0-jammy-chiseled' });
    expect(tree.read('platform-images/net8/aspnet/Dockerfile', 'utf-8')).toBe(`FROM mcr.microsoft.com/dotnet/aspnet:8.0-jammy-chiseled

# Unprivileged processes cannot bind ports below 1024, so applications listen on 8080.
ENV ASPNETCORE_HTTP_PORTS=8080

# /app stays owned by root: the application can read its files but not rewrite them.
WORKDIR /app

# Applications run as the unprivileged "app" user the .NET 8 images ship (APP_UID=1654). A numeric
# user lets Kubernetes' runAsNonRoot verify it is not root.
USER $APP_UID
`);
  });

  test('nothing outside the image folder changes without --pipeline', async () => {
    const before = tree.listChanges().map((c) => c.path);
    await platformImageGenerator(tree, { dotnet: 'net8', variant: 'aspnet' });
    expect(
      tree
        .listChanges()
        .map((c) => c.path)
        .filter((p) => !before.includes(p))
        .sort(),
    ).toEqual([
      'platform-images/net8/aspnet/.dockerignore',
      'platform-images/net8/aspnet/Dockerfile',
      'platform-images/net8/aspnet/platform-image.json',
    ]);
  });

  test('an empty --extraTags means none; empty prompt answers take the defaults', async () => {
    await platformImageGenerator(tree, { dotnet: 'net8', variant: 'runtime', base: '', repository: ' ', extraTags: [''] });
    expect(JSON.parse(tree.read('platform-images/net8/runtime/platform-image.json', 'utf-8')!)).toEqual({
      $schema: '../../../node_modules/@platform-images/nx-plugin/dist/schemas/platform-image.schema.json',
      ecr: { repository: 'runtime', tag: '8.0-bookworm-slim', extraTags: [] },
      integrationTest: { app: 'integration-tests/net8-runtime', replaceFrom: 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim' },
    });
  });
});

test("in the plugin's own workspace, platform-image.json's $schema names the schema's source, which is there", async () => {
  for (const file of ['package.json', 'project.json'])
    tree.write(path.posix.join(path.relative(WORKSPACE, PLUGIN_DIR), file), readFileSync(path.join(PLUGIN_DIR, file)));
  await platformImageGenerator(tree, CASES[0].answers);
  const { $schema } = JSON.parse(written(CASES[0].dir)['platform-image.json']) as { $schema: string };
  expect($schema).toBe(path.posix.relative(CASES[0].dir, 'packages/nx-plugin/src/schemas/platform-image.schema.json'));
  expect(JSON.parse(readFileSync(path.join(WORKSPACE, CASES[0].dir, $schema), 'utf8'))).toMatchObject({ title: 'platform-image.json' });
});

describe("the generated platform-image.json passes the executors' validation", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'platform-image-generator-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Writes every file the tree holds to the temporary workspace. */
  function materialize(): void {
    for (const change of tree.listChanges()) {
      if (change.type === 'DELETE') continue;
      const file = path.join(root, change.path);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, change.content!);
    }
  }

  test.each(CASES)('$name', async (c) => {
    const config = c.config as { ecr: unknown; integrationTest: { app: string; replaceFrom: string } };
    addTestApp(config.integrationTest.app, Number(c.answers.dotnet.slice(3)));
    await platformImageGenerator(tree, c.answers);
    materialize();
    const settings = loadImageSettings({
      workspaceRoot: root,
      project: c.dir.split('/').slice(1).join('-'),
      projectRoot: c.dir,
      workspaceOptions: { file: 'nx.json', options: { aws: { region: 'eu-west-1' } } },
      env: {},
    });
    expect(settings.ecr).toEqual({ ...(config.ecr as object), scanOnPush: true, latest: true });
    expect(settings.integrationTest.replaceFrom).toBe(config.integrationTest.replaceFrom);
    expect(settings.integrationTest.app.dir).toBe(path.join(root, config.integrationTest.app));
    expect(settings.dockerfile).toBe(path.join(root, c.dir, 'Dockerfile'));
    expect(readFileSync(settings.dockerfile, 'utf8').split('\n')[0]).toBe(`FROM ${c.from}`);
    expect(existsSync(path.join(root, c.dir, '.dockerignore'))).toBe(true);
  });
});

describe('--pipeline', () => {
  const PIPELINE = 'platform-images/net8/aspnet/azure-pipelines.yml';

  function withPluginOptions(options: unknown): void {
    updateJson<NxJsonConfiguration>(tree, 'nx.json', (nxJson) => ({
      ...nxJson,
      plugins: [{ plugin: '@platform-images/nx-plugin', options }],
    }));
  }

  test('is off by default', async () => {
    await platformImageGenerator(tree, { dotnet: 'net8', variant: 'aspnet' });
    expect(tree.exists(PIPELINE)).toBe(false);
  });

  test("writes a scheduled pipeline extending the per-image template with the seed's parameters", async () => {
    withPluginOptions({ aws: { region: 'eu-west-1', account: '123456789012' } });
    addTestApp('integration-tests/net8', 8);
    await platformImageGenerator(tree, { dotnet: 'net8', variant: 'aspnet', pipeline: true });
    expect(Object.keys(written('platform-images/net8/aspnet')).sort()).toEqual([
      '.dockerignore',
      'Dockerfile',
      'azure-pipelines.yml',
      'platform-image.json',
    ]);
    const text = tree.read(PIPELINE, 'utf-8')!;
    expect(parseYaml(text)).toEqual({
      trigger: 'none',
      pr: 'none',
      schedules: [
        { cron: DEFAULT_SCHEDULE, displayName: 'Check the base image for updates', branches: { include: ['main'] }, always: true },
      ],
      parameters: [
        { name: 'force_update', displayName: 'Rebuild and publish even when the image is current', type: 'boolean', default: false },
      ],
      variables: [{ group: 'platform-images' }],
      extends: {
        template: '../../../.azure-pipelines/templates/platform-image.yml',
        parameters: {
          project: 'net8-aspnet',
          force_update: '${{ parameters.force_update }}',
          aws_credentials: 'platform-images-aws',
          aws_account: '123456789012',
          private_ecr_region: 'eu-west-1',
          aws_ecr_repository_name: 'aspnet',
          aws_ecr_tag_without_version: '8.0-bookworm-slim',
          aws_ecr_extra_tags: ['8.0', '$(Build.BuildNumber)'],
          mcr_registry_uri: 'https://mcr.microsoft.com/api/v1/catalog/dotnet/aspnet/tags',
          mcr_tag_name: '8.0-bookworm-slim',
          dockerfile_context_path: '$(System.DefaultWorkingDirectory)/platform-images/net8/aspnet',
          integration_test_dockerfile_local_path: '$(System.DefaultWorkingDirectory)/integration-tests/net8/Dockerfile',
          integration_test_dockerfile_local_overwrite_image_name: 'mcr.microsoft.com/dotnet/aspnet:8.0-bookworm-slim',
          integration_test_dockerfile_context: '$(System.DefaultWorkingDirectory)/integration-tests/net8',
          teams_webhook_uri: '$(TEAMS_WEBHOOK_URI)',
        },
      },
    });
    // The template path is relative to the pipeline file.
    expect(path.posix.join('platform-images/net8/aspnet', (parseYaml(text) as Pipeline).extends.template)).toBe(
      '.azure-pipelines/templates/platform-image.yml',
    );
    // `${{ }}` must reach Azure Pipelines unquoted to be a template expression.
    expect(text).toContain('    force_update: ${{ parameters.force_update }}\n');
  });

  test("takes the schedule, the service connection, the test app's own Dockerfile and placeholders Azure has macros for", async () => {
    addTestApp('integration-tests/api', 8, { dockerfile: 'docker/App.Dockerfile', context: '..' });
    updateJson<NxJsonConfiguration>(tree, 'nx.json', (nxJson) => ({ ...nxJson, defaultBase: 'trunk' }));
    await platformImageGenerator(tree, {
      dotnet: 'net8',
      variant: 'aspnet',
      pipeline: true,
      schedule: '30 2 * * 0',
      awsCredentials: 'aws-prod',
      extraTags: ['{buildNumber}', 'b{buildId}', '{date}'],
      testApp: 'integration-tests/api',
      replaceFrom: 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim',
    });
    const pipeline = parseYaml(tree.read(PIPELINE, 'utf-8')!) as Pipeline;
    expect(pipeline.schedules[0].cron).toBe('30 2 * * 0');
    expect(pipeline.schedules[0].branches.include).toEqual(['trunk']);
    expect(pipeline.extends.parameters).toMatchObject({
      aws_credentials: 'aws-prod',
      aws_account: '',
      private_ecr_region: '',
      aws_ecr_extra_tags: ['$(Build.BuildNumber)', 'b$(Build.BuildId)', '{date}'],
      integration_test_dockerfile_local_path: '$(System.DefaultWorkingDirectory)/integration-tests/api/docker/App.Dockerfile',
      integration_test_dockerfile_local_overwrite_image_name: 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim',
      integration_test_dockerfile_context: '$(System.DefaultWorkingDirectory)/integration-tests',
    });
    // platform-image.json keeps the placeholders the executors fill.
    expect((JSON.parse(tree.read('platform-images/net8/aspnet/platform-image.json', 'utf-8')!) as ImageConfigFile).ecr.extraTags).toEqual([
      '{buildNumber}',
      'b{buildId}',
      '{date}',
    ]);
  });

  test("an empty --awsCredentials leaves the pipeline on the agent's own AWS credential chain", async () => {
    await platformImageGenerator(tree, { dotnet: 'net8', variant: 'aspnet', pipeline: true, awsCredentials: '' });
    expect((parseYaml(tree.read(PIPELINE, 'utf-8')!) as Pipeline).extends.parameters.aws_credentials).toBe('');
  });

  test('passes only parameters the template declares, every one it requires, each of the declared type', async () => {
    const template = parseYaml(readFileSync(path.join(PLUGIN_DIR, '../../.azure-pipelines/templates/platform-image.yml'), 'utf8')) as {
      parameters: Array<{ name: string; type: string; default?: unknown }>;
    };
    const declared = new Map<string, { type: string; default?: unknown }>(template.parameters.map((p) => [p.name, p]));
    await platformImageGenerator(tree, { dotnet: 'net8', variant: 'aspnet', pipeline: true });
    const passed = (parseYaml(tree.read(PIPELINE, 'utf-8')!) as Pipeline).extends.parameters;
    expect(Object.keys(passed).filter((name) => !declared.has(name))).toEqual([]);
    expect([...declared].filter(([name, p]) => p.default === undefined && !(name in passed)).map(([name]) => name)).toEqual([]);
    for (const [name, value] of Object.entries(passed)) {
      const type = declared.get(name)!.type;
      if (type === 'string') expect([name, typeof value]).toEqual([name, 'string']);
      if (type === 'boolean') expect([name, value]).toEqual([name, '${{ parameters.force_update }}']);
      if (type === 'object') expect([name, Array.isArray(value)]).toEqual([name, true]);
    }
  });

  test("a base outside MCR gets the registry's tag list as mcr_registry_uri", async () => {
    await platformImageGenerator(tree, {
      dotnet: 'net8',
      variant: 'aspnet',
      base: 'registry.example.com/dotnet/aspnet:8.0',
      pipeline: true,
    });
    expect((parseYaml(tree.read(PIPELINE, 'utf-8')!) as Pipeline).extends.parameters.mcr_registry_uri).toBe(
      'https://registry.example.com/v2/dotnet/aspnet/tags/list',
    );
  });
});

describe('warnings', () => {
  test('a test app without test-app.json', async () => {
    await platformImageGenerator(tree, { dotnet: 'net8', variant: 'aspnet' });
    expect(warnings()).toEqual([
      expect.stringMatching(/^integration-tests\/net8 has no test-app\.json: net8-aspnet's integration test fails until it exists/),
    ]);
    expect(tree.exists('platform-images/net8/aspnet/platform-image.json')).toBe(true);
  });

  test('none when the test app exists and starts FROM replaceFrom', async () => {
    addTestApp('integration-tests/net8-runtime', 8);
    await platformImageGenerator(tree, { dotnet: 'net8', variant: 'runtime' });
    expect(warnings()).toEqual([]);
  });

  test('a test app whose Dockerfile has no FROM naming replaceFrom', async () => {
    addTestApp('integration-tests/net8', 8);
    await platformImageGenerator(tree, { dotnet: 'net8', variant: 'aspnet' });
    expect(warnings()).toEqual([
      'no FROM in integration-tests/net8/Dockerfile names mcr.microsoft.com/dotnet/aspnet:8.0-bookworm-slim, so the integration test would not use the new image and fails; pass --replaceFrom with an image it starts FROM',
    ]);
  });

  test('a test app whose Dockerfile docker build cannot read', async () => {
    addTestApp('integration-tests/net8-runtime', 8);
    tree.write(
      'integration-tests/net8-runtime/Dockerfile',
      'FROM mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim\nRUN <<EOF\necho never closed\n',
    );
    await platformImageGenerator(tree, { dotnet: 'net8', variant: 'runtime' });
    expect(warnings()).toEqual([
      "integration-tests/net8-runtime/Dockerfile: line 2: unterminated heredoc <<EOF, which docker build cannot read either: net8-runtime's integration test fails until it is fixed",
    ]);
  });

  test('a test-app.json that is not JSON, or a test app without its Dockerfile', async () => {
    tree.write('integration-tests/net8-runtime/test-app.json', '{ "port": ');
    await platformImageGenerator(tree, { dotnet: 'net8', variant: 'runtime' });
    tree.write('integration-tests/net9/test-app.json', '{ "dockerfile": "app.Dockerfile" }');
    await platformImageGenerator(tree, { dotnet: 'net9', variant: 'aspnet' });
    expect(warnings()).toEqual([
      "integration-tests/net8-runtime/test-app.json is not valid JSON: net8-runtime's integration test fails until it is fixed",
      "integration-tests/net9/app.Dockerfile does not exist: net9-aspnet's integration test fails until it does",
    ]);
  });

  test('a variant that is not a Microsoft image, without --base', async () => {
    addTestApp('integration-tests/net8', 8);
    await platformImageGenerator(tree, {
      dotnet: 'net8',
      variant: 'api',
      replaceFrom: 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim',
    });
    expect(warnings()).toEqual([
      expect.stringContaining('the derived base mcr.microsoft.com/dotnet/api:8.0-bookworm-slim does not exist; pass --base'),
    ]);
  });

  test('an MCR .NET repository that does not exist, given as --base', async () => {
    addTestApp('integration-tests/net8', 8);
    await platformImageGenerator(tree, {
      dotnet: 'net8',
      variant: 'api',
      base: 'mcr.microsoft.com/dotnet/asp:8.0',
      replaceFrom: 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim',
    });
    expect(warnings()).toEqual([
      expect.stringMatching(/^mcr\.microsoft\.com\/dotnet\/asp is not one of Microsoft's \.NET image repositories/),
    ]);
  });
});

describe('refusals', () => {
  /** Runs the generator expecting it to refuse, and checks it wrote nothing. */
  async function refused(answers: PlatformImageGeneratorSchema, message: RegExp): Promise<void> {
    const before = tree.listChanges().map((c) => `${c.path}:${c.content?.toString('utf8')}`);
    await expect(platformImageGenerator(tree, answers)).rejects.toThrow(message);
    expect(tree.listChanges().map((c) => `${c.path}:${c.content?.toString('utf8')}`)).toEqual(before);
  }

  test('an existing image folder', async () => {
    tree.write('platform-images/net6/runtime/Dockerfile', 'FROM mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim\n');
    await refused({ dotnet: 'net6', variant: 'runtime' }, /^platform-images\/net6\/runtime already exists \(project net6-runtime\)/);
  });

  test.each(['8', 'net', 'net8.0', 'dotnet8', 'NET8', 'net08', 'net4', ' '])('--dotnet=%p', async (dotnet) => {
    await refused({ dotnet, variant: 'runtime' }, /^--dotnet: /);
  });

  test.each(['Runtime', 'asp net', '-sdk', 'sdk-', 'sdk_1', 'a/b', ''])('--variant=%p', async (variant) => {
    await refused({ dotnet: 'net8', variant }, /^--variant: .* is not a lowercase name/);
  });

  test.each([
    ['not an image', { dotnet: 'net8', base: 'not an image' }, /not an image reference/],
    ['an upper-case repository', { dotnet: 'net8', base: 'mcr.microsoft.com/dotnet/ASPNET:8.0' }, /bad repository name/],
    ['no tag', { dotnet: 'net8', base: 'mcr.microsoft.com/dotnet/aspnet' }, /names no specific tag/],
    ['latest', { dotnet: 'net8', base: 'mcr.microsoft.com/dotnet/aspnet:latest' }, /names no specific tag/],
    ['a pinned digest', { dotnet: 'net8', base: `mcr.microsoft.com/dotnet/aspnet:8.0@sha256:${'a'.repeat(64)}` }, /pins a digest/],
    ['another .NET version', { dotnet: 'net8', base: 'mcr.microsoft.com/dotnet/aspnet:6.0-bullseye-slim' }, /is \.NET 6, not net8/],
    [
      'a shell-less base before .NET 8',
      { dotnet: 'net6', base: 'mcr.microsoft.com/dotnet/aspnet:6.0-jammy-chiseled' },
      /has no shell to create the devsecops user/,
    ],
  ])('--base: %s', async (_name, answers, message) => {
    await refused({ variant: 'aspnet', ...answers }, new RegExp(`^--base: .*${message.source}`));
  });

  const otherAnswers: Array<[keyof PlatformImageGeneratorSchema, unknown, RegExp]> = [
    ['repository', 'Platform/API', /^--repository: "Platform\/API" is not an ECR repository name/],
    ['tag', 'latest', /^--tag: "latest" is pushed on every publish/],
    ['tag', '-x', /^--tag: "-x" is not a valid Docker tag/],
    ['extraTags', ['{build}'], /^--extraTags: "\{build\}" has an unknown placeholder/],
    ['extraTags', ['1.2.3'], /^--extraTags: "1\.2\.3" looks like a version tag/],
    ['extraTags', ['8.0-bookworm-slim-1'], /^--extraTags: .* looks like a version tag/],
    ['extraTags', ['a b'], /^--extraTags: "a b" is not a valid Docker tag/],
    ['testApp', '../elsewhere', /^--testApp: .* is not a folder inside the workspace/],
    ['testApp', '/abs/app', /^--testApp: .* is not a folder inside the workspace/],
    ['replaceFrom', 'not an image', /^--replaceFrom: not an image reference/],
    ['schedule', 'weekly', /^--schedule: "weekly" is not a cron expression/],
    ['schedule', '0 6 * *', /^--schedule: "0 6 \* \*" is not a cron expression/],
  ];
  test.each(otherAnswers.map(([option, value, message]) => [`${option}=${JSON.stringify(value)}`, { [option]: value }, message] as const))(
    '--%s',
    async (_name, answers, message) => {
      await refused({ dotnet: 'net8', variant: 'aspnet', pipeline: true, ...answers }, message);
    },
  );
});

describe('registration', () => {
  test('generators.json names the generator, its implementation and schema, and package.json points at it', () => {
    const pkg = JSON.parse(readFileSync(path.join(PLUGIN_DIR, 'package.json'), 'utf8')) as { generators: string };
    const collection = JSON.parse(readFileSync(path.join(PLUGIN_DIR, pkg.generators), 'utf8')) as {
      generators: Record<string, { factory: string; schema: string }>;
    };
    const entry = collection.generators['platform-image'];
    // The built generator and schema (packaging.spec.ts checks the build makes them from this folder's).
    expect(entry.factory).toBe('./dist/generators/platform-image/generator.js');
    expect(entry.schema).toBe('./dist/generators/platform-image/schema.json');
    const schema = JSON.parse(readFileSync(path.join(__dirname, 'schema.json'), 'utf8')) as {
      required: string[];
      properties: {
        schedule: { default: string };
        pipeline: { default: boolean };
        dotnet: { pattern: string };
        variant: { pattern: string };
      };
    };
    expect(schema.required).toEqual(['dotnet', 'variant']);
    expect(schema.properties.schedule.default).toBe(DEFAULT_SCHEDULE);
    expect(schema.properties.pipeline.default).toBe(false);
    // The schema's patterns agree with the generator's own checks.
    expect(new RegExp(schema.properties.dotnet.pattern).test('net10')).toBe(true);
    expect(new RegExp(schema.properties.variant.pattern).test('runtime-deps')).toBe(true);
    expect(new RegExp(schema.properties.variant.pattern).test('Runtime')).toBe(false);
  });
});
