// .dockerignore as the Docker CLI applies it when it packs a context for the
// classic builder. The file is read like moby/patternmatcher's ignorefile.ReadAll
// and each pattern is matched like patternmatcher's Pattern. Paths are decided like
// the TarWithOptions walk of moby's pkg/archive, which uses MatchesUsingParentResults.
//
// @balena/dockerignore is not used for this because it follows the older `Matches`
// of Docker 19.03. It leaves `+ ( ) | { }` unescaped in its regular expressions and
// does not treat a leading `**` as a suffix match. It also returns one result per
// path, where the walk needs each pattern's result for a folder to decide its children.

import path from 'node:path';

import { InputError } from '../errors.js';

/** One pattern of a .dockerignore file. */
export interface IgnorePattern {
  /** The pattern after cleaning, without its leading `!`. */
  text: string;
  /** True for a `!` pattern, which takes paths back in. */
  exception: boolean;
  /** 1-based line in .dockerignore. */
  line: number;
  /** Returns whether the pattern matches `relativePath` itself, not counting its parent folders. */
  matches(relativePath: string): boolean;
}

/** Result of matching one path, kept for the paths under it when it is a folder. */
export interface IgnoreMatch {
  excluded: boolean;
  /** Whether each pattern matched this path or one of its parents. */
  patternMatched: boolean[];
}

const BYTE_ORDER_MARK = '\uFEFF';
/** Characters escaped in a pattern's regular expression because filepath.Match gives them no meaning. */
const REGEXP_SPECIALS = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

// Go's unicode.IsSpace set. JavaScript's `\s` differs: it lacks U+0085 and has U+FEFF.
const SURROUNDING_SPACES =
  /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/** Returns whether `relativePath` lies inside `folder`, both relative with forward slashes. */
export function isInsideFolder(relativePath: string, folder: string): boolean {
  return relativePath.startsWith(folder + '/');
}

