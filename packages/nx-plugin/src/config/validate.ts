/** Small typed readers for JSON config that fail with the file, the field path and what would fix it. */
import { parseDuration } from '../types/duration';
import { ConfigError } from '../types/errors';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A string field's pattern always comes with the words that say what to write instead. */
export type StringRule = { required?: boolean } & (
  { pattern: RegExp; patternHint: string } | { pattern?: undefined; patternHint?: string }
);

export interface NumberRule {
  min?: number;
  max?: number;
  /** Only whole numbers (a port, a count). */
  integer?: boolean;
  /** The value when the field is left out, named in the fix. */
  default?: number;
  /** What leaving the field out means when there is no fixed default, for the fix ("to use the image's port"). */
  whenLeftOut?: string;
}

/**
 * Every mistake a reader reports names the file and the field and says how to fix it: `fail` takes the fix as a
 * required argument, and each reader below words one for every way a value can be wrong.
 */
export class Fields {
  constructor(
    readonly file: string,
    readonly prefix: string,
    readonly value: JsonObject,
  ) {}

  static root(file: string, value: unknown, what = 'the file'): Fields {
    if (!isObject(value))
      throw new ConfigError(file, '(root)', `${what} must be a JSON object`, 'write the settings as one object: { "field": value, … }');
    return new Fields(file, '', value);
  }

  path(key: string): string {
    return this.prefix ? `${this.prefix}.${key}` : key;
  }

  fail(key: string, problem: string, hint: string): never {
    throw new ConfigError(this.file, this.path(key), problem, hint);
  }

  /** Rejects fields nobody reads: a typo (`extraTag`) must not be silently ignored. */
  allowOnly(keys: string[]): this {
    for (const key of Object.keys(this.value)) {
      // The root's `$schema` names the JSON Schema an editor checks the file with; the settings do not read it.
      if (key === '$schema' && this.prefix === '') {
        this.string(key);
        continue;
      }
      if (!keys.includes(key)) {
        const near =
          keys.find((k) => k.toLowerCase() === key.toLowerCase() || k.startsWith(key) || key.startsWith(k)) ?? closest(key, keys);
        this.fail(key, 'unknown field', near ? `did you mean "${near}"?` : `known fields: ${keys.join(', ')}`);
      }
    }
    return this;
  }

  has(key: string): boolean {
    return this.value[key] !== undefined;
  }

