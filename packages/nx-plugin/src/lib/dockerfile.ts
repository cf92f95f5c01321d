/**
 * The few Dockerfile facts the pipeline needs: which image each stage starts FROM (with ARG defaults
 * resolved, as `docker build` would without --build-arg), and rewriting those FROM lines in a copy.
 */
import { formatImageRef, parseImageRef, registryEndpoint } from './image-ref';

export interface FromInstruction {
  /** Index of the logical instruction's first physical line. */
  startLine: number;
  /** Index of its last physical line (differs when the line continues with a backslash). */
  endLine: number;
  /** The image expression as written, e.g. `${BASE}` or `mcr.microsoft.com/dotnet/runtime:6.0`. */
  rawImage: string;
  /** The image with ARGs substituted; undefined when an ARG has no value. */
  image?: string;
  /** The unresolved variable names when `image` is undefined. */
  missingArgs: string[];
  flags: string[];
  stageName?: string;
}

export interface ParsedDockerfile {
  lines: string[];
  froms: FromInstruction[];
  /** Every ARG name declared anywhere, so only declared build args are passed (others make Docker warn). */
  argNames: string[];
}

interface LogicalLine {
  start: number;
  end: number;
  text: string;
}

function logicalLines(lines: string[]): LogicalLine[] {
  const out: LogicalLine[] = [];
  let current: LogicalLine | undefined;
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    // Docker drops comments and empty lines, also inside a continued instruction.
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const continues = /\\\s*$/.test(raw);
    const piece = continues ? raw.replace(/\\\s*$/, '') : raw;
    if (current) {
      // Joined as written, as Docker does: `FROM repo/\` + `name:tag` is one word.
      current.text += piece;
      current.end = index;
    } else {
      current = { start: index, end: index, text: piece.trim() };
    }
    if (!continues) {
      out.push(current);
      current = undefined;
    }
  });
  if (current) out.push(current);
  return out;
}

const VARIABLE = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

