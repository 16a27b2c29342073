import { describe, expect, test } from 'vitest';

import { TarReader, parsePaxRecords, type TarHeader } from '../../../src/engine/extract/tar-reader.js';
import { packArchive, packGnuLongNameFile, type ArchiveEntry } from '../../fixtures/artifacts/tar-archives.js';

const BLOCK = 512;
const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

interface RawHeader {
  name: string;
  type?: string;
  mode?: number;
  size?: number;
  mtime?: number;
  linkname?: string;
  magic?: 'ustar' | 'gnu' | 'v7';
  prefix?: string;
  /** Writes the size field in base-256, as GNU tar does for sizes over 8 GiB. */
  base256Size?: boolean;
}

/** One entry read back: its header and its content. */
interface ReadEntry {
  header: TarHeader;
  content: string;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** Builds one header block by hand, for the fields tar-stream cannot write. */
function headerBlock(fields: RawHeader): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, 100, 'utf8');
  block.write(octal(fields.mode ?? 0o644, 8), 100, 'latin1');
  block.write(octal(0, 8), 108, 'latin1');
  block.write(octal(0, 8), 116, 'latin1');
  if (fields.base256Size) {
    block[124] = 0x80;
    block.writeUIntBE(fields.size ?? 0, 124 + 6, 6);
  } else {
    block.write(octal(fields.size ?? 0, 12), 124, 'latin1');
  }
  block.write(octal(fields.mtime ?? 0, 12), 136, 'latin1');
  block.write(fields.type ?? '0', 156, 'latin1');
  block.write(fields.linkname ?? '', 157, 100, 'utf8');
  if (fields.magic === 'gnu') block.write('ustar  \0', 257, 'latin1');
  if (fields.magic === undefined || fields.magic === 'ustar') block.write('ustar\u000000', 257, 'latin1');
  if (fields.prefix !== undefined) block.write(fields.prefix, 345, 155, 'utf8');

  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** Content padded to whole blocks. */
function blocksOf(content: string | Buffer): Buffer {
  const bytes = Buffer.from(content);
  return Buffer.concat([bytes, Buffer.alloc((BLOCK - (bytes.length % BLOCK)) % BLOCK)]);
}

/** Formats one PAX record, whose length counts bytes, its own digits included. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (Buffer.byteLength(`${length}${body}`) !== length) length += 1;
  return `${length}${body}`;
}

function paxBlocks(records: Record<string, string>, type = 'x'): Buffer {
  const data = Object.entries(records)
    .map(([key, value]) => paxRecord(key, value))
    .join('');
  return Buffer.concat([headerBlock({ name: 'PaxHeader', type, size: Buffer.byteLength(data) }), blocksOf(data)]);
}

/** Reads `archive` in chunks of `chunkBytes` and returns its entries; throws what the reader throws. */
function readArchive(archive: Buffer, chunkBytes = archive.length): ReadEntry[] {
  const reader = new TarReader();
  const entries: ReadEntry[] = [];
  const content: Buffer[] = [];
  for (let start = 0; start < archive.length; start += chunkBytes) {
    const chunk = archive.subarray(start, start + chunkBytes);
    for (let token = reader.next(chunk, 0); token !== undefined; token = reader.next(chunk, token.offset)) {
      if (token.kind === 'header') entries.push({ header: token.header, content: '' });
      if (token.kind === 'content') content.push(Buffer.from(token.data));
      if (token.kind === 'entry-end') {
        entries.at(-1)!.content = Buffer.concat(content).toString('latin1');
        content.length = 0;
      }
    }
  }
  reader.finish();
  return entries;
}

