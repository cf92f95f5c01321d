/**
 * The platform-image generator end to end: real `nx g` runs in a throwaway workspace with no platform
 * images, then the generated images go through the whole chain against the local stack, as a new image
 * would on its first scheduled run.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  cardFact,
  cards,
  createWorkspace,
  digestOf,
  ecrTags,
  expectOk,
  git,
  jsonIn,
  labelsOf,
  nx,
  type NxRun,
  recordsOf,
  type Workspace,
} from './support';

jest.setTimeout(20 * 60_000);

const BUILD_NUMBER = '20261124.3';
const CHAIN = ['mcr-check', 'docker-build', 'integration-test', 'ecr-publish', 'teams-notify', 'publish'];
let ws: Workspace;

/** `nx g` of this plugin's generator, with the environment every nx run gets here. */
function generate(args: string[]): NxRun {
  return nx(ws, ['g', '@platform-images/nx-plugin:platform-image', ...args, '--no-interactive']);
}

function read(file: string): string {
  return readFileSync(path.join(ws.root, file), 'utf8');
}

beforeAll(() => {
  ws = createWorkspace([]);
});

afterAll(() => ws?.dispose());

test('nx g creates net6-aspnet; nx infers the project with the chain; its first publish is 1.0.0 with one card', async () => {
  const generated = generate([
    '--dotnet=net6',
    '--variant=aspnet',
    '--base=mcr.microsoft.com/dotnet/aspnet:6.0-bullseye-slim',
    `--repository=${ws.prefix}/aspnet`,
    '--testApp=integration-tests/net6',
    // The local profile runs integration-tests/net6-stand-in, whose final stage starts FROM the runtime image.
    '--replaceFrom=mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim',
  ]);
  expectOk(generated);
  for (const file of ['Dockerfile', 'platform-image.json', '.dockerignore']) {
    expect(generated.output).toContain(`CREATE platform-images/net6/aspnet/${file}`);
  }
  // The test app exists and starts FROM replaceFrom: nothing to warn about.
  expect(generated.output).not.toMatch(/has no test-app\.json|no FROM in/);
  expect(existsSync(path.join(ws.root, 'platform-images/net6/aspnet/azure-pipelines.yml'))).toBe(false);
  const dockerfile = read('platform-images/net6/aspnet/Dockerfile');
  expect(dockerfile.split('\n')[0]).toBe('FROM mcr.microsoft.com/dotnet/aspnet:6.0-bullseye-slim');
  expect(dockerfile).toMatch(/^RUN groupadd --gid 1000 devsecops/m);
  expect(dockerfile).toMatch(/^USER 1000$/m);
  const { $schema, ...generatedConfig } = JSON.parse(read('platform-images/net6/aspnet/platform-image.json')) as { $schema: string };
  expect(generatedConfig).toEqual({
    ecr: { repository: `${ws.prefix}/aspnet`, tag: '6.0-bullseye-slim', extraTags: ['6.0', '{buildNumber}'] },
    integrationTest: { app: 'integration-tests/net6', replaceFrom: 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim' },
  });
  // The editor's schema, by a path from the file that leads to it.
  expect(JSON.parse(read(path.posix.join('platform-images/net6/aspnet', $schema)))).toMatchObject({ title: 'platform-image.json' });
  git(ws.root, ['add', '-A']);
  git(ws.root, ['commit', '-qm', 'net6-aspnet: new platform image']);

  const projects = nx(ws, ['show', 'projects', '--json']);
  expectOk(projects);
  expect(jsonIn(projects.output, '[')).toContain('net6-aspnet');
  const project = nx(ws, ['show', 'project', 'net6-aspnet', '--json']);
  expectOk(project);
  const config = jsonIn(project.output, '{') as { root: string; targets: Record<string, unknown>; implicitDependencies?: string[] };
  expect(config.root).toBe('platform-images/net6/aspnet');
  expect(Object.keys(config.targets).sort()).toEqual([...CHAIN].sort());
  expect(config.implicitDependencies).toEqual(['test-app-net6']);

  const run = nx(ws, ['run', 'net6-aspnet:publish'], { BUILD_BUILDNUMBER: BUILD_NUMBER });
  expectOk(run);
  expect(recordsOf(ws, 'net6/aspnet').read('mcr-check')).toMatchObject({ stale: true, reason: 'nothing-published' });
  const repo = `${ws.prefix}/aspnet`;
  expect(ecrTags(repo)).toEqual([BUILD_NUMBER, '6.0', '6.0-bullseye-slim-1.0.0', 'latest'].sort());
  expect(digestOf(repo, 'latest')).toBe(digestOf(repo, '6.0-bullseye-slim-1.0.0'));
  expect(labelsOf(repo, '6.0-bullseye-slim-1.0.0')['org.opencontainers.image.base.name']).toBe(
    'mcr.microsoft.com/dotnet/aspnet:6.0-bullseye-slim',
  );
  const received = await cards(ws);
  expect(received).toHaveLength(1);
  expect(cardFact(received[0], 'Version tag')).toBe('6.0-bullseye-slim-1.0.0');
});

test('nx g refuses an image folder that exists, and leaves it as it was', () => {
  const before = read('platform-images/net6/aspnet/Dockerfile');
  const again = generate(['--dotnet=net6', '--variant=aspnet']);
  expect(again.code).not.toBe(0);
  expect(again.output).toContain('platform-images/net6/aspnet already exists (project net6-aspnet)');
  expect(read('platform-images/net6/aspnet/Dockerfile')).toBe(before);
  expect(git(ws.root, ['status', '--porcelain'])).toBe('');
});

test("a net8 image with its pipeline runs as the images' app user and publishes through the chain", async () => {
  const repo = `${ws.prefix}/net8-aspnet`;
  const generated = generate(['--dotnet=net8', '--variant=aspnet', `--repository=${repo}`, '--pipeline']);
  expectOk(generated);
  expect(generated.output).toContain('CREATE platform-images/net8/aspnet/azure-pipelines.yml');
  const dockerfile = read('platform-images/net8/aspnet/Dockerfile');
  expect(dockerfile.split('\n')[0]).toBe('FROM mcr.microsoft.com/dotnet/aspnet:8.0-bookworm-slim');
  expect(dockerfile).toMatch(/^USER \$APP_UID$/m);
  expect(read('platform-images/net8/aspnet/azure-pipelines.yml')).toContain("project: 'net8-aspnet'");
  git(ws.root, ['add', '-A']);
  git(ws.root, ['commit', '-qm', 'net8-aspnet: new platform image']);

  const before = (await cards(ws)).length;
  const run = nx(ws, ['run', 'net8-aspnet:publish'], { BUILD_BUILDNUMBER: BUILD_NUMBER });
  expectOk(run);
  expect(recordsOf(ws, 'net8/aspnet').read('mcr-check')).toMatchObject({ stale: true, reason: 'nothing-published' });
  expect(ecrTags(repo)).toEqual([BUILD_NUMBER, '8.0', '8.0-bookworm-slim-1.0.0', 'latest'].sort());
  expect((await cards(ws)).length).toBe(before + 1);
  // The first image is untouched by the second's run.
  expect(ecrTags(`${ws.prefix}/aspnet`)).toEqual([BUILD_NUMBER, '6.0', '6.0-bullseye-slim-1.0.0', 'latest'].sort());
});
