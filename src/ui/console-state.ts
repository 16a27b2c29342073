// The console's view of a run, folded from BuildEvents by a pure reducer. Components
// render this state only; they never see events. Every buffer here is bounded, so
// a step printing hundreds of thousands of lines costs the same memory as one
// printing a few thousand.

import type { BuildEvent, EventError, FinalImage, RunOutcome, StepPlan, StepState } from '../build/events.js';
import { debug } from '../debug.js';
import { findCriticalPath } from './critical-path.js';
import { appendLine, EMPTY_LINE_BUFFER, type LineBuffer } from './line-buffer.js';
import { sanitizeLogLine } from './log-line.js';

/** Lines of a step's log the console keeps, for the whole-log view; older lines are dropped. */
export const LOG_RING_LINES = 5000;
/** Warnings printed per run; later ones are counted, not printed. */
export const MAX_WARNINGS_PER_RUN = 100;

/** The instruction a step is running. */
export interface InstructionView {
  /** 1-based index of the instruction. */
  index: number;
  /** Count of instructions in the Dockerfile. */
  total: number;
  /** The instruction as the engine prints it. */
  text: string;
  /** True when the engine took this instruction from the layer cache. */
  cached: boolean;
}

/** One step as the console shows it. */
export interface StepView {
  label: string;
  /** Image name and tag the step produces. */
  image: string;
  /** Labels of the steps this one waits for. */
  dependsOn: string[];
  /** Length of the longest chain of dependencies above the step; 0 for a root. */
  depth: number;
  state: StepState;
  /** Event times, Unix milliseconds. */
  startedAt?: number;
  finishedAt?: number;
  durationMs?: number;
  /** Bytes of build context sent to the engine. */
  contextBytes?: number;
  instruction?: InstructionView;
  /** Instructions taken from the layer cache so far, or in all once finished. */
  instructionsCached: number;
  /** Count of instructions, once known. */
  instructionsTotal?: number;
  imageId?: string;
  sizeBytes?: number;
  error?: EventError;
  /** The last lines the step printed before it failed, cleaned for the terminal. */
  failureTail?: string[];
  /** Label of the dependency whose failure or cancellation skipped this step. */
  skippedBecause?: string;
  /** The last LOG_RING_LINES lines the step printed, cleaned for the terminal. */
  log: LineBuffer;
  /** True for a step the watch run did not rebuild: it shows the image and log of run `logRun`. */
  reused?: boolean;
  /** Number of the watch run that printed `log`; absent outside watch mode. */
  logRun?: number;
}

/** One artifact copy out of a step's image. */
export interface ArtifactView {
  step: string;
  /** Path inside the image. */
  source: string;
  /** Destination on the host, as the event names it. */
  destination: string;
  bytes: number;
  /** Bytes to copy; 0 when unknown. */
  totalBytes: number;
  /** Event times, Unix milliseconds. */
  startedAt: number;
  updatedAt: number;
  /** Set once the copy finished. */
  durationMs?: number;
}

/** Facts of the run from run-started. */
export interface RunView {
  runId: string;
  buildFile: string;
  workDir: string;
  engine: { version: string; endpoint: string };
  /** Event time of run-started, Unix milliseconds. */
  startedAt: number;
}

/** The end of a run: outcome, duration, final images and critical path. */
export interface RunEnd {
  outcome: RunOutcome;
  durationMs: number;
  finalImages: FinalImage[];
  error?: EventError & { step?: string };
  /** Labels of the steps that bounded the run's time, first step first. */
  criticalPath: string[];
}

/** The events of watch mode, which come between runs. */
export type WatchEvent = Extract<BuildEvent, { type: 'watch-ready' | 'watch-triggered' | 'watch-error' | 'watch-run-summary' | 'watch-stopped' }>;

/** Watch mode as its latest events report it. */
export interface WatchView {
  /** Files and folders being watched, once watch mode reported them. */
  watchedPaths?: number;
  /** Number of the latest run that watch mode started. */
  run?: number;
  /** The error that stops the next run until a file changes, e.g. an invalid build.yml. */
  error?: EventError;
  stopped: boolean;
}

