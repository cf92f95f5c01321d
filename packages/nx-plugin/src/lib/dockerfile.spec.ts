import { DockerfileSyntaxError, parseDockerfile, passedBuildArgs } from './dockerfile';
import {
  buildStagesOn,
  finalBaseImage,
  finalStageFrom,
  fromImages,
  fromMatches,
  overrideFrom,
  pinBaseImage,
  startsFrom,
} from './dockerfile-rewrite';

const RUNTIME = 'mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim';
const SDK = 'mcr.microsoft.com/dotnet/sdk:6.0-bullseye-slim';
const PINNED = `localhost:5001/dotnet/runtime:6.0-bullseye-slim@sha256:${'c'.repeat(64)}`;

const lines = (...l: string[]) => l.join('\n');

describe('finalBaseImage', () => {
  it.each<[string, string, string]>([
    ['plain FROM', lines(`FROM ${RUNTIME}`, 'RUN true'), RUNTIME],
    ['lowercase keyword', lines(`from ${RUNTIME}`), RUNTIME],
    ['ARG default with ${}', lines(`ARG BASE=${RUNTIME}`, 'FROM ${BASE}'), RUNTIME],
    ['ARG default with $NAME', lines(`ARG BASE=${RUNTIME}`, 'FROM $BASE'), RUNTIME],
    ['ARG default quoted', lines(`ARG BASE="${RUNTIME}"`, 'FROM ${BASE}'), RUNTIME],
    ['ARG pieces', lines('ARG REPO=mcr.microsoft.com/dotnet/runtime', 'ARG TAG=6.0-bullseye-slim', 'FROM ${REPO}:${TAG}'), RUNTIME],
    [
      'ARG referring to an earlier ARG',
      lines('ARG TAG=6.0-bullseye-slim', 'ARG BASE=mcr.microsoft.com/dotnet/runtime:${TAG}', 'FROM $BASE'),
      RUNTIME,
    ],
    ['${NAME:-default} with the ARG undeclared', lines('FROM ${BASE:-' + RUNTIME + '}'), RUNTIME],
    ['${NAME:-default} with the ARG declared without value', lines('ARG BASE', 'FROM ${BASE:-' + RUNTIME + '}'), RUNTIME],
    ['${NAME:-default} with the ARG set', lines(`ARG BASE=${SDK}`, 'FROM ${BASE:-' + RUNTIME + '}'), SDK],
    ['${NAME:+alt} with the ARG set', lines('ARG SUFFIX=1', 'FROM mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim${SUFFIX:+}'), RUNTIME],
    [
      'multi-stage, last stage wins',
      lines(`FROM ${SDK} AS build`, 'RUN make', `FROM ${RUNTIME} AS final`, 'COPY --from=build /a /a'),
      RUNTIME,
    ],
    [
      'final stage FROM an earlier stage',
      lines(`FROM ${RUNTIME} AS base`, 'RUN setup', `FROM ${SDK} AS build`, 'FROM base AS final'),
      RUNTIME,
    ],
    ['stage name matched case-insensitively', lines(`FROM ${RUNTIME} AS Base`, 'FROM base'), RUNTIME],
    ['chain of stages', lines(`FROM ${RUNTIME} AS one`, 'FROM one AS two', 'FROM two AS three', 'FROM three'), RUNTIME],
    ['--platform flag', lines(`FROM --platform=linux/amd64 ${RUNTIME} AS base`), RUNTIME],
    ['--platform with an ARG', lines(`ARG BASE=${RUNTIME}`, 'FROM --platform=$BUILDPLATFORM ${BASE}'), RUNTIME],
    ['line continuation', lines('FROM \\', `    ${RUNTIME} \\`, '    AS base'), RUNTIME],
    ['comments and blank lines', lines('# syntax=docker/dockerfile:1', '', `# FROM ${SDK}`, `FROM ${RUNTIME}`, '# FROM scratch'), RUNTIME],
    ['comment inside a continuation', lines('FROM \\', '# the base', `  ${RUNTIME}`), RUNTIME],
    ['empty line inside a continuation', lines('FROM \\', '', `  ${RUNTIME} AS base`, 'RUN true'), RUNTIME],
    ['ARG continued over an empty line', lines('ARG BASE=\\', '', RUNTIME, 'FROM $BASE'), RUNTIME],
    ['continuation joined without added space', lines('FROM mcr.microsoft.com/dotnet/\\', 'runtime:6.0-bullseye-slim'), RUNTIME],
    [
      'ARG inside a stage does not affect the next FROM',
      lines(`ARG BASE=${RUNTIME}`, `FROM ${SDK}`, `ARG BASE=${SDK}`, 'FROM $BASE'),
      RUNTIME,
    ],
    ['CRLF line endings', `FROM ${SDK} AS build\r\nFROM ${RUNTIME}\r\n`, RUNTIME],
  ])('%s', (_name, text, image) => {
    expect(finalBaseImage(parseDockerfile(text)).image).toBe(image);
  });

  it.each<[string, string, RegExp]>([
    [
      'ARG without default',
      lines('ARG BASE', 'FROM ${BASE}'),
      /^FROM \$\{BASE\} uses ARG BASE which has no default value \(line 2\); declare ARG BASE=<image> before the first FROM$/,
    ],
    ['undeclared variable', lines('FROM $IMAGE'), /ARG IMAGE .*no default/],
    ['no FROM', lines('# nothing here', 'RUN true'), /no FROM/],
    ['empty file', '', /no FROM/],
    ['FROM scratch', lines('FROM scratch', 'COPY app /app'), /scratch/],
    ['final stage from a stage that is scratch', lines('FROM scratch AS base', 'FROM base'), /scratch/],
    ['empty ARG default', lines('ARG BASE=', 'FROM ${BASE}'), /empty FROM/],
  ])('%s → error', (_name, text, message) => {
    expect(() => finalBaseImage(parseDockerfile(text))).toThrow(message);
  });

  it('reports the instruction it resolved', () => {
    const { from } = finalBaseImage(parseDockerfile(lines(`FROM ${RUNTIME} AS base`, 'FROM base AS final')));
    expect(from).toMatchObject({ startLine: 0, endLine: 0, rawImage: RUNTIME, stageName: 'base', flags: [] });
  });
});

describe('parseDockerfile', () => {
  it('records line spans, flags, stage names and ARG names', () => {
    const parsed = parseDockerfile(
      lines(
        'ARG BASE=' + SDK,
        'ARG CREDPROVIDER_URL',
        'FROM --platform=linux/amd64 \\',
        '  ${BASE} AS build',
        'ARG CONFIGURATION=Release NUGET_FEED',
        'FROM base',
      ),
    );
    expect(parsed.froms).toEqual([
      { startLine: 2, endLine: 3, rawImage: '${BASE}', image: SDK, missingArgs: [], flags: ['--platform=linux/amd64'], stageName: 'build' },
      { startLine: 5, endLine: 5, rawImage: 'base', image: 'base', missingArgs: [], flags: [], stageName: undefined },
    ]);
    expect(parsed.argNames).toEqual(['BASE', 'CREDPROVIDER_URL', 'CONFIGURATION', 'NUGET_FEED']);
  });

  it.each<[string, string, string[]]>([
    ['no ARGs', `FROM ${RUNTIME}`, []],
    ['ARGs before and after FROM', lines('ARG A=1', `FROM ${RUNTIME}`, 'ARG B', 'arg c=3'), ['A', 'B', 'c']],
    ['repeated ARG listed once', lines('ARG A=1', `FROM ${RUNTIME}`, 'ARG A'), ['A']],
  ])('argNames: %s', (_name, text, names) => {
    expect(parseDockerfile(text).argNames).toEqual(names);
  });

  it('lists the missing ARGs of a FROM', () => {
    const [from] = parseDockerfile(lines('ARG REPO', 'FROM ${REPO}:${TAG}')).froms;
    expect(from.image).toBeUndefined();
    expect(from.missingArgs).toEqual(['REPO', 'TAG']);
  });
});

