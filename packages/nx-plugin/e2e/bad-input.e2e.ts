/**
 * Bad input end to end: each row makes one mistake a user makes (in platform-image.json, nx.json, a
 * Dockerfile, a test app, the environment), runs the real `nx` target where it shows, and expects a failed
 * run whose error names the file and the field, with a `fix:` line (every user error has one), and no stack trace.
 * The workspace is restored between rows. Malformed version tags in ECR are the exception the issue asks
 * for: not an error, the run goes on and says which tags it ignored.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { recordFigure } from './figures';
import { awsEcr, createWorkspace, ecrTags, editJson, git, nx, recordsOf, withEcrAuthFile, type NxRun, type Workspace } from './support';
import type { DescribedImages, Fields, ImageFile, NxJsonFile, PluginOptions } from './json-files';

jest.setTimeout(10 * 60_000);

const IMAGE_DIR = 'platform-images/net6/runtime';
const IMAGE_FILE = `${IMAGE_DIR}/platform-image.json`;
const DOCKERFILE = `${IMAGE_DIR}/Dockerfile`;
// Under the local profile net6 images run the stand-in test app.
const TEST_APP = 'integration-tests/net6-stand-in';
const OPTIONS = 'plugins[@platform-images/nx-plugin].options';
const PREFIX = '6.0-bullseye-slim';
const STACK_FRAME = /^\s+at .+\(.+:\d+:\d+\)$|^ {4}at /m;

let ws: Workspace;

beforeAll(() => {
  ws = createWorkspace(['net6/runtime']);
});

afterAll(() => ws?.dispose());

/** Back to the committed workspace, with no Nx cache and no step records from the row before. */
function restore(): void {
  git(ws.root, ['checkout', '--', '.']);
  git(ws.root, ['clean', '-fdq']);
  for (const dir of ['.nx', 'dist']) rmSync(path.join(ws.root, dir), { recursive: true, force: true });
}

function write(file: string, text: string): void {
  writeFileSync(path.join(ws.root, file), text);
}

function read(file: string): string {
  return readFileSync(path.join(ws.root, file), 'utf8');
}

const image = (edit: (config: ImageFile) => void) => () => editJson(ws.root, IMAGE_FILE, edit);
const pluginOptions = (edit: (options: PluginOptions) => void) => () =>
  editJson(ws.root, 'nx.json', (nxJson: NxJsonFile) => edit(nxJson.plugins[0].options));
/** The stand-in's test-app.json, edited. */
const testApp = (edit: (config: Fields) => void) => () => editJson(ws.root, `${TEST_APP}/test-app.json`, edit);

/** Another platform image: a copy of net6/runtime under `dir`, its config edited. */
function secondImage(dir: string, edit: (config: ImageFile) => void = () => undefined): void {
  cpSync(path.join(ws.root, IMAGE_DIR), path.join(ws.root, dir), { recursive: true });
  editJson(ws.root, `${dir}/platform-image.json`, edit);
}

function run(target: string, env: Record<string, string> = {}): NxRun {
  return nx(ws, ['run', target, '--outputStyle=stream-without-prefixes', '--skip-nx-cache'], env);
}

/** The product's error line (the executor prints `error: <project>: <step> failed: <message>`), else Nx's first complaint. */
function firstErrorLine(output: string): string {
  const lines = output.split('\n');
  return (lines.find((l) => /^error: /.test(l)) ?? lines.find((l) => /error|failed/i.test(l)) ?? '(no error line)').trim();
}

interface Row {
  case: string;
  arrange?: () => void;
  env?: Record<string, string>;
  /** The target to run; mcr-check unless the mistake only shows later. */
  target?: string;
  /** The file named, relative to the workspace (or `environment`), and the field in it. */
  file: string;
  field: string;
  /** What the error says beyond the file and field. */
  says: RegExp;
  /** What the `fix:` line must say; every row must have a `fix:` line. */
  fix?: RegExp;
  /** Must not appear anywhere in the output (secrets). */
  never?: string[];
}

const WEBHOOK_SECRET = 'sig=BadInputSecret0123456789';

