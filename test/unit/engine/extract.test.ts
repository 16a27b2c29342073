import { lstat, mkdtemp, readFile, readdir, readlink, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { extractArchive } from '../../../src/engine/extract.js';
import { removeTree } from '../../../src/engine/extract/staging.js';
import { packArchive, packGnuLongNameFile, streamArchive, type ArchiveEntry } from '../../fixtures/artifacts/tar-archives.js';

const OLD_MTIME = new Date('2020-02-03T04:05:06Z');
const OTHER_MTIME = new Date('2021-07-08T09:10:11Z');

let workDir: string;

beforeEach(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'weld-test-artifact-unit-'));
});

afterEach(async () => {
  // removeTree also empties the read-only folders that some tests extract.
  await removeTree(workDir);
});

async function extractEntries(entries: ArchiveEntry[], options: { rootName?: string; onProgress?: (bytes: number) => void } = {}) {
  const archive = await packArchive(entries);
  const destinationDir = path.join(workDir, 'out');
  return extractArchive(streamArchive(archive), { destinationDir, ...options });
}

describe('extractArchive contents', () => {
  test('nested files and empty folders are written under the root', async () => {
    const entries: ArchiveEntry[] = [
      { name: 'dist/', type: 'directory' },
      { name: 'dist/index.js', content: 'console.log(1)\n' },
      { name: 'dist/lib/', type: 'directory' },
      { name: 'dist/lib/deep/util.js', content: 'export {}\n' },
      { name: 'dist/empty/', type: 'directory' },
    ];

    const result = await extractEntries(entries);

    expect(result.path).toBe(path.join(workDir, 'out', 'dist'));
    expect(await readFile(path.join(result.path, 'index.js'), 'utf8')).toBe('console.log(1)\n');
    expect(await readFile(path.join(result.path, 'lib/deep/util.js'), 'utf8')).toBe('export {}\n');
    expect(await readdir(path.join(result.path, 'empty'))).toEqual([]);
    expect(result.bytes).toBe('console.log(1)\n'.length + 'export {}\n'.length);
  });

  test('file and folder modes come from the headers', async () => {
    const entries: ArchiveEntry[] = [
      { name: 'app/', type: 'directory', mode: 0o750 },
      { name: 'app/run.sh', mode: 0o755, content: '#!/bin/sh\n' },
      { name: 'app/secret', mode: 0o600, content: 'key' },
      { name: 'app/locked/', type: 'directory', mode: 0o555 },
      { name: 'app/locked/readme', mode: 0o444, content: 'read me' },
    ];

    const result = await extractEntries(entries);

    const modeOf = async (name: string) => (await stat(path.join(result.path, name))).mode & 0o7777;
    expect(await modeOf('.')).toBe(0o750);
    expect(await modeOf('run.sh')).toBe(0o755);
    expect(await modeOf('secret')).toBe(0o600);
    expect(await modeOf('locked')).toBe(0o555);
    expect(await modeOf('locked/readme')).toBe(0o444);
  });

  test('mtimes come from the headers, folders included', async () => {
    const entries: ArchiveEntry[] = [
      { name: 'dist/', type: 'directory', mtime: OLD_MTIME },
      { name: 'dist/sub/', type: 'directory', mtime: OTHER_MTIME },
      { name: 'dist/sub/a.txt', mtime: OLD_MTIME, content: 'a' },
      { name: 'dist/b.txt', mtime: OTHER_MTIME, content: 'b' },
    ];

    const result = await extractEntries(entries);

    const mtimeOf = async (name: string) => (await stat(path.join(result.path, name))).mtime.toISOString();
    expect(await mtimeOf('.')).toBe(OLD_MTIME.toISOString());
    expect(await mtimeOf('sub')).toBe(OTHER_MTIME.toISOString());
    expect(await mtimeOf('sub/a.txt')).toBe(OLD_MTIME.toISOString());
    expect(await mtimeOf('b.txt')).toBe(OTHER_MTIME.toISOString());
  });

  test.each([
    ['relative', 'lib/a.txt'],
    ['absolute', '/etc/hostname'],
    ['dangling', '../missing/file'],
  ])('%s symlink is kept as a link with its target unchanged', async (_kind, target) => {
    const entries: ArchiveEntry[] = [
      { name: 'dist/', type: 'directory' },
      { name: 'dist/lib/a.txt', content: 'a' },
      { name: 'dist/link', type: 'symlink', linkname: target, mtime: OLD_MTIME },
    ];

    const result = await extractEntries(entries);

    const link = path.join(result.path, 'link');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(target);
    expect((await lstat(link)).mtime.toISOString()).toBe(OLD_MTIME.toISOString());
  });

  test('hard link inside the archive shares the content of its target', async () => {
    const entries: ArchiveEntry[] = [
      { name: 'bin/', type: 'directory' },
      { name: 'bin/busybox', mode: 0o755, content: 'binary' },
      { name: 'bin/sh', type: 'link', linkname: 'bin/busybox' },
    ];

    const result = await extractEntries(entries);

    const original = await stat(path.join(result.path, 'busybox'));
    const linked = await stat(path.join(result.path, 'sh'));
    expect(linked.ino).toBe(original.ino);
    expect(await readFile(path.join(result.path, 'sh'), 'utf8')).toBe('binary');
    expect(result.bytes).toBe('binary'.length);
  });

  test('single file archive gives a file in the destination', async () => {
    const entries: ArchiveEntry[] = [{ name: 'server', mode: 0o755, content: 'ELF', mtime: OLD_MTIME }];

    const result = await extractEntries(entries);

    expect(result.path).toBe(path.join(workDir, 'out', 'server'));
    expect(await readFile(result.path, 'utf8')).toBe('ELF');
    expect((await stat(result.path)).mode & 0o777).toBe(0o755);
  });

  test('rootName renames the root and keeps hard links inside it', async () => {
    const entries: ArchiveEntry[] = [
      { name: 'real/', type: 'directory' },
      { name: 'real/a.txt', content: 'a' },
      { name: 'real/b.txt', type: 'link', linkname: 'real/a.txt' },
    ];

    const result = await extractEntries(entries, { rootName: 'current' });

    expect(result.path).toBe(path.join(workDir, 'out', 'current'));
    expect(await readdir(path.join(workDir, 'out'))).toEqual(['current']);
    expect(await readFile(path.join(result.path, 'b.txt'), 'utf8')).toBe('a');
  });

  test('long name in a PAX record is written in full', async () => {
    const longName = `dist/${'n'.repeat(200)}.txt`;
    const entries: ArchiveEntry[] = [
      { name: 'dist/', type: 'directory' },
      { name: longName, content: 'long' },
    ];

    const result = await extractEntries(entries);

    expect(await readFile(path.join(workDir, 'out', longName), 'utf8')).toBe('long');
    expect(result.bytes).toBe(4);
  });

  test('long name in a GNU long-name record is written in full', async () => {
    const longName = `dist/${'g'.repeat(180)}.txt`;
    const archive = await packGnuLongNameFile(longName, 'gnu');

    const result = await extractArchive(streamArchive(archive), { destinationDir: path.join(workDir, 'out') });

    expect(result.path).toBe(path.join(workDir, 'out', 'dist'));
    expect(await readFile(path.join(workDir, 'out', longName), 'utf8')).toBe('gnu');
  });

  test('devices and FIFOs are skipped with a reason', async () => {
    const entries: ArchiveEntry[] = [
      { name: 'dev/', type: 'directory' },
      { name: 'dev/pipe', type: 'fifo' },
      { name: 'dev/null', type: 'character-device' },
      { name: 'dev/kept.txt', content: 'kept' },
    ];

    const result = await extractEntries(entries);

    expect(await readdir(result.path)).toEqual(['kept.txt']);
    expect(result.skipped).toEqual([
      { name: 'dev/pipe', reason: 'named pipes (FIFOs) are not copied' },
      { name: 'dev/null', reason: 'character devices are not copied' },
    ]);
  });

  test('progress reports the running total of content bytes', async () => {
    const big = Buffer.alloc(100 * 1024, 7);
    const entries: ArchiveEntry[] = [
      { name: 'data/', type: 'directory' },
      { name: 'data/big.bin', content: big },
      { name: 'data/small.txt', content: 'xyz' },
    ];
    const reports: number[] = [];

    const result = await extractEntries(entries, { onProgress: (bytes) => reports.push(bytes) });

    expect(reports.length).toBeGreaterThan(2);
    expect(reports).toEqual([...reports].sort((left, right) => left - right));
    expect(reports.at(-1)).toBe(big.length + 3);
    expect(result.bytes).toBe(big.length + 3);
  });

  test('missing destination folder is created with its parents', async () => {
    const destinationDir = path.join(workDir, 'a', 'b', 'c');
    const archive = await packArchive([{ name: 'file.txt', content: 'x' }]);

    const result = await extractArchive(streamArchive(archive), { destinationDir });

    expect(result.path).toBe(path.join(destinationDir, 'file.txt'));
    expect(await readdir(destinationDir)).toEqual(['file.txt']);
  });

  test('destination that is a file fails naming it', async () => {
    const destinationDir = path.join(workDir, 'taken');
    await writeFile(destinationDir, 'not a folder');
    const archive = await packArchive([{ name: 'file.txt', content: 'x' }]);

    const extraction = extractArchive(streamArchive(archive), { destinationDir });

    await expect(extraction).rejects.toThrow(`creating a temp folder in ${destinationDir} failed`);
    await expect(extraction).rejects.toMatchObject({ hint: `check that ${destinationDir} is a folder you can write to` });
  });
});
