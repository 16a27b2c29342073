// FROM instructions: which base images a Dockerfile names, which stages it
// declares, and rewriting the image names in place with every other byte kept.

import { argumentBounds, isWordSeparator, lineOfOffset, parseInstructions, type Instruction } from './instructions.js';

/** A literal image token of a FROM instruction that is not a stage defined earlier in the file. */
export interface FromImage {
  /** The token as written, tag or digest included (`builder:latest`, `img@sha256:…`). */
  image: string;
  /** 1-based line on which the token starts. */
  line: number;
  /** Byte offset of the token's first byte in the original text. */
  start: number;
  /** Byte offset just past the token's last byte in the original text. */
  end: number;
}

/** A stage declared with `FROM … AS name`. */
interface Stage {
  /** The name as written. */
  name: string;
  line: number;
}

/** Byte range of one part of a token. A token that a line continuation splits has several. */
interface Segment {
  start: number;
  end: number;
}

interface ImageToken extends FromImage {
  segments: Segment[];
}

/** A FROM image written with ARG variables (`base:${VERSION}`), which is not rewritten. */
export interface VariableFromImage {
  /** The token as written. */
  token: string;
  /** 1-based line on which the token starts. */
  line: number;
  /** The image name once ARG defaults and build args are substituted; undefined when that fails. */
  resolved?: string;
}

interface FromScan {
  images: ImageToken[];
  stages: Stage[];
  variableImages: Array<{ token: string; line: number }>;
  /** Defaults of the ARG instructions before the first FROM, the only ones FROM can use. */
  globalArgs: Map<string, string | undefined>;
}

/** Returns the words of `text[start, end)` split on the ASCII separators of FROM's arguments. */
function splitWords(text: string, start: number, end: number): Array<[number, number]> {
  const words: Array<[number, number]> = [];
  let index = start;
  while (index < end) {
    while (index < end && isWordSeparator(text[index])) index++;
    const wordStart = index;
    while (index < end && !isWordSeparator(text[index])) index++;
    if (index > wordStart) words.push([wordStart, index]);
  }
  return words;
}

function decode(binary: string): string {
  return Buffer.from(binary, 'latin1').toString('utf8');
}

/**
 * Returns whether the engine takes the token as it is. It runs FROM's argument
 * through shell word processing, which substitutes `$VAR` from ARG and removes
 * quotes and escape characters, so such a token only names an image at build time.
 */
