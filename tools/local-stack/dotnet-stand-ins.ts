/**
 * The MCR stand-in's .NET images, built the way Microsoft builds them (github.com/dotnet/dotnet-docker,
 * src/<repo>/<version>/<os>/amd64/Dockerfile): runtime-deps is the OS with the libraries .NET needs, the
 * `app` user (uid 1654) and the web-server port; runtime adds the .NET runtime under /usr/share/dotnet with
 * /usr/bin/dotnet linked to it; aspnet adds ASP.NET Core; sdk adds the SDK. Each starts FROM the one before,
 * as Microsoft's do, and sets the same environment variables.
 *
 * Where the .NET bits come from (nothing here reaches Microsoft's download servers):
 * - 10.0: this machine's own installation (`dotnet` on PATH).
 * - 8.0: the runtime packs Microsoft.NETCore.App.Runtime.linux-x64 and Microsoft.AspNetCore.App.Runtime.linux-x64
 *   from NuGet, laid out as shared frameworks; the version is the one the installed SDK targets for net8.0
 *   (its bundled versions), so the SDK, the packs and the runtime agree.
 * - The 8.0 sdk stand-in is SDK 10 with the net8.0 targeting and apphost packs in packs/, where SDK 8 keeps
 *   them; `dotnet --list-sdks` there says 10.0.x. The .NET 10 runtime it needs to run sits beside .NET 8's.
 * - Both sdk stand-ins carry an offline NuGet feed, because `docker build` cannot count on the network: every
 *   package the test apps under integration-tests/ restore, plus the runtime packs for self-contained
 *   publishing, fetched on this machine by a real `dotnet restore`. Its NuGet.Config lists only that feed.
 * - .NET 6: no linux runtime pack is served, so its images (and every image on a machine without the SDK) stay
 *   stand-ins without .NET: the OS and the environment only, and no DOTNET_VERSION, since there is none.
 * Left out on purpose: PowerShell, curl, git and wget of the real sdk images (not served here), and the SDK's
 * F# compiler, .NET Framework test host and localised messages (unused by C# builds, a third of its size).
 *
 *   node -r @swc-node/register tools/local-stack/dotnet-stand-ins.ts <mcr-host> <rootfs-image> <cache-dir> <log> <repo:tag>...
 * builds the named images (and the ones they start FROM) and pushes the named ones to the MCR stand-in.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';

export const REPOS = ['runtime-deps', 'runtime', 'aspnet', 'sdk'] as const;
export type Repo = (typeof REPOS)[number];

/** The tags the platform images build on, per .NET line; .NET 6 has no runtime-deps stand-in (none is used). */
export const LINES = [
  { major: 6, tag: '6.0-bullseye-slim', repos: ['runtime', 'aspnet', 'sdk'] as Repo[] },
  { major: 8, tag: '8.0-bookworm-slim', repos: [...REPOS] },
  { major: 10, tag: '10.0-noble', repos: [...REPOS] },
] as const;

/** What one .NET line's stand-ins carry; `undefined` versions mean a stand-in without .NET. */
export interface LineBits {
  major: number;
  runtime?: string;
  aspnet?: string;
  sdk?: string;
}

/** The versions an SDK's Microsoft.NETCoreSdk.BundledVersions.props pins for a target framework. */
export interface BundledVersions {
  targetingPack: string;
  latestRuntime: string;
  appHostPack: string;
}

