import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { logger, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { loadImageSettings } from '../../config/normalize';
import { assertTestAppStartsFrom } from '../../steps/integration-test';
import { parseDockerfile } from '../../lib/dockerfile';
import { overrideFrom } from '../../lib/dockerfile-rewrite';
import { testAppGenerator, type TestAppGeneratorSchema } from './generator';
import { KINDS } from './normalize';

const PLUGIN_DIR = path.resolve(__dirname, '../../..');
const WORKSPACE = path.resolve(PLUGIN_DIR, '../..');

let tree: Tree;
let info: jest.SpiedFunction<typeof logger.info>;

beforeEach(() => {
  tree = createTreeWithEmptyWorkspace();
  info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
});

afterEach(() => jest.restoreAllMocks());

/** The files the generator wrote under a folder, by path relative to it. */
function written(dir: string, from: Tree = tree): Record<string, string> {
  const files: Record<string, string> = {};
  for (const change of from.listChanges()) {
    if (change.type !== 'DELETE' && change.path.startsWith(`${dir}/`))
      files[change.path.slice(dir.length + 1)] = change.content!.toString('utf8');
  }
  return files;
}

/** A test app folder of the real workspace, by path relative to it; bin/ and obj/ are what a local build left. */
function committed(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(WORKSPACE, dir, relative), { withFileTypes: true })) {
      const file = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!(relative === '' && (entry.name === 'bin' || entry.name === 'obj'))) walk(file);
      } else {
        files[file] = readFileSync(path.join(WORKSPACE, dir, file), 'utf8');
      }
    }
  };
  walk('');
  return files;
}

const lines = (text: string, keyword: string) => text.split('\n').filter((l) => l.startsWith(`${keyword} `));

interface Case {
  answers: TestAppGeneratorSchema;
  dir: string;
  /** The FROM lines: the build stage (the sdk image), then the final stage. */
  from: string[];
  /** Each platform image variant the app serves, with the image its replaceFrom names. */
  serves: Record<string, string>;
  project: string;
}

