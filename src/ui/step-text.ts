// The words and marks of a step row, kept apart from the components so that the
// graph, the compact layout and the run summary use the same wording.

import type { StepState } from '../build/events.js';
import { formatBytes, formatDuration } from '../report/format.js';
import type { StepView } from './console-state.js';

/** A state's mark and the Ink colour it is drawn in. */
export interface StepMark {
  symbol: string;
  color: string;
}

export const STEP_MARKS: Readonly<Record<StepState, StepMark>> = {
  queued: { symbol: '○', color: 'gray' },
  building: { symbol: '●', color: 'yellow' },
  copying: { symbol: '⇣', color: 'cyan' },
  running: { symbol: '▶', color: 'cyan' },
  done: { symbol: '✓', color: 'green' },
  cached: { symbol: '✓', color: 'blue' },
  failed: { symbol: '✗', color: 'red' },
  cancelled: { symbol: '⊘', color: 'yellow' },
  skipped: { symbol: '–', color: 'gray' },
};

/** Wording of the cause of a skip, by the state of the dependency. */
const SKIP_CAUSES: Partial<Record<StepState, string>> = { failed: 'failed', cancelled: 'cancelled', skipped: 'skipped' };

/** Returns the dependency column of a step, `← base, tools`, or an empty string for a root. */
export function describeDependencies(step: StepView): string {
  return step.dependsOn.length === 0 ? '' : `← ${step.dependsOn.join(', ')}`;
}

/** Returns the origin of the image and log of a step that the watch run reused, e.g. `reused from run 2`. */
export function describeReuse(step: StepView): string {
  return step.logRun === undefined ? 'reused from an earlier run' : `reused from run ${step.logRun}`;
}

/** Returns what a step is doing or how it ended, e.g. `3/12 RUN go build .` or `cached`. */
export function describeStepDetail(step: StepView, steps: Readonly<Record<string, StepView>>): string {
  switch (step.state) {
    case 'queued':
      return 'queued';
    case 'building': {
      const instruction = step.instruction;
      if (instruction !== undefined) {
        const cached = instruction.cached ? 'CACHED ' : '';
        return `${instruction.index}/${instruction.total} ${cached}${instruction.text}`;
      }
      return step.contextBytes === undefined ? 'starting' : `sent context ${formatBytes(step.contextBytes)}`;
    }
    case 'copying':
      return 'copying artifacts';
    case 'running':
      return 'running its command';
    case 'done': {
      const total = step.instructionsTotal ?? 0;
      return step.instructionsCached > 0 ? `built, ${step.instructionsCached}/${total} cached` : 'built';
    }
    case 'cached':
      return step.reused ? describeReuse(step) : 'cached';
    case 'failed': {
      // The error itself is printed in full at the end of the run, so the row shows only where.
      // Only an error that names its instruction failed at one: a command, cleanup or
      // after-build command fails after the last instruction succeeded.
      const instruction = step.instruction;
      if (instruction !== undefined && step.error?.instruction !== undefined) return `failed at ${instruction.index}/${instruction.total} ${step.error.instruction}`;
      return `failed: ${(step.error?.message ?? 'no error message').split('\n')[0]}`;
    }
    case 'cancelled':
      return 'cancelled';
    case 'skipped': {
      const because = step.skippedBecause ?? 'a dependency';
      return `skipped: ${because} ${SKIP_CAUSES[steps[because]?.state ?? 'failed'] ?? 'did not finish'}`;
    }
  }
}

/** Returns a step's duration so far (running) or in all (ended), or an empty string before it started. */
export function describeStepDuration(step: StepView, now: number): string {
  if (step.durationMs !== undefined) return formatDuration(step.durationMs);
  if (step.startedAt !== undefined && step.state !== 'queued' && step.state !== 'skipped') {
    return formatDuration(Math.max(0, now - step.startedAt));
  }
  return '';
}

/** Returns a finished step's image size, or an empty string. */
export function describeStepSize(step: StepView): string {
  return step.sizeBytes === undefined ? '' : formatBytes(step.sizeBytes);
}
