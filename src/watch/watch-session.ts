// A watch session: build everything once, then rebuild what each batch of file
// changes affects, until stopped. A change that touches a running build cancels it
// and the next run takes over its steps. Steps that do not rebuild keep their last
// images and artifacts. The artifact roots the session created are removed when it
// stops, unless they are to be kept.

import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';

import type { BuildEvent, EventError, StepRebuild, WatchTrigger } from '../build/events.js';
import type { BuildPlan } from '../build/plan.js';
import { removeCreatedPaths, runBuild, type RunBuildOptions, type RunBuildResult } from '../build/run-build.js';
import { debug } from '../debug.js';
import type { ImageFacts } from '../engine/engine.js';
import { WeldError } from '../errors.js';
import { selectDownstream } from '../graph/step-graph.js';
import { assessChanges, expandRebuilds, findChangedDefinitions, selectAllSteps, type ChangeImpact } from './affected-steps.js';
import { createChangeBatcher, type Timers } from './change-batcher.js';
import { startFileWatcher, type FileWatcher, type FileWatcherOptions } from './file-watcher.js';
import { toRelativeLabel } from './ignore-rules.js';
import { compareFinalSizes, listPaths } from './run-summary.js';
import { createWatchFilter, loadWatchTargets, type LoadIgnoreMatcher, type WatchTargets } from './watch-targets.js';

/** Settings every run of the session shares; the session sets the rest per run. */
export type WatchRunSettings = Omit<RunBuildOptions, 'plan' | 'runId' | 'only' | 'previousFacts' | 'keepArtifacts' | 'signal'>;

export interface WatchSessionOptions {
  /** The plan of the first run, already loaded and checked. */
  plan: BuildPlan;
  /** Loads build.yml and plans it again; rejects (InputError) when it is invalid. */
  reloadPlan(): Promise<BuildPlan>;
  settings: WatchRunSettings;
  /** Leave the artifact roots in place when the session stops (`--keep-artifacts`). */
  keepArtifacts: boolean;
  /** Poll for changes every this many milliseconds instead of OS notifications. */
  pollMs?: number;
  loadIgnoreMatcher: LoadIgnoreMatcher;
  /** Replaces chokidar in tests. */
  startFileWatcher?: (options: FileWatcherOptions) => FileWatcher;
  /** Replaces the system timers of the change batcher in tests. */
  timers?: Timers;
  debounceMs?: number;
}

/** Returns the ids of the images that `after` replaced, step by step. */
export function supersededImages(before: ReadonlyMap<string, ImageFacts>, after: ReadonlyMap<string, ImageFacts>): string[] {
  const replaced: string[] = [];
  for (const [label, facts] of before) {
    const next = after.get(label);
    if (next && next.id !== facts.id) replaced.push(facts.id);
  }
  return [...new Set(replaced)];
}

/** The end of a session. */
export interface WatchEnd {
  /** The error that ended the session on its own (already reported as `watch-error`); absent after `stop()`. */
  error?: unknown;
}

export interface WatchSession {
  /** Rebuilds every step, cancelling a run in progress. */
  requestFullRebuild(): void;
  /** Cancels a run in progress, stops watching, removes artifacts unless kept; settles when done. */
  stop(): Promise<WatchEnd>;
  /** Settles once the session has stopped and cleaned up. */
  readonly done: Promise<WatchEnd>;
}

/** A run about to start: which steps, and what started it. */
interface PreparedRun {
  rebuilds: StepRebuild[];
  trigger: WatchTrigger;
  /** Changed paths relative to the work dir. */
  paths: string[];
  restarted: boolean;
}

interface CurrentRun {
  controller: AbortController;
  steps: Set<string>;
  prepared: PreparedRun;
  /** Set when a change or a rebuild request cancelled the run, so that the next one takes it over. */
  superseded: boolean;
}

function toEventError(error: unknown): EventError {
  if (error instanceof WeldError) return { message: error.message, hint: error.hint };
  return { message: error instanceof Error ? error.message : String(error), hint: 'run again with --debug to see where it failed' };
}

