// `weld --watch` on a copy of the demo against the real engine: one child process
// runs through every case in turn, from the first build to Ctrl-C.

import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { docker, repoRoot, uniqueSuffix } from './helpers.js';
import { listRunContainers, removeTestImages, WatchChild } from './watch-child.js';

/** Prefix of the temp folder and the images of this file. */
const PREFIX = 'weld-test-watch-';
/** Maximum time a Go build of the demo may take on a slow machine. */
const BUILD_TIMEOUT_MS = 240_000;
/** Quiet time after a run before saying that no further run follows. */
const QUIET_MS = 3_000;

const uid = uniqueSuffix();
let demo: string;
let child: WatchChild;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Returns main.go with the server's response replaced by `greeting`, so the builder image shows which save it was built from. */
async function mainGoWith(greeting: string): Promise<string> {
  const original = await readFile(path.join(repoRoot, 'demo', 'main.go'), 'utf8');
  return original.replace('hello world!\\n', `${greeting}\\n`);
}

/**
 * Returns main.go as the builder image has it, and whether the artifact in the work
 * dir is the binary that image built. Searching the binary for the greeting does not
 * work: the demo's Go 1.19 build does not keep the []byte literal as one string.
 */
async function inspectBuild(): Promise<{ mainGo: string; artifactMatches: boolean }> {
  const output = await docker(
    'run', '--rm', '--network', 'none', '--name', `${PREFIX}check-${uid}`, `${PREFIX}builder-${uid}`,
    'sh', '-c', 'sha256sum /go/bin/helloworld && cat /go/src/helloworld/main.go',
  );
  const [hashLine = '', ...source] = output.split('\n');
  const artifactHash = createHash('sha256').update(await readFile(path.join(demo, 'helloworld'))).digest('hex');
  return { mainGo: source.join('\n'), artifactMatches: hashLine.startsWith(artifactHash) };
}

/** Waits for the summary of the next run that starts at or after event index `from`. */
function waitForSummary(from: number) {
  return child.waitFor('watch-run-summary', from, BUILD_TIMEOUT_MS);
}

beforeAll(async () => {
  await docker('version', '--format', '{{.Server.Version}}');
  demo = await mkdtemp(path.join(os.tmpdir(), `${PREFIX}demo-`));
  await cp(path.join(repoRoot, 'demo'), demo, { recursive: true });
  const buildYml = await readFile(path.join(demo, 'build.yml'), 'utf8');
  await writeFile(
    path.join(demo, 'build.yml'),
    buildYml.replace('name: helloworld-builder', `name: ${PREFIX}builder`).replace('name: helloworld:latest', `name: ${PREFIX}hello:latest`),
  );

  child = WatchChild.start(['-d', demo, '--uid', uid]);
  await child.waitFor('watch-ready', 0, 30_000);
  await waitForSummary(0);
});

afterAll(async () => {
  await child?.stop('SIGKILL');
  if (demo) await rm(demo, { recursive: true, force: true });
  await removeTestImages(PREFIX, uid);
});

