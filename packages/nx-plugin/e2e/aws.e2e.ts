/**
 * How real AWS differs from a single-account, single-endpoint picture, run end to end against the local
 * stack, whose stand-ins behave as AWS does at each point (see tools/local-stack/ecr-stand-in.ts, sts.ts):
 * repositories in another account on their own registry host, STS on its own endpoint, the SDK's standard
 * per-service endpoint variables, and credentials that expire while a run is still going.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  awsEcr,
  cardFact,
  cards,
  createWorkspace,
  ecrTags,
  editJson,
  expectOk,
  nx,
  OTHER_ACCOUNT,
  recordsOf,
  requestStats,
  sessionCredentials,
  withEcrAuthFile,
  type Workspace,
} from './support';
import type { DescribedImages, ImageFile, NxJsonFile } from './json-files';

jest.setTimeout(15 * 60_000);

const VERSION = /^6\.0-bullseye-slim-\d+\.\d+\.\d+$/;

/** What the ECR API holds in another account, read with Debian's awscli (an independent client). */
function otherAccountTags(repository: string): string[] {
  const result = awsEcr(['describe-images', '--registry-id', OTHER_ACCOUNT.id, '--repository-name', repository, '--output', 'json']);
  if (result.status !== 0) throw new Error(`aws ecr describe-images --registry-id ${OTHER_ACCOUNT.id} failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as DescribedImages).imageDetails.flatMap((i) => i.imageTags ?? []).sort();
}

describe('a repository in another account', () => {
  let ws: Workspace;
  let repository: string;

  beforeAll(() => {
    ws = createWorkspace(['net6/runtime']);
    repository = `${ws.prefix}/runtime`;
    editJson(ws.root, 'platform-images/net6/runtime/platform-image.json', (c: ImageFile) => {
      c.aws = { account: OTHER_ACCOUNT.id };
    });
  });
  afterAll(() => ws?.dispose());

  test("is published on that account's registry host, logged in there with the token GetAuthorizationToken gave", async () => {
    const run = nx(ws, ['run', 'net6-runtime:publish']);
    expectOk(run);
    expect(recordsOf(ws, 'net6/runtime').read('ecr-publish')).toMatchObject({
      published: true,
      repositoryUri: `${OTHER_ACCOUNT.registry}/${repository}`,
      versionTag: '6.0-bullseye-slim-1.0.0',
      account: OTHER_ACCOUNT.id,
    });
    expect(otherAccountTags(repository)).toEqual(['6.0', '6.0-bullseye-slim-1.0.0', 'latest']);
    // Nothing landed in the caller's own account.
    expect(ecrTags(repository)).toEqual([]);
    // skopeo reads it back from the other account's registry host with the same token.
    const labels = withEcrAuthFile((authFile) => {
      const { Labels } = JSON.parse(
        execFileSync(
          'skopeo',
          [
            'inspect',
            '--tls-verify=false',
            '--authfile',
            authFile,
            `docker://${OTHER_ACCOUNT.registry}/${repository}:6.0-bullseye-slim-1.0.0`,
          ],
          { encoding: 'utf8' },
        ),
      ) as { Labels: Record<string, string> };
      return Labels;
    }, OTHER_ACCOUNT.registry);
    expect(labels['org.opencontainers.image.version']).toBe('6.0-bullseye-slim-1.0.0');
    const [card] = await cards(ws);
    expect(cardFact(card, 'Image')).toBe(`${OTHER_ACCOUNT.registry}/${repository}:6.0-bullseye-slim-1.0.0`);

    const again = nx(ws, ['run', 'net6-runtime:publish', '--skip-nx-cache']);
    expectOk(again);
    const check = recordsOf(ws, 'net6/runtime').read('mcr-check');
    expect({ stale: check.stale, versionTag: check.published?.versionTag }).toEqual({
      stale: false,
      versionTag: '6.0-bullseye-slim-1.0.0',
    });
  });
});

