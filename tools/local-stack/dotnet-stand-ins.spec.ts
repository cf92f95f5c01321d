import { bitsFor, bundledVersions, parseRootfsImages, standInDockerfile } from './dotnet-stand-ins';

// Excerpt of Microsoft.NETCoreSdk.BundledVersions.props as SDK 10.0.401 ships it (attributes trimmed).
const PROPS = `
    <KnownFrameworkReference Include="Microsoft.NETCore.App"
                              TargetFramework="net10.0"
                              LatestRuntimeFrameworkVersion="10.0.12"
                              TargetingPackVersion="10.0.12"
                              />
    <KnownAppHostPack Include="Microsoft.NETCore.App"
                      TargetFramework="net10.0"
                      AppHostPackVersion="10.0.12"
                      />
    <KnownFrameworkReference Include="Microsoft.AspNetCore.App"
                              TargetFramework="net8.0"
                              LatestRuntimeFrameworkVersion="8.0.99"
                              TargetingPackVersion="8.0.99"
                              />
    <KnownFrameworkReference Include="Microsoft.NETCore.App"
                              TargetFramework="net8.0"
                              DefaultRuntimeFrameworkVersion="8.0.0"
                              LatestRuntimeFrameworkVersion="8.0.31"
                              TargetingPackVersion="8.0.31"
                              />
    <KnownAppHostPack Include="Microsoft.NETCore.App"
                      TargetFramework="net8.0"
                      AppHostPackVersion="8.0.30"
                      />
`;

describe('bundledVersions', () => {
  it.each([
    ['net8.0', { targetingPack: '8.0.31', latestRuntime: '8.0.31', appHostPack: '8.0.30' }],
    ['net10.0', { targetingPack: '10.0.12', latestRuntime: '10.0.12', appHostPack: '10.0.12' }],
  ])("%s → %j (Microsoft.NETCore.App only, never ASP.NET Core's entry)", (tfm, expected) => {
    expect(bundledVersions(PROPS, tfm)).toEqual(expected);
  });

  it('says which framework it could not find', () => {
    expect(() => bundledVersions(PROPS, 'net6.0')).toThrow("the SDK's bundled versions name no Microsoft.NETCore.App packs for net6.0");
  });
});