function attributes(element: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of element.matchAll(/([A-Za-z]+)="([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

/**
 * Reads the KnownFrameworkReference and KnownAppHostPack items the SDK uses for `tfm` (e.g. net8.0): the SDK
 * restores exactly these versions (the targeting pack, and the runtime pack when publishing self-contained).
 */
export function bundledVersions(propsXml: string, tfm: string): BundledVersions {
  const items = [...propsXml.matchAll(/<(KnownFrameworkReference|KnownAppHostPack)\s([^>]*?)\/>/gs)].map((m): Record<string, string> => ({
    kind: m[1],
    ...attributes(m[2]),
  }));
  const framework = items.find(
    (i) => i.kind === 'KnownFrameworkReference' && i.Include === 'Microsoft.NETCore.App' && i.TargetFramework === tfm,
  );
  const appHost = items.find((i) => i.kind === 'KnownAppHostPack' && i.Include === 'Microsoft.NETCore.App' && i.TargetFramework === tfm);
  if (!framework?.TargetingPackVersion || !framework.LatestRuntimeFrameworkVersion || !appHost?.AppHostPackVersion) {
    throw new Error(`the SDK's bundled versions name no Microsoft.NETCore.App packs for ${tfm}`);
  }
  return {
    targetingPack: framework.TargetingPackVersion,
    latestRuntime: framework.LatestRuntimeFrameworkVersion,
    appHostPack: appHost.AppHostPackVersion,
  };
}

/** The Dockerfile of one stand-in; `from` is the image it starts FROM (the previous stand-in, or the root filesystem). */
export function standInDockerfile(repo: Repo, tag: string, bits: LineBits, from: string): string {
  const lines = [`FROM ${from}`];
  const withDotnet = bits.runtime !== undefined;
  switch (repo) {
    case 'runtime-deps':
      // Since .NET 8 the images listen on 8080 and ship a non-root user `app` named by APP_UID.
      lines.push(
        'ENV APP_UID=1654 ASPNETCORE_HTTP_PORTS=8080 DOTNET_RUNNING_IN_CONTAINER=true',
        'RUN groupadd --gid=$APP_UID app && useradd --no-log-init --uid=$APP_UID --gid=$APP_UID --create-home app',
      );
      break;
    case 'runtime':
      if (bits.major < 8) {
        // .NET 6 images have no runtime-deps stand-in here: the environment of theirs, without the .NET they hold.
        lines.push('ENV ASPNETCORE_URLS=http://+:80 DOTNET_RUNNING_IN_CONTAINER=true');
      }
      if (withDotnet) {
        lines.push(
          `ENV DOTNET_VERSION=${bits.runtime}`,
          'COPY dotnet /usr/share/dotnet',
          'RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet',
        );
      }
      break;
    case 'aspnet':
      if (withDotnet) lines.push(`ENV ASPNET_VERSION=${bits.aspnet}`, 'COPY dotnet /usr/share/dotnet');
      break;
    case 'sdk':
      lines.push(
        'ENV DOTNET_GENERATE_ASPNET_CERTIFICATE=false DOTNET_NOLOGO=true DOTNET_USE_POLLING_FILE_WATCHER=true NUGET_XMLDOC_MODE=skip',
      );
      if (withDotnet) {
        lines.push(
          `ENV DOTNET_SDK_VERSION=${bits.sdk}`,
          'COPY dotnet /usr/share/dotnet',
          // The offline feed, and a user-level NuGet.Config naming only it: restores never leave the image.
          'COPY nuget-feed /usr/local/share/nuget-offline-feed',
          'COPY NuGet.Config /root/.nuget/NuGet/NuGet.Config',
          // The SDK's first-run setup, as Microsoft's Dockerfile triggers it.
          'RUN dotnet help >/dev/null',
        );
      }
      break;
  }
  lines.push(`LABEL local-stack.stand-in-for=mcr.microsoft.com/dotnet/${repo}:${tag}`);
  return lines.join('\n') + '\n';
}

export const OFFLINE_FEED_CONFIG = `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="offline" value="/usr/local/share/nuget-offline-feed" />
  </packageSources>
</configuration>
`;

/** The .NET installation `dotnet` on PATH runs from. */
export interface HostDotnet {
  root: string;
  sdk: string;
  runtime: string;
  aspnet: string;
}

function newest(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const versions = readdirSync(dir).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  return versions.sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).pop();
}

export function hostDotnet(): HostDotnet | undefined {
  const found = spawnSync('bash', ['-c', 'command -v dotnet'], { encoding: 'utf8' });
  if (found.status !== 0) return undefined;
  const root = path.dirname(realpathSync(found.stdout.trim()));
  const sdk = newest(path.join(root, 'sdk'));
  const runtime = newest(path.join(root, 'shared/Microsoft.NETCore.App'));
  const aspnet = newest(path.join(root, 'shared/Microsoft.AspNetCore.App'));
  if (!sdk || !runtime || !aspnet) return undefined;
  return { root, sdk, runtime, aspnet };
}

/** The SDK folders a C# build never reads. */
const SDK_LEFT_OUT = new Set(['FSharp', 'TestHostNetFramework']);

function copySdk(host: HostDotnet, to: string): void {
  const from = path.join(host.root, 'sdk', host.sdk);
  cpSync(from, path.join(to, 'sdk', host.sdk), {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(from, src);
      const top = rel.split(path.sep)[0];
      // Localised messages are satellite assemblies (<culture>/*.resources.dll) throughout the SDK.
      return !SDK_LEFT_OUT.has(top) && !src.endsWith('.resources.dll');
    },
  });
  for (const dir of ['sdk-manifests', 'templates', 'packs']) {
    if (existsSync(path.join(host.root, dir))) cpSync(path.join(host.root, dir), path.join(to, dir), { recursive: true });
  }
}

