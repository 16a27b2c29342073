import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { EntryWriter } from '../../../src/engine/extract/entry-writer.js';
import { removeTree } from '../../../src/engine/extract/staging.js';
import type { TarHeader } from '../../../src/engine/extract/tar-reader.js';
import { WriteBuffer } from '../../../src/engine/extract/write-buffer.js';

let workDir: string;

beforeEach(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'weld-test-artifact-unit-'));
});

afterEach(async () => {
  await removeTree(workDir);
});

/** Appends `data` in pieces of `pieceBytes`, reusing one piece buffer the way a socket reuses its read buffer. */
async function appendInPieces(buffer: WriteBuffer, data: Buffer, pieceBytes: number): Promise<void> {
  const piece = Buffer.alloc(pieceBytes);
  for (let offset = 0; offset < data.length; offset += pieceBytes) {
    const length = data.copy(piece, 0, offset, offset + pieceBytes);
    await buffer.append(piece.subarray(0, length));
    piece.fill(0);
  }
}

/** Options that send every write through a 1000-byte ring. */
const THROUGH_RING = { capacityBytes: 1000, minWriteBytes: 100, slowWritesToSwitch: 0 };

describe('WriteBuffer', () => {
  test.each([
    ['written at once', {}, 1],
    ['written at once', {}, 4096],
    ['through the ring', THROUGH_RING, 1],
    ['through the ring', THROUGH_RING, 333],
    ['through the ring', THROUGH_RING, 1000],
    ['through the ring', THROUGH_RING, 4096],
  ])('content %s in pieces of %i bytes arrives whole', async (_mode, options, pieceBytes) => {
    const content = randomBytes(10_000);
    const file = path.join(workDir, 'out.bin');
    const handle = await open(file, 'w');
    const buffer = new WriteBuffer(options);

    buffer.attach(handle);
    await appendInPieces(buffer, content, pieceBytes);
    await buffer.flush();
    await handle.close();

    expect((await readFile(file)).equals(content)).toBe(true);
  });

  test.each([
    ['written at once', {}],
    ['through the ring', { ...THROUGH_RING, capacityBytes: 1024 }],
  ])('append %s that fits returns no promise', async (_mode, options) => {
    const handle = await open(path.join(workDir, 'out.bin'), 'w');
    const buffer = new WriteBuffer(options);
    buffer.attach(handle);

    const pending = buffer.append(Buffer.alloc(10));

    expect(pending).toBeUndefined();
    await buffer.flush();
    await handle.close();
  });

  test('files written one after another each get their own content', async () => {
    const buffer = new WriteBuffer({ ...THROUGH_RING, capacityBytes: 64, minWriteBytes: 16 });
    const contents = ['first file, longer than the ring: '.repeat(5), 'second', ''];

    for (const [index, content] of contents.entries()) {
      const handle = await open(path.join(workDir, `${index}.txt`), 'w');
      buffer.attach(handle);
      await appendInPieces(buffer, Buffer.from(content), 7);
      await buffer.flush();
      await handle.close();
    }

    for (const [index, content] of contents.entries()) {
      expect(await readFile(path.join(workDir, `${index}.txt`), 'utf8')).toBe(content);
    }
  });

  test('two slow writes of the default three keep writing at once', async () => {
    const handle = await open(path.join(workDir, 'out.bin'), 'w');
    const buffer = new WriteBuffer({ slowWriteMs: -1 });
    buffer.attach(handle);
    buffer.append(Buffer.alloc(10));
    buffer.append(Buffer.alloc(10));
    await handle.close();

    // Only a write at once fails inside append; the ring would take the bytes and fail later.
    expect(() => buffer.append(Buffer.alloc(10))).toThrow('The value of "fd" is out of range');
  });

  test('failed write at once throws from append', async () => {
    const file = path.join(workDir, 'read-only.bin');
    await writeFile(file, '');
    const handle = await open(file, 'r');
    const buffer = new WriteBuffer();
    buffer.attach(handle);

    expect(() => buffer.append(Buffer.alloc(100))).toThrow(expect.objectContaining({ code: 'EBADF' }));
    await handle.close();
  });

  test('third slow write sends the rest through the ring', async () => {
    const handle = await open(path.join(workDir, 'out.bin'), 'w');
    const buffer = new WriteBuffer({ slowWriteMs: -1 });
    buffer.attach(handle);
    for (let write = 0; write < 3; write += 1) buffer.append(Buffer.alloc(10));
    await handle.close();

    // The ring takes the bytes, and the write from the thread pool fails on the closed file.
    const pending = buffer.append(Buffer.alloc(10));

    expect(pending).toBeUndefined();
    await expect(buffer.flush()).rejects.toMatchObject({ code: 'EBADF' });
  });

  test('failed write from the ring surfaces from flush', async () => {
    const file = path.join(workDir, 'read-only.bin');
    await writeFile(file, '');
    const handle = await open(file, 'r');
    const buffer = new WriteBuffer({ ...THROUGH_RING, capacityBytes: 1024, minWriteBytes: 16 });
    buffer.attach(handle);

    buffer.append(Buffer.alloc(100));

    await expect(buffer.flush()).rejects.toMatchObject({ code: 'EBADF' });
    await handle.close();
  });

  test('failed write from the ring surfaces from the next append', async () => {
    const file = path.join(workDir, 'read-only.bin');
    await writeFile(file, '');
    const handle = await open(file, 'r');
    const buffer = new WriteBuffer({ ...THROUGH_RING, capacityBytes: 64, minWriteBytes: 16 });
    buffer.attach(handle);

    const appending = appendInPieces(buffer, Buffer.alloc(1000), 10);

    await expect(appending).rejects.toMatchObject({ code: 'EBADF' });
    await buffer.settle();
    await handle.close();
  });
});

describe('EntryWriter with a slow disk', () => {
  test('file content that waits for the ring is written whole with its mode', async () => {
    const content = randomBytes(50_000);
    const stagedDir = path.join(workDir, 'staged');
    await mkdir(stagedDir);
    const ringOnly = new WriteBuffer({ ...THROUGH_RING, capacityBytes: 4096, minWriteBytes: 512 });
    const writer = new EntryWriter(stagedDir, workDir, undefined, undefined, () => undefined, ringOnly);
    const header: TarHeader = { name: 'data.bin', type: 'file', mode: 0o640, mtime: new Date('2021-01-02T03:04:05Z'), size: content.length, linkname: '' };
    let waited = 0;

    await writer.startEntry(header);
    for (let offset = 0; offset < content.length; offset += 3000) {
      const pending = writer.writeContent(content.subarray(offset, offset + 3000));
      if (pending !== undefined) waited += 1;
      await pending;
    }
    await writer.endEntry();

    const written = path.join(stagedDir, 'data.bin');
    expect(waited).toBeGreaterThan(0);
    expect((await readFile(written)).equals(content)).toBe(true);
    expect((await stat(written)).mode & 0o777).toBe(0o640);
    expect((await stat(written)).mtime.toISOString()).toBe('2021-01-02T03:04:05.000Z');
    expect(writer.bytes).toBe(content.length);
  });
});