const CASES: Case[] = [
  {
    answers: { dotnet: 'net8' },
    dir: 'integration-tests/net8',
    from: ['mcr.microsoft.com/dotnet/sdk:8.0-bookworm-slim AS build', 'mcr.microsoft.com/dotnet/aspnet:8.0-bookworm-slim AS final'],
    serves: { aspnet: 'mcr.microsoft.com/dotnet/aspnet:8.0-bookworm-slim', sdk: 'mcr.microsoft.com/dotnet/sdk:8.0-bookworm-slim' },
    project: 'WebApp',
  },
  {
    answers: { dotnet: 'net10' },
    dir: 'integration-tests/net10',
    from: ['mcr.microsoft.com/dotnet/sdk:10.0-noble AS build', 'mcr.microsoft.com/dotnet/aspnet:10.0-noble AS final'],
    serves: { aspnet: 'mcr.microsoft.com/dotnet/aspnet:10.0-noble', sdk: 'mcr.microsoft.com/dotnet/sdk:10.0-noble' },
    project: 'WebApp',
  },
  {
    answers: { dotnet: 'net8', kind: 'runtime' },
    dir: 'integration-tests/net8-runtime',
    from: ['mcr.microsoft.com/dotnet/sdk:8.0-bookworm-slim AS build', 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim AS final'],
    serves: { runtime: 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim' },
    project: 'RuntimeApp',
  },
  {
    answers: { dotnet: 'net10', kind: 'runtime' },
    dir: 'integration-tests/net10-runtime',
    from: ['mcr.microsoft.com/dotnet/sdk:10.0-noble AS build', 'mcr.microsoft.com/dotnet/runtime:10.0-noble AS final'],
    serves: { runtime: 'mcr.microsoft.com/dotnet/runtime:10.0-noble' },
    project: 'RuntimeApp',
  },
];

const ASPNET_FILES = [
  '.dockerignore',
  '.gitignore',
  'Controllers/MyServiceController.cs',
  'Dockerfile',
  'HostInfo.cs',
  'Models/MyServiceRequest.cs',
  'Program.cs',
  'WebApp.csproj',
  'appsettings.json',
  'test-app.json',
];
const RUNTIME_FILES = [
  '.dockerignore',
  '.gitignore',
  'Dockerfile',
  'HostInfo.cs',
  'Listening.cs',
  'MyService.cs',
  'Program.cs',
  'RuntimeApp.csproj',
  'test-app.json',
];

/** The plugin as a project of the workspace, as it is in its own repository. */
function addPluginProject(to: Tree): void {
  for (const file of ['package.json', 'project.json'])
    to.write(path.posix.join(path.relative(WORKSPACE, PLUGIN_DIR), file), readFileSync(path.join(PLUGIN_DIR, file)));
}

describe("the templates are the workspace's test apps", () => {
  test.each(CASES)('$dir', (c) => {
    addPluginProject(tree);
    testAppGenerator(tree, c.answers);
    const files = written(c.dir);
    expect(Object.keys(files).sort()).toEqual((c.project === 'WebApp' ? ASPNET_FILES : RUNTIME_FILES).slice().sort());
    // Exactly, file for file: a change to one side without the other fails here.
    expect(files).toEqual(committed(c.dir));
  });
});

describe("test-app.json's $schema", () => {
  const schemaOf = (dir: string) => (JSON.parse(written(dir)['test-app.json']) as { $schema: string }).$schema;

  test('in a workspace that installed the plugin, names the schema the installed plugin ships', () => {
    testAppGenerator(tree, CASES[0].answers);
    expect(schemaOf(CASES[0].dir)).toBe(
      path.posix.relative(CASES[0].dir, 'node_modules/@platform-images/nx-plugin/dist/schemas/test-app.schema.json'),
    );
  });

  test("in the plugin's own workspace, names the schema's source, which is there", () => {
    addPluginProject(tree);
    testAppGenerator(tree, CASES[0].answers);
    const schema = schemaOf(CASES[0].dir);
    expect(schema).toBe(path.posix.relative(CASES[0].dir, 'packages/nx-plugin/src/schemas/test-app.schema.json'));
    expect(JSON.parse(readFileSync(path.join(WORKSPACE, CASES[0].dir, schema), 'utf8'))).toMatchObject({ title: 'test-app.json' });
  });
});

describe('the app written', () => {
  test.each(CASES)("$dir: framework-dependent, restored in its own layer, run by the image's dotnet as the image's user", (c) => {
    testAppGenerator(tree, c.answers);
    const files = written(c.dir);
    const dockerfile = files.Dockerfile;
    expect(lines(dockerfile, 'FROM')).toEqual(c.from.map((f) => `FROM ${f}`));
    expect(parseDockerfile(dockerfile).instructions.map((i) => i.keyword)).toEqual([
      'from',
      'workdir',
      'copy',
      'run',
      'copy',
      'run',
      'from',
      'workdir',
      'copy',
      'entrypoint',
    ]);
    expect(lines(dockerfile, 'COPY')[0]).toBe(`COPY ${c.project}.csproj .`);
    expect(lines(dockerfile, 'RUN')).toEqual([
      `RUN dotnet restore ${c.project}.csproj -p:UseAppHost=false`,
      `RUN dotnet publish ${c.project}.csproj -c Release -o /app --no-restore -warnaserror -p:UseAppHost=false \\`,
    ]);
    // No runtime identifier, no self-contained runtime, no USER: the image's own .NET and user run it.
    expect(dockerfile).not.toMatch(/\s(-r|--runtime|--self-contained)\s/);
    expect(lines(dockerfile, 'USER')).toEqual([]);
    expect(lines(dockerfile, 'ENTRYPOINT')).toEqual([`ENTRYPOINT ["dotnet", "${c.project}.dll"]`]);
    expect(files[`${c.project}.csproj`]).toContain(`<TargetFramework>${c.answers.dotnet}.0</TargetFramework>`);
    expect(files[`${c.project}.csproj`]).not.toMatch(/RuntimeIdentifier|SelfContained|PackageReference/);
    expect(files['.dockerignore'].split('\n')).toEqual(expect.arrayContaining(['bin/', 'obj/']));
    expect(JSON.parse(files['test-app.json'])).toEqual({
      $schema: path.posix.relative(c.dir, 'node_modules/@platform-images/nx-plugin/dist/schemas/test-app.schema.json'),
      port: 8080,
      request: {
        method: 'POST',
        path: '/MyService',
        headers: { 'Content-Type': 'application/json' },
        body: { data: 'string', color: 'Red' },
      },
      expectStatus: 200,
      timeoutSeconds: 60,
    });
  });

  test('the runtime app needs no ASP.NET Core; the ASP.NET Core app names the shared framework it runs on', () => {
    testAppGenerator(tree, { dotnet: 'net10', kind: 'runtime' });
    testAppGenerator(tree, { dotnet: 'net10' });
    const runtime = written('integration-tests/net10-runtime');
    expect(runtime['RuntimeApp.csproj']).toMatch(/^<Project Sdk="Microsoft.NET.Sdk">/);
    expect(Object.values(runtime).join('\n')).not.toMatch(/AspNetCore\.(?!App\b)|WebApplication|FrameworkReference/);
    expect(runtime['Program.cs']).toContain('new HttpListener()');
    const aspnet = written('integration-tests/net10');
    expect(aspnet['WebApp.csproj']).toMatch(/^<Project Sdk="Microsoft.NET.Sdk.Web">/);
    expect(aspnet['HostInfo.cs']).toContain('Microsoft.AspNetCore.App');
    expect(runtime['HostInfo.cs']).not.toContain('AspNetCore');
  });

  test('a new line, its tag given: everything follows the line and the tag', () => {
    testAppGenerator(tree, { dotnet: 'net11', kind: 'runtime', baseTag: '11.0-noble' });
    const files = written('integration-tests/net11-runtime');
    expect(lines(files.Dockerfile, 'FROM')).toEqual([
      'FROM mcr.microsoft.com/dotnet/sdk:11.0-noble AS build',
      'FROM mcr.microsoft.com/dotnet/runtime:11.0-noble AS final',
    ]);
    expect(files.Dockerfile).toMatch(/^# The test app of the net11 runtime platform image:/);
    expect(files['RuntimeApp.csproj']).toContain('<TargetFramework>net11.0</TargetFramework>');
    // The rest is the net10 app's, word for word.
    const other = createTreeWithEmptyWorkspace();
    testAppGenerator(other, { dotnet: 'net10', kind: 'runtime' });
    const net10 = written('integration-tests/net10-runtime', other);
    for (const file of ['Program.cs', 'MyService.cs', 'Listening.cs', 'HostInfo.cs', 'test-app.json', '.dockerignore'])
      expect([file, files[file]]).toEqual([file, net10[file]]);
  });

  test('--name puts it elsewhere', () => {
    testAppGenerator(tree, { dotnet: 'net8', name: './integration-tests/api/' });
    expect(Object.keys(written('integration-tests/api')).sort()).toEqual(ASPNET_FILES.slice().sort());
  });

  test('says which platform images it serves and the replaceFrom each one names', () => {
    testAppGenerator(tree, { dotnet: 'net10' });
    expect(info.mock.calls.map((call) => String(call[0]))).toEqual([
      'integration-tests/net10: WebApp on net10.0, built FROM mcr.microsoft.com/dotnet/sdk:10.0-noble, run FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble',
      'for net10-aspnet, platform-image.json: "integrationTest": { "app": "integration-tests/net10", "replaceFrom": "mcr.microsoft.com/dotnet/aspnet:10.0-noble" }',
      'for net10-sdk, platform-image.json: "integrationTest": { "app": "integration-tests/net10", "replaceFrom": "mcr.microsoft.com/dotnet/sdk:10.0-noble" }',
    ]);
  });
});

describe('the platform images it serves accept it', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'test-app-generator-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const imageCases = CASES.flatMap((c) => Object.entries(c.serves).map(([variant, replaceFrom]) => ({ ...c, variant, replaceFrom })));

  test.each(imageCases)('$dir for the $variant image', (c) => {
    testAppGenerator(tree, c.answers);
    for (const change of tree.listChanges()) {
      if (change.type === 'DELETE') continue;
      mkdirSync(path.dirname(path.join(root, change.path)), { recursive: true });
      writeFileSync(path.join(root, change.path), change.content!);
    }
    const projectRoot = `platform-images/${c.answers.dotnet}/${c.variant}`;
    mkdirSync(path.join(root, projectRoot), { recursive: true });
    writeFileSync(path.join(root, projectRoot, 'Dockerfile'), `FROM ${c.replaceFrom}\n`);
    writeFileSync(
      path.join(root, projectRoot, 'platform-image.json'),
      JSON.stringify({
        ecr: { repository: c.variant, tag: c.replaceFrom.split(':')[1] },
        integrationTest: { app: c.dir, replaceFrom: c.replaceFrom },
      }),
    );
    const settings = loadImageSettings({
      workspaceRoot: root,
      project: `${c.answers.dotnet}-${c.variant}`,
      projectRoot,
      workspaceOptions: { file: 'nx.json', options: { aws: { region: 'eu-west-1' } } },
      env: {},
    });
    expect(settings.integrationTest.app).toMatchObject({
      dir: path.join(root, c.dir),
      dockerfile: path.join(root, c.dir, 'Dockerfile'),
      context: path.join(root, c.dir),
      port: 8080,
      expectStatus: 200,
    });
    expect(() => assertTestAppStartsFrom(settings)).not.toThrow();
    // The integration test replaces exactly the FROM the image stands for.
    const { text, replaced } = overrideFrom(
      readFileSync(settings.integrationTest.app.dockerfile, 'utf8'),
      c.replaceFrom,
      'platform-images/candidate:run',
    );
    expect(replaced).toBe(1);
    expect(lines(text, 'FROM')).toEqual(
      c.from.map((f) =>
        f.startsWith(`${c.replaceFrom} `) ? `FROM platform-images/candidate:run${f.slice(c.replaceFrom.length)}` : `FROM ${f}`,
      ),
    );
  });
});

describe('refusals', () => {
  /** Runs the generator expecting it to refuse, and checks it wrote nothing. */
  function refused(answers: TestAppGeneratorSchema, message: RegExp): void {
    const before = tree.listChanges().map((c) => `${c.path}:${c.content?.toString('utf8')}`);
    expect(() => testAppGenerator(tree, answers)).toThrow(message);
    expect(tree.listChanges().map((c) => `${c.path}:${c.content?.toString('utf8')}`)).toEqual(before);
  }

  test('an existing folder', () => {
    tree.write('integration-tests/net10/Dockerfile', 'FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble\n');
    refused({ dotnet: 'net10' }, /^integration-tests\/net10 already exists: choose another --name, or edit that test app instead$/);
  });

  test.each<[TestAppGeneratorSchema, RegExp]>([
    [{ dotnet: 'net6' }, /^--dotnet: .*\n {2}fix: /],
    [{ dotnet: 'net10', kind: 'web' }, /^--kind: .*\n {2}fix: /],
    [{ dotnet: 'net11', baseTag: '10.0-noble' }, /^--baseTag: .*\n {2}fix: use a 11\.0 tag/],
    [{ dotnet: 'net10', name: '../x' }, /^--name: .*\n {2}fix: /],
  ])('%p', (answers, message) => {
    refused(answers, message);
  });
});

describe('registration', () => {
  test('generators.json names the generator, its implementation and schema, and the schema agrees with the generator', () => {
    const pkg = JSON.parse(readFileSync(path.join(PLUGIN_DIR, 'package.json'), 'utf8')) as { generators: string };
    const collection = JSON.parse(readFileSync(path.join(PLUGIN_DIR, pkg.generators), 'utf8')) as {
      generators: Record<string, { factory: string; schema: string }>;
    };
    const entry = collection.generators['test-app'];
    // The built generator and schema (packaging.spec.ts checks the build makes them from this folder's).
    expect(entry.factory).toBe('./dist/generators/test-app/generator.js');
    expect(entry.schema).toBe('./dist/generators/test-app/schema.json');
    const schema = JSON.parse(readFileSync(path.join(__dirname, 'schema.json'), 'utf8')) as {
      required: string[];
      properties: {
        kind: { enum: string[]; default: string; 'x-prompt': { items: Array<{ value: string }> } };
        dotnet: { pattern: string };
      };
    };
    expect(schema.required).toEqual(['dotnet']);
    expect(schema.properties.kind.enum).toEqual([...KINDS]);
    expect(schema.properties.kind.default).toBe('aspnet');
    expect(schema.properties.kind['x-prompt'].items.map((i: { value: string }) => i.value)).toEqual([...KINDS]);
    expect(new RegExp(schema.properties.dotnet.pattern).test('net10')).toBe(true);
    expect(new RegExp(schema.properties.dotnet.pattern).test('net10.0')).toBe(false);
  });
});
