/**
 * The JSON Schemas editors check platform-image.json and test-app.json with, and the plugin's own validation
 * (normalizeSettings, readTestApp), judge the same documents alike: each document of the tables below is
 * accepted by both or refused by both, and as the table says.
 *
 * What needs more than the file itself stays with the plugin: that the Dockerfile and context exist, that
 * images sharing a repository agree, that an extra tag does not collide with the image's own version tags.
 * The tables name existing files and keep to one image.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { loadImageSettings } from '../config/normalize';
import { ConfigError } from '../types/errors';

const WORKSPACE = path.resolve(__dirname, '../../../..');
const PROJECT_ROOT = 'platform-images/net8/runtime';
const APP_DIR = 'integration-tests/net8-runtime';

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);
const readSchema = (name: string) => JSON.parse(readFileSync(path.join(__dirname, `${name}.schema.json`), 'utf8')) as object;
const schemas = {
  image: ajv.compile(readSchema('platform-image')),
  testApp: ajv.compile(readSchema('test-app')),
};

const goodImage = () => ({
  ecr: { repository: 'dotnet/runtime', tag: '8.0-bookworm-slim', extraTags: ['8.0', '{buildNumber}'] },
  integrationTest: { app: APP_DIR, replaceFrom: 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim' },
});
const goodTestApp = () => ({ port: 8080, request: { method: 'POST', path: '/MyService' }, expectStatus: 200, timeoutSeconds: 60 });

let root: string;

function write(rel: string, content: unknown): void {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'schemas-spec-'));
  write(`${PROJECT_ROOT}/Dockerfile`, 'FROM mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim\n');
  write(`${PROJECT_ROOT}/platform-image.json`, goodImage());
  write(`${APP_DIR}/Dockerfile`, 'FROM mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim\n');
  write(`${APP_DIR}/test-app.json`, goodTestApp());
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

/** The plugin's verdict on the workspace as written: undefined when it accepts it, else its message. */
function pluginProblem(): string | undefined {
  try {
    loadImageSettings({
      workspaceRoot: root,
      project: 'net8-runtime',
      projectRoot: PROJECT_ROOT,
      workspaceOptions: { file: 'nx.json', options: { aws: { region: 'eu-west-1' } } },
      env: {},
    });
    return undefined;
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
}

type Verdict = 'accepted' | 'refused';
type Row = [name: string, document: unknown, verdict: Verdict];

const image = (over: Record<string, unknown>) => ({ ...goodImage(), ...over });
const ecr = (over: Record<string, unknown>) => image({ ecr: { ...goodImage().ecr, ...over } });
const integrationTest = (over: Record<string, unknown>) => image({ integrationTest: { ...goodImage().integrationTest, ...over } });

const IMAGE_ROWS: Row[] = [
  ['the least an image needs', goodImage(), 'accepted'],
  ['$schema at the root', image({ $schema: '../../../node_modules/x.json' }), 'accepted'],
  ['$schema that is not text', image({ $schema: 5 }), 'refused'],
  ['$schema inside ecr', ecr({ $schema: 'x.json' }), 'refused'],
  ['an unknown field', image({ extraTags: ['8.0'] }), 'refused'],
  ['an unknown field in ecr', ecr({ extraTag: ['8.0'] }), 'refused'],
  ['an unknown field in integrationTest', integrationTest({ timeout: 5 }), 'refused'],
  ['no ecr', { integrationTest: goodImage().integrationTest }, 'refused'],
  ['no integrationTest', { ecr: goodImage().ecr }, 'refused'],
  ['ecr as a string', image({ ecr: 'runtime' }), 'refused'],
  ['no repository', image({ ecr: { tag: '8.0' } }), 'refused'],
  ['an uppercase repository', ecr({ repository: 'Dotnet/Runtime' }), 'refused'],
  ['a tag with a space', ecr({ tag: '8.0 slim' }), 'refused'],
  ['a tag starting with a dot', ecr({ tag: '.8' }), 'refused'],
  [
    'extraTags with every placeholder',
    ecr({ extraTags: ['{buildNumber}', '{buildId}', '{sourceVersion}', '{version}', 'd-{date}'] }),
    'accepted',
  ],
  ['extraTags with an unknown placeholder', ecr({ extraTags: ['{build}'] }), 'refused'],
  ['an extra tag a run writes itself', ecr({ extraTags: ['staging-1'] }), 'refused'],
  ['an extra tag that looks like a version', ecr({ extraTags: ['1.2.3'] }), 'refused'],
  ['an extra tag as a number', ecr({ extraTags: [8] }), 'refused'],
  ['extraTags as a string', ecr({ extraTags: '8.0' }), 'refused'],
  ['scanOnPush and latest', ecr({ scanOnPush: false, latest: false }), 'accepted'],
  ['latest as text', ecr({ latest: 'false' }), 'refused'],
  ['two platforms', image({ platforms: ['linux/amd64', 'linux/arm64'] }), 'accepted'],
  ['arm v7', image({ platforms: ['linux/arm/v7'] }), 'accepted'],
  ['no platform', image({ platforms: [] }), 'refused'],
  ['a platform twice', image({ platforms: ['linux/amd64', 'linux/amd64'] }), 'refused'],
  ['a platform not built', image({ platforms: ['windows/amd64'] }), 'refused'],
  ['platforms left out with null', image({ platforms: null }), 'accepted'],
  ['an empty app', integrationTest({ app: ' ' }), 'refused'],
  ['replaceFrom with a space inside', integrationTest({ replaceFrom: 'mcr.microsoft.com/dotnet/runtime 8.0' }), 'refused'],
  ['requireAllPlatforms', integrationTest({ requireAllPlatforms: true }), 'accepted'],
  ['the dockerfile and context named', image({ dockerfile: 'Dockerfile', context: '.' }), 'accepted'],
  ['an account and a region', image({ aws: { account: '123456789012', region: 'us-gov-west-1' } }), 'accepted'],
  ['an account of 11 digits', image({ aws: { account: '12345678901' } }), 'refused'],
  ['a region that is not one', image({ aws: { region: 'eu-westt-1' } }), 'refused'],
  ['an ECR endpoint', image({ aws: { ecrEndpoint: 'http://localhost:5003' } }), 'accepted'],
  ['an ECR endpoint with a path', image({ aws: { ecrEndpoint: 'http://localhost:5003/v2' } }), 'refused'],
  ['an unknown field in aws', image({ aws: { acount: '123456789012' } }), 'refused'],
  ['a registry mirror', image({ registryMirrors: { 'mcr.microsoft.com': 'http://localhost:5001' } }), 'accepted'],
  ['a registry mirror with a path', image({ registryMirrors: { 'mcr.microsoft.com': 'localhost:5001/x' } }), 'refused'],
  ['a webhook variable', image({ teams: { webhookEnv: 'TEAMS_WEBHOOK_URI', failOnError: true } }), 'accepted'],
  ['a webhook URL where its variable goes', image({ teams: { webhookEnv: 'https://example.org/hook' } }), 'refused'],
  ['a builder', image({ docker: { builder: 'buildx', command: 'docker' } }), 'accepted'],
  ['a builder that is not one', image({ docker: { builder: 'kaniko' } }), 'refused'],
  ['build args', image({ buildArgs: { A: 'b' } }), 'accepted'],
  ['a build arg as a number', image({ buildArgs: { A: 1 } }), 'refused'],
  ['a test app substitute', image({ testAppSubstitutes: { 'integration-tests/x': APP_DIR } }), 'accepted'],
  ['an end of support', image({ dotnetEndOfSupport: { net8: '2026-11-10' } }), 'accepted'],
  ['an end of support for a line that is not one', image({ dotnetEndOfSupport: { dotnet8: '2026-11-10' } }), 'refused'],
  ['an end of support on a day that does not exist', image({ dotnetEndOfSupport: { net8: '2026-02-30' } }), 'refused'],
  ['an end of support written the other way round', image({ dotnetEndOfSupport: { net8: '10.11.2026' } }), 'refused'],
  ['cleanup durations', image({ cleanup: { registryAfter: '2d', localAfter: '90m' } }), 'accepted'],
  ['a duration without a unit', image({ cleanup: { registryAfter: '90' } }), 'refused'],
  ['a duration of zero', image({ cleanup: { localAfter: '0s' } }), 'refused'],
  ['a scan policy', image({ scan: { failOn: 'HIGH', timeoutSeconds: 0, onTimeout: 'warn', onUnscanned: 'fail', allow: [] } }), 'accepted'],
  ['a severity that is not one', image({ scan: { failOn: 'SEVERE' } }), 'refused'],
  ['a scan timeout that is not whole', image({ scan: { timeoutSeconds: 1.5 } }), 'refused'],
  ['a scan timeout over an hour', image({ scan: { timeoutSeconds: 3601 } }), 'refused'],
  ['an accepted finding', image({ scan: { allow: [{ id: 'CVE-2024-1234', reason: 'never loaded', expires: '2026-12-31' }] } }), 'accepted'],
  ['an accepted finding without a reason', image({ scan: { allow: [{ id: 'CVE-2024-1234', expires: '2026-12-31' }] } }), 'refused'],
  [
    'an accepted finding with an empty reason',
    image({ scan: { allow: [{ id: 'CVE-2024-1234', reason: ' ', expires: '2026-12-31' }] } }),
    'refused',
  ],
  [
    'an accepted finding until a day that does not exist',
    image({ scan: { allow: [{ id: 'CVE-1', reason: 'r', expires: '2026-02-30' }] } }),
    'refused',
  ],
  ['an accepted finding that is not an object', image({ scan: { allow: ['CVE-2024-1234'] } }), 'refused'],
  ['an array for the whole file', [goodImage()], 'refused'],
];

const app = (over: Record<string, unknown>) => ({ ...goodTestApp(), ...over });
const request = (over: Record<string, unknown>) => app({ request: { ...goodTestApp().request, ...over } });

const TEST_APP_ROWS: Row[] = [
  ['an empty test app (every field has a default)', {}, 'accepted'],
  ['a full test app', goodTestApp(), 'accepted'],
  ['$schema at the root', app({ $schema: '../../node_modules/x.json' }), 'accepted'],
  ['$schema inside request', request({ $schema: 'x.json' }), 'refused'],
  ['an unknown field', app({ expectedStatus: 200 }), 'refused'],
  ['an unknown field in request', request({ header: {} }), 'refused'],
  ['a port in quotes', app({ port: '8080' }), 'refused'],
  ['port 0', app({ port: 0 }), 'refused'],
  ['port 65536', app({ port: 65536 }), 'refused'],
  ['a port that is not whole', app({ port: 80.5 }), 'refused'],
  ['a status of 99', app({ expectStatus: 99 }), 'refused'],
  ['a status of 600', app({ expectStatus: 600 }), 'refused'],
  ['a timeout of 30.5 seconds', app({ timeoutSeconds: 30.5 }), 'accepted'],
  ['a timeout of 0', app({ timeoutSeconds: 0 }), 'refused'],
  ['a timeout over an hour', app({ timeoutSeconds: 3601 }), 'refused'],
  ['HEAD', request({ method: 'HEAD' }), 'accepted'],
  ['a method in lowercase', request({ method: 'get' }), 'refused'],
  ['DELETE', request({ method: 'DELETE' }), 'refused'],
  ['a path without its slash', request({ path: 'MyService' }), 'refused'],
  ['headers', request({ headers: { 'Content-Type': 'application/json' } }), 'accepted'],
  ['a header as a number', request({ headers: { 'X-Count': 1 } }), 'refused'],
  ['a body as JSON', request({ body: { data: 'string', color: 'Red' } }), 'accepted'],
  ['a body as text', request({ body: 'hello' }), 'accepted'],
  ['the context named', app({ context: '../stand-in-site', dockerfile: 'Dockerfile' }), 'accepted'],
  ['a request as a string', app({ request: 'GET /' }), 'refused'],
  ['port left out with null', app({ port: null }), 'accepted'],
  ['text for the whole file', 'port 8080', 'refused'],
];

const verdictOf = (problem: string | undefined): Verdict => (problem === undefined ? 'accepted' : 'refused');
const schemaVerdict = (valid: boolean): Verdict => (valid ? 'accepted' : 'refused');

describe('platform-image.json: the schema and the plugin agree', () => {
  test.each(IMAGE_ROWS)('%s', (_name, document, verdict) => {
    write(`${PROJECT_ROOT}/platform-image.json`, JSON.stringify(document));
    const plugin = pluginProblem();
    const valid = schemas.image(document);
    expect({ plugin: verdictOf(plugin), schema: schemaVerdict(valid) }).toEqual({ plugin: verdict, schema: verdict });
  });
});

describe('test-app.json: the schema and the plugin agree', () => {
  test.each(TEST_APP_ROWS)('%s', (_name, document, verdict) => {
    write(`${APP_DIR}/test-app.json`, JSON.stringify(document));
    const plugin = pluginProblem();
    const valid = schemas.testApp(document);
    expect({ plugin: verdictOf(plugin), schema: schemaVerdict(valid) }).toEqual({ plugin: verdict, schema: verdict });
  });
});

/** The workspace's own files of a name, two levels (`platform-images/<dotnet>/<variant>`) or one deep. */
function committed(dir: string, depth: number, file: string): string[] {
  const folders = (at: string, left: number): string[] =>
    left === 0
      ? [at]
      : readdirSync(path.join(WORKSPACE, at), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .flatMap((entry) => folders(path.posix.join(at, entry.name), left - 1));
  return folders(dir, depth)
    .map((folder) => path.posix.join(folder, file))
    .filter((rel) => readdirSync(path.join(WORKSPACE, path.dirname(rel))).includes(file));
}

describe("the workspace's own files pass their schema, which their $schema names", () => {
  const cases = [
    ...committed('platform-images', 2, 'platform-image.json').map((file) => ({ file, schema: 'platform-image' as const })),
    ...committed('integration-tests', 1, 'test-app.json').map((file) => ({ file, schema: 'test-app' as const })),
  ];

  test('there are files of both kinds', () => {
    expect(cases.filter((c) => c.schema === 'platform-image').length).toBeGreaterThan(0);
    expect(cases.filter((c) => c.schema === 'test-app').length).toBeGreaterThan(0);
  });

  test.each(cases)('$file', ({ file, schema }) => {
    const document = JSON.parse(readFileSync(path.join(WORKSPACE, file), 'utf8')) as { $schema: string };
    expect(path.resolve(WORKSPACE, path.dirname(file), document.$schema)).toBe(path.join(__dirname, `${schema}.schema.json`));
    const validate = schema === 'platform-image' ? schemas.image : schemas.testApp;
    expect({ valid: validate(document), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
  });
});
