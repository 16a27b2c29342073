// One row of the step graph: state mark, label, dependencies, what the step is
// doing, duration and image size.

import { Box, Text } from 'ink';
import type { StepView } from './console-state.js';
import { describeDependencies, describeStepDetail, describeStepDuration, describeStepSize, STEP_MARKS } from './step-text.js';

export interface StepRowProps {
  step: StepView;
  /** All steps of the run by label, to say why a step was skipped. */
  steps: Readonly<Record<string, StepView>>;
  selected: boolean;
  /** True on the critical path; undefined while no critical path is shown. */
  critical?: boolean;
  /** Width of the label column. */
  labelWidth: number;
  /** Width of the dependency column; 0 hides it. */
  dependencyWidth: number;
  /** Current time in event time, for the duration of running steps. */
  now: number;
  compact: boolean;
}

/** Width of the duration column: `2m 05s` and `1h 02m` are the widest. */
const DURATION_WIDTH = 6;
/** Width of the size column: `12.3 MB` is the widest. */
const SIZE_WIDTH = 7;
const COLUMN_GAP = 2;
const DETAIL_COLORS: Partial<Record<StepView['state'], string>> = { failed: 'red', cached: 'blue', cancelled: 'yellow' };
const DIM_STATES = new Set<StepView['state']>(['queued', 'skipped']);

/** Draws one step as a single line; long text is cut with `…`, never wrapped. */
export function StepRow({ step, steps, selected, critical, labelWidth, dependencyWidth, now, compact }: StepRowProps) {
  const mark = STEP_MARKS[step.state];
  const dependencies = describeDependencies(step);
  const detail = describeStepDetail(step, steps);
  const duration = describeStepDuration(step, now);
  const prefix = (
    <Box flexShrink={0} width={3}>
      <Text color="cyan">{selected ? '›' : ' '}</Text>
      <Text color={mark.color}>{mark.symbol}</Text>
    </Box>
  );

  if (compact) {
    const dependencyText = dependencies === '' ? '' : ` ${dependencies}`;
    return (
      <Box>
        {prefix}
        <Box flexGrow={1} flexShrink={1}>
          <Text wrap="truncate-end">
            <Text bold={selected}>{step.label}</Text>
            <Text dimColor>{dependencyText}</Text> · {detail}
          </Text>
        </Box>
        <Box flexShrink={0} paddingLeft={1}>
          <Text>{duration}</Text>
        </Box>
      </Box>
    );
  }
  return (
    <Box>
      {prefix}
      <Box width={labelWidth} flexShrink={0}>
        <Text wrap="truncate-end" bold={selected}>
          {step.label}
        </Text>
      </Box>
      {dependencyWidth > 0 && (
        <Box width={dependencyWidth + COLUMN_GAP} paddingLeft={COLUMN_GAP} flexShrink={0}>
          <Text wrap="truncate-end" dimColor>
            {dependencies}
          </Text>
        </Box>
      )}
      <Box flexGrow={1} flexShrink={1} paddingLeft={COLUMN_GAP}>
        <Text wrap="truncate-end" color={DETAIL_COLORS[step.state]} dimColor={DIM_STATES.has(step.state)}>
          {detail}
        </Text>
      </Box>
      <Box width={DURATION_WIDTH + COLUMN_GAP} justifyContent="flex-end" flexShrink={0}>
        <Text>{duration}</Text>
      </Box>
      <Box width={SIZE_WIDTH + COLUMN_GAP} justifyContent="flex-end" flexShrink={0}>
        <Text>{describeStepSize(step)}</Text>
      </Box>
      {critical !== undefined && (
        <Box width={COLUMN_GAP} justifyContent="flex-end" flexShrink={0}>
          <Text color="magenta">{critical ? '◆' : ' '}</Text>
        </Box>
      )}
    </Box>
  );
}
