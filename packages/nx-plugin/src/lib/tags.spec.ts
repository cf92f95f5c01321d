import { expandExtraTags, type TagContext } from './tags';
import {
  isRunId,
  isValidTag,
  newRunId,
  parseRunTag,
  PLACEHOLDERS as KNOWN_PLACEHOLDERS,
  reservedPrefixOf,
  runTag,
  unknownPlaceholders,
} from '../types/tags';

const NOW = new Date('2024-03-07T23:59:59Z');
const AZURE = { BUILD_BUILDNUMBER: '20240307.4', BUILD_BUILDID: '1234', BUILD_SOURCEVERSION: '0123456789abcdef0123456789abcdef01234567' };

const ctx = (env: Record<string, string | undefined>): TagContext => ({ version: '1.2.0', env, now: NOW });

describe('expandExtraTags', () => {
  it.each<[string, string[], Record<string, string | undefined>, { tags: string[]; skipped: string[] }]>([
    ['no templates', [], AZURE, { tags: [], skipped: [] }],
    ['literal tags kept', ['6.0', 'stable'], {}, { tags: ['6.0', 'stable'], skipped: [] }],
    [
      'every placeholder under Azure',
      ['b{buildNumber}', 'id-{buildId}', 'sha-{sourceVersion}', 'v{version}', 'd{date}'],
      AZURE,
      { tags: ['b20240307.4', 'id-1234', 'sha-0123456', 'v1.2.0', 'd20240307'], skipped: [] },
    ],
    ['several placeholders in one tag', ['{version}-{buildNumber}'], AZURE, { tags: ['1.2.0-20240307.4'], skipped: [] }],
    [
      'CI placeholders skipped outside Azure',
      ['6.0', '{buildNumber}', 'id-{buildId}', 'sha-{sourceVersion}'],
      {},
      { tags: ['6.0'], skipped: ['{buildNumber}', 'id-{buildId}', 'sha-{sourceVersion}'] },
    ],
    ['version and date need no CI', ['{version}', '{date}'], {}, { tags: ['1.2.0', '20240307'], skipped: [] }],
    ['empty variable counts as missing', ['{buildNumber}'], { BUILD_BUILDNUMBER: '' }, { tags: [], skipped: ['{buildNumber}'] }],
    ['duplicates removed', ['6.0', '6.0', '{buildId}', '1234'], AZURE, { tags: ['6.0', '1234'], skipped: [] }],
    ['unknown placeholder skipped', ['{build}'], AZURE, { tags: [], skipped: ['{build}'] }],
    [
      'prototype names are not placeholders',
      ['{constructor}', '{toString}'],
      AZURE,
      { tags: [], skipped: ['{constructor}', '{toString}'] },
    ],
  ])('%s', (_name, templates, env, expected) => {
    expect(expandExtraTags(templates, ctx(env))).toEqual(expected);
  });
});

describe('unknownPlaceholders', () => {
  it.each<[string, string[]]>([
    ['6.0', []],
    ['{buildNumber}', []],
    ['{version}-{date}-{buildId}-{sourceVersion}', []],
    ['{build}', ['build']],
    ['{Version}', ['Version']],
    ['{}', ['']],
    ['{a}-{version}-{b}', ['a', 'b']],
    ['{constructor}', ['constructor']],
    ['{__proto__}', ['__proto__']],
  ])('%s → %j', (template, unknown) => {
    expect(unknownPlaceholders(template)).toEqual(unknown);
  });

  it('knows exactly the documented placeholders', () => {
    expect([...KNOWN_PLACEHOLDERS].sort()).toEqual(['buildId', 'buildNumber', 'date', 'sourceVersion', 'version']);
  });
});

describe('isValidTag', () => {
  it.each<[string, boolean]>([
    ['latest', true],
    ['6.0', true],
    ['6.0-bullseye-slim-1.2.0', true],
    ['_private', true],
    ['A_b.c-d', true],
    ['x'.repeat(128), true],
    ['x'.repeat(129), false],
    ['', false],
    ['.hidden', false],
    ['-dash', false],
    ['has space', false],
    ['a/b', false],
    ['a:b', false],
    ['{buildNumber}', false],
  ])('%j → %s', (tag, valid) => {
    expect(isValidTag(tag)).toBe(valid);
  });
});

describe('run tags', () => {
  it.each<[string, ReturnType<typeof parseRunTag>]>([
    ['staging-0123456789abcdef', { kind: 'staging', runId: '0123456789abcdef' }],
    ['unannounced-0123456789abcdef', { kind: 'unannounced', runId: '0123456789abcdef' }],
    ['staging-0123456789abcdef-linux-arm64', { kind: 'staging', runId: '0123456789abcdef', platformSlug: 'linux-arm64' }],
    ['staging-0123456789abcdef-linux-arm-v7', { kind: 'staging', runId: '0123456789abcdef', platformSlug: 'linux-arm-v7' }],
    ['staging-0123456789abcdef-linux-arm-v7-x', undefined],
    ['staging-0123456789abcdef-1.2.0', undefined],
    ['staging-0123456789ABCDEF', undefined],
    ['staging-0123456789abcde', undefined],
    ['staging-0123456789abcdef0', undefined],
    ['staging-1.2.0', undefined],
    ['staging-20240307.4', undefined],
    ['unannounced-6.0-bullseye-slim-1.2.0', undefined],
    ['6.0-bullseye-slim-1.2.0', undefined],
    ['latest', undefined],
    ['xstaging-0123456789abcdef', undefined],
  ])('%s → %j', (tag, parsed) => {
    expect(parseRunTag(tag)).toEqual(parsed);
  });

  it('writes what it reads, as valid Docker tags', () => {
    const runId = newRunId();
    expect(isRunId(runId)).toBe(true);
    for (const kind of ['staging', 'unannounced'] as const) {
      const tag = runTag(kind, runId);
      expect(parseRunTag(tag)).toEqual({ kind, runId });
      expect(isValidTag(tag)).toBe(true);
    }
    const perPlatform = runTag('staging', runId, 'linux-arm-v7');
    expect(perPlatform).toBe(`staging-${runId}-linux-arm-v7`);
    expect(parseRunTag(perPlatform)).toEqual({ kind: 'staging', runId, platformSlug: 'linux-arm-v7' });
    expect(isValidTag(perPlatform)).toBe(true);
  });

  it('never reads a version of any prefix as a run tag', () => {
    for (const prefix of ['staging', 'unannounced', '6.0-bullseye-slim']) expect(parseRunTag(`${prefix}-1.0.0`)).toBeUndefined();
  });

  it.each<[string, string | undefined]>([
    ['staging-{buildId}', 'staging-'],
    ['unannounced-x', 'unannounced-'],
    ['staging', undefined],
    ['6.0', undefined],
    ['prestaging-x', undefined],
  ])('reservedPrefixOf(%j) → %j', (tag, prefix) => {
    expect(reservedPrefixOf(tag)).toBe(prefix);
  });
});
