// Helpers that bench/demo and bench/dag share: timing a child process, medians, calls
// to the docker CLI, and an image ledger that removes only the images a bench created.

import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const weldBin = path.join(repoRoot, 'bin', 'weld.js');
export const dockerCli = process.env.DOCKER_CLI ?? 'docker';
/** Prefix of the temp dirs, uids and image names the benches create; weld's demo images carry it in their uid suffix. */
export const PREFIX = 'weld-bench-';

export function log(line = '') {
  process.stdout.write(`${line}\n`);
}

export function median(values) {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function formatSeconds(ms) {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Returns the whole number `value` of the option `flag`, or throws when it is below `minimum`. */
export function parseCount(flag, value, minimum) {
  const count = Number(value);
  if (!Number.isInteger(count) || count < minimum) {
    throw new Error(`${flag} takes a whole number of at least ${minimum}, got "${value}"`);
  }
  return count;
}

/** Returns a short random suffix that makes this run's names unique. */
export function makeSuffix() {
  return randomBytes(3).toString('hex');
}

/** Throws when the compiled CLI or a base image is missing, naming the fix. */
export async function checkPrerequisites(images) {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'))) {
    throw new Error(`${path.join(repoRoot, 'dist')} has no compiled CLI: run npm run build first`);
  }
  for (const image of images) {
    try {
      await docker('image', 'inspect', '--format', '{{.Id}}', image);
    } catch (error) {
      throw new Error(`base image ${image} not found in the Docker engine: run demo/base-images.sh first`, { cause: error });
    }
  }
}

/** Runs the docker CLI to its end and returns its trimmed stdout. */
export async function docker(...args) {
  const { stdout } = await execFileAsync(dockerCli, args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/**
 * Runs a command with stdout and stderr appended to `logFile` (no pipes, so that
 * reading output costs the measured process nothing) and returns its wall time in
 * milliseconds, from spawn to exit. Rejects when it exits with another code than 0.
 */
export function timeCommand(command, args, { logFile, env, cwd }) {
  const output = openSync(logFile, 'a');
  const startedAt = performance.now();
  const startedAtEpochMs = Date.now();
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', output, output] });
  closeSync(output);

  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', async (code, signal) => {
      const ms = performance.now() - startedAt;
      if (code === 0) {
        resolve({ ms, startedAtEpochMs });
        return;
      }
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-20).join('\n');
      reject(new Error(`${path.basename(command)} ${args.join(' ')} exited with ${code ?? signal}; last output:\n${tail}`));
    });
  });
}

/** Parses NDJSON text into events. */
export function parseEvents(text) {
  return text
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line));
}

/**
 * The images a bench makes, removed at its end. Only images that did not exist when
 * the ledger started are deleted. A tag that points at an older image (a cache hit on
 * layers someone else built) is only untagged, and it stays when untagging would
 * delete that older image. Removal never forces and never prunes, so the engine
 * rejects the removal of an image that another image or a container still uses.
 */
export class ImageLedger {
  #existing;
  #tags = new Set();
  #ids = new Set();

  static async start() {
    const ledger = new ImageLedger();
    ledger.#existing = new Set(await listImageIds());
    return ledger;
  }

  /** Notes the tags a run made, and the image each points at now (a later run may move the tag). */
  async record(...tags) {
    for (const tag of tags) {
      this.#tags.add(tag);
      const id = await imageIdOf(tag);
      if (id) this.#ids.add(id);
    }
  }

  /** Removes the tags and the new images with their new parents; returns what was left behind. */
  async clean() {
    const leftBehind = [];
    const untag = [];
    for (const tag of this.#tags) {
      const id = await imageIdOf(tag);
      if (!id) continue;
      if (this.#existing.has(id) && (await listTagsOf(id)).length <= 1) {
        leftBehind.push(`${tag} (points at ${id.slice(7, 19)}, an image older than the bench that has no other tag)`);
        continue;
      }
      this.#ids.add(id);
      untag.push(tag);
    }

    // The parents are looked up first: once an image is gone, its parent is unknown.
    const candidates = [];
    for (const id of this.#ids) candidates.push(...(await this.#listNewAncestry(id)));
    for (const tag of untag) await docker('rmi', '--no-prune', tag).catch(() => undefined);

    let pending = [...new Set(candidates)];
    // Children go before parents within one ancestry, but two ancestries can share
    // a parent: retry what was refused until a pass removes nothing. Other builds on
    // the same engine may have reused a new layer as their cache since; such a layer
    // is theirs to remove.
    for (;;) {
      const refused = new Map();
      for (const id of pending) {
        // Removing by id would also drop a single tag that another build put on it.
        const tags = await listTagsOf(id);
        if (tags.length > 0) {
          refused.set(id, `tagged ${tags.join(', ')} by another build`);
          continue;
        }
        try {
          await docker('rmi', '--no-prune', id);
        } catch (error) {
          const reason = String(error.stderr ?? error).trim().split('\n')[0];
          if (!/no such image/i.test(reason)) refused.set(id, reason);
        }
      }
      if (refused.size === 0 || refused.size === pending.length) {
        for (const [id, reason] of refused) leftBehind.push(`${id.slice(7, 19)} (${reason})`);
        return leftBehind;
      }
      pending = [...refused.keys()];
    }
  }

  /** Returns `id` and its parents, child first, up to the first image older than the ledger. */
  async #listNewAncestry(id) {
    const ancestry = [];
    let current = id;
    while (current && !this.#existing.has(current) && !ancestry.includes(current)) {
      ancestry.push(current);
      current = await docker('image', 'inspect', '--format', '{{.Parent}}', current).catch(() => '');
    }
    return ancestry;
  }
}

async function listImageIds() {
  const output = await docker('images', '--all', '--quiet', '--no-trunc');
  return output === '' ? [] : output.split('\n');
}

/** Returns the image id behind `reference`, or undefined when there is none. */
export async function imageIdOf(reference) {
  return docker('image', 'inspect', '--format', '{{.Id}}', reference).catch(() => undefined);
}

async function listTagsOf(id) {
  const output = await docker('image', 'inspect', '--format', '{{join .RepoTags "\\n"}}', id).catch(() => '');
  return output === '' ? [] : output.split('\n');
}
