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
 * Platforms: every tag is multi-platform as on MCR (mcr-index.ts): linux/amd64, linux/arm64/v8 and
 * linux/arm/v7 images under architecture tags (`10.0-noble-arm64v8`) and a manifest list over them.
 * - amd64: the images described above.
 * - arm64 (v8): a Debian bookworm arm64 root filesystem (debootstrap under qemu-user-static; a working system
 *   with the same packages as amd64's), and the same Dockerfiles, whose RUN steps run emulated. The 10.0 line
 *   carries real .NET: the runtime and ASP.NET Core of the host's version from the runtime packs
 *   Microsoft.NETCore.App.Runtime.linux-arm64 and Microsoft.AspNetCore.App.Runtime.linux-arm64, and a `dotnet`
 *   muxer compiled from dotnet-muxer.c (no package served holds the arm64 muxer; that file says why). The arm64
 *   sdk:10.0-noble has no SDK (its environment only): no arm64 SDK is served, and this machine's SDK cannot stand
 *   in, as its assemblies are precompiled for x64 (the arm64 runtime refuses them: BadImageFormatException,
 *   tried). Nor do the 6.0 and 8.0 arm64 images carry .NET.
 *   .NET runs under Debian's qemu-user-static 7.2 without DOTNET_EnableWriteXorExecute=0 (measured: an ASP.NET
 *   Core app answers within about 11 s of `docker run`); other qemu builds crash or hang without it
 *   (dotnet/runtime#94909, #97228), and Microsoft supports no .NET under QEMU (dotnet/dotnet-docker#5355).
 * - arm (v7): debootstrap's first stage of Debian bookworm armhf (its required packages, real arm binaries,
 *   unpacked but not configured: no working system, no busybox), the environment of each image and no RUN
 *   step, so the user `app` is missing; no .NET. Nothing is meant to run on them (`uname -m` does: armv7l):
 *   they are there so the tags look like Microsoft's and a platform of them can be rebuilt alone.
 * Each platform's sdk image carries the offline feed only on amd64; that feed also holds the linux-arm64
 * runtime and apphost packs, so the amd64 SDK can publish for linux-arm64 without the network.
 *
 *   node -r @swc-node/register tools/local-stack/dotnet-stand-ins.ts <mcr-host> <platform>=<rootfs-image>,... <cache-dir> <log> <repo:tag>...
 * builds the named images for every platform (and the ones they start FROM) and pushes the named ones to the
 * MCR stand-in: each platform's image under its architecture tag, then the manifest list under the tag.
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
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { PLATFORMS, platformSpec, publishList, Registry } from './mcr-index';

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

/**
 * The Dockerfile of one stand-in; `from` is the image it starts FROM (the previous stand-in, or the root
 * filesystem). `canRun: false` (the arm/v7 root filesystem, which is not a working system) leaves out every RUN.
 */
