import {
  FaultRuleError,
  FaultTable,
  faultResponse,
  parseRule,
  registryKind,
  RequestStats,
  ruleMatches,
  selectRule,
  type FaultAction,
  type FaultMatch,
  type RequestInfo,
} from './faults';

const get = (path: string, operation?: string): RequestInfo => ({ method: 'GET', path, operation });

describe('parseRule', () => {
  it.each<[string, unknown, object]>([
    [
      'a status with headers',
      { action: { status: 429, headers: { 'Retry-After': 1 } } },
      { match: {}, action: { status: 429, headers: { 'Retry-After': '1' } } },
    ],
    [
      'a method, upper-cased',
      { match: { method: 'head' }, action: { reset: true } },
      { match: { method: 'HEAD' }, action: { reset: true } },
    ],
    [
      'times',
      { match: { path: '/manifests/' }, times: 2, action: { hang: true } },
      { match: { path: '/manifests/' }, times: 2, action: { hang: true } },
    ],
    [
      'an AWS error',
      { match: { operation: 'DescribeImages' }, action: { awsError: 'ThrottlingException', message: 'slow down' } },
      { match: { operation: 'DescribeImages' }, action: { awsError: 'ThrottlingException', message: 'slow down' } },
    ],
    ['a delay alone', { action: { delayMs: 5000 } }, { match: {}, action: { delayMs: 5000 } }],
    [
      'a delay before a status',
      { action: { delayMs: 10, status: 503, body: { x: 1 } } },
      { match: {}, action: { delayMs: 10, status: 503, body: { x: 1 } } },
    ],
  ])('accepts %s', (_what, raw, expected) => {
    expect(parseRule(raw)).toEqual(expected);
  });

  it.each<[string, unknown, RegExp]>([
    ['no action', { match: {} }, /action must be an object/],
    ['an empty action', { action: {} }, /needs one of status, awsError, reset, delayMs, hang/],
    ['two outcomes', { action: { status: 500, reset: true } }, /choose one of/],
    ['reset false', { action: { reset: false } }, /reset must be true/],
    ['a typo in match', { match: { metod: 'GET' }, action: { hang: true } }, /unknown key metod/],
    ['a typo in the rule', { time: 1, action: { hang: true } }, /unknown key time/],
    ['a bad regex', { match: { path: '(' }, action: { hang: true } }, /not a valid regular expression/],
    ['times 0', { times: 0, action: { hang: true } }, /times must be a whole number/],
    ['a status out of range', { action: { status: 99 } }, /from 200 to 599/],
    ['a negative delay', { action: { delayMs: -1 } }, /delayMs must be/],
    ['a delay before a hang', { action: { delayMs: 5, hang: true } }, /use hang alone/],
    ['headers with reset', { action: { reset: true, headers: { a: 'b' } } }, /only go with status or awsError/],
    ['a body with awsError', { action: { awsError: 'X', body: 'y' } }, /awsError has its body/],
    ['a message without awsError', { action: { status: 500, message: 'm' } }, /message only goes with awsError/],
  ])('refuses %s', (_what, raw, message) => {
    expect(() => parseRule(raw)).toThrow(FaultRuleError);
    expect(() => parseRule(raw)).toThrow(message);
  });
});

describe('ruleMatches', () => {
  it.each<[FaultMatch, RequestInfo, boolean]>([
    [{}, get('/v2/'), true],
    [{ method: 'HEAD' }, { method: 'head', path: '/v2/x/manifests/1' }, true],
    [{ method: 'HEAD' }, get('/v2/x/manifests/1'), false],
    [{ path: '/manifests/latest$' }, { method: 'PUT', path: '/v2/app/manifests/latest' }, true],
    [{ path: '/manifests/latest$' }, { method: 'PUT', path: '/v2/app/manifests/latest-1' }, false],
    [{ path: 'n=2' }, get('/v2/_catalog?n=2'), true],
    [{ operation: 'DescribeImages' }, get('/', 'DescribeImages'), true],
    [{ operation: 'DescribeImages' }, get('/', 'ListImages'), false],
    [{ operation: 'DescribeImages' }, get('/v2/'), false],
    [{ method: 'POST', operation: 'PutImage' }, { method: 'POST', path: '/', operation: 'PutImage' }, true],
  ])('%j against %j → %s', (match, request, expected) => {
    expect(ruleMatches(match, request)).toBe(expected);
  });
});

describe('selectRule', () => {
  const rules = [
    { name: 'spent', match: { path: '/blobs/' }, times: 1, hits: 1 },
    { name: 'blobs', match: { path: '/blobs/' }, times: 2, hits: 0 },
    { name: 'all', match: {}, hits: 5 },
  ];
  it.each<[string, RequestInfo, string | undefined]>([
    ['skips a rule with no hits left', get('/v2/a/blobs/sha256:1'), 'blobs'],
    ['falls through to a later match', get('/v2/a/manifests/1'), 'all'],
  ])('%s', (_what, request, expected) => {
    expect(selectRule(rules, request)?.name).toBe(expected);
  });
  it('finds nothing when no rule matches', () => {
    expect(selectRule([{ match: { method: 'PUT' }, hits: 0 }], get('/'))).toBeUndefined();
  });
});

