/**
 * docs/iam holds the one IAM policy a scheduled (publishing) run needs and the read-only one for runs that only
 * check. These tests hold them to the code: every AWS call the plugin's source makes, and every registry
 * request Docker or the registry client sends to ECR on its behalf, is allowed; nothing else is; and the
 * READMEs point at the files instead of keeping lists of their own.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  allowedActions,
  memberAccessesOn,
  NO_PERMISSION_NEEDED,
  operationsByMember,
  policyProblems,
  scanProduct,
  scanSource,
  SDK_PACKAGES,
  type PolicyDocument,
} from './iam-policy';

const ROOT = path.join(__dirname, '..');
const SRC = path.join(ROOT, 'packages', 'nx-plugin', 'src');
const POLICIES = { publishing: 'docs/iam/publishing-policy.json', readOnly: 'docs/iam/read-only-policy.json' };
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const readPolicy = (file: string) => JSON.parse(read(file)) as PolicyDocument;
const sourceOf = (file: string) => readFileSync(path.join(SRC, file), 'utf8');

/**
 * ECR authorises registry API requests (what `docker push` and the registry client send) with the ECR
 * action of the matching API operation. The Amazon ECR user guide's push policy ("IAM permissions for pushing
 * an image") names the push ones; the pull ones are BatchGetImage (manifests) and GetDownloadUrlForLayer
 * (blobs). `evidence` is what in the source still sends them: when it goes, so must the action.
 */
interface RegistryRequest {
  action: string;
  why: string;
  /** `check`: sent by mcr-check too, so the read-only policy needs it; `publish`: only by ecr-publish. */
  step: 'check' | 'publish';
  evidence: Array<[file: string, pattern: RegExp]>;
}

