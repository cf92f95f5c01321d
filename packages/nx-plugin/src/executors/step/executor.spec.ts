import type { ExecutorContext } from '@nx/devkit';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Records, recordsDir } from '../../steps/records';
import step, { STEP_OPTIONS, stepOptionsProblem } from './executor';

/** What the tests read of an executor's schema.json. */
interface ExecutorSchema {
  properties: Record<string, { default?: unknown; enum?: string[] }>;
}

describe('stepOptionsProblem', () => {
  it.each<[string, Record<string, unknown>, RegExp | undefined]>([
    ['docker-build with its builder', { step: 'docker-build', builder: 'classic' }, undefined],
    ['integration-test with its timeout', { step: 'integration-test', timeoutSeconds: 120 }, undefined],
    ['ecr-publish with nothing', { step: 'ecr-publish' }, undefined],
    ['teams-notify with both of its options', { step: 'teams-notify', failOnError: true, timeoutSeconds: 5 }, undefined],
    [
      "teams-notify given the build's builder",
      { step: 'teams-notify', builder: 'classic' },
      /^teams-notify options: builder is not an option of teams-notify \(its options: failOnError, timeoutSeconds\)$/,
    ],
    [
      'ecr-publish given a timeout',
      { step: 'ecr-publish', timeoutSeconds: 5 },
      /^ecr-publish options: timeoutSeconds is not an option of ecr-publish \(it takes none\)$/,
    ],
    [
      'docker-build given two foreign options',
      { step: 'docker-build', failOnError: true, timeoutSeconds: 1 },
      /^docker-build options: failOnError, timeoutSeconds are not options of docker-build/,
    ],
    ['no step', {}, /step undefined is not one of docker-build, integration-test, ecr-publish, teams-notify/],
    ['the check, which has its own executor', { step: 'mcr-check' }, /step "mcr-check" is not one of/],
  ])('%s', (_name, options, problem) => {
    const error = stepOptionsProblem(options);
    if (!problem) return expect(error).toBeUndefined();
    expect(error?.message).toMatch(problem);
    expect(error?.hint).toBeTruthy();
  });
});

describe("the step executor's schema", () => {
  const read = (file: string) => JSON.parse(readFileSync(path.join(__dirname, '..', file), 'utf8')) as ExecutorSchema;
  const schema = read('step/schema.json');

  it("takes exactly the options of the four steps' own executors, and the step", () => {
    const own = new Set(Object.keys(STEP_OPTIONS).flatMap((name) => Object.keys(read(`${name}/schema.json`).properties)));
    expect(Object.keys(schema.properties).sort()).toEqual(['step', ...own].sort());
    for (const name of Object.keys(STEP_OPTIONS) as Array<keyof typeof STEP_OPTIONS>) {
      expect([...STEP_OPTIONS[name]].sort()).toEqual(Object.keys(read(`${name}/schema.json`).properties).sort());
    }
    expect(schema.properties.step.enum).toEqual(Object.keys(STEP_OPTIONS));
  });

  it('sets no default, so what nx.json says (docker.builder, teams.failOnError) is not overridden unless an option is given', () => {
    expect(Object.values(schema.properties).filter((p) => p.default !== undefined)).toEqual([]);
  });
});

describe('step', () => {
  it('fails a target whose options do not fit its step, saying which in the log and the failure record, before running anything', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'step-executor-spec-'));
    try {
      const lines: string[] = [];
      const context = {
        root,
        projectName: 'net8-runtime',
        targetName: 'teams-notify',
        projectsConfigurations: { version: 2, projects: { 'net8-runtime': { root: 'platform-images/net8/runtime' } } },
      } as unknown as ExecutorContext;
      await expect(
        step({ step: 'teams-notify', builder: 'classic' }, context, { session: undefined as never, write: (l) => lines.push(l) }),
      ).resolves.toEqual({ success: false });
      const error = 'teams-notify options: builder is not an option of teams-notify (its options: failOnError, timeoutSeconds)';
      const fix =
        "remove it from this target's options (--option, project.json or nx.json targetDefaults), or set it on the step it belongs to";
      expect(lines).toEqual([`error: net8-runtime: teams-notify failed: ${error}\n  fix: ${fix}`]);
      expect(new Records(recordsDir(root, 'platform-images/net8/runtime')).failure()).toEqual({ step: 'teams-notify', error, fix });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
