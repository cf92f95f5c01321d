/**
 * Reading a Dockerfile as BuildKit reads it: its instructions, and which image each stage starts FROM, with
 * ARGs resolved as BuildKit resolves them for the build args the run passes. What the product decides from
 * that and writes into a copy (the base image, pinning, the test app's FROM, labels) is dockerfile-rewrite.ts.
 *
 * Reading follows BuildKit's Dockerfile frontend (moby/buildkit frontend/dockerfile/parser/parser.go,
 * directives.go, split_command.go, line_parsers.go; instructions/parse.go; dockerfile2llb/convert.go for ARG
 * and FROM) and the Dockerfile reference (docs.docker.com/reference/dockerfile). Variable expansion is in
 * dockerfile-lex.ts.
 */
import { expandWord, heredocWords, type Environment, type VariableValue } from './dockerfile-lex';

export interface FromInstruction {
  /** Index of the logical instruction's first physical line. */
  startLine: number;
  /** Index of its last physical line (differs when the line continues with the escape character). */
  endLine: number;
  /** The image expression as written, e.g. `${BASE}` or `mcr.microsoft.com/dotnet/runtime:6.0`. */
  rawImage: string;
  /** The image with ARGs substituted; undefined when an ARG has no value. */
  image?: string;
  /** The unset variable names when `image` is undefined. */
  missingArgs: string[];
  /** Automatic platform ARGs (TARGETARCH, …) the image needs, whose value only the builder knows. */
  platformArgs?: string[];
  /** Flags as written, e.g. `--platform=$BUILDPLATFORM`. */
  flags: string[];
  /** The stage name as written after AS (stage names compare case-insensitively). */
  stageName?: string;
}

export interface DockerfileInstruction {
  /** The keyword in lowercase: `from`, `run`, … */
  keyword: string;
  /** The keyword as written. */
  command: string;
  /** The flags (`--platform=…`, `--from=…`) as written. */
  flags: string[];
  /** What follows the flags, on one line. */
  args: string;
  /** Index of the first physical line. */
  startLine: number;
  /** Index of the last physical line of the instruction itself (heredoc bodies follow it). */
  endLine: number;
  /** The physical lines holding its text; comment and blank lines inside a continuation are not among them. */
  textLines: number[];
  /** Heredoc bodies after it, each from its first content line to its delimiter line. */
  heredocs: Array<{ name: string; startLine: number; endLine: number }>;
}

export interface ParsedDockerfile {
  /** The physical lines, without their line endings. */
  lines: string[];
  /** The escape character: `\`, or what the `# escape=` parser directive sets. */
  escape: string;
  instructions: DockerfileInstruction[];
  froms: FromInstruction[];
  /** Every ARG name declared anywhere, so only declared build args are passed (others make Docker warn). */
  argNames: string[];
}

export interface ParseOptions {
  /**
   * The build args the run configures (name → value). As with `docker build --build-arg`, one overrides
   * the default of the ARG it names; only declared ARGs are passed, so an undeclared one changes nothing.
   */
  buildArgs?: Record<string, string>;
}

/** A Dockerfile BuildKit refuses to read; `line` counts from 1. */
export class DockerfileSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = 'DockerfileSyntaxError';
  }
}

/**
 * ARGs BuildKit defines in the global scope for the platforms of the build (reference: "Automatic platform
 * ARGs in the global scope"; dockerfile2llb/platform.go defaultArgs). Their values depend on the builder, so
 * a FROM image needing one is not known before the build, unless a build arg or an ARG default sets it.
 */
const PLATFORM_ARGS = [
  'BUILDPLATFORM',
  'BUILDOS',
  'BUILDOSVERSION',
  'BUILDARCH',
  'BUILDVARIANT',
  'TARGETPLATFORM',
  'TARGETOS',
  'TARGETOSVERSION',
  'TARGETARCH',
  'TARGETVARIANT',
  'TARGETSTAGE',
];