describe('weld --watch on the demo', () => {
  it('first run builds every step', () => {
    const ready = child.eventsOf('watch-ready')[0]!;
    const summary = child.eventsOf('watch-run-summary')[0]!;

    expect(ready.watchedPaths).toBeGreaterThanOrEqual(6);
    expect(child.events.indexOf(ready)).toBeLessThan(child.events.findIndex((event) => event.type === 'run-started'));
    expect(summary).toMatchObject({ run: 1, outcome: 'succeeded', trigger: { kind: 'start' } });
    expect(summary.finalImages.map((image) => image.image)).toEqual([`${PREFIX}hello-${uid}:latest`]);
  });

  it('an edit of main.go rebuilds both steps once', async () => {
    const mark = child.events.length;
    const firstImages = child.eventsOf('step-finished').map((event) => event.imageId);

    await writeFile(path.join(demo, 'main.go'), await mainGoWith('hello from save 1'));
    const summary = await waitForSummary(mark);
    await sleep(QUIET_MS);

    expect(child.eventsOf('watch-triggered', mark)).toHaveLength(1);
    expect(summary.outcome).toBe('succeeded');
    expect(summary.trigger).toEqual({ kind: 'change', path: 'main.go' });
    expect(summary.steps).toEqual([
      { step: 'builder', reason: 'changed', because: 'main.go' },
      { step: 'production', reason: 'changed', because: 'main.go' },
    ]);
    expect(summary.finalImages[0]!.deltaBytes).toBeDefined();
    const build = await inspectBuild();
    expect(build.mainGo).toContain('hello from save 1');
    expect(build.artifactMatches).toBe(true);

    // The first run's images may be tagged elsewhere too (the layer cache gives other
    // builds of the demo the same ids): each is either removed or still tagged.
    for (const imageId of firstImages) {
      const tags = await docker('image', 'inspect', '--format', '{{len .RepoTags}}', imageId).catch(() => 'removed');
      expect(tags).not.toBe('0');
    }
  });

  it('touching ignored files starts no run', async () => {
    const mark = child.events.length;

    await writeFile(path.join(demo, 'README.md'), '# notes\n');
    await writeFile(path.join(demo, 'run.sh'), '#!/bin/sh\n');
    await writeFile(path.join(demo, '.main.go.swp'), 'swap');
    await sleep(QUIET_MS);

    expect(child.eventsOf('watch-triggered', mark)).toEqual([]);
  });

  it('three renames over main.go give three runs', async () => {
    const mark = child.events.length;

    for (let save = 1; save <= 3; save++) {
      const before = child.events.length;
      const temp = path.join(demo, `main.go.weld-test-${save}`);
      await writeFile(temp, await mainGoWith(`hello from rename ${save}`));
      await rename(temp, path.join(demo, 'main.go'));
      await waitForSummary(before);
    }
    await sleep(QUIET_MS);

    const triggered = child.eventsOf('watch-triggered', mark);
    expect(triggered.map((event) => event.paths)).toEqual([['main.go'], ['main.go'], ['main.go']]);
    expect(child.eventsOf('watch-run-summary', mark).map((summary) => summary.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const build = await inspectBuild();
    expect(build.mainGo).toContain('hello from rename 3');
    expect(build.artifactMatches).toBe(true);

    // Each run replaced the images of the one before, which no other build has: the
    // session removed them.
    const runs = [0, 1, 2].map((index) => triggered[index]!).map((event) => child.events.indexOf(event));
    const replaced = runs.slice(0, 2).flatMap((from, index) => child.events.slice(from, runs[index + 1]).filter((event) => event.type === 'step-finished'));
    expect(replaced.map((event) => event.step)).toEqual(['builder', 'production', 'builder', 'production']);
    for (const event of replaced) {
      await expect(docker('image', 'inspect', event.imageId)).rejects.toThrow(/No such image/);
    }
  });

  it('500 new files give one run, at most two', async () => {
    const generated = path.join(demo, 'generated');
    const mark = child.events.length;

    await mkdir(generated);
    await Promise.all(Array.from({ length: 500 }, (_, index) => writeFile(path.join(generated, `data-${index}.txt`), `row ${index}\n`)));
    await waitForSummary(mark);
    await sleep(QUIET_MS);
    const runsForWrites = child.eventsOf('watch-triggered', mark);
    const editMark = child.events.length;
    await writeFile(path.join(generated, 'data-499.txt'), 'row 499, edited\n');
    await waitForSummary(editMark);
    const removeMark = child.events.length;
    await rm(generated, { recursive: true });
    await waitForSummary(removeMark);
    await sleep(QUIET_MS);

    const described = JSON.stringify(runsForWrites.map((event) => ({ run: event.run, pathCount: event.pathCount, restarted: event.restarted })));
    expect(runsForWrites.length, described).toBeGreaterThanOrEqual(1);
    expect(runsForWrites.length, described).toBeLessThanOrEqual(2);
    expect(runsForWrites.reduce((sum, event) => sum + event.pathCount, 0), described).toBeGreaterThanOrEqual(500);
    expect(child.eventsOf('watch-triggered', editMark)[0]!.paths).toEqual(['generated/data-499.txt']);
    expect(child.eventsOf('watch-triggered', removeMark)).toHaveLength(1);
  });

  it('a change mid-build cancels and restarts the build', async () => {
    const mark = child.events.length;

    await writeFile(path.join(demo, 'main.go'), await mainGoWith('hello from mid-build 1'));
    await child.waitFor('step-progress', mark, BUILD_TIMEOUT_MS, (event) => event.step === 'builder' && event.text.startsWith('RUN'));
    await writeFile(path.join(demo, 'main.go'), await mainGoWith('hello from mid-build 2'));
    const cancelled = await child.waitFor('run-finished', mark, BUILD_TIMEOUT_MS);
    const cancelledRun = child.eventsOf('run-started', mark)[0]!;
    const next = await child.waitFor('watch-run-summary', child.events.indexOf(cancelled) + 2, BUILD_TIMEOUT_MS);

    expect(cancelled.outcome).toBe('cancelled');
    expect(child.eventsOf('watch-triggered', mark).at(-1)!.restarted).toBe(true);
    expect(next.outcome).toBe('succeeded');
    expect(await listRunContainers([cancelledRun.runId])).toEqual([]);
    const build = await inspectBuild();
    expect(build.mainGo).toContain('hello from mid-build 2');
    expect(build.artifactMatches).toBe(true);
  });

  it('an invalid build.yml blocks runs until fixed', async () => {
    const buildFile = path.join(demo, 'build.yml');
    const valid = await readFile(buildFile, 'utf8');
    const mark = child.events.length;

    await writeFile(buildFile, valid.replace('depends_on:', 'dependson:'));
    const error = await child.waitFor('watch-error', mark, 30_000);
    const editMark = child.events.length;
    await writeFile(path.join(demo, 'main.go'), await mainGoWith('hello while build.yml is invalid'));
    const again = await child.waitFor('watch-error', editMark, 30_000);
    await sleep(QUIET_MS);
    const runsWhileInvalid = child.eventsOf('watch-triggered', mark).length;
    const fixMark = child.events.length;
    await writeFile(buildFile, valid);
    const fixed = await waitForSummary(fixMark);

    expect(error.source).toBe('build-file');
    expect(error.error.message).toContain('dependson');
    expect(error.files).toEqual(['build.yml']);
    expect(again.error.message).toContain('dependson');
    expect(runsWhileInvalid).toBe(0);
    expect(fixed.outcome).toBe('succeeded');
    expect(fixed.trigger).toEqual({ kind: 'change', path: 'build.yml' });
    // The edit made while build.yml was invalid is built once it is fixed.
    expect((await inspectBuild()).mainGo).toContain('hello while build.yml is invalid');
  });

  it('SIGINT exits 130 and removes the artifact', async () => {
    const runIds = child.eventsOf('run-started').map((event) => event.runId);

    const exit = await child.stop('SIGINT');

    expect(exit.code).toBe(130);
    expect(child.events.at(-1)).toMatchObject({ type: 'watch-stopped', removedPaths: [path.join(demo, 'helloworld')] });
    expect(await readdir(demo)).not.toContain('helloworld');
    expect((await readdir(demo)).filter((name) => name.startsWith('.weld-tmp-'))).toEqual([]);
    expect(await listRunContainers(runIds)).toEqual([]);
    expect(child.stderr).toBe('');
  });
});
