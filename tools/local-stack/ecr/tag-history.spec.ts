import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TagHistory } from './tag-history';
import { listen, type Listening } from './testing/listen';

describe('TagHistory', () => {
  let dir: string;
  let file: string;
  let history: TagHistory;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tag-history-'));
    file = path.join(dir, 'state', 'ecr-history.jsonl');
    history = new TagHistory(file, () => new Date('2026-05-01T00:00:00.000Z'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('records each assignment in memory and as a line of the file, previous null for a new tag', () => {
    history.record('000000000000', 'app', '1.0.0', 'sha256:aa', undefined, 'push');
    history.record('111111111111', 'other', 'latest', 'sha256:bb', 'sha256:aa', 'PutImage');
    const expected = [
      {
        registryId: '000000000000',
        repository: 'app',
        tag: '1.0.0',
        digest: 'sha256:aa',
        previous: null,
        at: '2026-05-01T00:00:00.000Z',
        via: 'push',
      },
      {
        registryId: '111111111111',
        repository: 'other',
        tag: 'latest',
        digest: 'sha256:bb',
        previous: 'sha256:aa',
        at: '2026-05-01T00:00:00.000Z',
        via: 'PutImage',
      },
    ];
    expect(history.list()).toEqual(expected);
    expect(
      fs
        .readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual(expected);
  });

  it('lists one repository when asked, and clears memory but not the file', () => {
    history.record('000000000000', 'app', '1', 'sha256:aa', undefined, 'push');
    history.record('000000000000', 'other', '1', 'sha256:bb', undefined, 'push');
    expect(history.list('other').map((e) => e.digest)).toEqual(['sha256:bb']);
    history.clear();
    expect(history.list()).toEqual([]);
    expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  describe('the /__history endpoint', () => {
    let server: Listening;
    let base: string;

    beforeEach(async () => {
      server = await listen((req, res) => history.handle(req, res));
      base = `${server.base}/__history`;
      history.record('000000000000', 'app', '1', 'sha256:aa', undefined, 'push');
      history.record('000000000000', 'b/c', '2', 'sha256:bb', undefined, 'PutImage');
    });
    afterEach(() => server.close());

    it('GET lists every assignment, ?repository= one repository', async () => {
      const all = await fetch(base);
      expect(all.status).toBe(200);
      expect(all.headers.get('content-type')).toBe('application/json');
      expect(((await all.json()) as { tag: string }[]).map((e) => e.tag)).toEqual(['1', '2']);
      const one = (await (await fetch(`${base}?repository=b%2Fc`)).json()) as { repository: string }[];
      expect(one.map((e) => e.repository)).toEqual(['b/c']);
    });

    it('DELETE clears the list with a 204', async () => {
      const res = await fetch(base, { method: 'DELETE' });
      expect(res.status).toBe(204);
      expect(await (await fetch(base)).json()).toEqual([]);
    });

    it('answers any other method with 405', async () => {
      const res = await fetch(base, { method: 'POST', body: '{}' });
      expect(res.status).toBe(405);
      expect(await res.json()).toEqual({ error: 'GET or DELETE /__history' });
      expect(history.list()).toHaveLength(2);
    });
  });
});
