// The temp folder an extraction writes into, and the swap that puts the finished copy
// in place. The temp folder sits inside the destination folder so that both renames
// stay on one filesystem.

import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

import { debug } from '../../debug.js';

/** A temp folder that receives the new copy, and a name for the copy it replaces. */
export interface Staging {
  dir: string;
  /** Folder whose only child becomes the copied root. */
  staged: string;
  /**
   * Path that holds the previous copy until the new one is in place. It is a sibling
   * of the copy because moving a folder into another parent needs write permission on
   * the folder itself (to rewrite its `..`), which a read-only copy lacks.
   */
  previous: string;
}

const TEMP_DIR_PREFIX = '.weld-tmp-';
const PREVIOUS_SUFFIX = '-previous';
/** `.weld-tmp-<pid>-<random>[-previous]`: the pid lets a later run find what a killed one left. */
const TEMP_DIR_PATTERN = /^\.weld-tmp-(\d+)-[0-9a-f]+(-previous)?$/;

/**
 * Temp folders that exist right now, each with the copy it is replacing while the swap
 * of replaceWithStaged is under way. A process that exits at once (a second Ctrl-C)
 * runs no `finally` block, so an exit listener removes these synchronously.
 */
const liveStagings = new Map<Staging, { target?: string }>();
let exitListenerAdded = false;

/**
 * Removes the temp folders of copies still under way, synchronously, as the process
 * exits. A previous copy renamed aside goes back in place when the new one is not
 * there yet, so that an exit in the middle of the swap loses neither.
 */
export function removeLiveStagingsSync(): void {
  for (const [staging, swap] of liveStagings) {
    try {
      if (swap.target !== undefined && existsSync(staging.previous) && !existsSync(swap.target)) renameSync(staging.previous, swap.target);
      rmSync(staging.dir, { recursive: true, force: true });
      rmSync(staging.previous, { recursive: true, force: true });
    } catch {
      // A folder the user cannot write: a later run removes it (see removeAbandonedStaging).
    }
  }
  liveStagings.clear();
}

function trackStaging(staging: Staging): void {
  liveStagings.set(staging, {});
  if (exitListenerAdded) return;
  exitListenerAdded = true;
  process.on('exit', removeLiveStagingsSync);
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return errorCode(error) === 'EPERM';
  }
}

/** Adds owner write and search permission to every folder under `root`, without following links. */
async function makeFoldersWritable(root: string): Promise<void> {
  const stats = await lstat(root).catch(() => undefined);
  if (!stats?.isDirectory()) return;

  await chmod(root, (stats.mode & 0o7777) | 0o700);
  const children = await readdir(root);
  for (const child of children) {
    await makeFoldersWritable(path.join(root, child));
  }
}

/**
 * Removes a file or folder tree. A copy may hold read-only folders (mode 0555) that a
 * user other than root cannot empty, so a failed removal retries after making them
 * writable.
 */
export async function removeTree(target: string): Promise<void> {
  try {
    await rm(target, { recursive: true, force: true });
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'EACCES' && code !== 'EPERM') throw error;
    await makeFoldersWritable(target);
    await rm(target, { recursive: true, force: true });
  }
}

/**
 * Removes temp folders in `destinationDir` left by weld processes that no longer run
 * (killed before they could clean up). Folders of running processes are left alone,
 * because another copy may be writing there right now.
 */
async function removeAbandonedStaging(destinationDir: string): Promise<void> {
  const names = await readdir(destinationDir);
  for (const name of names) {
    const pid = TEMP_DIR_PATTERN.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || isProcessAlive(Number(pid))) continue;

    debug('engine:extract', `removing ${name}, left in ${destinationDir} by process ${pid}`);
    await removeTree(path.join(destinationDir, name)).catch((error: unknown) => {
      debug('engine:extract', `could not remove ${name}:`, String(error));
    });
  }
}

/** Creates `destinationDir` when missing and a fresh temp folder inside it. */
export async function createStaging(destinationDir: string): Promise<Staging> {
  await mkdir(destinationDir, { recursive: true });
  await removeAbandonedStaging(destinationDir);

  const dir = path.join(destinationDir, `${TEMP_DIR_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
  const staged = path.join(dir, 'staged');
  const staging: Staging = { dir, staged, previous: `${dir}${PREVIOUS_SUFFIX}` };
  trackStaging(staging);
  try {
    await mkdir(staged, { recursive: true, mode: 0o700 });
  } catch (error) {
    liveStagings.delete(staging);
    throw error;
  }
  return staging;
}

/** Removes the temp folder and the previous copy, if any. */
export async function removeStaging(staging: Staging): Promise<void> {
  await removeTree(staging.dir);
  await removeTree(staging.previous);
  liveStagings.delete(staging);
}

/**
 * Moves `source` to `target`, replacing what is there. The previous copy is renamed
 * aside first and renamed back if the move fails; `removeStaging` deletes it after.
 */
export async function replaceWithStaged(source: string, target: string, staging: Staging): Promise<void> {
  const swap = liveStagings.get(staging);
  if (swap) swap.target = target;
  let hadPrevious = false;
  try {
    await rename(target, staging.previous);
    hadPrevious = true;
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }

  try {
    await rename(source, target);
  } catch (error) {
    if (hadPrevious) {
      await rename(staging.previous, target).catch((restoreError: unknown) => {
        debug('engine:extract', `could not put the previous ${target} back:`, String(restoreError));
      });
    }
    throw error;
  }
}
