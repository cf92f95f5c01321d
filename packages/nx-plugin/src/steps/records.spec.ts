import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError, UserError } from '../types/errors';
import { FAILURE, hasTagsToFinish, notifyHasWork, publishHasWork, recordFailure, Records, recordsDir, type CheckRecord } from './records';

const current: CheckRecord = {
  project: 'net6-runtime',
  stale: false,
  reason: 'current',
  message: 'current',
  base: { name: 'b', digest: 'sha256:b', pullRef: 'b' },
  contextDigest: 'sha256:c',
};
const owed = {
  marker: 'unannounced-0123456789abcdef',
  versionTag: '6.0-bullseye-slim-1.2.0',
  digest: 'sha256:d',
  tags: [],
  repositoryUri: 'r',
};
const leftover = { tag: 'staging-0123456789abcdef', kind: 'staging' as const, digest: 'sha256:s', pushedAt: '2024-03-07T08:00:00.000Z' };

describe('what a current image still has to do, by step', () => {
  it.each<[string, Partial<CheckRecord>, { publish: boolean; notify: boolean }]>([
    ['nothing', {}, { publish: false, notify: false }],
    [
      'moving tags to finish: publish moves them, notify announces the version',
      { tagsToFinish: ['latest'] },
      { publish: true, notify: true },
    ],
    ['a card owed: notify only', { owedCards: [owed] }, { publish: false, notify: true }],
    ['run tags to remove: publish only', { leftoverTags: [leftover] }, { publish: true, notify: false }],
    [
      'an SBOM owed: publish attaches it, no card',
      { sbomOwed: { versionTag: '6.0-bullseye-slim-1.2.0', digest: 'sha256:d' } },
      { publish: true, notify: false },
    ],
    ['empty lists are nothing', { tagsToFinish: [], owedCards: [], leftoverTags: [] }, { publish: false, notify: false }],
  ])('%s', (_name, over, expected) => {
    const check = { ...current, ...over };
    expect({ publish: publishHasWork(check), notify: notifyHasWork(check) }).toEqual(expected);
    expect(hasTagsToFinish(check)).toBe(!!over.tagsToFinish?.length);
  });
});

describe('Records', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'records-spec-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const records = () => new Records(recordsDir(root, 'platform-images/net6/runtime'));

  it('keeps every record of an image in dist/<projectRoot>/, the failure record beside the steps', () => {
    expect(records().file('mcr-check')).toBe(path.join(root, 'dist/platform-images/net6/runtime/mcr-check.json'));
    expect(records().file(FAILURE)).toBe(path.join(root, 'dist/platform-images/net6/runtime/failure.json'));
  });

  it('finds nothing where no record is, and read says how to get one', () => {
    expect(records().find('mcr-check')).toBeUndefined();
    expect(records().failure()).toBeUndefined();
    expect(() => records().read('mcr-check')).toThrow(UserError);
    records().write('mcr-check', current);
    expect(records().find('mcr-check')).toEqual(current);
  });

  it('writes a failure as its fields: a configuration mistake with its file and field, a user error with its fix', () => {
    const config = new ConfigError('nx.json', 'aws.region', '"eu-westt-1" is not valid', 'did you mean "eu-west-1"?');
    expect(records().fail('mcr-check', config)).toEqual({
      step: 'mcr-check',
      error: 'nx.json: aws.region: "eu-westt-1" is not valid',
      fix: 'did you mean "eu-west-1"?',
      file: 'nx.json',
      field: 'aws.region',
    });
    records().fail('ecr-publish', new UserError('version taken', 'rerun'), 'r7');
    expect(records().failure()).toEqual({ step: 'ecr-publish', runId: 'r7', error: 'version taken', fix: 'rerun' });
    records().fail('docker-build', 'a string thrown');
    expect(records().failure()).toEqual({ step: 'docker-build', error: 'a string thrown' });
    records().clear(FAILURE);
    expect(existsSync(records().file(FAILURE))).toBe(false);
  });

  it("recordFailure writes the executor's project's record, and only warns when it cannot", () => {
    const warnings: string[] = [];
    const context = {
      root,
      projectName: 'net6-runtime',
      projectsConfigurations: { projects: { 'net6-runtime': { root: 'platform-images/net6/runtime' } } },
    };
    recordFailure(context, 'integration-test', new UserError('no answer', 'check the app'), { runId: 'r2', warn: (w) => warnings.push(w) });
    expect(records().failure()).toEqual({ step: 'integration-test', runId: 'r2', error: 'no answer', fix: 'check the app' });
    recordFailure({ root, projectName: 'other' }, 'mcr-check', new Error('x'), { warn: (w) => warnings.push(w) });
    expect(warnings).toEqual(['mcr-check: its failure record was not written: no project root for other']);
  });
});
