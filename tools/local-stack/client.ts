/**
 * What the end-to-end suites and the benchmark need to talk to the local stack: the environment of a local
 * run (as env.sh prints it, plus the nx settings the scripts use) and the stand-ins' control calls.
 */
import { request } from 'node:http';

export const REGION = 'eu-west-1';

export const LOCAL_ENV: Record<string, string> = {
  AWS_ACCESS_KEY_ID: 'local-stack',
  AWS_SECRET_ACCESS_KEY: 'local-stack-secret',
  AWS_REGION: REGION,
  PLATFORM_IMAGES_PROFILE: 'local',
  NX_DAEMON: 'false',
  NX_ISOLATE_PLUGINS: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
};

/**
 * A control call (`/__faults`, `/__stats`, `/__history`, `/cards`) on a stand-in's port, answering the body
 * as text; an answer of 300 or more is an error. One connection per call: between calls a suite waits on nx
 * runs far longer than a service keeps an idle connection, and a pooled socket it already closed would fail.
 */
export function stackCall(port: number, method: string, pathname: string, body?: unknown): Promise<string> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const headers = payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {};
    const req = request({ host: '127.0.0.1', port, method, path: pathname, agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        (res.statusCode ?? 0) >= 300
          ? reject(new Error(`${method} ${pathname} on port ${port} answered ${res.statusCode}: ${text}`))
          : resolve(text),
      );
    });
    req.on('error', reject);
    req.end(payload);
  });
}
