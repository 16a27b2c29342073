// Running a planned build: schedule the steps, turn each step's progress and
// outcome into events, then report the final images and clean up what the run
// created (containers always; artifact roots unless kept).

import { rm } from 'node:fs/promises';

import { debug } from '../debug.js';
import type { Engine, ImageFacts } from '../engine/engine.js';
import { ExitCode, WeldError, isCancellation, type ExitCodeValue } from '../errors.js';
import { runSchedule } from '../graph/schedule.js';
import type { EventError, EventSink, FinalImage, RunOutcome, Savings } from './events.js';
import { reportLeftoversOnExit, type RunLeftovers } from './forced-exit.js';
import { LogTail } from './log-tail.js';
import { missingArtifactHint } from './missing-artifact-hint.js';
import { listArtifactSources, type BuildPlan } from './plan.js';
import { runStep, type StepSettings } from './run-step.js';

export interface RunBuildOptions extends Omit<StepSettings, 'recordCreatedPath' | 'workDir' | 'buildFile'> {
  plan: BuildPlan;
  /** Maximum steps building at once; 0 means no cap. */
  parallel: number;
  keepGoing: boolean;
  /** Leave the artifact roots the run created in place (`--keep-artifacts`). */
  keepArtifacts: boolean;
  /**
   * In a watch session that removes its artifacts when it ends: the paths its earlier runs
   * created. A forced exit names them with the ones this run created.
   */
  sessionPaths?: ReadonlySet<string>;
  /**
   * After a successful run, remove the images of the steps that are not final
   * (`--force-rmi`, `--noprune-rmi`). Absent: every step image stays, so that the
   * next run finds them in the layer cache.
   */
  removeIntermediateImages?: { force: boolean; noPrune: boolean };
  /** Only these steps run; the others' last images are reused (watch mode). */
  only?: Set<string>;
  /** Image facts of steps that do not run this time, for the final report. */
  previousFacts?: Map<string, ImageFacts>;
  engineInfo: { version: string; endpoint: string };
  signal: AbortSignal;
}

export interface RunBuildResult {
  outcome: RunOutcome;
  /** Image facts of every step that has an image after this run. */
  facts: Map<string, ImageFacts>;
  finalImages: FinalImage[];
  /** Paths the run created and left in place (kept artifacts). */
  createdPaths: string[];
  /**
   * Exit code of a failed run: 2 (bad input) when the first failure is one, such as a
   * Dockerfile the engine cannot parse, else 1.
   */
  failureExitCode: ExitCodeValue;
}

