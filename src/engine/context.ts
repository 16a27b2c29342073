// Packs a build context into a tar stream the way the Docker CLI does for the
// classic builder. It applies .dockerignore, sets owners to 0, keeps symbolic links
// as links, and sends the (rewritten) Dockerfile in place of the file on disk.
// The folder is walked while the stream is read, so memory stays bounded.

import { randomBytes } from 'node:crypto';
import { lstat, open, readdir, readFile, readlink, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';

import tar, { type Header, type Pack } from 'tar-stream';

import { debug } from '../debug.js';
import { InputError, WeldError } from '../errors.js';
import { IgnoreRules, isInsideFolder, parseDockerignore, type IgnoreMatch } from './dockerignore.js';

/** Input of packContext: the folder, the Dockerfile and its content. */
export interface PackOptions {
  /** Absolute path of the context folder. */
  contextDir: string;
  /**
   * Dockerfile path relative to the context, forward slashes (`docker/Dockerfile.builder`).
   * An absolute path is taken relative to the context. A Dockerfile outside the
   * context is sent under a generated name, as the Docker CLI does.
   */
  dockerfilePath: string;
  /** Dockerfile content to send instead of the file on disk. */
  dockerfileContent: Buffer;
  /** Aborting destroys the stream with the signal's reason and stops the walk. */
  signal?: AbortSignal;
}

/** A context being packed. */
export interface PackedContext {
  /** The tar stream. Destroying it stops the walk. */
  stream: Readable;
  /** Path of the Dockerfile inside the tar, to pass as the `dockerfile` build option. */
  dockerfile: string;
}

const DOCKERIGNORE_NAME = '.dockerignore';
/** Size of the reads from a file into the tar stream. */
const FILE_CHUNK_BYTES = 64 * 1024;
/** Mode of a Dockerfile sent in place of a link or of a missing file. */
const DEFAULT_FILE_MODE = 0o644;
/** Mode of the entries the CLI adds for a Dockerfile from outside the context. */
const GENERATED_FILE_MODE = 0o600;

/** A tar header as `pack.entry` takes it: a name and what differs from the defaults. */
type EntryHeader = Partial<Header> & Pick<Header, 'name'>;

interface DockerfilePlacement {
  /** Path of the Dockerfile inside the tar. */
  name: string;
  /** False when the Dockerfile lies outside the context folder. */
  inside: boolean;
}

interface WalkState {
  contextDir: string;
  rules: IgnoreRules;
  dockerfile: DockerfilePlacement;
  dockerfileContent: Buffer;
  /** Content to send for .dockerignore, or undefined to send the file as it is on disk. */
  dockerignoreContent: Buffer | undefined;
  pack: Pack;
  output: PassThrough;
  /** First tar path of each file with several hard links, by device and inode. */
  hardLinks: Map<string, string>;
  dockerfileSent: boolean;
  dockerignoreSent: boolean;
}

/** Stops the walk without an error once the stream is gone. */
class StreamClosed extends Error {}

function toTarPath(relativePath: string): string {
  return relativePath.split(path.sep).join('/');
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function compareBytes(left: string, right: string): number {
  return Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8'));
}

function placeDockerfile(contextDir: string, dockerfilePath: string): DockerfilePlacement {
  const relative = path.isAbsolute(dockerfilePath)
    ? toTarPath(path.relative(contextDir, dockerfilePath))
    : path.posix.normalize(toTarPath(dockerfilePath));
  if (relative === '..' || relative.startsWith('../') || path.posix.isAbsolute(relative)) {
    // The CLI's name: `.dockerfile.` and 20 random hexadecimal digits.
    return { name: `.dockerfile.${randomBytes(10).toString('hex')}`, inside: false };
  }
  return { name: relative.replace(/^(\.\/)+/, ''), inside: true };
}

async function checkContextDir(contextDir: string): Promise<void> {
  let stats: Stats;
  try {
    stats = await stat(contextDir);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') {
      throw new InputError(`build context ${contextDir} does not exist`, { hint: 'Check the context path of the step.', cause: error });
    }
    throw new InputError(`cannot read build context ${contextDir}`, { hint: 'Check that the folder is readable.', cause: error });
  }
  if (!stats.isDirectory()) {
    throw new InputError(`build context ${contextDir} is not a directory`, { hint: 'Point the context at the directory that contains the sources.' });
  }
}

async function readDockerignore(contextDir: string): Promise<{ content: Buffer | undefined; rules: IgnoreRules }> {
  const file = path.join(contextDir, DOCKERIGNORE_NAME);
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { content: undefined, rules: new IgnoreRules([]) };
    throw new InputError(`cannot read ${file}`, { hint: 'Make the file readable, or remove it.', cause: error });
  }
  return { content, rules: new IgnoreRules(parseDockerignore(content.toString('utf8'), file)) };
}

