import { render } from './figures';

describe('render', () => {
  it('sums the suites into the headline table and lists every row', () => {
    const md = render([
      {
        suite: 'faults',
        recordedAt: '2026-11-24T10:00:00Z',
        rows: [
          { case: 'upstream: 404', ok: true, observed: 'not found' },
          { case: 'Teams: 500 | always', ok: true, observed: 'warned', retried: 2 },
        ],
      },
      {
        suite: 'faults-totals',
        recordedAt: '2026-11-24T10:01:00Z',
        rows: [
          { case: 'half-published images', ok: true, observed: '0' },
          { case: 'overwritten versions', ok: true, observed: '0' },
        ],
      },
      {
        suite: 'bad-input',
        recordedAt: '2026-11-24T10:02:00Z',
        rows: [
          { case: 'missing ecr', ok: true, observed: 'x' },
          { case: 'bad region', ok: false, observed: 'y' },
        ],
      },
      {
        suite: 'races',
        recordedAt: '2026-11-24T10:03:00Z',
        rows: [{ case: 'same image, same repository, round 1', ok: true, observed: 'published 1.0.0 / refused cleanly' }],
      },
      {
        suite: 'recovery',
        recordedAt: '2026-11-24T10:02:30Z',
        rows: [
          { case: 'killed after ecr-publish', ok: true, observed: 'one card sent' },
          { case: 'killed mid-test', ok: true, observed: 'removed' },
        ],
      },
    ]);
    expect(md).toContain('| Runs stopped half-way / finished or cleared by the next run | 2 / 2 |');
    expect(md).toContain('## Runs that stopped half-way');
    expect(md).toContain('| killed after ecr-publish | yes | one card sent |');
    expect(md).toContain('| Faults tried / survived as required | 2 / 2 |');
    expect(md).toContain('| Bad inputs tried / reported with file and field, no stack trace | 2 / 1 |');
    expect(md).toContain('| Half-published images | 0 |');
    expect(md).toContain('| Secrets found | not measured |');
    expect(md).toContain('| Race rounds (two publishers, one repository) | 1: published 1.0.0 / refused cleanly |');
    expect(md).toContain('| Teams: 500 \\| always | yes | warned | 2 |');
    expect(md).toContain('| bad region | NO | y |');
    expect(md).toContain('last recorded 2026-11-24T10:03:00Z');
  });
});
