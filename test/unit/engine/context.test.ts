import { chmod, link, mkdir, mkdtemp, rm, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';

import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { loadIgnoreMatcher, packContext } from '../../../src/engine/context.js';
import { InputError } from '../../../src/errors.js';

interface TarEntry {
  /** Entry name, with a trailing slash for a folder. */
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname: string | null;
  content: Buffer;
}

let contextDir: string;

beforeEach(async () => {
  contextDir = await mkdtemp(path.join(os.tmpdir(), 'weld-context-'));
});

afterEach(async () => {
  await rm(contextDir, { recursive: true, force: true });
});

async function readTar(stream: Readable): Promise<TarEntry[]> {
  const extract = tar.extract();
  const entries: TarEntry[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    stream.on('error', reject);
  });
  extract.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: unknown) => {
      chunks.push(chunk as Buffer);
    });
    body.on('end', () => {
      const name = header.type === 'directory' && !header.name.endsWith('/') ? header.name + '/' : header.name;
      entries.push({
        name,
        type: header.type,
        mode: header.mode,
        uid: header.uid,
        gid: header.gid,
        mtime: header.mtime.getTime() / 1000,
        linkname: header.linkname ?? null,
        content: Buffer.concat(chunks),
      });
      next();
    });
  });
  stream.pipe(extract);
  await done;
  return entries;
}

