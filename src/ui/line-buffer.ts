// A bounded, immutable buffer of log lines. The console reducer appends one line
// per event, and copying a whole array per line would cost O(capacity) each time.
// So lines are kept in small chunks: an append copies one chunk and the chunk
// list, and the oldest chunk is dropped once the rest contains `capacity` lines.

/** Lines a chunk holds; an append copies at most this many lines plus the chunk list. */
const CHUNK_LINES = 64;

export interface LineBuffer {
  /** Held lines in chunks, oldest first; only the last chunk may be partly filled. */
  readonly chunks: readonly (readonly string[])[];
  /** Count of lines held. */
  readonly size: number;
  /** Count of lines ever appended, held or dropped. */
  readonly total: number;
}

export const EMPTY_LINE_BUFFER: LineBuffer = { chunks: [], size: 0, total: 0 };

/**
 * Appends `line`, dropping the oldest chunk when the rest still contains `capacity`
 * lines, so the buffer keeps between `capacity` and `capacity + 63` lines.
 */
export function appendLine(buffer: LineBuffer, line: string, capacity: number): LineBuffer {
  const last = buffer.chunks[buffer.chunks.length - 1];
  let chunks: (readonly string[])[];
  if (last !== undefined && last.length < CHUNK_LINES) {
    chunks = buffer.chunks.slice(0, -1);
    chunks.push([...last, line]);
  } else {
    chunks = [...buffer.chunks, [line]];
  }

  let size = buffer.size + 1;
  const first = chunks[0]!;
  if (size - first.length >= capacity) {
    chunks.shift();
    size -= first.length;
  }
  return { chunks, size, total: buffer.total + 1 };
}

/** Returns the held lines from index `start` (inclusive) to `end` (exclusive), oldest first. */
export function sliceLines(buffer: LineBuffer, start: number, end: number): string[] {
  const from = Math.max(0, start);
  const to = Math.min(buffer.size, end);
  const lines: string[] = [];
  let offset = 0;
  for (const chunk of buffer.chunks) {
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
