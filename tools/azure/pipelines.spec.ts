/**
 * The Azure Pipelines YAML cannot run here, so it is checked the way Azure would reject it and against the
 * workspace it drives: files parse, template references resolve (relative to the referencing file, or to
 * the repository root with a leading /), parameters match their templates' declarations, every npm script,
 * nx target, project and tool the pipelines name exists, and secrets stay out of the logs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { CLI_NAME, COMMANDS } from '../../packages/nx-plugin/src/azure/cli';
import { planOutput } from '../../packages/nx-plugin/src/azure/plan';
import { createNodesV2, imageTargets, projectNameFor } from '../../packages/nx-plugin/src/plugin/create-nodes';

const ROOT = path.resolve(__dirname, '../..');
const PLUGIN_DIR = path.join(ROOT, 'packages/nx-plugin');
const PIPELINES_DIR = path.join(ROOT, '.azure-pipelines');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

interface ParameterDecl {
  name: string;
  type?: string;
  default?: Json;
  values?: Json[];
  hasDefault: boolean;
}

interface TemplateRef {
  file: string;
  ref: string;
  resolved: string;
  passed: Obj;
}

interface Step {
  file: string;
  step: Obj;
  body: string;
  env: Obj;
}

function walkFiles(dir: string, keep: (file: string) => boolean, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walkFiles(full, keep, out);
    else if (keep(full)) out.push(full);
  }
  return out;
}

const rel = (file: string) => path.relative(ROOT, file).split(path.sep).join('/');

const azureFiles = walkFiles(PIPELINES_DIR, (f) => /\.ya?ml$/.test(f));
const imagePipelines = walkFiles(path.join(ROOT, 'platform-images'), (f) => path.basename(f) === 'azure-pipelines.yml');
const allFiles = [...azureFiles, ...imagePipelines].sort();
const templateFiles = azureFiles.filter((f) => rel(f).startsWith('.azure-pipelines/templates/'));
const pipelineFiles = allFiles.filter((f) => !templateFiles.includes(f));

const parsed = new Map<string, Obj>();
function load(file: string): Obj {
  if (!parsed.has(file)) parsed.set(file, (parseDocument(readFileSync(file, 'utf8')).toJS() ?? {}) as Obj);
  return parsed.get(file)!;
}

function isObj(value: Json | undefined): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as text: a scalar as String() writes it, a mapping or a sequence as JSON (never "[object Object]"). */
function textOf(value: Json | undefined): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** Every object in the document, depth first (conditional `${{ if }}` keys are walked like any other). */
function objects(node: Json, out: Obj[] = []): Obj[] {
  if (Array.isArray(node)) node.forEach((n) => objects(n, out));
  else if (isObj(node)) {
    out.push(node);
    Object.values(node).forEach((n) => objects(n, out));
  }
  return out;
}

function strings(node: Json, out: string[] = []): string[] {
  if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) node.forEach((n) => strings(n, out));
  else if (isObj(node)) Object.entries(node).forEach(([k, v]) => (out.push(k), strings(v, out)));
  return out;
}

function resolveTemplate(file: string, ref: string): string {
  const target = ref.replace(/@self$/, '');
  return target.startsWith('/') ? path.join(ROOT, target) : path.resolve(path.dirname(file), target);
}

function templateRefs(file: string): TemplateRef[] {
  return objects(load(file))
    .filter((o) => typeof o.template === 'string')
    .map((o) => ({
      file,
      ref: o.template as string,
      resolved: resolveTemplate(file, o.template as string),
      passed: isObj(o.parameters) ? o.parameters : {},
    }));
}

/** Parameters declared by a file (a template's, or a pipeline's runtime parameters). */
function declaredParameters(file: string): ParameterDecl[] {
  const list = load(file).parameters;
  if (!Array.isArray(list)) return [];
  return list.filter(isObj).map((p) => ({
    name: textOf(p.name),
    type: typeof p.type === 'string' ? p.type : undefined,
    default: p.default,
    values: Array.isArray(p.values) ? p.values : undefined,
    hasDefault: Object.prototype.hasOwnProperty.call(p, 'default'),
  }));
}