/** Output printed once above the live region, in the order it happened within a run. */
export type PrintedItem =
  | { kind: 'warning'; message: string; step?: string }
  | { kind: 'warnings-dropped' }
  | { kind: 'run-summary'; runId: string }
  | { kind: 'watch'; event: Exclude<WatchEvent, { type: 'watch-ready' }> };

export interface ConsoleState {
  /** Count of runs seen; it changes with every run-started. */
  runSeq: number;
  run?: RunView;
  /** Step labels in display order: by depth, then as build.yml lists them. */
  order: string[];
  steps: Readonly<Record<string, StepView>>;
  /** Artifact copies of this run, in start order. */
  artifacts: ArtifactView[];
  /** Output to print above the live region; append-only within a run. */
  printed: PrintedItem[];
  /** Warnings of this run, printed or not. */
  warningCount: number;
  /** The step the console should focus: the first one that failed. */
  focus?: string;
  /** Time of the latest event, Unix milliseconds. */
  lastEventAt?: number;
  end?: RunEnd;
  /** Set once watch mode reported; kept across runs. */
  watch?: WatchView;
}

export const INITIAL_CONSOLE_STATE: ConsoleState = {
  runSeq: 0,
  order: [],
  steps: {},
  artifacts: [],
  printed: [],
  warningCount: 0,
};

const ACTIVE_STATES: ReadonlySet<StepState> = new Set(['building', 'copying', 'running']);

/** Returns true while a step is building, copying artifacts or running its command. */
export function isActive(state: StepState): boolean {
  return ACTIVE_STATES.has(state);
}

/** Returns the depth of every step; dependencies outside the plan and cycles count as roots. */
function computeDepths(steps: readonly StepPlan[]): Map<string, number> {
  const byLabel = new Map(steps.map((step) => [step.label, step]));
  const depths = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (label: string): number => {
    const known = depths.get(label);
    if (known !== undefined) return known;
    const step = byLabel.get(label);
    if (step === undefined || visiting.has(label)) return -1;

    visiting.add(label);
    const depth = 1 + Math.max(-1, ...step.dependsOn.map(depthOf));
    visiting.delete(label);
    depths.set(label, depth);
    return depth;
  };
  for (const step of steps) depthOf(step.label);
  return depths;
}

function startRun(state: ConsoleState, event: Extract<BuildEvent, { type: 'run-started' }>): ConsoleState {
  const depths = computeDepths(event.steps);
  const run = state.watch?.run;
  const steps: Record<string, StepView> = {};
  for (const plan of event.steps) {
    // A step a watch run does not rebuild keeps its last image: it shows as cached, with
    // the size and the log of the run that built it.
    const previous = plan.reused ? state.steps[plan.label] : undefined;
    const logRun = plan.reused ? previous?.logRun : run;
    steps[plan.label] = {
      label: plan.label,
      image: plan.image,
      dependsOn: [...plan.dependsOn],
      depth: depths.get(plan.label) ?? 0,
      state: plan.reused ? 'cached' : 'queued',
      instructionsCached: 0,
      log: previous?.log ?? EMPTY_LINE_BUFFER,
      ...(previous?.sizeBytes === undefined ? {} : { sizeBytes: previous.sizeBytes }),
      ...(plan.reused ? { reused: true } : {}),
      ...(logRun === undefined ? {} : { logRun }),
    };
  }
  const order = event.steps
    .map((plan, index) => ({ label: plan.label, index, depth: depths.get(plan.label) ?? 0 }))
    .sort((a, b) => a.depth - b.depth || a.index - b.index)
    .map((entry) => entry.label);

  return {
    ...INITIAL_CONSOLE_STATE,
    watch: state.watch === undefined ? undefined : { ...state.watch, error: undefined },
    runSeq: state.runSeq + 1,
    run: {
      runId: event.runId,
      buildFile: event.buildFile,
      workDir: event.workDir,
      engine: event.engine,
      startedAt: event.time,
    },
    order,
    steps,
    lastEventAt: event.time,
  };
}

/** Returns `state` with the step labelled `label` replaced by `update(step)`; unchanged for a label the run did not plan. */
function updateStep(state: ConsoleState, label: string, update: (step: StepView) => StepView): ConsoleState {
  const step = state.steps[label];
  if (step === undefined) {
    debug('ui', `event for step ${label}, which the run did not plan`);
    return state;
  }
  return { ...state, steps: { ...state.steps, [label]: update(step) } };
}