describe('standInDockerfile', () => {
  const net8 = { major: 8, runtime: '8.0.31', aspnet: '8.0.31', sdk: '10.0.401' };

  it("runtime-deps: the environment and the app user of Microsoft's .NET 8+ images", () => {
    expect(standInDockerfile('runtime-deps', '8.0-bookworm-slim', net8, 'rootfs')).toBe(
      [
        'FROM rootfs',
        'ENV APP_UID=1654 ASPNETCORE_HTTP_PORTS=8080 DOTNET_RUNNING_IN_CONTAINER=true',
        'RUN groupadd --gid=$APP_UID app && useradd --no-log-init --uid=$APP_UID --gid=$APP_UID --create-home app',
        'LABEL local-stack.stand-in-for=mcr.microsoft.com/dotnet/runtime-deps:8.0-bookworm-slim',
        '',
      ].join('\n'),
    );
  });

  it('runtime, aspnet and sdk add .NET and declare its versions', () => {
    expect(standInDockerfile('runtime', '8.0-bookworm-slim', net8, 'deps')).toContain(
      'ENV DOTNET_VERSION=8.0.31\nCOPY dotnet /usr/share/dotnet\nRUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet\n',
    );
    expect(standInDockerfile('aspnet', '8.0-bookworm-slim', net8, 'runtime')).toContain(
      'ENV ASPNET_VERSION=8.0.31\nCOPY dotnet /usr/share/dotnet\n',
    );
    const sdk = standInDockerfile('sdk', '8.0-bookworm-slim', net8, 'aspnet');
    expect(sdk).toContain('ENV DOTNET_SDK_VERSION=10.0.401');
    expect(sdk).toContain('COPY NuGet.Config /root/.nuget/NuGet/NuGet.Config');
    expect(sdk).toContain('COPY nuget-feed /usr/local/share/nuget-offline-feed');
  });

  it('without .NET (.NET 6, or no SDK on the machine) declares no version and copies nothing', () => {
    for (const repo of ['runtime', 'aspnet', 'sdk'] as const) {
      const text = standInDockerfile(repo, '6.0-bullseye-slim', { major: 6 }, 'x');
      expect(text).not.toMatch(/DOTNET_VERSION|ASPNET_VERSION|DOTNET_SDK_VERSION|COPY/);
    }
    expect(standInDockerfile('runtime', '6.0-bullseye-slim', { major: 6 }, 'x')).toContain('ENV ASPNETCORE_URLS=http://+:80');
  });

  it('arm/v7 (no working system): no RUN, the environment all the same', () => {
    const deps = standInDockerfile('runtime-deps', '8.0-bookworm-slim', { major: 8 }, 'rootfs-armhf', false);
    expect(deps).not.toMatch(/^RUN /m);
    expect(deps).toContain('ENV APP_UID=1654 ASPNETCORE_HTTP_PORTS=8080 DOTNET_RUNNING_IN_CONTAINER=true');
  });

  it('arm64 .NET 10: runtime and ASP.NET Core, an sdk image without an SDK', () => {
    const arm64 = { major: 10, runtime: '10.0.12', aspnet: '10.0.12' };
    expect(standInDockerfile('runtime', '10.0-noble', arm64, 'deps')).toContain(
      'ENV DOTNET_VERSION=10.0.12\nCOPY dotnet /usr/share/dotnet\n',
    );
    expect(standInDockerfile('aspnet', '10.0-noble', arm64, 'runtime')).toContain(
      'ENV ASPNET_VERSION=10.0.12\nCOPY dotnet /usr/share/dotnet\n',
    );
    const sdk = standInDockerfile('sdk', '10.0-noble', arm64, 'aspnet');
    expect(sdk).not.toMatch(/^(COPY|RUN) |DOTNET_SDK_VERSION/m);
    expect(sdk).toContain('ENV DOTNET_GENERATE_ASPNET_CERTIFICATE=false');
  });
});

describe('parseRootfsImages', () => {
  it("maps up.sh's list to architecture tags", () => {
    expect(parseRootfsImages('linux/amd64=r:amd64,linux/arm64/v8=r:arm64v8,linux/arm/v7=r:arm32v7')).toEqual({
      amd64: 'r:amd64',
      arm64v8: 'r:arm64v8',
      arm32v7: 'r:arm32v7',
    });
  });

  it('names the platform without an image', () => {
    expect(() => parseRootfsImages('linux/amd64=r:amd64,linux/arm64=r:arm64v8')).toThrow('root filesystem images: none for linux/arm/v7');
    expect(() => parseRootfsImages('linux/amd64')).toThrow('"linux/amd64" is not <platform>=<image>');
  });
});

describe('bitsFor', () => {
  const lines = {
    amd64: [{ major: 8, runtime: '8.0.31', aspnet: '8.0.31', sdk: '10.0.401' }],
    arm64v8: [{ major: 10, runtime: '10.0.12', aspnet: '10.0.12' }],
  };

  it.each([
    [8, 'amd64', { major: 8, runtime: '8.0.31', aspnet: '8.0.31', sdk: '10.0.401' }],
    [10, 'arm64v8', { major: 10, runtime: '10.0.12', aspnet: '10.0.12' }],
    [8, 'arm64v8', { major: 8 }],
    [10, 'arm32v7', { major: 10 }],
  ])('.NET %i on %s → %j', (major, archTag, expected) => {
    expect(bitsFor({ lines }, major, archTag)).toEqual(expected);
  });

  it('without a prepared layout (no SDK on the machine) nothing carries .NET', () => {
    expect(bitsFor(undefined, 10, 'amd64')).toEqual({ major: 10 });
  });
});
