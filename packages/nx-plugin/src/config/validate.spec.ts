import { ConfigError } from '../types/errors';
import { closest, Fields, type JsonObject } from './validate';

const FILE = 'integration-tests/net6/test-app.json';

function fields(value: JsonObject): Fields {
  return new Fields(FILE, '', value);
}

/** What a reader throws for a value, as the executors print it. */
function mistake(read: (f: Fields) => unknown, value: JsonObject): ConfigError {
  try {
    read(fields(value));
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`no error for ${JSON.stringify(value)}`);
}

/**
 * Every way each reader refuses a value. Each must come with a fix (the `fix:` line): a reader that could throw
 * without one fails here.
 */
const REFUSALS: Array<[string, (f: Fields) => unknown, JsonObject, RegExp, RegExp]> = [
  ['root not an object', () => Fields.root(FILE, [1, 2]), {}, /must be a JSON object/, /one object/],
  ['unknown field, near a known one', (f) => f.allowOnly(['port']), { prot: 1 }, /unknown field/, /did you mean "port"\?/],
  ['unknown field, near none', (f) => f.allowOnly(['port', 'request']), { zzz: 1 }, /unknown field/, /known fields: port, request/],
  ['string: required and missing', (f) => f.string('app', { required: true }), {}, /is required/, /add "app"/],
  [
    'string: required, with an example',
    (f) => f.requiredString('app', { patternHint: 'e.g. "integration-tests/net6"' }),
    {},
    /is required/,
    /integration-tests\/net6/,
  ],
  ['string: a number', (f) => f.string('tag'), { tag: 6 }, /must be a string, got 6/, /write "6" in quotes/],
  ['string: a boolean', (f) => f.string('tag'), { tag: true }, /must be a string, got true/, /write "true" in quotes/],
  ['string: an object', (f) => f.string('tag'), { tag: { a: 1 } }, /must be a string/, /as text in double quotes/],
  ['string: required and empty', (f) => f.string('tag', { required: true }), { tag: ' ' }, /must not be empty/, /give "tag" a value/],
  [
    'string: against its pattern',
    (f) => f.string('path', { pattern: /^\//, patternHint: 'start the path with /' }),
    { path: 'x' },
    /"x" is not valid/,
    /start the path with \//,
  ],
  ['boolean: quoted', (f) => f.boolean('latest'), { latest: 'false' }, /must be true or false, got "false"/, /write false without quotes/],
  [
    'boolean: a word',
    (f) => f.boolean('latest'),
    { latest: 'yes' },
    /must be true or false, got "yes"/,
    /write true or false, without quotes/,
  ],
  ['boolean: a number', (f) => f.boolean('latest'), { latest: 1 }, /must be true or false, got 1/, /write true or false/],
  ['number: quoted digits', (f) => f.number('port'), { port: '8080' }, /must be a number, got "8080"/, /write 8080 without quotes/],
  [
    'number: a word',
    (f) => f.number('port', { min: 1, max: 65535, integer: true }),
    { port: 'http' },
    /must be a number, got "http"/,
    /set "port" to a whole number from 1 to 65535/,
  ],
  [
    'number: below its range',
    (f) => f.number('port', { min: 1, max: 65535, integer: true, default: 8080 }),
    { port: 0 },
    /must be at least 1, got 0/,
    /set "port" to a whole number from 1 to 65535, or leave it out for the default \(8080\)/,
  ],
  [
    'number: above its range',
    (f) => f.number('port', { min: 1, max: 65535, integer: true, default: 8080 }),
    { port: 65536 },
    /must be at most 65535, got 65536/,
    /from 1 to 65535/,
  ],
  [
    'number: not whole',
    (f) => f.number('port', { min: 1, max: 65535, integer: true }),
    { port: 80.5 },
    /must be a whole number, got 80\.5/,
    /a whole number from 1 to 65535/,
  ],
  [
    'number: only a minimum',
    (f) => f.number('timeoutSeconds', { min: 1 }),
    { timeoutSeconds: -5 },
    /must be at least 1/,
    /a number of at least 1/,
  ],
  [
    'number: only a maximum',
    (f) => f.number('timeoutSeconds', { max: 3600 }),
    { timeoutSeconds: 9999 },
    /must be at most 3600/,
    /a number of at most 3600/,
  ],
  [
    'oneOf: near a choice',
    (f) => f.oneOf('method', ['GET', 'POST'] as const),
    { method: 'GTE' },
    /"GTE" is not one of GET, POST/,
    /did you mean "GET"\? use one of: GET, POST/,
  ],
  [
    'oneOf: no choice near',
    (f) => f.oneOf('builder', ['auto', 'buildx'] as const),
    { builder: 'kaniko' },
    /is not one of auto, buildx/,
    /^use one of: auto, buildx$/,
  ],
  ['duration: no unit', (f) => f.duration('localAfter'), { localAfter: '60' }, /"60" is not a duration/, /"30s", "90m", "6h" or "2d"/],
  [
    'duration: a number',
    (f) => f.duration('localAfter'),
    { localAfter: 60 },
    /must be a duration such as "1h", got 60/,
    /write "60s" for 60 seconds/,
  ],
  ['duration: an unknown unit', (f) => f.duration('localAfter'), { localAfter: '2w' }, /"2w" is not a duration/, /"2d"/],
  ['duration: zero', (f) => f.duration('localAfter'), { localAfter: '0s' }, /"0s" is not a duration/, /whole number and a unit/],
  [
    'stringArray: not an array',
    (f) => f.stringArray('extraTags'),
    { extraTags: '6.0' },
    /must be an array of strings/,
    /"extraTags": \["6\.0"\]/,
  ],
  [
    'stringArray: a number inside',
    (f) => f.stringArray('extraTags'),
    { extraTags: [6] },
    /extraTags\[0\]: must be a string, got 6/,
    /write "6" in quotes/,
  ],
  ['stringArray: an object inside', (f) => f.stringArray('extraTags'), { extraTags: [{}] }, /must be a string/, /each entry as text/],
  [
    'stringMap: not an object',
    (f) => f.stringMap('headers'),
    { headers: ['a'] },
    /must be an object of strings/,
    /"headers": \{ "NAME": "value" \}/,
  ],
  [
    'stringMap: a number inside',
    (f) => f.stringMap('headers'),
    { headers: { X: 1 } },
    /headers\.X: must be a string, got 1/,
    /write "1" in quotes/,
  ],
  [
    'stringMap: null inside',
    (f) => f.stringMap('headers'),
    { headers: { X: null } },
    /headers\.X: must be a string, got null/,
    /as text in double quotes/,
  ],
  ['object: a string', (f) => f.object('request'), { request: 'GET /' }, /must be an object/, /"request": \{ … \}/],
];

describe('Fields: every refusal names the file and the field and says how to fix it', () => {
  it.each(REFUSALS)('%s', (_name, read, value, problem, fix) => {
    const error = mistake(read, value);
    expect(error.file).toBe(FILE);
    expect(error.message).toMatch(problem);
    expect(error.hint.trim()).not.toBe('');
    expect(error.hint).toMatch(fix);
  });

  it('accepts what it should, with the default for a number left out', () => {
    const f = fields({
      port: 8080,
      tag: 'x',
      latest: false,
      method: 'GET',
      localAfter: '6h',
      extraTags: ['6.0'],
      headers: { A: 'b' },
      request: {},
    });
    expect(f.number('port', { min: 1, max: 65535, integer: true })).toBe(8080);
    expect(f.number('timeoutSeconds', { default: 60 })).toBe(60);
    expect(f.string('tag', { required: true })).toBe('x');
    expect(f.boolean('latest')).toBe(false);
    expect(f.oneOf('method', ['GET'] as const)).toBe('GET');
    expect(f.duration('localAfter')).toBe(6 * 3_600_000);
    expect(f.stringArray('extraTags')).toEqual(['6.0']);
    expect(f.stringMap('headers')).toEqual({ A: 'b' });
    expect(f.object('request')?.path('method')).toBe('request.method');
  });
});

describe('closest', () => {
  it.each<[string, string[], string | undefined]>([
    ['repositry', ['repository', 'tag'], 'repository'],
    ['replacefrom', ['replaceFrom', 'app'], 'replaceFrom'],
    ['zzz', ['port'], undefined],
  ])('%s → %s', (word, candidates, expected) => {
    expect(closest(word, candidates)).toBe(expected);
  });
});
