// Splits a Dockerfile into instructions the way BuildKit's Dockerfile frontend
// parser does (moby/buildkit frontend/dockerfile/parser). The byte offset of every
// character is kept, so that a caller can rewrite a token in place.
//
// The content is handled as a "binary string": it is decoded as latin1, so that
// character i is byte i. Every character the syntax cares about is ASCII, which
// UTF-8 never uses inside a multi-byte sequence, so non-ASCII text and even
// invalid UTF-8 pass through untouched.

/** One instruction, joined across line continuations. */
export interface Instruction {
  /** Keyword in lower case: `from`, `run`. */
  keyword: string;
  /** Instruction text without continuation characters and comment lines, one character per byte. */
  text: string;
  /** Byte offset in the original content of each character of `text`. */
  offsets: number[];
  /** 1-based line on which the instruction starts. */
  line: number;
}

/** A Dockerfile cut into instructions. */
export interface ParsedDockerfile {
  instructions: Instruction[];
  /** Escape character from the `# escape=` parser directive: a backslash or a backtick. */
  escape: string;
  /** Byte offset at which each line starts. */
  lineStarts: number[];
}

/** Bounds of the arguments of an instruction inside its `text`, after the builder flags. */
export interface ArgumentBounds {
  start: number;
  end: number;
}

interface PhysicalLine {
  start: number;
  /** End of the line without its trailing `\r` and `\n` characters. */
  end: number;
}

const BYTE_ORDER_MARK = '\xEF\xBB\xBF';

// A directive must match the whole line. Go's `\s` is ASCII-only, hence the explicit class.
const DIRECTIVE_PATTERN = /^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);

// The separator between an instruction's words is this ASCII set, not every space character.
const WORD_SEPARATORS = new Set(['\t', '\v', '\f', '\r', ' ']);

const HEREDOC_INSTRUCTIONS = new Set(['run', 'copy', 'add']);
const HEREDOC_WORD_PATTERN = /^(\d*)<<(-?)[\t\n\f\r ]*([^<]*)$/;

/** Returns the byte length of the Unicode space character starting at `index`, or 0. */
export function spaceLengthAt(text: string, index: number, end: number): number {
  if (index >= end) return 0;
  const first = text.charCodeAt(index);
  if ((first >= 0x09 && first <= 0x0d) || first === 0x20) return 1;
  const second = index + 1 < end ? text.charCodeAt(index + 1) : -1;
  const third = index + 2 < end ? text.charCodeAt(index + 2) : -1;
  if (first === 0xc2 && (second === 0x85 || second === 0xa0)) return 2;
  if (first === 0xe1 && second === 0x9a && third === 0x80) return 3;
  if (first === 0xe2 && second === 0x80 && ((third >= 0x80 && third <= 0x8a) || third === 0xa8 || third === 0xa9 || third === 0xaf)) {
    return 3;
  }
  if (first === 0xe2 && second === 0x81 && third === 0x9f) return 3;
  if (first === 0xe3 && second === 0x80 && third === 0x80) return 3;
  return 0;
}

function spaceLengthBefore(text: string, index: number, start: number): number {
  for (const length of [1, 2, 3]) {
    if (index - length >= start && spaceLengthAt(text, index - length, index) === length) return length;
  }
  return 0;
}

/** Returns the bounds of `text[start, end)` without leading and trailing Unicode spaces. */
export function trimSpaces(text: string, start: number, end: number): [number, number] {
  let length = spaceLengthAt(text, start, end);
  while (length > 0) {
    start += length;
    length = spaceLengthAt(text, start, end);
  }
  length = spaceLengthBefore(text, end, start);
  while (length > 0) {
    end -= length;
    length = spaceLengthBefore(text, end, start);
  }
  return [start, end];
}

/** Returns whether `character` separates the words of an instruction. */
export function isWordSeparator(character: string | undefined): boolean {
  return character !== undefined && WORD_SEPARATORS.has(character);
}

function splitLines(text: string): PhysicalLine[] {
  const lines: PhysicalLine[] = [];
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf('\n', start);
    const next = newline === -1 ? text.length : newline + 1;
    let end = next;
    while (end > start && (text[end - 1] === '\n' || text[end - 1] === '\r')) end--;
    lines.push({ start, end });
    start = next;
  }
  return lines;
}

function skipLeadingSpaces(text: string, start: number, end: number): number {
  let length = spaceLengthAt(text, start, end);
  while (length > 0) {
    start += length;
    length = spaceLengthAt(text, start, end);
  }
  return start;
}

/**
 * Returns where the content of a line ends when it ends with a line continuation
 * (the escape character, then only spaces and tabs), or undefined when it does not.
 * An escape character preceded by another one is escaped and does not continue.
 */
