import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../types/errors';
import { DEFAULT_LAYOUT, folderMatches, foldersMatching, literalPrefix, projectNameIn, readLayout, stepOfTarget } from './layout';

describe('readLayout', () => {
  it('gives the default layout for no options, and takes the fields given', () => {
    expect(readLayout(undefined)).toEqual(DEFAULT_LAYOUT);
    expect(readLayout({ aws: { region: 'eu-west-1' } })).toEqual(DEFAULT_LAYOUT);
    const layout = readLayout({ imagesGlob: 'images/**', targetNames: { publish: 'refresh' } });
    expect(layout.imagesGlob).toBe('images/**');
    expect(layout.testAppsGlob).toBe('integration-tests/*');
    expect(layout.targetNames).toEqual({ ...DEFAULT_LAYOUT.targetNames, publish: 'refresh' });
    expect(Object.isFrozen(layout.targetNames)).toBe(true);
  });

  const PREFIX = 'nx.json: plugins[@platform-images/nx-plugin].options';
  it.each([
    [{ imagesGlob: 3 }, `${PREFIX}.imagesGlob: must be a string`],
    [{ imagesGlob: '/abs/*' }, `${PREFIX}.imagesGlob: "/abs/*" is not valid`],
    [{ imagesGlob: './images/*' }, `${PREFIX}.imagesGlob: "./images/*" is not valid`],
    [{ imagesGlob: 'images/../x/*' }, `${PREFIX}.imagesGlob: "images/../x/*" is not valid`],
    [{ imagesGlob: 'images/*/' }, `${PREFIX}.imagesGlob: "images/*/" is not valid`],
    [{ imagesGlob: 'images/net8' }, `${PREFIX}.imagesGlob: "images/net8" names one folder, not a set of them`],
    [{ testAppsGlob: '*/tests' }, `${PREFIX}.testAppsGlob: "*/tests" starts with a wildcard`],
    [{ testAppsGlob: 'platform-images/*/*' }, `${PREFIX}.testAppsGlob: is the same as imagesGlob`],
    [{ targetNames: { check: 'x' } }, `${PREFIX}.targetNames.check: unknown field`],
    [{ targetNames: { publish: 'has space' } }, `${PREFIX}.targetNames.publish: "has space" is not valid`],
    [{ targetNames: { 'docker-build': 'publish' } }, `${PREFIX}.targetNames.publish: "publish" is also the name of docker-build's target`],
  ])('%j → %s, with a fix', (options, message) => {
    let error: unknown;
    try {
      readLayout(options);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(message);
    expect((error as ConfigError).hint).toMatch(/\S/);
  });
});

describe('globs', () => {
  it.each([
    ['platform-images/*/*', ['platform-images']],
    ['images/**', ['images']],
    ['a/b/net*/x', ['a', 'b']],
    ['images/{a,b}', ['images']],
  ])('the fixed part of %s is %j', (glob, prefix) => expect(literalPrefix(glob)).toEqual(prefix));

  it.each([
    ['platform-images/*/*', 'platform-images/net6/runtime', true],
    ['platform-images/*/*', 'platform-images/net6', false],
    ['platform-images/*/*', 'platform-images/net6/runtime/extra', false],
    ['platform-images/*/*', 'platform-images/.hidden/runtime', false],
    ['images/**', 'images/a/b/c', true],
    ['integration-tests/*', 'integration-tests/net6-stand-in', true],
  ])('%s matches %s: %s', (glob, folder, matches) => expect(folderMatches(glob, folder)).toBe(matches));

  it.each([
    ['platform-images/*/*', 'platform-images/net6/runtime', 'net6-runtime'],
    ['images/*', 'images/net8-runtime', 'net8-runtime'],
    ['images/**', 'images/a/b', 'a-b'],
  ])('%s names %s %s', (glob, folder, name) => expect(projectNameIn(glob, folder)).toBe(name));

  it('walks only the folders the glob can name', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'layout-spec-'));
    try {
      for (const dir of [
        'platform-images/net6/runtime',
        'platform-images/net8/sdk/deeper',
        'platform-images/.git/x',
        'other/net6/runtime',
        'images/a/b/node_modules/c',
      ])
        mkdirSync(path.join(root, dir), { recursive: true });
      expect(foldersMatching(root, 'platform-images/*/*')).toEqual(['platform-images/net6/runtime', 'platform-images/net8/sdk']);
      expect(foldersMatching(root, 'platform-images/net8/*')).toEqual(['platform-images/net8/sdk']);
      expect(foldersMatching(root, 'images/**')).toEqual(['images/a', 'images/a/b']);
      expect(foldersMatching(root, 'missing/*')).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('stepOfTarget', () => {
  it.each([
    [{ executor: '@platform-images/nx-plugin:mcr-check' }, 'mcr-check'],
    [{ executor: '@platform-images/nx-plugin:step', options: { step: 'ecr-publish' } }, 'ecr-publish'],
    [{ executor: '@platform-images/nx-plugin:docker-build' }, 'docker-build'],
    [{ executor: '@platform-images/nx-plugin:step', options: { step: 'unknown' } }, undefined],
    [{ executor: '@platform-images/nx-plugin:step' }, undefined],
    [{ executor: 'nx:noop' }, undefined],
    [{ command: 'echo' }, undefined],
    [undefined, undefined],
  ])('%j runs %s', (target, step) => expect(stepOfTarget(target)).toBe(step));
});