/** Instructions whose text may open heredocs (parser.go heredocDirectives; ONBUILD passes them on). */
const HEREDOC_KEYWORDS = new Set(['add', 'copy', 'run']);

// parser.go reWhitespace: what separates the keyword from its arguments and FROM's words.
export const WHITESPACE = /[\t\v\f\r ]+/;
// directives.go: `# key=value`, blanks allowed around `=`; the value ends at the line's last non-blank.
const DIRECTIVE = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
// parser.go reHeredoc, applied to each word of the instruction: optional fd, `<<`, optional `-`, delimiter.
const HEREDOC = /^(\d*)<<(-?)[\t\n\f\r ]*([^<]*)$/;
// instructions/parse.go validStageName (the name is lowercased first).
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

const trimNewline = (line: string): string => line.replace(/[\r\n]+$/, '');
const isComment = (line: string): boolean => line.trimStart().startsWith('#');

/** Physical lines split at `\n` as BuildKit's scanner does, each with its own line ending kept for rewriting. */
export function splitLines(text: string): { lines: string[]; ends: string[] } {
  const lines: string[] = [];
  const ends: string[] = [];
  let start = 0;
  for (;;) {
    const newline = text.indexOf('\n', start);
    if (newline < 0) {
      lines.push(text.slice(start));
      ends.push('');
      return { lines, ends };
    }
    const end = newline > start && text[newline - 1] === '\r' ? newline - 1 : newline;
    lines.push(text.slice(start, end));
    ends.push(text.slice(end, newline + 1));
    start = newline + 1;
  }
}

/**
 * Parser directives (reference: "Parser directives"; directives.go): only at the very top; the first line
 * that is not a known directive (an instruction, an empty line, any other comment, an unknown directive)
 * ends them, and everything after that looks like one is a comment.
 */
class DirectiveReader {
  private done = false;
  private readonly seen = new Set<string>();

  /** The directive on this line, if it is one; `line` is 1-based, for errors. */
  read(text: string, line: number): { name: string; value: string } | undefined {
    if (this.done) return undefined;
    const trimmed = text.trimStart();
    const match = trimmed.startsWith('#') ? DIRECTIVE.exec(trimmed.slice(1).trimStart()) : null;
    const name = match?.[1].toLowerCase();
    if (!match || !name || !KNOWN_DIRECTIVES.has(name)) {
      this.done = true;
      return undefined;
    }
    if (this.seen.has(name)) throw new DockerfileSyntaxError(line, `only one ${name} parser directive can be used`);
    this.seen.add(name);
    return { name, value: match[2] };
  }
}

/**
 * parser.go's line-continuation test: the escape character as the last non-blank of a line, unless an escape
 * character precedes it (so under `# escape=\`` a trailing `\` is just a character). Returns the line without
 * it, and whether the instruction ends on this line.
 */
function continuation(escape: string): (line: string) => { text: string; ends: boolean } {
  const e = escape.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  const pattern = new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
  return (line) => (pattern.test(line) ? { text: line.replace(pattern, '$1'), ends: false } : { text: line, ends: true });
}

/** split_command.go splitCommand: the keyword, then everything after the blanks that follow it. */
function splitCommand(text: string): { command: string; rest: string } {
  const trimmed = text.trim();
  const blank = WHITESPACE.exec(trimmed);
  return blank
    ? { command: trimmed.slice(0, blank.index), rest: trimmed.slice(blank.index + blank[0].length) }
    : { command: trimmed, rest: '' };
}

/**
 * split_command.go extractBuilderFlags: the leading `--name=value` words (quotes and escapes allowed in them),
 * kept as written, and the rest of the line from the first word that is not a flag (`--` alone ends the flags).
 */
