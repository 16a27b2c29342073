// A watch session that stays open: 100 saves in a row on a small busybox build,
// each giving exactly one run, with no container, file descriptor or memory growth
// beyond the bounds below.

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { debug } from '../../src/debug.js';
import { docker, uniqueSuffix } from './helpers.js';
import { listRunContainers, removeTestImages, WatchChild } from './watch-child.js';

const PREFIX = 'weld-test-watch-soak-';
const SAVES = 100;
/** Runs before the first measurement, so that caches, pools and JIT have warmed up. */
const WARM_UP_SAVES = 10;
/** Open file descriptors the session may gain between the warm-up and the last save. */
const MAX_OPEN_FILES_GROWTH = 5;
/** Resident memory the session may gain between the warm-up and the last save. */
const MAX_RSS_GROWTH_BYTES = 30 * 1024 * 1024;
const RUN_TIMEOUT_MS = 60_000;

const uid = uniqueSuffix();
let project: string;
let child: WatchChild;

beforeAll(async () => {
  await docker('version', '--format', '{{.Server.Version}}');
  project = await mkdtemp(path.join(os.tmpdir(), PREFIX));
  const files: Record<string, string> = {
    'build.yml': [
      'build:',
      '  version: 2016-03-14',
      '  steps:',
      '    builder:',
      `      name: ${PREFIX}builder`,
      '      dockerfile: Dockerfile.builder',
      '      artifacts:',
      '        - /work/output.txt',
      '    final:',
      `      name: ${PREFIX}final`,
      '      dockerfile: Dockerfile.final',
      '      depends_on:',
      '        - builder',
      '',
    ].join('\n'),
    'Dockerfile.builder': 'FROM busybox:1.35\nCOPY input.txt /work/input.txt\nRUN cp /work/input.txt /work/output.txt\n',
    'Dockerfile.final': 'FROM busybox:1.35\nCOPY output.txt /output.txt\n',
    'input.txt': `save 0 of ${uid}\n`,
  };
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(project, name), content);

  child = WatchChild.start(['-d', project, '--uid', uid]);
  await child.waitFor('watch-run-summary', 0, RUN_TIMEOUT_MS);
});

afterAll(async () => {
  await child?.stop('SIGKILL');
  if (project) await rm(project, { recursive: true, force: true });
  await removeTestImages(PREFIX, uid);
});

describe('weld --watch over 100 saves', () => {
  it(
    'gives one run per save and grows no containers, open files or memory beyond the bounds',
    async () => {
      let warmedUp = { openFiles: 0, rssBytes: 0 };
      const containersAfterRuns: number[] = [];

      for (let save = 1; save <= SAVES; save++) {
        const mark = child.events.length;
        await writeFile(path.join(project, 'input.txt'), `save ${save} of ${uid}\n`);
        const summary = await child.waitFor('watch-run-summary', mark, RUN_TIMEOUT_MS);
        const failures = child.eventsOf('step-failed', mark).map((event) => `${event.step}: ${event.error.message}`);
        expect({ save, outcome: summary.outcome, failures }).toEqual({ save, outcome: 'succeeded', failures: [] });

        const runIds = child.eventsOf('run-started', mark).map((event) => event.runId);
        containersAfterRuns.push((await listRunContainers(runIds)).length);
        if (save === WARM_UP_SAVES) warmedUp = { openFiles: await child.countOpenFiles(), rssBytes: await child.readRssBytes() };
      }
      const last = { openFiles: await child.countOpenFiles(), rssBytes: await child.readRssBytes() };
      debug('soak', 'after warm-up and after the last save', { warmedUp, last });

      const exit = await child.stop('SIGINT');

      expect(child.eventsOf('watch-triggered')).toHaveLength(SAVES + 1);
      expect(containersAfterRuns.filter((count) => count > 0)).toEqual([]);
      expect(last.openFiles - warmedUp.openFiles).toBeLessThanOrEqual(MAX_OPEN_FILES_GROWTH);
      expect(last.rssBytes - warmedUp.rssBytes).toBeLessThanOrEqual(MAX_RSS_GROWTH_BYTES);
      expect(exit.code).toBe(130);
      expect((await readdir(project)).sort()).toEqual(['Dockerfile.builder', 'Dockerfile.final', 'build.yml', 'input.txt']);
    },
    SAVES * RUN_TIMEOUT_MS,
  );
});