  string(key: string, opts: StringRule = {}): string | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) {
      // The pattern's hint doubles as an example of what to write.
      if (opts.required) this.fail(key, 'is required', opts.patternHint ?? `add "${key}": "…"`);
      return undefined;
    }
    if (typeof v !== 'string') {
      this.fail(
        key,
        `must be a string, got ${JSON.stringify(v)}`,
        typeof v === 'number' || typeof v === 'boolean' ? `write "${v}" in quotes` : `write "${key}" as text in double quotes`,
      );
    }
    if (opts.required && v.trim() === '') this.fail(key, 'must not be empty', opts.patternHint ?? `give "${key}" a value`);
    if (opts.pattern && !opts.pattern.test(v)) this.fail(key, `"${v}" is not valid`, opts.patternHint);
    return v;
  }

  requiredString(key: string, opts: Omit<StringRule, 'required'> = {}): string {
    return this.string(key, { ...opts, required: true } as StringRule)!;
  }

  boolean(key: string): boolean | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean')
      this.fail(
        key,
        `must be true or false, got ${JSON.stringify(v)}`,
        v === 'true' || v === 'false' ? `write ${v} without quotes` : 'write true or false, without quotes',
      );
    return v;
  }

  number(key: string, opts: NumberRule = {}): number | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) return opts.default;
    const fix = numberFix(key, opts);
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.fail(
        key,
        `must be a number, got ${JSON.stringify(v)}`,
        typeof v === 'string' && /^\d+$/.test(v) ? `write ${v} without quotes` : fix,
      );
    }
    if (opts.integer && !Number.isInteger(v)) this.fail(key, `must be a whole number, got ${v}`, fix);
    if (opts.min !== undefined && v < opts.min) this.fail(key, `must be at least ${opts.min}, got ${v}`, fix);
    if (opts.max !== undefined && v > opts.max) this.fail(key, `must be at most ${opts.max}, got ${v}`, fix);
    return v;
  }

  oneOf<T extends string>(key: string, choices: readonly T[]): T | undefined {
    const v = this.string(key);
    if (v !== undefined && !choices.includes(v as T)) {
      const near = closest(v, choices);
      this.fail(
        key,
        `"${v}" is not one of ${choices.join(', ')}`,
        `${near ? `did you mean "${near}"? ` : ''}use one of: ${choices.join(', ')}`,
      );
    }
    return v as T | undefined;
  }

  /** A duration such as "30s", "90m", "6h" or "2d", in milliseconds. */
  duration(key: string): number | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) return undefined;
    const fix = 'write a whole number and a unit: "30s", "90m", "6h" or "2d"';
    if (typeof v !== 'string')
      this.fail(
        key,
        `must be a duration such as "1h", got ${JSON.stringify(v)}`,
        typeof v === 'number' ? `write "${v}s" for ${v} seconds, or ${fix}` : fix,
      );
    const ms = parseDuration(v);
    if (ms === undefined) this.fail(key, `"${v}" is not a duration`, fix);
    return ms;
  }

  stringArray(key: string): string[] | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) this.fail(key, 'must be an array of strings', `write a list such as "${key}": ["6.0"]`);
    return v.map((item, i) => {
      if (typeof item === 'string') return item;
      // YAML-minded users write `- 6.0` and get a number; say so precisely.
      return this.fail(
        `${key}[${i}]`,
        `must be a string, got ${JSON.stringify(item)}`,
        typeof item === 'number' ? `write "${item}" in quotes` : 'write each entry as text in double quotes',
      );
    });
  }

  stringMap(key: string): Record<string, string> | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) this.fail(key, 'must be an object of strings', `write an object such as "${key}": { "NAME": "value" }`);
    const out: Record<string, string> = {};
    for (const [k, item] of Object.entries(v)) {
      if (typeof item !== 'string')
        this.fail(
          `${key}.${k}`,
          `must be a string, got ${JSON.stringify(item)}`,
          typeof item === 'number' || typeof item === 'boolean' ? `write "${item}" in quotes` : 'write the value as text in double quotes',
        );
      out[k] = item;
    }
    return out;
  }

  object(key: string): Fields | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) this.fail(key, 'must be an object', `write "${key}": { … } with its fields inside`);
    return new Fields(this.file, this.path(key), v);
  }
}

/** What to write in a number field: its kind, its range, and the default when it has one. */
function numberFix(key: string, opts: NumberRule): string {
  const kind = opts.integer ? 'a whole number' : 'a number';
  const range =
    opts.min !== undefined && opts.max !== undefined
      ? ` from ${opts.min} to ${opts.max}`
      : opts.min !== undefined
        ? ` of at least ${opts.min}`
        : opts.max !== undefined
          ? ` of at most ${opts.max}`
          : '';
  const fallback =
    opts.default !== undefined
      ? `, or leave it out for the default (${opts.default})`
      : opts.whenLeftOut
        ? `, or leave it out ${opts.whenLeftOut}`
        : '';
  return `set "${key}" to ${kind}${range}${fallback}`;
}

/**
 * The candidate a typo most likely meant (`repositry` → `repository`, `replacefrom` → `replaceFrom`):
 * the nearest by edit distance, ignoring case, when it is close for the word's length.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const limit = word.length <= 4 ? 1 : 2;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** Levenshtein distance, counting a swap of two neighbours as one edit (the commonest typo). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** A day of the calendar written YYYY-MM-DD: "2026-02-30" is not one (Date.parse takes it for March 2). */
export function isDay(text: string): boolean {
  if (!/^\d{4}-\d\d-\d\d$/.test(text)) return false;
  const day = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
