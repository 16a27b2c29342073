import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { extractArchive } from '../../../src/engine/extract.js';
import { removeTree } from '../../../src/engine/extract/staging.js';
import { WeldError } from '../../../src/errors.js';
import { packArchive, streamArchive, type ArchiveEntry } from '../../fixtures/artifacts/tar-archives.js';

let workDir: string;
let outsideDir: string;

beforeEach(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'weld-test-artifact-unit-'));
  outsideDir = path.join(workDir, 'outside');
  await mkdir(outsideDir);
});

afterEach(async () => {
  // removeTree also empties the read-only folders that some tests extract.
  await removeTree(workDir);
});

describe('extractArchive safety', () => {
  test.each<[string, ArchiveEntry[], string]>([
    [
      'parent segment in the path',
      [{ name: 'dist/', type: 'directory' }, { name: 'dist/../../x', content: 'x' }],
      'rejected archive entry "dist/../../x": the path dist/../../x contains ".."',
    ],
    [
      'parent segment as the root',
      [{ name: '../x', content: 'x' }],
      'rejected archive entry "../x": the path ../x contains ".."',
    ],
    [
      'absolute path',
      [{ name: 'dist/', type: 'directory' }, { name: '/etc/x', content: 'x' }],
      'rejected archive entry "/etc/x": the absolute path /etc/x points outside the destination',
    ],
    [
      'file through an absolute link',
      [
        { name: 'dist/', type: 'directory' },
        { name: 'dist/link', type: 'symlink', linkname: '/tmp' },
        { name: 'dist/link/file', content: 'x' },
      ],
      'rejected archive entry "dist/link/file": its path passes through the symbolic link dist/link',
    ],
    [
      'file under a link that escapes upwards',
      [
        { name: 'dist/', type: 'directory' },
        { name: 'dist/up', type: 'symlink', linkname: '../../outside' },
        { name: 'dist/up/planted.txt', content: 'x' },
      ],
      'rejected archive entry "dist/up/planted.txt": its path passes through the symbolic link dist/up',
    ],
    [
      'folder through a link',
      [
        { name: 'dist/', type: 'directory' },
        { name: 'dist/link', type: 'symlink', linkname: 'sub' },
        { name: 'dist/link/more/', type: 'directory' },
      ],
      'rejected archive entry "dist/link/more/": its path passes through the symbolic link dist/link',
    ],
    [
      'hard link to a file outside the archive',
      [
        { name: 'dist/', type: 'directory' },
        { name: 'dist/passwd', type: 'link', linkname: '/etc/passwd' },
      ],
      'rejected archive entry "dist/passwd": the absolute path /etc/passwd points outside the destination',
    ],
    [
      'hard link to another root',
      [
        { name: 'dist/', type: 'directory' },
        { name: 'dist/shadow', type: 'link', linkname: 'other/shadow' },
      ],
      'rejected archive entry "dist/shadow": the hard link points to other/shadow, which is outside the archive',
    ],
    [
      'hard link to an entry not written yet',
      [
        { name: 'dist/', type: 'directory' },
        { name: 'dist/early', type: 'link', linkname: 'dist/late' },
        { name: 'dist/late', content: 'x' },
      ],
      'rejected archive entry "dist/early": the hard link points to dist/late, which no earlier entry of the archive created',
    ],
    [
      'hard link through a link',
      [
        { name: 'dist/', type: 'directory' },
        { name: 'dist/etc', type: 'symlink', linkname: '/etc' },
        { name: 'dist/passwd', type: 'link', linkname: 'dist/etc/passwd' },
      ],
      "rejected archive entry \"dist/passwd\": the hard link's target dist/etc/passwd passes through the symbolic link dist/etc",
    ],
    [
      'entry beside the root',
      [{ name: 'dist/', type: 'directory' }, { name: 'other.txt', content: 'x' }],
      'rejected archive entry "other.txt": it is outside dist, the root of the archive',
    ],
  ])('%s is rejected', async (_case, entries, message) => {
    const archive = await packArchive(entries);
    const destinationDir = path.join(workDir, 'out');

    const extraction = extractArchive(streamArchive(archive), { destinationDir });

    await expect(extraction).rejects.toThrow(WeldError);
    await expect(extraction).rejects.toThrow(message);
    expect(await readdir(destinationDir)).toEqual([]);
    expect(await readdir(outsideDir)).toEqual([]);
  });

  test('link through a hard-linked symlink is rejected too', async () => {
    const entries: ArchiveEntry[] = [
      { name: 'dist/', type: 'directory' },
      { name: 'dist/link', type: 'symlink', linkname: '/tmp' },
      { name: 'dist/copy', type: 'link', linkname: 'dist/link' },
      { name: 'dist/copy/file', content: 'x' },
    ];
    const archive = await packArchive(entries);

    const extraction = extractArchive(streamArchive(archive), { destinationDir: path.join(workDir, 'out') });

    await expect(extraction).rejects.toThrow('its path passes through the symbolic link dist/copy');
  });

  test('file repeated over an earlier link replaces the link, not its target', async () => {
    const target = path.join(outsideDir, 'victim.txt');
    await writeFile(target, 'untouched');
    const entries: ArchiveEntry[] = [
      { name: 'dist/', type: 'directory' },
      { name: 'dist/name', type: 'symlink', linkname: target },
      { name: 'dist/name', content: 'replaced' },
    ];
    const archive = await packArchive(entries);

    const result = await extractArchive(streamArchive(archive), { destinationDir: path.join(workDir, 'out') });

    expect(await readFile(path.join(result.path, 'name'), 'utf8')).toBe('replaced');
    expect(await readFile(target, 'utf8')).toBe('untouched');
  });

  test('archive whose root is a FIFO is rejected', async () => {
    const archive = await packArchive([{ name: 'pipe', type: 'fifo' }]);

    const extraction = extractArchive(streamArchive(archive), { destinationDir: path.join(workDir, 'out') });

    await expect(extraction).rejects.toThrow('cannot copy pipe: named pipes (FIFOs) are not copied');
    expect(await readdir(path.join(workDir, 'out'))).toEqual([]);
  });

  test('empty archive is rejected', async () => {
    const archive = await packArchive([]);

    const extraction = extractArchive(streamArchive(archive), { destinationDir: path.join(workDir, 'out') });

    await expect(extraction).rejects.toThrow('contains no entries');
  });

  test.each(['', '.', '..', 'a/b'])('root name %j is rejected', async (rootName) => {
    const archive = await packArchive([{ name: 'file.txt', content: 'x' }]);

    const extraction = extractArchive(streamArchive(archive), { destinationDir: path.join(workDir, 'out'), rootName });

    await expect(extraction).rejects.toThrow('it must be one file or folder name');
  });
});