function extractFlags(text: string, escape: string): { flags: string[]; args: string } {
  const flags: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let wordStart = 0;
  let quote = '';
  let blankOk = false;
  const isBlank = (ch: string) => /\s/.test(ch);
  for (let pos = 0; pos <= text.length; pos++) {
    let ch = text[pos] ?? '';
    if (phase === 'spaces') {
      if (pos === text.length) break;
      if (isBlank(ch)) continue;
      if (ch !== '-' || text[pos + 1] !== '-') return { flags, args: text.slice(pos).trim() };
      phase = 'word';
      wordStart = pos;
    }
    if (pos === text.length) {
      if (word !== '--' && (blankOk || word)) flags.push(text.slice(wordStart));
      break;
    }
    if (phase === 'word') {
      if (isBlank(ch)) {
        phase = 'spaces';
        if (word === '--') return { flags, args: text.slice(pos).trim() };
        if (blankOk || word) flags.push(text.slice(wordStart, pos));
        word = '';
        blankOk = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOk = true;
        phase = 'quote';
        continue;
      }
      if (ch === escape) {
        if (pos + 1 === text.length) continue;
        ch = text[++pos];
      }
      word += ch;
      continue;
    }
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === escape) {
      if (pos + 1 === text.length) {
        phase = 'word';
        continue;
      }
      ch = text[++pos];
    }
    word += ch;
  }
  return { flags, args: '' };
}

/**
 * line_parsers.go parseWords, used for ARG: words split at unquoted blanks, quotes and escapes kept (the ARG's
 * value is expanded, and its quotes removed, later).
 */
function parseWords(text: string, escape: string): string[] {
  const chars = [...text];
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOk = false;
  let word = '';
  const isBlank = (ch: string) => /\s/.test(ch);
  for (let pos = 0; pos <= chars.length; pos++) {
    let ch = chars[pos] ?? '';
    if (phase === 'spaces') {
      if (pos === chars.length) break;
      if (isBlank(ch)) continue;
      phase = 'word';
    }
    if (pos === chars.length) {
      if (blankOk || word) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isBlank(ch)) {
        phase = 'spaces';
        if (blankOk || word) words.push(word);
        word = '';
        blankOk = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOk = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (pos + 1 === chars.length) continue;
        word += ch;
        ch = chars[++pos];
      }
      word += ch;
      continue;
    }
    if (ch === quote) phase = 'word';
    // Inside single quotes nothing is escaped.
    if (ch === escape && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      word += ch;
      ch = chars[++pos];
    }
    word += ch;
  }
  return words;
}

/** line_parsers.go parseJSON: RUN, COPY and ADD in exec form (a JSON array of strings) open no heredocs. */
function isJsonArray(args: string): boolean {
  if (!args.trimStart().startsWith('[')) return false;
  try {
    const value: unknown = JSON.parse(args);
    return Array.isArray(value) && value.every((item) => typeof item === 'string');
  } catch {
    return false;
  }
}

/** parser.go canContainHeredoc: RUN, COPY and ADD in shell form, also as the trigger of ONBUILD. */
function opensHeredocs(keyword: string, args: string, escape: string): boolean {
  if (keyword === 'onbuild') {
    const trigger = splitCommand(args);
    return HEREDOC_KEYWORDS.has(trigger.command.toLowerCase()) && !isJsonArray(extractFlags(trigger.rest, escape).args);
  }
  return HEREDOC_KEYWORDS.has(keyword) && !isJsonArray(args);
}

/**
 * parser.go heredocsFromLine: every word of the instruction that reads `[n]<<[-]DELIMITER` opens a heredoc;
 * quotes around (parts of) the delimiter are removed, `-` strips leading tabs before the delimiter line.
 * Heredocs in quotes (`"<<EOF"`) are words that do not start with `<<`, so they open none.
 */
function heredocMarkers(text: string): Array<{ name: string; chomp: boolean }> {
  const markers: Array<{ name: string; chomp: boolean }> = [];
  for (const word of heredocWords(text, true)) {
    const match = HEREDOC.exec(word);
    if (!match || !match[3]) continue;
    const name = heredocWords(match[3], false);
    if (name.length === 1) markers.push({ name: name[0], chomp: match[2] === '-' });
  }
  return markers;
}