function isLiteral(token: string, escape: string): boolean {
  return !/[$'"]/.test(token) && !token.includes(escape);
}

function toSegments(instruction: Instruction, start: number, end: number): Segment[] {
  const segments: Segment[] = [];
  for (let index = start; index < end; index++) {
    const offset = instruction.offsets[index]!;
    const last = segments.at(-1);
    if (last && last.end === offset) last.end = offset + 1;
    else segments.push({ start: offset, end: offset + 1 });
  }
  return segments;
}

/** Adds the `NAME` or `NAME=default` pairs of an ARG instruction to `args`. */
function readArgDefaults(instruction: Instruction, args: Map<string, string | undefined>): void {
  const bounds = argumentBounds(instruction.text);
  for (const [start, end] of splitWords(instruction.text, bounds.start, bounds.end)) {
    const word = decode(instruction.text.slice(start, end));
    const equals = word.indexOf('=');
    if (equals < 0) args.set(word, args.get(word));
    else args.set(word.slice(0, equals), word.slice(equals + 1).replace(/^(["'])(.*)\1$/, '$2'));
  }
}

/**
 * Substitutes `$NAME` and `${NAME}` in `token` from `values`; returns undefined for any
 * other form (`${NAME:-x}`, quotes) or a name without a value.
 */
function substituteArgs(token: string, values: ReadonlyMap<string, string | undefined>): string | undefined {
  if (/['"\\]|\$\{[^}]*[^A-Za-z0-9_}]/.test(token)) return undefined;
  let unresolved = false;
  const resolved = token.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_match, braced: string | undefined, bare: string | undefined) => {
    const value = values.get((braced ?? bare)!);
    if (value === undefined) unresolved = true;
    return value ?? '';
  });
  return unresolved || resolved.includes('$') ? undefined : resolved;
}

function scanFromInstructions(content: Buffer): FromScan {
  const parsed = parseInstructions(content);
  const images: ImageToken[] = [];
  const stages: Stage[] = [];
  const stageNames = new Set<string>();
  const variableImages: FromScan['variableImages'] = [];
  const globalArgs = new Map<string, string | undefined>();
  let seenFrom = false;

  for (const instruction of parsed.instructions) {
    if (instruction.keyword === 'arg' && !seenFrom) {
      readArgDefaults(instruction, globalArgs);
      continue;
    }
    if (instruction.keyword !== 'from') continue;
    seenFrom = true;
    const bounds = argumentBounds(instruction.text);
    const words = splitWords(instruction.text, bounds.start, bounds.end);
    const [imageWord, asWord, nameWord] = words;
    const declaresStage = words.length === 3 && instruction.text.slice(asWord![0], asWord![1]).toLowerCase() === 'as';
    // Any other count of words is an invalid FROM that the engine reports.
    if (imageWord === undefined || (words.length !== 1 && !declaresStage)) continue;

    const token = instruction.text.slice(imageWord[0], imageWord[1]);
    const image = decode(token);
    // Stage names are compared without case, as the engine stores them in lower case.
    if (isLiteral(token, parsed.escape) && !stageNames.has(image.toLowerCase())) {
      const segments = toSegments(instruction, imageWord[0], imageWord[1]);
      const start = segments[0]!.start;
      const end = segments.at(-1)!.end;
      images.push({ image, line: lineOfOffset(parsed.lineStarts, start), start, end, segments });
    } else if (token.includes('$')) {
      variableImages.push({ token: image, line: lineOfOffset(parsed.lineStarts, instruction.offsets[imageWord[0]]!) });
    }

    if (declaresStage) {
      const name = decode(instruction.text.slice(nameWord![0], nameWord![1]));
      stages.push({ name, line: lineOfOffset(parsed.lineStarts, instruction.offsets[nameWord![0]]!) });
      stageNames.add(name.toLowerCase());
    }
  }
  return { images, stages, variableImages, globalArgs };
}

/** Lists the base images the FROM instructions name, leaving out earlier stages and tokens with `$`. */
export function listFromImages(content: string): FromImage[] {
  return scanFromInstructions(Buffer.from(content, 'utf8')).images.map(({ image, line, start, end }) => ({ image, line, start, end }));
}

/**
 * Lists the FROM images written with ARG variables, each resolved from the defaults of
 * the ARGs before the first FROM and from `buildArgs`, which win over them, as the
 * engine does. A resolved name that is a stage defined earlier is left out.
 */
export function listVariableFromImages(content: string, buildArgs: Readonly<Record<string, string>>): VariableFromImage[] {
  const scan = scanFromInstructions(Buffer.from(content, 'utf8'));
  const values = new Map(scan.globalArgs);
  for (const [name, value] of Object.entries(buildArgs)) if (values.has(name)) values.set(name, value);
  const stageNames = new Set(scan.stages.map((stage) => stage.name.toLowerCase()));
  return scan.variableImages
    .map(({ token, line }) => ({ token, line, resolved: substituteArgs(token, values) }))
    .filter((image) => image.resolved === undefined || !stageNames.has(image.resolved.toLowerCase()));
}

/** Returns the stage names declared with `AS`, in order, as written. */
export function listStages(content: string): string[] {
  return scanFromInstructions(Buffer.from(content, 'utf8')).stages.map((stage) => stage.name);
}

/**
 * Rewrites the FROM image tokens for which `replace` returns a string; every other
 * byte stays identical. The replacement must be a single word (an image reference).
 * A token that a line continuation splits is replaced in its last part and its
 * other parts are removed, so the continuation lines and the line count stay.
 */
export function rewriteFromImages(content: Buffer, replace: (image: string) => string | undefined): Buffer {
  const parts: Buffer[] = [];
  let copied = 0;

  for (const token of scanFromInstructions(content).images) {
    const replacement = replace(token.image);
    if (replacement === undefined || replacement === token.image) continue;
    token.segments.forEach((segment, index) => {
      parts.push(content.subarray(copied, segment.start));
      if (index === token.segments.length - 1) parts.push(Buffer.from(replacement, 'utf8'));
      copied = segment.end;
    });
  }

  if (parts.length === 0) return Buffer.from(content);
  parts.push(content.subarray(copied));
  return Buffer.concat(parts);
}
