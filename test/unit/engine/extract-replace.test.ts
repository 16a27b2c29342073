import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { extractArchive } from '../../../src/engine/extract.js';
import { removeTree } from '../../../src/engine/extract/staging.js';
import { CancelledError } from '../../../src/errors.js';
import { packArchive, streamArchive, type ArchiveEntry } from '../../fixtures/artifacts/tar-archives.js';

/** A pid no process has: Linux caps pids at 2^22. */
const DEAD_PID = 4_194_304 + 17;

let workDir: string;
let destinationDir: string;

beforeEach(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'weld-test-artifact-unit-'));
  destinationDir = path.join(workDir, 'out');
});

afterEach(async () => {
  // removeTree also empties the read-only folders that some tests extract.
  await removeTree(workDir);
});

function distEntries(files: Record<string, string>): ArchiveEntry[] {
  return [
    { name: 'dist/', type: 'directory' },
    ...Object.entries(files).map(([name, content]): ArchiveEntry => ({ name: `dist/${name}`, content })),
  ];
}

async function extractFiles(files: Record<string, string>) {
  const archive = await packArchive(distEntries(files));
  return extractArchive(streamArchive(archive), { destinationDir });
}

/** Lays down a first copy `dist/old.txt` to be replaced. */
async function extractPreviousCopy(): Promise<void> {
  await extractFiles({ 'old.txt': 'previous' });
}

async function expectPreviousCopyIntact(): Promise<void> {
  expect(await readdir(destinationDir)).toEqual(['dist']);
  expect(await readdir(path.join(destinationDir, 'dist'))).toEqual(['old.txt']);
  expect(await readFile(path.join(destinationDir, 'dist', 'old.txt'), 'utf8')).toBe('previous');
}

describe('extractArchive replacing a previous copy', () => {
  test('extracting again replaces the folder instead of nesting it', async () => {
    await extractPreviousCopy();

    const result = await extractFiles({ 'new.txt': 'current' });

    expect(result.path).toBe(path.join(destinationDir, 'dist'));
    expect(await readdir(destinationDir)).toEqual(['dist']);
    expect(await readdir(result.path)).toEqual(['new.txt']);
  });

  test('file replaces a previous folder of the same name', async () => {
    await extractPreviousCopy();
    const archive = await packArchive([{ name: 'dist', content: 'now a file' }]);

    const result = await extractArchive(streamArchive(archive), { destinationDir });

    expect(await readFile(result.path, 'utf8')).toBe('now a file');
    expect(await readdir(destinationDir)).toEqual(['dist']);
  });

  test('read-only previous folder is replaced', async () => {
    const readOnly: ArchiveEntry[] = [
      { name: 'dist/', type: 'directory', mode: 0o555 },
      { name: 'dist/locked/', type: 'directory', mode: 0o500 },
      { name: 'dist/locked/a.txt', mode: 0o400, content: 'a' },
    ];
    await extractArchive(streamArchive(await packArchive(readOnly)), { destinationDir });

    const result = await extractFiles({ 'new.txt': 'current' });

    expect(await readdir(result.path)).toEqual(['new.txt']);
    expect(await readdir(destinationDir)).toEqual(['dist']);
  });

  test('rejected entry midway leaves the previous copy and no temp folder', async () => {
    await extractPreviousCopy();
    const entries: ArchiveEntry[] = [...distEntries({ 'new.txt': 'current' }), { name: 'dist/../escape.txt', content: 'x' }];
    const archive = await packArchive(entries);

    const extraction = extractArchive(streamArchive(archive), { destinationDir });

    await expect(extraction).rejects.toThrow('rejected archive entry "dist/../escape.txt"');
    await expectPreviousCopyIntact();
  });

  test('archive cut midway leaves the previous copy and no temp folder', async () => {
    await extractPreviousCopy();
    const archive = await packArchive(distEntries({ 'big.bin': 'x'.repeat(64 * 1024) }));
    const cut = archive.subarray(0, 20 * 1024);

    const extraction = extractArchive(streamArchive(cut), { destinationDir });

    await expect(extraction).rejects.toThrow('reading the archive for');
    await expectPreviousCopyIntact();
  });

  test('archive cut between entries fails instead of copying part of it', async () => {
    await extractPreviousCopy();
    const archive = await packArchive(distEntries({ 'a.txt': 'a', 'b.txt': 'b' }));
    // Ends after a.txt (a header block for dist/, then a header and a content block).
    // Every entry before the cut is whole, so only the missing end-of-archive marker
    // shows the cut. tar-stream, used before, copied dist/a.txt alone.
    const cut = archive.subarray(0, 3 * 512);

    const extraction = extractArchive(streamArchive(cut), { destinationDir });

    await expect(extraction).rejects.toThrow('the archive ended before its end-of-archive marker');
    await expectPreviousCopyIntact();
  });

  test('stream error midway leaves the previous copy and no temp folder', async () => {
    await extractPreviousCopy();
    const archive = await packArchive(distEntries({ 'big.bin': 'x'.repeat(64 * 1024) }));
    const failing = Readable.from(
      (async function* () {
        yield archive.subarray(0, 8 * 1024);
        throw new Error('socket hang up');
      })(),
    );

    const extraction = extractArchive(failing, { destinationDir });

    await expect(extraction).rejects.toThrow('socket hang up');
    await expectPreviousCopyIntact();
  });

  test('abort during the copy stops it and leaves the previous copy', async () => {
    await extractPreviousCopy();
    const archive = await packArchive(distEntries({ 'big.bin': 'x'.repeat(256 * 1024) }));
    // Sends the first 64 KiB, then stalls as a slow engine would.
    const stalled = new Readable({ read() {} });
    stalled.push(archive.subarray(0, 64 * 1024));
    const controller = new AbortController();

    const extraction = extractArchive(stalled, {
      destinationDir,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });

    await expect(extraction).rejects.toThrow(CancelledError);
    expect(stalled.destroyed).toBe(true);
    await expectPreviousCopyIntact();
  });

  test('signal aborted before the start writes nothing', async () => {
    const archive = await packArchive(distEntries({ 'a.txt': 'a' }));
    const controller = new AbortController();
    controller.abort();

    const extraction = extractArchive(streamArchive(archive), { destinationDir, signal: controller.signal });

    await expect(extraction).rejects.toThrow(CancelledError);
    await expect(readdir(destinationDir)).rejects.toThrow('ENOENT');
  });
});

describe('extractArchive temp folders', () => {
  test('temp folder left by a process that no longer runs is removed', async () => {
    const abandoned = path.join(destinationDir, `.weld-tmp-${DEAD_PID}-0123abcd`);
    await mkdir(path.join(abandoned, 'staged'), { recursive: true });
    await writeFile(path.join(abandoned, 'staged', 'half.txt'), 'half');

    await extractFiles({ 'a.txt': 'a' });

    expect(await readdir(destinationDir)).toEqual(['dist']);
  });

  test('temp folder of a running process is left alone', async () => {
    const inUse = `.weld-tmp-${process.ppid}-0123abcd`;
    await mkdir(path.join(destinationDir, inUse), { recursive: true });

    await extractFiles({ 'a.txt': 'a' });

    expect((await readdir(destinationDir)).sort()).toEqual([inUse, 'dist'].sort());
  });
});
