/**
 * What a .NET platform image promises the applications built on it, read from the image's configuration, and
 * the pure decisions the integration test makes about them: the port a web server listens on, the user the
 * application runs as, and the .NET versions inside.
 */

/** `Config.Env` of an image (`KEY=value` lines) as a map; later lines win, as in Docker. */
export function envMap(lines: readonly string[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines ?? []) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

export interface ConfiguredPort {
  port: number;
  /** The variable that set it, for messages. */
  source: 'ASPNETCORE_URLS' | 'ASPNETCORE_HTTP_PORTS';
}

/**
 * The HTTP port the image tells a web server to listen on. ASP.NET Core binds to ASPNETCORE_URLS when it is
 * set and otherwise to ASPNETCORE_HTTP_PORTS, a `;`-separated list of ports that the .NET 8+ images set to 8080
 * (runtime-deps Dockerfiles in github.com/dotnet/dotnet-docker). With both set, ASP.NET Core logs
 * "Overriding HTTP_PORTS '8080' and HTTPS_PORTS ''. Binding to values defined by URLS instead …"
 * (Microsoft.AspNetCore.Hosting.Diagnostics, event 15). The first http:// entry counts; undefined when the
 * image configures neither.
 */
export function configuredPort(env: Record<string, string>): ConfiguredPort | undefined {
  const urls = env.ASPNETCORE_URLS?.trim();
  if (urls) {
    for (const url of urls.split(';')) {
      const m = /^http:\/\/[^/]*?:(\d+)\/?$/i.exec(url.trim());
      if (m) return { port: Number(m[1]), source: 'ASPNETCORE_URLS' };
      // http://host without a port is 80.
      if (/^http:\/\/[^/:]+\/?$/i.test(url.trim())) return { port: 80, source: 'ASPNETCORE_URLS' };
    }
  }
  const ports = env.ASPNETCORE_HTTP_PORTS?.trim();
  if (ports) {
    const first = Number(ports.split(/[;,]/)[0].trim());
    if (Number.isInteger(first) && first > 0 && first < 65536) return { port: first, source: 'ASPNETCORE_HTTP_PORTS' };
  }
  return undefined;
}

/** The user an image's `Config.User` names: root (or nothing set), a numeric uid, or a name to look up. */
export type ImageUser = { kind: 'root' } | { kind: 'uid'; uid: number; spec: string } | { kind: 'name'; name: string; spec: string };

/** Docker reads USER as `user[:group]`, either part a name or a number (Dockerfile reference, USER). */
export function imageUser(spec: string | undefined): ImageUser {
  const user = (spec ?? '').trim().split(':')[0];
  if (user === '' || user === 'root' || user === '0') return { kind: 'root' };
  return /^\d+$/.test(user) ? { kind: 'uid', uid: Number(user), spec: spec!.trim() } : { kind: 'name', name: user, spec: spec!.trim() };
}

/** The uid /etc/passwd gives `name`, or undefined. */
export function uidFromPasswd(passwd: string, name: string): number | undefined {
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name && /^\d+$/.test(fields[2] ?? '')) return Number(fields[2]);
  }
  return undefined;
}

export interface ContainerProcess {
  pid: string;
  uid: number;
  command: string;
}

/** `docker top <id> -o pid,uid,args`: a header line, then one process per line. */
export function parseTop(output: string): ContainerProcess[] {
  return output
    .split('\n')
    .slice(1)
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: m[1], uid: Number(m[2]), command: m[3].trim() }));
}

/** The processes that run as another uid than the image's user. */
export function processesNotAs(processes: readonly ContainerProcess[], uid: number): ContainerProcess[] {
  return processes.filter((p) => p.uid !== uid);
}

/** The runtimes an image declares through the variables Microsoft's images set. */
export function declaredRuntimes(env: Record<string, string>): Array<{ name: string; version: string; variable: string }> {
  const out: Array<{ name: string; version: string; variable: string }> = [];
  if (env.DOTNET_VERSION) out.push({ name: 'Microsoft.NETCore.App', version: env.DOTNET_VERSION, variable: 'DOTNET_VERSION' });
  if (env.ASPNET_VERSION) out.push({ name: 'Microsoft.AspNetCore.App', version: env.ASPNET_VERSION, variable: 'ASPNET_VERSION' });
  return out;
}

/** `dotnet --list-runtimes`: `Microsoft.NETCore.App 8.0.31 [/usr/share/dotnet/shared/Microsoft.NETCore.App]` per line. */
export function parseListRuntimes(output: string): Array<{ name: string; version: string }> {
  return output
    .split('\n')
    .map((line) => /^(\S+)\s+(\d+\.\d+\.\d+\S*)\s+\[/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1], version: m[2] }));
}

/** The declared runtimes that `dotnet --list-runtimes` does not list. */
export function missingRuntimes(
  declared: ReturnType<typeof declaredRuntimes>,
  listed: ReturnType<typeof parseListRuntimes>,
): ReturnType<typeof declaredRuntimes> {
  return declared.filter((d) => !listed.some((l) => l.name === d.name && l.version === d.version));
}
