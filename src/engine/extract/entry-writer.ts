// Writes archive entries one by one into the staging folder, refusing any entry that
// would be written outside it or through a link.

import { link, lstat, lutimes, mkdir, open, rm, symlink, utimes, chmod } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

import { WeldError } from '../../errors.js';
import { findLinkAncestor, rejectEntry, splitEntryName, type EntrySegments } from './entry-path.js';
import type { TarHeader } from './tar-reader.js';
import { WriteBuffer } from './write-buffer.js';

/** An entry left out of the copy. */
export interface SkippedEntry {
  /** Entry name as the archive spells it. */
  name: string;
  /** Reason it was left out, fit to show. */
  reason: string;
}

/** Mode and mtime of a folder, set once everything inside it is written. */
export interface FolderAttributes {
  mode: number;
  mtime: Date;
}

/** The copied root inside the staging folder, once the archive is written. */
export interface StagedRoot {
  /** Base name the root takes in the destination. */
  name: string;
  /** Host path of the root inside the staging folder. */
  stagedPath: string;
  /** Attributes to set on the root after it is moved, when it is a folder. */
  folder?: FolderAttributes;
}

interface PendingFolder extends FolderAttributes {
  hostPath: string;
  depth: number;
}

/** The file whose content is being written, with the attributes it gets once complete. */
interface OpenFile {
  name: string;
  handle: FileHandle;
  hostPath: string;
  mode: number;
  mtime: Date;
}

/** Folders stay writable by their owner while their content is written. */
const WORKING_FOLDER_MODE = 0o700;
const PERMISSION_BITS = 0o7777;

/** Entry types that are not copied, with the reason shown. */
const SKIPPED_TYPES: Record<string, string> = {
  'character-device': 'character devices are not copied',
  'block-device': 'block devices are not copied',
  fifo: 'named pipes (FIFOs) are not copied',
  'gnu-sparse': 'GNU sparse files are not copied',
};

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Returns true for errors of the filesystem calls. They name their system call, and
 * the path it failed on unless it was made on a file handle (a write, a close).
 */
function isFileSystemError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/**
 * Writes the entries of one archive under `stagedDir`. Every entry must sit under the
 * root of the first entry; that root is written as `rootName` when one is given.
 */
export class EntryWriter {
  /** Bytes of file content received so far; all of them are on disk once the last entry ends. */
  bytes = 0;
  readonly skipped: SkippedEntry[] = [];

  private archiveRoot: string | undefined;
  /** Archive-relative paths (`dist/lib`) of the symlinks written so far. */
  private readonly symlinks = new Set<string>();
  private readonly folders = new Map<string, PendingFolder>();
  /** Archive-relative paths of folders known to exist, to spare a `mkdir` per entry. */
  private readonly existingFolders = new Set<string>();
  private openFile: OpenFile | undefined;

  constructor(
    private readonly stagedDir: string,
    private readonly destinationDir: string,
    private readonly rootName: string | undefined,
    private readonly onProgress: ((bytes: number) => void) | undefined,
    private readonly onSkip: (entry: SkippedEntry) => void,
    private readonly writeBuffer = new WriteBuffer(),
  ) {}

  /**
   * Starts one entry. A file is created here and its content follows through
   * `writeContent` and `endEntry`; any other entry is complete when this returns.
   */
  async startEntry(header: TarHeader): Promise<void> {
    const segments = this.checkEntry(header.name);
    const key = segments.join('/');
    const hostPath = this.hostPathOf(segments);

    await this.wrapFileSystemError(header.name, async () => {
      await this.ensureParent(segments);
      await this.writeByType(header, segments, key, hostPath);
    });
  }

  /**
   * Appends `data` to the file started last. Returns a promise only when `data` had
   * to wait for room in the write buffer. Its owner may reuse `data` once this
   * returns undefined or the promise resolves.
   */
  writeContent(data: Uint8Array): Promise<void> | undefined {
    const file = this.openFile;
    if (file === undefined) return undefined;

    this.bytes += data.length;
    this.onProgress?.(this.bytes);
    try {
      return this.writeBuffer.append(data)?.catch((error: unknown) => {
        throw this.toWriteError(file.name, error);
      });
    } catch (error) {
      throw this.toWriteError(file.name, error);
    }
  }