function copyRuntime(host: HostDotnet, to: string): void {
  cpSync(path.join(host.root, 'dotnet'), path.join(to, 'dotnet'));
  for (const f of ['LICENSE.txt', 'ThirdPartyNotices.txt'])
    if (existsSync(path.join(host.root, f))) cpSync(path.join(host.root, f), path.join(to, f));
  cpSync(path.join(host.root, 'host/fxr', host.runtime), path.join(to, 'host/fxr', host.runtime), { recursive: true });
  cpSync(path.join(host.root, 'shared/Microsoft.NETCore.App', host.runtime), path.join(to, 'shared/Microsoft.NETCore.App', host.runtime), {
    recursive: true,
  });
}

/** A shared framework from a runtime pack: its managed and native files in one folder, hostfxr beside the muxer. */
function layOutRuntimePack(pack: string, tfm: string, version: string, name: string, to: string): void {
  const target = path.join(to, 'shared', name, version);
  mkdirSync(target, { recursive: true });
  for (const sub of [`runtimes/linux-x64/lib/${tfm}`, 'runtimes/linux-x64/native']) {
    const dir = path.join(pack, sub);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      if (f === 'libhostfxr.so') {
        mkdirSync(path.join(to, 'host/fxr', version), { recursive: true });
        cpSync(path.join(dir, f), path.join(to, 'host/fxr', version, f));
      } else {
        cpSync(path.join(dir, f), path.join(target, f), { recursive: true });
      }
    }
  }
}

/** A targeting or apphost pack as the SDK keeps it under packs/: the package without NuGet's own files. */
function layOutPack(pack: string, to: string): void {
  for (const f of readdirSync(pack)) {
    if (/\.(nupkg|sha512|nuspec|png)$|^\.nupkg\.metadata$|^\.signature\.p7s$/i.test(f)) continue;
    cpSync(path.join(pack, f), path.join(to, f), { recursive: true });
  }
}

/** Runs a command to completion, its output appended to `log`; throws with the output's last lines when it fails. */
function run(command: string, args: string[], log: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    encoding: 'utf8',
    env: options.env ?? process.env,
    maxBuffer: 64 * 1024 * 1024,
  });
  writeFileSync(log, `$ ${command} ${args.join(' ')}\n${result.stdout}${result.stderr}`, { flag: 'a' });
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} failed (log: ${log}):\n${(result.stdout + result.stderr).trim().split('\n').slice(-15).join('\n')}`,
    );
}

function dotnet(args: string[], cwd: string, log: string): void {
  run('dotnet', args, log, { cwd, env: { ...process.env, DOTNET_NOLOGO: 'true', DOTNET_CLI_TELEMETRY_OPTOUT: '1' } });
}

/** The project files of the test apps the feed serves, relative to the workspace, sorted. */
export function testAppProjects(workspaceRoot: string): string[] {
  const base = path.join(workspaceRoot, 'integration-tests');
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .flatMap((dir) =>
      existsSync(path.join(base, dir)) && !dir.startsWith('.')
        ? readdirSync(path.join(base, dir))
            .filter((f) => f.endsWith('.csproj'))
            .map((f) => `integration-tests/${dir}/${f}`)
        : [],
    )
    .sort();
}

interface Prepared {
  dir: string;
  lines: LineBits[];
}

/**
 * Lays out what the .NET stand-ins copy, under a folder named by everything it depends on (the installed
 * SDK and runtime, the packs' versions, the test apps' project files), so a second bring-up finds it ready.
 */
export function prepare(host: HostDotnet, workspaceRoot: string, cacheDir: string, log: string): Prepared {
  const props = readFileSync(path.join(host.root, 'sdk', host.sdk, 'Microsoft.NETCoreSdk.BundledVersions.props'), 'utf8');
  const net8 = bundledVersions(props, 'net8.0');
  const net10 = bundledVersions(props, `net${host.runtime.split('.')[0]}.0`);
  const projects = testAppProjects(workspaceRoot);
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        seeder: readFileSync(__filename, 'utf8'),
        host,
        net8,
        net10,
        projects: projects.map((p) => [p, readFileSync(path.join(workspaceRoot, p), 'utf8')]),
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const lines: LineBits[] = [
    { major: 6 },
    { major: 8, runtime: net8.latestRuntime, aspnet: net8.latestRuntime, sdk: host.sdk },
    { major: Number(host.runtime.split('.')[0]), runtime: host.runtime, aspnet: host.aspnet, sdk: host.sdk },
  ];
  const dir = path.join(cacheDir, `dotnet-${key}`);
  if (existsSync(path.join(dir, '.complete'))) return { dir, lines };

  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(path.join(cacheDir, 'dotnet-work-'));
  try {
    // One real restore fetches every pack the stand-ins lay out, and the test apps' own restores add
    // whatever else they need; all of it lands in one packages folder, whose .nupkg files become the feed.
    const packages = path.join(work, 'packages');
    const downloads = path.join(work, 'downloads');
    mkdirSync(downloads);
    const versions = (v: BundledVersions[]) => [...new Set(v.map((x) => `[${x.latestRuntime}]`))].join(';');
    writeFileSync(
      path.join(downloads, 'packs.csproj'),
      `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net${host.runtime.split('.')[0]}.0</TargetFramework></PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="Microsoft.NETCore.App.Runtime.linux-x64" Version="${versions([net8, net10])}" />
    <PackageDownload Include="Microsoft.AspNetCore.App.Runtime.linux-x64" Version="${versions([net8, net10])}" />
    <PackageDownload Include="Microsoft.NETCore.App.Ref" Version="[${net8.targetingPack}]" />
    <PackageDownload Include="Microsoft.AspNetCore.App.Ref" Version="[${net8.targetingPack}]" />
    <PackageDownload Include="Microsoft.NETCore.App.Host.linux-x64" Version="[${net8.appHostPack}]" />
  </ItemGroup>
