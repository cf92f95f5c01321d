import { hasTagsToFinish, notifyHasWork, publishHasWork, type CheckRecord } from './records';

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
    ['empty lists are nothing', { tagsToFinish: [], owedCards: [], leftoverTags: [] }, { publish: false, notify: false }],
  ])('%s', (_name, over, expected) => {
    const check = { ...current, ...over };
    expect({ publish: publishHasWork(check), notify: notifyHasWork(check) }).toEqual(expected);
    expect(hasTagsToFinish(check)).toBe(!!over.tagsToFinish?.length);
  });
});