async function writeFiles(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [relativePath, content] of Object.entries(files)) {
    const file = path.join(root, relativePath);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

async function packEntries(dockerfilePath = 'Dockerfile', dockerfileContent = Buffer.from('FROM scratch\n')): Promise<TarEntry[]> {
  const packed = await packContext({ contextDir, dockerfilePath, dockerfileContent });
  return readTar(packed.stream);
}

const TREE_FILES = [
  '#notes',
  'a.txt',
  'b.log',
  'src/main.go',
  'src/lib/util.go',
  'src/lib/util_test.go',
  'src/keep.txt',
  'build/out.bin',
  'build/keep.txt',
  'build/sub/deep.txt',
  'docs/readme.md',
  'docs/build/x.md',
  'c++/x.h',
  'deep/a/b/c.log',
];

/** Every entry of the tree in the order the Docker CLI sends them, with .dockerignore. */
const ALL_ENTRIES = [
  '#notes',
  '.dockerignore',
  'Dockerfile',
  'a.txt',
  'b.log',
  'build/',
  'build/keep.txt',
  'build/out.bin',
  'build/sub/',
  'build/sub/deep.txt',
  'c++/',
  'c++/x.h',
  'deep/',
  'deep/a/',
  'deep/a/b/',
  'deep/a/b/c.log',
  'docs/',
  'docs/build/',
  'docs/build/x.md',
  'docs/readme.md',
  'src/',
  'src/keep.txt',
  'src/lib/',
  'src/lib/util.go',
  'src/lib/util_test.go',
  'src/main.go',
];

function allBut(...left: string[]): string[] {
  return ALL_ENTRIES.filter((entry) => !left.includes(entry));
}

interface IgnoreCase {
  name: string;
  dockerignore: string;
  entries: string[];
}

// Each expected list is what Docker CLI 28.2 sends with DOCKER_BUILDKIT=0 for the same tree.
const ignoreCases: IgnoreCase[] = [
  { name: 'a top-level wildcard', dockerignore: '*.log', entries: allBut('b.log') },
  { name: 'a ** wildcard at any depth', dockerignore: '**/*.log', entries: allBut('b.log', 'deep/a/b/c.log') },
  {
    name: 'an exception inside an excluded folder, sent without the folder entry',
    dockerignore: 'build\n!build/keep.txt',
    entries: allBut('build/', 'build/out.bin', 'build/sub/', 'build/sub/deep.txt'),
  },
  {
    name: 'a wildcard exception, which does not reach into an excluded folder',
    dockerignore: 'build\n!**/keep.txt',
    entries: allBut('build/', 'build/keep.txt', 'build/out.bin', 'build/sub/', 'build/sub/deep.txt'),
  },
  {
    name: 'an exception whose folder prefix matches but whose wildcard does not reach',
    dockerignore: 'deep\n!deep/*/b',
    entries: allBut('deep/', 'deep/a/', 'deep/a/b/', 'deep/a/b/c.log'),
  },
  {
    name: 'the last match winning',
    dockerignore: '*\n!src\nsrc/lib',
    entries: ['.dockerignore', 'Dockerfile', 'src/', 'src/keep.txt', 'src/main.go'],
  },
  {
    name: 'a later exception on the parent, which does not take back a subfolder',
    dockerignore: 'docs/build\n!docs',
    entries: allBut('docs/build/', 'docs/build/x.md'),
  },
  {
    name: 'leading and trailing slashes',
    dockerignore: '/build/',
    entries: allBut('build/', 'build/keep.txt', 'build/out.bin', 'build/sub/', 'build/sub/deep.txt'),
  },
  { name: '. and .. segments', dockerignore: './build/../docs', entries: allBut('docs/', 'docs/build/', 'docs/build/x.md', 'docs/readme.md') },
  { name: 'a comment line', dockerignore: '#notes', entries: ALL_ENTRIES },
  { name: 'a # after leading spaces, which is a pattern', dockerignore: '  #notes', entries: allBut('#notes') },
  {
    name: 'trailing spaces and blank lines',
    dockerignore: 'build   \n\t\n\n',
    entries: allBut('build/', 'build/keep.txt', 'build/out.bin', 'build/sub/', 'build/sub/deep.txt'),
  },
  {
    name: 'a UTF-8 byte order mark',
    dockerignore: '\uFEFFbuild',
    entries: allBut('build/', 'build/keep.txt', 'build/out.bin', 'build/sub/', 'build/sub/deep.txt'),
  },
  {
    name: 'a byte order mark before a comment',
    dockerignore: '\uFEFF#comment\nsrc',
    entries: allBut('src/', 'src/keep.txt', 'src/lib/', 'src/lib/util.go', 'src/lib/util_test.go', 'src/main.go'),
  },
  {
    name: 'CRLF line endings',
    dockerignore: 'build\r\n!build/keep.txt\r\n',
    entries: allBut('build/', 'build/out.bin', 'build/sub/', 'build/sub/deep.txt'),
  },
  { name: 'everything excluded', dockerignore: '**', entries: ['.dockerignore', 'Dockerfile'] },
  { name: 'the Dockerfile and .dockerignore excluded', dockerignore: 'Dockerfile\n.dockerignore', entries: ALL_ENTRIES },
  { name: 'a plain name with regular-expression characters', dockerignore: 'c++', entries: allBut('c++/', 'c++/x.h') },
  { name: 'a wildcard after regular-expression characters', dockerignore: 'c++/*.h', entries: allBut('c++/x.h') },
  { name: 'a leading ** without a slash', dockerignore: '**.log', entries: allBut('b.log', 'deep/a/b/c.log') },
  {
    name: 'an exception two folders down',
    dockerignore: 'build/*\n!build/sub/deep.txt',
    entries: allBut('build/keep.txt', 'build/out.bin', 'build/sub/'),
  },
  { name: 'a ? wildcard', dockerignore: '?.txt', entries: allBut('a.txt') },
  { name: 'a character class', dockerignore: '[ab].*', entries: allBut('a.txt', 'b.log') },
  { name: 'a ** in the middle', dockerignore: 'src/**/util*.go', entries: allBut('src/lib/util.go', 'src/lib/util_test.go') },
  { name: 'a folder with a trailing slash', dockerignore: 'src/lib/', entries: allBut('src/lib/', 'src/lib/util.go', 'src/lib/util_test.go') },
  { name: 'a trailing **', dockerignore: 'docs/**', entries: allBut('docs/build/', 'docs/build/x.md', 'docs/readme.md') },
];

describe('packContext with .dockerignore', () => {
  beforeEach(async () => {
    await writeFiles(contextDir, Object.fromEntries(TREE_FILES.map((file) => [file, `${file}\n`])));
    await writeFile(path.join(contextDir, 'Dockerfile'), 'FROM scratch\n');
  });

  it('sends everything without .dockerignore', async () => {
    const entries = await packEntries();

    expect(entries.map((entry) => entry.name)).toEqual(allBut('.dockerignore'));
  });

  it.each(ignoreCases)('sends the entries Docker sends for $name', async ({ dockerignore, entries }) => {
    await writeFile(path.join(contextDir, '.dockerignore'), dockerignore);

    const sent = await packEntries();

    expect(sent.map((entry) => entry.name)).toEqual(entries);
  });

  it('sends a Dockerfile in an excluded folder', async () => {
    await writeFiles(contextDir, { '.dockerignore': 'build\n', 'build/Dockerfile.b': 'FROM busybox\n' });

    const packed = await packContext({ contextDir, dockerfilePath: 'build/Dockerfile.b', dockerfileContent: Buffer.from('FROM weld\n') });
    const entries = await readTar(packed.stream);

    expect(packed.dockerfile).toBe('build/Dockerfile.b');
    expect(entries.map((entry) => entry.name)).toEqual([
      ...ALL_ENTRIES.slice(0, 5),
      'build/Dockerfile.b',
      ...allBut('build/', 'build/keep.txt', 'build/out.bin', 'build/sub/', 'build/sub/deep.txt').slice(5),
    ]);
    expect(entries.find((entry) => entry.name === 'build/Dockerfile.b')?.content.toString()).toBe('FROM weld\n');
  });

  it('rejects a lone ! with the file and line', async () => {
    await writeFile(path.join(contextDir, '.dockerignore'), '*.log\n!\n');

    const packing = packContext({ contextDir, dockerfilePath: 'Dockerfile', dockerfileContent: Buffer.from('') });

    await expect(packing).rejects.toBeInstanceOf(InputError);
    await expect(packing).rejects.toThrow(`${path.join(contextDir, '.dockerignore')} line 2`);
  });

  it.each(['a[', 'a[]', 'a\\', '[a-]x'])('rejects the malformed pattern %s', async (pattern) => {
    await writeFile(path.join(contextDir, '.dockerignore'), `${pattern}\n`);

    const packing = packContext({ contextDir, dockerfilePath: 'Dockerfile', dockerfileContent: Buffer.from('') });

    await expect(packing).rejects.toThrow(/\.dockerignore line 1: invalid pattern/);
  });
});

describe('packContext entries', () => {
  it('sends the given Dockerfile content', async () => {
    await writeFiles(contextDir, { 'docker/Dockerfile.builder': 'FROM builder\n' });
    const rewritten = Buffer.from('# café\nFROM weld-run-1/builder:latest\r\n');

    const packed = await packContext({ contextDir, dockerfilePath: 'docker/Dockerfile.builder', dockerfileContent: rewritten });
    const entries = await readTar(packed.stream);

    expect(packed.dockerfile).toBe('docker/Dockerfile.builder');
    expect(entries.map((entry) => entry.name)).toEqual(['docker/', 'docker/Dockerfile.builder']);
    expect(entries[1]!.content.equals(rewritten)).toBe(true);
  });

  it('accepts absolute and ./ Dockerfile paths', async () => {
    await writeFiles(contextDir, { 'Dockerfile.x': 'FROM a\n' });

    const absolute = await packContext({ contextDir, dockerfilePath: path.join(contextDir, 'Dockerfile.x'), dockerfileContent: Buffer.from('A') });
    const dotted = await packContext({ contextDir, dockerfilePath: './Dockerfile.x', dockerfileContent: Buffer.from('B') });
    const absoluteEntries = await readTar(absolute.stream);
    const dottedEntries = await readTar(dotted.stream);

    expect(absolute.dockerfile).toBe('Dockerfile.x');
    expect(dotted.dockerfile).toBe('Dockerfile.x');
    expect(absoluteEntries.map((entry) => entry.content.toString())).toEqual(['A']);
    expect(dottedEntries.map((entry) => entry.content.toString())).toEqual(['B']);
  });

  it('keeps symbolic links unfollowed', async () => {
    await writeFiles(contextDir, { 'Dockerfile': 'FROM a\n', 'src/main.go': 'package main\n' });
    await symlink('src/main.go', path.join(contextDir, 'link'));
    await symlink('src', path.join(contextDir, 'folder-link'));
    await symlink('/does/not/exist', path.join(contextDir, 'dangling'));

    const entries = await packEntries();

    expect(entries.map((entry) => [entry.name, entry.type, entry.linkname])).toEqual([
      ['Dockerfile', 'file', null],
      ['dangling', 'symlink', '/does/not/exist'],
      ['folder-link', 'symlink', 'src'],
      ['link', 'symlink', 'src/main.go'],
      ['src/', 'directory', null],
      ['src/main.go', 'file', null],
    ]);
  });

  it('sends later hard links as links', async () => {
    await writeFiles(contextDir, { 'Dockerfile': 'FROM a\n', 'a.bin': 'data\n' });
    await link(path.join(contextDir, 'a.bin'), path.join(contextDir, 'b.bin'));

    const entries = await packEntries();

    expect(entries.map((entry) => [entry.name, entry.type, entry.linkname, entry.content.toString()])).toEqual([
      ['Dockerfile', 'file', null, 'FROM scratch\n'],
      ['a.bin', 'file', null, 'data\n'],
      ['b.bin', 'link', 'a.bin', ''],
    ]);
  });

  it('keeps modes and mtimes with owner 0', async () => {
    await writeFiles(contextDir, { 'Dockerfile': 'FROM a\n', 'bin/run': '#!/bin/sh\n', 'secret': 'x' });
    await chmod(path.join(contextDir, 'Dockerfile'), 0o644);
    await chmod(path.join(contextDir, 'bin/run'), 0o4755);
    await chmod(path.join(contextDir, 'secret'), 0o600);
    await chmod(path.join(contextDir, 'bin'), 0o750);
    const mtime = new Date('2024-02-03T04:05:06Z');
    await utimes(path.join(contextDir, 'bin/run'), mtime, mtime);

    const entries = await packEntries();

    expect(entries.map((entry) => [entry.name, entry.mode.toString(8), entry.uid, entry.gid])).toEqual([
      ['Dockerfile', '644', 0, 0],
      ['bin/', '750', 0, 0],
      ['bin/run', '4755', 0, 0],
      ['secret', '600', 0, 0],
    ]);
    expect(entries[2]!.mtime).toBe(mtime.getTime() / 1000);
  });

  it('sends non-ASCII and long names', async () => {
    const longName = `${'folder-'.repeat(20)}/${'file-'.repeat(30)}.txt`;
    await writeFiles(contextDir, { 'Dockerfile': 'FROM a\n', 'é☕.txt': 'x', [longName]: 'y' });

    const entries = await packEntries();

    expect(entries.map((entry) => entry.name)).toEqual(['Dockerfile', `${'folder-'.repeat(20)}/`, longName, 'é☕.txt']);
  });

  it('skips sockets', async () => {
    await writeFiles(contextDir, { 'Dockerfile': 'FROM a\n' });
    const net = await import('node:net');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(contextDir, 'app.sock'), resolve));

    try {
      const entries = await packEntries();

      expect(entries.map((entry) => entry.name)).toEqual(['Dockerfile']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('renames a Dockerfile from outside', async () => {
    await writeFiles(contextDir, { 'ctx/.dockerignore': '*.log\n', 'ctx/app.txt': 'a', 'ctx/debug.log': 'd', 'elsewhere/Dockerfile': 'FROM a\n' });
    const context = path.join(contextDir, 'ctx');

    const packed = await packContext({ contextDir: context, dockerfilePath: '../elsewhere/Dockerfile', dockerfileContent: Buffer.from('FROM b\n') });
    const entries = await readTar(packed.stream);

    expect(packed.dockerfile).toMatch(/^\.dockerfile\.[0-9a-f]{20}$/);
    expect(entries.map((entry) => entry.name)).toEqual(['.dockerignore', 'app.txt', packed.dockerfile]);
    expect(entries[0]!.content.toString()).toBe(`*.log\n\n${packed.dockerfile}\n`);
    expect(entries[2]!.content.toString()).toBe('FROM b\n');
    expect(entries[2]!.mode).toBe(0o600);
  });

  it('adds .dockerignore for an outside Dockerfile', async () => {
    await writeFiles(contextDir, { 'ctx/app.txt': 'a' });
    const context = path.join(contextDir, 'ctx');

    const packed = await packContext({ contextDir: context, dockerfilePath: path.join(contextDir, 'Dockerfile'), dockerfileContent: Buffer.from('FROM b\n') });
    const entries = await readTar(packed.stream);

    expect(entries.map((entry) => entry.name)).toEqual(['app.txt', packed.dockerfile, '.dockerignore']);
    expect(entries[2]!.content.toString()).toBe(`.dockerignore\n${packed.dockerfile}\n`);
  });

  it('rejects a missing context directory', async () => {
    const missing = path.join(contextDir, 'missing');

    const packing = packContext({ contextDir: missing, dockerfilePath: 'Dockerfile', dockerfileContent: Buffer.from('') });

    await expect(packing).rejects.toBeInstanceOf(InputError);
    await expect(packing).rejects.toThrow(`build context ${missing} does not exist`);
  });
});

describe('packContext streaming', () => {
  // Both tests count the bytes held in Buffers while the stream is not read.
  // Without backpressure the walk would keep reading and buffer everything.
  it('bounds memory for a large file', async () => {
    await writeFiles(contextDir, { Dockerfile: 'FROM a\n' });
    await writeFile(path.join(contextDir, 'big.bin'), '');
    await truncate(path.join(contextDir, 'big.bin'), 64 * 1024 * 1024);
    const before = process.memoryUsage().arrayBuffers;

    const packed = await packContext({ contextDir, dockerfilePath: 'Dockerfile', dockerfileContent: Buffer.from('FROM a\n') });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const grown = process.memoryUsage().arrayBuffers - before;
    packed.stream.destroy();

    expect(grown).toBeLessThan(8 * 1024 * 1024);
  });

  it('bounds memory for many header-only entries', async () => {
    await writeFiles(contextDir, { Dockerfile: 'FROM a\n' });
    // A link target longer than 100 bytes takes a PAX header, about 1.5 KB an entry.
    const target = 'x'.repeat(200);
    for (let index = 0; index < 3000; index++) await symlink(target, path.join(contextDir, `link-${index}`));
    const before = process.memoryUsage().arrayBuffers;

    const packed = await packContext({ contextDir, dockerfilePath: 'Dockerfile', dockerfileContent: Buffer.from('FROM a\n') });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const grown = process.memoryUsage().arrayBuffers - before;
    packed.stream.destroy();

    expect(grown).toBeLessThan(1024 * 1024);
  });

  it('streams a large file in full', async () => {
    await writeFiles(contextDir, { Dockerfile: 'FROM a\n' });
    const content = Buffer.alloc(3 * 1024 * 1024 + 17, 'weld');
    await writeFile(path.join(contextDir, 'big.bin'), content);

    const entries = await packEntries();

    expect(entries.map((entry) => entry.name)).toEqual(['Dockerfile', 'big.bin']);
    expect(entries[1]!.content.equals(content)).toBe(true);
  });

  it('destroys the stream on abort', async () => {
    await writeFiles(contextDir, { Dockerfile: 'FROM a\n' });
    await writeFile(path.join(contextDir, 'big.bin'), '');
    await truncate(path.join(contextDir, 'big.bin'), 64 * 1024 * 1024);
    const controller = new AbortController();
    const packed = await packContext({ contextDir, dockerfilePath: 'Dockerfile', dockerfileContent: Buffer.from('FROM a\n'), signal: controller.signal });
    let received = 0;

    const reading = new Promise((resolve, reject) => {
      packed.stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > 1024 * 1024) controller.abort();
      });
      packed.stream.on('end', resolve);
      packed.stream.on('error', reject);
    });

    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(received).toBeLessThan(64 * 1024 * 1024);
  });

  it('stops when the consumer destroys the stream', async () => {
    await writeFiles(contextDir, { Dockerfile: 'FROM a\n' });
    await writeFile(path.join(contextDir, 'big.bin'), '');
    await truncate(path.join(contextDir, 'big.bin'), 64 * 1024 * 1024);
    const packed = await packContext({ contextDir, dockerfilePath: 'Dockerfile', dockerfileContent: Buffer.from('FROM a\n') });

    const closed = new Promise((resolve) => packed.stream.once('close', resolve));
    packed.stream.once('data', () => packed.stream.destroy());
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(packed.stream.destroyed).toBe(true);
  });

  it('fails when a file shrinks while sent', async () => {
    await writeFiles(contextDir, { Dockerfile: 'FROM a\n' });
    await writeFile(path.join(contextDir, 'growing.log'), '');
    await truncate(path.join(contextDir, 'growing.log'), 8 * 1024 * 1024);
    const packed = await packContext({ contextDir, dockerfilePath: 'Dockerfile', dockerfileContent: Buffer.from('FROM a\n') });
    await new Promise((resolve) => setTimeout(resolve, 100));

    await truncate(path.join(contextDir, 'growing.log'), 1000);
    const reading = readTar(packed.stream);

    await expect(reading).rejects.toThrow('growing.log in the build context changed while it was being sent');
  });

  it('rejects an already aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();

    const packing = packContext({ contextDir, dockerfilePath: 'Dockerfile', dockerfileContent: Buffer.from(''), signal: controller.signal });

    await expect(packing).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('loadIgnoreMatcher', () => {
  const matcherCases: Array<[relativePath: string, excluded: boolean]> = [
    ['build', true],
    ['build/keep.txt', false],
    ['build/out.bin', true],
    ['./build/out.bin', true],
    ['docs', false],
    ['docs/build/x.md', true],
    ['deep/a/b/c.log', true],
    ['deep/Dockerfile.d', false],
    ['.dockerignore', false],
    ['app.log', true],
    ['src/app.log', false],
    ['.', false],
  ];

  it.each(matcherCases)('decides %s as excluded=%s', async (relativePath, excluded) => {
    await writeFile(path.join(contextDir, '.dockerignore'), '.dockerignore\nbuild\n!build/keep.txt\ndocs/build\n!docs\ndeep\n!deep/*/b\n*.log\n');
    const isExcluded = await loadIgnoreMatcher(contextDir, 'deep/Dockerfile.d');

    const decided = isExcluded(relativePath);

    expect(decided).toBe(excluded);
  });

  it('excludes nothing without a .dockerignore', async () => {
    const isExcluded = await loadIgnoreMatcher(contextDir);

    const decided = isExcluded('anything/at/all');

    expect(decided).toBe(false);
  });
});