describe('pinBaseImage', () => {
  it("sends the other stages' images through the configured mirror, so a build behind one can pull them", () => {
    const source = lines(
      '# escape=`',
      'ARG TAG=8.0-bookworm-slim',
      'FROM mcr.microsoft.com/dotnet/sdk:${TAG} AS tools',
      'RUN echo C:\\tools\\',
      'FROM mcr.microsoft.com/dotnet/runtime:${TAG}',
      'FROM docker.io/library/busybox:stable AS other',
      'FROM mcr.microsoft.com/dotnet/runtime:${TAG} AS final',
    );
    expect(pinBaseImage(source, PINNED, { TAG: '10.0-noble' }, { 'mcr.microsoft.com': 'http://localhost:5001' })).toBe(
      lines(
        '# escape=`',
        'ARG TAG=8.0-bookworm-slim',
        'FROM localhost:5001/dotnet/sdk:10.0-noble AS tools',
        'RUN echo C:\\tools\\',
        'FROM localhost:5001/dotnet/runtime:10.0-noble',
        'FROM docker.io/library/busybox:stable AS other',
        `FROM ${PINNED} AS final`,
      ),
    );
  });

  it('rewrites only the final base stage and keeps its flags and name', () => {
    const source = lines(
      `FROM --platform=linux/amd64 ${RUNTIME} AS base`,
      'RUN groupadd app',
      `FROM ${SDK} AS build`,
      'RUN dotnet publish',
      'FROM base AS final',
      'COPY --from=build /out /app',
    );
    expect(pinBaseImage(source, PINNED, {})).toBe(
      lines(
        `FROM --platform=linux/amd64 ${PINNED} AS base`,
        'RUN groupadd app',
        `FROM ${SDK} AS build`,
        'RUN dotnet publish',
        'FROM base AS final',
        'COPY --from=build /out /app',
      ),
    );
  });

  it('replaces an ARG-defaulted FROM with the literal pinned image', () => {
    expect(pinBaseImage(lines(`ARG BASE=${RUNTIME}`, 'FROM ${BASE}', 'USER app'), PINNED, {})).toBe(
      lines(`ARG BASE=${RUNTIME}`, `FROM ${PINNED}`, 'USER app'),
    );
  });

  it('collapses a continued FROM onto its first line, keeping the line count', () => {
    const source = lines('FROM \\', `  ${RUNTIME} \\`, '  AS base', 'WORKDIR /app');
    const pinned = pinBaseImage(source, PINNED, {});
    expect(pinned).toBe(lines(`FROM ${PINNED} AS base`, '', '', 'WORKDIR /app'));
    expect(pinned.split('\n')).toHaveLength(source.split('\n').length);
  });

  it('blanks every physical line of a continued FROM, including empty ones', () => {
    expect(pinBaseImage(lines('FROM \\', '', `  ${RUNTIME}`, 'USER app'), PINNED, {})).toBe(lines(`FROM ${PINNED}`, '', '', 'USER app'));
  });

  it('leaves a single-stage file otherwise byte for byte the same', () => {
    const source = lines('# syntax=docker/dockerfile:1', `FROM ${RUNTIME}`, '', '# comment', 'RUN echo "FROM x"', 'ENV A=1', '');
    expect(pinBaseImage(source, PINNED, {})).toBe(source.replace(`FROM ${RUNTIME}`, `FROM ${PINNED}`));
  });

  it('fails like finalBaseImage when there is no base to pin', () => {
    expect(() => pinBaseImage('FROM scratch', PINNED, {})).toThrow(/scratch/);
  });
});

describe('fromMatches', () => {
  it.each<[string, string, boolean]>([
    [RUNTIME, RUNTIME, true],
    [RUNTIME, 'runtime:6.0-bullseye-slim', true],
    [RUNTIME, 'dotnet/runtime:6.0-bullseye-slim', true],
    [RUNTIME, 'runtime:6.0', false],
    [RUNTIME, 'untime:6.0-bullseye-slim', false],
    ['nginx', 'docker.io/library/nginx:latest', true],
    ['mcr.microsoft.com/dotnet/runtime', 'mcr.microsoft.com/dotnet/runtime:latest', true],
    [SDK, RUNTIME, false],
    ['not a ref', RUNTIME, false],
  ])('%s vs %s → %s', (image, wanted, expected) => {
    expect(fromMatches(image, wanted)).toBe(expected);
  });
});

describe('overrideFrom', () => {
  const testApp = lines(`FROM ${SDK} AS build`, 'RUN dotnet publish', '', `FROM ${RUNTIME} AS final`, 'COPY --from=build /app/publish .');

  it('replaces the FROM naming the configured image, keeping its stage name', () => {
    const out = overrideFrom(testApp, RUNTIME, 'platform-images/net6-runtime:candidate-1');
    expect(out).toEqual({
      replaced: 1,
      text: lines(
        `FROM ${SDK} AS build`,
        'RUN dotnet publish',
        '',
        'FROM platform-images/net6-runtime:candidate-1 AS final',
        'COPY --from=build /app/publish .',
      ),
    });
  });

  it('matches the seed-style repo:tag name', () => {
    const out = overrideFrom(testApp, 'runtime:6.0-bullseye-slim', 'candidate:1');
    expect(out.replaced).toBe(1);
    expect(out.text.split('\n')[3]).toBe('FROM candidate:1 AS final');
    expect(out.text.split('\n')[0]).toBe(`FROM ${SDK} AS build`);
  });

  it('sends other FROMs on a mirrored registry to the mirror host', () => {
    const out = overrideFrom(testApp, RUNTIME, 'candidate:1', { 'mcr.microsoft.com': 'http://localhost:5001' });
    expect(out).toEqual({
      replaced: 1,
      text: lines(
        'FROM localhost:5001/dotnet/sdk:6.0-bullseye-slim AS build',
        'RUN dotnet publish',
        '',
        'FROM candidate:1 AS final',
        'COPY --from=build /app/publish .',
      ),
    });
  });

  it('leaves FROMs on registries without a mirror alone', () => {
    const source = lines('FROM node:20 AS ui', `FROM ${RUNTIME}`);
    const out = overrideFrom(source, RUNTIME, 'candidate:1', { 'mcr.microsoft.com': 'http://localhost:5001' });
    expect(out.text).toBe(lines('FROM node:20 AS ui', 'FROM candidate:1'));
  });

  it('returns replaced=0 and an unchanged text when the image is absent', () => {
    expect(overrideFrom(testApp, 'mcr.microsoft.com/dotnet/aspnet:6.0', 'candidate:1')).toEqual({ replaced: 0, text: testApp });
  });

  it('replaces every FROM naming the image', () => {
    const source = lines(`FROM ${RUNTIME} AS one`, `FROM ${RUNTIME} AS two`);
    const out = overrideFrom(source, RUNTIME, 'candidate:1');
    expect(out).toEqual({ replaced: 2, text: lines('FROM candidate:1 AS one', 'FROM candidate:1 AS two') });
  });

  it('never treats a stage name as an image, even when it equals the wanted name', () => {
    const source = lines(`FROM ${RUNTIME} AS runtime`, 'FROM runtime AS final');
    expect(overrideFrom(source, 'runtime', 'candidate:1')).toEqual({ replaced: 0, text: source });
    const mirrored = overrideFrom(source, RUNTIME, 'candidate:1', { 'docker.io': 'http://localhost:5002' });
    expect(mirrored).toEqual({ replaced: 1, text: lines('FROM candidate:1 AS runtime', 'FROM runtime AS final') });
  });

  it('resolves ARG-defaulted FROMs before matching', () => {
    const source = lines(`ARG BASE=${RUNTIME}`, 'FROM --platform=linux/amd64 ${BASE} AS final');
    expect(overrideFrom(source, RUNTIME, 'candidate:1')).toEqual({
      replaced: 1,
      text: lines(`ARG BASE=${RUNTIME}`, 'FROM --platform=linux/amd64 candidate:1 AS final'),
    });
  });

  it('skips scratch and FROMs with unresolved ARGs', () => {
    const source = lines('ARG X', 'FROM ${X} AS a', 'FROM scratch AS b', `FROM ${RUNTIME}`);
    const out = overrideFrom(source, RUNTIME, 'candidate:1', { 'docker.io': 'localhost:5002' });
    expect(out).toEqual({ replaced: 1, text: lines('ARG X', 'FROM ${X} AS a', 'FROM scratch AS b', 'FROM candidate:1') });
  });
});

