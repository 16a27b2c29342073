// Checks the names inside an archive before anything is written: each entry must stay
// under the one root folder (or file) that the archive copies.

import { WeldError } from '../../errors.js';

/** An archive entry name split into safe path segments, root first. */
export type EntrySegments = readonly [string, ...string[]];

/** Returns an error that rejects the entry `name` for `reason`. */
export function rejectEntry(name: string, reason: string): WeldError {
  return new WeldError(`rejected archive entry ${JSON.stringify(name)}: ${reason}`, {
    hint: 'the image holds a path that would be written outside the artifact folder; nothing was copied',
  });
}

/**
 * Splits an entry name (or a hard link's target) into segments, rejecting absolute
 * names, `..` segments and NUL characters. Empty and `.` segments are dropped, so
 * `./dist//a` reads as `dist/a`.
 */
export function splitEntryName(name: string, entryName = name): EntrySegments {
  if (name.includes('\0')) throw rejectEntry(entryName, 'the path contains a NUL character');
  if (name.startsWith('/')) throw rejectEntry(entryName, `the absolute path ${name} points outside the destination`);

  const segments = name.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw rejectEntry(entryName, `the path ${name} contains "..", which points outside the destination`);

  const [root, ...rest] = segments;
  if (root === undefined) throw rejectEntry(entryName, 'the path is empty');
  return [root, ...rest];
}

/**
 * Returns the relative path (`a/b`) of the first proper ancestor of `segments` that is
 * in `symlinks`, or undefined. Writing below such an ancestor would follow the link.
 */
export function findLinkAncestor(segments: EntrySegments, symlinks: ReadonlySet<string>): string | undefined {
  let prefix = '';
  for (let index = 0; index < segments.length - 1; index += 1) {
    prefix = index === 0 ? segments[0] : `${prefix}/${segments[index]}`;
    if (symlinks.has(prefix)) return prefix;
  }
  return undefined;
}

/** Checks that `rootName` is one plain path segment, so it names a child of the destination. */
export function checkRootName(rootName: string): void {
  if (rootName === '' || rootName === '.' || rootName === '..' || rootName.includes('/') || rootName.includes('\0')) {
    throw new WeldError(`invalid artifact name ${JSON.stringify(rootName)}: it must be one file or folder name`, {
      hint: 'an artifact is copied under its own base name; use a path that ends in a file or folder name',
    });
  }
}