function steps(file: string): Step[] {
  return objects(load(file)).flatMap((o): Step[] => {
    const env = isObj(o.env) ? o.env : {};
    if (typeof o.script === 'string') return [{ file, step: o, body: o.script, env }];
    if (typeof o.bash === 'string') return [{ file, step: o, body: o.bash, env }];
    if (typeof o.task === 'string' && isObj(o.inputs) && typeof o.inputs.inlineScript === 'string')
      return [{ file, step: o, body: o.inputs.inlineScript, env }];
    return [];
  });
}

/** Env mappings, flattening conditional `${{ if }}` blocks. */
function envEntries(env: Obj): [string, string][] {
  return Object.entries(env).flatMap(([k, v]): [string, string][] => (k.startsWith('${{') && isObj(v) ? envEntries(v) : [[k, textOf(v)]]));
}

const isExpression = (text: string) => /\$\(|\$\{\{|\$\[/.test(text);

// What the pipelines may name: the targets the plugin infers, the projects on disk, the root npm scripts.
const TARGETS = Object.keys(imageTargets(undefined));
const IMAGE_ROOTS = readdirSync(path.join(ROOT, 'platform-images'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(path.join(ROOT, 'platform-images', d.name), { withFileTypes: true })
      .filter((v) => v.isDirectory())
      .map((v) => `platform-images/${d.name}/${v.name}`),
  )
  .filter((root) => existsSync(path.join(ROOT, root, 'platform-image.json')));
const PROJECTS = IMAGE_ROOTS.map((root) => projectNameFor(root));
const SCRIPTS = Object.keys(
  (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts,
);

async function imageTags(): Promise<Set<string>> {
  const results = await createNodesV2[1](
    IMAGE_ROOTS.map((r) => `${r}/platform-image.json`),
    undefined,
    { nxJsonConfiguration: {}, workspaceRoot: ROOT },
  );
  return new Set(results.flatMap(([, r]) => Object.values(r.projects ?? {}).flatMap((p) => p.tags ?? [])));
}

/** A target as written: a literal, or `${{ parameters.x }}` whose allowed values (or default) are checked. */
function targetsNamed(file: string, token: string): string[] {
  const param = /^\$\{\{\s*parameters\.(\w+)\s*\}\}$/.exec(token);
  if (!param) return [token];
  const decl = declaredParameters(file).find((p) => p.name === param[1]);
  if (!decl) return [`<undeclared parameter ${param[1]}>`];
  return (decl.values ?? [decl.default]).map(String);
}

interface NxCommand {
  file: string;
  text: string;
  project?: string;
  targets: string[];
}

function nxCommands(file: string): NxCommand[] {
  const found: NxCommand[] = [];
  for (const raw of strings(load(file))) {
    // `${{ parameters.target }}` holds spaces: one token while the command line is split into words.
    const expressions: string[] = [];
    const text = raw.replace(/\$\{\{.*?\}\}/g, (e) => `\uE000${expressions.push(e) - 1}\uE000`);
    const restore = (token: string) => token.replace(/\uE000(\d+)\uE000/g, (_m, i) => expressions[Number(i)]);
    for (const m of text.matchAll(/\bnx run (\S+?):(\S+)/g))
      found.push({ file, text: restore(m[0]), project: restore(m[1]), targets: targetsNamed(file, restore(m[2])) });
    for (const m of text.matchAll(/\bnx (?:run-many|affected)\b[^\n]*/g)) {
      const t = /(?:-t|--targets?)[ =](\S+)/.exec(m[0]);
      found.push({
        file,
        text: restore(m[0]),
        targets: t ? t[1].split(',').flatMap((x) => targetsNamed(file, restore(x))) : ['<no target>'],
      });
    }
    for (const m of text.matchAll(/platform-images-azure plan\b[^\n]*?--target=(\S+)/g))
      found.push({ file, text: restore(m[0]), targets: targetsNamed(file, restore(m[1])) });
  }
  return found;
}

describe('Azure Pipelines files', () => {
  it('finds the pipelines, the templates and the per-image pipelines', () => {
    expect(pipelineFiles.map(rel)).toEqual(
      expect.arrayContaining([
        '.azure-pipelines/changes.yml',
        '.azure-pipelines/scheduled.yml',
        'platform-images/net6/runtime/azure-pipelines.yml',
        'platform-images/net6/sdk/azure-pipelines.yml',
      ]),
    );
    expect(templateFiles.map(rel)).toEqual(expect.arrayContaining(['.azure-pipelines/templates/platform-image.yml']));
  });

  it.each(allFiles.map(rel))('%s parses as YAML without errors or warnings', (file) => {
    const doc = parseDocument(readFileSync(path.join(ROOT, file), 'utf8'));
    expect(doc.errors.map(String)).toEqual([]);
    expect(doc.warnings.map(String)).toEqual([]);
    expect(isObj(doc.toJS() as Json)).toBe(true);
  });
});

describe('templates', () => {
  const refs = allFiles.flatMap(templateRefs);

  it('are referenced at all', () => {
    expect(refs.length).toBeGreaterThan(5);
  });

  it.each(refs.map((r) => [rel(r.file), r.ref, r] as const))('%s: %s resolves to a file', (_f, _r, ref) => {
    expect(ref.ref).not.toMatch(/@(?!self$)/);
    expect(existsSync(ref.resolved)).toBe(true);
  });

  it.each(refs.map((r) => [rel(r.file), r.ref, r] as const))(
    '%s: %s gets only declared parameters and every required one',
    (_f, _r, ref) => {
      const declared = declaredParameters(ref.resolved);
      const names = declared.map((d) => d.name);
      expect(Object.keys(ref.passed).filter((k) => !names.includes(k))).toEqual([]);
      expect(declared.filter((d) => !d.hasDefault && !(d.name in ref.passed)).map((d) => d.name)).toEqual([]);
      for (const d of declared) {
        const value = ref.passed[d.name];
        if (value === undefined || (typeof value === 'string' && isExpression(value))) continue;
        if (d.type === 'boolean') expect([d.name, typeof value]).toEqual([d.name, 'boolean']);
        if (d.type === 'number') expect([d.name, typeof value]).toEqual([d.name, 'number']);
        if (d.values) expect(d.values).toContain(value);
      }
    },
  );

  it('every template file is used', () => {
    const used = new Set(refs.map((r) => r.resolved));
    expect(templateFiles.filter((f) => !used.has(f)).map(rel)).toEqual([]);
  });

  it.each(templateFiles.map(rel))('%s declares typed parameters', (file) => {
    for (const p of declaredParameters(path.join(ROOT, file)))
      expect([p.name, p.type]).toEqual([
        p.name,
        expect.stringMatching(/^(string|number|boolean|object|step|stepList|job|jobList|stage|stageList)$/),
      ]);
  });

  it.each(pipelineFiles.map(rel))('%s: runtime parameters have defaults (scheduled runs cannot ask)', (file) => {
    expect(
      declaredParameters(path.join(ROOT, file))
        .filter((p) => !p.hasDefault)
        .map((p) => p.name),
    ).toEqual([]);
  });
});

describe('commands the pipelines run', () => {
  const commands = allFiles.flatMap(nxCommands);
  const allStrings = allFiles.flatMap((f) => strings(load(f)));

  it('run nx run, nx run-many and nx affected', () => {
    expect(commands.some((c) => c.text.startsWith('nx run '))).toBe(true);
    expect(commands.some((c) => c.text.startsWith('nx run-many'))).toBe(true);
    expect(commands.some((c) => c.text.startsWith('nx affected'))).toBe(true);
    expect(commands.some((c) => c.text.startsWith(`${CLI_NAME} plan`))).toBe(true);
  });

  it.each(commands.map((c) => [rel(c.file), c.text, c] as const))('%s: `%s` names real targets', (_f, _t, command) => {
    expect(command.targets.filter((t) => !TARGETS.includes(t))).toEqual([]);
  });

  it.each(commands.filter((c) => c.project).map((c) => [rel(c.file), c.text, c] as const))(
    '%s: `%s` names a real project or a variable',
    (_f, _t, command) => {
      if (!isExpression(command.project!)) expect(PROJECTS).toContain(command.project);
    },
  );

  it('select projects by a tag the plugin gives platform images', async () => {
    const tags = await imageTags();
    const used = allStrings.flatMap((s) => [...s.matchAll(/--projects=tag:(\S+)/g), ...s.matchAll(/--tag=(\S+)/g)].map((m) => m[1]));
    expect(used.length).toBeGreaterThan(0);
    for (const tag of used) expect(tags).toContain(tag);
  });

  it('name only root npm scripts', () => {
    const named = allStrings.flatMap((s) =>
      [...s.matchAll(/\bnpm run ([\w:.-]+)/g)].map((m) => m[1]).concat(/\bnpm (test|t)\b/.test(s) ? ['test'] : []),
    );
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((n) => !SCRIPTS.includes(n))).toEqual([]);
  });

  it('run npm scripts only --if-present (a workspace without the script skips it)', () => {
    const runs = commandLines().flatMap(({ line }) => [...line.matchAll(/\bnpm run ([\w:.-]+)([^\n;&|]*)/g)]);
    expect(runs.length).toBeGreaterThan(0);
    for (const m of runs) expect([m[0], m[2]]).toEqual([m[0], expect.stringContaining('--if-present')]);
  });
});

/** Every command line a step runs: the steps' scripts, and the nx command lines handed to templates/steps/nx.yml. */
function commandLines(): { file: string; line: string; body: string }[] {
  const bodies = allFiles.flatMap(steps).map((s) => ({ file: s.file, body: s.body }));
  const passed = allFiles
    .flatMap(templateRefs)
    .filter((r) => typeof r.passed.command === 'string')
    .map((r) => ({ file: r.file, body: r.passed.command as string }));
  return [...bodies, ...passed].flatMap(({ file, body }) =>
    body
      .split('\n')
      .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
      .filter(Boolean)
      .map((line) => ({ file, line, body })),
  );
}

describe('the pipelines work in any workspace that installed the plugin (init copies them as they are)', () => {
  const pkg = JSON.parse(readFileSync(path.join(PLUGIN_DIR, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };
  const lines = commandLines();
  const BUILD = 'packages/nx-plugin/scripts/build.mjs';

  it("the package's bin provides the command line, from a file npm links before the plugin is built", () => {
    expect(Object.keys(pkg.bin)).toEqual([CLI_NAME]);
    const bin = path.join(PLUGIN_DIR, pkg.bin[CLI_NAME]);
    expect(existsSync(bin)).toBe(true);
    expect(readFileSync(bin, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    expect(rel(bin)).not.toMatch(/\/dist\//);
    expect(pkg.files).toContain(path.posix.dirname(pkg.bin[CLI_NAME]).replace(/^\.\//, ''));
  });

  it('every npx, npm and node command is nx, npm ci, an npm script --if-present, or a command of the bin', () => {
    const invocations = lines.flatMap(({ file, line, body }) =>
      [...line.matchAll(/(?:^|[\s;&|(])(npx|npm|node)\s+(\S+)(?:\s+(\S+))?/g)].map((m) => ({ file, line, body, m })),
    );
    const used = new Set<string>();
    expect(invocations.length).toBeGreaterThan(5);
    for (const { file, line, body, m } of invocations) {
      const [, program, first, second] = m;
      const where = [rel(file), line];
      if (program === 'npx') {
        expect([...where, first]).toEqual([...where, expect.stringMatching(new RegExp(`^(nx|${CLI_NAME})$`))]);
        if (first === CLI_NAME) {
          expect([...where, second]).toEqual([...where, expect.stringMatching(new RegExp(`^(${Object.keys(COMMANDS).join('|')})$`))]);
          used.add(second);
        }
      } else if (program === 'npm') {
        if (first !== 'ci') expect([...where, first, line]).toEqual([...where, 'run', expect.stringContaining('--if-present')]);
      } else {
        // The plugin's own build, only where the workspace holds its source.
        expect([...where, first]).toEqual([...where, BUILD]);
        expect(body).toContain(`if [ -f ${BUILD} ]; then`);
      }
    }
    // Every command of the bin is one the pipelines use.
    expect([...used].sort()).toEqual(Object.keys(COMMANDS).sort());
  });

  it("no step runs a file of this repository's tools, or a TypeScript loader", () => {
    for (const { file, line } of lines) {
      expect([rel(file), line]).toEqual([rel(file), expect.not.stringMatching(/(^|[\s/])tools\/|@swc-node|ts-node|\btsx\b|\.ts\b/)]);
    }
  });
});

describe('secrets', () => {
  const all = allFiles.flatMap(steps);
  const SECRET = /TEAMS_WEBHOOK_URI|SYSTEM_ACCESSTOKEN|System\.AccessToken|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN/;
  const runsNx = (s: Step) => /\bnx (run|run-many|affected)\b|\$\{\{\s*parameters\.command\s*\}\}/.test(s.body);

  it('finds the steps', () => {
    expect(all.length).toBeGreaterThan(10);
  });

  it('no step echoes or prints a secret, or traces its commands', () => {
    for (const s of all) {
      for (const line of s.body.split('\n')) {
        if (/\b(echo|printf)\b/.test(line)) expect([rel(s.file), line]).toEqual([rel(s.file), expect.not.stringMatching(SECRET)]);
        expect([rel(s.file), line]).toEqual([rel(s.file), expect.not.stringMatching(/set -[a-z]*x|set -o xtrace/)]);
      }
    }
  });

  it('no step hands a secret to its command line', () => {
    for (const s of all)
      expect([rel(s.file), s.body]).toEqual([
        rel(s.file),
        expect.not.stringMatching(/\$\((TEAMS_WEBHOOK_URI|System\.AccessToken|AWS_SECRET_ACCESS_KEY)\)/),
      ]);
  });

  it('TEAMS_WEBHOOK_URI reaches only the steps running the chain, from a variable', () => {
    const mapping = all.filter((s) => envEntries(s.env).some(([k]) => k === 'TEAMS_WEBHOOK_URI'));
    expect(mapping.length).toBeGreaterThan(0);
    for (const s of mapping) {
      expect(runsNx(s)).toBe(true);
      const value = envEntries(s.env).find(([k]) => k === 'TEAMS_WEBHOOK_URI')![1];
      expect(value).toMatch(/^\$\{\{\s*parameters\.teams_webhook_uri\s*\}\}$|^\$\(TEAMS_WEBHOOK_URI\)$/);
    }
    // The default every template falls back to is the secret variable, never a URL.
    const defaults = allFiles
      .flatMap((f) => declaredParameters(f))
      .filter((p) => p.name === 'teams_webhook_uri')
      .map((p) => p.default);
    for (const d of defaults) expect(['', '$(TEAMS_WEBHOOK_URI)']).toContain(d);
    expect(allStrings()).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/https:\/\/[^\s]*(webhook|logic\.azure|office\.com)/i)]),
    );
  });

  it('the OAuth token reaches only the base commit step', () => {
    const mapping = all.filter((s) => envEntries(s.env).some(([k, v]) => k === 'SYSTEM_ACCESSTOKEN' || /System\.AccessToken/.test(v)));
    expect(mapping.length).toBeGreaterThan(0);
    for (const s of mapping) {
      expect(s.body).toMatch(new RegExp(`^npx ${CLI_NAME} base-sha\\b`));
      expect(envEntries(s.env)).toEqual(
        expect.arrayContaining([
          ['SYSTEM_ACCESSTOKEN', '$(System.AccessToken)'],
          ['SYSTEM_COLLECTIONURI', '$(System.CollectionUri)'],
          ['SYSTEM_TEAMPROJECT', '$(System.TeamProject)'],
          ['SYSTEM_DEFINITIONID', '$(System.DefinitionId)'],
        ]),
      );
    }
  });

  it('AWS secret keys reach only the steps running the chain', () => {
    for (const s of all.filter((x) => envEntries(x.env).some(([k]) => /^AWS_/.test(k)))) expect(runsNx(s)).toBe(true);
  });

  function allStrings(): string[] {
    return allFiles.flatMap((f) => strings(load(f)));
  }
});

describe('AWS credentials last as long as the job', () => {
  const NX_STEPS = path.join(PIPELINES_DIR, 'templates/steps/nx.yml');
  /** Every job in a file, with the nx.yml uses among its steps. */
  const jobs = allFiles.flatMap((file) =>
    objects(load(file))
      .filter((o) => typeof o.job === 'string')
      .map((job) => ({
        file,
        job,
        nxSteps: objects(job.steps ?? []).filter((o) => typeof o.template === 'string' && resolveTemplate(file, o.template) === NX_STEPS),
      })),
  );

  it('finds the jobs that run nx with AWS credentials', () => {
    expect(jobs.filter((j) => j.nxSteps.length).length).toBeGreaterThanOrEqual(3);
  });

  it.each(jobs.filter((j) => j.nxSteps.length).map((j) => [rel(j.file), textOf(j.job.job), j] as const))(
    '%s: job %s hands its own timeout to every nx step',
    (_f, _j, { job, nxSteps }) => {
      expect(job.timeoutInMinutes).toBeDefined();
      for (const step of nxSteps) expect((step.parameters as Obj).timeout_minutes).toBe(job.timeoutInMinutes);
    },
  );

  /** The step that sets aws.rolecredential.maxduration, run in bash with the timeout filled in. */
  function sessionStep(timeoutMinutes: number, env: Record<string, string> = {}): string {
    const step = steps(NX_STEPS).find((s) => s.body.includes('aws.rolecredential.maxduration'));
    if (!step) throw new Error('nx.yml has no step setting aws.rolecredential.maxduration');
    const script = step.body.replace(/\$\{\{\s*parameters\.timeout_minutes\s*\}\}/g, String(timeoutMinutes));
    const result = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
    if (result.status !== 0) throw new Error(`the step failed: ${result.stderr}`);
    return result.stdout;
  }

  it.each([
    [120, '7200'],
    [10, '900'],
    [1000, '43200'],
  ])('a %i-minute job asks the AWS Toolkit for %s-second credentials (AssumeRole allows 900 to 43,200)', (minutes, seconds) => {
    expect(sessionStep(minutes)).toContain(`##vso[task.setvariable variable=aws.rolecredential.maxduration]${seconds}\n`);
  });

  it('leaves a duration the pipeline set itself alone', () => {
    const out = sessionStep(120, { AWS_ROLECREDENTIAL_MAXDURATION: '3600' });
    expect(out).not.toContain('##vso[task.setvariable');
    expect(out).toContain('3600 s');
  });

  it('runs before the AWS Toolkit task, only where a service connection is used', () => {
    const doc = load(NX_STEPS).steps as Json[];
    const withConnection = doc.find((s) => isObj(s) && Object.keys(s).some((k) => k.includes("ne(parameters.aws_credentials, '')"))) as Obj;
    const list = Object.values(withConnection)[0] as Obj[];
    expect(
      list.map((s) =>
        typeof s.task === 'string'
          ? s.task
          : typeof s.bash === 'string' && s.bash.includes('aws.rolecredential.maxduration')
            ? 'session'
            : '?',
      ),
    ).toEqual(['session', 'AWSShellScript@1']);
  });
});

describe('force_update', () => {
  const FORCE_ENV = 'PLATFORM_IMAGES_FORCE_UPDATE';
  const fromParameter = /^\$\{\{\s*(lower\()?parameters\.force_update\)?\s*\}\}$/;

  /** Does the file map its force_update parameter into the env, itself or through the templates it passes it to? */
  function forwardsForce(file: string, seen: string[] = []): boolean {
    if (seen.includes(file)) return false;
    seen = [...seen, file];
    const direct = steps(file).some((s) => envEntries(s.env).some(([k, v]) => k === FORCE_ENV && fromParameter.test(v)));
    const viaTemplates = templateRefs(file).filter((r) => 'force_update' in r.passed);
    return (
      direct ||
      (viaTemplates.length > 0 &&
        viaTemplates.every((r) => r.passed.force_update === '${{ parameters.force_update }}' && forwardsForce(r.resolved, seen)))
    );
  }

  it('is a boolean runtime parameter, false by default, of the scheduled and per-image pipelines', () => {
    for (const file of [path.join(PIPELINES_DIR, 'scheduled.yml'), ...imagePipelines]) {
      expect([rel(file), declaredParameters(file).find((p) => p.name === 'force_update')]).toEqual([
        rel(file),
        expect.objectContaining({ type: 'boolean', default: false }),
      ]);
    }
  });

  it.each(allFiles.filter((f) => declaredParameters(f).some((p) => p.name === 'force_update')).map(rel))(
    '%s maps force_update to PLATFORM_IMAGES_FORCE_UPDATE',
    (file) => {
      expect(forwardsForce(path.join(ROOT, file))).toBe(true);
    },
  );

  it('is the only thing PLATFORM_IMAGES_FORCE_UPDATE is set from', () => {
    const values = allFiles
      .flatMap(steps)
      .flatMap((s) => envEntries(s.env))
      .filter(([k]) => k === FORCE_ENV)
      .map(([, v]) => v);
    expect(values.length).toBeGreaterThan(0);
    for (const v of values) expect(v).toMatch(fromParameter);
    for (const s of allFiles.flatMap((f) => strings(load(f)))) expect(s).not.toMatch(/PLATFORM_IMAGES_FORCE_UPDATE=/);
  });
});

describe('triggers', () => {
  const scheduled = () => load(path.join(PIPELINES_DIR, 'scheduled.yml'));
  const changes = () => load(path.join(PIPELINES_DIR, 'changes.yml'));

  it.each([path.join(PIPELINES_DIR, 'scheduled.yml'), ...imagePipelines].map(rel))(
    '%s runs on a schedule on main even without commits, and on nothing else',
    (file) => {
      const doc = load(path.join(ROOT, file));
      expect(doc.trigger).toBe('none');
      expect(doc.pr).toBe('none');
      const schedules = doc.schedules as Obj[];
      expect(schedules.length).toBeGreaterThan(0);
      for (const s of schedules) {
        expect(textOf(s.cron).split(' ')).toHaveLength(5);
        expect(s.always).toBe(true);
        expect(s.branches).toEqual({ include: ['main'] });
      }
    },
  );

  it('the scheduled pipeline selects every image and publishes', () => {
    const ref = templateRefs(path.join(PIPELINES_DIR, 'scheduled.yml'))[0];
    expect(ref.passed).toMatchObject({ selection: 'all', target: 'publish', force_update: '${{ parameters.force_update }}' });
  });

  it('the change-driven pipeline publishes from main and only tests pull requests', () => {
    expect(changes().trigger).toMatchObject({ branches: { include: ['main'] } });
    expect(changes().pr).toMatchObject({ branches: { include: ['main'] } });
    const fanOuts = templateRefs(path.join(PIPELINES_DIR, 'changes.yml')).filter((r) => r.ref.endsWith('fan-out.yml'));
    expect(fanOuts.map((r) => r.passed)).toEqual([
      expect.objectContaining({
        selection: 'affected',
        affected_base: 'origin/main',
        target: 'integration-test',
        teams_webhook_uri: '',
        aws_credentials: '${{ variables.aws_readonly_service_connection }}',
      }),
      expect.objectContaining({
        selection: 'affected',
        affected_base: 'last-successful-run',
        target: 'publish',
        aws_credentials: '${{ variables.aws_service_connection }}',
      }),
    ]);
    const jobs = changes().jobs as Obj[];
    expect(Object.keys(jobs[0])).toEqual(["${{ if eq(variables['Build.Reason'], 'PullRequest') }}"]);
    expect((jobs[0][Object.keys(jobs[0])[0]] as Obj[]).some((j) => j.template === fanOuts[0].ref)).toBe(true);
    expect(scheduled().jobs).toBeDefined();
  });

  it('service connections are named by compile-time variables the pipeline defines', () => {
    for (const file of pipelineFiles) {
      const defined = ((load(file).variables ?? []) as Obj[]).filter((v) => typeof v.name === 'string').map((v) => v.name);
      for (const s of strings(load(file)))
        for (const m of s.matchAll(/\$\{\{\s*variables\.(\w+)\s*\}\}/g))
          expect([rel(file), defined]).toEqual([rel(file), expect.arrayContaining([m[1]])]);
    }
  });
});

describe('fan-out', () => {
  const file = path.join(PIPELINES_DIR, 'templates/jobs/fan-out.yml');
  const jobs = () => objects(load(file)).filter((o) => typeof o.job === 'string');

  it('plans in a step named list whose output variables the later jobs read', () => {
    const plan = jobs().find((j) => j.job === 'plan')!;
    const listSteps = objects(plan.steps).filter((o) => o.name === 'list');
    expect(listSteps.length).toBe(2);
    for (const s of listSteps) expect(textOf(s.bash)).toMatch(new RegExp(`^npx ${CLI_NAME} plan `));

    const images = jobs().find((j) => j.job === 'images' && isObj(j.strategy))!;
    expect(images.dependsOn).toBe('plan');
    expect(images.strategy).toMatchObject({ matrix: "$[ dependencies.plan.outputs['list.matrix'] ]" });
    expect(images.condition).toContain("ne(dependencies.plan.outputs['list.count'], '0')");
    expect(strings(images.steps).join('\n')).toMatch(/npx nx run \$\(project\):\$\{\{ parameters\.target \}\}/);

    // The variables the plan command sets are the ones read here, and the matrix variable is `project`.
    const lines = planOutput(['net6-runtime'], { target: 'publish', tag: 'type:platform-image' });
    expect(lines).toContain('##vso[task.setvariable variable=matrix;isOutput=true]{"net6_runtime":{"project":"net6-runtime"}}');
    expect(lines).toContain('##vso[task.setvariable variable=count;isOutput=true]1');
  });

  it('summarises after the image jobs, whatever their result, from their published summaries', () => {
    const summary = jobs().find((j) => j.job === 'summary')!;
    expect(summary.dependsOn).toEqual(['plan', 'images']);
    expect(summary.condition).toMatch(/^and\(succeededOrFailed\(\)/);
    const text = strings(summary).join('\n');
    expect(text).toMatch(/DownloadPipelineArtifact@2/);
    expect(text).toMatch(new RegExp(`npx ${CLI_NAME} combine-summaries --dir=`));
    const publish = templateRefs(file).find((r) => r.ref.endsWith('publish-summary.yml'))!;
    expect(publish.passed.artifact).toBe('summary-$(project)-$(System.JobAttempt)');
    const nx = templateRefs(file).find((r) => r.ref.endsWith('nx.yml') && textOf(r.passed.command).includes('$(project)'))!;
    expect(nx.passed.upload_summary).toBe(false);
  });

  it('publishes one status page: from the summary job, or from the single job without a plan', () => {
    const pages = (job: Obj) => objects(job.steps).filter((st) => textOf(st.template).endsWith('publish-status-page.yml'));
    const summary = jobs().find((j) => j.job === 'summary')!;
    expect(pages(summary)).toEqual([
      {
        template: '../steps/publish-status-page.yml',
        parameters: { file: '$(Build.ArtifactStagingDirectory)/platform-images-status.html' },
      },
    ]);
    // combine-summaries writes the page next to the table it is given.
    expect(strings(summary).join('\n')).toMatch(/--out=\$\(Build\.ArtifactStagingDirectory\)\/platform-images-summary\.md/);
    // A matrix leg has only its own images: its status rows travel in its summary to the summary job.
    const matrix = jobs().find((j) => j.job === 'images' && isObj(j.strategy))!;
    expect(pages(matrix)).toEqual([]);
    const single = jobs().find((j) => j.job === 'images' && !isObj(j.strategy))!;
    expect(pages(single)).toHaveLength(1);
    const perImage = objects(load(path.join(PIPELINES_DIR, 'templates/platform-image.yml'))).find((o) => o.job === 'publish')!;
    expect(pages(perImage)).toHaveLength(1);
  });

  it('the status page step publishes the file it found, whatever the chain result, named by the job attempt', () => {
    const steps = objects(load(path.join(PIPELINES_DIR, 'templates/steps/publish-status-page.yml')).steps);
    const publish = steps.find((st) => 'publish' in st)!;
    expect(publish).toMatchObject({ publish: '${{ parameters.file }}', artifact: 'status-page-$(System.JobAttempt)' });
    expect(publish.condition).toBe("and(succeededOrFailed(), eq(variables['PLATFORM_IMAGES_HAS_STATUS_PAGE'], 'true'))");
    expect(textOf(steps[0].bash)).toContain('PLATFORM_IMAGES_HAS_STATUS_PAGE]true');
  });
});

describe('per-image pipelines', () => {
  it.each(imagePipelines.map(rel))('%s extends the platform image template for the image in its folder', (file) => {
    const doc = load(path.join(ROOT, file));
    const ext = doc.extends as Obj;
    expect(ext.template).toBe('/.azure-pipelines/templates/platform-image.yml');
    const project = (ext.parameters as Obj).project;
    expect(project).toBe(projectNameFor(path.posix.dirname(file)));
    expect(PROJECTS).toContain(project);
  });

  it('the template still declares every parameter of the seed pipeline', () => {
    const names = declaredParameters(path.join(PIPELINES_DIR, 'templates/platform-image.yml')).map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'aws_credentials',
        'aws_account',
        'private_ecr_region',
        'aws_ecr_repository_name',
        'aws_ecr_tag_without_version',
        'aws_ecr_extra_tags',
        'mcr_registry_uri',
        'mcr_tag_name',
        'dockerfile_context_path',
        'integration_test_dockerfile_local_path',
        'integration_test_dockerfile_local_overwrite_image_name',
        'integration_test_dockerfile_context',
        'teams_webhook_uri',
        'force_update',
        'project',
      ]),
    );
  });
});
