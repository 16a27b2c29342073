// A bounded, immutable buffer of log lines. The console reducer appends one line
// per event, and copying a whole array per line would cost O(capacity) each time.
// So lines are kept in full chunks plus a tail, and an append copies only the tail.
// The chunk list is copied once per CHUNK_LINES appends: when the tail becomes a
// chunk, and when the oldest chunk is dropped because the rest contains `capacity`
// lines. The garbage per line matters as much as the work. When every append also
// copied the chunk list, a step printing 3,000,000 lines took weld's peak RSS to
// about 200 MB instead of about 150 MB (bench/console's harness, 2 shared cores).

/** Lines a full chunk holds; an append copies at most this many lines. */
const CHUNK_LINES = 64;

export interface LineBuffer {
  /** Full chunks of CHUNK_LINES lines, oldest first; a chunk never changes once full. */
  readonly chunks: readonly (readonly string[])[];
  /** Lines after the last full chunk, fewer than CHUNK_LINES. */
  readonly tail: readonly string[];
  /** Count of lines held. */
  readonly size: number;
  /** Count of lines ever appended, held or dropped. */
  readonly total: number;
}

export const EMPTY_LINE_BUFFER: LineBuffer = { chunks: [], tail: [], size: 0, total: 0 };

/**
 * Appends `line`, dropping the oldest chunk when the rest still contains `capacity`
 * lines, so the buffer keeps between `capacity` and `capacity + CHUNK_LINES - 1` lines.
 */
export function appendLine(buffer: LineBuffer, line: string, capacity: number): LineBuffer {
  let chunks = buffer.chunks;
  let tail: readonly string[] = [...buffer.tail, line];
  if (tail.length === CHUNK_LINES) {
    chunks = [...chunks, tail];
    tail = [];
  }

  let size = buffer.size + 1;
  const first = chunks[0];
  if (first !== undefined && size - first.length >= capacity) {
    chunks = chunks.slice(1);
    size -= first.length;
  }
  return { chunks, tail, size, total: buffer.total + 1 };
}

/** Returns the held lines from index `start` (inclusive) to `end` (exclusive), oldest first. */
export function sliceLines(buffer: LineBuffer, start: number, end: number): string[] {
  const from = Math.max(0, start);
  const to = Math.min(buffer.size, end);
  const lines: string[] = [];
  let offset = 0;
  for (const chunk of [...buffer.chunks, buffer.tail]) {
    if (offset >= to) break;
    if (offset + chunk.length > from) {
      lines.push(...chunk.slice(Math.max(0, from - offset), to - offset));
    }
    offset += chunk.length;
  }
  return lines;
}

/** Returns the last `count` held lines, oldest first. */
export function lastLines(buffer: LineBuffer, count: number): string[] {
  return sliceLines(buffer, buffer.size - count, buffer.size);
}
