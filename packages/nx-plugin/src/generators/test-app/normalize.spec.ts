import { defaultTag } from '../dotnet-line';
import { GeneratorInputError, KINDS, normalizeOptions, type NormalizedOptions } from './normalize';
import type { TestAppGeneratorSchema } from './schema';

describe('normalizeOptions', () => {
  test.each<[string, TestAppGeneratorSchema, Partial<NormalizedOptions>]>([
    [
      'net8, every default: the ASP.NET Core app on Debian 12',
      { dotnet: 'net8' },
      {
        dotnet: 'net8',
        major: 8,
        kind: 'aspnet',
        directory: 'integration-tests/net8',
        baseTag: '8.0-bookworm-slim',
        targetFramework: 'net8.0',
        sdkImage: 'mcr.microsoft.com/dotnet/sdk:8.0-bookworm-slim',
        finalImage: 'mcr.microsoft.com/dotnet/aspnet:8.0-bookworm-slim',
        project: 'WebApp',
      },
    ],
    [
      'net10, every default: Ubuntu 24.04',
      { dotnet: 'net10' },
      {
        dotnet: 'net10',
        major: 10,
        kind: 'aspnet',
        directory: 'integration-tests/net10',
        baseTag: '10.0-noble',
        targetFramework: 'net10.0',
        sdkImage: 'mcr.microsoft.com/dotnet/sdk:10.0-noble',
        finalImage: 'mcr.microsoft.com/dotnet/aspnet:10.0-noble',
        project: 'WebApp',
      },
    ],
    [
      'net8 runtime: its own folder, the runtime image',
      { dotnet: 'net8', kind: 'runtime' },
      {
        kind: 'runtime',
        directory: 'integration-tests/net8-runtime',
        targetFramework: 'net8.0',
        sdkImage: 'mcr.microsoft.com/dotnet/sdk:8.0-bookworm-slim',
        finalImage: 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim',
        project: 'RuntimeApp',
      },
    ],
    [
      'net10 runtime',
      { dotnet: 'net10', kind: 'runtime' },
      {
        directory: 'integration-tests/net10-runtime',
        sdkImage: 'mcr.microsoft.com/dotnet/sdk:10.0-noble',
        finalImage: 'mcr.microsoft.com/dotnet/runtime:10.0-noble',
        project: 'RuntimeApp',
      },
    ],
    [
      'a new line, its tag given',
      { dotnet: 'net11', baseTag: '11.0-noble' },
      {
        dotnet: 'net11',
        major: 11,
        directory: 'integration-tests/net11',
        baseTag: '11.0-noble',
        targetFramework: 'net11.0',
        sdkImage: 'mcr.microsoft.com/dotnet/sdk:11.0-noble',
        finalImage: 'mcr.microsoft.com/dotnet/aspnet:11.0-noble',
      },
    ],
    [
      'another OS of a known line',
      { dotnet: 'net8', kind: 'runtime', baseTag: '8.0-alpine' },
      { baseTag: '8.0-alpine', finalImage: 'mcr.microsoft.com/dotnet/runtime:8.0-alpine' },
    ],
    ['a patch tag', { dotnet: 'net10', baseTag: '10.0.1-noble' }, { sdkImage: 'mcr.microsoft.com/dotnet/sdk:10.0.1-noble' }],
    ['a folder of its own, written loosely', { dotnet: 'net10', name: './integration-tests/api/' }, { directory: 'integration-tests/api' }],
    [
      'answers padded or left empty at a prompt',
      { dotnet: ' net10 ', kind: ' ', name: '', baseTag: ' ' },
      { dotnet: 'net10', kind: 'aspnet', directory: 'integration-tests/net10', baseTag: '10.0-noble' },
    ],
  ])('%s', (_name, answers, expected) => {
    expect(normalizeOptions(answers)).toMatchObject(expected);
  });

  test('the default tag of a line is the one the platform-image generator derives for its images', () => {
    expect([8, 9, 10, 11].map(defaultTag)).toEqual(['8.0-bookworm-slim', '9.0-bookworm-slim', '10.0-noble', '11.0-noble']);
    expect(normalizeOptions({ dotnet: 'net11' })).toMatchObject({
      baseTag: '11.0-noble',
      sdkImage: 'mcr.microsoft.com/dotnet/sdk:11.0-noble',
    });
    expect(normalizeOptions({ dotnet: 'net9', kind: 'runtime' })).toMatchObject({
      baseTag: '9.0-bookworm-slim',
      finalImage: 'mcr.microsoft.com/dotnet/runtime:9.0-bookworm-slim',
    });
    expect(KINDS).toEqual(['aspnet', 'runtime']);
  });
});

