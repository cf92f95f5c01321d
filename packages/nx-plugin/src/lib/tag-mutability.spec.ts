import { isTagMutable, planMovingTags } from './tag-mutability';

describe('isTagMutable', () => {
  it.each<[string, string, string[], boolean]>([
    ['latest', 'MUTABLE', [], true],
    ['latest', 'IMMUTABLE', [], false],
    ['latest', 'IMMUTABLE', ['latest'], false],
    ['latest', 'IMMUTABLE_WITH_EXCLUSION', ['latest'], true],
    ['8.0', 'IMMUTABLE_WITH_EXCLUSION', ['latest'], false],
    ['8.0', 'IMMUTABLE_WITH_EXCLUSION', ['latest', '8.*'], true],
    ['8.0-bookworm-slim-1.2.0', 'IMMUTABLE_WITH_EXCLUSION', ['8.*'], true],
    ['8x0', 'IMMUTABLE_WITH_EXCLUSION', ['8.0'], false],
    ['20261123.7', 'IMMUTABLE_WITH_EXCLUSION', ['*'], true],
  ])('%s in %s with exclusions %j → %s', (tag, mutability, filters, expected) => {
    expect(isTagMutable(tag, mutability, filters)).toBe(expected);
  });
});

describe('planMovingTags', () => {
  it.each<[string, string[], string[], string, string[], { push: string[]; blocked: string[] }]>([
    ['mutable: everything moves', ['latest', '8.0'], ['latest', '8.0'], 'MUTABLE', [], { push: ['latest', '8.0'], blocked: [] }],
    ['immutable, first publish: tags are created', ['latest', '8.0'], [], 'IMMUTABLE', [], { push: ['latest', '8.0'], blocked: [] }],
    ['immutable, later publish: existing tags cannot move', ['latest', '8.0', '20261123.7'], ['latest', '8.0'], 'IMMUTABLE', [], { push: ['20261123.7'], blocked: ['latest', '8.0'] }],
    ['exclusion for latest only', ['latest', '8.0'], ['latest', '8.0'], 'IMMUTABLE_WITH_EXCLUSION', ['latest'], { push: ['latest'], blocked: ['8.0'] }],
  ])('%s', (_name, tags, existing, mutability, filters, expected) => {
    expect(planMovingTags(tags, existing, mutability, filters)).toEqual(expected);
  });
});