interface ArgDeclaration {
  line: number;
  name: string;
  /** The default as written (quotes and variables still in it); undefined for `ARG NAME`. */
  value?: string;
}

interface FromDeclaration {
  instruction: DockerfileInstruction;
  rawImage: string;
  stageName?: string;
}

/** The instructions as BuildKit's parser reads them (parser.go Parse), and the escape character in force. */
function readInstructions(text: string): { lines: string[]; escape: string; instructions: DockerfileInstruction[] } {
  const { lines } = splitLines(text);
  const directives = new DirectiveReader();
  let escape = '\\';
  let trimContinuation = continuation(escape);
  const instructions: DockerfileInstruction[] = [];
  let index = 0;
  while (index < lines.length) {
    const start = index;
    // A UTF-8 byte order mark before the first line is not part of it.
    const line = trimNewline(index === 0 ? lines[0].replace(/^\uFEFF/, '') : lines[index]);
    index++;
    const directive = directives.read(line, start + 1);
    if (directive?.name === 'escape') {
      if (directive.value !== '\\' && directive.value !== '`') {
        throw new DockerfileSyntaxError(start + 1, `invalid escape token '${directive.value}' does not match \` or \\`);
      }
      escape = directive.value;
      trimContinuation = continuation(escape);
    }
    // Comments (directives included) and blank lines are no instruction; leading blanks are dropped.
    let piece = trimContinuation(isComment(line) ? '' : line.trimStart());
    if (piece.ends && !piece.text) continue;
    let logical = piece.text;
    const textLines = [start];
    // A continued instruction goes on past comment lines and blank lines, which it leaves out.
    while (!piece.ends && index < lines.length) {
      const next = trimNewline(lines[index]);
      index++;
      if (isComment(next) || !next.trim()) continue;
      piece = trimContinuation(next);
      // Joined as written: `FROM repo/\` + `name:tag` is one word.
      logical += piece.text;
      textLines.push(index - 1);
    }
    const end = index - 1;
    const { command, rest } = splitCommand(logical);
    const keyword = command.toLowerCase();
    const { flags, args } = extractFlags(rest, escape);
    const heredocs: DockerfileInstruction['heredocs'] = [];
    if (opensHeredocs(keyword, args, escape) && logical.includes('<<')) {
      // The bodies follow the instruction one after the other; none of their lines is an instruction.
      for (const marker of heredocMarkers(logical)) {
        const bodyStart = index;
        let closed = false;
        while (index < lines.length && !closed) {
          const candidate = trimNewline(lines[index]);
          index++;
          closed = (marker.chomp ? candidate.replace(/^\t+/, '') : candidate) === marker.name;
        }
        if (!closed) throw new DockerfileSyntaxError(start + 1, `unterminated heredoc <<${marker.name}`);
        heredocs.push({ name: marker.name, startLine: bodyStart, endLine: index - 1 });
      }
    }
    instructions.push({ keyword, command, flags, args, startLine: start, endLine: end, textLines, heredocs });
  }
  return { lines, escape, instructions };
}

/** instructions/parse.go parseFrom: `FROM [flags] <image> [AS <name>]`. */
function fromDeclaration(instruction: DockerfileInstruction): FromDeclaration {
  const words = instruction.args ? instruction.args.split(WHITESPACE) : [];
  const line = instruction.startLine + 1;
  if (words.length === 3 && words[1].toLowerCase() === 'as') {
    if (!STAGE_NAME.test(words[2].toLowerCase())) {
      throw new DockerfileSyntaxError(
        line,
        `invalid name for build stage: "${words[2]}", name can't start with a number or contain symbols`,
      );
    }
    return { instruction, rawImage: words[0], stageName: words[2] };
  }
  if (words.length !== 1)
    throw new DockerfileSyntaxError(line, 'FROM requires either one or three arguments: FROM [--platform=…] <image> [AS <name>]');
  return { instruction, rawImage: words[0] };
}