/**
 * Loads the .dockerignore of a context and returns a test that is true when a path
 * (relative, forward slashes) is left out of the context tar. The .dockerignore file
 * and, when given, the Dockerfile are always sent, as the Docker CLI does.
 */
export async function loadIgnoreMatcher(contextDir: string, dockerfilePath?: string): Promise<(relativePath: string) => boolean> {
  const { rules } = await readDockerignore(contextDir);
  const alwaysSent = [DOCKERIGNORE_NAME];
  if (dockerfilePath !== undefined) {
    const placement = placeDockerfile(contextDir, dockerfilePath);
    if (placement.inside) alwaysSent.push(placement.name);
  }

  return (relativePath) => {
    const cleaned = path.posix.normalize(relativePath).replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    if (cleaned === '.' || cleaned === '' || cleaned === '..' || cleaned.startsWith('../')) return false;
    return rules.isExcluded(cleaned, alwaysSent);
  };
}

/** Resolves once `stream` has room for more, or has closed. */
function waitForDrain(stream: Writable | NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

/** Waits while the consumer is behind, so header-only entries cannot pile up in memory either. */
async function waitForConsumer(state: WalkState): Promise<void> {
  if (state.output.writableNeedDrain && !state.output.destroyed) await waitForDrain(state.output);
  if (state.output.destroyed) throw new StreamClosed();
}

function noteSent(state: WalkState, name: string): void {
  if (name === state.dockerfile.name) state.dockerfileSent = true;
  if (name === DOCKERIGNORE_NAME) state.dockerignoreSent = true;
}

/** Ignores an error of a tar entry that is reported elsewhere: by the entry's callback or the walk. */
function ignoreEntryError(): void {}

async function addEntry(state: WalkState, header: EntryHeader, body?: Buffer): Promise<void> {
  await waitForConsumer(state);
  await new Promise<void>((resolve, reject) => {
    const done = (error?: Error | null): void => (error ? reject(error) : resolve());
    const sink = body === undefined ? state.pack.entry(header, done) : state.pack.entry(header, body, done);
    sink.on('error', ignoreEntryError);
  });
  noteSent(state, header.name);
}

function changedWhileSending(relativePath: string): WeldError {
  return new WeldError(`${relativePath} in the build context changed while it was being sent`, {
    hint: 'Build again once the file is written.',
  });
}

/** Streams a file's content into a tar entry, reading exactly `header.size` bytes. */
async function addFileFromDisk(state: WalkState, header: EntryHeader, absolutePath: string, relativePath: string): Promise<void> {
  const handle = await open(absolutePath, 'r');
  try {
    await waitForConsumer(state);
    let entryFailed = false;
    let finishEntry!: (error?: Error | null) => void;
    const finished = new Promise<void>((resolve, reject) => {
      finishEntry = (error) => (error ? reject(error) : resolve());
    });
    // When reading fails first, the entry fails as a consequence and is not awaited.
    finished.catch(ignoreEntryError);
    const sink = state.pack.entry(header, (error) => {
      entryFailed = Boolean(error);
      finishEntry(error);
    });
    // Destroying the pack destroys the entry being written with an error event.
    sink.on('error', ignoreEntryError);

    let remaining = header.size ?? 0;
    while (remaining > 0 && !entryFailed && !state.output.destroyed) {
      // A fresh buffer for each read, because the tar stream keeps the chunks it is given.
      const chunk = Buffer.allocUnsafe(Math.min(FILE_CHUNK_BYTES, remaining));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) {
        const error = changedWhileSending(relativePath);
        sink.destroy(error);
        throw error;
      }
      remaining -= bytesRead;
      if (!sink.write(chunk.subarray(0, bytesRead))) await waitForDrain(sink);
    }
    // streamx declares end() with a chunk; an undefined chunk just ends the entry.
    sink.end(undefined);
    await finished;
  } finally {
    await handle.close();
  }
  noteSent(state, header.name);
}

