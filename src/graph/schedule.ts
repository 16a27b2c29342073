// Ready-set scheduling: a step starts as soon as every step it waits for has
// finished, up to a cap on concurrent steps, without waiting for a whole level.

import type { StepGraph } from './step-graph.js';

/** Outcome of a scheduled step. */
export type StepOutcome = 'succeeded' | 'failed' | 'cancelled' | 'skipped';

export interface ScheduleOptions {
  /** Maximum steps running at once; 0 or less means no cap. */
  parallel: number;
  /** Let independent branches finish after a failure instead of cancelling them. */
  keepGoing: boolean;
  /** Only these labels run (the rest count as already done); default all. */
  only?: Set<string>;
  /** Aborting cancels every running step and starts no new one. */
  signal: AbortSignal;
}

export interface ScheduleHooks {
  /**
   * Runs one step. It must settle when `signal` aborts. Resolving means success;
   * rejecting means failure, unless the step's signal was aborted first.
   */
  runStep(label: string, signal: AbortSignal): Promise<void>;
  /** Called for a step that will not run because `because` failed or was cancelled. */
  onSkipped?(label: string, because: string): void;
  /** Called when a step's signal was aborted and its run settled. */
  onCancelled?(label: string): void;
  /** Called when a step failed (not cancelled), with the error it rejected with. */
  onFailed?(label: string, error: unknown): void;
}

/** Runs the graph and returns each step's outcome. */
export async function runSchedule(
  graph: StepGraph,
  options: ScheduleOptions,
  hooks: ScheduleHooks,
): Promise<Map<string, StepOutcome>> {
  const only = options.only ?? new Set(graph.labels);
  const outcomes = new Map<string, StepOutcome>();
  const pending = new Set(graph.labels.filter((label) => only.has(label)));
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let stopping = options.signal.aborted;

  const cancelRunning = (): void => {
    stopping = true;
    for (const { controller } of running.values()) controller.abort();
  };
  options.signal.addEventListener('abort', cancelRunning, { once: true });

  // A dependency outside `only` counts as succeeded: its last image is reused.
  const outcomeOf = (label: string): StepOutcome | undefined => (only.has(label) ? outcomes.get(label) : 'succeeded');

  const skip = (label: string, because: string): void => {
    pending.delete(label);
    outcomes.set(label, 'skipped');
    hooks.onSkipped?.(label, because);
  };

  const start = (label: string): void => {
    pending.delete(label);
    const controller = new AbortController();
    const done = hooks
      .runStep(label, controller.signal)
      .then(
        () => {
          outcomes.set(label, controller.signal.aborted ? 'cancelled' : 'succeeded');
          if (controller.signal.aborted) hooks.onCancelled?.(label);
        },
        (error: unknown) => {
          if (controller.signal.aborted) {
            outcomes.set(label, 'cancelled');
            hooks.onCancelled?.(label);
            return;
          }
          outcomes.set(label, 'failed');
          hooks.onFailed?.(label, error);
          if (!options.keepGoing) cancelRunning();
        },
      )
      .finally(() => running.delete(label));
    running.set(label, { controller, done });
  };

  const fillSlots = (): void => {
    let changed = true;
    while (changed) {
      changed = false;
      for (const label of [...pending]) {
        const dependencies = [...(graph.dependencies.get(label)?.keys() ?? [])];
        const blocker = dependencies.find((dependency) => {
          const outcome = outcomeOf(dependency);
          return outcome === 'failed' || outcome === 'cancelled' || outcome === 'skipped';
        });
        if (blocker) {
          skip(label, blocker);
          changed = true;
          continue;
        }
        if (stopping) continue;
        const ready = dependencies.every((dependency) => outcomeOf(dependency) === 'succeeded');
        const hasSlot = options.parallel <= 0 || running.size < options.parallel;
        if (ready && hasSlot) {
          start(label);
          changed = true;
        }
      }
    }
  };

  try {
    fillSlots();
    while (running.size > 0) {
      await Promise.race([...running.values()].map(({ done }) => done));
      fillSlots();
    }
    // Whatever never started because the run stopped counts as cancelled.
    for (const label of pending) {
      outcomes.set(label, 'cancelled');
      hooks.onCancelled?.(label);
    }
  } finally {
    options.signal.removeEventListener('abort', cancelRunning);
  }
  return outcomes;
}
