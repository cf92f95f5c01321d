/**
 * Real Dockerfiles end to end: the base a build arg chooses, under the escape directive and behind a
 * tools stage, is the base that is checked, built and recorded (the tools stage pulled through the mirror
 * too), and a changed value of a build arg the Dockerfile declares rebuilds the image, naming the arg and
 * never its value.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createWorkspace, ecrTags, editJson, expectOk, labelsOf, nx, recordsOf, upstreamDigest, type Workspace } from './support';
import type { ImageFile } from './json-files';

jest.setTimeout(15 * 60_000);

let ws: Workspace;
let repository: string;
const DOCKERFILE = 'platform-images/net8/runtime/Dockerfile';
const SECRET_PATH = 'feed-token-3f9a';

beforeAll(() => {
  ws = createWorkspace(['net8/runtime']);
  repository = `${ws.prefix}/runtime`;
  // Written for Windows habits, as real ones are: the backtick escape directive, and a path ending in a
  // backslash that, under it, continues nothing. A tools stage on another image, through the same mirror.
  writeFileSync(
    path.join(ws.root, DOCKERFILE),
    [
      '# escape=`',
      'ARG TAG=8.0-bookworm-slim',
      'FROM mcr.microsoft.com/dotnet/sdk:${TAG} AS tools',
      'RUN echo C:\\tools\\ > /tools-path',
      'FROM mcr.microsoft.com/dotnet/runtime:${TAG}',
      'COPY --from=tools /tools-path /tools-path',
      'ARG FEED_URL=https://feed.example/default',
      'RUN echo "$FEED_URL" | wc -c > /feed-url-length',
      'WORKDIR /app',
      'USER $APP_UID',
      '',
    ].join('\n'),
  );
  editJson(ws.root, 'platform-images/net8/runtime/platform-image.json', (c: ImageFile) => {
    c.buildArgs = { TAG: '10.0-noble', FEED_URL: `https://feed.example/${SECRET_PATH}/v1`, NOT_DECLARED: 'ignored' };
  });
});

afterAll(() => ws?.dispose());

test('a build arg that chooses the base, under the escape directive: that base is checked, built on and recorded', () => {
  const run = nx(ws, ['run', 'net8-runtime:publish']);
  expectOk(run);
  const noble = 'mcr.microsoft.com/dotnet/runtime:10.0-noble';
  expect(recordsOf(ws, 'net8/runtime').read('mcr-check')).toMatchObject({
    stale: true,
    reason: 'nothing-published',
    base: { name: noble, digest: upstreamDigest('dotnet/runtime:10.0-noble') },
  });
  const labels = labelsOf(repository, '8.0-bookworm-slim-1.0.0');
  expect(labels['org.opencontainers.image.base.name']).toBe(noble);
  expect(labels['org.opencontainers.image.base.digest']).toBe(upstreamDigest('dotnet/runtime:10.0-noble'));
  // What was built really is .NET 10's stand-in, not 8's (its label passes to images built FROM it).
  expect(labels['local-stack.stand-in-for']).toBe(noble);
  expect(labels['io.platform-images.build-args']).toMatch(/^\{"FEED_URL":"sha256:[0-9a-f]{64}","TAG":"sha256:[0-9a-f]{64}"\}$/);
  expect(run.output).not.toContain(SECRET_PATH);
});

test('a changed value of a declared build arg rebuilds, naming the arg; an undeclared one changes nothing', () => {
  editJson(ws.root, 'platform-images/net8/runtime/platform-image.json', (c: ImageFile) => {
    c.buildArgs!.NOT_DECLARED = 'changed';
  });
  const unchanged = nx(ws, ['run', 'net8-runtime:publish', '--skip-nx-cache']);
  expectOk(unchanged);
  const current = recordsOf(ws, 'net8/runtime').read('mcr-check');
  expect({ stale: current.stale, versionTag: current.published?.versionTag }).toEqual({
    stale: false,
    versionTag: '8.0-bookworm-slim-1.0.0',
  });

  editJson(ws.root, 'platform-images/net8/runtime/platform-image.json', (c: ImageFile) => {
    c.buildArgs!.FEED_URL = `https://feed.example/${SECRET_PATH}/v2`;
  });
  const changed = nx(ws, ['run', 'net8-runtime:publish', '--skip-nx-cache']);
  expectOk(changed);
  const check = recordsOf(ws, 'net8/runtime').read('mcr-check');
  expect(check).toMatchObject({ stale: true, reason: 'build-args-changed' });
  expect(check.message).toMatch(/^build arg FEED_URL changed since 8\.0-bookworm-slim-1\.0\.0/);
  expect(JSON.stringify(check)).not.toContain(SECRET_PATH);
  expect(ecrTags(repository).filter((t) => /^8\.0-bookworm-slim-\d/.test(t))).toEqual([
    '8.0-bookworm-slim-1.0.0',
    '8.0-bookworm-slim-1.1.0',
  ]);
  expect(changed.output).not.toContain(SECRET_PATH);
});