function continuationEnd(text: string, start: number, end: number, escape: string): number | undefined {
  let last = end;
  while (last > start && (text[last - 1] === ' ' || text[last - 1] === '\t')) last--;
  if (last === start || text[last - 1] !== escape) return undefined;
  const escapeIndex = last - 1;
  if (escapeIndex > start && text[escapeIndex - 1] === escape) return undefined;
  return escapeIndex;
}

/** Returns the index where the first word ends in `text[start, end)`: the keyword of an instruction. */
function keywordEnd(text: string, start: number, end: number): number {
  let index = start;
  while (index < end && !isWordSeparator(text[index])) index++;
  return index;
}

/**
 * Returns the bounds of an instruction's arguments: after its keyword and after the
 * `--flag` words BuildKit's `extractBuilderFlags` takes, trimmed of spaces.
 */
export function argumentBounds(text: string, start = 0, end = text.length): ArgumentBounds {
  const [trimmedStart, trimmedEnd] = trimSpaces(text, start, end);
  let index = keywordEnd(text, trimmedStart, trimmedEnd);
  while (index < trimmedEnd && isWordSeparator(text[index])) index++;
  const flagsEnd = skipBuilderFlags(text, index, trimmedEnd);
  const [argumentsStart, argumentsEnd] = trimSpaces(text, flagsEnd, trimmedEnd);
  return { start: argumentsStart, end: argumentsEnd };
}

// Go converts each byte to a rune before asking unicode.IsSpace, so the bytes
// 0x85 and 0xA0 count as spaces there even inside a UTF-8 sequence.
function isFlagSpace(code: number): boolean {
  return (code >= 0x09 && code <= 0x0d) || code === 0x20 || code === 0x85 || code === 0xa0;
}

/**
 * Returns the index where the arguments start after the leading `--flag` words,
 * following the state machine of BuildKit's `extractBuilderFlags`, quirks included:
 * a flag written without `=` takes the next word as its value.
 */
function skipBuilderFlags(text: string, start: number, end: number): number {
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankAllowed = false;
  let parsingFlagValue = false;
  let needFlagValue = true;

  for (let index = start; index <= end; index++) {
    const atEnd = index === end;
    let character = atEnd ? '' : text[index]!;

    if (phase === 'spaces') {
      if (atEnd) return end;
      if (isFlagSpace(character.charCodeAt(0))) continue;
      const startsFlag = character === '-' && index + 1 < end && text[index + 1] === '-';
      if (!parsingFlagValue && !startsFlag) return index;
      phase = 'word';
    }
    if (atEnd) return end;

    if (phase === 'word') {
      if (isFlagSpace(character.charCodeAt(0))) {
        phase = 'spaces';
        if (parsingFlagValue) {
          parsingFlagValue = false;
          needFlagValue = true;
        } else {
          if (word === '--') return index;
          if ((blankAllowed || word.length > 0) && needFlagValue) parsingFlagValue = true;
        }
        word = '';
        blankAllowed = false;
        continue;
      }
      if (character === '=' && needFlagValue) needFlagValue = false;
      if (character === "'" || character === '"') {
        quote = character;
        blankAllowed = true;
        phase = 'quote';
        continue;
      }
      if (character === '\\') {
        if (index + 1 === end) continue;
        index++;
        character = text[index]!;
      }
      word += character;
      continue;
    }

    if (character === quote) {
      phase = 'word';
      continue;
    }
    if (character === '\\') {
      if (index + 1 === end) {
        phase = 'word';
        continue;
      }
      index++;
      character = text[index]!;
    }
    word += character;
  }
  return end;
}

/**
 * Splits `text` into shell words: unquoted spaces separate words, quotes group,
 * and a backslash escapes the next character outside single quotes. With `raw`,
 * quotes and backslashes stay in the words; without it they are removed.
 */
function splitShellWords(text: string, raw: boolean): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote = '';

  for (let index = 0; index < text.length; index++) {
    const character = text[index]!;
    if (quote === '' && isFlagSpace(character.charCodeAt(0))) {
      if (word !== undefined) words.push(word);
      word = undefined;
      continue;
    }
    word ??= '';
    if (quote === '' && (character === "'" || character === '"')) {
      quote = character;
      if (raw) word += character;
    } else if (quote !== '' && character === quote) {
      quote = '';
      if (raw) word += character;
    } else if (character === '\\' && quote !== "'" && index + 1 < text.length) {
      index++;
      word += raw ? character + text[index] : text[index];
    } else {
      word += character;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

interface Heredoc {
  terminator: string;
  /** Leading tabs are stripped before comparing a line with the terminator (`<<-`). */
  chomp: boolean;
}

function isJsonArray(text: string): boolean {
  if (!text.startsWith('[')) return false;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value);
  } catch {
    return false;
  }
}

