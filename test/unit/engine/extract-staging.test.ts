import { mkdir, mkdtemp, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { createStaging, removeLiveStagingsSync, removeStaging, removeTree, replaceWithStaged } from '../../../src/engine/extract/staging.js';

let destinationDir: string;

beforeEach(async () => {
  destinationDir = await mkdtemp(path.join(os.tmpdir(), 'weld-test-staging-'));
});

afterEach(async () => {
  await removeTree(destinationDir);
});

describe('temp folders at a forced exit', () => {
  test('are removed by a listener of the process exit', async () => {
    const staging = await createStaging(destinationDir);
    await writeFile(path.join(staging.staged, 'half-written'), 'partial');

    expect(process.listeners('exit')).toContain(removeLiveStagingsSync);
    removeLiveStagingsSync();

    expect(await readdir(destinationDir)).toEqual([]);
  });

  test('put a previous copy that was renamed aside back when the new one is not in place', async () => {
    const target = path.join(destinationDir, 'server');
    await writeFile(target, 'previous copy');
    const staging = await createStaging(destinationDir);
    await writeFile(path.join(staging.staged, 'server'), 'new copy');
    await replaceWithStaged(path.join(staging.staged, 'server'), target, staging);
    // The state in the middle of the swap: the previous copy aside, the new one not moved in yet.
    await rename(target, path.join(staging.staged, 'server'));

    removeLiveStagingsSync();

    expect(await readdir(destinationDir)).toEqual(['server']);
    expect(await readFile(target, 'utf8')).toBe('previous copy');
  });

  test('that were removed already are not touched again', async () => {
    const staging = await createStaging(destinationDir);
    await removeStaging(staging);
    await mkdir(staging.dir);

    removeLiveStagingsSync();

    expect(await readdir(destinationDir)).toEqual([path.basename(staging.dir)]);
  });
});
