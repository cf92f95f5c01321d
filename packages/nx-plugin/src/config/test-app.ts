/** The test app an image's integration test runs: its folder, its test-app.json, and the request it answers. */
import * as path from 'node:path';
import { ConfigError } from '../types/errors';
import { TEST_APP_FILE } from '../types/workspace';
import type { ConfigFiles } from './json';
import type { TestAppSettings } from './settings';
import { Fields } from './validate';

/** The longest an integration test may wait for its answer (test-app.json, or the executor option). */
export const MAX_TEST_TIMEOUT_SECONDS = 3600;

/** `./integration-tests/net6/` and `integration-tests/net6` name the same test app. */
export function normalizeAppPath(app: string): string {
  return path.posix.normalize(app.replace(/\\/g, '/')).replace(/^\.\//, '').replace(/\/+$/, '');
}

/** The test app in `appDir`, named by `referencedFrom` (the file and field that chose it) when it is missing. */
export function readTestApp(
  files: ConfigFiles,
  workspaceRoot: string,
  appDir: string,
  referencedFrom: { file: string; field: string },
): TestAppSettings {
  const dir = path.resolve(workspaceRoot, appDir);
  const configFile = path.join(appDir, TEST_APP_FILE);
  if (!files.exists(path.join(dir, TEST_APP_FILE))) {
    throw new ConfigError(
      referencedFrom.file,
      referencedFrom.field,
      `test app "${appDir}" has no ${TEST_APP_FILE}`,
      `point it at a folder holding the test app's Dockerfile and ${TEST_APP_FILE}`,
    );
  }
  const fields = Fields.root(configFile, files.readJson(path.join(dir, TEST_APP_FILE), configFile));
  fields.allowOnly(['dockerfile', 'context', 'port', 'request', 'expectStatus', 'timeoutSeconds']);
  const dockerfile = path.resolve(dir, fields.string('dockerfile') ?? 'Dockerfile');
  if (!files.exists(dockerfile))
    fields.fail(
      'dockerfile',
      `${path.relative(workspaceRoot, dockerfile)} does not exist`,
      `add the test app's Dockerfile, or set "dockerfile" (relative to ${appDir})`,
    );
  const request = fields.object('request')?.allowOnly(['method', 'path', 'headers', 'body']);
  const body = request?.value.body;
  return {
    dir,
    configFile,
    dockerfile,
    context: path.resolve(dir, fields.string('context') ?? '.'),
    port: fields.number('port', {
      min: 1,
      max: 65535,
      integer: true,
      whenLeftOut: 'to probe the port the image configures (ASPNETCORE_HTTP_PORTS)',
    }),
    request: {
      method: request?.oneOf('method', ['GET', 'POST', 'PUT', 'HEAD'] as const) ?? 'GET',
      path: request?.string('path', { pattern: /^\//, patternHint: 'start the path with /' }) ?? '/',
      headers: request?.stringMap('headers') ?? {},
      body: body === undefined || body === null ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    },
    expectStatus: fields.number('expectStatus', { min: 100, max: 599, integer: true, default: 200 })!,
    timeoutSeconds: fields.number('timeoutSeconds', { min: 1, max: MAX_TEST_TIMEOUT_SECONDS, default: 60 })!,
  };
}