describe('startsFrom and fromImages', () => {
  const STANDIN = lines(`FROM ${SDK} AS build`, 'RUN make', `FROM ${RUNTIME} AS final`, 'COPY --from=build /out /app');

  it.each<[string, string, string, boolean]>([
    ['the final stage', STANDIN, RUNTIME, true],
    ['a build stage', STANDIN, SDK, true],
    ['repo:tag without the registry, as the seed wrote it', STANDIN, 'dotnet/runtime:6.0-bullseye-slim', true],
    ['another tag', STANDIN, 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim', false],
    ['a stage name', STANDIN, 'build', false],
    ['an ARG default', lines(`ARG BASE=${RUNTIME}`, 'FROM ${BASE}'), RUNTIME, true],
    ['an unresolved ARG', lines('ARG BASE', 'FROM ${BASE}'), RUNTIME, false],
    ['no FROM at all', lines('RUN true'), RUNTIME, false],
  ])('%s', (_name, text, wanted, expected) => {
    expect(startsFrom(text, wanted)).toBe(expected);
    // What overrideFrom would do agrees.
    expect(overrideFrom(text, wanted, 'candidate:1').replaced > 0).toBe(expected);
  });

  it('lists the images, not stages, scratch or unresolved ARGs, once each', () => {
    const text = lines(
      'ARG X',
      'FROM ${X} AS a',
      'FROM scratch AS b',
      `FROM ${SDK} AS build`,
      `FROM ${RUNTIME}`,
      `FROM ${SDK} AS again`,
      'FROM build',
    );
    expect(fromImages(text)).toEqual([SDK, RUNTIME]);
  });
});

// Real-world Dockerfiles, in the styles of Microsoft's dotnet-docker repository, Visual Studio's container
// template and BuildKit's own heredoc tests, with the base each builds on.
const SDK8 = 'mcr.microsoft.com/dotnet/sdk:8.0';
const ASPNET8 = 'mcr.microsoft.com/dotnet/aspnet:8.0';
const RUNTIME8 = 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim';
const RUNTIME10 = 'mcr.microsoft.com/dotnet/runtime:10.0-noble';
const NANO_SDK = 'mcr.microsoft.com/dotnet/sdk:8.0-nanoserver-ltsc2022';
const NANO_RUNTIME = 'mcr.microsoft.com/dotnet/runtime:8.0-nanoserver-ltsc2022';
const SERVERCORE = 'mcr.microsoft.com/windows/servercore:ltsc2022-amd64';
const NANOSERVER = 'mcr.microsoft.com/windows/nanoserver:ltsc2022-amd64';

/** dotnet-docker's samples/aspnetapp: an sdk stage cross-compiling on the build platform, an aspnet final stage. */
const SAMPLE_ASPNETAPP = lines(
  '# Learn about building .NET container images:',
  '# https://github.com/dotnet/dotnet-docker/blob/main/samples/README.md',
  `FROM --platform=$BUILDPLATFORM ${SDK8} AS build`,
  'ARG TARGETARCH',
  'WORKDIR /source',
  '',
  '# Copy project file and restore as distinct layers',
  'COPY --link aspnetapp/*.csproj .',
  'RUN dotnet restore -a $TARGETARCH',
  '',
  '# Copy source code and publish app',
  'COPY --link aspnetapp/. .',
  'RUN dotnet publish -a $TARGETARCH --no-restore -o /app',
  '',
  '',
  '# Runtime stage',
  `FROM ${ASPNET8}`,
  'EXPOSE 8080',
  'WORKDIR /app',
  'COPY --link --from=build /app .',
  'USER $APP_UID',
  'ENTRYPOINT ["./aspnetapp"]',
  '',
);

/** Visual Studio's container template: base, build, publish and final stages; the final one FROM base. */
const VS_TEMPLATE = lines(
  `FROM ${ASPNET8} AS base`,
  'USER $APP_UID',
  'WORKDIR /app',
  'EXPOSE 8080',
  '',
  `FROM ${SDK8} AS build`,
  'ARG BUILD_CONFIGURATION=Release',
  'WORKDIR /src',
  'COPY ["WebApp/WebApp.csproj", "WebApp/"]',
  'RUN dotnet restore "./WebApp/WebApp.csproj"',
  'COPY . .',
  'RUN dotnet build "./WebApp.csproj" -c $BUILD_CONFIGURATION -o /app/build',
  '',
  'FROM build AS publish',
  'RUN dotnet publish "./WebApp.csproj" -c $BUILD_CONFIGURATION -o /app/publish /p:UseAppHost=false',
  '',
  'FROM base AS final',
  'WORKDIR /app',
  'COPY --from=publish /app/publish .',
  'ENTRYPOINT ["dotnet", "WebApp.dll"]',
);

/** dotnet-docker's Linux runtime images: the repository in a global ARG, a shell script continued with backslashes. */
const DOTNET_DOCKER_LINUX = lines(
  'ARG REPO=mcr.microsoft.com/dotnet/runtime-deps',
  '',
  '# Installer image',
  'FROM amd64/buildpack-deps:bookworm-curl AS installer',
  '',
  '# Retrieve .NET Runtime',
  'RUN dotnet_version=8.0.0 \\',
  '    && curl -fSL --output dotnet.tar.gz https://dotnetcli.example/Runtime/$dotnet_version/dotnet-runtime-linux-x64.tar.gz \\',
  '    && mkdir -p /dotnet \\',
  '    && tar -oxzf dotnet.tar.gz -C /dotnet \\',
  '    && rm dotnet.tar.gz',
  '',
  '',
  '# .NET runtime image',
  'FROM $REPO:8.0.0-bookworm-slim-amd64',
  '',
  '# .NET Runtime version',
  'ENV DOTNET_VERSION=8.0.0',
  '',
  'COPY --from=installer ["/dotnet", "/usr/share/dotnet"]',
  '',
  'RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet',
);

/** dotnet-docker's Windows images: the backtick escape, PowerShell continued with backticks, comments inside ENV. */
const DOTNET_DOCKER_WINDOWS = lines(
  '# escape=`',
  '',
  '# Installer image',
  `FROM ${SERVERCORE} AS installer`,
  '',
  '# Retrieve .NET Runtime',
  'RUN powershell -Command `',
  "        $ErrorActionPreference = 'Stop'; `",
  "        $ProgressPreference = 'SilentlyContinue'; `",
  '        `',
  "        $dotnet_version = '8.0.0'; `",
  '        Invoke-WebRequest -OutFile dotnet.zip https://dotnetcli.example/Runtime/$dotnet_version/dotnet-runtime-win-x64.zip; `',
  '        mkdir dotnet; `',
  '        tar -oxzf dotnet.zip -C dotnet; `',
  '        Remove-Item -Force dotnet.zip',
  '',
  '',
  '# Runtime image',
  `FROM ${NANOSERVER}`,
  '',
  'ENV `',
  '    # Enable detection of running in a container',
  '    DOTNET_RUNNING_IN_CONTAINER=true `',
  '    # .NET Runtime version',
  '    DOTNET_VERSION=8.0.0',
  '',
  '# In order to set system PATH, ContainerAdministrator must be used',
  'USER ContainerAdministrator',
  'RUN setx /M PATH "%PATH%;C:\\Program Files\\dotnet"',
  'USER ContainerUser',
  '',
  'COPY --from=installer ["/dotnet", "/Program Files/dotnet"]',
);

/** The three Dockerfiles the issue reports, each read wrongly before. */
const BUILD_ARG_TAG = lines('ARG TAG=8.0-bookworm-slim', 'FROM mcr.microsoft.com/dotnet/runtime:${TAG}', 'USER app');
const BACKTICK_ESCAPE = lines(
  '# escape=`',
  '',
  `FROM ${NANO_SDK} AS build`,
  'WORKDIR C:\\source',
  'COPY . .',
  // Under the backtick escape a trailing backslash is a path, not a line continuation.
  'RUN dotnet publish -c Release -o C:\\app\\',
  '',
  `FROM ${NANO_RUNTIME}`,
  'WORKDIR C:\\app',
  'COPY --from=build C:\\app .',
);
const COPY_HEREDOC = lines(
  '# syntax=docker/dockerfile:1',
  `FROM ${RUNTIME8}`,
  'COPY <<EOF /app/paths.py',
  'from os import path',
  'print(path.join("a", "b"))',
  'EOF',
  'ENTRYPOINT ["python3", "/app/paths.py"]',
);
const RUN_HEREDOC = lines(
  '# syntax=docker/dockerfile:1',
  `FROM ${RUNTIME8}`,
  'RUN <<EOF python3',
  'from os import path',
  'print(path.sep)',
  'EOF',
  'USER app',
);

const PINNED10 = `localhost:5001/dotnet/runtime:10.0-noble@sha256:${'d'.repeat(64)}`;

describe("the issue's three Dockerfiles", () => {
  it('a build arg overrides the default of the ARG the base FROM names: TAG=10.0-noble checks and builds 10.0-noble', () => {
    expect(finalBaseImage(parseDockerfile(BUILD_ARG_TAG, { buildArgs: { TAG: '10.0-noble' } })).image).toBe(RUNTIME10);
    // The build args choose the stage too: the pin lands on the stage the check resolved.
    const choice = lines(
      'ARG VARIANT=jammy',
      'FROM mcr.microsoft.com/dotnet/runtime:8.0-jammy AS jammy',
      'FROM mcr.microsoft.com/dotnet/runtime:8.0-noble AS noble',
      'FROM ${VARIANT} AS final',
      'USER app',
    );
    expect(finalBaseImage(parseDockerfile(choice, { buildArgs: { VARIANT: 'noble' } })).image).toBe(
      'mcr.microsoft.com/dotnet/runtime:8.0-noble',
    );
    expect(pinBaseImage(choice, PINNED10, { VARIANT: 'noble' })).toBe(
      choice.replace('mcr.microsoft.com/dotnet/runtime:8.0-noble', PINNED10),
    );
  });

  it('under # escape=` a line ending in a backslash does not swallow the next FROM', () => {
    expect(finalBaseImage(parseDockerfile(BACKTICK_ESCAPE)).image).toBe(NANO_RUNTIME);
    expect(pinBaseImage(BACKTICK_ESCAPE, PINNED, {})).toBe(BACKTICK_ESCAPE.replace(`FROM ${NANO_RUNTIME}`, `FROM ${PINNED}`));
  });

  it('a COPY <<EOF body line "from os import path" is file content, not a FROM', () => {
    expect(finalBaseImage(parseDockerfile(COPY_HEREDOC)).image).toBe(RUNTIME8);
    expect(pinBaseImage(COPY_HEREDOC, PINNED, {})).toBe(COPY_HEREDOC.replace(`FROM ${RUNTIME8}`, `FROM ${PINNED}`));
  });

  it('a RUN <<EOF body line "from os import path" is neither read nor rewritten', () => {
    expect(finalBaseImage(parseDockerfile(RUN_HEREDOC)).image).toBe(RUNTIME8);
    expect(pinBaseImage(RUN_HEREDOC, PINNED, {})).toBe(RUN_HEREDOC.replace(`FROM ${RUNTIME8}`, `FROM ${PINNED}`));
  });
});

type Row = [name: string, text: string, buildArgs: Record<string, string>, base: string];

const REAL_WORLD: Row[] = [
  // Whole files.
  ['dotnet-docker sample: sdk build stage on $BUILDPLATFORM, aspnet final stage', SAMPLE_ASPNETAPP, {}, ASPNET8],
  ['Visual Studio template: final FROM base', VS_TEMPLATE, {}, ASPNET8],
  ['Visual Studio template with its build args', VS_TEMPLATE, { BUILD_CONFIGURATION: 'Debug' }, ASPNET8],
  [
    'dotnet-docker Linux image: repository from a global ARG',
    DOTNET_DOCKER_LINUX,
    {},
    'mcr.microsoft.com/dotnet/runtime-deps:8.0.0-bookworm-slim-amd64',
  ],
  [
    'dotnet-docker Linux image: REPO set by a build arg',
    DOTNET_DOCKER_LINUX,
    { REPO: 'registry.example/dotnet/runtime-deps' },
    'registry.example/dotnet/runtime-deps:8.0.0-bookworm-slim-amd64',
  ],
  ['dotnet-docker Windows image: backtick escape', DOTNET_DOCKER_WINDOWS, {}, NANOSERVER],
  ['issue: TAG from a build arg', BUILD_ARG_TAG, { TAG: '10.0-noble' }, RUNTIME10],
  ['issue: TAG default without build args', BUILD_ARG_TAG, {}, 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim'],
  ['issue: backtick escape and a trailing backslash', BACKTICK_ESCAPE, {}, NANO_RUNTIME],
  ['issue: COPY heredoc', COPY_HEREDOC, {}, RUNTIME8],
  ['issue: RUN heredoc', RUN_HEREDOC, {}, RUNTIME8],

  // Heredocs: their bodies are never instructions.
  [
    '<<-EOF strips the tabs before its delimiter',
    lines(`FROM ${RUNTIME8}`, 'RUN <<-EOT bash', '\tset -e', '\tFROM ubuntu:22.04 AS fake', '\tEOT', 'USER app'),
    {},
    RUNTIME8,
  ],
  [
    '<<EOF does not end at a tab-indented delimiter',
    lines(`FROM ${RUNTIME8}`, 'RUN <<EOT bash', '\techo one', '\tEOT', 'FROM ubuntu:22.04', 'EOT', 'USER app'),
    {},
    RUNTIME8,
  ],
  [
    'two heredocs on one RUN line',
    lines(
      `FROM ${RUNTIME8}`,
      'RUN <<FILE1 cat > /etc/one && <<FILE2 cat > /etc/two',
      'FROM alpine AS one',
      'FILE1',
      'FROM alpine AS two',
      'FILE2',
      'USER app',
    ),
    {},
    RUNTIME8,
  ],
  [
    'two heredocs on one COPY line, read in order',
    lines(`FROM ${RUNTIME8}`, 'COPY <<X <<Y /dest/', 'Y', 'FROM alpine', 'X', 'X', 'FROM busybox', 'Y'),
    {},
    RUNTIME8,
  ],
  ['double-quoted delimiter', lines(`FROM ${RUNTIME8}`, 'RUN <<"EOF" bash', 'FROM ${BASE}', 'EOF'), {}, RUNTIME8],
  [
    'single-quoted delimiter',
    lines(`FROM ${RUNTIME8}`, "COPY <<'EOT' /app/Dockerfile.template", 'FROM $BASE AS final', 'EOT'),
    {},
    RUNTIME8,
  ],
  ['delimiter partly quoted', lines(`FROM ${RUNTIME8}`, "RUN <<E'O'F", 'from os import path', 'EOF'), {}, RUNTIME8],
  ['heredoc with a file descriptor', lines(`FROM ${RUNTIME8}`, 'RUN cat 3<<EOF', 'FROM alpine', 'EOF'), {}, RUNTIME8],
  [
    'heredoc after flags',
    lines(`FROM ${RUNTIME8}`, 'RUN --mount=type=cache,target=/root/.nuget <<EOF', 'FROM alpine', 'EOF'),
    {},
    RUNTIME8,
  ],
  [
    'heredoc opened on a continued line',
    lines(`FROM ${RUNTIME8}`, 'RUN cat <<EOF \\', '    > /app/config.txt', 'FROM alpine', 'EOF'),
    {},
    RUNTIME8,
  ],
  ['heredoc in an ONBUILD trigger', lines(`FROM ${RUNTIME8}`, 'ONBUILD RUN <<EOF', 'FROM alpine', 'EOF'), {}, RUNTIME8],
  [
    'a heredoc body may hold comments and blank lines',
    lines(`FROM ${RUNTIME8}`, 'RUN <<EOF', '# escape=`', '', 'FROM alpine \\', 'EOF', 'USER app'),
    {},
    RUNTIME8,
  ],
  ['"<<EOF" in quotes opens no heredoc', lines(`FROM ${SDK8} AS build`, 'RUN echo "<<EOF"', `FROM ${RUNTIME8}`), {}, RUNTIME8],
  ['exec form opens no heredoc', lines(`FROM ${SDK8} AS build`, 'RUN ["cat", "<<EOF"]', `FROM ${RUNTIME8}`), {}, RUNTIME8],
  ['<<EOF in an instruction that takes no heredoc', lines(`FROM ${SDK8} AS build`, 'USER <<EOF', `FROM ${RUNTIME8}`), {}, RUNTIME8],
  ['a shift in arithmetic is no heredoc', lines(`FROM ${SDK8} AS build`, 'RUN echo $((1<<4))', `FROM ${RUNTIME8}`), {}, RUNTIME8],

  // Parser directives and the escape character.
  [
    '# escape=\\ spelled out',
    lines('# escape=\\', `FROM ${SDK8} AS build`, 'RUN dotnet build \\', '  -c Release', `FROM ${RUNTIME8}`),
    {},
    RUNTIME8,
  ],
  [
    'directives in any case, with blanks',
    lines('#  ESCAPE = `', `FROM ${NANO_SDK} AS build`, 'RUN dir C:\\', `FROM ${NANO_RUNTIME}`),
    {},
    NANO_RUNTIME,
  ],
  [
    'syntax and check directives before escape',
    lines(
      '# syntax=docker/dockerfile:1',
      '# check=skip=JSONArgsRecommended',
      '# escape=`',
      `FROM ${NANO_SDK} AS build`,
      'RUN dir C:\\',
      `FROM ${NANO_RUNTIME}`,
    ),
    {},
    NANO_RUNTIME,
  ],
  [
    'byte order mark before the escape directive',
    '\uFEFF' + lines('# escape=`', `FROM ${NANO_SDK} AS build`, 'RUN dir C:\\', `FROM ${NANO_RUNTIME}`),
    {},
    NANO_RUNTIME,
  ],
  [
    'backtick continuations under the backtick escape',
    lines('# escape=`', 'FROM `', `    ${NANO_RUNTIME} ` + '`', '    AS runtime', 'RUN dir C:\\'),
    {},
    NANO_RUNTIME,
  ],
  // After another comment, an empty line or an unknown directive, `# escape=` is a comment: `\` continues lines.
  [
    'escape directive after a comment is a comment',
    lines('# Windows image', '# escape=`', `FROM ${NANO_SDK} AS build`, 'RUN dir C:\\', `FROM ${NANO_RUNTIME}`),
    {},
    NANO_SDK,
  ],
  [
    'escape directive after an empty line is a comment',
    lines('', '# escape=`', `FROM ${NANO_SDK} AS build`, 'RUN dir C:\\', `FROM ${NANO_RUNTIME}`),
    {},
    NANO_SDK,
  ],
  [
    'escape directive after an unknown directive is a comment',
    lines('# owner=platform', '# escape=`', `FROM ${NANO_SDK} AS build`, 'RUN dir C:\\', `FROM ${NANO_RUNTIME}`),
    {},
    NANO_SDK,
  ],
  ['escape directive after an instruction is a comment', lines(`ARG BASE=${RUNTIME8}`, '# escape=`', 'FROM $BASE'), {}, RUNTIME8],

  // Continuations.
  [
    'backslash continuation with comment lines inside',
    lines(
      `FROM ${SDK8} AS build`,
      'RUN apt-get update \\',
      '    # the tools the tests need',
      '    && apt-get install -y curl \\',
      '',
      '    && rm -rf /var/lib/apt/lists/*',
      `FROM ${RUNTIME8}`,
    ),
    {},
    RUNTIME8,
  ],
  ['blanks after the backslash still continue', lines('FROM \\  ', `  ${RUNTIME8}`), {}, RUNTIME8],
  [
    'an escaped backslash at the end does not continue',
    lines(`FROM ${SDK8} AS build`, 'RUN echo C:\\\\', `FROM ${RUNTIME8}`),
    {},
    RUNTIME8,
  ],
  ['a line holding only the escape continues', lines('FROM \\', '\\', `  ${RUNTIME8}`), {}, RUNTIME8],
  ['a comment cannot be continued', lines(`FROM ${SDK8} AS build`, '# a comment ending in \\', `FROM ${RUNTIME8}`), {}, RUNTIME8],
  [
    'a # inside an instruction is no comment',
    lines(`FROM ${SDK8} AS build`, 'RUN echo "# FROM alpine" \\', '  && true', `FROM ${RUNTIME8}`),
    {},
    RUNTIME8,
  ],
  ['indented instructions', lines(`  FROM ${SDK8} AS build`, '    RUN make', `\tFROM ${RUNTIME8}`), {}, RUNTIME8],

  // FROM flags and stage names.
  [
    '--platform=$BUILDPLATFORM build stage, --platform=$TARGETPLATFORM final stage',
    lines(`FROM --platform=$BUILDPLATFORM ${SDK8} AS build`, `FROM --platform=$TARGETPLATFORM ${RUNTIME8} AS final`),
    {},
    RUNTIME8,
  ],
  ['quoted --platform value', lines(`FROM --platform="linux/amd64" ${RUNTIME8}`), {}, RUNTIME8],
  ['stage aliases in mixed case', lines(`FROM ${ASPNET8} AS Base`, `FROM ${SDK8} AS BUILD`, 'FROM BASE AS Final'), {}, ASPNET8],
  [
    'a FROM names the latest earlier stage of that name',
    lines(`FROM ${SDK8} AS base`, `FROM ${RUNTIME8} AS base`, 'FROM base'),
    {},
    RUNTIME8,
  ],
  ['a stage named only later is an image where it is named', lines('FROM two AS one', `FROM ${RUNTIME8} AS two`, 'FROM one'), {}, 'two'],
  ['lowercase instructions and as', lines(`arg base=${RUNTIME8}`, 'from ${base} as final', 'run true'), {}, RUNTIME8],

  // ARG defaults and substitution.
  ['${VAR:-default} with the ARG unset', lines('ARG BASE', 'FROM ${BASE:-' + RUNTIME8 + '}'), {}, RUNTIME8],
  ['${VAR-default} with the ARG set to empty', lines('ARG SUFFIX=', `FROM ${RUNTIME8}` + '${SUFFIX-x}'), {}, RUNTIME8],
  ['${VAR:+x} with the ARG set', lines('ARG SLIM=1', 'FROM mcr.microsoft.com/dotnet/runtime:8.0-bookworm${SLIM:+-slim}'), {}, RUNTIME8],
  [
    '${VAR:+x} with the ARG empty',
    lines('ARG SLIM=', 'FROM mcr.microsoft.com/dotnet/runtime:8.0-bookworm${SLIM:+-nope}-slim'),
    {},
    RUNTIME8,
  ],
  [
    '$VAR followed by a character that ends the name',
    lines('ARG REPO=mcr.microsoft.com/dotnet/runtime', 'FROM $REPO:8.0-bookworm-slim'),
    {},
    RUNTIME8,
  ],
  [
    'ARG defaults in double and single quotes',
    lines('ARG REPO="mcr.microsoft.com/dotnet/runtime" TAG=\'8.0-bookworm-slim\'', 'FROM ${REPO}:${TAG}'),
    {},
    RUNTIME8,
  ],
  [
    'ARG default built from an earlier one with :-',
    lines('ARG DOTNET=8.0', 'ARG TAG=${DOTNET:-6.0}-bookworm-slim', 'FROM mcr.microsoft.com/dotnet/runtime:$TAG'),
    {},
    RUNTIME8,
  ],
  [
    '${VAR#pattern}',
    lines('ARG IMAGE=docker.io/mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim', 'FROM ${IMAGE#docker.io/}'),
    {},
    RUNTIME8,
  ],
  ['${VAR%pattern}', lines('ARG TAG=8.0-bookworm-slim-amd64', 'FROM mcr.microsoft.com/dotnet/runtime:${TAG%-*}'), {}, RUNTIME8],
  [
    '${VAR%%pattern}',
    lines('ARG TAG=8.0-bookworm-slim', 'FROM mcr.microsoft.com/dotnet/runtime:${TAG%%-*}'),
    {},
    'mcr.microsoft.com/dotnet/runtime:8.0',
  ],
  [
    '${VAR/pattern/replacement}',
    lines('ARG TAG=8.0-jammy-slim', 'FROM mcr.microsoft.com/dotnet/runtime:${TAG/jammy/bookworm}'),
    {},
    RUNTIME8,
  ],
  ['a redeclared ARG without value keeps its default', lines(`ARG BASE=${RUNTIME8}`, 'ARG BASE', 'FROM $BASE'), {}, RUNTIME8],
  ['a later global ARG default wins', lines(`ARG BASE=${SDK8}`, `ARG BASE=${RUNTIME8}`, 'FROM $BASE'), {}, RUNTIME8],
  [
    'a platform ARG given a global default',
    lines('ARG TARGETARCH=amd64', 'FROM mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim-$TARGETARCH'),
    {},
    'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim-amd64',
  ],
  [
    '${TARGETVARIANT+x}: the platform ARG is always set',
    lines('FROM mcr.microsoft.com/dotnet/runtime:8.0-bookworm${TARGETVARIANT+-slim}'),
    {},
    RUNTIME8,
  ],

  // Build args.
  [
    'a build arg sets an ARG without default',
    lines('ARG TAG', 'FROM mcr.microsoft.com/dotnet/runtime:${TAG}'),
    { TAG: '10.0-noble' },
    RUNTIME10,
  ],
  [
    'a build arg overrides a quoted default',
    lines('ARG TAG="8.0-bookworm-slim"', 'FROM mcr.microsoft.com/dotnet/runtime:${TAG}'),
    { TAG: '10.0-noble' },
    RUNTIME10,
  ],
  [
    'a build arg flows into a later ARG default',
    lines('ARG TAG=8.0-bookworm-slim', 'ARG BASE=mcr.microsoft.com/dotnet/runtime:${TAG}', 'FROM $BASE'),
    { TAG: '10.0-noble' },
    RUNTIME10,
  ],
  [
    'a build arg set to empty counts as set for ${VAR-x}',
    lines('ARG SUFFIX=-nope', `FROM ${RUNTIME8}` + '${SUFFIX-x}'),
    { SUFFIX: '' },
    RUNTIME8,
  ],
  ['a build arg for an undeclared ARG does nothing', lines('FROM ${BASE:-' + RUNTIME8 + '}'), { BASE: SDK8 }, RUNTIME8],
  [
    'a build arg for an ARG declared only inside a stage does not reach FROM',
    lines('FROM ${BASE:-' + RUNTIME8 + '}', 'ARG BASE'),
    { BASE: SDK8 },
    RUNTIME8,
  ],
  [
    'an ARG after the first FROM does not reach the next FROM; the build arg sets the global one',
    lines(`ARG BASE=${RUNTIME8}`, `FROM ${SDK8} AS build`, `ARG BASE=${SDK8}`, 'FROM $BASE'),
    { BASE: RUNTIME10 },
    RUNTIME10,
  ],
  [
    'a build arg for a declared platform ARG',
    lines(`FROM ${SDK8} AS build`, 'ARG TARGETARCH', 'FROM mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim-${TARGETARCH}'),
    { TARGETARCH: 'arm64' },
    'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim-arm64',
  ],

  // Line endings.
  [
    'CRLF with continuations, a heredoc and the escape directive',
    lines(
      '# escape=`',
      `FROM ${NANO_SDK} AS build`,
      'RUN dir C:\\',
      'COPY <<EOF C:\\app\\a.txt',
      'FROM alpine',
      'EOF',
      'FROM `',
      `  ${NANO_RUNTIME}`,
    ).replace(/\n/g, '\r\n'),
    {},
    NANO_RUNTIME,
  ],
];

describe('real-world Dockerfiles', () => {
  it.each(REAL_WORLD)('%s', (_name, text, buildArgs, base) => {
    expect(finalBaseImage(parseDockerfile(text, { buildArgs })).image).toBe(base);
  });

  it.each(REAL_WORLD)('%s: the pinned copy builds on the pinned image and differs only in that FROM', (_name, text, buildArgs) => {
    const { from } = finalBaseImage(parseDockerfile(text, { buildArgs }));
    const pinned = pinBaseImage(text, PINNED, buildArgs);
    expect(finalBaseImage(parseDockerfile(pinned, { buildArgs })).image).toBe(PINNED);
    const before = text.split('\n');
    const after = pinned.split('\n');
    expect(after).toHaveLength(before.length);
    const changed = after.flatMap((line, i) => (line === before[i] ? [] : [i]));
    expect(changed).toContain(from.startLine);
    expect(changed.filter((i) => i < from.startLine || i > from.endLine)).toEqual([]);
  });
});

describe('pinBaseImage on real-world Dockerfiles', () => {
  it.each<[string, string, Record<string, string>, string]>([
    [
      'keeps --platform and the stage name',
      lines(`ARG BASE=${RUNTIME8}`, 'FROM --platform=$BUILDPLATFORM ${BASE} AS build', 'RUN true'),
      {},
      lines(`ARG BASE=${RUNTIME8}`, `FROM --platform=$BUILDPLATFORM ${PINNED} AS build`, 'RUN true'),
    ],
    [
      'keeps the case of the keyword and of AS (BuildKit warns on mixed casing, and warnings fail the build)',
      lines(`from ${RUNTIME8} as base`, 'run true', 'from base'),
      {},
      lines(`from ${PINNED} as base`, 'run true', 'from base'),
    ],
    ['keeps the indentation', lines(`  FROM ${RUNTIME8}`, '  RUN true'), {}, lines(`  FROM ${PINNED}`, '  RUN true')],
    [
      'a FROM continued with backticks under # escape=`',
      lines('# escape=`', 'FROM `', `    ${NANO_RUNTIME} ` + '`', '    AS runtime', 'RUN dir C:\\'),
      {},
      lines('# escape=`', `FROM ${PINNED} AS runtime`, '', '', 'RUN dir C:\\'),
    ],
    [
      'keeps a comment line inside the continued FROM',
      lines('FROM \\', '# the base', `  ${RUNTIME8} \\`, '  AS base', 'USER app'),
      {},
      lines(`FROM ${PINNED} AS base`, '# the base', '', '', 'USER app'),
    ],
    [
      'keeps CRLF line endings',
      `FROM ${SDK8} AS build\r\nRUN make\r\nFROM \\\r\n  ${RUNTIME8}\r\nUSER app\r\n`,
      {},
      `FROM ${SDK8} AS build\r\nRUN make\r\nFROM ${PINNED}\r\n\r\nUSER app\r\n`,
    ],
    ['keeps a byte order mark', `\uFEFFFROM ${RUNTIME8}\nUSER app`, {}, `\uFEFFFROM ${PINNED}\nUSER app`],
    [
      'leaves a heredoc that looks like the base FROM alone',
      lines(`FROM ${RUNTIME8}`, 'COPY <<EOF /Dockerfile.inner', `FROM ${RUNTIME8}`, 'EOF'),
      {},
      lines(`FROM ${PINNED}`, 'COPY <<EOF /Dockerfile.inner', `FROM ${RUNTIME8}`, 'EOF'),
    ],
    [
      'pins the base stage the final stage names',
      VS_TEMPLATE,
      {},
      VS_TEMPLATE.replace(`FROM ${ASPNET8} AS base`, `FROM ${PINNED} AS base`),
    ],
    [
      'pins the stage a build arg chooses',
      lines('ARG FINAL=base', `FROM ${SDK8} AS sdk`, `FROM ${RUNTIME8} AS base`, 'FROM ${FINAL}'),
      { FINAL: 'sdk' },
      lines('ARG FINAL=base', `FROM ${PINNED} AS sdk`, `FROM ${RUNTIME8} AS base`, 'FROM ${FINAL}'),
    ],
  ])('%s', (_name, source, buildArgs, expected) => {
    expect(pinBaseImage(source, PINNED, buildArgs)).toBe(expected);
  });
});

describe('Dockerfiles BuildKit refuses or the product cannot resolve', () => {
  it.each<[string, string, Record<string, string>, RegExp]>([
    [
      'a FROM needing a platform ARG the builder sets',
      lines(`FROM ${SDK8} AS build`, 'FROM mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim-$TARGETARCH'),
      {},
      /^FROM mcr\.microsoft\.com\/dotnet\/runtime:8\.0-bookworm-slim-\$TARGETARCH uses TARGETARCH \(line 2\), which the builder sets for the platform it builds for/,
    ],
    [
      'a build arg for an undeclared ARG does not set it',
      lines('FROM $IMAGE'),
      { IMAGE: RUNTIME8 },
      /^FROM \$IMAGE uses ARG IMAGE which has no default value \(line 1\)/,
    ],
    [
      'an ARG default needing an unset ARG',
      lines('ARG TAG', 'ARG BASE=mcr.microsoft.com/dotnet/runtime:${TAG}', 'FROM $BASE'),
      {},
      /^FROM \$BASE uses ARG TAG which has no default value \(line 3\)/,
    ],
    [
      '${VAR:?} with the ARG unset',
      lines('ARG TAG', 'FROM mcr.microsoft.com/dotnet/runtime:${TAG:?}'),
      {},
      /uses ARG TAG which has no default value/,
    ],
  ])('%s', (_name, text, buildArgs, message) => {
    expect(() => finalBaseImage(parseDockerfile(text, { buildArgs }))).toThrow(message);
  });

  it.each<[string, string, number, RegExp]>([
    ['an unterminated heredoc', lines(`FROM ${RUNTIME8}`, 'RUN <<EOF', 'echo never closed'), 2, /unterminated heredoc <<EOF/],
    ['a repeated directive', lines('# escape=`', '# escape=\\', `FROM ${RUNTIME8}`), 2, /only one escape parser directive can be used/],
    ['an escape directive naming another character', lines('# escape=^', `FROM ${RUNTIME8}`), 1, /invalid escape token '\^'/],
    ['FROM with two words', lines(`FROM ${RUNTIME8} final`), 1, /FROM requires either one or three arguments/],
    ['FROM without an image', lines('FROM --platform=linux/amd64'), 1, /FROM requires either one or three arguments/],
    ['a stage name with symbols', lines(`FROM ${RUNTIME8} AS 1st`), 1, /invalid name for build stage: "1st"/],
    ['a bad substitution', lines('FROM ${}'), 1, /bad substitution/],
    ['an unclosed ${', lines('ARG BASE=${TAG', 'FROM $BASE'), 1, /missing '}'/],
    ['an unclosed quote in an ARG default', lines('ARG BASE="mcr.microsoft.com/dotnet/runtime', 'FROM $BASE'), 1, /double-quote/],
  ])('%s → DockerfileSyntaxError', (_name, text, line, message) => {
    let error: unknown;
    try {
      parseDockerfile(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DockerfileSyntaxError);
    expect((error as DockerfileSyntaxError).line).toBe(line);
    expect((error as DockerfileSyntaxError).message).toMatch(message);
  });
});

describe('what parseDockerfile records', () => {
  it('the escape character, and every instruction with its text lines and heredoc bodies', () => {
    const parsed = parseDockerfile(
      lines(
        '# escape=`',
        `FROM ${NANO_SDK} AS build`,
        'RUN <<A cmd <<-B',
        'a body',
        'A',
        '\tB',
        'ENV `',
        '  # a comment',
        '  X=1',
        'COPY . .',
      ),
    );
    expect(parsed.escape).toBe('`');
    expect(
      parsed.instructions.map(({ keyword, startLine, endLine, textLines, heredocs }) => ({
        keyword,
        startLine,
        endLine,
        textLines,
        heredocs,
      })),
    ).toEqual([
      { keyword: 'from', startLine: 1, endLine: 1, textLines: [1], heredocs: [] },
      {
        keyword: 'run',
        startLine: 2,
        endLine: 2,
        textLines: [2],
        heredocs: [
          { name: 'A', startLine: 3, endLine: 4 },
          { name: 'B', startLine: 5, endLine: 5 },
        ],
      },
      { keyword: 'env', startLine: 6, endLine: 8, textLines: [6, 8], heredocs: [] },
      { keyword: 'copy', startLine: 9, endLine: 9, textLines: [9], heredocs: [] },
    ]);
  });

  it('flags as written', () => {
    const [from] = parseDockerfile(`FROM --platform="$BUILDPLATFORM" ${SDK8} AS build`).froms;
    expect(from.flags).toEqual(['--platform="$BUILDPLATFORM"']);
    expect(from.stageName).toBe('build');
  });

  it('the automatic platform ARGs a FROM needs', () => {
    const [from] = parseDockerfile('FROM mcr.microsoft.com/dotnet/runtime:8.0-${TARGETOS}-${TARGETARCH}').froms;
    expect(from).toMatchObject({ image: undefined, missingArgs: [], platformArgs: ['TARGETOS', 'TARGETARCH'] });
  });

  it.each<[string, string, string[]]>([
    ['ARG in a heredoc body is no ARG', lines(`FROM ${RUNTIME8}`, 'RUN <<EOF', 'ARG HIDDEN=1', 'EOF', 'ARG SHOWN'), ['SHOWN']],
    ['ONBUILD ARG declares nothing in this build', lines(`FROM ${RUNTIME8}`, 'ONBUILD ARG LATER'), []],
    ['quoted values with blanks', lines('ARG A="x y" B=\'z w\' C', `FROM ${RUNTIME8}`), ['A', 'B', 'C']],
    ['continued under the backtick escape', lines('# escape=`', 'ARG A=1 `', '    B=2', `FROM ${RUNTIME8}`), ['A', 'B']],
  ])('argNames: %s', (_name, text, names) => {
    expect(parseDockerfile(text).argNames).toEqual(names);
  });
});

describe('passedBuildArgs', () => {
  it.each<[string, string, Record<string, string>, Record<string, string>]>([
    [
      'declared anywhere',
      lines('ARG TAG=8.0', `FROM ${RUNTIME8}`, 'ARG NUGET_FEED'),
      { TAG: '10.0', NUGET_FEED: 'https://feed.example', UNUSED: 'x' },
      { TAG: '10.0', NUGET_FEED: 'https://feed.example' },
    ],
    ['none declared', `FROM ${RUNTIME8}`, { TAG: '10.0' }, {}],
    ['empty values pass', lines(`FROM ${RUNTIME8}`, 'ARG CREDPROVIDER_URL'), { CREDPROVIDER_URL: '' }, { CREDPROVIDER_URL: '' }],
    ['names are case-sensitive', lines(`FROM ${RUNTIME8}`, 'ARG tag'), { TAG: '10.0' }, {}],
  ])('%s', (_name, text, buildArgs, expected) => {
    expect(passedBuildArgs(parseDockerfile(text), buildArgs)).toEqual(expected);
  });
});

describe('overrideFrom, startsFrom and fromImages on real-world Dockerfiles', () => {
  it('replaces the aspnet FROM of the sample, sends the sdk FROM to the mirror, keeps the rest', () => {
    const out = overrideFrom(SAMPLE_ASPNETAPP, ASPNET8, 'platform-images/net8-aspnet:candidate-1', {
      'mcr.microsoft.com': 'http://localhost:5001',
    });
    expect(out.replaced).toBe(1);
    expect(out.text).toBe(
      SAMPLE_ASPNETAPP.replace(
        `FROM --platform=$BUILDPLATFORM ${SDK8} AS build`,
        'FROM --platform=$BUILDPLATFORM localhost:5001/dotnet/sdk:8.0 AS build',
      ).replace(`FROM ${ASPNET8}`, 'FROM platform-images/net8-aspnet:candidate-1'),
    );
  });

  it('never reads or rewrites a heredoc', () => {
    const text = lines(`FROM ${RUNTIME8}`, 'COPY <<EOF /Dockerfile.inner', `FROM ${RUNTIME8}`, 'from os import path', 'EOF');
    expect(fromImages(text)).toEqual([RUNTIME8]);
    expect(startsFrom(text, 'os')).toBe(false);
    expect(overrideFrom(text, RUNTIME8, 'candidate:1')).toEqual({
      replaced: 1,
      text: text.replace(`FROM ${RUNTIME8}\nCOPY`, 'FROM candidate:1\nCOPY'),
    });
  });

  it('follows the escape directive', () => {
    expect(fromImages(BACKTICK_ESCAPE)).toEqual([NANO_SDK, NANO_RUNTIME]);
    expect(startsFrom(BACKTICK_ESCAPE, NANO_RUNTIME)).toBe(true);
    expect(overrideFrom(BACKTICK_ESCAPE, NANO_RUNTIME, 'candidate:1')).toEqual({
      replaced: 1,
      text: BACKTICK_ESCAPE.replace(`FROM ${NANO_RUNTIME}`, 'FROM candidate:1'),
    });
  });

  it('keeps CRLF line endings', () => {
    const text = `FROM ${SDK8} AS build\r\nFROM ${ASPNET8}\r\n`;
    expect(overrideFrom(text, ASPNET8, 'candidate:1')).toEqual({ replaced: 1, text: `FROM ${SDK8} AS build\r\nFROM candidate:1\r\n` });
  });
});

describe('finalStageFrom', () => {
  const APP =
    'FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build\nRUN make\nFROM mcr.microsoft.com/dotnet/aspnet:8.0 AS final\nCOPY --from=build /app .\n';
  it.each([
    [APP, 'mcr.microsoft.com/dotnet/aspnet:8.0', true],
    [APP, 'mcr.microsoft.com/dotnet/sdk:8.0', false],
    // Through an earlier stage: the final stage builds on `base`, which starts FROM the image.
    ['FROM mcr.microsoft.com/dotnet/runtime:8.0 AS base\nFROM base AS final\n', 'mcr.microsoft.com/dotnet/runtime:8.0', true],
    ['FROM scratch\n', 'mcr.microsoft.com/dotnet/runtime:8.0', false],
    ['', 'mcr.microsoft.com/dotnet/runtime:8.0', false],
  ])('%j runs on %s: %s', (text, wanted, expected) => {
    expect(finalStageFrom(text, wanted)).toBe(expected);
  });
});

describe('buildStagesOn', () => {
  const APP = [
    'FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build',
    'RUN dotnet publish -o /app',
    'FROM --platform=linux/arm64 busybox AS tools',
    'FROM platform-images/net10-runtime/linux-arm64:candidate-1 AS final',
    'COPY --from=build /app .',
    '',
  ].join('\n');

  it('keeps the stages not FROM the candidate on the build platform, leaving a platform the file names', () => {
    expect(buildStagesOn(APP, 'platform-images/net10-runtime/linux-arm64:candidate-1', 'linux/amd64').split('\n')).toEqual([
      'FROM --platform=linux/amd64 mcr.microsoft.com/dotnet/sdk:10.0-noble AS build',
      'RUN dotnet publish -o /app',
      'FROM --platform=linux/arm64 busybox AS tools',
      'FROM platform-images/net10-runtime/linux-arm64:candidate-1 AS final',
      'COPY --from=build /app .',
      '',
    ]);
  });

  it('changes nothing when every stage starts FROM the candidate', () => {
    const text = 'FROM c:1 AS build\nFROM build\n';
    expect(buildStagesOn(text, 'c:1', 'linux/amd64')).toBe(text);
  });
});
