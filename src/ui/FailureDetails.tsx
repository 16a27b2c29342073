// The end of a failed run: the failed step's last log lines, its error and the
// hint, so that the cause is on screen without scrolling back.

import { Box, Text } from 'ink';
import { shortenInstruction } from '../build/build-error.js';
import type { EventError } from '../build/events.js';
import { formatDuration } from '../report/format.js';
import type { StepView } from './console-state.js';
import { lastLines } from './line-buffer.js';

export interface FailureDetailsProps {
  /** The failed step, when the failure belongs to one. */
  step?: StepView;
  /** The error to show: the run's, else the step's. */
  error: EventError & { step?: string };
  width: number;
}

/** Last log lines of the failed step shown at the end of a failed run. */
export const FAILURE_TAIL_LINES = 15;
/** Columns before a tail line: two spaces, a bar and a space. */
const TAIL_INDENT = 4;

/** Returns `label: text` with the text in a column of its own, so that a long message wraps under its own start. */
function renderLabelled(label: string, color: string, text: string) {
  return (
    <Box paddingLeft={2}>
      <Box flexShrink={0} width={label.length + 2}>
        <Text color={color} bold>{`${label}:`}</Text>
      </Box>
      <Box flexShrink={1}>
        <Text>{text}</Text>
      </Box>
    </Box>
  );
}

/** Draws the failed step's title, its last log lines, the error and the hint. */
export function FailureDetails({ step, error, width }: FailureDetailsProps) {
  // Only the error's own instruction: after the build, the last instruction had succeeded.
  // A message that quotes it already (a failed build's does) leaves it out of the title.
  const quoted = error.instruction !== undefined && (error.message.includes(error.instruction) || error.message.includes(shortenInstruction(error.instruction)));
  const instruction = quoted ? undefined : error.instruction;
  const label = step?.label ?? error.step;
  const title = [
    label === undefined ? 'the run failed' : `${label} failed`,
    step?.durationMs === undefined ? '' : ` after ${formatDuration(step.durationMs)}`,
    instruction === undefined ? '' : ` at ${instruction}`,
  ].join('');
  const tail = step === undefined ? [] : (step.failureTail ?? lastLines(step.log, FAILURE_TAIL_LINES)).slice(-FAILURE_TAIL_LINES);

  return (
    <Box flexDirection="column" width={width}>
      <Text color="red" bold wrap="truncate-end">
        {`✗ ${title}`}
      </Text>
      {tail.map((line, index) => (
        <Box key={index}>
          <Box flexShrink={0} width={TAIL_INDENT}>
            <Text dimColor>  │</Text>
          </Box>
          <Box flexShrink={1}>
            <Text wrap="truncate-end">{line}</Text>
          </Box>
        </Box>
      ))}
      {renderLabelled('error', 'red', error.message)}
      {error.hint !== undefined && renderLabelled('hint', 'cyan', error.hint)}
    </Box>
  );
}
