// The one place that talks to chokidar: it turns chokidar's events into
// FileChange values, and its errors into messages with a hint, such as which
// inotify limit to raise.

import type { Stats } from 'node:fs';
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { FSWatcher } from 'chokidar';

import { debug } from '../debug.js';
import { InputError, WeldError } from '../errors.js';
import type { FileChange, FileChangeKind } from './change-batcher.js';

/** Poll interval when `--poll` is given without a value. */
export const DEFAULT_POLL_INTERVAL_MS = 500;

/**
 * Delays at which a new folder is read again, each counted from the read before.
 * chokidar 4 reads a new folder before it starts watching it, so a file created in
 * between is not reported until the next event in that folder. The first read again
 * falls inside the batcher's debounce time; the later ones catch first scans slowed by load.
 */
const NEW_FOLDER_RECHECK_MS = [100, 1_000, 4_000] as const;

export interface FileWatcherOptions {
  /** Absolute paths to watch: folders (with everything inside) and files. */
  roots: string[];
  /**
   * Absolute paths of the files among the roots. The folder of each is watched too,
   * so `isIgnored` must let those folders through.
   */
  files?: string[];
  /** Returns true for a path not to watch; a folder it rejects is not entered. */
  isIgnored(candidate: string, stats?: Stats): boolean;
  /** Poll every this many milliseconds instead of relying on OS notifications. */
  pollMs?: number;
  onChange(change: FileChange): void;
  /** Receives watcher failures, already turned into errors fit to show. */
  onError(error: WeldError): void;
}

export interface FileWatcher {
  /** Settles once the first scan of every root is done. */
  ready: Promise<void>;
  /** Returns the count of files and folders being watched. */
  countWatched(): number;
  close(): Promise<void>;
}

const CHOKIDAR_EVENTS: FileChangeKind[] = ['add', 'change', 'unlink', 'addDir', 'unlinkDir'];