describe('FaultTable', () => {
  it('applies a rule "times" times, then the next one, and counts hits', () => {
    const table = new FaultTable();
    const added = table.add({ rules: [{ match: { method: 'POST' }, times: 2, action: { status: 429 } }, { action: { status: 500 } }] });
    expect(added.map((r) => r.id)).toEqual([1, 2]);
    const post = { method: 'POST', path: '/webhook/x' };
    expect([1, 2, 3].map(() => table.take(post)?.action.status)).toEqual([429, 429, 500]);
    expect(table.list().map((r) => r.hits)).toEqual([2, 1]);
  });

  it('adds nothing when one rule of a batch is bad', () => {
    const table = new FaultTable();
    expect(() => table.add({ rules: [{ action: { hang: true } }, { action: {} }] })).toThrow(/rules\[1\]\.action/);
    expect(table.list()).toEqual([]);
  });

  it.each([[{}], [{ rules: {} }], [[]], [{ rules: [], extra: 1 }]])('refuses the body %j', (body) => {
    expect(() => new FaultTable().add(body)).toThrow(FaultRuleError);
  });

  it('removes one rule or all', () => {
    const table = new FaultTable();
    table.add({ rules: [{ action: { reset: true } }, { action: { hang: true } }] });
    expect(table.remove(1)).toBe(true);
    expect(table.remove(1)).toBe(false);
    expect(table.list().map((r) => r.id)).toEqual([2]);
    table.clear();
    expect(table.take(get('/'))).toBeUndefined();
  });
});

describe('faultResponse', () => {
  it.each<[string, FaultAction, 'registry' | 'aws' | 'plain', string, number, Record<string, string>, unknown]>([
    [
      'a registry 429',
      { status: 429, headers: { 'Retry-After': '1' } },
      'registry',
      'GET',
      429,
      { 'retry-after': '1', 'docker-distribution-api-version': 'registry/2.0' },
      { errors: [{ code: 'TOOMANYREQUESTS', message: 'injected fault: HTTP 429', detail: null }] },
    ],
    [
      'a registry 502',
      { status: 502 },
      'registry',
      'GET',
      502,
      {},
      { errors: [{ code: 'UNKNOWN', message: 'injected fault: HTTP 502', detail: null }] },
    ],
    [
      'an AWS error',
      { awsError: 'ThrottlingException', message: 'Rate exceeded' },
      'aws',
      'POST',
      400,
      { 'x-amzn-errortype': 'ThrottlingException', 'content-type': 'application/x-amz-json-1.1' },
      { __type: 'ThrottlingException', message: 'Rate exceeded' },
    ],
    [
      'an AWS error with a status',
      { awsError: 'ServerException', status: 500 },
      'aws',
      'POST',
      500,
      {},
      { __type: 'ServerException', message: 'injected fault: ServerException' },
    ],
    [
      'a bare 503 on an AWS API',
      { status: 503 },
      'aws',
      'POST',
      503,
      { 'x-amzn-errortype': 'ServerException' },
      { __type: 'ServerException', message: 'injected fault: HTTP 503' },
    ],
    ['a JSON body', { status: 400, body: { error: 'x' } }, 'plain', 'POST', 400, { 'content-type': 'application/json' }, { error: 'x' }],
    ['a plain 500', { status: 500 }, 'plain', 'POST', 500, { 'content-type': 'text/plain; charset=utf-8' }, 'injected fault: HTTP 500'],
  ])('%s', (_what, action, flavor, method, status, headers, body) => {
    const answer = faultResponse(action, flavor, method);
    expect(answer.status).toBe(status);
    expect(answer.headers).toMatchObject(headers);
    expect(answer.headers['content-length']).toBe(String(Buffer.byteLength(answer.body)));
    expect(typeof body === 'string' ? answer.body : JSON.parse(answer.body)).toEqual(body);
  });

  it('sends no body to HEAD, but the length a GET would get', () => {
    const answer = faultResponse({ status: 429 }, 'registry', 'HEAD');
    expect(answer.body).toBe('');
    expect(Number(answer.headers['content-length'])).toBeGreaterThan(0);
  });
});

describe('registryKind', () => {
  it.each([
    ['/v2/', 'other'],
    ['/v2/_catalog', 'other'],
    ['/v2/dotnet/runtime/manifests/6.0-bullseye-slim', 'manifests'],
    ['/v2/dotnet/runtime/blobs/sha256:abc', 'blobs'],
    ['/v2/app/blobs/uploads/', 'blobs'],
    ['/v2/app/blobs/uploads/0d3a-uuid', 'blobs'],
    ['/v2/a/b/c/tags/list', 'tags'],
    ['/v2/blobs/manifests/latest', 'manifests'],
  ])('%s → %s', (pathname, kind) => {
    expect(registryKind(pathname)).toBe(kind);
  });
});

describe('RequestStats', () => {
  it('counts by method and kind, lists the fixed kinds at zero, and resets', () => {
    const stats = new RequestStats('svc', ['manifests', 'blobs', 'tags', 'other']);
    stats.count('GET', 'blobs');
    stats.count('HEAD', 'manifests');
    stats.count('GET', 'blobs');
    stats.addBlobBytes(100);
    expect(stats.snapshot()).toMatchObject({
      service: 'svc',
      requests: 3,
      byMethod: { GET: 2, HEAD: 1 },
      byKind: { manifests: 1, blobs: 2, tags: 0, other: 0 },
      blobBytes: 100,
    });
    stats.reset();
    expect(stats.snapshot()).toMatchObject({
      requests: 0,
      byMethod: {},
      byKind: { manifests: 0, blobs: 0, tags: 0, other: 0 },
      blobBytes: 0,
    });
  });
});