/** Turns any error a step rejected with into event details. */
function describeError(label: string, error: unknown): EventError {
  if (error instanceof WeldError) {
    const instruction = (error as { instruction?: string }).instruction;
    return { message: error.message, hint: error.hint, instruction };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { message: `step ${label}: ${message}`, hint: 'run again with --debug to see where it failed' };
}

function computeSavings(plan: BuildPlan, label: string, sizeBytes: number, facts: Map<string, ImageFacts>): Savings[] {
  const savings: Savings[] = [];
  for (const source of listArtifactSources(plan, label)) {
    const builder = facts.get(source);
    if (!builder) continue;
    savings.push({
      againstStep: source,
      againstImage: plan.steps.get(source)!.image,
      againstSizeBytes: builder.sizeBytes,
      ratio: sizeBytes > 0 ? builder.sizeBytes / sizeBytes : 0,
      percentSaved: builder.sizeBytes > 0 ? (1 - sizeBytes / builder.sizeBytes) * 100 : 0,
    });
  }
  return savings;
}

/**
 * Runs the build and emits its events, from `run-started` to `run-finished`. Should the
 * process exit at once while it runs, a line on stderr names what the run leaves.
 */
export async function runBuild(options: RunBuildOptions): Promise<RunBuildResult> {
  // Tells bin/load-bundle.js that this process builds, so that its code cache is one of a build.
  (globalThis as Record<symbol, unknown>)[Symbol.for('weld.ranBuild')] = true;
  const leftovers: RunLeftovers = { runId: options.runId, createdPaths: [], containersMayExist: false };
  const stopReporting = reportLeftoversOnExit(leftovers);
  try {
    return await runPlannedBuild(options, leftovers);
  } finally {
    stopReporting();
  }
}

async function runPlannedBuild(options: RunBuildOptions, leftovers: RunLeftovers): Promise<RunBuildResult> {
  const { plan, emit, engine } = options;
  const startedAt = Date.now();
  const facts = new Map(options.previousFacts ?? []);
  const createdPaths: string[] = [];
  // Kept artifacts are no leftovers: the user asked for them to stay. A watch session
  // keeps each run's artifacts until it ends, and names them with those of its earlier runs.
  if (!options.keepArtifacts || options.sessionPaths !== undefined) leftovers.createdPaths = createdPaths;
  if (options.sessionPaths !== undefined) leftovers.earlierPaths = options.sessionPaths;
  const tails = new Map<string, LogTail>();
  let firstError: (EventError & { step?: string }) | undefined;
  let failureExitCode: ExitCodeValue = ExitCode.buildFailed;

  emit({
    type: 'run-started',
    time: startedAt,
    runId: options.runId,
    buildFile: plan.manifest.file,
    workDir: plan.manifest.workDir,
    engine: options.engineInfo,
    steps: plan.graph.labels.map((label) => {
      const planned = plan.steps.get(label)!;
      return {
        label,
        image: planned.image,
        dependsOn: [...(plan.graph.dependencies.get(label)?.keys() ?? [])],
        dockerfile: planned.dockerfileLabel,
        context: planned.step.context,
        artifacts: planned.step.artifacts.map(({ source, destination }) => ({ source, destination })),
        ...(options.only && !options.only.has(label) ? { reused: true } : {}),
      };
    }),
  });

  // Beside the steps, not before them: the containers only matter to image removals,
  // which come after the steps, and the request would delay every run.
  const abandonedCopiesRemoved = removeAbandonedCopies(engine);

  const settings: StepSettings = {
    ...options,
    workDir: plan.manifest.workDir,
    buildFile: plan.manifest.file,
    recordCreatedPath: (created) => createdPaths.push(created),
  };
  const started = new Map<string, number>();
  const instructionCounts = new Map<string, { total: number; cached: number }>();

  const countingEmit: EventSink = (event) => {
    // Cleanup commands, copies and the step's command create containers once this is announced.
    if (event.type === 'step-phase') leftovers.containersMayExist = true;
    if (event.type === 'step-progress') {
      const counts = instructionCounts.get(event.step) ?? { total: 0, cached: 0 };
      counts.total = event.total;
      instructionCounts.set(event.step, counts);
    } else if (event.type === 'step-cached') {
      const counts = instructionCounts.get(event.step) ?? { total: 0, cached: 0 };
      counts.cached += 1;
      instructionCounts.set(event.step, counts);
    }
    emit(event);
  };

  const outcomes = await runSchedule(
    plan.graph,
    { parallel: options.parallel, keepGoing: options.keepGoing, only: options.only, signal: options.signal },
    {
      runStep: async (label, signal) => {
        const planned = plan.steps.get(label)!;
        const tail = new LogTail();
        tails.set(label, tail);
        started.set(label, Date.now());
        emit({ type: 'step-started', time: Date.now(), step: label });

        const result = await runStep(planned, { ...settings, emit: countingEmit }, tail, signal);
        facts.set(label, result.facts);
        const counts = instructionCounts.get(label) ?? { total: 0, cached: 0 };
        emit({
          type: 'step-finished',
          time: Date.now(),
          step: label,
          image: result.image,
          imageId: result.facts.id,
          sizeBytes: result.facts.sizeBytes,
          durationMs: Date.now() - started.get(label)!,
          cached: counts.total > 0 && counts.cached >= counts.total - 1,
          instructionsCached: counts.cached,
          instructionsTotal: counts.total,
        });
      },
      onFailed: (label, error) => {
        if (isCancellation(error)) {
          emit({ type: 'step-cancelled', time: Date.now(), step: label });
          return;
        }
        const details = describeError(label, error);
        details.hint = missingArtifactHint(plan, label, details.message) ?? details.hint;
        debug('build', `step ${label} failed`, error instanceof Error ? (error.stack ?? error.message) : String(error));
        if (firstError === undefined && error instanceof WeldError && error.exitCode === ExitCode.badInput) failureExitCode = ExitCode.badInput;
        firstError ??= { ...details, step: label };
        emit({
          type: 'step-failed',
          time: Date.now(),
          step: label,
          durationMs: Date.now() - (started.get(label) ?? startedAt),
          error: details,
          logTail: tails.get(label)?.toArray() ?? [],
        });
      },
      onCancelled: (label) => emit({ type: 'step-cancelled', time: Date.now(), step: label }),
      onSkipped: (label, because) => emit({ type: 'step-skipped', time: Date.now(), step: label, because }),
    },
  );

  await removeRunContainers(engine, options.runId);
  await abandonedCopiesRemoved;
  leftovers.containersMayExist = false;

  const values = [...outcomes.values()];
  let outcome: RunOutcome = 'succeeded';
  if (values.includes('failed')) outcome = 'failed';
  else if (options.signal.aborted || values.some((value) => value !== 'succeeded')) outcome = 'cancelled';

  const finalImages: FinalImage[] = [];
  if (outcome === 'succeeded') {
    for (const label of plan.finalSteps) {
      const imageFacts = facts.get(label);
      if (!imageFacts) continue;
      finalImages.push({
        step: label,
        image: plan.steps.get(label)!.image,
        imageId: imageFacts.id,
        sizeBytes: imageFacts.sizeBytes,
        layers: imageFacts.layers,
        savings: computeSavings(plan, label, imageFacts.sizeBytes, facts),
      });
    }
  }

  if (outcome === 'succeeded' && options.removeIntermediateImages) {
    await removeIntermediateImages(plan, options.removeIntermediateImages, options);
  }

  if (!options.keepArtifacts) {
    await removeCreatedPaths(createdPaths);
    createdPaths.length = 0;
  }

  emit({
    type: 'run-finished',
    time: Date.now(),
    outcome,
    durationMs: Date.now() - startedAt,
    finalImages,
    ...(firstError ? { error: firstError } : {}),
  });
  return { outcome, facts, finalImages, createdPaths, failureExitCode };
}

/**
 * Removes the images of the steps that are not final (another step depends on them),
 * as Habitus removed step images after a build. A removal that fails is reported as a warning and does
 * not fail the run: the final images are complete by then.
 */
async function removeIntermediateImages(plan: BuildPlan, removal: { force: boolean; noPrune: boolean }, options: Pick<RunBuildOptions, 'engine' | 'emit'>): Promise<void> {
  const finalSteps = new Set(plan.finalSteps);
  for (const label of plan.graph.labels) {
    if (finalSteps.has(label)) continue;
    const image = plan.steps.get(label)!.image;
    try {
      await options.engine.removeImage(image, removal);
      options.emit({ type: 'step-log', time: Date.now(), step: label, source: 'cleanup', line: `removed the step image ${image}` });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      options.emit({ type: 'warning', time: Date.now(), step: label, message: `could not remove the step image ${image}: ${reason}` });
    }
  }
}

/** Removes the copy containers of weld processes that exited without removing them; a failure only costs a debug line. */
async function removeAbandonedCopies(engine: Engine): Promise<void> {
  try {
    const removed = await engine.removeAbandonedCopies();
    if (removed > 0) debug('build', `removed ${removed} copy container(s) that earlier weld processes left`);
  } catch (error) {
    debug('build', 'could not remove the copy containers that earlier weld processes left', String(error));
  }
}

/** Removes the containers a run left behind (artifact copies, aborted builds). */
export async function removeRunContainers(engine: Engine, runId: string): Promise<void> {
  try {
    const removed = await engine.removeContainersLabelled('weld.run', runId);
    if (removed > 0) debug('build', `removed ${removed} container(s) of run ${runId}`);
  } catch (error) {
    debug('build', `could not remove the containers of run ${runId}`, String(error));
  }
}

/** Removes artifact roots, newest first, ignoring paths already gone. */
export async function removeCreatedPaths(paths: string[]): Promise<void> {
  for (const created of [...paths].reverse()) {
    await rm(created, { recursive: true, force: true });
  }
}