function readKernelSetting(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/fs/inotify/${name}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Returns the path a Node fs.watch error names, if any. */
function describePath(error: NodeJS.ErrnoException): string {
  return error.path ? ` ${error.path}` : '';
}

/**
 * Turns a chokidar error into one fit to show. For running out of inotify watches
 * (ENOSPC) or of inotify instances and file descriptors (EMFILE), the hint names the
 * limit to raise. Any other error keeps its message and is wrapped.
 */
export function describeWatchError(error: unknown): WeldError {
  const errno = error as NodeJS.ErrnoException;
  if (errno?.code === 'ENOSPC') {
    const current = readKernelSetting('max_user_watches');
    const limit = current ? ` (fs.inotify.max_user_watches is ${current})` : '';
    return new InputError(`cannot watch${describePath(errno)}: the system limit on inotify watches is reached${limit}`, {
      hint:
        'raise fs.inotify.max_user_watches, e.g. `sudo sysctl fs.inotify.max_user_watches=524288` (add it to /etc/sysctl.conf to keep it), ' +
        'exclude large folders in .dockerignore, or use --poll',
      cause: error,
    });
  }
  if (errno?.code === 'EMFILE') {
    const instances = readKernelSetting('max_user_instances');
    const limit = instances ? ` (fs.inotify.max_user_instances is ${instances})` : '';
    return new InputError(`cannot watch${describePath(errno)}: too many open files or inotify instances${limit}`, {
      hint:
        'raise the open file limit (`ulimit -n`) or fs.inotify.max_user_instances, and fs.inotify.max_user_watches, ' +
        'e.g. `sudo sysctl fs.inotify.max_user_watches=524288`; or use --poll',
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new WeldError(`file watcher failed: ${message}`, { hint: 'run again with --debug to see where it failed', cause: error });
}

/** An entry on disk that chokidar does not list among the watched paths. */
interface UnlistedEntry {
  path: string;
  isFolder: boolean;
}

/** Lists the entries under `folder` (itself excluded) that are not ignored and that chokidar does not list yet. */
async function findUnlistedEntries(
  folder: string,
  watched: Record<string, string[]>,
  isIgnored: FileWatcherOptions['isIgnored'],
): Promise<UnlistedEntry[]> {
  const found: UnlistedEntry[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const listed = new Set(watched[dir] ?? []);
    for (const entry of entries) {
      const entryPath = path.join(dir, entry.name);
      if (isIgnored(entryPath)) continue;
      if (!listed.has(entry.name)) found.push({ path: entryPath, isFolder: entry.isDirectory() });
      if (entry.isDirectory()) await walk(entryPath);
    }
  };
  await walk(folder);
  return found;
}

/** Returns the folders that lie in no other folder of the list. */
function selectOutermost(folders: string[]): string[] {
  return folders.filter((folder) => !folders.some((other) => other !== folder && folder.startsWith(other + path.sep)));
}

/** Starts watching the roots; changes and errors arrive through the callbacks. */
export function startFileWatcher(options: FileWatcherOptions): FileWatcher {
  const polling = options.pollMs !== undefined;
  const watcher = new FSWatcher({
    ignoreInitial: true,
    ignored: (candidate: string, stats?: Stats) => options.isIgnored(candidate, stats),
    // Docker sends a symbolic link as a link, so what it points to is not part of the context.
    followSymlinks: false,
    // Stats on every add and change give the batcher the size to compare when it settles.
    alwaysStat: true,
    // chokidar spreads these over its defaults, so an undefined interval would replace 100 ms.
    ...(polling ? { usePolling: true, interval: options.pollMs, binaryInterval: options.pollMs } : { usePolling: false }),
    // awaitWriteFinish waits two seconds by default on every save; the batcher
    // checks sizes itself once the debounce time has passed.
    awaitWriteFinish: false,
  });

  for (const kind of CHOKIDAR_EVENTS) {
    watcher.on(kind, (changed: string, stats?: Stats) => {
      options.onChange({ kind, path: changed, sizeBytes: stats?.isFile() ? stats.size : undefined });
    });
  }
  watcher.on('error', (error: unknown) => {
    debug('watch', 'watcher error', error instanceof Error ? error.message : String(error));
    options.onError(describeWatchError(error));
  });

  let closed = false;
  const recheckQueues = NEW_FOLDER_RECHECK_MS.map(() => new Set<string>());
  const recheckTimers: (NodeJS.Timeout | undefined)[] = NEW_FOLDER_RECHECK_MS.map(() => undefined);

  /** Reads the queued new folders again, reports what chokidar missed, and has chokidar watch it. */
  const recheckFolders = async (round: number): Promise<void> => {
    recheckTimers[round] = undefined;
    const folders = selectOutermost([...recheckQueues[round]!]);
    recheckQueues[round]!.clear();
    const watched = watcher.getWatched();
    for (const folder of folders) {
      const missed = await findUnlistedEntries(folder, watched, options.isIgnored);
      if (closed) return;
      if (missed.length > 0) debug('watch', `found ${missed.length} path(s) in ${folder} that chokidar did not report`);
      for (const entry of missed) {
        options.onChange({ kind: entry.isFolder ? 'addDir' : 'add', path: entry.path });
        watcher.add(entry.path);
      }
    }
    if (round + 1 < NEW_FOLDER_RECHECK_MS.length) scheduleRecheck(round + 1, folders);
  };

  const scheduleRecheck = (round: number, folders: string[]): void => {
    for (const folder of folders) recheckQueues[round]!.add(folder);
    if (recheckTimers[round] !== undefined || closed) return;
    recheckTimers[round] = setTimeout(() => void recheckFolders(round), NEW_FOLDER_RECHECK_MS[round]);
  };
  watcher.on('addDir', (folder: string) => scheduleRecheck(0, [folder]));

  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  // chokidar 4.0.3 stops watching a file root once the file is unlinked, and looks for
  // its return only when it was the one path watched. A build.yml or Dockerfile that a
  // branch switch or an editor deletes and writes again would then go unnoticed, so
  // the folder of each file is watched too, and chokidar reports the file when it returns.
  // NOTE: a context folder gets no such watch, so one deleted and created again is seen
  // only when its parent folder is watched anyway, as the folder of build.yml usually is.
  const folders = (options.files ?? []).map((file) => path.dirname(file));
  watcher.add([...new Set([...options.roots, ...folders])]);

  return {
    ready,
    countWatched() {
      let count = 0;
      for (const entries of Object.values(watcher.getWatched())) count += entries.length;
      return count;
    },
    close: () => {
      closed = true;
      for (const timer of recheckTimers) clearTimeout(timer);
      return watcher.close();
    },
  };
}