const DOCKER_PUSH: RegistryRequest['evidence'] = [
  ['steps/publish.ts', /\bdocker\.push\(/],
  ['lib/docker.ts', /'push', ref\]/],
];
const LABEL_READ: RegistryRequest['evidence'] = [
  // mcr-check hands the ECR login to a registry client for versions whose manifest records nothing.
  ['executors/mcr-check/executor.ts', /published: \([^)]*\) =>\s*new RegistryClient\(/],
  ['steps/check.ts', /deps\s*\.published\([^()]*await deps\.ecr\.login\(\)\)\s*\.imageLabels\(/],
];

const REGISTRY_REQUESTS: RegistryRequest[] = [
  {
    action: 'ecr:BatchCheckLayerAvailability',
    why: 'docker push asks which layers the repository already holds',
    step: 'publish',
    evidence: DOCKER_PUSH,
  },
  { action: 'ecr:InitiateLayerUpload', why: 'docker push starts an upload per missing layer', step: 'publish', evidence: DOCKER_PUSH },
  { action: 'ecr:UploadLayerPart', why: 'docker push sends the layer data', step: 'publish', evidence: DOCKER_PUSH },
  { action: 'ecr:CompleteLayerUpload', why: 'docker push completes each upload', step: 'publish', evidence: DOCKER_PUSH },
  { action: 'ecr:PutImage', why: 'docker push writes the manifest under the staging tag', step: 'publish', evidence: DOCKER_PUSH },
  {
    action: 'ecr:BatchGetImage',
    why: "docker push (the ECR user guide's push policy lists it with the upload actions)",
    step: 'publish',
    evidence: DOCKER_PUSH,
  },
  {
    action: 'ecr:BatchGetImage',
    why: "the registry client reads the newest version's manifest",
    step: 'check',
    evidence: [...LABEL_READ, ['lib/registry-client.ts', /'GET', `manifests\//]],
  },
  {
    action: 'ecr:GetDownloadUrlForLayer',
    why: "the registry client reads that manifest's config blob for its labels",
    step: 'check',
    evidence: [...LABEL_READ, ['lib/registry-client.ts', /'GET', `blobs\//]],
  },
];

/**
 * Actions the Service Authorization Reference ("Actions, resources, and condition keys for Amazon ECR")
 * lists without a resource type: only `"Resource": "*"` grants them. GetRegistryScanningConfiguration reads the
 * registry's own settings (it takes no repository, ECR API reference), like the other registry-level actions.
 */
const RESOURCE_STAR_ONLY = new Set(['ecr:GetAuthorizationToken', 'ecr:GetRegistryScanningConfiguration']);
const REPOSITORY_ARN = /^arn:aws:ecr:[^:]+:[^:]+:repository\/.+$/;

const scan = scanProduct(SRC);
/** The IAM action each operation needs, undefined for the ones AWS documents as needing none. */
const actionFor = (operation: string) => (operation in NO_PERMISSION_NEEDED ? undefined : operation);
const sorted = (items: Iterable<string>) => [...new Set(items)].sort();

/** Everything a scheduled run sends: mcr-check, docker-build, integration-test and ecr-publish together. */
const publishingNeeds = sorted([
  ...scan.calls.map((c) => actionFor(c.operation)).filter((a): a is string => !!a),
  ...REGISTRY_REQUESTS.map((r) => r.action),
]);

/**
 * What mcr-check sends: it reads ECR only through EcrReader (lib/ecr-reader.ts), so its SDK calls are those of
 * the AwsEcr members the reader calls, followed through `this`, plus the registry client's label read.
 */
const checkSdkOperations = (() => {
  const byMember = operationsByMember('lib/ecr.ts', sourceOf('lib/ecr.ts'));
  const called = [...memberAccessesOn('lib/ecr-reader.ts', sourceOf('lib/ecr-reader.ts'), /(^|\.)ecr$/)].filter((m) => byMember.has(m));
  return { called, operations: sorted(called.flatMap((m) => [...byMember.get(m)!])) };
})();
const readOnlyNeeds = sorted([
  ...checkSdkOperations.operations.map(actionFor).filter((a): a is string => !!a),
  ...REGISTRY_REQUESTS.filter((r) => r.step === 'check').map((r) => r.action),
]);

describe('the AWS calls scan', () => {
  it.each([
    [
      'a Command from a static import',
      `import { ListImagesCommand } from '@aws-sdk/client-ecr';\nclient.send(new ListImagesCommand({}));`,
      ['ecr:ListImages'],
      [],
    ],
    ['a renamed import', `import { PutImageCommand as Put } from '@aws-sdk/client-ecr';\nnew Put({});`, ['ecr:PutImage'], []],
    [
      'a paginator, which sends the operation it pages',
      `import { paginateDescribeImages } from '@aws-sdk/client-ecr';\npaginateDescribeImages({ client }, {});`,
      ['ecr:DescribeImages'],
      [],
    ],
    [
      'STS loaded on demand',
      `const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');\nnew STSClient({}).send(new GetCallerIdentityCommand({}));`,
      ['sts:GetCallerIdentity'],
      [],
    ],
    ['a namespace', `import * as ecr from '@aws-sdk/client-ecr';\nnew ecr.TagResourceCommand({});`, ['ecr:TagResource'], []],
    [
      'types, clients, exceptions and enums, which send nothing',
      `import type { ImageIdentifier } from '@aws-sdk/client-ecr';\nimport { ECRClient, RepositoryNotFoundException, TagStatus } from '@aws-sdk/client-ecr';\nnew ECRClient({}); RepositoryNotFoundException; TagStatus.TAGGED;`,
      [],
      [],
    ],
    [
      'an aggregated client, whose methods it cannot name',
      `import { ECR } from '@aws-sdk/client-ecr';\nnew ECR({}).listImages({});`,
      [],
      ['x.ts:2: ECR from @aws-sdk/client-ecr may send requests the scan cannot name'],
    ],
    [
      'an SDK package it does not map (temporary credentials ask STS to assume a role)',
      `import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';\nfromTemporaryCredentials({ params: { RoleArn } });`,
      [],
      ['x.ts:2: fromTemporaryCredentials from @aws-sdk/credential-providers, a package the scan does not map to IAM actions'],
    ],
    [
      'a load whose exports are not bound to names',
      `new (await import('@aws-sdk/client-ecr')).PutImageCommand({});`,
      [],
      ['x.ts:1: @aws-sdk/client-ecr loaded without binding its exports to names'],
    ],
  ])('reads %s', (_name, text, operations, unrecognised) => {
    const result = scanSource('x.ts', text);
    expect(result.calls.map((c) => c.operation)).toEqual(operations);
    expect(result.unrecognised).toEqual(unrecognised);
  });

  it("recognises every AWS SDK use in the plugin's source", () => {
    expect(scan.unrecognised).toEqual([]);
  });

  it("finds the plugin's ECR calls (the scan sees the source at all)", () => {
    expect(scan.calls.map((c) => c.operation)).toEqual(
      expect.arrayContaining(['ecr:DescribeRepositories', 'ecr:DescribeImages', 'ecr:GetAuthorizationToken']),
    );
  });

  it("follows members through `this` and finds what the check's reader calls", () => {
    const byMember = operationsByMember(
      'x.ts',
      `import { PutImageCommand, BatchGetImageCommand } from '@aws-sdk/client-ecr';
      class A { get id() { return this.ask(); } ask() { return new BatchGetImageCommand({}); } put() { this.id; return new PutImageCommand({}); } }`,
    );
    expect([...byMember.get('put')!].sort()).toEqual(['ecr:BatchGetImage', 'ecr:PutImage']);
    expect(checkSdkOperations.called).toEqual(expect.arrayContaining(['login']));
  });
});

describe("every AWS call in the plugin's source", () => {
  const publishing = allowedActions(readPolicy(POLICIES.publishing));
  const readOnly = allowedActions(readPolicy(POLICIES.readOnly));
  const verdict = (operation: string) =>
    actionFor(operation)
      ? 'is allowed by the publishing policy'
      : `needs no permission and is in neither policy: ${NO_PERMISSION_NEEDED[operation]}`;
  it.each(scan.calls.map((c) => [c.operation, `${c.via} in ${c.file}`, verdict(c.operation)]))('%s (%s) %s', (operation) => {
    const action = actionFor(operation);
    if (action) {
      expect(publishing).toContain(action);
    } else {
      // sts:GetCallerIdentity: AWS documents it as needing no permission, so neither policy grants it.
      expect(NO_PERMISSION_NEEDED[operation]).toMatch(/no permission/);
      expect([...publishing, ...readOnly]).not.toContain(operation);
    }
  });

  it.each(REGISTRY_REQUESTS.map((r) => [r.action, r.why, r]))('%s: %s (still sent by the source)', (_action, _why, request) => {
    for (const [file, pattern] of request.evidence) expect(sourceOf(file)).toMatch(pattern);
  });
});

describe.each([
  ['publishing', POLICIES.publishing, () => publishingNeeds],
  ['read-only', POLICIES.readOnly, () => readOnlyNeeds],
])('the %s policy (%s)', (_name, file, needs) => {
  const policy = readPolicy(file);
  const allowed = allowedActions(policy);

  it('is a valid IAM policy, repository-scoped wherever ECR allows it', () => {
    expect(policyProblems(policy, RESOURCE_STAR_ONLY, REPOSITORY_ARN)).toEqual([]);
  });

  it('allows every action its runs need', () => {
    expect(needs().filter((a) => !allowed.includes(a))).toEqual([]);
  });

  it('allows nothing the code does not use', () => {
    expect(needs().length).toBeGreaterThan(0);
    expect(allowed.filter((a) => !needs().includes(a))).toEqual([]);
  });

  it('names only operations the AWS SDK knows (no typo grants nothing while looking right)', () => {
    const operations = ['ecr', 'sts'].flatMap((prefix) =>
      Object.keys(SDK_PACKAGES[`@aws-sdk/client-${prefix}`])
        .filter((k) => k.endsWith('Command'))
        .map((k) => `${prefix}:${k.slice(0, -'Command'.length)}`),
    );
    expect(operations).toContain('ecr:GetAuthorizationToken');
    expect(allowed.filter((a) => !operations.includes(a))).toEqual([]);
  });
});

describe('a pull request run', () => {
  it('reads what a scheduled run reads and writes nothing', () => {
    const publishing = allowedActions(readPolicy(POLICIES.publishing));
    expect(readOnlyNeeds.filter((a) => !publishing.includes(a))).toEqual([]);
    for (const write of ['ecr:PutImage', 'ecr:BatchDeleteImage', 'ecr:CreateRepository', 'ecr:InitiateLayerUpload'])
      expect(readOnlyNeeds).not.toContain(write);
    expect(readOnlyNeeds).toEqual(expect.arrayContaining(['ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']));
  });
});

describe('the documentation', () => {
  const everyAction = sorted([
    ...allowedActions(readPolicy(POLICIES.publishing)),
    ...allowedActions(readPolicy(POLICIES.readOnly)),
    ...Object.keys(NO_PERMISSION_NEEDED),
  ]);

  /** The section under `heading`, up to the next heading of the same or a higher level. */
  const section = (file: string, heading: string) => {
    const text = read(file);
    const start = text.indexOf(`${heading}\n`);
    expect(start).toBeGreaterThanOrEqual(0);
    const level = heading.match(/^#+/)![0].length;
    const rest = text.slice(start + heading.length);
    const end = rest.search(new RegExp(`\\n#{1,${level}} `));
    return end < 0 ? rest : rest.slice(0, end);
  };
  const linkedFiles = (file: string, text: string) =>
    [...text.matchAll(/\]\(([^)#\s]+)\)/g)].map((m) => path.relative(ROOT, path.resolve(ROOT, path.dirname(file), m[1])));

  it.each([
    ['README.md', '## Pointing it at real AWS, MCR and Teams'],
    ['.azure-pipelines/README.md', '### 2. IAM permissions'],
  ])('%s (%s) points at both policy files and lists no permission of its own', (file, heading) => {
    const text = section(file, heading);
    expect(linkedFiles(file, text)).toEqual(expect.arrayContaining([POLICIES.publishing, POLICIES.readOnly]));
    const named = sorted(text.match(/\b(?:ecr|sts):[A-Za-z*]+/g) ?? []);
    expect(named.filter((a) => !everyAction.includes(a))).toEqual([]);
  });

  it('docs/iam/README.md says why each action is there', () => {
    const text = read('docs/iam/README.md');
    expect(everyAction.filter((a) => !text.includes(`\`${a}\``))).toEqual([]);
  });
});
