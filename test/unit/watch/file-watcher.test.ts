// The watcher over real files (chokidar and inotify, no engine): what an editor's
// save, swap files, folder renames and bursts turn into once batched.

import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { loadIgnoreMatcher } from '../../../src/engine/context.js';
import { InputError } from '../../../src/errors.js';
import { createChangeBatcher, type ChangeBatcher } from '../../../src/watch/change-batcher.js';
import { describeWatchError, startFileWatcher, type FileWatcher } from '../../../src/watch/file-watcher.js';
import { createWatchFilter, loadWatchTargets } from '../../../src/watch/watch-targets.js';
import { BUILD_YML, makeWatchProject, planProject, removeWatchProject } from './watch-project.js';

/** Time to wait after the last batch before saying no other batch came. */
const QUIET_MS = 800;

let dir: string;
let watcher: FileWatcher;
let batcher: ChangeBatcher;
let batches: string[][];

async function waitUntil(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms; batches so far: ${JSON.stringify(batches)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Returns the batches as paths relative to the project. */
function relativeBatches(): string[][] {
  return batches.map((batch) => batch.map((file) => path.relative(dir, file)));
}

async function startWatching(pollMs?: number): Promise<void> {
  const targets = await loadWatchTargets(await planProject(dir), { loadIgnoreMatcher });
  const files = [targets.buildFile, ...targets.dockerfiles.keys()];
  batches = [];
  batcher = createChangeBatcher({
    onBatch: (paths) => batches.push(paths),
    readSize: async () => undefined,
  });
  watcher = startFileWatcher({
    roots: targets.roots,
    files,
    isIgnored: createWatchFilter(targets),
    pollMs,
    onChange: (change) => batcher.push(change),
    onError: (error) => {
      throw error;
    },
  });
  await watcher.ready;
}

beforeEach(async () => {
  dir = await makeWatchProject();
});

afterEach(async () => {
  batcher?.dispose();
  await watcher?.close();
  await removeWatchProject(dir);
});

describe('file watcher', () => {
  it('counts the watched files and folders, leaving out ignored ones', async () => {
    await startWatching();

    const count = watcher.countWatched();

    // The project folder, its 7 entries (server.log and tmp/ are excluded), app/'s 5,
    // deploy/config.txt, docs/'s 2, and node_modules/left-pad/index.js (2 more), which
    // app/.dockerignore excludes but lint's context, the project folder, does not.
    expect(count).toBe(18);
  });

  it('three renames over a file give three batches', async () => {
    await startWatching();
    const main = path.join(dir, 'app', 'main.go');

    for (let save = 1; save <= 3; save++) {
      const temp = path.join(dir, 'app', `main.go.tmp.${save}`);
      await writeFile(temp, `package main // save ${save}\n`);
      await rename(temp, main);
      await waitUntil(() => batches.length === save);
    }
    await sleep(QUIET_MS);

    expect(relativeBatches()).toEqual([['app/main.go'], ['app/main.go'], ['app/main.go']]);
  });

  it('swap, backup and .git files give no batch', async () => {
    await startWatching();

    await writeFile(path.join(dir, 'app', '.main.go.swp'), 'swap');
    await writeFile(path.join(dir, 'app', '4913'), '');
    await rm(path.join(dir, 'app', '4913'));
    await writeFile(path.join(dir, 'app', 'main.go~'), 'backup');
    await mkdir(path.join(dir, '.git'));
    await writeFile(path.join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await sleep(QUIET_MS);

    expect(batches).toEqual([]);
  });

  it('a folder rename reports the old and the new paths', async () => {
    await writeFile(path.join(dir, 'docs', 'guide.md'), '# guide\n');
    await mkdir(path.join(dir, 'docs', 'old'));
    await writeFile(path.join(dir, 'docs', 'old', 'page.md'), 'page\n');
    await startWatching();

    await rename(path.join(dir, 'docs', 'old'), path.join(dir, 'docs', 'new'));
    await waitUntil(() => batches.flat().some((file) => file.endsWith(path.join('docs', 'new', 'page.md'))));

    const changed = relativeBatches().flat();
    expect(changed).toContain('docs/old');
    expect(changed).toContain('docs/new');
  });

  it('a burst of 500 files gives one batch', async () => {
    await startWatching();
    const generated = path.join(dir, 'app', 'generated');
    await mkdir(generated);

    await Promise.all(Array.from({ length: 500 }, (_, index) => writeFile(path.join(generated, `file-${index}.go`), `package generated // ${index}\n`)));
    // Under load the writes themselves can outlast the watcher's rescans of the new
    // folder, so wait for every path instead of a fixed time.
    await waitUntil(() => new Set(batches.flat()).size >= 501);
    await sleep(QUIET_MS);

    expect(batches.length).toBeLessThanOrEqual(2);
    expect(new Set(batches.flat()).size).toBe(501);
  });

  it('files created during a new folder scan are reported', async () => {
    await startWatching();
    const generated = path.join(dir, 'app', 'generated');
    const names = Array.from({ length: 2_000 }, (_, index) => `file-${index}.go`);

    await mkdir(generated);
    for (let start = 0; start < names.length; start += 100) {
      await Promise.all(names.slice(start, start + 100).map((name) => writeFile(path.join(generated, name), 'package generated\n')));
    }
    const missed = () => {
      const reported = new Set(batches.flat());
      return names.filter((name) => !reported.has(path.join(generated, name)));
    };
    // Slow under load, so wait for every path (up to the last recheck round) rather
    // than a fixed time.
    await waitUntil(() => missed().length === 0, 10_000).catch(() => undefined);

    expect(missed()).toEqual([]);
  });

  it('a file watched on its own stays watched after a rename over it', async () => {
    const outside = path.join(dir, 'outside');
    await mkdir(outside);
    const dockerfile = path.join(outside, 'Dockerfile');
    await writeFile(dockerfile, 'FROM busybox:1.35\n');
    batches = [];
    batcher = createChangeBatcher({ onBatch: (paths) => batches.push(paths), readSize: async () => undefined });
    watcher = startFileWatcher({ roots: [dockerfile], isIgnored: () => false, onChange: (change) => batcher.push(change), onError: () => {} });
    await watcher.ready;

    for (let save = 1; save <= 3; save++) {
      await writeFile(`${dockerfile}.tmp`, `FROM busybox:1.35\n# save ${save}\n`);
      await rename(`${dockerfile}.tmp`, dockerfile);
      await waitUntil(() => batches.length === save);
    }

    expect(batches).toEqual([[dockerfile], [dockerfile], [dockerfile]]);
  });

  it.each([
    ['build.yml', 'build.yml', undefined],
    ['Dockerfile.production', 'Dockerfile.production', undefined],
    ['build.yml, polling', 'build.yml', 100],
  ])('%s is watched again once deleted and restored', async (_case, name, pollMs) => {
    // Without the lint step no context is the project folder, so both files lie outside every context.
    await writeFile(path.join(dir, 'build.yml'), BUILD_YML.slice(0, BUILD_YML.indexOf('    lint:')));
    await startWatching(pollMs);
    const file = path.join(dir, name);
    const aside = path.join(dir, 'aside');
    const reported = () => batches.filter((batch) => batch.includes(file)).length;

    await rename(file, aside);
    await waitUntil(() => reported() === 1);
    await rename(aside, file);
    await waitUntil(() => reported() === 2);
    await writeFile(file, `${await readFile(file, 'utf8')}# edited\n`);
    await waitUntil(() => reported() === 3);

    expect(relativeBatches()).toEqual([[name], [name], [name]]);
  });

  it('polling reports a change too', async () => {
    await startWatching(100);

    await writeFile(path.join(dir, 'docs', 'index.md'), '# docs, edited\n');
    await waitUntil(() => batches.length > 0);

    expect(relativeBatches()).toEqual([['docs/index.md']]);
  });
});

describe('watch errors', () => {
  it.each([
    ['ENOSPC', /the system limit on inotify watches is reached/, /fs\.inotify\.max_user_watches/],
    ['EMFILE', /too many open files or inotify instances/, /fs\.inotify\.max_user_watches/],
  ])('%s says which limit to raise', (code, message, hint) => {
    const error = Object.assign(new Error(`${code}: watch failed`), { code, path: '/p/app' });

    const described = describeWatchError(error);

    expect(described).toBeInstanceOf(InputError);
    expect(described.message).toMatch(message);
    expect(described.message).toContain('/p/app');
    expect(described.hint).toMatch(hint);
    expect(described.cause).toBe(error);
  });

  it('other errors keep their message', () => {
    const described = describeWatchError(new Error('EIO: i/o error'));

    expect(described.message).toBe('file watcher failed: EIO: i/o error');
  });
});