function baseHeader(name: string, stats: Stats): EntryHeader {
  // The full mode keeps the file-type bits, so a mode of 000 is not replaced by a default.
  return { name, mode: stats.mode, mtime: stats.mtime, uid: 0, gid: 0 };
}

async function addPath(state: WalkState, absolutePath: string, relativePath: string, parent: IgnoreMatch | undefined): Promise<void> {
  let stats: Stats;
  try {
    stats = await lstat(absolutePath);
  } catch (error) {
    // A file removed since the folder was listed is simply not sent.
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }

  // These two are sent with the content given, as regular files even when a link is on disk.
  const replacement =
    relativePath === state.dockerfile.name && state.dockerfile.inside
      ? state.dockerfileContent
      : relativePath === DOCKERIGNORE_NAME
        ? state.dockerignoreContent
        : undefined;
  if (replacement !== undefined) {
    const mode = stats.isFile() ? stats.mode & 0o7777 : DEFAULT_FILE_MODE;
    await addEntry(state, { ...baseHeader(relativePath, stats), type: 'file', mode }, replacement);
    return;
  }

  const match = state.rules.match(relativePath, parent);
  const alwaysSent = relativePath === DOCKERIGNORE_NAME;
  const excluded = match.excluded && !alwaysSent;

  if (stats.isDirectory()) {
    const holdsDockerfile = state.dockerfile.inside && isInsideFolder(state.dockerfile.name, relativePath);
    if (excluded && !holdsDockerfile && !state.rules.entersExcludedFolder(relativePath)) return;
    // An excluded folder that is still entered gets no entry of its own, as with the CLI.
    if (!excluded) await addEntry(state, { ...baseHeader(relativePath + '/', stats), type: 'directory' });
    await addFolder(state, absolutePath, relativePath, match);
    return;
  }
  if (excluded) return;

  if (stats.isSymbolicLink()) {
    await addEntry(state, { ...baseHeader(relativePath, stats), type: 'symlink', linkname: await readlink(absolutePath) });
    return;
  }
  if (!stats.isFile()) {
    debug('context', `skipped ${relativePath}: sockets, fifos and devices are not sent`);
    return;
  }
  if (stats.nlink > 1) {
    const inode = `${stats.dev}:${stats.ino}`;
    const firstPath = state.hardLinks.get(inode);
    if (firstPath !== undefined) {
      await addEntry(state, { ...baseHeader(relativePath, stats), type: 'link', linkname: firstPath });
      return;
    }
    state.hardLinks.set(inode, relativePath);
  }
  await addFileFromDisk(state, { ...baseHeader(relativePath, stats), type: 'file', size: stats.size }, absolutePath, relativePath);
}

async function addFolder(state: WalkState, absoluteFolder: string, relativeFolder: string, folderMatch: IgnoreMatch | undefined): Promise<void> {
  // Sorted by bytes, the order in which Go's filepath.WalkDir visits entries.
  const names = (await readdir(absoluteFolder)).sort(compareBytes);
  for (const name of names) {
    const relativePath = relativeFolder === '' ? name : `${relativeFolder}/${name}`;
    await addPath(state, path.join(absoluteFolder, name), relativePath, folderMatch);
  }
}

