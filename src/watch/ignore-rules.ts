// Names the watcher never reports, whatever the contexts and their .dockerignore
// include: version control folders, editor swap and backup files, and the temp
// folders weld extracts artifacts into.

import path from 'node:path';

/** Prefix of the temp folders that artifact extraction creates beside a destination. */
export const WELD_TEMP_PREFIX = '.weld-tmp-';

/** Folder names whose contents are never part of a change. */
const IGNORED_FOLDERS = new Set(['.git']);

/**
 * Returns true for the files editors write beside a file they save. Vim writes swap
 * files (`.main.go.swp`, then `.swo` … `.swa` when one exists, `.swx` while checking)
 * and the write probe `4913`. Backups end in `~`. Emacs writes lock (`.#main.go`) and
 * auto-save (`#main.go#`) files.
 */
function isEditorFile(name: string): boolean {
  if (name === '4913') return true;
  if (name.endsWith('~')) return true;
  if (/\.sw[a-px]$/.test(name)) return true;
  if (name.startsWith('.#')) return true;
  return name.length > 1 && name.startsWith('#') && name.endsWith('#');
}

/** Returns true for a name that is never watched: `.git`, editor files, weld's temp folders. */
export function isIgnoredName(name: string): boolean {
  return IGNORED_FOLDERS.has(name) || name.startsWith(WELD_TEMP_PREFIX) || isEditorFile(name);
}

/**
 * Returns true when any segment of `relativePath` (forward slashes or the platform
 * separator) is a name that is never watched.
 */
export function hasIgnoredSegment(relativePath: string): boolean {
  return relativePath
    .split(/[\\/]/)
    .filter((segment) => segment !== '')
    .some(isIgnoredName);
}

/** Returns true when `candidate` is `folder` itself or lies inside it; both absolute. */
export function isInsideOrEqual(candidate: string, folder: string): boolean {
  if (candidate === folder) return true;
  const relative = path.relative(folder, candidate);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** Returns `target` relative to `base` with forward slashes, `.` for `base` itself. */
export function toRelativeLabel(base: string, target: string): string {
  return path.relative(base, target).split(path.sep).join('/') || '.';
}
