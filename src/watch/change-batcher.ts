// Turns the watcher's stream of file events into batches: one batch per quiet
// moment, so that one save, an editor's write-then-rename, or a burst of hundreds
// of files each start one run. A file whose size still changes is waited for.

/** Quiet time after the last file event before the changes count as one batch. */
export const WATCH_DEBOUNCE_MS = 200;
/**
 * Time between two size checks of a file whose size changed since its last event.
 * chokidar 4 drops a second `change` of a path within 50 ms, so a save that truncates
 * and then writes may be reported only with the size after the truncation.
 */
export const WATCH_SETTLE_RECHECK_MS = 50;

/** The kinds of file events chokidar reports. */
export type FileChangeKind = 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir';

/** One file event, as the watcher reports it. */
export interface FileChange {
  kind: FileChangeKind;
  /** Absolute path. */
  path: string;
  /** Size of a file after `add` or `change`, when known. */
  sizeBytes?: number;
}

/** The timer functions the batcher uses; tests pass scripted ones. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ChangeBatcherOptions {
  /** Receives the changed paths of a batch, in the order they first changed. */
  onBatch(paths: string[]): void;
  /** Returns a file's current size, or undefined when it is gone. */
  readSize(path: string): Promise<number | undefined>;
  debounceMs?: number;
  timers?: Timers;
}

export interface ChangeBatcher {
  push(change: FileChange): void;
  /** Count of paths waiting for the next batch. */
  readonly pendingCount: number;
  /** Drops waiting changes and stops the timer; later pushes are ignored. */
  dispose(): void;
}

interface PendingPath {
  firstKind: FileChangeKind;
  lastKind: FileChangeKind;
  sizeBytes?: number;
}

const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Returns true for a path that appeared and vanished within the batch, such as an editor's temp file. */
function isTransient(pending: PendingPath): boolean {
  const appeared = pending.firstKind === 'add' || pending.firstKind === 'addDir';
  const vanished = pending.lastKind === 'unlink' || pending.lastKind === 'unlinkDir';
  return appeared && vanished;
}

/** Creates a batcher that calls `onBatch` once the events have been quiet for the debounce time. */
export function createChangeBatcher(options: ChangeBatcherOptions): ChangeBatcher {
  const debounceMs = options.debounceMs ?? WATCH_DEBOUNCE_MS;
  const timers = options.timers ?? systemTimers;
  const pending = new Map<string, PendingPath>();
  let timer: unknown;
  // Bumped by every event, so that a size check that an event overtook does not flush.
  let generation = 0;
  let disposed = false;

  const arm = (ms: number): void => {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = timers.setTimeout(() => {
      timer = undefined;
      void settle();
    }, ms);
  };

  const flush = (): void => {
    const paths = [...pending].filter(([, entry]) => !isTransient(entry)).map(([changed]) => changed);
    pending.clear();
    if (paths.length > 0) options.onBatch(paths);
  };

  /** Flushes unless the size of a file written to changed since it was last known; then checks again shortly. */
  const settle = async (): Promise<void> => {
    const checkedGeneration = generation;
    const written = [...pending].filter(([, entry]) => entry.lastKind === 'add' || entry.lastKind === 'change');
    const sizes = await Promise.all(written.map(([changed]) => options.readSize(changed)));
    if (disposed || checkedGeneration !== generation) return;

    let moving = false;
    written.forEach(([, entry], index) => {
      const size = sizes[index];
      if (size === undefined || size === entry.sizeBytes) return;
      moving ||= entry.sizeBytes !== undefined;
      entry.sizeBytes = size;
    });
    if (moving) arm(WATCH_SETTLE_RECHECK_MS);
    else flush();
  };

  return {
    push(change) {
      if (disposed) return;
      generation += 1;
      const entry = pending.get(change.path);
      if (entry) {
        entry.lastKind = change.kind;
        entry.sizeBytes = change.sizeBytes;
      } else {
        pending.set(change.path, { firstKind: change.kind, lastKind: change.kind, sizeBytes: change.sizeBytes });
      }
      arm(debounceMs);
    },
    get pendingCount() {
      return pending.size;
    },
    dispose() {
      disposed = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      pending.clear();
    },
  };
}
