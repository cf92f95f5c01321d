/**
 * What the product decides from a parsed Dockerfile and writes into a copy of it: the image the final stage is
 * built on (the base the check resolves), the copy pinned to the digest checked, the test app's FROM replaced
 * by the new image, FROMs sent to a registry mirror, and one LABEL instruction. A rewritten FROM keeps its
 * keyword, flags and stage name; every other byte of the file is kept (convert.go for how stages are named).
 */
import { expandWord } from './dockerfile-lex';
import { splitLines, WHITESPACE, parseDockerfile, type FromInstruction, type ParsedDockerfile } from './dockerfile';
import { formatImageRef, parseImageRef, registryEndpoint } from '../types/image-ref';

/** The stage a FROM names: the latest earlier stage of that name, case-insensitively (convert.go addState). */
function stageBefore(froms: FromInstruction[], index: number, image: string): number {
  const name = image.toLowerCase();
  for (let i = index - 1; i >= 0; i--) if (froms[i].stageName?.toLowerCase() === name) return i;
  return -1;
}

function unresolvedMessage(from: FromInstruction): string {
  const line = from.startLine + 1;
  if (from.missingArgs.length) {
    // Build args can choose the base only through a declared ARG; the base is resolved and checked before anything is built.
    const args = from.missingArgs;
    return (
      `FROM ${from.rawImage} uses ARG ${args.join(', ')} which has no default value (line ${line}); ` +
      `declare ${args.map((a) => `ARG ${a}=<image>`).join(', ')} before the first FROM`
    );
  }
  const args = from.platformArgs ?? [];
  return (
    `FROM ${from.rawImage} uses ${args.join(', ')} (line ${line}), ` +
    `which the builder sets for the platform it builds for, so the base image is not known before the build; ` +
    `name the image without ${args.length === 1 ? 'it' : 'them'}, or declare ${args.map((a) => `ARG ${a}=<value>`).join(', ')} before the first FROM`
  );
}

/**
 * The image the final stage is built on, following `FROM <earlier stage>` back to a real image.
 * Throws a plain Error describing the problem; callers add file and field.
 */
export function finalBaseImage(parsed: ParsedDockerfile): { from: FromInstruction; image: string } {
  if (parsed.froms.length === 0) throw new Error('has no FROM instruction');
  // A FROM names only earlier stages, so following them always ends.
  let index = parsed.froms.length - 1;
  for (;;) {
    const from = parsed.froms[index];
    if (from.image === undefined) throw new Error(unresolvedMessage(from));
    if (!from.image) throw new Error('has an empty FROM');
    const stage = stageBefore(parsed.froms, index, from.image);
    if (stage < 0) {
      if (from.image === 'scratch') throw new Error('builds FROM scratch: there is no upstream base image to keep current');
      return { from, image: from.image };
    }
    index = stage;
  }
}

/**
 * The text with each given FROM instruction written anew on its first line, naming `image` and keeping its
 * keyword, flags and stage name as written; its other text lines become empty so that line numbers stay.
 * Comments, blank lines, heredocs, directives, line endings and every other instruction keep their bytes.
 */
function rewriteFroms(
  text: string,
  parsed: ParsedDockerfile,
  images: Map<FromInstruction, string>,
  extraFlags: Map<FromInstruction, string[]> = new Map(),
): string {
  const { lines, ends } = splitLines(text);
  for (const [from, image] of images) {
    const instruction = parsed.instructions.find((i) => i.startLine === from.startLine)!;
    const [first, ...others] = instruction.textLines;
    const indent = /^\s*/.exec(lines[first])![0];
    const words = [instruction.command, ...instruction.flags, ...(extraFlags.get(from) ?? []), image];
    if (from.stageName) words.push(instruction.args.split(WHITESPACE)[1], from.stageName);
    lines[first] = indent + words.join(' ');
    for (const line of others) lines[line] = '';
  }
  return lines.map((line, i) => line + ends[i]).join('');
}

/**
 * A copy of the Dockerfile whose base stage starts FROM `pinnedImage` (what was checked is what is built).
 * `buildArgs` are the run's: they choose the base stage's image just as they do for the check.
 */
export function pinBaseImage(
  text: string,
  pinnedImage: string,
  buildArgs: Record<string, string>,
  mirrors: Record<string, string> = {},
): string {
  const parsed = parseDockerfile(text, { buildArgs });
  const { from } = finalBaseImage(parsed);
  // The other stages' images come through the mirror too: a build that reaches MCR only through one would
  // otherwise fail to pull them.
  const images = mirroredFroms(parsed, mirrors);
  images.set(from, pinnedImage);
  return rewriteFroms(text, parsed, images);
}

/** Every FROM that starts from an image on a mirrored registry, sent to its mirror (tag and digest kept). */
function mirroredFroms(parsed: ParsedDockerfile, mirrors: Record<string, string>): Map<FromInstruction, string> {
  const images = new Map<FromInstruction, string>();
  for (const from of imageFroms(parsed)) {
    let ref;
    try {
      ref = parseImageRef(from.image);
    } catch {
      continue;
    }
    if (mirrors[ref.registry]) images.set(from, formatImageRef({ ...ref, registry: registryEndpoint(ref.registry, mirrors).host }));
  }
  return images;
}

/** Does a FROM image name the configured image? Exact, or the seed's style of naming just `repo:tag`. */
export function fromMatches(image: string, wanted: string): boolean {
  if (image === wanted || image.endsWith('/' + wanted)) return true;
  try {
    return formatImageRef(parseImageRef(image)) === formatImageRef(parseImageRef(wanted));
  } catch {
    return false;
  }
}

