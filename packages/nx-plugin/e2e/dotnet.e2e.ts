/**
 * Real .NET end to end: the local stack's .NET 8 and 10 stand-ins carry real .NET (tools/local-stack/
 * dotnet-stand-ins.ts), and the real test apps under integration-tests/ are built with the real SDK on the sdk
 * images and run framework-dependent on the runtime and aspnet images, so the platform image's own .NET serves
 * the request. A platform image that breaks .NET fails the test with the app's own log, and nothing of it is
 * published. Needs the .NET SDK on the machine (up.sh builds the stand-ins from it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { envMap } from '../src/lib/image-promises';
import { cardFact, cards, createWorkspace, ecrTags, editJson, expectOk, git, nx, recordsOf, REPO_ROOT, type Workspace } from './support';
import type { ImageFile } from './json-files';

jest.setTimeout(30 * 60_000);

const LINES = [
  { dir: 'net8', tag: '8.0-bookworm-slim' },
  { dir: 'net10', tag: '10.0-noble' },
] as const;
const VARIANTS = ['runtime', 'aspnet', 'sdk'] as const;

let ws: Workspace;

/** The variables an MCR stand-in declares (DOTNET_VERSION, ASPNET_VERSION). */
function standInEnv(repoTag: string): Record<string, string> {
  return envMap(
    JSON.parse(
      execFileSync('docker', ['image', 'inspect', '--format', '{{json .Config.Env}}', `localhost:5001/dotnet/${repoTag}`], {
        encoding: 'utf8',
      }),
    ) as string[] | null,
  );
}

beforeAll(() => {
  ws = createWorkspace(
    LINES.flatMap((l) => VARIANTS.map((v) => `${l.dir}/${v}`)),
    { realDotnet: true },
  );
  // Both lines share each repository here: only the newest moves `latest`, as in this workspace.
  for (const variant of VARIANTS)
    editJson(ws.root, `platform-images/net8/${variant}/platform-image.json`, (c: ImageFile) => {
      c.ecr.latest = false;
    });
  git(ws.root, ['commit', '-qam', 'one line owns latest']);
});

afterAll(() => ws?.dispose());

test("the stack's smoke test: each .NET stand-in lists the runtimes it declares", () => {
  const smoke = spawnSync('node', ['-r', '@swc-node/register', 'tools/local-stack/smoke.ts'], { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(`${smoke.stdout}${smoke.stderr}`).toMatch(/smoke: all \d+ checks passed/);
  const net8 = standInEnv('runtime:8.0-bookworm-slim').DOTNET_VERSION;
  expect(net8).toMatch(/^8\.0\.\d+$/);
  expect(smoke.stdout).toContain(`Microsoft.NETCore.App ${net8} [/usr/share/dotnet/shared/Microsoft.NETCore.App]`);
  expect(smoke.stdout).toContain(
    `ok   runtime:10.0-noble: dotnet --list-runtimes lists Microsoft.NETCore.App ${standInEnv('runtime:10.0-noble').DOTNET_VERSION}`,
  );
});

test("every .NET 8 and 10 image is published after its real test app answered on the image's own .NET", async () => {
  const run = nx(ws, ['run-many', '-t', 'publish']);
  expectOk(run);
  for (const line of LINES) {
    const declared = standInEnv(`aspnet:${line.tag}`);
    for (const variant of VARIANTS) {
      const project = `${line.dir}-${variant}`;
      // The app says which runtime served it: the base's, since the app is framework-dependent.
      expect(run.output).toMatch(
        new RegExp(`${project}: POST /MyService -> 200: \\{.*"runtime":"\\.NET ${declared.DOTNET_VERSION.replace(/\./g, '\\.')}"`),
      );
      const test = recordsOf(ws, `${line.dir}/${variant}`).read('integration-test');
      expect(test).toMatchObject({ passed: true, status: 200, port: 8080 });
      // runtime and aspnet images set USER $APP_UID. An sdk image is the build stage only: the app runs on the
      // final stage's image (Microsoft's aspnet, through the mirror), which sets no USER.
      expect(test.user).toBe(variant === 'sdk' ? "runs as root (the final stage's image sets no USER)" : 'runs as uid 1654 (USER 1654)');
      expect(test.runtimes).toContain(`Microsoft.NETCore.App ${declared.DOTNET_VERSION}`);
      if (variant !== 'runtime') expect(test.runtimes).toContain(`Microsoft.AspNetCore.App ${declared.ASPNET_VERSION}`);
      expect(ecrTags(`${ws.prefix}/${variant}`)).toContain(`${line.tag}-1.0.0`);
    }
  }
  const received = await cards(ws);
  expect(received.map((c) => cardFact(c, 'Version tag')).sort()).toEqual(LINES.flatMap((l) => VARIANTS.map(() => `${l.tag}-1.0.0`)).sort());
});

test("a platform image that removes libicu fails its test with the app's own log, and publishes nothing", async () => {
  const dockerfile = path.join(ws.root, 'platform-images/net8/aspnet/Dockerfile');
  const text = readFileSync(dockerfile, 'utf8');
  // Before the USER line: removing a package needs root. --force-depends, as a careless "slimming" step would.
  writeFileSync(dockerfile, text.replace(/^USER /m, 'RUN dpkg --purge --force-depends libicu72\n\nUSER '));
  git(ws.root, ['commit', '-qam', 'slim the aspnet image']);
  const before = ecrTags(`${ws.prefix}/aspnet`);
  const run = nx(ws, ['run', 'net8-aspnet:publish']);
  expect(run.code).not.toBe(0);
  const records = recordsOf(ws, 'net8/aspnet');
  expect(records.read('mcr-check')).toMatchObject({ stale: true, reason: 'context-changed' });
  expect(records.failure()).toMatchObject({ step: 'integration-test' });
  expect(records.failure()?.error).toMatch(/^net8-aspnet: the test app exited with code \d+ before answering/);
  // .NET's own words, from the app's log: globalization needs ICU.
  expect(run.output).toMatch(/\| .*Couldn't find a valid ICU package installed on the system/);
  expect(ecrTags(`${ws.prefix}/aspnet`)).toEqual(before);
  const failure = (await cards(ws)).find((c) => JSON.stringify(c.body).includes('integration-test'));
  expect(failure).toBeDefined();
});
