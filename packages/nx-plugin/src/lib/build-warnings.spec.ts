import { findBuildWarnings } from './build-warnings';

describe('findBuildWarnings', () => {
  it.each<[string, string, string[]]>([
    [
      'classic builder unused build-arg',
      '[Warning] One or more build-args [CREDPROVIDER_URL] were not consumed',
      ['[Warning] One or more build-args [CREDPROVIDER_URL] were not consumed'],
    ],
    [
      'BuildKit RUN output with step and time prefix',
      '#9 0.512 warning: the default locale is not set',
      ['warning: the default locale is not set'],
    ],
    ['BuildKit step prefix without time', '#9 warning: something odd', ['warning: something odd']],
    [
      'BuildKit WARN',
      "WARN: FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)",
      ["WARN: FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)"],
    ],
    [
      'BuildKit WARNING',
      "WARNING: The requested image's platform (linux/arm64) does not match the detected host platform",
      ["WARNING: The requested image's platform (linux/arm64) does not match the detected host platform"],
    ],
    [
      'BuildKit summary',
      " 1 warning found (use docker --debug to expand):\n - UndefinedVar: Usage of undefined variable '$FOO' (line 3)",
      ['1 warning found (use docker --debug to expand):'],
    ],
    ['BuildKit summary plural', '2 warnings found (use docker --debug to expand):', ['2 warnings found (use docker --debug to expand):']],
    [
      'MSBuild compiler warning',
      "Program.cs(3,5): warning CS0168: The variable 'x' is declared but never used",
      ["Program.cs(3,5): warning CS0168: The variable 'x' is declared but never used"],
    ],
    [
      'MSBuild warning inside BuildKit output',
      "#12 4.301 /src/Program.cs(3,5): warning CS0168: The variable 'x' is declared but never used [/src/WebApp.csproj]",
      ["/src/Program.cs(3,5): warning CS0168: The variable 'x' is declared but never used [/src/WebApp.csproj]"],
    ],
    [
      'NuGet warning',
      '/src/WebApp.csproj : warning NU1603: WebApp depends on X (>= 1.0.0) but X 1.0.0 was not found',
      ['/src/WebApp.csproj : warning NU1603: WebApp depends on X (>= 1.0.0) but X 1.0.0 was not found'],
    ],
    [
      'MSBuild warning without file',
      'warning MSB3277: Found conflicts between different versions',
      ['warning MSB3277: Found conflicts between different versions'],
    ],
    ['MSBuild summary with warnings', 'Build succeeded.\n    2 Warning(s)\n    0 Error(s)', ['2 Warning(s)']],
    [
      'npm warn',
      '#7 3.2 npm warn deprecated inflight@1.0.6: This module is not supported',
      ['npm warn deprecated inflight@1.0.6: This module is not supported'],
    ],
    ['MSBuild summary without warnings', 'Build succeeded.\n    0 Warning(s)\n    0 Error(s)', []],
    ['BuildKit zero warnings', '0 warnings found', []],
    [
      'classic builder deprecation notice',
      'DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n            Install the buildx component to build images with BuildKit:\n            https://docs.docker.com/go/buildx/',
      [],
    ],
    ['a RUN command mentioning warnings', '#10 [build 5/5] RUN dotnet publish WebApp.csproj -c Release -warnaserror', []],
    [
      'prose about warnings',
      '#11 0.9 Treating warnings as errors because of -warnaserror\nThis image prints no warnings at all\nStep 4/7 : RUN echo "warnings are errors"',
      [],
    ],
    ['warning not at the start', '#5 0.2 the word warning: appears mid-line', []],
    ['a warnings: heading', 'warnings: none', []],
    [
      'a plain successful build',
      'Step 1/3 : FROM mcr.microsoft.com/dotnet/runtime:6.0\n ---> 1a2b3c\nSuccessfully built 1a2b3c\nSuccessfully tagged x:y',
      [],
    ],
    ['debconf chatter', 'debconf: delaying package configuration, since apt-utils is not installed', []],
    ['CRLF output', '[Warning] a\r\nok\r\nWARN: b\r\n', ['[Warning] a', 'WARN: b']],
    ['empty output', '', []],
  ])('%s', (_name, output, expected) => {
    expect(findBuildWarnings(output)).toEqual(expected);
  });

  it('keeps every warning, in order, across a long log', () => {
    const output = [
      '#1 [internal] load build definition',
      '#9 0.512 warning: first',
      'Step 2/2 : RUN x',
      '[Warning] second',
      ' 1 warning found',
    ].join('\n');
    expect(findBuildWarnings(output)).toEqual(['warning: first', '[Warning] second', '1 warning found']);
  });

  it('drops warnings matching an ignore pattern', () => {
    const output = [
      'WARN: FromAsCasing: casing do not match',
      'WARN: UndefinedVar: Usage of undefined variable',
      '#4 0.1 warning: kept',
    ].join('\n');
    expect(findBuildWarnings(output, [/FromAsCasing/])).toEqual(['WARN: UndefinedVar: Usage of undefined variable', 'warning: kept']);
  });

  it('matches ignore patterns against the line without the BuildKit prefix', () => {
    expect(findBuildWarnings('#9 0.512 warning: known noise', [/^warning: known/])).toEqual([]);
  });
});