/** Returns `state` with the latest artifact copy of `source` out of `step` replaced by `update(artifact)`. */
function updateArtifact(state: ConsoleState, step: string, source: string, update: (artifact: ArtifactView) => ArtifactView): ConsoleState {
  let index = state.artifacts.length - 1;
  while (index >= 0 && !(state.artifacts[index]!.step === step && state.artifacts[index]!.source === source)) index--;
  if (index < 0) return state;
  const artifacts = [...state.artifacts];
  artifacts[index] = update(artifacts[index]!);
  return { ...state, artifacts };
}

function addWarning(state: ConsoleState, message: string, step?: string): ConsoleState {
  const warningCount = state.warningCount + 1;
  if (warningCount > MAX_WARNINGS_PER_RUN + 1) return { ...state, warningCount };
  const item: PrintedItem = warningCount > MAX_WARNINGS_PER_RUN ? { kind: 'warnings-dropped' } : { kind: 'warning', message, step };
  return { ...state, warningCount, printed: [...state.printed, item] };
}

function finishRun(state: ConsoleState, event: Extract<BuildEvent, { type: 'run-finished' }>): ConsoleState {
  const criticalPath = findCriticalPath(state.order.map((label) => state.steps[label]!));
  const end: RunEnd = { outcome: event.outcome, durationMs: event.durationMs, finalImages: event.finalImages, error: event.error, criticalPath };
  const focus = state.focus ?? event.error?.step;
  const printed: PrintedItem[] = [...state.printed, { kind: 'run-summary', runId: state.run!.runId }];
  return { ...state, end, focus, printed };
}

const WATCH_EVENT_TYPES: ReadonlySet<BuildEvent['type']> = new Set(['watch-ready', 'watch-triggered', 'watch-error', 'watch-run-summary', 'watch-stopped']);

function isWatchEvent(event: BuildEvent): event is WatchEvent {
  return WATCH_EVENT_TYPES.has(event.type);
}

/** Folds an event of watch mode: `watch-ready` updates the footer, the others are printed. */
function reduceWatch(state: ConsoleState, event: WatchEvent): ConsoleState {
  const watch: WatchView = state.watch ?? { stopped: false };
  switch (event.type) {
    case 'watch-ready':
      return { ...state, watch: { ...watch, watchedPaths: event.watchedPaths } };
    case 'watch-error':
      return { ...state, watch: { ...watch, error: event.error }, printed: [...state.printed, { kind: 'watch', event }] };
    case 'watch-run-summary':
      return { ...state, watch: { ...watch, watchedPaths: event.watchedPaths }, printed: [...state.printed, { kind: 'watch', event }] };
    case 'watch-stopped':
      return { ...state, watch: { ...watch, stopped: true }, printed: [...state.printed, { kind: 'watch', event }] };
    case 'watch-triggered':
      return { ...state, watch: { ...watch, run: event.run, error: undefined }, printed: [...state.printed, { kind: 'watch', event }] };
  }
}

/**
 * Folds one event into the console state. Events of a run that come before the
 * first run-started are ignored; events of watch mode are taken at any time.
 */
