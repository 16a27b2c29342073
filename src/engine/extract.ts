// Extracts a tar archive of one file or folder (what the engine's archive API sends)
// into a host folder. Pure: no Docker. The archive is written into a temp folder
// beside the destination and moved into place only when complete.

import path from 'node:path';
import type { Readable } from 'node:stream';

import tarStream from 'tar-stream';

import { debug } from '../debug.js';
import { CancelledError, WeldError, isCancellation } from '../errors.js';
import { checkRootName } from './extract/entry-path.js';
import { EntryWriter, applyFolderAttributes, type SkippedEntry, type StagedRoot } from './extract/entry-writer.js';
import { createStaging, removeStaging, replaceWithStaged, type Staging } from './extract/staging.js';

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

/** Tracks whether `stream` emitted `end`, to tell a complete stream from a cut one at `close`. */
function watchEnd(stream: Readable): { ended: () => boolean } {
  let ended = false;
  stream.once('end', () => {
    ended = true;
  });
  return { ended: () => ended };
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

/**
 * Extracts `tar` under `destinationDir`, replacing a previous copy of the same name.
 * An entry with an absolute path, a `..` segment or a path through a symlink written
 * earlier rejects the whole archive, and so does a hard link to anything outside it.
 * File content is streamed to disk chunk by chunk, so memory stays bounded.
 */
export async function extractArchive(tar: Readable, options: ExtractOptions): Promise<ExtractResult> {
  const { rootName, onProgress, signal } = options;
  const destinationDir = path.resolve(options.destinationDir);
  if (rootName !== undefined) checkRootName(rootName);
  if (signal?.aborted) {
    tar.destroy();
    throw cancelled(destinationDir);
  }

  let staging: Staging;
  try {
    staging = await createStaging(destinationDir);
  } catch (error) {
    tar.destroy();
    throw new WeldError(`creating a temp folder in ${destinationDir} failed: ${(error as Error).message}`, {
      hint: `check that ${destinationDir} is a folder you can write to`,
      cause: error,
    });
  }
  const extractor = tarStream.extract();
  const source = watchEnd(tar);
  const stopReading = (error: Error): void => {
    extractor.destroy(error);
    tar.destroy();
  };
  const onAbort = (): void => stopReading(cancelled(destinationDir));

  signal?.addEventListener('abort', onAbort, { once: true });
  tar.on('error', (error: Error) => extractor.destroy(error));
  tar.once('close', () => {
    if (!source.ended()) extractor.destroy(new Error('the archive stream closed before its end'));
  });
  tar.pipe(extractor);

  try {
    const onSkip = (entry: SkippedEntry): void => {
      debug('engine:extract', `skipped ${entry.name}: ${entry.reason}`);
      options.onSkip?.(entry);
    };
    const writer = new EntryWriter(staging.staged, destinationDir, rootName, onProgress, onSkip);
    for await (const entry of extractor) {
      await writer.write(entry.header, entry);
    }

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
    tar.destroy();
    if (signal?.aborted || isCancellation(error)) throw cancelled(destinationDir);
    if (error instanceof WeldError) throw error;
    throw new WeldError(`reading the archive for ${destinationDir} failed: ${(error as Error).message}`, {
      hint: 'the archive stream was cut or is not a valid tar archive; run the copy again',
      cause: error,
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await removeStaging(staging).catch((error: unknown) => {
      debug('engine:extract', `could not remove the temp folder ${staging.dir}:`, String(error));
    });
  }
}