  /** Ends the entry started last: a file's content is flushed, then its mode and mtime are set. */
  async endEntry(): Promise<void> {
    const file = this.openFile;
    if (file === undefined) return;

    await this.wrapFileSystemError(file.name, async () => {
      await this.writeBuffer.flush();
      this.openFile = undefined;
      await file.handle.close();
      // By path, once the file is closed: the staging folder is private to this process
      // (mode 0700) and no link lies on the path, so the path still names this file. The
      // mode is set after writing because a write clears set-user-ID bits for non-root users.
      await chmod(file.hostPath, file.mode);
      await utimes(file.hostPath, file.mtime, file.mtime);
    });
  }

  /** Closes the file a failed copy left open. */
  async close(): Promise<void> {
    const file = this.openFile;
    this.openFile = undefined;
    await this.writeBuffer.settle();
    await file?.handle.close();
  }

  /**
   * Sets the mode and mtime of every folder but the root, deepest first so that a
   * read-only folder is locked only after its children are done. Returns the root.
   */
  async finish(): Promise<StagedRoot | undefined> {
    if (this.archiveRoot === undefined) return undefined;

    const pending = [...this.folders.entries()]
      .filter(([key]) => key !== this.archiveRoot)
      .map(([, folder]) => folder)
      .sort((left, right) => right.depth - left.depth);
    for (const folder of pending) {
      await applyFolderAttributes(folder.hostPath, folder);
    }

    const name = this.rootName ?? this.archiveRoot;
    const root = this.folders.get(this.archiveRoot);
    return {
      name,
      stagedPath: path.join(this.stagedDir, name),
      folder: root === undefined ? undefined : { mode: root.mode, mtime: root.mtime },
    };
  }

  private checkEntry(name: string): EntrySegments {
    const segments = splitEntryName(name);

    this.archiveRoot ??= segments[0];
    if (segments[0] !== this.archiveRoot) {
      throw rejectEntry(name, `it is outside ${this.archiveRoot}, the root of the archive`);
    }

    const linkAncestor = findLinkAncestor(segments, this.symlinks);
    if (linkAncestor !== undefined) {
      throw rejectEntry(name, `its path passes through the symbolic link ${linkAncestor}`);
    }
    return segments;
  }

  private hostPathOf(segments: EntrySegments): string {
    return path.join(this.stagedDir, this.rootName ?? segments[0], ...segments.slice(1));
  }

  private async ensureParent(segments: EntrySegments): Promise<void> {
    if (segments.length < 2) return;

    const parentKey = segments.slice(0, -1).join('/');
    if (this.existingFolders.has(parentKey)) return;
    await mkdir(path.dirname(this.hostPathOf(segments)), { recursive: true });
    this.existingFolders.add(parentKey);
  }