async function readFileSize(file: string): Promise<number | undefined> {
  try {
    const stats = await stat(file);
    return stats.isFile() ? stats.size : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a session: watches, runs the first full build, and rebuilds on changes until stopped. */
export function startWatchSession(options: WatchSessionOptions): WatchSession {
  const { settings } = options;
  const emit = (event: BuildEvent): void => settings.emit(event);
  const startWatcher = options.startFileWatcher ?? startFileWatcher;

  let plan = options.plan;
  let targets: WatchTargets | undefined;
  let watcher: FileWatcher | undefined;
  let facts = new Map<string, ImageFacts>();
  const unfinished = new Set<string>();
  const lastSizes = new Map<string, number>();
  const createdPaths = new Set<string>();
  let runCount = 0;

  let pendingPaths: string[] = [];
  /**
   * True while build.yml and the Dockerfiles cannot be planned. No run starts then,
   * because the last good plan would build what they no longer describe.
   */
  let planBroken = false;
  /** Changed paths held while the plan is broken; the run that follows a good plan takes them. */
  let deferredPaths: string[] = [];
  let fullRebuildRequested = false;
  /** Steps of a cancelled run that the next run takes over. */
  let carried: StepRebuild[] = [];
  let current: CurrentRun | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;

  const wakeLoop = (): void => {
    wake?.();
    wake = undefined;
  };

  /** Cancels the current run when the pending changes touch any of its steps. */
  const cancelIfAffected = (): void => {
    if (!current || current.superseded || !targets || pendingPaths.length === 0) return;
    const impact = assessChanges(targets, pendingPaths);
    // A changed build.yml may change any step; which ones is known only once it is planned again.
    const touched = selectDownstream(plan.graph, impact.direct.map((rebuild) => rebuild.step));
    if (!impact.buildFileChanged && !touched.some((label) => current!.steps.has(label))) return;

    debug('watch', `a change touches run ${runCount}; cancelling it`, impact.relevantPaths.slice(0, 5));
    current.superseded = true;
    current.controller.abort();
  };

  const batcher = createChangeBatcher({
    debounceMs: options.debounceMs,
    timers: options.timers,
    readSize: readFileSize,
    onBatch: (paths) => {
      if (stopping) return;
      for (const changed of paths) {
        if (!pendingPaths.includes(changed)) pendingPaths.push(changed);
      }
      cancelIfAffected();
      wakeLoop();
    },
  });

  // A full inotify table fails once per folder; one message per kind of failure is enough.
  const reportedWatcherErrors = new Set<string>();
  const reportWatcherError = (error: WeldError): void => {
    const kind = (error.cause as NodeJS.ErrnoException | undefined)?.code ?? error.message;
    if (reportedWatcherErrors.has(kind)) {
      debug('watch', 'watcher error repeated', error.message);
      return;
    }
    reportedWatcherErrors.add(kind);
    emit({ type: 'watch-error', time: Date.now(), source: 'watcher', error: toEventError(error) });
  };

  const watcherOptions = (watched: WatchTargets): FileWatcherOptions => ({
    roots: watched.roots,
    files: [watched.buildFile, ...watched.dockerfiles.keys()],
    isIgnored: createWatchFilter(watched),
    pollMs: options.pollMs,
    onChange: (change) => batcher.push(change),
    onError: reportWatcherError,
  });

  /** Steps and roots of the last `watch-ready` event, to tell whether the next watcher watches anything else. */
  let reportedScope: string | undefined;

  /**
   * Works out the targets of the current plan and watches them; the old watcher
   * stops once the new one is ready. Reports `watch-ready` at the start, and again
   * only when the steps, the roots or the count of watched paths changed, so that
   * an edited Dockerfile does not repeat it. Rejects when a .dockerignore cannot be read.
   */
  const watchPlan = async (): Promise<void> => {
    const next = await loadWatchTargets(plan, { loadIgnoreMatcher: options.loadIgnoreMatcher, createdPaths });
    targets = next;
    const previous = watcher;
    watcher = startWatcher(watcherOptions(next));
    await watcher.ready;
    const countBefore = previous?.countWatched();
    await previous?.close();

    const watchedPaths = watcher.countWatched();
    const scope = JSON.stringify([plan.graph.labels, [...next.roots].sort()]);
    const unchanged = previous !== undefined && scope === reportedScope && countBefore === watchedPaths;
    reportedScope = scope;
    if (unchanged) return;
    emit({ type: 'watch-ready', time: Date.now(), steps: plan.graph.labels, watchedPaths, ...(options.pollMs ? { pollMs: options.pollMs } : {}) });
  };

  /** Watches the current plan again; on failure reports it and keeps watching what was watched. */
  const rewatchPlan = async (): Promise<void> => {
    try {
      await watchPlan();
    } catch (error) {
      debug('watch', 'what to watch could not be worked out again', error instanceof Error ? (error.stack ?? error.message) : String(error));
      emit({ type: 'watch-error', time: Date.now(), source: 'watcher', error: toEventError(error) });
    }
  };

  /**
   * Loads build.yml again. On failure reports it with the build.yml and Dockerfiles
   * changed since the last good plan, and returns undefined.
   */
  const reloadPlan = async (impact: ChangeImpact): Promise<BuildPlan | undefined> => {
    try {
      return await options.reloadPlan();
    } catch (error) {
      debug('watch', 'build.yml could not be planned again', error instanceof Error ? (error.stack ?? error.message) : String(error));
      const files = impact.planningPaths.length > 0 ? impact.planningPaths : [toRelativeLabel(plan.manifest.workDir, plan.manifest.file)];
      emit({ type: 'watch-error', time: Date.now(), source: 'build-file', error: toEventError(error), files });
      return undefined;
    }
  };

  /**
   * Takes the pending changes and works out the next run, or undefined when they
   * touch no step. A change to build.yml or a Dockerfile plans again. A new plan
   * rebuilds the steps whose definition differs from the last good plan, with the
   * steps the same changes touch and everything downstream. A valid build.yml edited
   * and put back as it was therefore rebuilds only the steps whose context contains it.
   *
   * While the plan is broken, every change that a step or the plan reads plans again
   * and, while that fails, reports the error again and starts no run. The first good
   * plan after that always starts a run, so that the user sees the error cleared: when
   * nothing else changed, every step rebuilds, mostly from the layer cache.
   */
  const prepareRun = async (): Promise<PreparedRun | undefined> => {
    const requested = fullRebuildRequested;
    fullRebuildRequested = false;
    const paths = [...new Set([...deferredPaths, ...pendingPaths])];
    pendingPaths = [];
    deferredPaths = [];
    const restarted = carried.length > 0;
    const recovering = planBroken;

    let impact: ChangeImpact = assessChanges(targets!, paths);
    const because = toRelativeLabel(plan.manifest.workDir, plan.manifest.file);
    const definitionChanges: StepRebuild[] = [];
    if (planBroken && !requested && impact.relevantPaths.length === 0) {
      deferredPaths = paths;
      return undefined;
    }
    if (planBroken || impact.buildFileChanged || impact.dockerfileChanged) {
      const next = await reloadPlan(impact);
      if (!next) {
        planBroken = true;
        deferredPaths = paths;
        return undefined;
      }
      planBroken = false;
      for (const step of findChangedDefinitions(plan, next)) definitionChanges.push({ step, reason: 'build-file', because });
      plan = next;
      await rewatchPlan();
      impact = assessChanges(targets!, paths);
    } else if (impact.ignoreFileChanged) {
      await rewatchPlan();
      impact = assessChanges(targets!, paths);
    }

    const selected = [
      ...(requested ? selectAllSteps(plan.graph, 'requested') : []),
      ...carried,
      ...impact.direct,
      ...definitionChanges,
    ];
    if (recovering && selected.length === 0) {
      selected.push(...selectAllSteps(plan.graph, 'build-file').map((rebuild) => ({ ...rebuild, because })));
    }
    carried = [];
    const rebuilds = expandRebuilds(plan.graph, selected, unfinished);
    if (rebuilds.length === 0) return undefined;

    const firstPath = impact.relevantPaths[0];
    const trigger: WatchTrigger = requested ? { kind: 'request' } : { kind: 'change', ...(firstPath ? { path: firstPath } : {}) };
    return { rebuilds, trigger, paths: impact.relevantPaths, restarted };
  };

  const execute = async (prepared: PreparedRun): Promise<void> => {
    runCount += 1;
    const run = runCount;
    emit({
      type: 'watch-triggered',
      time: Date.now(),
      run,
      trigger: prepared.trigger,
      paths: listPaths(prepared.paths),
      pathCount: prepared.paths.length,
      steps: prepared.rebuilds,
      restarted: prepared.restarted,
    });

    const controller = new AbortController();
    const only = new Set(prepared.rebuilds.map((rebuild) => rebuild.step));
    const active: CurrentRun = { controller, steps: only, prepared, superseded: false };
    current = active;
    // Changes that arrived while the run was being prepared may already touch it.
    cancelIfAffected();

    const finished = new Set<string>();
    const startedAt = Date.now();
    let result: RunBuildResult | undefined;
    try {
      result = await runBuild({
        ...settings,
        plan,
        runId: randomBytes(6).toString('hex'),
        only,
        previousFacts: facts,
        keepArtifacts: true,
        ...(options.keepArtifacts ? {} : { sessionPaths: createdPaths }),
        signal: controller.signal,
        emit: (event) => {
          if (event.type === 'step-finished') finished.add(event.step);
          emit(event);
        },
      });
    } catch (error) {
      debug('watch', `run ${run} failed outside any step`, error instanceof Error ? (error.stack ?? error.message) : String(error));
      emit({ type: 'watch-error', time: Date.now(), source: 'run', error: toEventError(error) });
    }
    current = undefined;

    let superseded: string[] = [];
    if (result) {
      superseded = supersededImages(facts, result.facts);
      facts = new Map([...result.facts].filter(([label]) => plan.steps.has(label)));
      for (const created of result.createdPaths) createdPaths.add(created);
      if (targets) targets.written = [...new Set([...targets.written, ...result.createdPaths])];
    }
    for (const label of only) {
      if (finished.has(label)) unfinished.delete(label);
      else unfinished.add(label);
    }
    if (active.superseded && !stopping) carried = prepared.rebuilds.filter((rebuild) => !finished.has(rebuild.step));

    const outcome = result?.outcome ?? 'failed';
    emit({
      type: 'watch-run-summary',
      time: Date.now(),
      run,
      trigger: prepared.trigger,
      pathCount: prepared.paths.length,
      steps: prepared.rebuilds,
      outcome,
      durationMs: Date.now() - startedAt,
      finalImages: outcome === 'succeeded' && result ? compareFinalSizes(result.finalImages, lastSizes) : [],
      watchedPaths: watcher?.countWatched() ?? 0,
    });
    await removeSuperseded(superseded);
  };

  /**
   * Removes the images that this run's builds replaced, once no tag names them, so that a
   * session open all day does not fill the disk with them. It runs before the next run, so
   * that no build uses an image while it is removed.
   */
  const removeSuperseded = async (imageIds: string[]): Promise<void> => {
    // Habitus's --keep-all keeps every image.
    if (settings.keepAll) return;
    for (const imageId of imageIds) {
      try {
        const removed = await settings.engine.removeUntaggedImage(imageId);
        debug('watch', `${removed ? 'removed' : 'kept'} the replaced image ${imageId}`);
      } catch (error) {
        debug('watch', `could not remove the replaced image ${imageId}`, error instanceof Error ? error.message : String(error));
      }
    }
  };

  const hasWork = (): boolean => stopping || fullRebuildRequested || pendingPaths.length > 0;

  /**
   * Reads the images the steps' names point at before the first run, so that the first
   * run's rebuilds remove the images they replace too, as later runs do.
   */
  const readStartingImages = async (): Promise<void> => {
    for (const [label, planned] of plan.steps) {
      try {
        facts.set(label, await settings.engine.inspectImage(planned.image));
      } catch (error) {
        debug('watch', `no image ${planned.image} before the first run`, error instanceof Error ? error.message : String(error));
      }
    }
  };

  const loop = async (): Promise<void> => {
    await watchPlan();
    if (!stopping && !settings.keepAll) await readStartingImages();
    if (!stopping) {
      await execute({ rebuilds: selectAllSteps(plan.graph, 'initial'), trigger: { kind: 'start' }, paths: [], restarted: false });
    }
    while (!stopping) {
      if (!hasWork()) await new Promise<void>((resolve) => (wake = resolve));
      if (stopping) break;
      const prepared = await prepareRun();
      if (prepared && !stopping) await execute(prepared);
    }
  };

  const cleanUp = async (end: WatchEnd): Promise<WatchEnd> => {
    batcher.dispose();
    await watcher?.close();
    const removed = options.keepArtifacts ? [] : [...createdPaths];
    try {
      await removeCreatedPaths(removed);
    } catch (error) {
      emit({ type: 'watch-error', time: Date.now(), source: 'run', error: toEventError(error) });
    }
    emit({ type: 'watch-stopped', time: Date.now(), runs: runCount, removedPaths: removed });
    return end;
  };

  const done = loop()
    .then(
      (): WatchEnd => ({}),
      (error: unknown): WatchEnd => {
        debug('watch', 'the session stopped with an error', error instanceof Error ? (error.stack ?? error.message) : String(error));
        emit({ type: 'watch-error', time: Date.now(), source: 'watcher', error: toEventError(error) });
        return { error };
      },
    )
    .then(cleanUp);

  return {
    requestFullRebuild() {
      if (stopping) return;
      fullRebuildRequested = true;
      if (current && !current.superseded) {
        current.superseded = true;
        current.controller.abort();
      }
      wakeLoop();
    },
    stop() {
      if (!stopping) {
        stopping = true;
        current?.controller.abort();
        wakeLoop();
      }
      return done;
    },
    done,
  };
}