/** The FROMs that start from an image (not an earlier stage, not scratch, not an unresolved ARG). */
function imageFroms(parsed: ParsedDockerfile): Array<FromInstruction & { image: string }> {
  return parsed.froms.filter(
    (f, index): f is FromInstruction & { image: string } =>
      Boolean(f.image) && f.image !== 'scratch' && stageBefore(parsed.froms, index, f.image!) < 0,
  );
}

/** The images a Dockerfile starts FROM, in order and without repeats (for messages). */
export function fromImages(text: string): string[] {
  return [...new Set(imageFroms(parseDockerfile(text)).map((f) => f.image))];
}

/**
 * Does the final stage start FROM `wanted` (directly or through earlier stages), so that what the Dockerfile
 * builds runs on that image? False for a test app whose build stage alone is on it (an sdk image's test).
 */
export function finalStageFrom(text: string, wanted: string): boolean {
  try {
    return fromMatches(finalBaseImage(parseDockerfile(text)).image, wanted);
  } catch {
    return false;
  }
}

/** Does any FROM start from `wanted`, so that overrideFrom would replace it? */
export function startsFrom(text: string, wanted: string): boolean {
  return imageFroms(parseDockerfile(text)).some((f) => fromMatches(f.image, wanted));
}

/**
 * The test app's Dockerfile with every FROM naming `wanted` replaced by `replacement`, and every other FROM
 * on a mirrored registry sent to its mirror. `replaced` counts the replacements (0 means the name is absent).
 * The test app is built without build args, so its ARGs keep their defaults.
 */
export function overrideFrom(
  text: string,
  wanted: string,
  replacement: string,
  mirrors: Record<string, string> = {},
): { text: string; replaced: number } {
  const parsed = parseDockerfile(text);
  const images = mirroredFroms(parsed, mirrors);
  let replaced = 0;
  for (const from of imageFroms(parsed)) {
    if (fromMatches(from.image, wanted)) {
      images.set(from, replacement);
      replaced++;
    }
  }
  return { text: images.size ? rewriteFroms(text, parsed, images) : text, replaced };
}

/**
 * The test app's Dockerfile for a build whose target platform is not the engine's: every stage that starts from
 * an image other than `candidate` and names no platform of its own gets `--platform=<buildPlatform>`, so the
 * SDK stage runs natively and only what starts FROM the candidate is the target platform (what BuildKit users
 * write as `FROM --platform=$BUILDPLATFORM`, Dockerfile reference "Automatic platform ARGs in the global
 * scope"; the classic builder defines none of those ARGs, and a meta ARG passed with --build-arg that only a
 * FROM uses is reported as not consumed, so the value is written literally). The app is published
 * framework-dependent, platform-neutral IL, so what the build stage makes runs on every platform.
 */
export function buildStagesOn(text: string, candidate: string, buildPlatform: string): string {
  const parsed = parseDockerfile(text);
  const images = new Map<FromInstruction, string>();
  const flags = new Map<FromInstruction, string[]>();
  for (const from of imageFroms(parsed)) {
    if (from.image === candidate || from.flags.some((f) => /^--platform(=|$)/i.test(f))) continue;
    images.set(from, from.image);
    flags.set(from, [`--platform=${buildPlatform}`]);
  }
  return images.size ? rewriteFroms(text, parsed, images, flags) : text;
}

/** A LABEL word for one label: key and value double-quoted, `"`, `$` and the escape character escaped in them (as in sh). */
function labelWord(key: string, value: string, escape: string): string {
  const quote = (text: string) => `"${[...text].map((ch) => (ch === '"' || ch === '$' || ch === escape ? escape + ch : ch)).join('')}"`;
  return `${quote(key)}=${quote(value)}`;
}

/**
 * The Dockerfile with one LABEL instruction at its end that stamps `labels` on the image it builds (its last
 * stage). The classic builder turns every `--label` flag into a LABEL step of its own, each a container
 * created and committed; one instruction is one step. Keys and values are double-quoted with `"`, `$` and
 * the escape character escaped, so the builder reads each back exactly as given, never expanding a variable.
 * Undefined when that cannot be done safely (a line break in a label, a last line that continues, a value that
 * would not read back), and the labels are then passed as `--label` flags.
 */
export function withLabelInstruction(text: string, labels: Record<string, string>): string | undefined {
  const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return text;
  if (entries.some(([key, value]) => /[\r\n]/.test(key + value) || !key)) return undefined;
  let escape: string;
  try {
    ({ escape } = parseDockerfile(text));
  } catch {
    return undefined;
  }
  const words = entries.map(([key, value]) => labelWord(key, value, escape));
  const instruction = `LABEL ${words.join(' ')}`;
  const out = `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${instruction}\n`;
  try {
    const parsed = parseDockerfile(out);
    const last = parsed.instructions[parsed.instructions.length - 1];
    if (
      last?.keyword !== 'label' ||
      last.endLine !== last.startLine ||
      parsed.lines[last.startLine] !== instruction ||
      last.args !== words.join(' ')
    )
      return undefined;
    // Read back as the builder reads it: each word comes out as key=value, nothing expanded.
    for (const [i, [key, value]] of entries.entries()) {
      const back = expandWord(words[i], new Map(), escape);
      if (back.value !== `${key}=${value}` || back.missing.length || back.builderDefined.length) return undefined;
    }
  } catch {
    return undefined;
  }
  return out;
}
