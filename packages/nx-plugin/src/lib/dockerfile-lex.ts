/**
 * Shell-style word processing as BuildKit's Dockerfile frontend does it (moby/buildkit
 * frontend/dockerfile/shell/lex.go): quotes, the escape character, `$name`, `${name}` and the modifiers the
 * Dockerfile reference lists under "Environment replacement" (`${name:-word}`, `${name-word}`, `${name:+word}`,
 * `${name+word}`, `${name:?word}`, `${name#pattern}`, `${name%pattern}`, `${name/pattern/replacement}` and
 * their doubled forms). The product needs it for FROM images and global ARG defaults, and to find heredoc
 * delimiters the way BuildKit finds them.
 *
 * Beyond BuildKit, an expansion reports which variables it could not know: unset ones whose value it needed
 * (BuildKit would substitute an empty string; the product refuses to guess a base image) and ones whose value
 * only the builder knows (the automatic platform ARGs).
 */

/** A variable's value; `causes` instead when the value is not known before the build. */
export type VariableValue = { value: string } | { causes: UnknownCauses };

export interface UnknownCauses {
  /** Variables that are unset (no ARG default and no build arg) where a value was needed. */
  missing: string[];
  /** Variables whose value the builder decides (TARGETARCH and the other automatic platform ARGs). */
  builderDefined: string[];
}

export type Environment = ReadonlyMap<string, VariableValue>;

export interface Expansion extends UnknownCauses {
  /** The expanded word; meaningful only when `missing` and `builderDefined` are both empty. */
  value: string;
}

const EMPTY: Environment = new Map();

interface LexOptions {
  escape: string;
  /** Keep quote characters in the result (BuildKit's RawQuotes). */
  rawQuotes: boolean;
  /** Keep escape characters in the result (BuildKit's RawEscapes). */
  rawEscapes: boolean;
  /** Leave `$name` of an unset variable as written (BuildKit's SkipUnsetEnv). */
  skipUnset: boolean;
  env: Environment;
}

// Go's unicode.IsSpace: JavaScript's \s also matches U+FEFF and misses U+0085.
const isSpace = (ch: string): boolean => ch === '\u0085' || (ch !== '\ufeff' && /^\s$/u.test(ch));

/** Builds words the way lex.go's wordsStruct does: unquoted spaces split, quoted text and escapes stay whole. */
class Words {
  private buf = '';
  private inWord = false;
  private readonly words: string[] = [];

  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.buf) {
        this.words.push(this.buf);
        this.buf = '';
        this.inWord = false;
      }
    } else {
      this.addRaw(ch);
    }
  }

  addString(text: string): void {
    for (const ch of text) this.addChar(ch);
  }

  addRaw(text: string): void {
    this.buf += text;
    this.inWord = true;
  }

  done(): string[] {
    if (this.buf) this.words.push(this.buf);
    this.buf = '';
    return this.words;
  }
}

class Causes {
  readonly missing = new Set<string>();
  readonly builderDefined = new Set<string>();

  add(other: UnknownCauses | Causes): void {
    for (const name of other.missing) this.missing.add(name);
    for (const name of other.builderDefined) this.builderDefined.add(name);
  }
}

type Lookup = { set: false } | { set: true; value: string } | { set: true; causes: UnknownCauses };

class Lexer {
  private pos = 0;
  private rawEscapes: boolean;
  private causes = new Causes();

  constructor(
    private readonly chars: string[],
    private readonly options: LexOptions,
  ) {
    this.rawEscapes = options.rawEscapes;
  }

