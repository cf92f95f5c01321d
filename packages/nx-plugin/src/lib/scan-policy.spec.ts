import { blocksAt, formatCounts, type ImageScan, judge, scanCoverage, scanState, severityOf } from './scan-policy';

const finding = (id: string, severity: string, image = 'sha256:a') => ({
  id,
  severity: severityOf(severity),
  package: 'pkg',
  installed: '1.0-1',
  image,
});

describe('blocksAt', () => {
  it.each<[string, string, boolean]>([
    ['CRITICAL', 'CRITICAL', true],
    ['HIGH', 'CRITICAL', false],
    ['HIGH', 'HIGH', true],
    ['CRITICAL', 'LOW', true],
    ['INFORMATIONAL', 'LOW', false],
    ['UNDEFINED', 'INFORMATIONAL', false],
    ['UNTRIAGED', 'INFORMATIONAL', false],
    ['UNTRIAGED', 'UNDEFINED', true],
    ['UNDEFINED', 'UNDEFINED', true],
    ['CRITICAL', 'NONE', false],
  ])('%s at failOn %s: %s', (severity, failOn, blocks) => {
    expect(blocksAt(severityOf(severity), failOn as never)).toBe(blocks);
  });
  it('reads an unknown severity as UNDEFINED', () => expect(severityOf('whatever')).toBe('UNDEFINED'));
});

describe('scanState', () => {
  it.each([
    ['COMPLETE', 'done'],
    ['ACTIVE', 'done'],
    ['IN_PROGRESS', 'pending'],
    ['PENDING', 'pending'],
    ['SOMETHING_NEW', 'pending'],
    ['FAILED', 'failed'],
    ['LIMIT_EXCEEDED', 'failed'],
    ['UNSUPPORTED_IMAGE', 'unsupported'],
    ['SCAN_ELIGIBILITY_EXPIRED', 'unavailable'],
    ['FINDINGS_UNAVAILABLE', 'unavailable'],
  ])('%s is %s', (status, state) => expect(scanState(status)).toBe(state));
});

describe('scanCoverage', () => {
  it.each<[string, Parameters<typeof scanCoverage>[0], boolean, string | undefined]>([
    ['basic, repository scans on push', { scanType: 'BASIC', rules: [] }, true, 'BASIC'],
    ['basic, nothing on', { scanType: 'BASIC', rules: [] }, false, undefined],
    ['basic rule by wildcard', { scanType: 'BASIC', rules: [{ scanFrequency: 'SCAN_ON_PUSH', filters: ['run*'] }] }, false, 'BASIC'],
    ['basic rule for others', { scanType: 'BASIC', rules: [{ scanFrequency: 'SCAN_ON_PUSH', filters: ['sdk'] }] }, false, undefined],
    ['enhanced ignores the repository setting', { scanType: 'ENHANCED', rules: [] }, true, undefined],
    ['enhanced continuous', { scanType: 'ENHANCED', rules: [{ scanFrequency: 'CONTINUOUS_SCAN', filters: ['*'] }] }, false, 'ENHANCED'],
  ])('%s', (_what, registry, scanOnPush, expected) => {
    expect(scanCoverage(registry, 'runtime', scanOnPush)).toBe(expected);
  });
});

describe('judge', () => {
  const scan = (findings: ReturnType<typeof finding>[], counts: ImageScan['counts'] = {}): ImageScan => ({
    image: 'sha256:a',
    status: 'COMPLETE',
    counts,
    findings,
  });
  const TODAY = '2026-11-29';
  it.each<[string, ImageScan[], Parameters<typeof judge>[1], string[], string[]]>([
    ['nothing found', [scan([])], { failOn: 'CRITICAL', allow: [] }, [], []],
    [
      'a critical blocks',
      [scan([finding('CVE-1', 'CRITICAL'), finding('CVE-2', 'HIGH')])],
      { failOn: 'CRITICAL', allow: [] },
      ['CVE-1'],
      [],
    ],
    [
      'HIGH blocks both, worst first',
      [scan([finding('CVE-2', 'HIGH'), finding('CVE-1', 'CRITICAL')])],
      { failOn: 'HIGH', allow: [] },
      ['CVE-1', 'CVE-2'],
      [],
    ],
    [
      'an allow entry in force, through its expiry day',
      [scan([finding('CVE-1', 'CRITICAL')])],
      { failOn: 'CRITICAL', allow: [{ id: 'cve-1', reason: 'not loaded', expires: TODAY }] },
      [],
      ['CVE-1'],
    ],
    [
      'an expired allow entry no longer counts',
      [scan([finding('CVE-1', 'CRITICAL')])],
      { failOn: 'CRITICAL', allow: [{ id: 'CVE-1', reason: 'not loaded', expires: '2026-11-28' }] },
      ['CVE-1'],
      [],
    ],
    [
      'every platform image is judged',
      [scan([finding('CVE-1', 'CRITICAL', 'sha256:a')]), { ...scan([finding('CVE-1', 'CRITICAL', 'sha256:b')]), image: 'sha256:b' }],
      { failOn: 'CRITICAL', allow: [] },
      ['CVE-1', 'CVE-1'],
      [],
    ],
    ['NONE never blocks', [scan([finding('CVE-1', 'CRITICAL')])], { failOn: 'NONE', allow: [] }, [], []],
  ])('%s', (_what, scans, policy, blocking, allowed) => {
    const verdict = judge(scans, policy, TODAY);
    expect(verdict.blocking.map((f) => f.id)).toEqual(blocking);
    expect(verdict.allowed.map((f) => f.id)).toEqual(allowed);
  });
  it('names an expired entry that still matches, so the log can say it lapsed', () => {
    const allow = [{ id: 'CVE-1', reason: 'r', expires: '2026-01-01' }];
    expect(judge([scan([finding('CVE-1', 'CRITICAL')])], { failOn: 'CRITICAL', allow }, TODAY).expired).toEqual(allow);
  });
  it("counts by ECR's findingSeverityCounts when given, else the findings", () => {
    expect(judge([scan([finding('CVE-1', 'LOW')], { LOW: 3, MEDIUM: 1 })], { failOn: 'NONE', allow: [] }, TODAY).counts).toEqual({
      LOW: 3,
      MEDIUM: 1,
    });
    expect(judge([scan([finding('CVE-1', 'LOW'), finding('CVE-2', 'LOW')])], { failOn: 'NONE', allow: [] }, TODAY).counts).toEqual({
      LOW: 2,
    });
    expect(formatCounts({ LOW: 2, CRITICAL: 1 })).toBe('1 CRITICAL, 2 LOW');
  });
});
