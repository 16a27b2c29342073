import { describe, expect, test } from 'vitest';
import { appendLine, EMPTY_LINE_BUFFER, lastLines, sliceLines, type LineBuffer } from '../../src/ui/line-buffer.js';

function fill(count: number, capacity: number): LineBuffer {
  let buffer = EMPTY_LINE_BUFFER;
  for (let index = 1; index <= count; index++) buffer = appendLine(buffer, `line ${index}`, capacity);
  return buffer;
}

describe('line buffer', () => {
  test('keeps every line while under capacity', () => {
    const buffer = fill(100, 1000);

    expect(buffer.size).toBe(100);
    expect(buffer.total).toBe(100);
    expect(lastLines(buffer, 2)).toEqual(['line 99', 'line 100']);
  });

  test('drops whole chunks of the oldest lines past capacity', () => {
    const buffer = fill(10_000, 1000);

    expect(buffer.total).toBe(10_000);
    expect(buffer.size).toBeGreaterThanOrEqual(1000);
    expect(buffer.size).toBeLessThan(1064);
    expect(sliceLines(buffer, 0, 1)).toEqual([`line ${10_000 - buffer.size + 1}`]);
  });

  test('append leaves the buffer before it unchanged', () => {
    const before = fill(70, 1000);
    const snapshot = lastLines(before, 70);

    appendLine(before, 'extra', 1000);

    expect(lastLines(before, 70)).toEqual(snapshot);
    expect(before.size).toBe(70);
  });

  test.each([
    [0, 3, ['line 1', 'line 2', 'line 3']],
    [63, 66, ['line 64', 'line 65', 'line 66']],
    [198, 500, ['line 199', 'line 200']],
    [-5, 1, ['line 1']],
    [10, 10, []],
  ])('slices held lines from %d to %d across chunks', (start, end, expected) => {
    const buffer = fill(200, 1000);

    expect(sliceLines(buffer, start, end)).toEqual(expected);
  });

  test('last lines of an empty buffer are none', () => {
    expect(lastLines(EMPTY_LINE_BUFFER, 5)).toEqual([]);
  });
});
