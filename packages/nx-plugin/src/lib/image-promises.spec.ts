import {
  configuredPort,
  declaredRuntimes,
  envMap,
  imageUser,
  missingRuntimes,
  parseListRuntimes,
  parseTop,
  processesNotAs,
  uidFromPasswd,
} from './image-promises';

describe('envMap', () => {
  it('reads KEY=value lines, values may hold =, later lines win', () => {
    expect(envMap(['A=1', 'B=x=y', 'A=2', 'NOEQUALS', '=bad'])).toEqual({ A: '2', B: 'x=y' });
    expect(envMap(null)).toEqual({});
  });
});

describe('configuredPort', () => {
  it.each([
    [{ ASPNETCORE_HTTP_PORTS: '8080' }, { port: 8080, source: 'ASPNETCORE_HTTP_PORTS' }],
    [{ ASPNETCORE_HTTP_PORTS: '8081;8082' }, { port: 8081, source: 'ASPNETCORE_HTTP_PORTS' }],
    [{ ASPNETCORE_URLS: 'http://+:80' }, { port: 80, source: 'ASPNETCORE_URLS' }],
    // URLS wins over HTTP_PORTS, as ASP.NET Core does.
    [
      { ASPNETCORE_URLS: 'http://+:8080', ASPNETCORE_HTTP_PORTS: '9000' },
      { port: 8080, source: 'ASPNETCORE_URLS' },
    ],
    [{ ASPNETCORE_URLS: 'https://+:443;http://*:5000/' }, { port: 5000, source: 'ASPNETCORE_URLS' }],
    [{ ASPNETCORE_URLS: 'http://localhost' }, { port: 80, source: 'ASPNETCORE_URLS' }],
    [
      { ASPNETCORE_URLS: 'https://+:443', ASPNETCORE_HTTP_PORTS: '8080' },
      { port: 8080, source: 'ASPNETCORE_HTTP_PORTS' },
    ],
    [{ ASPNETCORE_HTTP_PORTS: 'eighty' }, undefined],
    [{ ASPNETCORE_HTTP_PORTS: '' }, undefined],
    [{}, undefined],
  ])('%j → %j', (env, expected) => {
    expect(configuredPort(env as Record<string, string>)).toEqual(expected);
  });
});

describe('imageUser', () => {
  it.each([
    ['', { kind: 'root' }],
    [undefined, { kind: 'root' }],
    ['root', { kind: 'root' }],
    ['0:0', { kind: 'root' }],
    ['1654', { kind: 'uid', uid: 1654, spec: '1654' }],
    ['1654:1654', { kind: 'uid', uid: 1654, spec: '1654:1654' }],
    ['devsecops', { kind: 'name', name: 'devsecops', spec: 'devsecops' }],
    ['app:app', { kind: 'name', name: 'app', spec: 'app:app' }],
  ])('%j → %j', (spec, expected) => {
    expect(imageUser(spec)).toEqual(expected);
  });
});

describe('uidFromPasswd', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\napp:x:1654:1654::/home/app:/bin/sh\nbroken:x:nope:1::/:/bin/sh\n';
  it.each([
    ['app', 1654],
    ['root', 0],
    ['broken', undefined],
    ['nobody', undefined],
  ])('%s → %s', (name, uid) => {
    expect(uidFromPasswd(passwd, name)).toBe(uid);
  });
});

describe('parseTop and processesNotAs', () => {
  const top =
    'PID                 UID                 COMMAND\n2756                1654                dotnet WebApp.dll\n2790                0                   /bin/sh -c sleep 1\n';
  it('reads pid, uid and the command line of every process', () => {
    expect(parseTop(top)).toEqual([
      { pid: '2756', uid: 1654, command: 'dotnet WebApp.dll' },
      { pid: '2790', uid: 0, command: '/bin/sh -c sleep 1' },
    ]);
  });
  it('names the processes running as another user', () => {
    expect(processesNotAs(parseTop(top), 1654).map((p) => p.pid)).toEqual(['2790']);
    expect(processesNotAs(parseTop(top).slice(0, 1), 1654)).toEqual([]);
  });
});

describe('declared and listed runtimes', () => {
  const listed = parseListRuntimes(
    'Microsoft.AspNetCore.App 8.0.31 [/usr/share/dotnet/shared/Microsoft.AspNetCore.App]\nMicrosoft.NETCore.App 8.0.31 [/usr/share/dotnet/shared/Microsoft.NETCore.App]\n',
  );
  it('parses dotnet --list-runtimes', () => {
    expect(listed).toEqual([
      { name: 'Microsoft.AspNetCore.App', version: '8.0.31' },
      { name: 'Microsoft.NETCore.App', version: '8.0.31' },
    ]);
  });
  it.each([
    [{ DOTNET_VERSION: '8.0.31', ASPNET_VERSION: '8.0.31' }, []],
    [{ DOTNET_VERSION: '8.0.31' }, []],
    [{ DOTNET_VERSION: '8.0.30', ASPNET_VERSION: '8.0.31' }, ['DOTNET_VERSION']],
    [{ DOTNET_VERSION: '10.0.12', ASPNET_VERSION: '10.0.12' }, ['DOTNET_VERSION', 'ASPNET_VERSION']],
    [{}, []],
  ])('declared %j, missing %j', (env, missing) => {
    expect(missingRuntimes(declaredRuntimes(env), listed).map((r) => r.variable)).toEqual(missing);
  });
});