/** instructions/parse.go parseArg: `ARG name[=default] …`. */
function argDeclarations(instruction: DockerfileInstruction, escape: string): ArgDeclaration[] {
  const line = instruction.startLine + 1;
  const words = parseWords(instruction.args, escape);
  if (!words.length) throw new DockerfileSyntaxError(line, 'ARG requires at least one argument');
  return words.map((word) => {
    const eq = word.indexOf('=');
    const name = eq >= 0 ? word.slice(0, eq) : word;
    if (!name) throw new DockerfileSyntaxError(line, 'ARG names can not be blank');
    return { line, name, value: eq >= 0 ? word.slice(eq + 1) : undefined };
  });
}

function expandAt(word: string, env: Environment, escape: string, line: number) {
  try {
    return expandWord(word, env, escape);
  } catch (err) {
    throw new DockerfileSyntaxError(line, `failed to process "${word}": ${(err as Error).message}`);
  }
}

const hasOwn = (record: Record<string, string>, key: string) => Object.prototype.hasOwnProperty.call(record, key);

/**
 * The build args docker build gets: those the Dockerfile declares with ARG. An undeclared one would only make
 * BuildKit warn that it was not consumed, and a warning fails the build.
 */
export function passedBuildArgs(parsed: Pick<ParsedDockerfile, 'argNames'>, buildArgs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(parsed.argNames.filter((name) => hasOwn(buildArgs, name)).map((name) => [name, buildArgs[name]]));
}

/**
 * The global scope FROM lines see (dockerfile2llb convert.go buildMetaArgs, reference "Understand how ARG
 * and FROM interact"): the automatic platform ARGs, then each ARG before the first FROM in order: the build
 * arg of that name when one is passed, else its default expanded in the scope so far. An ARG without either
 * keeps what it had (a platform ARG stays the builder's).
 */
function globalScope(args: ArgDeclaration[], passed: Record<string, string>, escape: string): Environment {
  const env = new Map<string, VariableValue>();
  for (const name of PLATFORM_ARGS) {
    env.set(name, hasOwn(passed, name) ? { value: passed[name] } : { causes: { missing: [], builderDefined: [name] } });
  }
  for (const arg of args) {
    if (hasOwn(passed, arg.name)) {
      env.set(arg.name, { value: passed[arg.name] });
    } else if (arg.value !== undefined) {
      const { value, ...causes } = expandAt(arg.value, env, escape, arg.line);
      env.set(arg.name, causes.missing.length || causes.builderDefined.length ? { causes } : { value });
    }
  }
  return env;
}

export function parseDockerfile(text: string, options: ParseOptions = {}): ParsedDockerfile {
  const { lines, escape, instructions } = readInstructions(text);
  const argNames = new Set<string>();
  const globalArgs: ArgDeclaration[] = [];
  const declarations: FromDeclaration[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'from') declarations.push(fromDeclaration(instruction));
    if (instruction.keyword !== 'arg') continue;
    const args = argDeclarations(instruction, escape);
    for (const arg of args) argNames.add(arg.name);
    // Only ARGs before the first FROM can be used in FROM lines.
    if (!declarations.length) globalArgs.push(...args);
  }
  const passed = passedBuildArgs({ argNames: [...argNames] }, options.buildArgs ?? {});
  const env = globalScope(globalArgs, passed, escape);
  const froms = declarations.map(({ instruction, rawImage, stageName }): FromInstruction => {
    const { value, missing, builderDefined } = expandAt(rawImage, env, escape, instruction.startLine + 1);
    const resolved = !missing.length && !builderDefined.length;
    return {
      startLine: instruction.startLine,
      endLine: instruction.endLine,
      rawImage,
      image: resolved ? value : undefined,
      missingArgs: missing,
      ...(builderDefined.length ? { platformArgs: builderDefined } : {}),
      flags: instruction.flags,
      stageName,
    };
  });
  return { lines, escape, instructions, froms, argNames: [...argNames] };
}