/** Cleans a path lexically like Go's filepath.Clean on Linux. */
function cleanPath(value: string): string {
  if (value === '') return '.';
  const normalized = path.posix.normalize(value);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

function trimSpace(value: string): string {
  return value.replace(SURROUNDING_SPACES, '');
}

/**
 * Returns why `pattern` is malformed for Go's filepath.Match, or undefined when it is
 * valid: an unfinished `[` class, an empty class, a range without both ends, or a
 * trailing backslash.
 */
function findSyntaxError(pattern: string): string | undefined {
  const characters = Array.from(pattern);
  let index = 0;

  const readClassCharacter = (): boolean => {
    let character = characters[index];
    if (character === undefined || character === '-' || character === ']') return false;
    if (character === '\\') {
      index++;
      character = characters[index];
      if (character === undefined) return false;
    }
    index++;
    return index < characters.length;
  };

  while (index < characters.length) {
    const character = characters[index]!;
    index++;
    if (character === '\\') {
      if (index >= characters.length) return 'it ends with a backslash';
      index++;
    } else if (character === '[') {
      if (characters[index] === '^') index++;
      let ranges = 0;
      for (;;) {
        if (characters[index] === ']' && ranges > 0) {
          index++;
          break;
        }
        if (!readClassCharacter()) return 'a [ character class is empty or not closed';
        if (characters[index] === '-') {
          index++;
          if (!readClassCharacter()) return 'a range in a [ character class has no end';
        }
        ranges++;
      }
    }
  }
  return undefined;
}

/**
 * Compiles a cleaned pattern into a test, following patternmatcher's rules. `*` and
 * `?` stay inside one path segment and `**` crosses segments. A pattern that starts
 * with `**` and has no other wildcard matches any path ending with the rest. A
 * backslash escapes the next character.
 */
function compileMatcher(pattern: string): (relativePath: string) => boolean {
  let source = '^';
  let kind: 'exact' | 'prefix' | 'suffix' | 'regexp' = 'exact';
  const characters = Array.from(pattern);

  for (let index = 0, step = 0; index < characters.length; step++) {
    const character = characters[index]!;
    index++;
    if (character === '*' && characters[index] === '*') {
      index++;
      if (characters[index] === '/') index++;
      if (index === characters.length) {
        if (kind === 'exact') kind = 'prefix';
        else {
          source += '.*';
          kind = 'regexp';
        }
      } else {
        source += '(.*/)?';
        kind = 'regexp';
      }
      if (step === 0) kind = 'suffix';
    } else if (character === '*') {
      source += '[^/]*';
      kind = 'regexp';
    } else if (character === '?') {
      source += '[^/]';
      kind = 'regexp';
    } else if (REGEXP_SPECIALS.has(character)) {
      source += '\\' + character;
    } else if (character === '\\') {
      // A trailing backslash never gets here: findSyntaxError rejects it first.
      source += '\\' + characters[index]!;
      index++;
      kind = 'regexp';
    } else if (character === '[' || character === ']') {
      source += character;
      kind = 'regexp';
    } else {
      source += character;
    }
  }

  switch (kind) {
    case 'exact':
      return (relativePath) => relativePath === pattern;
    case 'prefix': {
      const prefix = pattern.slice(0, -2);
      return (relativePath) => relativePath.startsWith(prefix);
    }
    case 'suffix': {
      const suffix = pattern.slice(2);
      return (relativePath) => relativePath.endsWith(suffix) || (suffix.startsWith('/') && relativePath === suffix.slice(1));
    }
    case 'regexp': {
      const expression = new RegExp(source + '$');
      return (relativePath) => expression.test(relativePath);
    }
  }
}

/**
 * Reads one line of the file into a pattern string as ignorefile.ReadAll does, or
 * returns undefined for a comment or an empty line. A `!` stays in front.
 */
function readPatternLine(line: string): string | undefined {
  if (line.startsWith('#')) return undefined;
  let text = trimSpace(line);
  if (text === '') return undefined;

  const exception = text.startsWith('!');
  if (exception) text = trimSpace(text.slice(1));
  if (text !== '') {
    text = cleanPath(text);
    if (text.length > 1 && text.startsWith('/')) text = text.slice(1);
  }
  return exception ? '!' + text : text;
}

/**
 * Parses the content of a .dockerignore file. Lines starting with `#` are comments
 * (a `#` after leading spaces is not), spaces around a pattern are dropped, a leading
 * `/` and `.`/`..` segments are cleaned away, and a UTF-8 byte order mark is skipped.
 * Throws an InputError naming `fileLabel` and the line for a malformed pattern.
 */
export function parseDockerignore(content: string, fileLabel: string): IgnorePattern[] {
  const patterns: IgnorePattern[] = [];
  const lines = content.split('\n');

  lines.forEach((rawLine, index) => {
    let line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (index === 0 && line.startsWith(BYTE_ORDER_MARK)) line = line.slice(1);
    const read = readPatternLine(line);
    if (read === undefined) return;

    // The CLI cleans the string again and only then looks for the `!`, so `/!a`
    // is an exception too.
    let text = cleanPath(trimSpace(read));
    const exception = text.startsWith('!');
    if (exception) text = text.slice(1);

    const where = `${fileLabel} line ${index + 1}`;
    if (exception && text === '') {
      throw new InputError(`${where}: a lone "!" is not a valid pattern`, { hint: 'Write the path to take back in after the "!".' });
    }
    const syntaxError = findSyntaxError(text);
    if (syntaxError !== undefined) {
      throw new InputError(`${where}: invalid pattern "${text}": ${syntaxError}`, {
        hint: 'Fix the pattern; escape a literal [ or \\ with a backslash.',
      });
    }
    let matches: (relativePath: string) => boolean;
    try {
      matches = compileMatcher(text);
    } catch (error) {
      throw new InputError(`${where}: invalid pattern "${text}"`, { hint: 'Fix the character class in the pattern.', cause: error });
    }
    patterns.push({ text, exception, line: index + 1, matches });
  });
  return patterns;
}

/** The patterns of a .dockerignore file and the decisions the Docker CLI makes with them. */
export class IgnoreRules {
  readonly patterns: readonly IgnorePattern[];
  private readonly hasExceptions: boolean;

  constructor(patterns: readonly IgnorePattern[]) {
    this.patterns = patterns;
    this.hasExceptions = patterns.some((pattern) => pattern.exception);
  }

  /**
   * Matches a path given the result of its parent folder (none for a path at the top
   * of the context). The last pattern that matches decides. A pattern that matched the
   * parent counts as matching. Without a parent result, each parent folder is tried.
   */
  match(relativePath: string, parent?: IgnoreMatch): IgnoreMatch {
    const patternMatched = new Array<boolean>(this.patterns.length).fill(false);
    let excluded = false;

    this.patterns.forEach((pattern, index) => {
      let matched = parent?.patternMatched[index] ?? false;
      if (!matched) {
        // Skip a pattern that cannot change the result, as patternmatcher does. A
        // skipped pattern is then recorded as unmatched for the paths below.
        if (pattern.exception !== excluded) return;
        matched = pattern.matches(relativePath);
        if (!matched && parent === undefined) matched = this.matchesParentFolder(pattern, relativePath);
      }
      patternMatched[index] = matched;
      if (matched) excluded = !pattern.exception;
    });
    return { excluded, patternMatched };
  }

  /**
   * Returns whether the walk still enters an excluded folder: only when an exception
   * pattern starts with the folder's path. So an exception that starts with a wildcard
   * does not reach into an excluded folder, exactly as with the Docker CLI.
   */
  entersExcludedFolder(relativeFolder: string): boolean {
    if (!this.hasExceptions) return false;
    const folderPrefix = relativeFolder + '/';
    return this.patterns.some((pattern) => pattern.exception && (pattern.text + '/').startsWith(folderPrefix));
  }

  /**
   * Decides one path the way the walk does: excluded when a folder above it is
   * excluded and not entered, or when its own match excludes it. The `alwaysSent`
   * paths and the folders above them are never cut off.
   */
  isExcluded(relativePath: string, alwaysSent: readonly string[]): boolean {
    if (alwaysSent.includes(relativePath)) return false;
    const segments = relativePath.split('/');
    let parent: IgnoreMatch | undefined;
    for (let count = 1; count < segments.length; count++) {
      const folder = segments.slice(0, count).join('/');
      const folderMatch = this.match(folder, parent);
      const entered = this.entersExcludedFolder(folder) || alwaysSent.some((sent) => isInsideFolder(sent, folder));
      if (folderMatch.excluded && !entered) return true;
      parent = folderMatch;
    }
    return this.match(relativePath, parent).excluded;
  }

  private matchesParentFolder(pattern: IgnorePattern, relativePath: string): boolean {
    const parent = path.posix.dirname(relativePath);
    if (parent === '.') return false;
    const segments = parent.split('/');
    for (let count = 1; count <= segments.length; count++) {
      if (pattern.matches(segments.slice(0, count).join('/'))) return true;
    }
    return false;
  }
}