function substitute(text: string, values: Map<string, string | undefined>): { value?: string; missing: string[] } {
  const missing: string[] = [];
  const value = text.replace(VARIABLE, (_all, braced: string, op: string, word: string, bare: string) => {
    const name = braced ?? bare;
    const current = values.get(name);
    if (op === '-') return current ? current : word;
    if (op === '+') return current ? word : '';
    if (current === undefined) {
      missing.push(name);
      return '';
    }
    return current;
  });
  return missing.length ? { missing } : { value, missing };
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const lines = text.split(/\r?\n/);
  const globalArgs = new Map<string, string | undefined>();
  const froms: FromInstruction[] = [];
  const argNames = new Set<string>();
  for (const line of logicalLines(lines)) {
    const match = /^(\w+)\s+(.*)$/.exec(line.text);
    if (!match) continue;
    const keyword = match[1].toUpperCase();
    const body = match[2].trim();
    if (keyword === 'ARG') for (const decl of body.split(/\s+/)) argNames.add(decl.split('=')[0]);
    if (keyword === 'ARG' && froms.length === 0) {
      // Only ARGs before the first FROM can be used in FROM lines.
      for (const decl of body.split(/\s+/)) {
        const eq = decl.indexOf('=');
        const name = eq >= 0 ? decl.slice(0, eq) : decl;
        const raw = eq >= 0 ? decl.slice(eq + 1).replace(/^(["'])(.*)\1$/, '$2') : undefined;
        globalArgs.set(name, raw === undefined ? undefined : (substitute(raw, globalArgs).value ?? undefined));
      }
    } else if (keyword === 'FROM') {
      const words = body.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const rest = words.filter((w) => !w.startsWith('--'));
      const rawImage = rest[0] ?? '';
      const stageName = rest.length >= 3 && rest[1].toUpperCase() === 'AS' ? rest[2] : undefined;
      const { value, missing } = substitute(rawImage, globalArgs);
      froms.push({ startLine: line.start, endLine: line.end, rawImage, image: value, missingArgs: missing, flags, stageName });
    }
  }
  return { lines, froms, argNames: [...argNames] };
}

/**
 * The image the final stage is built on, following `FROM <earlier stage>` back to a real image.
 * Throws a plain Error describing the problem; callers add file and field.
 */
export function finalBaseImage(parsed: ParsedDockerfile): { from: FromInstruction; image: string } {
  if (parsed.froms.length === 0) throw new Error('has no FROM instruction');
  let index = parsed.froms.length - 1;
  for (let hops = 0; hops <= parsed.froms.length; hops++) {
    const from = parsed.froms[index];
    if (from.image === undefined) {
      // Build args cannot choose the base: the base is resolved and checked before anything is built.
      const args = from.missingArgs;
      throw new Error(`FROM ${from.rawImage} uses ARG ${args.join(', ')} which has no default value (line ${from.startLine + 1}); declare ${args.map((a) => `ARG ${a}=<image>`).join(', ')} before the first FROM`);
    }
    if (!from.image) throw new Error('has an empty FROM');
    const earlier = parsed.froms.findIndex((f, i) => i < index && f.stageName?.toLowerCase() === from.image!.toLowerCase());
    if (earlier < 0) {
      if (from.image === 'scratch') throw new Error('builds FROM scratch: there is no upstream base image to keep current');
      return { from, image: from.image };
    }
    index = earlier;
  }
  throw new Error('has a FROM cycle');
}

function rewriteFrom(lines: string[], from: FromInstruction, image: string): void {
  const parts = ['FROM', ...from.flags, image];
  if (from.stageName) parts.push('AS', from.stageName);
  lines[from.startLine] = parts.join(' ');
  for (let i = from.startLine + 1; i <= from.endLine; i++) lines[i] = '';
}

/** A copy of the Dockerfile whose base stage starts FROM `pinnedImage` (what was checked is what is built). */
export function pinBaseImage(text: string, pinnedImage: string): string {
  const parsed = parseDockerfile(text);
  const { from } = finalBaseImage(parsed);
  const lines = [...parsed.lines];
  rewriteFrom(lines, from, pinnedImage);
  return lines.join('\n');
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
  const stageNames = new Set(parsed.froms.map((f) => f.stageName?.toLowerCase()).filter(Boolean));
  return parsed.froms.filter((f): f is FromInstruction & { image: string } => Boolean(f.image) && !stageNames.has(f.image!.toLowerCase()) && f.image !== 'scratch');
}

/** The images a Dockerfile starts FROM, in order and without repeats (for messages). */
export function fromImages(text: string): string[] {
  return [...new Set(imageFroms(parseDockerfile(text)).map((f) => f.image))];
}

/** Does any FROM start from `wanted`, so that overrideFrom would replace it? */
export function startsFrom(text: string, wanted: string): boolean {
  return imageFroms(parseDockerfile(text)).some((f) => fromMatches(f.image, wanted));
}

/**
 * The test app's Dockerfile with every FROM naming `wanted` replaced by `replacement`, and every other FROM
 * on a mirrored registry sent to its mirror. `replaced` counts the replacements (0 means the name is absent).
 */
export function overrideFrom(
  text: string,
  wanted: string,
  replacement: string,
  mirrors: Record<string, string> = {},
): { text: string; replaced: number } {
  const parsed = parseDockerfile(text);
  const lines = [...parsed.lines];
  let replaced = 0;
  for (const from of imageFroms(parsed)) {
    const image = from.image;
    if (fromMatches(image, wanted)) {
      rewriteFrom(lines, from, replacement);
      replaced++;
      continue;
    }
    let ref;
    try {
      ref = parseImageRef(image);
    } catch {
      continue;
    }
    if (mirrors[ref.registry]) {
      rewriteFrom(lines, from, formatImageRef({ ...ref, registry: registryEndpoint(ref.registry, mirrors).host }));
    }
  }
  return { text: lines.join('\n'), replaced };
}