export function standInDockerfile(repo: Repo, tag: string, bits: LineBits, from: string, canRun = true): string {
  const lines = [`FROM ${from}`];
  switch (repo) {
    case 'runtime-deps':
      // Since .NET 8 the images listen on 8080 and ship a non-root user `app` named by APP_UID.
      lines.push('ENV APP_UID=1654 ASPNETCORE_HTTP_PORTS=8080 DOTNET_RUNNING_IN_CONTAINER=true');
      if (canRun) lines.push('RUN groupadd --gid=$APP_UID app && useradd --no-log-init --uid=$APP_UID --gid=$APP_UID --create-home app');
      break;
    case 'runtime':
      if (bits.major < 8) {
        // .NET 6 images have no runtime-deps stand-in here: the environment of theirs, without the .NET they hold.
        lines.push('ENV ASPNETCORE_URLS=http://+:80 DOTNET_RUNNING_IN_CONTAINER=true');
      }
      if (bits.runtime) {
        lines.push(
          `ENV DOTNET_VERSION=${bits.runtime}`,
          'COPY dotnet /usr/share/dotnet',
          'RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet',
        );
      }
      break;
    case 'aspnet':
      if (bits.aspnet) lines.push(`ENV ASPNET_VERSION=${bits.aspnet}`, 'COPY dotnet /usr/share/dotnet');
      break;
    case 'sdk':
      lines.push(
        'ENV DOTNET_GENERATE_ASPNET_CERTIFICATE=false DOTNET_NOLOGO=true DOTNET_USE_POLLING_FILE_WATCHER=true NUGET_XMLDOC_MODE=skip',
      );
      if (bits.sdk) {
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
function layOutRuntimePack(pack: string, tfm: string, version: string, name: string, to: string, rid = 'linux-x64'): void {
  const target = path.join(to, 'shared', name, version);
  mkdirSync(target, { recursive: true });
  for (const sub of [`runtimes/${rid}/lib/${tfm}`, `runtimes/${rid}/native`]) {
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
  /** Per architecture tag (amd64, arm64v8), what each .NET line's images carry; a line not named has no .NET. */
  lines: Record<string, LineBits[]>;
}

/** How many prepared layouts the cache keeps (about 1.4 GB each). */
const LAYOUTS_KEPT = 3;

/** The compiler of the arm64 muxer (Debian's gcc-aarch64-linux-gnu). */
export const ARM64_CC = 'aarch64-linux-gnu-gcc';

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
        muxer: readFileSync(path.join(__dirname, 'dotnet-muxer.c'), 'utf8'),
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const major = Number(host.runtime.split('.')[0]);
  const lines: Prepared['lines'] = {
    amd64: [
      { major: 6 },
      { major: 8, runtime: net8.latestRuntime, aspnet: net8.latestRuntime, sdk: host.sdk },
      { major, runtime: host.runtime, aspnet: host.aspnet, sdk: host.sdk },
    ],
    // The runtime and ASP.NET Core of this machine's .NET, from the linux-arm64 runtime packs; no SDK.
    arm64v8: [{ major, runtime: host.runtime, aspnet: host.aspnet }],
  };
  const dir = path.join(cacheDir, `dotnet-${key}`);
  if (existsSync(path.join(dir, '.complete'))) {
    // Marked as used, so the clean-up below keeps it while it is among the newest.
    const now = new Date();
    utimesSync(dir, now, now);
    return { dir, lines };
  }

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
    <PackageDownload Include="Microsoft.NETCore.App.Runtime.linux-arm64" Version="[${host.runtime}]" />
    <PackageDownload Include="Microsoft.AspNetCore.App.Runtime.linux-arm64" Version="[${host.aspnet}]" />
    <PackageDownload Include="Microsoft.NETCore.App.Host.linux-arm64" Version="[${net10.appHostPack}]" />
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
    copyRuntime(host, path.join(out, `runtime-${major}/dotnet`));
    cpSync(
      path.join(host.root, 'shared/Microsoft.AspNetCore.App', host.aspnet),
      path.join(out, `aspnet-${major}/dotnet/shared/Microsoft.AspNetCore.App`, host.aspnet),
      { recursive: true },
    );
    copySdk(host, path.join(out, `sdk-${major}/dotnet`));

    // .NET 10 for arm64: the same versions from the linux-arm64 runtime packs, and a muxer (dotnet-muxer.c says why).
    const r10a = path.join(out, `runtime-${major}-arm64v8/dotnet`);
    layOutRuntimePack(
      pkg('Microsoft.NETCore.App.Runtime.linux-arm64', host.runtime),
      `net${major}.0`,
      host.runtime,
      'Microsoft.NETCore.App',
      r10a,
      'linux-arm64',
    );
    run(ARM64_CC, ['-O2', '-Wall', '-o', path.join(r10a, 'dotnet'), path.join(__dirname, 'dotnet-muxer.c'), '-ldl'], log);
    for (const f of ['LICENSE.txt', 'ThirdPartyNotices.txt'])
      if (existsSync(path.join(host.root, f))) cpSync(path.join(host.root, f), path.join(r10a, f));
    layOutRuntimePack(
      pkg('Microsoft.AspNetCore.App.Runtime.linux-arm64', host.aspnet),
      `net${major}.0`,
      host.aspnet,
      'Microsoft.AspNetCore.App',
      path.join(out, `aspnet-${major}-arm64v8/dotnet`),
      'linux-arm64',
    );

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
    // Earlier layouts (another SDK, other test apps, another checkout's seeder) go, but the few used last
    // stay: checkouts of different revisions on one machine would otherwise rebuild each other's every time.
    const others = readdirSync(cacheDir)
      .filter((name) => /^dotnet-[0-9a-f]{16}$/.test(name) && name !== path.basename(dir))
      .map((name) => ({ name, used: statSync(path.join(cacheDir, name)).mtimeMs }))
      .sort((a, b) => b.used - a.used);
    for (const old of others.slice(LAYOUTS_KEPT - 1)) rmSync(path.join(cacheDir, old.name), { recursive: true, force: true });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { dir, lines };
}

/** `linux/amd64=img,linux/arm64/v8=img,...` (up.sh's list of root filesystem images) → image per architecture tag. */
export function parseRootfsImages(arg: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of arg.split(',').filter(Boolean)) {
    const eq = item.indexOf('=');
    if (eq < 0) throw new Error(`root filesystem images: "${item}" is not <platform>=<image>`);
    out[platformSpec(item.slice(0, eq)).archTag] = item.slice(eq + 1);
  }
  for (const spec of PLATFORMS) if (!out[spec.archTag]) throw new Error(`root filesystem images: none for ${spec.docker}`);
  return out;
}

/** What a platform's images of a .NET line carry: .NET where the prepared layout has it, else nothing. */
export function bitsFor(prepared: Pick<Prepared, 'lines'> | undefined, major: number, archTag: string): LineBits {
  return prepared?.lines[archTag]?.find((l) => l.major === major) ?? { major };
}

/**
 * Builds every stand-in of the lines the wanted images belong to, for every platform, in FROM order; pushes
 * the wanted ones under their architecture tags and then the manifest list over them under the shared tag.
 * On this (amd64) engine the shared tag also names the amd64 image locally, as a pull of it would.
 */
export async function seed(options: {
  mcrHost: string;
  rootfsImages: Record<string, string>;
  cacheDir: string;
  log: string;
  wanted: string[];
  workspaceRoot: string;
}): Promise<void> {
  const host = hostDotnet();
  const prepared = host ? prepare(host, options.workspaceRoot, options.cacheDir, options.log) : undefined;
  if (!host)
    process.stdout.write(
      '[local-stack] no `dotnet` on PATH: the .NET 8 and 10 stand-ins are built without .NET (only the busybox test apps run on them)\n',
    );
  const registry = new Registry(`http://${options.mcrHost.replace(/^localhost:/, '127.0.0.1:')}`);
  mkdirSync(options.cacheDir, { recursive: true });
  const contexts = mkdtempSync(path.join(options.cacheDir, 'contexts-'));
  try {
    for (const line of LINES) {
      const wantedHere = line.repos.filter((repo) => options.wanted.includes(`dotnet/${repo}:${line.tag}`));
      if (wantedHere.length === 0) continue;
      // Everything up to the last wanted repo is built, since each starts FROM the one before.
      const upTo = Math.max(...wantedHere.map((r) => line.repos.indexOf(r)));
      for (const spec of PLATFORMS) {
        const bits = bitsFor(prepared, line.major, spec.archTag);
        const suffix = spec.archTag === 'amd64' ? '' : `-${spec.archTag}`;
        let from = options.rootfsImages[spec.archTag];
        for (const repo of line.repos.slice(0, upTo + 1)) {
          const ref = `${options.mcrHost}/dotnet/${repo}:${line.tag}-${spec.archTag}`;
          // The prepared layout is the build context as it is (nothing copied); images without .NET bits get an empty one.
          const source = prepared && path.join(prepared.dir, `${repo}-${line.major}${suffix}`);
          const withBits = source && existsSync(source) && (repo === 'runtime-deps' || bits[repo === 'runtime' ? 'runtime' : repo]);
          const context = withBits ? source : path.join(contexts, 'empty');
          mkdirSync(context, { recursive: true });
          const dockerfile = path.join(contexts, `${repo}-${line.major}-${spec.archTag}.Dockerfile`);
          writeFileSync(dockerfile, standInDockerfile(repo, line.tag, bits, from, spec.archTag !== 'arm32v7'));
          const previous = spawnSync('docker', ['image', 'inspect', '-f', '{{.Id}}', ref], { encoding: 'utf8' }).stdout.trim();
          const pushing = wantedHere.includes(repo);
          if (pushing)
            process.stdout.write(
              `[local-stack] seeding ${ref} (stands in for mcr.microsoft.com/dotnet/${repo}:${line.tag}-${spec.archTag}, ` +
                `${bits.runtime ? `.NET ${bits.runtime}` : 'without .NET'})\n`,
            );
          // The classic builder: no network and no frontend image needed; its layer cache makes a rebuild quick.
          // RUN steps of arm64 images run under qemu-user-static (up.sh registers it).
          run('docker', ['build', '-q', '--platform', spec.docker, '-f', dockerfile, '-t', ref, context], options.log, {
            env: { ...process.env, DOCKER_BUILDKIT: '0' },
          });
          if (pushing) run('docker', ['push', ref], options.log);
          const now = execFileSync('docker', ['image', 'inspect', '-f', '{{.Id}}', ref], { encoding: 'utf8' }).trim();
          // The image this tag named before (an earlier seed or a bump) is left untagged: drop it unless in use.
          if (previous && previous !== now) spawnSync('docker', ['rmi', previous], { stdio: 'ignore' });
          if (spec.archTag === 'amd64') {
            const shared = `${options.mcrHost}/dotnet/${repo}:${line.tag}`;
            const before = spawnSync('docker', ['image', 'inspect', '-f', '{{.Id}}', shared], { encoding: 'utf8' }).stdout.trim();
            run('docker', ['tag', ref, shared], options.log);
            if (before && before !== now) spawnSync('docker', ['rmi', before], { stdio: 'ignore' });
          }
          from = ref;
        }
      }
      for (const repo of wantedHere) {
        const digest = await publishList(registry, `dotnet/${repo}`, line.tag);
        process.stdout.write(
          `[local-stack] seeded ${options.mcrHost}/dotnet/${repo}:${line.tag} (manifest list ${digest.slice(0, 19)}…)\n`,
        );
      }
    }
  } finally {
    rmSync(contexts, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const [mcrHost, rootfsImages, cacheDir, log, ...wanted] = process.argv.slice(2);
  seed({
    mcrHost,
    rootfsImages: parseRootfsImages(rootfsImages ?? ''),
    cacheDir,
    log,
    wanted,
    workspaceRoot: path.resolve(__dirname, '../..'),
  }).catch((err: Error) => {
    process.stderr.write(`[local-stack] error: ${err.message}\n`);
    process.exit(1);
  });
}