  /** Runs `write` and turns a failure of the filesystem into an error that names the entry. */
  private async wrapFileSystemError(entryName: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      throw this.toWriteError(entryName, error);
    }
  }

  private toWriteError(entryName: string, error: unknown): unknown {
    if (!isFileSystemError(error)) return error;
    return new WeldError(`writing ${entryName} into ${this.destinationDir} failed: ${(error as Error).message}`, {
      hint: `check the free space and write permission in ${this.destinationDir}`,
      cause: error,
    });
  }

  private async writeByType(header: TarHeader, segments: EntrySegments, key: string, hostPath: string): Promise<void> {
    const mtime = header.mtime;
    switch (header.type) {
      case 'file':
      case 'contiguous-file':
        await this.createFile(header.name, hostPath, key, header.mode & PERMISSION_BITS, mtime);
        return;
      case 'directory':
        await this.writeFolder(hostPath, key, segments.length, header.mode & PERMISSION_BITS, mtime);
        return;
      case 'symlink':
        await this.writeSymlink(header, hostPath, key, mtime);
        return;
      case 'link':
        await this.writeHardLink(header, hostPath, key);
        return;
      default: {
        const type = header.type;
        const entry = { name: header.name, reason: SKIPPED_TYPES[type] ?? `entries of type ${type} are not copied` };
        if (segments.length === 1) {
          throw new WeldError(`cannot copy ${header.name}: ${entry.reason}`, {
            hint: 'an artifact must be a file, a folder or a symbolic link',
          });
        }
        this.skipped.push(entry);
        this.onSkip(entry);
      }
    }
  }

  /**
   * Removes whatever an earlier entry of the same name left at `hostPath`, and drops the
   * cached state of the paths below it. Archives may repeat a name, and the last entry wins.
   */
  private async clearPath(hostPath: string, key: string): Promise<void> {
    await rm(hostPath, { recursive: true, force: true });
    const below = `${key}/`;
    for (const known of [this.symlinks, this.existingFolders]) {
      for (const entry of known) {
        if (entry === key || entry.startsWith(below)) known.delete(entry);
      }
    }
    for (const entry of this.folders.keys()) {
      if (entry === key || entry.startsWith(below)) this.folders.delete(entry);
    }
  }

  /** Runs `create`, and once more after clearing the path when something is already there. */
  private async createReplacing(hostPath: string, key: string, create: () => Promise<void>): Promise<void> {
    try {
      await create();
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
      await this.clearPath(hostPath, key);
      await create();
    }
  }

  private async createFile(name: string, hostPath: string, key: string, mode: number, mtime: Date): Promise<void> {
    let handle: FileHandle | undefined;
    // `wx` (O_EXCL) also refuses to open through a link left at the final name.
    await this.createReplacing(hostPath, key, async () => {
      handle = await open(hostPath, 'wx', 0o600);
    });
    this.writeBuffer.attach(handle!);
    this.openFile = { name, handle: handle!, hostPath, mode, mtime };
  }

  private async writeFolder(hostPath: string, key: string, depth: number, mode: number, mtime: Date): Promise<void> {
    const existing = await lstat(hostPath).catch(() => undefined);
    if (existing !== undefined && !existing.isDirectory()) await this.clearPath(hostPath, key);
    if (existing === undefined || !existing.isDirectory()) await mkdir(hostPath, { mode: WORKING_FOLDER_MODE });

    this.existingFolders.add(key);
    this.folders.set(key, { hostPath, mode, mtime, depth });
  }

  private async writeSymlink(header: TarHeader, hostPath: string, key: string, mtime: Date): Promise<void> {
    const target = header.linkname;
    if (target === '') throw rejectEntry(header.name, 'the symbolic link has no target');

    // The target is kept as written, absolute or dangling, as `docker cp` does: it is
    // never followed here, and entries below the link are rejected.
    await this.createReplacing(hostPath, key, () => symlink(target, hostPath));
    this.symlinks.add(key);
    await lutimes(hostPath, mtime, mtime);
  }

  private async writeHardLink(header: TarHeader, hostPath: string, key: string): Promise<void> {
    const linkname = header.linkname;
    if (linkname === '') throw rejectEntry(header.name, 'the hard link has no target');

    const targetSegments = splitEntryName(linkname, header.name);
    const targetKey = targetSegments.join('/');
    if (targetSegments[0] !== this.archiveRoot) {
      throw rejectEntry(header.name, `the hard link points to ${linkname}, which is outside the archive`);
    }
    if (targetKey === key) throw rejectEntry(header.name, 'the hard link points to itself');
    const linkAncestor = findLinkAncestor(targetSegments, this.symlinks);
    if (linkAncestor !== undefined) {
      throw rejectEntry(header.name, `the hard link's target ${linkname} passes through the symbolic link ${linkAncestor}`);
    }

    const targetPath = this.hostPathOf(targetSegments);
    const target = await lstat(targetPath).catch(() => undefined);
    if (target === undefined) {
      throw rejectEntry(header.name, `the hard link points to ${linkname}, which no earlier entry of the archive created`);
    }
    if (target.isDirectory()) throw rejectEntry(header.name, `the hard link points to the folder ${linkname}`);

    // link(2) does not follow a symlink target, so a link to a symlink is a second
    // symlink and is tracked like one.
    await this.createReplacing(hostPath, key, () => link(targetPath, hostPath));
    if (target.isSymbolicLink()) this.symlinks.add(key);
  }
}

/** Sets a folder's mode and mtime (the access time is set to the mtime too). */
export async function applyFolderAttributes(hostPath: string, folder: FolderAttributes): Promise<void> {
  await chmod(hostPath, folder.mode);
  await utimes(hostPath, folder.mtime, folder.mtime);
}