describe('bad answers: the message names the option, what is wrong and the fix', () => {
  test.each<[string, TestAppGeneratorSchema, string]>([
    ['no .NET line', { dotnet: '' }, '--dotnet: "" is not a .NET version folder name\n  fix: write net<major>, e.g. net8 or net10'],
    ['a version number', { dotnet: '10' }, '--dotnet: "10" is not a .NET version folder name\n  fix: write net<major>, e.g. net8 or net10'],
    [
      'a target framework',
      { dotnet: 'net10.0' },
      '--dotnet: "net10.0" is not a .NET version folder name\n  fix: write net<major>, e.g. net8 or net10',
    ],
    [
      'a leading zero',
      { dotnet: 'net08' },
      '--dotnet: "net08" is not a .NET version folder name\n  fix: write net<major>, e.g. net8 or net10',
    ],
    [
      'a line before .NET 8',
      { dotnet: 'net6' },
      '--dotnet: "net6" is older than the .NET 8 these test apps need (ASPNETCORE_HTTP_PORTS, the images\' non-root user)\n  fix: write net8 or later; an older line keeps a test app of its own, as integration-tests/net6 is',
    ],
    [
      'an unknown kind',
      { dotnet: 'net10', kind: 'sdk' },
      '--kind: "sdk" is not a kind of test app\n  fix: write aspnet (an ASP.NET Core Web API, for the aspnet and sdk images) or runtime (an HttpListener app on the base runtime, for the runtime images)',
    ],
    [
      'a tag of another line',
      { dotnet: 'net10', baseTag: '8.0-bookworm-slim' },
      '--baseTag: "8.0-bookworm-slim" is .NET 8, not net10\n  fix: use a 10.0 tag, or --dotnet=net8',
    ],
    [
      'a tag without a version',
      { dotnet: 'net10', baseTag: 'noble' },
      '--baseTag: "noble" does not start with a .NET version\n  fix: Microsoft tags its .NET images <major>.0-<os>: write e.g. 10.0-noble',
    ],
    [
      'latest',
      { dotnet: 'net10', baseTag: 'latest' },
      '--baseTag: "latest" does not start with a .NET version\n  fix: Microsoft tags its .NET images <major>.0-<os>: write e.g. 10.0-noble',
    ],
    [
      'not a tag',
      { dotnet: 'net10', baseTag: '10.0 noble' },
      '--baseTag: "10.0 noble" is not a valid Docker tag\n  fix: use letters, digits, ".", "_" and "-", e.g. 10.0-noble',
    ],
    [
      'a whole image',
      { dotnet: 'net10', baseTag: 'mcr.microsoft.com/dotnet/sdk:10.0-noble' },
      '--baseTag: "mcr.microsoft.com/dotnet/sdk:10.0-noble" is not a valid Docker tag\n  fix: use letters, digits, ".", "_" and "-", e.g. 10.0-noble',
    ],
    [
      'a chiseled tag',
      { dotnet: 'net8', baseTag: '8.0-jammy-chiseled' },
      '--baseTag: "8.0-jammy-chiseled" is a chiseled tag, and there is no sdk image for the build stage under it\n  fix: use the tag of the same OS with a shell, e.g. 8.0-noble, and point a chiseled platform image\'s replaceFrom at that image',
    ],
    [
      'a folder outside the workspace',
      { dotnet: 'net10', name: '../elsewhere' },
      '--name: "../elsewhere" is not a folder inside the workspace\n  fix: name it relative to the workspace root, e.g. integration-tests/net10',
    ],
    [
      'an absolute folder',
      { dotnet: 'net10', name: '/tmp/app' },
      '--name: "/tmp/app" is not a folder inside the workspace\n  fix: name it relative to the workspace root, e.g. integration-tests/net10',
    ],
    [
      'the workspace itself',
      { dotnet: 'net10', name: '.' },
      '--name: "." is not a folder inside the workspace\n  fix: name it relative to the workspace root, e.g. integration-tests/net10',
    ],
  ])('%s', (_name, answers, message) => {
    let error: unknown;
    try {
      normalizeOptions(answers);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GeneratorInputError);
    expect((error as Error).message).toBe(message);
  });
});