/** Returns the heredocs an instruction opens, in order. Only RUN, COPY and ADD in shell form open any. */
function findHeredocs(text: string, keyword: string): Heredoc[] {
  let commandStart = 0;
  let commandKeyword = keyword;
  if (keyword === 'onbuild') {
    const bounds = argumentBounds(text);
    commandStart = bounds.start;
    commandKeyword = text.slice(commandStart, keywordEnd(text, commandStart, text.length)).toLowerCase();
  }
  if (!HEREDOC_INSTRUCTIONS.has(commandKeyword)) return [];
  const bounds = argumentBounds(text, commandStart);
  if (isJsonArray(text.slice(bounds.start, bounds.end))) return [];

  const heredocs: Heredoc[] = [];
  for (const word of splitShellWords(text, true)) {
    const match = HEREDOC_WORD_PATTERN.exec(word);
    if (!match || match[3] === '') continue;
    const names = splitShellWords(match[3]!, false);
    if (names.length !== 1) continue;
    heredocs.push({ terminator: names[0]!, chomp: match[2] === '-' });
  }
  return heredocs;
}

class DirectiveReader {
  escape = '\\';
  private done = false;
  private readonly seen = new Set<string>();

  /** Reads a parser directive from a line. The first line that is not a directive ends them. */
  read(line: string): void {
    if (this.done) return;
    const match = DIRECTIVE_PATTERN.exec(line);
    const name = match?.[1]?.toLowerCase();
    if (!match || name === undefined || !KNOWN_DIRECTIVES.has(name)) {
      this.done = true;
      return;
    }
    // A repeated directive or an escape other than \ or ` is an error the engine reports, so the first one stays.
    if (this.seen.has(name)) return;
    this.seen.add(name);
    if (name === 'escape' && (match[2] === '`' || match[2] === '\\')) this.escape = match[2];
  }
}

/**
 * Parses `content` into instructions: parser directives at the top, comment lines
 * (also inside continuations), empty continuation lines, CRLF endings, a UTF-8 byte
 * order mark, and heredoc bodies, which are skipped so that their lines never count
 * as instructions.
 */
export function parseInstructions(content: Buffer): ParsedDockerfile {
  const text = content.toString('latin1');
  const lines = splitLines(text);
  const directives = new DirectiveReader();
  const instructions: Instruction[] = [];

  let index = 0;
  while (index < lines.length) {
    const lineNumber = index + 1;
    const first = lines[index]!;
    index++;

    let start = first.start;
    if (lineNumber === 1 && text.startsWith(BYTE_ORDER_MARK)) start += BYTE_ORDER_MARK.length;
    start = skipLeadingSpaces(text, start, first.end);
    directives.read(text.slice(start, first.end));
    if (start === first.end || text[start] === '#') continue;

    const pieces: PhysicalLine[] = [];
    let pieceEnd = continuationEnd(text, start, first.end, directives.escape);
    pieces.push({ start, end: pieceEnd ?? first.end });
    while (pieceEnd !== undefined && index < lines.length) {
      const next = lines[index]!;
      index++;
      const contentStart = skipLeadingSpaces(text, next.start, next.end);
      if (contentStart === next.end || text[contentStart] === '#') continue;
      pieceEnd = continuationEnd(text, next.start, next.end, directives.escape);
      pieces.push({ start: next.start, end: pieceEnd ?? next.end });
    }

    const offsets: number[] = [];
    let joined = '';
    for (const piece of pieces) {
      joined += text.slice(piece.start, piece.end);
      for (let offset = piece.start; offset < piece.end; offset++) offsets.push(offset);
    }
    const [keywordStart, trimmedEnd] = trimSpaces(joined, 0, joined.length);
    const keyword = joined.slice(keywordStart, keywordEnd(joined, keywordStart, trimmedEnd)).toLowerCase();
    instructions.push({ keyword, text: joined, offsets, line: lineNumber });

    for (const heredoc of findHeredocs(joined, keyword)) {
      while (index < lines.length) {
        const body = lines[index]!;
        index++;
        let bodyStart = body.start;
        if (heredoc.chomp) while (text[bodyStart] === '\t' && bodyStart < body.end) bodyStart++;
        if (text.slice(bodyStart, body.end) === heredoc.terminator) break;
      }
    }
  }

  return { instructions, escape: directives.escape, lineStarts: lines.map((line) => line.start) };
}

/** Returns the 1-based line number of a byte offset. */
export function lineOfOffset(lineStarts: number[], offset: number): number {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (lineStarts[middle]! <= offset) low = middle;
    else high = middle - 1;
  }
  return low + 1;
}
