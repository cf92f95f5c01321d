/**
 * Where JSON breaks, as an editor shows it: line and column. Node's own messages say it differently by version
 * and by kind of error. Node 20 gives a character offset (`… in JSON at position 12`) or none at all
 * (`Unexpected end of JSON input`; `Unexpected token 'N', "{"a": NaN}" is not valid JSON`, which quotes the
 * text); Node 22 and later add `(line 3 column 1)` to the offset form and still give none for the other two.
 * Every form becomes `<what> (line L, column C)`: the offset when Node gives one, else the first offset at
 * which the text stops being JSON, found by scanning it as JSON.parse does (RFC 8259).
 */
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../types/errors';
import { isObject, type JsonObject } from './validate';

export interface JsonSyntaxProblem {
  /** What is wrong, in Node's words, without its offset, its line and column, or the text it quoted. */
  what: string;
  line: number;
  column: number;
}

export function locateJsonError(message: string, text: string): JsonSyntaxProblem {
  const offset = /at position (\d+)/.exec(message)?.[1];
  const at = offset !== undefined ? Number(offset) : (firstJsonError(text) ?? text.length);
  return { what: describe(message), ...lineAndColumn(text, at) };
}

export function formatJsonError(message: string, text: string): string {
  const { what, line, column } = locateJsonError(message, text);
  return `${what} (line ${line}, column ${column})`;
}

function describe(message: string): string {
  // `Unexpected token '<c>', "<text>" is not valid JSON`: the token, written so a newline or a BOM shows.
  // The quoted text may be cut short with `...` on either side.
  const token = /^Unexpected token '([\s\S]*?)', [\s\S]* is not valid JSON$/.exec(message);
  if (token) return `Unexpected token ${JSON.stringify(token[1])}`;
  return message
    .replace(/\s*\(line \d+ column \d+\)/, '')
    .replace(/ in JSON at position \d+/, '')
    .replace(/ at position \d+/, '')
    .trim();
}

/** 1-based; a column counts characters, a tab as one. `\r\n` ends a line like `\n`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1].replace(/\r$/, '').length + 1 };
}

/** The offset of the first character that makes `text` not JSON, `text.length` when it ends too soon, undefined when it is JSON. */
export function firstJsonError(text: string): number | undefined {
  let i = 0;
  const fail = (at: number): never => {
    throw new Offset(at);
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const literal = (word: string) => {
    for (const c of word) {
      if (text[i] !== c) fail(i);
      i++;
    }
  };
  const string = () => {
    i++;
    for (;;) {
      if (i >= text.length) fail(i);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail(i);
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          for (let k = 2; k < 6; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) fail(i + k);
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail(i + 1);
      } else i++;
    }
  };
  const digits = () => {
    if (!/[0-9]/.test(text[i] ?? '')) fail(i);
    while (/[0-9]/.test(text[i] ?? '')) i++;
  };
  const number = () => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(i);
        string();
        ws();
        if (text[i] !== ':') fail(i);
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(i);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(i);
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    fail(i);
  };
  try {
    value();
    ws();
    if (i < text.length) fail(i);
    return undefined;
  } catch (err) {
    if (err instanceof Offset) return err.at;
    throw err;
  }
}

/** Thrown inside the scanner to stop at the first offset that is not JSON. */
class Offset extends Error {
  constructor(readonly at: number) {
    super(`not JSON at ${at}`);
  }
}

/** How the settings read files: from disk when running, from a table in tests. */
export interface ConfigFiles {
  exists(file: string): boolean;
  /** A JSON object, or a ConfigError naming `displayName` and what is wrong. */
  readJson(file: string, displayName: string): JsonObject;
}

export const diskFiles: ConfigFiles = { exists: existsSync, readJson: readJsonFile };

export function readJsonFile(file: string, displayName: string): JsonObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(displayName, '(file)', 'cannot be read', 'check the path exists');
  }
  // Editors on Windows may save a byte order mark, which JSON.parse takes for a stray character.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      displayName,
      '(file)',
      `is not valid JSON: ${formatJsonError((err as Error).message, text)}`,
      'no trailing commas or comments; keys and strings in double quotes',
    );
  }
  if (!isObject(value))
    throw new ConfigError(displayName, '(root)', 'must be a JSON object', 'write the settings as one object: { "field": value, … }');
  return value;
}
