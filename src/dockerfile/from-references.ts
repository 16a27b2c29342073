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

interface FromScan {
  images: ImageToken[];
  stages: Stage[];
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

function scanFromInstructions(content: Buffer): FromScan {
  const parsed = parseInstructions(content);
  const images: ImageToken[] = [];
  const stages: Stage[] = [];
  const stageNames = new Set<string>();

  for (const instruction of parsed.instructions) {
    if (instruction.keyword !== 'from') continue;
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
    }

    if (declaresStage) {
      const name = decode(instruction.text.slice(nameWord![0], nameWord![1]));
      stages.push({ name, line: lineOfOffset(parsed.lineStarts, instruction.offsets[nameWord![0]]!) });
      stageNames.add(name.toLowerCase());
    }
  }
  return { images, stages };
}

/** Lists the base images the FROM instructions name, leaving out earlier stages and tokens with `$`. */
export function listFromImages(content: string): FromImage[] {
  return scanFromInstructions(Buffer.from(content, 'utf8')).images.map(({ image, line, start, end }) => ({ image, line, start, end }));
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