describe('TarReader', () => {
  const entries: ArchiveEntry[] = [
    { name: 'dist/', type: 'directory', mode: 0o750, mtime: new Date('2022-03-04T05:06:07Z') },
    { name: 'dist/a.txt', content: 'a'.repeat(700), mode: 0o600 },
    { name: 'dist/empty.txt', content: '' },
    { name: 'dist/link', type: 'symlink', linkname: 'a.txt' },
    { name: 'dist/hard', type: 'link', linkname: 'dist/a.txt' },
    { name: 'dist/b.bin', content: Buffer.alloc(3 * BLOCK, 7) },
  ];

  test.each([1, 7, 511, 512, 513, 1024, 100_000])('archive read in chunks of %i bytes gives every entry whole', async (chunkBytes) => {
    const archive = await packArchive(entries);

    const read = readArchive(archive, chunkBytes);

    expect(read.map((entry) => [entry.header.name, entry.header.type, entry.header.size])).toEqual([
      ['dist/', 'directory', 0],
      ['dist/a.txt', 'file', 700],
      ['dist/empty.txt', 'file', 0],
      ['dist/link', 'symlink', 0],
      ['dist/hard', 'link', 0],
      ['dist/b.bin', 'file', 3 * BLOCK],
    ]);
    expect(read[1]!.content).toBe('a'.repeat(700));
    expect(read[5]!.content).toBe('\x07'.repeat(3 * BLOCK));
  });

  test('mode, mtime and link targets come from the header', async () => {
    const archive = await packArchive(entries);

    const [folder, file, , link, hard] = readArchive(archive);

    expect(folder!.header.mode).toBe(0o750);
    expect(folder!.header.mtime.toISOString()).toBe('2022-03-04T05:06:07.000Z');
    expect(file!.header.mode).toBe(0o600);
    expect(link!.header.linkname).toBe('a.txt');
    expect(hard!.header.linkname).toBe('dist/a.txt');
  });

  test('content is handed out as views of the chunk', async () => {
    const archive = await packArchive([{ name: 'a.txt', content: 'abc' }]);
    const reader = new TarReader();

    const header = reader.next(archive, 0);
    const content = reader.next(archive, header!.offset);

    expect(content?.kind).toBe('content');
    expect((content as { data: Uint8Array }).data.buffer).toBe(archive.buffer);
  });

  test('PAX path and linkpath replace the header names', () => {
    const longName = `dist/${'n'.repeat(150)}/file.txt`;
    const archive = Buffer.concat([
      paxBlocks({ path: longName, linkpath: `../${'t'.repeat(120)}` }),
      headerBlock({ name: 'short', type: '2', linkname: 'short-target' }),
      END_OF_ARCHIVE,
    ]);

    const [entry] = readArchive(archive, 100);

    expect(entry!.header.name).toBe(longName);
    expect(entry!.header.linkname).toBe(`../${'t'.repeat(120)}`);
  });

  test('PAX mtime keeps its fraction of a second', () => {
    const archive = Buffer.concat([paxBlocks({ mtime: '1646370367.25' }), headerBlock({ name: 'a.txt', mtime: 1 }), END_OF_ARCHIVE]);

    const [entry] = readArchive(archive);

    expect(entry!.header.mtime.toISOString()).toBe('2022-03-04T05:06:07.250Z');
  });

  test('PAX size overrides the header size', () => {
    const archive = Buffer.concat([paxBlocks({ size: '600' }), headerBlock({ name: 'a.bin', size: 0 }), blocksOf('p'.repeat(600)), END_OF_ARCHIVE]);

    const [entry] = readArchive(archive, 64);

    expect(entry!.header.size).toBe(600);
    expect(entry!.content).toBe('p'.repeat(600));
  });

  test('global PAX record cancelled by an empty local one', () => {
    const archive = Buffer.concat([
      paxBlocks({ mtime: '1000' }, 'g'),
      headerBlock({ name: 'first', mtime: 5 }),
      paxBlocks({ mtime: '' }),
      headerBlock({ name: 'second', mtime: 5 }),
      headerBlock({ name: 'third', mtime: 5 }),
      END_OF_ARCHIVE,
    ]);

    const read = readArchive(archive);

    expect(read.map((entry) => entry.header.mtime.getTime() / 1000)).toEqual([1000, 5, 1000]);
  });

  test('GNU long name and long link records replace the header names', () => {
    const longName = `dist/${'g'.repeat(180)}`;
    const longTarget = `${'k'.repeat(130)}.txt`;
    const archive = Buffer.concat([
      headerBlock({ name: '././@LongLink', type: 'L', size: longName.length + 1, magic: 'gnu' }),
      blocksOf(`${longName}\0`),
      headerBlock({ name: '././@LongLink', type: 'K', size: longTarget.length + 1, magic: 'gnu' }),
      blocksOf(`${longTarget}\0`),
      headerBlock({ name: longName.slice(0, 99), type: '2', linkname: longTarget.slice(0, 99), magic: 'gnu' }),
      END_OF_ARCHIVE,
    ]);

    const [entry] = readArchive(archive, 300);

    expect(entry!.header.name).toBe(longName);
    expect(entry!.header.linkname).toBe(longTarget);
  });

  test('GNU long name packed by the test fixture is read', async () => {
    const longName = `dist/${'g'.repeat(180)}.txt`;
    const archive = await packGnuLongNameFile(longName, 'gnu');

    const [entry] = readArchive(archive);

    expect(entry!.header.name).toBe(longName);
    expect(entry!.content).toBe('gnu');
  });

  test('USTAR prefix is joined to the name', () => {
    const archive = Buffer.concat([headerBlock({ name: 'file.txt', prefix: 'very/deep/folder' }), END_OF_ARCHIVE]);

    const [entry] = readArchive(archive);

    expect(entry!.header.name).toBe('very/deep/folder/file.txt');
  });

  test('GNU header does not read its prefix area as a prefix', () => {
    const block = headerBlock({ name: 'file.txt', magic: 'gnu' });

    const [entry] = readArchive(Buffer.concat([block, END_OF_ARCHIVE]));

    expect(entry!.header.name).toBe('file.txt');
  });

  test('base-256 size is read', () => {
    const archive = Buffer.concat([headerBlock({ name: 'big.bin', size: 1000, base256Size: true }), blocksOf('b'.repeat(1000)), END_OF_ARCHIVE]);

    const [entry] = readArchive(archive);

    expect(entry!.header.size).toBe(1000);
    expect(entry!.content).toBe('b'.repeat(1000));
  });

  test.each([
    ['NUL type flag', '\0'],
    ['regular file type flag', '0'],
  ])('V7 name with a trailing slash and a %s is a folder', (_case, type) => {
    const archive = Buffer.concat([headerBlock({ name: 'old/', type, magic: 'v7' }), END_OF_ARCHIVE]);

    const [entry] = readArchive(archive);

    expect(entry!.header.type).toBe('directory');
  });

  test('unknown type is reported in quotes and its content passed over', () => {
    const archive = Buffer.concat([
      headerBlock({ name: 'dist/label', type: 'V', size: 10 }),
      blocksOf('0123456789'),
      headerBlock({ name: 'dist/next.txt', size: 1 }),
      blocksOf('n'),
      END_OF_ARCHIVE,
    ]);

    const read = readArchive(archive, 13);

    expect(read.map((entry) => [entry.header.name, entry.header.type, entry.content])).toEqual([
      ['dist/label', "'V'", ''],
      ['dist/next.txt', 'file', 'n'],
    ]);
  });

  test('folder with a size announces no content, as Go reads it', () => {
    const archive = Buffer.concat([headerBlock({ name: 'dist/', type: '5', size: 4096 }), headerBlock({ name: 'dist/a.txt', size: 1 }), blocksOf('a'), END_OF_ARCHIVE]);

    const read = readArchive(archive);

    expect(read.map((entry) => entry.header.name)).toEqual(['dist/', 'dist/a.txt']);
  });

  test('PAX sparse records mark the entry as a GNU sparse file', () => {
    const archive = Buffer.concat([paxBlocks({ 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0' }), headerBlock({ name: 'sparse.img', size: 3 }), blocksOf('abc'), END_OF_ARCHIVE]);

    const [entry] = readArchive(archive);

    expect(entry!.header.type).toBe('gnu-sparse');
    expect(entry!.content).toBe('');
  });

  test('data after the end-of-archive marker is ignored', () => {
    const archive = Buffer.concat([headerBlock({ name: 'a.txt', size: 1 }), blocksOf('a'), END_OF_ARCHIVE, Buffer.from('trailing garbage')]);

    const read = readArchive(archive, 100);

    expect(read).toHaveLength(1);
  });

  test.each([
    ['cut inside the content of an entry', (archive: Buffer) => archive.subarray(0, BLOCK + 100), 'the archive ended inside a.txt, 500 bytes of its content missing'],
    ['cut in the padding after the content', (archive: Buffer) => archive.subarray(0, BLOCK + 700), 'the archive ended before its end-of-archive marker; the stream was cut'],
    ['cut between two entries', (archive: Buffer) => archive.subarray(0, 3 * BLOCK), 'the archive ended before its end-of-archive marker; the stream was cut'],
    ['cut inside a header', (archive: Buffer) => archive.subarray(0, 3 * BLOCK + 100), 'the archive ended before its end-of-archive marker; the stream was cut'],
    ['empty', () => Buffer.alloc(0), 'the archive ended before its end-of-archive marker; the stream was cut'],
  ])('archive %s is rejected', (_case, cut, message) => {
    const archive = Buffer.concat([headerBlock({ name: 'a.txt', size: 600 }), blocksOf('a'.repeat(600)), headerBlock({ name: 'b.txt', size: 1 }), blocksOf('b'), END_OF_ARCHIVE]);

    expect(() => readArchive(cut(archive), 64)).toThrow(`invalid tar archive: ${message}`);
  });

  test('header with a wrong checksum is rejected', () => {
    const block = headerBlock({ name: 'a.txt' });
    block[0] = 'b'.charCodeAt(0);

    expect(() => readArchive(Buffer.concat([block, END_OF_ARCHIVE]))).toThrow('a header checksum does not match; the archive is corrupt or not a tar archive');
  });

  test('size field that is not octal is rejected', () => {
    const block = headerBlock({ name: 'a.txt' });
    block.write('12345678901x', 124, 'latin1');
    block.fill(' ', 148, 156);
    let sum = 0;
    for (const byte of block) sum += byte;
    block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');

    expect(() => readArchive(Buffer.concat([block, END_OF_ARCHIVE]))).toThrow('the size field "12345678901x" is not an octal number');
  });

  test('PAX record over 1 MiB is rejected', () => {
    const archive = Buffer.concat([headerBlock({ name: 'PaxHeader', type: 'x', size: 2 * 1024 * 1024 }), END_OF_ARCHIVE]);

    expect(() => readArchive(archive)).toThrow('a PAX record of 2097152 bytes exceeds the 1048576-byte limit');
  });
});

describe('parsePaxRecords', () => {
  test('records with multi-byte characters and = in values are read', () => {
    const data = Buffer.from(paxRecord('path', 'dist/ünïcode=name.txt') + paxRecord('comment', 'a=b=c'), 'utf8');

    const records = parsePaxRecords(data);

    expect(Object.fromEntries(records)).toEqual({ path: 'dist/ünïcode=name.txt', comment: 'a=b=c' });
  });

  test('NUL padding after the last record is ignored', () => {
    const data = Buffer.concat([Buffer.from(paxRecord('path', 'a')), Buffer.alloc(20)]);

    expect(Object.fromEntries(parsePaxRecords(data))).toEqual({ path: 'a' });
  });

  test.each([
    ['a length longer than the data', '99 path=a\n'],
    ['a record not ending in a newline', '11 path=abc'],
    ['a record without a length', 'path=a\n'],
  ])('%s is rejected', (_case, text) => {
    expect(() => parsePaxRecords(Buffer.from(text))).toThrow('a PAX record is malformed');
  });
});
