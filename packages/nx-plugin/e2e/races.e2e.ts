/**
 * Racing publishers against the local stack. Two pipelines publishing the same image into one repository
 * at the same moment must end with two distinct versions or one clean refusal: never one version tag on
 * two digests, never a lost version. Many images published in parallel by one run share nothing they
 * should not (repositories, login state, records, test containers).
 */
import { recordFigure } from './figures';
import {
  cardFact,
  cards,
  createWorkspace,
  ecrTags,
  editJson,
  git,
  labelsOf,
  movedVersions,
  nx,
  nxAsync,
  recordsOf,
  tagHistory,
  upstreamDigest,
  type NxRun,
  type Workspace,
} from './support';
import type { ImageFile } from './json-files';
import { LABELS } from '../src/types/annotations';

jest.setTimeout(20 * 60_000);

const FORCE = { PLATFORM_IMAGES_FORCE_UPDATE: 'true' };
const VERSION = /^6\.0-bullseye-slim-\d+\.\d+\.\d+$/;
const ROUNDS = 3;

const workspaces: Workspace[] = [];

afterAll(() => {
  for (const ws of workspaces) ws.dispose();
});

function workspace(images: string[]): Workspace {
  const ws = createWorkspace(images);
  workspaces.push(ws);
  return ws;
}

type Outcome =
  { kind: 'published'; version: string; digest: string } | { kind: 'refused'; line: string } | { kind: 'unexpected'; output: string };

/** How a run of the image in `ws` ended, from the records it left: the version it published, or why ecr-publish refused. */
function outcomeOf(ws: Workspace, run: NxRun): Outcome {
  const records = recordsOf(ws, 'net6/runtime');
  const published = records.find('ecr-publish');
  if (run.code === 0 && published?.published && published.versionTag && published.digest)
    return { kind: 'published', version: published.versionTag, digest: published.digest };
  const failure = records.failure();
  const refused =
    failure?.step === 'ecr-publish' &&
    /was published by another run while this one built and tested; this image was not published/.test(failure.error);
  if (run.code !== 0 && refused) return { kind: 'refused', line: failure.error };
  return { kind: 'unexpected', output: run.output.slice(-4000) };
}

function describeOutcome(o: Outcome): string {
  return o.kind === 'published'
    ? `published ${o.version} (${o.digest.slice(7, 19)})`
    : o.kind === 'refused'
      ? 'refused cleanly'
      : 'UNEXPECTED';
}

test(`two publishes of one image into one repository at once, ${ROUNDS} rounds: one digest per version, none lost`, async () => {
  const a = workspace(['net6/runtime']);
  const b = workspace(['net6/runtime']);
  const repo = `${a.prefix}/runtime`;
  editJson(b.root, 'platform-images/net6/runtime/platform-image.json', (c: ImageFile) => {
    c.ecr.repository = repo;
  });
  git(b.root, ['commit', '-qam', 'publish into the same repository as the other workspace']);

  const published: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const runs = await Promise.all([
      nxAsync(a, ['run', 'net6-runtime:publish'], FORCE),
      nxAsync(b, ['run', 'net6-runtime:publish'], FORCE),
    ]);
    const outcomes = [outcomeOf(a, runs[0]), outcomeOf(b, runs[1])];
    const unexpected = outcomes.find((o): o is Extract<Outcome, { kind: 'unexpected' }> => o.kind === 'unexpected');
    if (unexpected) throw new Error(`round ${round}: a run neither published nor refused cleanly:\n${unexpected.output}`);
    const wins = outcomes.flatMap((o) => (o.kind === 'published' ? [o] : []));
    // At least one of the two gets through. If both do, with different versions, or with the same version
    // only when both built the very same image (same digest: nothing was moved).
    expect(wins.length).toBeGreaterThanOrEqual(1);
    const byVersion = new Map<string, Set<string>>();
    for (const win of wins) byVersion.set(win.version, (byVersion.get(win.version) ?? new Set()).add(win.digest));
    expect([...byVersion.values()].every((digests) => digests.size === 1)).toBe(true);
    published.push(...byVersion.keys());
    recordFigure('races', {
      case: `same image, same repository, round ${round}`,
      ok: true,
      observed: outcomes.map(describeOutcome).join(' / '),
    });
  }

  const history = await tagHistory(repo);
  expect(movedVersions(history, VERSION)).toEqual([]);
  // Every published version is in the repository, numbered without gaps.
  const inRepository = ecrTags(repo)
    .filter((t) => VERSION.test(t))
    .sort();
  expect(inRepository).toEqual([...published].sort());
  expect(inRepository.map((t) => Number(t.split('.')[2]))).toEqual(inRepository.map((_t, i) => i));
  recordFigure('races', { case: 'version tags on two digests (tag history)', ok: true, observed: '0' });
  recordFigure('races', {
    case: 'versions lost or skipped',
    ok: true,
    observed: `0 (${inRepository.length} published in ${ROUNDS} rounds)`,
  });
});

test('many images in parallel (--parallel=3) share nothing they should not', async () => {
  const ws = workspace(['net6/runtime', 'net6/sdk', 'net8/runtime']);
  // net6 and net8 runtimes share one repository, as in the shipped layout: only one may own `latest`.
  editJson(ws.root, 'platform-images/net6/runtime/platform-image.json', (c: ImageFile) => {
    c.ecr.latest = false;
  });
  git(ws.root, ['commit', '-qam', 'net8 owns latest']);
  const run = nx(ws, ['run-many', '-t', 'publish', '--parallel=3'], { BUILD_BUILDNUMBER: '20261124.9' });
  if (run.code !== 0) throw new Error(`nx failed with ${run.code}:\n${run.output.slice(-6000)}`);

  const expected: Array<[string, string, string, string]> = [
    ['net6-runtime', `${ws.prefix}/runtime`, '6.0-bullseye-slim-1.0.0', 'dotnet/runtime:6.0-bullseye-slim'],
    ['net6-sdk', `${ws.prefix}/sdk`, '6.0-bullseye-slim-1.0.0', 'dotnet/sdk:6.0-bullseye-slim'],
    ['net8-runtime', `${ws.prefix}/runtime`, '8.0-bookworm-slim-1.0.0', 'dotnet/runtime:8.0-bookworm-slim'],
  ];
  for (const [project, repository, tag, base] of expected) {
    const labels = labelsOf(repository, tag);
    expect(labels[LABELS.baseName]).toBe(`mcr.microsoft.com/${base}`);
    expect(labels[LABELS.baseDigest]).toBe(upstreamDigest(base));
    expect(labels[LABELS.version]).toBe(tag);
    expect(recordsOf(ws, project.replace('-', '/')).read('ecr-publish')).toMatchObject({ published: true, versionTag: tag });
  }
  const runtimeTags = ecrTags(`${ws.prefix}/runtime`);
  expect(runtimeTags).toEqual(expect.arrayContaining(['6.0', '8.0', 'latest', '6.0-bullseye-slim-1.0.0', '8.0-bookworm-slim-1.0.0']));
  const sent = await cards(ws);
  expect(sent.map((c) => cardFact(c, 'Version tag')).sort()).toEqual([
    '6.0-bullseye-slim-1.0.0',
    '6.0-bullseye-slim-1.0.0',
    '8.0-bookworm-slim-1.0.0',
  ]);
  recordFigure('races', {
    case: '3 images with --parallel=3 (two share a repository)',
    ok: true,
    observed: '3 published, each with its own base labels and card',
  });
});