</Project>
`,
    );
    dotnet(['restore', 'packs.csproj', '--packages', packages], downloads, log);
    for (const project of projects) {
      const copy = path.join(work, 'apps', path.dirname(project));
      cpSync(path.join(workspaceRoot, path.dirname(project)), copy, { recursive: true, filter: (src) => !/\/(bin|obj)$/.test(src) });
      dotnet(['restore', path.basename(project), '--packages', packages], copy, log);
    }
    const pkg = (id: string, version: string) => path.join(packages, id.toLowerCase(), version);

    const out = path.join(work, 'out');
    // .NET 8: runtime, ASP.NET Core and the SDK's packs from NuGet; the muxer is version-independent.
    const r8 = path.join(out, 'runtime-8/dotnet');
    mkdirSync(r8, { recursive: true });
    cpSync(path.join(host.root, 'dotnet'), path.join(r8, 'dotnet'));
    layOutRuntimePack(
      pkg('Microsoft.NETCore.App.Runtime.linux-x64', net8.latestRuntime),
      'net8.0',
      net8.latestRuntime,
      'Microsoft.NETCore.App',
      r8,
    );
    layOutRuntimePack(
      pkg('Microsoft.AspNetCore.App.Runtime.linux-x64', net8.latestRuntime),
      'net8.0',
      net8.latestRuntime,
      'Microsoft.AspNetCore.App',
      path.join(out, 'aspnet-8/dotnet'),
    );
    const s8 = path.join(out, 'sdk-8/dotnet');
    copySdk(host, s8);
    copyRuntime(host, s8);
    rmSync(path.join(s8, 'dotnet'));
    layOutPack(pkg('Microsoft.NETCore.App.Ref', net8.targetingPack), path.join(s8, 'packs/Microsoft.NETCore.App.Ref', net8.targetingPack));
    layOutPack(
      pkg('Microsoft.AspNetCore.App.Ref', net8.targetingPack),
      path.join(s8, 'packs/Microsoft.AspNetCore.App.Ref', net8.targetingPack),
    );
    layOutPack(
      pkg('Microsoft.NETCore.App.Host.linux-x64', net8.appHostPack),
      path.join(s8, 'packs/Microsoft.NETCore.App.Host.linux-x64', net8.appHostPack),
    );

    // .NET 10: this machine's installation.
    const major = host.runtime.split('.')[0];
    copyRuntime(host, path.join(out, `runtime-${major}/dotnet`));
    cpSync(
      path.join(host.root, 'shared/Microsoft.AspNetCore.App', host.aspnet),
      path.join(out, `aspnet-${major}/dotnet/shared/Microsoft.AspNetCore.App`, host.aspnet),
      { recursive: true },
    );
    copySdk(host, path.join(out, `sdk-${major}/dotnet`));

    for (const sdk of [`sdk-8`, `sdk-${major}`]) {
      const feed = path.join(out, sdk, 'nuget-feed');
      mkdirSync(feed, { recursive: true });
      for (const id of readdirSync(packages)) {
        for (const version of readdirSync(path.join(packages, id))) {
          const nupkg = path.join(packages, id, version, `${id}.${version}.nupkg`);
          if (existsSync(nupkg)) cpSync(nupkg, path.join(feed, `${id}.${version}.nupkg`));
        }
      }
      writeFileSync(path.join(out, sdk, 'NuGet.Config'), OFFLINE_FEED_CONFIG);
    }
    writeFileSync(path.join(out, '.complete'), `${new Date().toISOString()}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(out, dir);
    // Earlier layouts (another SDK, other test apps) are not needed again.
    for (const old of readdirSync(cacheDir)) {
      if (/^dotnet-[0-9a-f]{16}$/.test(old) && old !== path.basename(dir))
        rmSync(path.join(cacheDir, old), { recursive: true, force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { dir, lines };
}

/** Builds every stand-in of the lines the wanted images belong to, in FROM order; pushes the wanted ones. */
export function seed(options: {
  mcrHost: string;
  rootfsImage: string;
  cacheDir: string;
  log: string;
  wanted: string[];
  workspaceRoot: string;
}): void {
  const host = hostDotnet();
  const prepared = host ? prepare(host, options.workspaceRoot, options.cacheDir, options.log) : undefined;
  if (!host)
    process.stdout.write(
      '[local-stack] no `dotnet` on PATH: the .NET 8 and 10 stand-ins are built without .NET (only the busybox test apps run on them)\n',
    );
  mkdirSync(options.cacheDir, { recursive: true });
  const contexts = mkdtempSync(path.join(options.cacheDir, 'contexts-'));
  try {
    for (const line of LINES) {
      const wantedHere = line.repos.filter((repo) => options.wanted.includes(`dotnet/${repo}:${line.tag}`));
      if (wantedHere.length === 0) continue;
      const bits = prepared?.lines.find((l) => l.major === line.major) ?? { major: line.major };
      const layout = prepared && bits.runtime ? prepared.dir : undefined;
      let from = options.rootfsImage;
      // Everything up to the last wanted repo is built, since each starts FROM the one before.
      const upTo = Math.max(...wantedHere.map((r) => line.repos.indexOf(r)));
      for (const repo of line.repos.slice(0, upTo + 1)) {
        const ref = `${options.mcrHost}/dotnet/${repo}:${line.tag}`;
        // The prepared layout is the build context as it is (nothing copied); images without .NET bits get an empty one.
        const source = layout && path.join(layout, `${repo}-${line.major}`);
        const context = source && existsSync(source) ? source : path.join(contexts, 'empty');
        mkdirSync(context, { recursive: true });
        const dockerfile = path.join(contexts, `${repo}-${line.major}.Dockerfile`);
        writeFileSync(dockerfile, standInDockerfile(repo, line.tag, bits, from));
        const previous = spawnSync('docker', ['image', 'inspect', '-f', '{{.Id}}', ref], { encoding: 'utf8' }).stdout.trim();
        const pushing = wantedHere.includes(repo);
        if (pushing)
          process.stdout.write(
            `[local-stack] seeding ${ref} (stands in for mcr.microsoft.com/dotnet/${repo}:${line.tag}, ` +
              `${bits.runtime ? `.NET ${bits.runtime}` : 'without .NET'})\n`,
          );
        // The classic builder: no network and no frontend image needed; its layer cache makes a rebuild quick.
        run('docker', ['build', '-q', '-f', dockerfile, '-t', ref, context], options.log, {
          env: { ...process.env, DOCKER_BUILDKIT: '0' },
        });
        if (pushing) run('docker', ['push', ref], options.log);
        const now = execFileSync('docker', ['image', 'inspect', '-f', '{{.Id}}', ref], { encoding: 'utf8' }).trim();
        // The image this tag named before (an earlier seed or a bump) is left untagged: drop it unless in use.
        if (previous && previous !== now) spawnSync('docker', ['rmi', previous], { stdio: 'ignore' });
        from = ref;
      }
    }
  } finally {
    rmSync(contexts, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const [mcrHost, rootfsImage, cacheDir, log, ...wanted] = process.argv.slice(2);
  try {
    seed({ mcrHost, rootfsImage, cacheDir, log, wanted, workspaceRoot: path.resolve(__dirname, '../..') });
  } catch (err) {
    process.stderr.write(`[local-stack] error: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
