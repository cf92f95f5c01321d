import { firstJsonError, formatJsonError, lineAndColumn, locateJsonError } from './json';

/** The JSON mistakes people make in config files, with where an editor shows each. */
const CASES: Array<[string, string, { line: number; column: number }]> = [
  ['trailing comma in an object', '{\n  "a": 1,\n}\n', { line: 3, column: 1 }],
  ['trailing comma in an array', '{\n "a": [1,\n 2,]\n}', { line: 3, column: 4 }],
  ['missing comma', '{ "port": 8080 "timeoutSeconds": 5 }', { line: 1, column: 16 }],
  ['missing colon', '{\n "a" 1\n}', { line: 2, column: 6 }],
  ['single quotes', "{\n  'a': 1\n}", { line: 2, column: 3 }],
  ['a comment', '{\n // c\n "a": 1\n}', { line: 2, column: 2 }],
  ['an unquoted word', '{\n  "a": yes\n}', { line: 2, column: 8 }],
  ['a misspelt literal', '{\n  "a": tru\n}', { line: 2, column: 11 }],
  ['NaN', '{"a": NaN}', { line: 1, column: 7 }],
  ['a leading zero', '{\n "a": 01\n}', { line: 2, column: 8 }],
  ['a newline inside a string', '{\n  "a": "x\n}', { line: 2, column: 10 }],
  ['a tab inside a string', '{"a":"x\ty"}', { line: 1, column: 8 }],
  ['a bad escape', '{"a":"\\q"}', { line: 1, column: 8 }],
  ['text after the object', '{"a":1}\n}', { line: 2, column: 1 }],
  ['cut short', '{\n  "a": [1, 2', { line: 2, column: 13 }],
  ['empty', '', { line: 1, column: 1 }],
  ['only whitespace', '  \n  ', { line: 2, column: 3 }],
  ['Windows line ends', '{\r\n  "a": 1,\r\n}\r\n', { line: 3, column: 1 }],
];

describe('formatJsonError: line and column for every kind of JSON error, as this Node reports it', () => {
  it.each(CASES)('%s', (_name, text, where) => {
    let message = '';
    try {
      JSON.parse(text);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toBe('');
    expect(locateJsonError(message, text)).toMatchObject(where);
    expect(formatJsonError(message, text)).toMatch(new RegExp(`^[^\\n]+ \\(line ${where.line}, column ${where.column}\\)$`));
  });
});

describe('formatJsonError: the messages of Node 20 and of Node 22 and later', () => {
  const trailing = '{\n  "a": 1,\n}\n';
  const bareWord = '{\n  "a": yes\n}';
  it.each<[string, string, string, string]>([
    [
      'Node 20, an offset',
      'Expected double-quoted property name in JSON at position 12',
      trailing,
      'Expected double-quoted property name (line 3, column 1)',
    ],
    [
      'Node 22, an offset with its own line and column',
      'Expected double-quoted property name in JSON at position 12 (line 3 column 1)',
      trailing,
      'Expected double-quoted property name (line 3, column 1)',
    ],
    [
      'Node 20 and 22, the token and the text quoted',
      `Unexpected token 'y', "{\n  "a": yes\n}" is not valid JSON`,
      bareWord,
      'Unexpected token "y" (line 2, column 8)',
    ],
    [
      'the quoted text cut short',
      `Unexpected token 'y', ..."  "a": yes\n}" is not valid JSON`,
      bareWord,
      'Unexpected token "y" (line 2, column 8)',
    ],
    [
      'a newline as the token',
      `Unexpected token '\n', "{\n  "a": tru\n}" is not valid JSON`,
      '{\n  "a": tru\n}',
      'Unexpected token "\\n" (line 2, column 11)',
    ],
    [
      'a byte order mark as the token',
      `Unexpected token '\uFEFF', "\uFEFF{}" is not valid JSON`,
      '\uFEFF{}',
      'Unexpected token "\uFEFF" (line 1, column 1)',
    ],
    ['no offset at all', 'Unexpected end of JSON input', '{\n  "a": [1, 2', 'Unexpected end of JSON input (line 2, column 13)'],
    [
      'Node 22, past the end',
      'Unexpected non-whitespace character after JSON at position 8 (line 2 column 1)',
      '{"a":1}\n}',
      'Unexpected non-whitespace character after JSON (line 2, column 1)',
    ],
  ])('%s', (_name, message, text, expected) => {
    expect(formatJsonError(message, text)).toBe(expected);
  });
});

describe('firstJsonError', () => {
  it.each(['{}', '[]', '{"a":[1,-2.5e+3,true,false,null,"x\\u00e9\\n"]}', ' \n{ "a" : { "b" : [ ] } } \n', '"text"', '0'])(
    '%j is JSON',
    (text) => {
      expect(firstJsonError(text)).toBeUndefined();
      expect(() => JSON.parse(text) as unknown).not.toThrow();
    },
  );

  it.each(CASES)('finds %s where JSON.parse stops', (_name, text, where) => {
    expect(lineAndColumn(text, firstJsonError(text)!)).toEqual(where);
  });
});
