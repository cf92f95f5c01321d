/**
 * The AWS SDK's Node version warning, seen from a process of its own running the product's ECR code: AwsEcr
 * makes its ECR client, asks STS for the account (which makes the STS client) and describes a repository,
 * against a local endpoint.
 *
 * Every client the SDK makes calls `emitWarningIfUnsupportedVersion(process.version)` of @aws-sdk/core
 * (dist-cjs/submodules/client/index.js; @aws-sdk/core 3.981.0), which on Node below 22 emits, once per
 * process, `process.emitWarning("NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\nversions
 * published after the first week of January 2027\nwill require node >=22. …")`, printed on stderr as
 * `(node:<pid>) Warning: NodeVersionSupportWarning: …`. On Node 22 and later nothing of it may appear; on
 * Node 20 it must, as the SDK prints it: the product neither hides stderr nor sets the SDK's
 * AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED.
 *
 * It runs on the Node running the tests and, when NODE24 names another `node` binary (tools/test.sh sets it
 * from tools/node24.sh), on that one too.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const WORKSPACE = path.resolve(__dirname, '../../../..');
const ACCOUNT = '123456789012';
const WARNING = 'NodeVersionSupportWarning';

/** An STS and ECR endpoint answering GetCallerIdentity and DescribeRepositories, the two calls the process makes. */
function endpoint(): Promise<{ url: string; server: Server; calls: string[] }> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const target = req.headers['x-amz-target'];
      if (typeof target === 'string' && target.endsWith('.DescribeRepositories')) {
        calls.push('ecr:DescribeRepositories');
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(
          JSON.stringify({
            repositories: [
              { repositoryName: 'runtime', registryId: ACCOUNT, repositoryUri: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/runtime` },
            ],
          }),
        );
      } else if (body.includes('Action=GetCallerIdentity')) {
        calls.push('sts:GetCallerIdentity');
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          '<GetCallerIdentityResponse><GetCallerIdentityResult>' +
            `<Arn>arn:aws:iam::${ACCOUNT}:user/ci</Arn><UserId>AIDAEXAMPLE</UserId><Account>${ACCOUNT}</Account>` +
            '</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
        );
      } else {
        calls.push(`unexpected ${req.method} ${req.url} ${String(target)} ${body}`);
        res.writeHead(400).end();
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, calls })),
  );
}

const SCRIPT = `
const { AwsEcr } = require(${JSON.stringify(path.join(WORKSPACE, 'packages/nx-plugin/src/lib/ecr.ts'))});
const ecr = new AwsEcr({ region: 'eu-west-1', endpoint: process.env.ENDPOINT, stsEndpoint: process.env.ENDPOINT, maxAttempts: 1 });
(async () => {
  const account = await ecr.accountId();
  const repository = await ecr.findRepository('runtime');
  console.log(JSON.stringify({ node: process.version, account, repository: repository && repository.name }));
})();
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The script on `node`, in an environment of its own: fixed credentials, no AWS config files, no Node options. */
function run(node: string, url: string, home: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_CONFIG_FILE: path.join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ENDPOINT: url,
  };
  return new Promise((resolve) => {
    execFile(node, ['-r', '@swc-node/register', '-e', SCRIPT], { cwd: WORKSPACE, env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const nodes = [...new Set([process.execPath, process.env.NODE24].filter((n): n is string => !!n).map((n) => realpathSync(n)))];

describe.each(nodes)("the SDK's Node version warning, the product's ECR and STS clients on %s", (node) => {
  let home: string;
  let result: Run;
  let calls: string[];

  beforeAll(async () => {
    home = mkdtempSync(path.join(tmpdir(), 'ecr-node-version-'));
    const { url, server, calls: seen } = await endpoint();
    try {
      result = await run(node, url, home);
      calls = seen;
    } finally {
      server.close();
    }
  }, 90_000);
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  /** The major version of the Node that ran the process, as it said. */
  const major = () => Number(/^v(\d+)\./.exec((JSON.parse(result.stdout) as { node: string }).node)?.[1]);

  test('the process made both clients and both calls', () => {
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ account: ACCOUNT, repository: 'runtime' });
    expect(calls).toEqual(['sts:GetCallerIdentity', 'ecr:DescribeRepositories']);
  });

  test('Node 22 and later: nothing on stderr, no version warning; Node 20: the SDK says it once, as it wrote it', () => {
    if (major() >= 22) {
      expect(result.stderr).not.toContain(WARNING);
      expect(result.stderr).toBe('');
    } else {
      expect(result.stderr.split(WARNING).length - 1).toBe(1);
      expect(result.stderr).toContain(`Warning: ${WARNING}: The AWS SDK for JavaScript (v3)`);
      expect(result.stderr).toMatch(/will require node >=22\. You are running node v20\./);
    }
  });
});