  run(): { result: string; words: string[]; causes: Causes } {
    const { result, words } = this.processStopOn(undefined, this.rawEscapes);
    return { result, words, causes: this.causes };
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private next(): string | undefined {
    const ch = this.chars[this.pos];
    if (ch !== undefined) this.pos++;
    return ch;
  }

  private processStopOn(stop: string | undefined, rawEscapes: boolean): { result: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      let result = '';
      const words = new Words();
      for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
        if (stop !== undefined && ch === stop) {
          this.next();
          return { result, words: words.done() };
        }
        const special = this.special(ch);
        if (special) {
          const text = special();
          result += text;
          // A variable's value splits into words; quoted text and a heredoc marker stay whole.
          if (ch === '$') words.addString(text);
          else words.addRaw(text);
          continue;
        }
        let c = this.next()!;
        if (c === this.options.escape) {
          if (this.rawEscapes) {
            words.addRaw(c);
            result += c;
          }
          // The escape character escapes the next character; at the end of the word it is dropped.
          const escaped = this.next();
          if (escaped === undefined) break;
          c = escaped;
          words.addRaw(c);
        } else {
          words.addChar(c);
        }
        result += c;
      }
      if (stop !== undefined) throw new Error(`unexpected end of statement while looking for matching ${stop}`);
      return { result, words: words.done() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  private special(ch: string): (() => string) | undefined {
    switch (ch) {
      case '$':
        return () => this.processDollar();
      case '<':
        return () => this.processPossibleHeredoc();
      case "'":
        return () => this.processSingleQuote();
      case '"':
        return () => this.processDoubleQuote();
      default:
        return undefined;
    }
  }

  private processSingleQuote(): string {
    // Everything up to the next single quote is literal; a single quote cannot be escaped inside.
    const open = this.next()!;
    let result = this.options.rawQuotes ? open : '';
    for (;;) {
      const ch = this.next();
      if (ch === undefined) throw new Error('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") return this.options.rawQuotes ? result + ch : result;
      result += ch;
    }
  }

  private processDoubleQuote(): string {
    // Literal except `$`; the escape character escapes only `"`, `$` and itself, as in sh.
    const open = this.next()!;
    let result = this.options.rawQuotes ? open : '';
    for (;;) {
      const peeked = this.peek();
      if (peeked === undefined) throw new Error('unexpected end of statement while looking for matching double-quote');
      if (peeked === '"') {
        const ch = this.next()!;
        return this.options.rawQuotes ? result + ch : result;
      }
      if (peeked === '$') {
        result += this.processDollar();
        continue;
      }
      let ch = this.next()!;
      if (ch === this.options.escape) {
        if (this.rawEscapes) result += ch;
        const after = this.peek();
        if (after === undefined) continue;
        if (after === '"' || after === '$' || after === this.options.escape) ch = this.next()!;
      }
      result += ch;
    }
  }

  private processPossibleHeredoc(): string {
    this.next();
    if (this.peek() !== '<') return '<';
    this.next();
    // BuildKit keeps `<<` and the blanks after it in one word, so `<< EOF` names the delimiter EOF.
    let blanks = '';
    for (let ch = this.peek(); ch === ' ' || ch === '\t' || ch === '\r'; ch = this.peek()) blanks += this.next();
    return '<<' + blanks;
  }

  private processName(): string {
    let name = '';
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (!name && /^\p{Nd}$/u.test(ch)) {
        while (this.peek() !== undefined && /^\p{Nd}$/u.test(this.peek()!)) name += this.next();
        return name;
      }
      if (!name && '@*#?-$!0'.includes(ch)) return this.next()!;
      if (!/^[\p{L}\p{Nd}_]$/u.test(ch)) break;
      name += this.next();
    }
    return name;
  }

  private lookup(name: string): Lookup {
    const found = this.options.env.get(name);
    if (!found) return { set: false };
    return 'value' in found ? { set: true, value: found.value } : { set: true, causes: found.causes };
  }

  /** The value of a variable used as it is: unset is missing, unknown passes its causes on. */
  private plainValue(name: string, variable: Lookup): string {
    if (!variable.set) this.causes.missing.add(name);
    else if ('causes' in variable) this.causes.add(variable.causes);
    else return variable.value;
    return '';
  }

  /** Runs `fn` with a fresh record of causes and returns them, so a modifier's word counts only when used. */
  private isolated<T>(fn: () => T): { value: T; causes: Causes } {
    const outer = this.causes;
    const inner = (this.causes = new Causes());
    try {
      return { value: fn(), causes: inner };
    } finally {
      this.causes = outer;
    }
  }

  private processDollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.processName();
      if (!name) return '$';
      const variable = this.lookup(name);
      if (!variable.set && this.options.skipUnset) return '$' + name;
      return this.plainValue(name, variable);
    }
    this.next();
    const first = this.peek();
    if (first === undefined) throw new Error("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new Error('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.next();
    if (ch === undefined) throw new Error("syntax error: missing '}'");
    let modifier = ch;
    if (ch === '}') {
      const variable = this.lookup(name);
      if (!variable.set && this.options.skipUnset) return `\${${name}}`;
      return this.plainValue(name, variable);
    }
    if (ch === '/') return this.processReplace(name);
    const nullIsUnset = ch === ':';
    if (nullIsUnset) {
      ch = this.next();
      if (ch === undefined) throw new Error("syntax error: missing '}'");
      modifier += ch;
    }
    if (!'+-?#%'.includes(ch)) throw new Error(`unsupported modifier (${modifier}) in substitution`);
    const patternModifier = ch === '#' || ch === '%';
    if (nullIsUnset && patternModifier) throw new Error(`unsupported modifier (${modifier}) in substitution`);
    const word = this.isolated(() => {
      try {
        return this.processStopOn('}', patternModifier).result;
      } catch (err) {
        if (this.peek() === undefined) throw new Error("syntax error: missing '}'", { cause: err });
        throw err;
      }
    });
    const variable = this.lookup(name);
    if (!variable.set && this.options.skipUnset) return `\${${name}${modifier}${word.value}}`;
    const useWord = (): string => {
      this.causes.add(word.causes);
      return word.value;
    };
    switch (ch) {
      case '-':
        // ${name-word}: the value when set; ${name:-word}: the value when set and not empty.
        if (!variable.set) return useWord();
        if ('causes' in variable) return this.plainValue(name, variable);
        return nullIsUnset && variable.value === '' ? useWord() : variable.value;
      case '+':
        // ${name+word}: the word when set; ${name:+word}: the word when set and not empty.
        if (!variable.set) return '';
        if ('causes' in variable) return nullIsUnset ? this.plainValue(name, variable) : useWord();
        return nullIsUnset && variable.value === '' ? '' : useWord();
      case '?':
        // BuildKit stops the build here; an unset value is what the product reports as missing.
        if (!variable.set || ('value' in variable && nullIsUnset && variable.value === '')) {
          this.causes.missing.add(name);
          return '';
        }
        return this.plainValue(name, variable);
      default: {
        const value = this.plainValue(name, variable);
        if (!variable.set || 'causes' in variable) return '';
        // `##`/`%%` remove the longest match, `#`/`%` the shortest.
        const greedy = word.value.startsWith(ch);
        const pattern = greedy ? word.value.slice(1) : word.value;
        return ch === '#' ? trimPrefix(pattern, value, greedy) : trimSuffix(pattern, value, greedy);
      }
    }
  }

  private processReplace(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();
    const stopOn = (stop: string, missing: string): string => {
      try {
        return this.processStopOn(stop, true).result;
      } catch (err) {
        if (this.peek() === undefined) throw new Error(missing, { cause: err });
        throw err;
      }
    };
    const pattern = stopOn('/', "syntax error: missing '/' in ${}");
    const replacement = stopOn('}', "syntax error: missing '}'");
    const variable = this.lookup(name);
    if (!variable.set && this.options.skipUnset) return `\${${name}/${pattern}/${replacement}}`;
    const value = this.plainValue(name, variable);
    if (!variable.set || 'causes' in variable) return '';
    const re = shellPatternToRegex(pattern, true, false, all);
    return value.replace(re, () => replacement);
  }
}

/**
 * A shell glob (`?` one character, `*` any run; `\` escapes them) as a regular expression, as lex.go's
 * convertShellPatternToRegex builds it (no bracket expressions).
 */
function shellPatternToRegex(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  const chars = [...pattern];
  let out = anchored ? '^' : '';
  for (let i = 0; i < chars.length; i++) {
    let ch = chars[i];
    if (ch === '*') {
      out += greedy ? '.*' : '.*?';
      continue;
    }
    if (ch === '?') {
      out += '.';
      continue;
    }
    if (ch === '\\') {
      // `}` and `/` are escaped only to get them through ${…}; the escape is not part of the pattern.
      if (chars[i + 1] === '}' || chars[i + 1] === '/') continue;
      ch = chars[++i];
      if (ch !== '*' && ch !== '?' && ch !== '\\')
        throw new Error(`invalid pattern (${pattern}) in substitution: invalid escape '\\${ch ?? ''}'`);
      out += '\\' + ch;
      continue;
    }
    out += /[[\]{}.+()|^$]/.test(ch) ? '\\' + ch : ch;
  }
  return new RegExp(out, global ? 'gu' : 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const match = shellPatternToRegex(pattern, greedy, true).exec(value);
  return match ? value.slice(match[0].length) : value;
}

/** Shortest or longest suffix: reverse pattern and value so that a leftmost match finds it (as lex.go does). */
function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  const reverse = (text: string) => [...text].reverse().join('');
  return reverse(trimPrefix(reversePattern(pattern), reverse(value), greedy));
}

/** Reverses a pattern keeping each escape before the character it escapes: `a\*c` becomes `c\*a`. */
function reversePattern(pattern: string): string {
  const chars = [...pattern];
  const tokens: string[] = [];
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] === '\\' && i < chars.length - 1) tokens.push(chars[i] + chars[++i]);
    else tokens.push(chars[i]);
  }
  return tokens.reverse().join('');
}

/**
 * Expands a word as BuildKit expands a FROM image or an ARG default (ProcessWord): quotes removed, escapes
 * applied, variables replaced from `env`. Throws on a syntax error BuildKit also rejects.
 */
export function expandWord(word: string, env: Environment, escape: string): Expansion {
  const { result, causes } = new Lexer([...word], { escape, rawQuotes: false, rawEscapes: false, skipUnset: false, env }).run();
  return { value: result, missing: [...causes.missing], builderDefined: [...causes.builderDefined] };
}

/**
 * The words of a line as BuildKit splits an instruction to find heredoc markers (parser.go heredocsFromLine):
 * always with `\` as the escape, variables left as written, and, when `raw`, quotes and escapes kept in the
 * words. BuildKit ignores a line it cannot split (an unclosed quote): then there are no words.
 */
export function heredocWords(text: string, raw: boolean): string[] {
  try {
    return new Lexer([...text], { escape: '\\', rawQuotes: raw, rawEscapes: raw, skipUnset: true, env: EMPTY }).run().words;
  } catch {
    return [];
  }
}