function wrapWalkError(error: unknown, contextDir: string): Error {
  if (error instanceof WeldError) return error;
  const failedPath = (error as NodeJS.ErrnoException | undefined)?.path;
  const where = failedPath === undefined ? contextDir : failedPath;
  if (errorCode(error) === 'EACCES' || errorCode(error) === 'EPERM') {
    return new InputError(`cannot read ${where} in the build context: permission denied`, {
      hint: 'Make it readable, or exclude it in .dockerignore.',
      cause: error,
    });
  }
  return new WeldError(`failed to pack the build context ${contextDir} at ${where}`, { cause: error });
}

/** Adds what the walk did not meet: a Dockerfile from outside the context, a missing .dockerignore. */
async function addRemainingEntries(state: WalkState): Promise<void> {
  const now = new Date();
  if (!state.dockerfileSent) {
    const mode = state.dockerfile.inside ? DEFAULT_FILE_MODE : GENERATED_FILE_MODE;
    await addEntry(state, { name: state.dockerfile.name, type: 'file', mode, mtime: now, uid: 0, gid: 0 }, state.dockerfileContent);
  }
  if (!state.dockerignoreSent && state.dockerignoreContent !== undefined) {
    const header: EntryHeader = { name: DOCKERIGNORE_NAME, type: 'file', mode: GENERATED_FILE_MODE, mtime: now, uid: 0, gid: 0 };
    await addEntry(state, header, state.dockerignoreContent);
  }
}

async function walkContext(state: WalkState): Promise<void> {
  try {
    await addFolder(state, state.contextDir, '', undefined);
    await addRemainingEntries(state);
    state.pack.finalize();
  } catch (error) {
    if (error instanceof StreamClosed || state.output.destroyed) {
      state.pack.destroy();
      return;
    }
    const wrapped = wrapWalkError(error, state.contextDir);
    debug('context', `packing ${state.contextDir} failed:`, wrapped.message);
    state.pack.destroy();
    state.output.destroy(wrapped);
  }
}

/**
 * Packs a context folder into a tar stream. The .dockerignore file and the Dockerfile
 * are always sent, the Dockerfile with `dockerfileContent`, and nothing is written to
 * disk. Rejects with an InputError when the folder or its .dockerignore is unusable.
 * An error met during the walk destroys the stream with that error.
 */
export async function packContext(options: PackOptions): Promise<PackedContext> {
  options.signal?.throwIfAborted();
  await checkContextDir(options.contextDir);
  const dockerfile = placeDockerfile(options.contextDir, options.dockerfilePath);
  const dockerignore = await readDockerignore(options.contextDir);

  // The CLI names a Dockerfile from outside the context in .dockerignore, so that
  // the engine removes it from what COPY and ADD see.
  let dockerignoreContent: Buffer | undefined;
  if (!dockerfile.inside) {
    const existing = dockerignore.content ?? Buffer.from(DOCKERIGNORE_NAME);
    dockerignoreContent = Buffer.concat([existing, Buffer.from(`\n${dockerfile.name}\n`)]);
  }

  const pack = tar.pack();
  const output = new PassThrough();
  pack.pipe(output);
  // Once the consumer is gone, destroying the pack wakes a walk that waits for room.
  output.once('close', () => pack.destroy());
  // A pack error also reaches the consumer: the output failed or closed, or the walk destroys the output with it.
  pack.on('error', (error: Error) => debug('context', `tar stream of ${options.contextDir} stopped:`, error.message));

  const { signal } = options;
  if (signal) {
    const abort = (): void => {
      output.destroy(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    };
    signal.addEventListener('abort', abort, { once: true });
    output.once('close', () => signal.removeEventListener('abort', abort));
    // The signal may have fired while the folder and .dockerignore were checked.
    if (signal.aborted) abort();
  }

  const state: WalkState = {
    contextDir: options.contextDir,
    rules: dockerignore.rules,
    dockerfile,
    dockerfileContent: options.dockerfileContent,
    dockerignoreContent,
    pack,
    output,
    hardLinks: new Map(),
    dockerfileSent: false,
    dockerignoreSent: false,
  };
  void walkContext(state);
  return { stream: output, dockerfile: dockerfile.name };
}
