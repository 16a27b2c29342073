import { describe, expect, it } from 'vitest';

import {
  createChangeBatcher,
  WATCH_DEBOUNCE_MS,
  WATCH_SETTLE_RECHECK_MS,
  type FileChange,
  type FileChangeKind,
  type Timers,
} from '../../../src/watch/change-batcher.js';

/** Timers driven by hand: `advance(ms)` fires what is due, in order. */
class ScriptedTimers implements Timers {
  now = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; callback: () => void }>();

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { at: this.now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Moves time forward, firing due timers and letting the batcher's size checks settle. */
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.pending].filter(([, timer]) => timer.at <= until).sort(([, a], [, b]) => a.at - b.at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].callback();
      await settleMicrotasks();
    }
    this.now = until;
  }
}

async function settleMicrotasks(): Promise<void> {
  for (let round = 0; round < 5; round++) await Promise.resolve();
}

/** Creates a batcher over scripted timers; `sizes` gives the current size of each file. */
function setUp(sizes: Map<string, number> = new Map()) {
  const timers = new ScriptedTimers();
  const batches: string[][] = [];
  const batcher = createChangeBatcher({
    timers,
    onBatch: (paths) => batches.push(paths),
    readSize: async (file) => sizes.get(file),
  });
  const push = (kind: FileChangeKind, file: string, sizeBytes?: number): void => {
    const change: FileChange = { kind, path: file, ...(sizeBytes === undefined ? {} : { sizeBytes }) };
    batcher.push(change);
  };
  return { timers, batches, batcher, push, sizes };
}

describe('change batcher', () => {
  it('one save gives one batch once the debounce time has passed', async () => {
    const { timers, batches, push } = setUp();

    push('change', '/p/main.go', 10);
    await timers.advance(WATCH_DEBOUNCE_MS - 1);
    const before = batches.length;
    await timers.advance(1);

    expect(before).toBe(0);
    expect(batches).toEqual([['/p/main.go']]);
  });

  it('each event restarts the debounce time', async () => {
    const { timers, batches, push } = setUp();

    push('change', '/p/a.go');
    await timers.advance(150);
    push('change', '/p/b.go');
    await timers.advance(150);
    const midway = batches.length;
    await timers.advance(50);

    expect(midway).toBe(0);
    expect(batches).toEqual([['/p/a.go', '/p/b.go']]);
  });

  it('a temp file renamed over counts once', async () => {
    const { timers, batches, push } = setUp();

    push('add', '/p/main.go.tmp.1234', 0);
    push('change', '/p/main.go.tmp.1234', 42);
    push('unlink', '/p/main.go.tmp.1234');
    push('change', '/p/main.go', 42);
    await timers.advance(WATCH_DEBOUNCE_MS);

    expect(batches).toEqual([['/p/main.go']]);
  });

  it('unlink and add of one file count once', async () => {
    const { timers, batches, push } = setUp();

    push('unlink', '/p/main.go');
    push('add', '/p/main.go', 42);
    await timers.advance(WATCH_DEBOUNCE_MS);

    expect(batches).toEqual([['/p/main.go']]);
  });

  it('a temp file that came and went gives no batch at all', async () => {
    const { timers, batches, push } = setUp();

    push('add', '/p/4913', 0);
    push('unlink', '/p/4913');
    await timers.advance(WATCH_DEBOUNCE_MS * 5);

    expect(batches).toEqual([]);
  });

  it('a burst of 500 files gives one batch with every file', async () => {
    const { timers, batches, push } = setUp();
    const files = Array.from({ length: 500 }, (_, index) => `/p/gen/file-${index}.txt`);

    for (const file of files) {
      push('add', file, 1);
      await timers.advance(1);
    }
    await timers.advance(WATCH_DEBOUNCE_MS);

    expect(batches).toHaveLength(1);
    expect(batches[0]).toEqual(files);
  });

  it('a folder rename reports the old and the new paths', async () => {
    const { timers, batches, push } = setUp();

    push('unlinkDir', '/p/src/old');
    push('unlink', '/p/src/old/a.go');
    push('addDir', '/p/src/new');
    push('add', '/p/src/new/a.go', 3);
    await timers.advance(WATCH_DEBOUNCE_MS);

    expect(batches).toEqual([['/p/src/old', '/p/src/old/a.go', '/p/src/new', '/p/src/new/a.go']]);
  });

  it('a deleted file counts as a change', async () => {
    const { timers, batches, push } = setUp();

    push('unlink', '/p/old.go');
    await timers.advance(WATCH_DEBOUNCE_MS);

    expect(batches).toEqual([['/p/old.go']]);
  });

  it('a file still growing is waited for until its size settles', async () => {
    const sizes = new Map([['/p/big.bin', 1_000]]);
    const { timers, batches, push } = setUp(sizes);

    push('add', '/p/big.bin', 500);
    await timers.advance(WATCH_DEBOUNCE_MS);
    const whileGrowing = batches.length;
    sizes.set('/p/big.bin', 2_000);
    await timers.advance(WATCH_SETTLE_RECHECK_MS);
    const stillGrowing = batches.length;
    await timers.advance(WATCH_SETTLE_RECHECK_MS);

    expect(whileGrowing).toBe(0);
    expect(stillGrowing).toBe(0);
    expect(batches).toEqual([['/p/big.bin']]);
  });

  it('a size the event missed costs one short recheck, not another debounce', async () => {
    const sizes = new Map([['/p/main.go', 420]]);
    const { timers, batches, push } = setUp(sizes);

    push('change', '/p/main.go', 0);
    await timers.advance(WATCH_DEBOUNCE_MS + WATCH_SETTLE_RECHECK_MS);

    expect(batches).toEqual([['/p/main.go']]);
  });

  it('changes after a batch start the next batch', async () => {
    const { timers, batches, push } = setUp();

    push('change', '/p/a.go', 1);
    await timers.advance(WATCH_DEBOUNCE_MS);
    push('change', '/p/a.go', 2);
    await timers.advance(WATCH_DEBOUNCE_MS);

    expect(batches).toEqual([['/p/a.go'], ['/p/a.go']]);
  });

  it('dispose drops waiting changes and ignores later ones', async () => {
    const { timers, batches, push, batcher } = setUp();

    push('change', '/p/a.go', 1);
    batcher.dispose();
    push('change', '/p/b.go', 1);
    await timers.advance(WATCH_DEBOUNCE_MS * 2);

    expect(batches).toEqual([]);
    expect(batcher.pendingCount).toBe(0);
  });
});