const ROWS: Row[] = [
  {
    case: 'missing required field (ecr.tag)',
    arrange: image((c) => delete c.ecr.tag),
    file: IMAGE_FILE,
    field: 'ecr.tag',
    says: /is required/,
    fix: /a Docker tag such as "6\.0-bullseye-slim"/,
  },
  {
    case: 'mistyped field name (ecr.repositry)',
    arrange: image((c) => {
      c.ecr.repositry = c.ecr.repository;
      delete c.ecr.repository;
    }),
    file: IMAGE_FILE,
    field: 'ecr.repositry',
    says: /unknown field/,
    fix: /did you mean "repository"\?/,
  },
  {
    case: 'mistyped field name in nx.json (aws.regoin)',
    arrange: pluginOptions((o) => (o.aws = { regoin: 'eu-west-1' })),
    file: 'nx.json',
    field: `${OPTIONS}.aws.regoin`,
    says: /unknown field/,
    fix: /did you mean "region"\?/,
  },
  {
    case: 'unknown field',
    arrange: image((c) => (c.cacheFrom = 'runtime:latest')),
    file: IMAGE_FILE,
    field: 'cacheFrom',
    says: /unknown field/,
    fix: /known fields: dockerfile, context, platforms, ecr, integrationTest/,
  },
  {
    case: 'wrong type (extraTags item a number)',
    arrange: image((c) => (c.ecr.extraTags = [6.0, '{buildNumber}'])),
    file: IMAGE_FILE,
    field: 'ecr.extraTags[0]',
    says: /must be a string, got 6/,
    fix: /write "6" in quotes/,
  },
  {
    case: 'wrong type (boolean in quotes)',
    arrange: image((c) => (c.ecr.latest = 'false')),
    file: IMAGE_FILE,
    field: 'ecr.latest',
    says: /must be true or false, got "false"/,
    fix: /write false without quotes/,
  },
  {
    case: 'wrong type in the test app (port in quotes)',
    arrange: testApp((t) => (t.port = '8080')),
    file: `${TEST_APP}/test-app.json`,
    field: 'port',
    says: /must be a number, got "8080"/,
    fix: /write 8080 without quotes/,
  },
  {
    case: 'test app port out of range (70000)',
    arrange: testApp((t) => (t.port = 70000)),
    file: `${TEST_APP}/test-app.json`,
    field: 'port',
    says: /must be at most 65535, got 70000/,
    fix: /set "port" to a whole number from 1 to 65535, or leave it out to probe the port the image configures/,
  },
  {
    case: 'test app timeout out of range (0 s)',
    arrange: testApp((t) => (t.timeoutSeconds = 0)),
    file: `${TEST_APP}/test-app.json`,
    field: 'timeoutSeconds',
    says: /must be at least 1, got 0/,
    fix: /set "timeoutSeconds" to a number from 1 to 3600, or leave it out for the default \(60\)/,
  },
  {
    case: 'invalid JSON in the test app (an unquoted word)',
    arrange: () =>
      write(`${TEST_APP}/test-app.json`, read(`${TEST_APP}/test-app.json`).replace('"expectStatus": 200', '"expectStatus": ok')),
    file: `${TEST_APP}/test-app.json`,
    field: '(file)',
    says: /is not valid JSON: Unexpected token "o" \(line \d+, column \d+\)/,
    fix: /trailing commas/,
  },
  {
    case: 'cleanup age without a unit in nx.json',
    arrange: pluginOptions((o) => (o.cleanup = { registryAfter: '60' })),
    file: 'nx.json',
    field: `${OPTIONS}.cleanup.registryAfter`,
    says: /"60" is not a duration/,
    fix: /"30s", "90m", "6h" or "2d"/,
  },
  {
    case: 'invalid JSON (trailing comma)',
    arrange: () => write(IMAGE_FILE, read(IMAGE_FILE).replace(/("replaceFrom": "[^"]+")/, '$1,')),
    file: IMAGE_FILE,
    field: '(file)',
    says: /is not valid JSON: Expected double-quoted property name \(line \d+, column \d+\)/,
    fix: /trailing commas/,
  },
  {
    case: 'missing Dockerfile',
    arrange: () => rmSync(path.join(ws.root, DOCKERFILE)),
    file: IMAGE_FILE,
    field: 'dockerfile',
    says: /platform-images\/net6\/runtime\/Dockerfile does not exist/,
    fix: /add a Dockerfile/,
  },
  {
    case: 'Dockerfile without FROM',
    arrange: () => write(DOCKERFILE, read(DOCKERFILE).replace(/^FROM .*$/m, '# the FROM line was deleted')),
    file: DOCKERFILE,
    field: 'FROM',
    says: /has no FROM instruction/,
  },
  {
    case: 'unresolvable ARG in FROM',
    arrange: () => write(DOCKERFILE, read(DOCKERFILE).replace(/^FROM .*$/m, 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}')),
    file: DOCKERFILE,
    field: 'FROM',
    says: /FROM \$\{BASE_IMAGE\} uses ARG BASE_IMAGE which has no default value \(line 2\)/,
  },
  {
    case: 'Dockerfile FROM scratch',
    arrange: () => write(DOCKERFILE, read(DOCKERFILE).replace(/^FROM .*$/m, 'FROM scratch')),
    file: DOCKERFILE,
    field: 'FROM',
    says: /builds FROM scratch/,
  },
  {
    case: 'base tag that does not exist upstream',
    arrange: () =>
      write(DOCKERFILE, read(DOCKERFILE).replace(/^FROM .*$/m, 'FROM mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim-nope')),
    file: DOCKERFILE,
    field: 'FROM',
    says: /mcr\.microsoft\.com\/dotnet\/runtime:6\.0-bullseye-slim-nope: not found/,
  },
  {
    case: 'test app Dockerfile without the configured FROM (integrationTest.replaceFrom)',
    // The stand-in's final stage no longer starts FROM the runtime image the new platform image replaces.
    arrange: () =>
      write(
        `${TEST_APP}/Dockerfile`,
        read(`${TEST_APP}/Dockerfile`).replace(
          'FROM mcr.microsoft.com/dotnet/runtime:6.0-bullseye-slim',
          'FROM mcr.microsoft.com/dotnet/aspnet:6.0-bullseye-slim',
        ),
      ),
    // Known from the files alone; integration-test is the step that needs it (and mcr-check, once it asks first).
    target: 'net6-runtime:integration-test',
    file: IMAGE_FILE,
    field: 'integrationTest.replaceFrom',
    says: /no FROM in integration-tests\/net6-stand-in\/Dockerfile names "mcr\.microsoft\.com\/dotnet\/runtime:6\.0-bullseye-slim" \(it starts FROM .*aspnet:6\.0-bullseye-slim\)/,
  },
  {
    case: 'test app folder without test-app.json',
    arrange: image((c) => (c.integrationTest.app = 'integration-tests/net9')),
    file: IMAGE_FILE,
    field: 'integrationTest.app',
    says: /test app "integration-tests\/net9" has no test-app\.json/,
  },
  {
    case: 'test app Dockerfile missing',
    arrange: () => rmSync(path.join(ws.root, TEST_APP, 'Dockerfile')),
    file: `${TEST_APP}/test-app.json`,
    field: 'dockerfile',
    says: /integration-tests\/net6-stand-in\/Dockerfile does not exist/,
  },
  {
    case: 'extra tag with an unknown placeholder',
    arrange: image((c) => (c.ecr.extraTags = ['6.0', '{buildNumer}'])),
    file: IMAGE_FILE,
    field: 'ecr.extraTags[1]',
    says: /unknown placeholder \{buildNumer\}/,
    fix: /known placeholders: \{buildNumber\}/,
  },
  {
    case: 'extra tag colliding with the version tags',
    arrange: image((c) => (c.ecr.extraTags = [`${PREFIX}-{buildId}`])),
    file: IMAGE_FILE,
    field: 'ecr.extraTags[0]',
    says: /looks like a version tag/,
  },
  {
    case: 'repository name with capitals',
    arrange: image((c) => (c.ecr.repository = 'Platform/Runtime')),
    file: IMAGE_FILE,
    field: 'ecr.repository',
    says: /"Platform\/Runtime" is not valid/,
    fix: /lowercase/,
  },
  {
    case: 'invalid webhook URL in TEAMS_WEBHOOK_URI (teams.failOnError)',
    arrange: pluginOptions((o) => (o.teams.failOnError = true)),
    env: { TEAMS_WEBHOOK_URI: `hooks.example.invalid/workflows/run?${WEBHOOK_SECRET}` },
    file: 'environment',
    field: 'TEAMS_WEBHOOK_URI',
    says: /does not hold a valid URL; teams\.failOnError is true/,
    fix: /set TEAMS_WEBHOOK_URI to the Teams Workflows webhook URL/,
    never: [WEBHOOK_SECRET, 'hooks.example.invalid'],
  },
  {
    case: 'TEAMS_WEBHOOK_URI unset with teams.failOnError',
    arrange: pluginOptions((o) => (o.teams.failOnError = true)),
    env: { TEAMS_WEBHOOK_URI: '' },
    file: 'environment',
    field: 'TEAMS_WEBHOOK_URI',
    says: /is not set; teams\.failOnError is true/,
    fix: /or set teams\.failOnError to false/,
  },
  {
    case: 'AWS region that is not one, in nx.json (eu-westt-1)',
    arrange: pluginOptions((o) => (o.aws.region = 'eu-westt-1')),
    file: 'nx.json',
    field: `${OPTIONS}.aws.region`,
    says: /"eu-westt-1" is not valid/,
    fix: /did you mean "eu-west-1"\? an AWS region code is <area>-<direction>-<number>/,
  },
  {
    case: 'AWS region that is not one, in AWS_REGION (Ireland)',
    arrange: pluginOptions((o) => delete o.aws.region),
    env: { AWS_REGION: 'Ireland' },
    file: 'environment',
    field: 'AWS_REGION',
    says: /"Ireland" is not an AWS region code/,
    fix: /<area>-<direction>-<number>/,
  },
  {
    case: 'bad PLATFORM_IMAGES_FORCE_UPDATE',
    env: { PLATFORM_IMAGES_FORCE_UPDATE: 'sometimes' },
    file: 'environment',
    field: 'PLATFORM_IMAGES_FORCE_UPDATE',
    says: /"sometimes" is not a boolean/,
    fix: /true or false/,
  },
  {
    case: 'unknown profile',
    env: { PLATFORM_IMAGES_PROFILE: 'staging' },
    file: 'nx.json',
    field: `${OPTIONS}.profiles.staging`,
    says: /profile "staging" \(from PLATFORM_IMAGES_PROFILE\) is not defined/,
    fix: /use one of: local/,
  },
  {
    case: 'unknown builder in nx.json',
    arrange: pluginOptions((o) => (o.docker.builder = 'kaniko')),
    file: 'nx.json',
    field: `${OPTIONS}.docker.builder`,
    says: /"kaniko" is not one of auto, buildx, buildkit, classic/,
  },
  {
    case: 'conflicting options: two images publish the same repository and tag',
    arrange: () => secondImage('platform-images/net6/runtime-hardened'),
    file: IMAGE_FILE,
    field: 'ecr.tag',
    says: /platform-images\/net6\/runtime-hardened\/platform-image\.json also publishes "6\.0-bullseye-slim-<version>" to ECR repository "e2e-[^"]+\/runtime"/,
  },
  {
    case: 'conflicting options: two images move latest in one repository',
    arrange: () => secondImage('platform-images/net8/runtime', (c) => (c.ecr.tag = '8.0-bookworm-slim')),
    file: IMAGE_FILE,
    field: 'ecr.latest',
    says: /platform-images\/net8\/runtime\/platform-image\.json also moves "latest" in ECR repository/,
    fix: /"latest": false in all but one/,
  },
];

describe('a user mistake fails the run naming the file and the field, with no stack trace', () => {
  afterEach(restore);

  test.each(ROWS)('$case', (row) => {
    row.arrange?.();
    const result = run(row.target ?? 'net6-runtime:mcr-check', row.env);
    const first = firstErrorLine(result.output);
    const checks: Record<string, boolean> = {
      'non-zero exit': result.code !== 0,
      [`names "${row.file}: ${row.field}:"`]: first.includes(`${row.file}: ${row.field}: `),
      [`says ${row.says}`]: row.says.test(result.output),
      'no stack trace': !STACK_FRAME.test(result.output),
    };
    const fix = /^\s*fix: (.*)$/m.exec(result.output)?.[1];
    checks[`fix: ${row.fix ?? '(any)'}`] = fix !== undefined && fix.trim() !== '' && (!row.fix || row.fix.test(fix));
    for (const secret of row.never ?? []) checks[`never shows ${secret}`] = !result.output.includes(secret);
    // The failure record the run summary reads says the same, as fields, and holds no secret either.
    const failure = recordsOf(ws, 'net6/runtime').failure();
    checks['failure record: the error and fix the log shows'] =
      failure !== undefined && first.includes(failure.error.split('\n')[0].trim()) && failure.fix?.split('\n')[0].trim() === fix?.trim();
    checks['failure record: a file and field are the ones named'] =
      failure?.file === undefined || (failure.file === row.file && failure.field === row.field);
    for (const secret of row.never ?? []) checks[`failure record never holds ${secret}`] = !JSON.stringify(failure ?? {}).includes(secret);
    const failed = Object.keys(checks).filter((name) => !checks[name]);
    recordFigure('bad-input', { case: row.case, ok: failed.length === 0, observed: first });
    if (failed.length) throw new Error(`${row.case}: ${failed.join('; ')}\n--- output ---\n${result.output.slice(-4000)}`);
  });
});

describe('malformed version tags in ECR are not an error', () => {
  const repository = () => `${ws.prefix}/runtime`;
  const malformed = [`${PREFIX}-1.x.0`, `${PREFIX}-01.2.3`];

  beforeAll(() => {
    restore();
    const created = awsEcr(['create-repository', '--repository-name', repository()]);
    if (created.status !== 0) throw new Error(`aws ecr create-repository failed: ${created.stderr}`);
    // Pushed with an independent client, as someone tagging by hand would: a real version, two tags that
    // claim the prefix but are no version this product writes, and another prefix's version.
    withEcrAuthFile((authFile) => {
      for (const tag of [`${PREFIX}-1.1.0`, ...malformed, 'other-prefix-9.9.9']) {
        execFileSync('skopeo', [
          'copy',
          '--quiet',
          '--src-tls-verify=false',
          '--dest-tls-verify=false',
          '--dest-authfile',
          authFile,
          'docker://localhost:5001/dotnet/runtime:6.0-bullseye-slim',
          `docker://localhost:5002/${repository()}:${tag}`,
        ]);
      }
    });
  });

  const recordedDigest = () => recordsOf(ws, 'net6/runtime').find('mcr-check')?.published?.digest;
  const publishedDigest = (tag: string) => {
    const listed = awsEcr(['describe-images', '--repository-name', repository(), '--image-ids', `imageTag=${tag}`, '--output', 'json']);
    return (JSON.parse(listed.stdout) as DescribedImages).imageDetails[0].imageDigest;
  };

  test('mcr-check succeeds, numbers the next version from the well-formed ones and names the ignored tags', () => {
    expect(ecrTags(repository())).toEqual([...malformed, `${PREFIX}-1.1.0`, 'other-prefix-9.9.9'].sort());
    const result = run('net6-runtime:mcr-check');
    const warning = result.output
      .split('\n')
      .find((l) => l.includes('ignored:'))
      ?.trim();
    const checks: Record<string, boolean> = {
      'exit 0': result.code === 0,
      // 01.2.3 read loosely as 1.2.3 would make it 1.3.0.
      'next version 1.2.0': new RegExp(`will build ${PREFIX}-1\\.2\\.0 `).test(result.output),
      'warns naming the repository': warning !== undefined && warning.includes(repository()),
      'warns naming both malformed tags': warning !== undefined && malformed.every((t) => warning.includes(t)),
      'leaves other prefixes alone': warning === undefined || !warning.includes('other-prefix'),
      'no stack trace': !STACK_FRAME.test(result.output),
      // Pushed without annotations, so the check read its labels with GET manifest, which ECR answers
      // without Docker-Content-Digest: the digest is computed from the bytes, never the tag name.
      "records the version's digest": recordedDigest() === publishedDigest(`${PREFIX}-1.1.0`),
    };
    const failed = Object.keys(checks).filter((name) => !checks[name]);
    const observed =
      warning ??
      result.output
        .split('\n')
        .find((l) => /STALE|CURRENT|^error: /.test(l))
        ?.trim() ??
      `exit ${result.code}`;
    recordFigure('bad-input', {
      case: `malformed tags in ECR (${malformed.join(', ')}, other-prefix-9.9.9)`,
      ok: failed.length === 0,
      observed,
    });
    if (failed.length) throw new Error(`${failed.join('; ')}\n--- output ---\n${result.output.slice(-4000)}`);
  });
});
