// The step graph: one row per step, ordered by depth so that dependencies come
// first. Each row names the steps it waits for (`← api, worker, web`). Fan-out
// (one label named by several rows) and fan-in (one row naming several labels)
// so read at a glance.

import { Box, Text } from 'ink';
import type { StepView } from './console-state.js';
import { describeDependencies } from './step-text.js';
import { StepRow } from './StepRow.js';

export interface StepGraphProps {
  /** Steps in display order. */
  steps: StepView[];
  /** All steps of the run by label. */
  byLabel: Readonly<Record<string, StepView>>;
  selected?: string;
  /** Labels on the critical path; the column appears only when there is one. */
  criticalPath: string[];
  /** Rows the graph may take; with more steps, a window around the selection shows. */
  maxRows: number;
  now: number;
  width: number;
  compact: boolean;
}

const MAX_LABEL_WIDTH = 20;
const MAX_DEPENDENCY_WIDTH = 28;
/** Columns kept for the detail text before the dependency column is narrowed. */
const MIN_DETAIL_WIDTH = 16;
/** Columns of a row besides label, dependencies and detail (marks, gaps, duration, size). */
const FIXED_COLUMNS = 3 + 2 + 2 + 8 + 9 + 2;

/** Returns the first row of a window of `size` rows that keeps row `focus` in the middle when it can. */
function windowStart(count: number, size: number, focus: number): number {
  const centred = focus - Math.floor(size / 2);
  return Math.max(0, Math.min(centred, count - size));
}

/** Draws every step with its state, dependencies, current instruction, duration and size. */
export function StepGraph({ steps, byLabel, selected, criticalPath, maxRows, now, width, compact }: StepGraphProps) {
  const labelWidth = Math.min(MAX_LABEL_WIDTH, Math.max(1, ...steps.map((step) => step.label.length)));
  const widestDependencies = Math.max(0, ...steps.map((step) => describeDependencies(step).length));
  const dependencyRoom = width - FIXED_COLUMNS - labelWidth - MIN_DETAIL_WIDTH;
  const dependencyWidth = Math.max(0, Math.min(widestDependencies, MAX_DEPENDENCY_WIDTH, dependencyRoom));
  const critical = new Set(criticalPath);

  const fits = steps.length <= maxRows;
  const visibleCount = fits ? steps.length : Math.max(1, maxRows - 1);
  const selectedIndex = Math.max(0, steps.findIndex((step) => step.label === selected));
  const start = fits ? 0 : windowStart(steps.length, visibleCount, selectedIndex);
  const visible = steps.slice(start, start + visibleCount);
  const hiddenAbove = start;
  const hiddenBelow = steps.length - start - visible.length;

  return (
    <Box flexDirection="column" width={width}>
      {visible.map((step) => (
        <StepRow
          key={step.label}
          step={step}
          steps={byLabel}
          selected={step.label === selected}
          critical={criticalPath.length > 0 ? critical.has(step.label) : undefined}
          labelWidth={labelWidth}
          dependencyWidth={dependencyWidth}
          now={now}
          compact={compact}
        />
      ))}
      {!fits && (
        <Text dimColor wrap="truncate-end">
          {`  … ${hiddenAbove} above, ${hiddenBelow} below (↑/↓ moves)`}
        </Text>
      )}
    </Box>
  );
}
