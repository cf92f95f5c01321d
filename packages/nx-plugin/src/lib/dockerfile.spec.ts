import { finalBaseImage, fromImages, fromMatches, overrideFrom, parseDockerfile, pinBaseImage, startsFrom } from './dockerfile';

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
    ['ARG referring to an earlier ARG', lines('ARG TAG=6.0-bullseye-slim', 'ARG BASE=mcr.microsoft.com/dotnet/runtime:${TAG}', 'FROM $BASE'), RUNTIME],
    ['${NAME:-default} with the ARG undeclared', lines('FROM ${BASE:-' + RUNTIME + '}'), RUNTIME],
    ['${NAME:-default} with the ARG declared without value', lines('ARG BASE', 'FROM ${BASE:-' + RUNTIME + '}'), RUNTIME],
    ['${NAME:-default} with the ARG set', lines(`ARG BASE=${SDK}`, 'FROM ${BASE:-' + RUNTIME + '}'), SDK],
    ['${NAME:+alt} with the ARG set', lines('ARG SUFFIX=1', 'FROM mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim${SUFFIX:+}'), RUNTIME],
    ['multi-stage, last stage wins', lines(`FROM ${SDK} AS build`, 'RUN make', `FROM ${RUNTIME} AS final`, 'COPY --from=build /a /a'), RUNTIME],
    ['final stage FROM an earlier stage', lines(`FROM ${RUNTIME} AS base`, 'RUN setup', `FROM ${SDK} AS build`, 'FROM base AS final'), RUNTIME],
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
    ['ARG inside a stage does not affect the next FROM', lines(`ARG BASE=${RUNTIME}`, `FROM ${SDK}`, `ARG BASE=${SDK}`, 'FROM $BASE'), RUNTIME],
    ['CRLF line endings', `FROM ${SDK} AS build\r\nFROM ${RUNTIME}\r\n`, RUNTIME],
  ])('%s', (_name, text, image) => {
    expect(finalBaseImage(parseDockerfile(text)).image).toBe(image);
  });

  it.each<[string, string, RegExp]>([
    ['ARG without default', lines('ARG BASE', 'FROM ${BASE}'), /^FROM \$\{BASE\} uses ARG BASE which has no default value \(line 2\); declare ARG BASE=<image> before the first FROM$/],
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
    const parsed = parseDockerfile(lines(
      'ARG BASE=' + SDK,
      'ARG CREDPROVIDER_URL',
      'FROM --platform=linux/amd64 \\',
      '  ${BASE} AS build',
      'ARG CONFIGURATION=Release NUGET_FEED',
      'FROM base',
    ));
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
  it('rewrites only the final base stage and keeps its flags and name', () => {
    const source = lines(
      `FROM --platform=linux/amd64 ${RUNTIME} AS base`,
      'RUN groupadd app',
      `FROM ${SDK} AS build`,
      'RUN dotnet publish',
      'FROM base AS final',
      'COPY --from=build /out /app',
    );
    expect(pinBaseImage(source, PINNED)).toBe(lines(
      `FROM --platform=linux/amd64 ${PINNED} AS base`,
      'RUN groupadd app',
      `FROM ${SDK} AS build`,
      'RUN dotnet publish',
      'FROM base AS final',
      'COPY --from=build /out /app',
    ));
  });

  it('replaces an ARG-defaulted FROM with the literal pinned image', () => {
    expect(pinBaseImage(lines(`ARG BASE=${RUNTIME}`, 'FROM ${BASE}', 'USER app'), PINNED)).toBe(lines(`ARG BASE=${RUNTIME}`, `FROM ${PINNED}`, 'USER app'));
  });

  it('collapses a continued FROM onto its first line, keeping the line count', () => {
    const source = lines('FROM \\', `  ${RUNTIME} \\`, '  AS base', 'WORKDIR /app');
    const pinned = pinBaseImage(source, PINNED);
    expect(pinned).toBe(lines(`FROM ${PINNED} AS base`, '', '', 'WORKDIR /app'));
    expect(pinned.split('\n')).toHaveLength(source.split('\n').length);
  });

  it('blanks every physical line of a continued FROM, including empty ones', () => {
    expect(pinBaseImage(lines('FROM \\', '', `  ${RUNTIME}`, 'USER app'), PINNED)).toBe(lines(`FROM ${PINNED}`, '', '', 'USER app'));
  });

  it('leaves a single-stage file otherwise byte for byte the same', () => {
    const source = lines('# syntax=docker/dockerfile:1', `FROM ${RUNTIME}`, '', '# comment', 'RUN echo "FROM x"', 'ENV A=1', '');
    expect(pinBaseImage(source, PINNED)).toBe(source.replace(`FROM ${RUNTIME}`, `FROM ${PINNED}`));
  });

  it('fails like finalBaseImage when there is no base to pin', () => {
    expect(() => pinBaseImage('FROM scratch', PINNED)).toThrow(/scratch/);
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
  const testApp = lines(
    `FROM ${SDK} AS build`,
    'RUN dotnet publish',
    '',
    `FROM ${RUNTIME} AS final`,
    'COPY --from=build /app/publish .',
  );

  it('replaces the FROM naming the configured image, keeping its stage name', () => {
    const out = overrideFrom(testApp, RUNTIME, 'platform-images/net6-runtime:candidate-1');
    expect(out).toEqual({
      replaced: 1,
      text: lines(`FROM ${SDK} AS build`, 'RUN dotnet publish', '', 'FROM platform-images/net6-runtime:candidate-1 AS final', 'COPY --from=build /app/publish .'),
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
      text: lines('FROM localhost:5001/dotnet/sdk:6.0-bullseye-slim AS build', 'RUN dotnet publish', '', 'FROM candidate:1 AS final', 'COPY --from=build /app/publish .'),
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
    expect(overrideFrom(source, RUNTIME, 'candidate:1')).toEqual({ replaced: 1, text: lines(`ARG BASE=${RUNTIME}`, 'FROM --platform=linux/amd64 candidate:1 AS final') });
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
    const text = lines('ARG X', 'FROM ${X} AS a', 'FROM scratch AS b', `FROM ${SDK} AS build`, `FROM ${RUNTIME}`, `FROM ${SDK} AS again`, 'FROM build');
    expect(fromImages(text)).toEqual([SDK, RUNTIME]);
  });
});
