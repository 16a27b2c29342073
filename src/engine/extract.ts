// Extracts a tar archive of one file or folder (what the engine's archive API sends)
// into a host folder. Pure: no Docker. The archive is written into a temp folder
// beside the destination and moved into place only when complete.

import path from 'node:path';
import type { Readable } from 'node:stream';

import { debug } from '../debug.js';
import { CancelledError, WeldError, isCancellation } from '../errors.js';
import { ReadableSource, type ArchiveSource } from './extract/archive-source.js';
import { checkRootName } from './extract/entry-path.js';
import { EntryWriter, applyFolderAttributes, type SkippedEntry, type StagedRoot } from './extract/entry-writer.js';
import { createStaging, removeStaging, replaceWithStaged, type Staging } from './extract/staging.js';
import { TarReader } from './extract/tar-reader.js';
import { WriteBuffer } from './extract/write-buffer.js';

export type { ArchiveSource } from './extract/archive-source.js';
export type { SkippedEntry } from './extract/entry-writer.js';

export interface ExtractOptions {
  /** Host folder that receives the copied root; created (with its parents) when missing. */
  destinationDir: string;
  /** Base name the copied root gets (the link's name when the source was a link); defaults to the archive's root name. */
  rootName?: string;
  /** Called with the running total of file content bytes written, as they arrive. */
  onProgress?: (bytes: number) => void;
  /** Called for each entry left out of the copy (devices, FIFOs). */
  onSkip?: (entry: SkippedEntry) => void;
  /** Aborting stops reading, removes the temp folder and leaves any previous copy as it was. */
  signal?: AbortSignal;
}

export interface ExtractResult {
  /** Bytes of file content written (hard links count once). */
  bytes: number;
  /** Absolute path of the copied file or folder: `<destinationDir>/<rootName>`. */
  path: string;
  /** Entries left out of the copy, with the reason. */
  skipped: SkippedEntry[];
}

function cancelled(destinationDir: string): CancelledError {
  return new CancelledError(`copy into ${destinationDir} cancelled`);
}

async function moveIntoPlace(root: StagedRoot, target: string, staging: Staging): Promise<void> {
  try {
    await replaceWithStaged(root.stagedPath, target, staging);
    // Set last: renaming a folder into another parent rewrites its `..` entry.
    if (root.folder !== undefined) await applyFolderAttributes(target, root.folder);
  } catch (error) {
    throw new WeldError(`moving the copy into ${target} failed: ${(error as Error).message}`, {
      hint: `check the write permission in ${path.dirname(target)}`,
      cause: error,
    });
  }
}

/** Reads every chunk of `source` through the tar reader into `writer`. */
async function writeEntries(source: ArchiveSource, writer: EntryWriter): Promise<void> {
  const reader = new TarReader();
  for (let chunk = source.read(); chunk !== undefined; chunk = source.read()) {
    if (chunk === null) {
      await source.whenReadable();
      continue;
    }
    for (let token = reader.next(chunk, 0); token !== undefined; token = reader.next(chunk, token.offset)) {
      switch (token.kind) {
        case 'header':
          await writer.startEntry(token.header);
          break;
        case 'content': {
          // Awaited only when the write buffer is full: most chunks cost no promise.
          const written = writer.writeContent(token.data);
          if (written !== undefined) await written;
          break;
        }
        case 'entry-end':
          await writer.endEntry();
          break;
        case 'archive-end':
          break;
      }
    }
  }
  reader.finish();
}

/**
 * Extracts `tar` under `destinationDir`, replacing a previous copy of the same name.
 * An entry with an absolute path, a `..` segment or a path through a symlink written
 * earlier rejects the whole archive, and so does a hard link to anything outside it.
 * An archive that ends before its end-of-archive marker is an error, not a short copy.
 * File content goes to disk through a fixed buffer, so memory stays bounded.
 */
export function extractArchive(tar: Readable, options: ExtractOptions): Promise<ExtractResult> {
  return extractFromSource(new ReadableSource(tar), options);
}

/** Extracts like `extractArchive`, from any source of chunks. */
export async function extractFromSource(source: ArchiveSource, options: ExtractOptions): Promise<ExtractResult> {
  const { rootName, onProgress, signal } = options;
  const destinationDir = path.resolve(options.destinationDir);
  if (rootName !== undefined) checkRootName(rootName);
  if (signal?.aborted) {
    source.destroy();
    throw cancelled(destinationDir);
  }

  let staging: Staging;
  try {
    staging = await createStaging(destinationDir);
  } catch (error) {
    source.destroy();
    throw new WeldError(`creating a temp folder in ${destinationDir} failed: ${(error as Error).message}`, {
      hint: `check that ${destinationDir} is a folder you can write to`,
      cause: error,
    });
  }
  const onAbort = (): void => source.destroy(cancelled(destinationDir));
  signal?.addEventListener('abort', onAbort, { once: true });

  const onSkip = (entry: SkippedEntry): void => {
    debug('engine:extract', `skipped ${entry.name}: ${entry.reason}`);
    options.onSkip?.(entry);
  };
  const writeBuffer = new WriteBuffer(source.reusesBuffers ? {} : { slowWritesToSwitch: 0 });
  const writer = new EntryWriter(staging.staged, destinationDir, rootName, onProgress, onSkip, writeBuffer);
  try {
    await writeEntries(source, writer);

    const root = await writer.finish();
    if (root === undefined) {
      throw new WeldError(`the archive for ${destinationDir} contains no entries`, {
        hint: 'the engine sent an empty archive; check that the path exists in the image',
      });
    }
    if (signal?.aborted) throw cancelled(destinationDir);

    const target = path.join(destinationDir, root.name);
    await moveIntoPlace(root, target, staging);
    return { bytes: writer.bytes, path: target, skipped: writer.skipped };
  } catch (error) {
    source.destroy();
    if (signal?.aborted || isCancellation(error)) throw cancelled(destinationDir);
    if (error instanceof WeldError) throw error;
    throw new WeldError(`reading the archive for ${destinationDir} failed: ${(error as Error).message}`, {
      hint: 'the archive stream was cut or is not a valid tar archive; run the copy again',
      cause: error,
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await writer.close().catch((error: unknown) => {
      debug('engine:extract', `could not close the file being written:`, String(error));
    });
    await removeStaging(staging).catch((error: unknown) => {
      debug('engine:extract', `could not remove the temp folder ${staging.dir}:`, String(error));
    });
  }
}
