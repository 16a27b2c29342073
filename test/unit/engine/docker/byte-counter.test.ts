import { finished } from 'node:stream/promises';

import { afterEach, describe, expect, test, vi } from 'vitest';

import { ByteCounter } from '../../../../src/engine/docker/byte-counter.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ByteCounter', () => {
  test('reports totals every 250 ms and at the end', async () => {
    vi.useFakeTimers();
    const reports: number[] = [];
    const counter = new ByteCounter((bytes) => reports.push(bytes));
    const passed: Buffer[] = [];
    counter.on('data', (chunk: Buffer) => passed.push(chunk));

    counter.write(Buffer.alloc(100));
    vi.advanceTimersByTime(300);
    counter.write(Buffer.alloc(50));
    counter.write(Buffer.alloc(10));
    counter.end();
    await finished(counter);

    expect(reports).toEqual([150, 160]);
    expect(Buffer.concat(passed).length).toBe(160);
  });

  test('reports zero for an empty stream', async () => {
    const reports: number[] = [];
    const counter = new ByteCounter((bytes) => reports.push(bytes));
    counter.resume();

    counter.end();
    await finished(counter);

    expect(reports).toEqual([0]);
  });
});