describe("endpoints: STS is never the ECR endpoint, and the SDK's per-service variables are honoured", () => {
  let ws: Workspace;
  let repository: string;

  beforeAll(() => {
    ws = createWorkspace(['net6/runtime']);
    repository = `${ws.prefix}/runtime`;
  });
  afterAll(() => ws?.dispose());

  test('with only aws.ecrEndpoint set (a VPC endpoint), a publish asks STS nothing and sends nothing but ECR calls there', async () => {
    editJson(ws.root, 'nx.json', (value: NxJsonFile) => {
      value.plugins[0].options.profiles.local.aws = { ecrEndpoint: 'http://localhost:5003' };
    });
    const before = { api: await requestStats('ecrApi'), sts: await requestStats('sts') };
    const run = nx(ws, ['run', 'net6-runtime:publish']);
    expectOk(run);
    expect(ecrTags(repository).filter((t) => VERSION.test(t))).toEqual(['6.0-bullseye-slim-1.0.0']);
    expect(recordsOf(ws, 'net6/runtime').read('ecr-publish').account).toBe('000000000000');
    const after = { api: await requestStats('ecrApi'), sts: await requestStats('sts') };
    // Requests without an ECR operation (an STS query sent to the ECR endpoint) would count as "other".
    expect((after.api.byKind.other ?? 0) - (before.api.byKind.other ?? 0)).toBe(0);
    expect(after.sts.requests - before.sts.requests).toBe(0);
  });

  test('with no endpoint in the configuration, AWS_ENDPOINT_URL_ECR reaches ECR; STS, unreachable here, is not needed', () => {
    editJson(ws.root, 'nx.json', (value: NxJsonFile) => {
      delete value.plugins[0].options.profiles.local.aws;
    });
    const run = nx(ws, ['run', 'net6-runtime:publish'], {
      PLATFORM_IMAGES_FORCE_UPDATE: 'true',
      AWS_ENDPOINT_URL_ECR: 'http://localhost:5003',
    });
    expectOk(run);
    expect(ecrTags(repository).filter((t) => VERSION.test(t))).toEqual(['6.0-bullseye-slim-1.0.0', '6.0-bullseye-slim-1.1.0']);
  });
});

describe('credentials that expire mid-run', () => {
  let ws: Workspace;
  let repository: string;

  beforeAll(() => {
    ws = createWorkspace(['net6/runtime']);
    repository = `${ws.prefix}/runtime`;
    // The test app takes 20 s to answer, so the run reaches ecr-publish well after credentials that last
    // 10 s have expired, and well after the check that used them (the first few seconds of the run).
    const dockerfile = path.join(ws.root, 'integration-tests/net6-stand-in/Dockerfile');
    writeFileSync(
      dockerfile,
      readFileSync(dockerfile, 'utf8').replace(/^CMD .*$/m, 'CMD ["sh", "-c", "sleep 20; exec busybox httpd -f -p 8080 -h /app/wwwroot"]'),
    );
  });
  afterAll(() => ws?.dispose());

  test('fail at publish with a message naming the fix, publish nothing, and a rerun with fresh credentials finishes', async () => {
    const run = nx(ws, ['run', 'net6-runtime:publish'], { ...(await sessionCredentials(10)) });
    expect(run.code).not.toBe(0);
    const records = recordsOf(ws, 'net6/runtime');
    expect(records.read('mcr-check')).toMatchObject({ stale: true, reason: 'nothing-published' });
    const failed = records.failure();
    expect(failed?.step).toBe('ecr-publish');
    expect(failed?.error).toMatch(
      /the AWS credentials expired during the run \(ExpiredTokenException: The security token included in the request is expired\)/,
    );
    expect(failed?.fix).toMatch(
      /^give the run credentials that outlast it: in Azure Pipelines set the variable aws\.rolecredential\.maxduration/,
    );
    expect(ecrTags(repository)).toEqual([]);
    const [failure] = await cards(ws);
    expect(failure.body.attachments[0].content.body[0].text).toBe('Platform image net6-runtime: ecr-publish failed, nothing published');

    const rerun = nx(ws, ['run', 'net6-runtime:publish'], { ...(await sessionCredentials(3600)) });
    expectOk(rerun);
    expect(ecrTags(repository).filter((t) => VERSION.test(t))).toEqual(['6.0-bullseye-slim-1.0.0']);
  });
});
