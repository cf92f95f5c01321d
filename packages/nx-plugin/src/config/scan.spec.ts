import { ConfigError } from '../types/errors';
import { readScan } from './scan';
import { DEFAULT_SHARED } from './settings';
import { Fields } from './validate';

const FILE = 'platform-images/net8/runtime/platform-image.json';
const read = (scan: unknown, base = DEFAULT_SHARED.scan) => readScan(Fields.root(FILE, { scan }), base);

describe('readScan', () => {
  it('keeps the defaults when the layer sets nothing', () => {
    expect(readScan(Fields.root(FILE, {}), DEFAULT_SHARED.scan)).toEqual({
      failOn: 'CRITICAL',
      allow: [],
      timeoutSeconds: 600,
      onTimeout: 'fail',
      onUnscanned: 'fail',
    });
  });

  it('overrides field by field, and an image adds allow entries to the workspace ones (same id: the image wins)', () => {
    const workspace = read({ failOn: 'HIGH', allow: [{ id: 'CVE-2024-1', reason: 'r1', expires: '2026-12-31' }] });
    const image = read(
      {
        onTimeout: 'warn',
        allow: [
          { id: 'cve-2024-1', reason: 'r2', expires: '2027-01-31' },
          { id: 'CVE-2024-2', reason: 'r3', expires: '2027-02-28' },
        ],
      },
      workspace,
    );
    expect(image).toEqual({
      failOn: 'HIGH',
      onTimeout: 'warn',
      onUnscanned: 'fail',
      timeoutSeconds: 600,
      allow: [
        { id: 'cve-2024-1', reason: 'r2', expires: '2027-01-31' },
        { id: 'CVE-2024-2', reason: 'r3', expires: '2027-02-28' },
      ],
    });
  });

  it.each<[string, unknown, string, RegExp]>([
    ['an unknown threshold', { failOn: 'SEVERE' }, 'scan.failOn', /use one of: CRITICAL, HIGH/],
    ['a typo in a field', { failon: 'HIGH' }, 'scan.failon', /did you mean "failOn"/],
    ['a timeout too long', { timeoutSeconds: 7200 }, 'scan.timeoutSeconds', /3600/],
    ['an unknown timeout behaviour', { onTimeout: 'ignore' }, 'scan.onTimeout', /fail, warn/],
    ['allow not a list', { allow: 'CVE-1' }, 'scan.allow', /"allow": \[/],
    ['an allow entry without a reason', { allow: [{ id: 'CVE-2024-1', expires: '2026-12-31' }] }, 'scan.allow[0].reason', /why/],
    ['an allow entry without expiry', { allow: [{ id: 'CVE-2024-1', reason: 'r' }] }, 'scan.allow[0].expires', /YYYY-MM-DD/],
    [
      'an expiry that is no date',
      { allow: [{ id: 'CVE-2024-1', reason: 'r', expires: '2026-13-45' }] },
      'scan.allow[0].expires',
      /real day/,
    ],
    ['an id with spaces', { allow: [{ id: 'CVE 2024 1', reason: 'r', expires: '2026-12-31' }] }, 'scan.allow[0].id', /CVE-2024-1234/],
  ])('rejects %s naming the file, the field and the fix', (_what, scan, field, fix) => {
    let error: unknown;
    try {
      read(scan);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).file).toBe(FILE);
    expect((error as ConfigError).field).toBe(field);
    expect((error as ConfigError).hint).toMatch(fix);
  });
});