export function reduceConsole(state: ConsoleState, event: BuildEvent): ConsoleState {
  if (event.type === 'run-started') return startRun(state, event);
  if (isWatchEvent(event)) return reduceWatch(state, event);
  if (state.run === undefined) return state;

  const timed = { ...state, lastEventAt: Math.max(state.lastEventAt ?? event.time, event.time) };
  switch (event.type) {
    case 'step-started':
      return updateStep(timed, event.step, (step) => ({ ...step, state: 'building', startedAt: event.time }));
    case 'context-sent':
      return updateStep(timed, event.step, (step) => ({ ...step, contextBytes: event.bytes }));
    case 'step-progress':
      // The log shows each instruction as the plain output does, before the lines it prints.
      return updateStep(timed, event.step, (step) => ({
        ...step,
        instruction: { index: event.instruction, total: event.total, text: event.text, cached: false },
        instructionsTotal: event.total,
        log: appendLine(step.log, sanitizeLogLine(`Step ${event.instruction}/${event.total} : ${event.text}`), LOG_RING_LINES),
      }));
    case 'step-cached':
      return updateStep(timed, event.step, (step) => ({
        ...step,
        instructionsCached: step.instructionsCached + 1,
        instruction: step.instruction?.index === event.instruction ? { ...step.instruction, cached: true } : step.instruction,
      }));
    case 'step-log': {
      const prefix = event.source === 'build' ? '' : `\u001b[2m${event.source}\u001b[22m `;
      const line = prefix + sanitizeLogLine(event.line);
      return updateStep(timed, event.step, (step) => ({ ...step, log: appendLine(step.log, line, LOG_RING_LINES) }));
    }
    case 'step-phase':
      return updateStep(timed, event.step, (step) => ({ ...step, state: event.state }));
    case 'artifact-started': {
      const artifact: ArtifactView = {
        step: event.step,
        source: event.source,
        destination: event.destination,
        bytes: 0,
        totalBytes: event.totalBytes,
        startedAt: event.time,
        updatedAt: event.time,
      };
      return { ...timed, artifacts: [...timed.artifacts, artifact] };
    }
    case 'artifact-progress':
      return updateArtifact(timed, event.step, event.source, (artifact) => ({
        ...artifact,
        bytes: event.bytes,
        totalBytes: event.totalBytes,
        updatedAt: event.time,
      }));
    case 'artifact-finished':
      return updateArtifact(timed, event.step, event.source, (artifact) => ({
        ...artifact,
        destination: event.destination,
        bytes: event.bytes,
        totalBytes: Math.max(artifact.totalBytes, event.bytes),
        updatedAt: event.time,
        durationMs: event.durationMs,
      }));
    case 'step-finished':
      return updateStep(timed, event.step, (step) => ({
        ...step,
        state: event.cached ? 'cached' : 'done',
        image: event.image,
        imageId: event.imageId,
        sizeBytes: event.sizeBytes,
        durationMs: event.durationMs,
        finishedAt: event.time,
        instructionsCached: event.instructionsCached,
        instructionsTotal: event.instructionsTotal,
      }));
    case 'step-failed': {
      const failed = updateStep(timed, event.step, (step) => ({
        ...step,
        state: 'failed',
        durationMs: event.durationMs,
        finishedAt: event.time,
        error: event.error,
        failureTail: event.logTail.map(sanitizeLogLine),
      }));
      return failed.focus === undefined && failed !== timed ? { ...failed, focus: event.step } : failed;
    }
    case 'step-cancelled':
      return updateStep(timed, event.step, (step) => ({
        ...step,
        state: 'cancelled',
        durationMs: step.startedAt === undefined ? undefined : event.time - step.startedAt,
      }));
    case 'step-skipped':
      return updateStep(timed, event.step, (step) => ({ ...step, state: 'skipped', skippedBecause: event.because }));
    case 'warning':
      return addWarning(timed, event.message, event.step);
    case 'run-finished':
      return finishRun(timed, event);
    default: {
      // Reached only by an event type newer than this reducer, e.g. from a recording.
      const unknown: { type?: unknown } = event;
      debug('ui', `event of type ${String(unknown.type)} has no place in the console`);
      return state;
    }
  }
}

/** Returns the steps in display order. */
export function orderedSteps(state: ConsoleState): StepView[] {
  return state.order.map((label) => state.steps[label]!);
}

/** Returns the step the console shows when the user selected none: the focus, else the first active step, else the first step. */
export function defaultSelection(state: ConsoleState): string | undefined {
  if (state.focus !== undefined) return state.focus;
  return state.order.find((label) => isActive(state.steps[label]!.state)) ?? state.order[0];
}

/** Returns cached instructions of total over the steps that reported a total, or undefined before any did. */
export function cacheTotals(state: ConsoleState): { cached: number; total: number } | undefined {
  let cached = 0;
  let total = 0;
  for (const label of state.order) {
    const step = state.steps[label]!;
    if (step.instructionsTotal === undefined) continue;
    cached += step.instructionsCached;
    total += step.instructionsTotal;
  }
  return total > 0 ? { cached, total } : undefined;
}
