// The watch session over a scripted engine and a scripted file watcher: which runs
// start, with which steps and why, and what is left when the session stops.

import { access, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { BuildEvent } from '../../../src/build/events.js';
import { loadIgnoreMatcher } from '../../../src/engine/context.js';
import { InputError } from '../../../src/errors.js';
import type { FileChangeKind } from '../../../src/watch/change-batcher.js';
import { describeWatchError, type FileWatcher, type FileWatcherOptions } from '../../../src/watch/file-watcher.js';
import { startWatchSession, supersededImages, type WatchSession, type WatchSessionOptions } from '../../../src/watch/watch-session.js';
import { ScriptedEngine, type ScriptedBuild } from '../build/scripted-engine.js';
import { BUILD_YML, makeWatchProject, planProject, PROJECT_FILES, removeWatchProject } from './watch-project.js';

/** Debounce time of the tests' sessions; short, so the tests stay fast. */
const TEST_DEBOUNCE_MS = 20;
/** Time to wait before saying that no further run starts. */
const QUIET_MS = 300;

type EventOf<T extends BuildEvent['type']> = Extract<BuildEvent, { type: T }>;

/** A file watcher whose changes and errors the test reports by hand. */
class ScriptedWatcher {
  options?: FileWatcherOptions;
  started = 0;
  closed = 0;
  /** What the next watcher started counts as watched. */
  watchedCount = 7;

  readonly start = (options: FileWatcherOptions): FileWatcher => {
    this.options = options;
    this.started += 1;
    const count = this.watchedCount;
    return {
      ready: Promise.resolve(),
      countWatched: () => count,
      close: async () => {
        this.closed += 1;
      },
    };
  };

  /** Reports a change of `relative` (in `dir`) unless the session's filter ignores it, as chokidar does. */
  report(dir: string, relative: string, kind: FileChangeKind = 'change'): void {
    const changed = path.join(dir, relative);
    if (this.options!.isIgnored(changed)) return;
    this.options!.onChange({ kind, path: changed });
  }
}

let dir: string;
let engine: ScriptedEngine;
let watcher: ScriptedWatcher;
let events: BuildEvent[];
let session: WatchSession | undefined;

function scripts(ms = 0): Record<string, ScriptedBuild> {
  const build = (sizeBytes: number): ScriptedBuild => ({ outputs: [{ kind: 'instruction', index: 1, total: 1, text: 'FROM busybox:1.35' }], ms, sizeBytes });
  return { 'app-builder': build(800_000_000), app: build(4_500_000), docs: build(2_000_000), lint: build(3_000_000) };
}

/** Returns the run settings of the tests' sessions. */
function testSettings(): WatchSessionOptions['settings'] {
  return {
    engine,
    emit: (event) => events.push(event),
    engineInfo: { version: '0', endpoint: 'scripted://' },
    parallel: 0,
    keepGoing: false,
    buildArgs: {},
    noCache: false,
    rm: true,
    forceRm: false,
    suppress: false,
  };
}

async function start(overrides: Partial<WatchSessionOptions> = {}): Promise<WatchSession> {
  const plan = await planProject(dir);
  session = startWatchSession({
    plan,
    reloadPlan: () => planProject(dir),
    settings: testSettings(),
    keepArtifacts: false,
    loadIgnoreMatcher,
    startFileWatcher: watcher.start,
    debounceMs: TEST_DEBOUNCE_MS,
    ...overrides,
  });
  return session;
}

function eventsOf<T extends BuildEvent['type']>(type: T): EventOf<T>[] {
  return events.filter((event): event is EventOf<T> => event.type === type);
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events: ${events.map((event) => event.type).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const waitForSummaries = (count: number) => waitFor(() => eventsOf('watch-run-summary').length >= count, `${count} run summaries`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Returns the tags the engine built since `from` requests. */
function builtSince(from: number): string[] {
  return engine.requests.slice(from).map((request) => request.tag);
}

function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

beforeEach(async () => {
  dir = await makeWatchProject();
  engine = new ScriptedEngine(scripts());
  watcher = new ScriptedWatcher();
  events = [];
  session = undefined;
});

afterEach(async () => {
  await session?.stop();
  await removeWatchProject(dir);
});

describe('watch session', () => {
  it('reports what it watches, then builds every step once', async () => {
    await start();

    await waitForSummaries(1);

    const types = events.map((event) => event.type);
    expect(types.indexOf('watch-ready')).toBeLessThan(types.indexOf('run-started'));
    expect(eventsOf('watch-ready')[0]!.watchedPaths).toBe(7);
    expect(eventsOf('watch-triggered')[0]).toMatchObject({ run: 1, trigger: { kind: 'start' }, restarted: false });
    expect(eventsOf('watch-triggered')[0]!.steps.map((rebuild) => rebuild.reason)).toEqual(['initial', 'initial', 'initial', 'initial']);
    expect(builtSince(0).sort()).toEqual(['app', 'app-builder', 'docs', 'lint']);
    expect(eventsOf('watch-run-summary')[0]).toMatchObject({ run: 1, outcome: 'succeeded', watchedPaths: 7 });
  });

  it('the first run removes the images it replaces', async () => {
    // Before the session, the tags named older images.
    const inspected = new Set<string>();
    const inspectImage = engine.inspectImage.bind(engine);
    engine.inspectImage = async (image: string) => {
      const facts = await inspectImage(image);
      if (inspected.has(image)) return facts;
      inspected.add(image);
      return { ...facts, id: `sha256:before-${image}` };
    };
    await start();

    await waitForSummaries(1);

    expect(engine.removedUntaggedImages.sort()).toEqual(['sha256:before-app', 'sha256:before-app-builder', 'sha256:before-docs', 'sha256:before-lint']);
  });

  it('--keep-all keeps the images the first run replaces', async () => {
    engine.inspectImage = async (image: string) => ({ id: `sha256:before-${image}`, sizeBytes: 1, layers: [] });
    await start({ settings: { ...testSettings(), keepAll: true } });

    await waitForSummaries(1);

    expect(engine.removedUntaggedImages).toEqual([]);
  });

  it('a source change rebuilds its steps and those downstream, once', async () => {
    await start();
    await waitForSummaries(1);
    const before = engine.requests.length;

    watcher.report(dir, 'app/main.go');
    await waitForSummaries(2);
    await sleep(QUIET_MS);

    expect(builtSince(before).sort()).toEqual(['app', 'app-builder', 'lint']);
    expect(eventsOf('watch-triggered')).toHaveLength(2);
    expect(eventsOf('watch-triggered')[1]).toMatchObject({
      run: 2,
      trigger: { kind: 'change', path: 'app/main.go' },
      paths: ['app/main.go'],
      pathCount: 1,
      steps: [
        { step: 'builder', reason: 'changed', because: 'app/main.go' },
        { step: 'production', reason: 'upstream', because: 'builder' },
        { step: 'lint', reason: 'changed', because: 'app/main.go' },
      ],
    });
  });

  it('the final images of the run carry their size change', async () => {
    await start();
    await waitForSummaries(1);

    engine['builds'].app!.sizeBytes = 4_600_000;
    watcher.report(dir, 'deploy/config.txt');
    await waitForSummaries(2);

    const summary = eventsOf('watch-run-summary')[1]!;
    const app = summary.finalImages.find((image) => image.step === 'production');
    const docs = summary.finalImages.find((image) => image.step === 'docs');
    expect(app).toEqual({ step: 'production', image: 'app', sizeBytes: 4_600_000, deltaBytes: 100_000 });
    expect(docs).toEqual({ step: 'docs', image: 'docs', sizeBytes: 2_000_000, deltaBytes: 0 });
  });

  it('an ignored file and the artifact the build writes start no run', async () => {
    await start();
    await waitForSummaries(1);

    watcher.options!.onChange({ kind: 'change', path: path.join(dir, 'server.log') });
    watcher.options!.onChange({ kind: 'change', path: path.join(dir, 'deploy', 'server') });
    watcher.options!.onChange({ kind: 'add', path: path.join(dir, 'app', '.main.go.swp') });
    await sleep(QUIET_MS);

    expect(eventsOf('watch-triggered')).toHaveLength(1);
  });

  it('a change mid-run cancels and restarts it', async () => {
    engine = new ScriptedEngine(scripts(400));
    await start();
    await waitForSummaries(1);
    const mark = events.length;

    watcher.report(dir, 'Dockerfile.production');
    await waitFor(() => events.slice(mark).some((event) => event.type === 'step-started' && event.step === 'production'), 'production to start');
    watcher.report(dir, 'app/main.go');
    await waitForSummaries(3);

    const summaries = eventsOf('watch-run-summary');
    expect(summaries[1]).toMatchObject({ run: 2, outcome: 'cancelled' });
    expect(summaries[2]).toMatchObject({ run: 3, outcome: 'succeeded' });
    const restart = eventsOf('watch-triggered')[2]!;
    expect(restart.restarted).toBe(true);
    expect(restart.steps).toEqual([
      { step: 'builder', reason: 'changed', because: 'app/main.go' },
      { step: 'production', reason: 'changed', because: 'Dockerfile.production' },
      { step: 'lint', reason: 'changed', because: 'app/main.go' },
    ]);
    expect(engine.removedContainerLabels).toHaveLength(3);
  });

  it('an unrelated change waits for the run', async () => {
    engine = new ScriptedEngine(scripts(300));
    await start();
    await waitForSummaries(1);

    watcher.report(dir, 'docs/index.md');
    await waitFor(() => eventsOf('step-started').length > 4, 'docs to start');
    watcher.report(dir, 'deploy/config.txt');
    await waitForSummaries(3);

    const summaries = eventsOf('watch-run-summary');
    expect(summaries.map((summary) => summary.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(summaries[2]!.steps.map((rebuild) => rebuild.step)).toEqual(['production']);
  });

  it('invalid build.yml blocks runs until fixed', async () => {
    await start();
    await waitForSummaries(1);
    const before = engine.requests.length;

    await writeFile(path.join(dir, 'build.yml'), BUILD_YML.replace('  steps:', '  stepz:'));
    watcher.report(dir, 'build.yml');
    await waitFor(() => eventsOf('watch-error').length === 1, 'the build.yml error');
    watcher.report(dir, 'docs/index.md');
    await waitFor(() => eventsOf('watch-error').length === 2, 'the error again');
    await sleep(QUIET_MS);
    const builtWhileInvalid = builtSince(before);
    await writeFile(path.join(dir, 'build.yml'), BUILD_YML.replace('name: docs', 'name: handbook'));
    engine['builds'].handbook = scripts().docs!;
    watcher.report(dir, 'build.yml');
    await waitForSummaries(2);

    const errors = eventsOf('watch-error');
    expect(errors.map((error) => error.source)).toEqual(['build-file', 'build-file']);
    expect(errors[0]!.error.message).toMatch(/steps/);
    expect(errors.map((error) => error.files)).toEqual([['build.yml'], ['build.yml']]);
    expect(builtWhileInvalid).toEqual([]);
    expect(eventsOf('watch-triggered')).toHaveLength(2);
    // The change made while build.yml was invalid is built with the fixed plan.
    expect(eventsOf('watch-triggered')[1]!.steps).toEqual([{ step: 'docs', reason: 'changed', because: 'docs/index.md' }]);
    expect(engine.requests.at(-1)!.tag).toBe('handbook');
  });

  it('restored build.yml rebuilds every step', async () => {
    // lint's .dockerignore excludes build.yml, so no step reads it as a source.
    await start();
    await waitForSummaries(1);
    const buildFile = path.join(dir, 'build.yml');

    await rm(buildFile);
    watcher.report(dir, 'build.yml', 'unlink');
    await waitFor(() => eventsOf('watch-error').length === 1, 'the missing build.yml');
    await writeFile(buildFile, BUILD_YML);
    watcher.report(dir, 'build.yml', 'add');
    await waitForSummaries(2);

    expect(eventsOf('watch-error')[0]!.files).toEqual(['build.yml']);
    expect(eventsOf('watch-triggered')[1]!.steps).toEqual([
      { step: 'builder', reason: 'build-file', because: 'build.yml' },
      { step: 'production', reason: 'build-file', because: 'build.yml' },
      { step: 'docs', reason: 'build-file', because: 'build.yml' },
      { step: 'lint', reason: 'build-file', because: 'build.yml' },
    ]);
    expect(eventsOf('watch-run-summary')[1]!.outcome).toBe('succeeded');
  });

  it('missing Dockerfile blocks runs until restored', async () => {
    const running = await start();
    await waitForSummaries(1);
    const before = engine.requests.length;
    const dockerfile = path.join(dir, 'docs', 'Dockerfile');

    await rm(dockerfile);
    watcher.report(dir, 'docs/Dockerfile', 'unlink');
    await waitFor(() => eventsOf('watch-error').length === 1, 'the missing Dockerfile');
    watcher.report(dir, 'docs/index.md');
    await waitFor(() => eventsOf('watch-error').length === 2, 'the error after a source change');
    running.requestFullRebuild();
    await waitFor(() => eventsOf('watch-error').length === 3, 'the error after a rebuild request');
    await sleep(QUIET_MS);
    const builtWhileMissing = builtSince(before);
    await writeFile(dockerfile, PROJECT_FILES['docs/Dockerfile']!);
    watcher.report(dir, 'docs/Dockerfile', 'add');
    await waitForSummaries(2);

    expect(eventsOf('watch-error').map((error) => error.files)).toEqual([['docs/Dockerfile'], ['docs/Dockerfile'], ['docs/Dockerfile']]);
    expect(builtWhileMissing).toEqual([]);
    expect(eventsOf('watch-triggered')).toHaveLength(2);
    expect(eventsOf('watch-triggered')[1]!.steps).toEqual([{ step: 'docs', reason: 'changed', because: 'docs/Dockerfile' }]);
  });

  it('invalid instruction names its Dockerfile', async () => {
    await start();
    await waitForSummaries(1);

    await writeFile(path.join(dir, 'docs', 'Dockerfile'), 'FROM busybox:1.35\nRUNN true\n');
    watcher.report(dir, 'docs/Dockerfile');
    await waitFor(() => eventsOf('watch-error').length === 1, 'the Dockerfile error');

    const error = eventsOf('watch-error')[0]!;
    expect(error.error.message).toContain('RUNN');
    expect(error.files).toEqual(['docs/Dockerfile']);
  });

  it('a Dockerfile change plans again and builds the new content', async () => {
    await start();
    await waitForSummaries(1);

    await writeFile(path.join(dir, 'Dockerfile.production'), 'FROM busybox:1.35\nCOPY server /srv/server\n');
    watcher.report(dir, 'Dockerfile.production');
    await waitForSummaries(2);

    expect(engine.requests.at(-1)!.dockerfileContent.toString()).toContain('/srv/server');
    expect(watcher.started).toBe(2);
    expect(watcher.closed).toBe(1);
  });

  it('watch-ready repeats only when watching changes', async () => {
    await start();
    await waitForSummaries(1);

    await writeFile(path.join(dir, 'Dockerfile.production'), 'FROM busybox:1.35\nCOPY server /srv/server\n');
    watcher.report(dir, 'Dockerfile.production');
    await waitForSummaries(2);
    const afterDockerfile = eventsOf('watch-ready').length;
    watcher.watchedCount = 5;
    await writeFile(path.join(dir, 'app', '.dockerignore'), '*.md\nnode_modules\n*.txt\n');
    watcher.report(dir, 'app/.dockerignore');
    await waitForSummaries(3);

    expect(watcher.started).toBe(3);
    expect(afterDockerfile).toBe(1);
    expect(eventsOf('watch-ready').map((ready) => ready.watchedPaths)).toEqual([7, 5]);
  });

  it('a requested full rebuild builds every step', async () => {
    const running = await start();
    await waitForSummaries(1);

    running.requestFullRebuild();
    await waitForSummaries(2);

    expect(eventsOf('watch-triggered')[1]).toMatchObject({ trigger: { kind: 'request' }, restarted: false });
    expect(eventsOf('watch-triggered')[1]!.steps.map((rebuild) => `${rebuild.step}:${rebuild.reason}`)).toEqual([
      'builder:requested',
      'production:requested',
      'docs:requested',
      'lint:requested',
    ]);
  });

  it('a step that failed is rebuilt with the next run that needs it', async () => {
    engine['builds']['app-builder']!.failure = { message: 'go build failed', instruction: 'RUN go build' };
    await start();
    await waitForSummaries(1);
    delete engine['builds']['app-builder']!.failure;

    watcher.report(dir, 'docs/index.md');
    await waitForSummaries(2);
    watcher.report(dir, 'deploy/config.txt');
    await waitForSummaries(3);

    const triggered = eventsOf('watch-triggered');
    expect(eventsOf('watch-run-summary')[0]!.outcome).toBe('failed');
    expect(triggered[1]!.steps.map((rebuild) => rebuild.step)).toEqual(['docs']);
    expect(triggered[2]!.steps).toEqual([
      { step: 'builder', reason: 'unfinished', because: 'production' },
      { step: 'production', reason: 'changed', because: 'deploy/config.txt' },
    ]);
  });

  it('a watcher error is reported once per kind, and watching goes on', async () => {
    await start();
    await waitForSummaries(1);
    const full = (folder: string) => Object.assign(new Error(`ENOSPC: System limit for number of file watchers reached, watch '${folder}'`), { code: 'ENOSPC', path: folder });

    watcher.options!.onError(describeWatchError(full(path.join(dir, 'app'))));
    watcher.options!.onError(describeWatchError(full(path.join(dir, 'docs'))));
    watcher.report(dir, 'docs/index.md');
    await waitForSummaries(2);

    const errors = eventsOf('watch-error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.source).toBe('watcher');
    expect(errors[0]!.error.hint).toContain('fs.inotify.max_user_watches');
  });

  it('an unreadable .dockerignore ends the session', async () => {
    await writeFile(path.join(dir, 'docs', '.dockerignore'), '[unclosed\n');

    const running = await start();
    const end = await running.done;

    expect(end.error).toBeInstanceOf(InputError);
    expect(eventsOf('watch-error')[0]!.source).toBe('watcher');
    expect(eventsOf('watch-triggered')).toEqual([]);
    expect(events.at(-1)!.type).toBe('watch-stopped');
  });

  it('stopping removes the artifacts the session created', async () => {
    const running = await start();
    await waitForSummaries(1);
    const artifact = path.join(dir, 'deploy', 'server');
    const during = await exists(artifact);

    await running.stop();

    expect(during).toBe(true);
    expect(await exists(artifact)).toBe(false);
    expect(eventsOf('watch-stopped')).toEqual([{ type: 'watch-stopped', time: expect.any(Number), runs: 1, removedPaths: [artifact] }]);
    expect(watcher.closed).toBe(1);
  });

  it('stopping with keepArtifacts leaves them in place', async () => {
    const running = await start({ keepArtifacts: true });
    await waitForSummaries(1);

    await running.stop();

    expect(await exists(path.join(dir, 'deploy', 'server'))).toBe(true);
    expect(eventsOf('watch-stopped')[0]!.removedPaths).toEqual([]);
  });

  it('stopping during a run cancels it and starts no other', async () => {
    engine = new ScriptedEngine(scripts(2_000));
    const running = await start();
    await waitFor(() => eventsOf('step-started').length > 0, 'the first step to start');

    const startedAt = Date.now();
    await running.stop();

    expect(Date.now() - startedAt).toBeLessThan(1_500);
    expect(eventsOf('run-finished')[0]!.outcome).toBe('cancelled');
    expect(eventsOf('watch-triggered')).toHaveLength(1);
    expect(events.at(-1)!.type).toBe('watch-stopped');
  });
});

describe('supersededImages', () => {
  const facts = (id: string) => ({ id, sizeBytes: 1, layers: [] });

  it('lists the images a run replaced, once each', () => {
    const before = new Map([
      ['builder', facts('sha256:old-builder')],
      ['production', facts('sha256:old-production')],
      ['same', facts('sha256:kept')],
      ['gone', facts('sha256:dropped-step')],
      ['twin', facts('sha256:old-builder')],
    ]);
    const after = new Map([
      ['builder', facts('sha256:new-builder')],
      ['production', facts('sha256:new-production')],
      ['same', facts('sha256:kept')],
      ['twin', facts('sha256:new-twin')],
    ]);

    expect(supersededImages(before, after)).toEqual(['sha256:old-builder', 'sha256:old-production']);
  });
});
