// The whole-log view of one step (Enter): as much of the kept log as fits, with
// the position and a note that only the last LOG_RING_LINES lines are kept.

import { Box, Text } from 'ink';
import { LOG_RING_LINES } from './console-state.js';
import { sliceLines, type LineBuffer } from './line-buffer.js';
import { Rule } from './Rule.js';

export interface LogViewProps {
  label: string;
  log: LineBuffer;
  /** Origin of a log that an earlier run printed, e.g. `reused from run 2`. */
  origin?: string;
  /** Lines scrolled up from the end; 0 follows new lines. */
  scrollFromBottom: number;
  /** Rows for log lines. */
  height: number;
  width: number;
}

/** Returns the index range of held lines shown for a scroll position, clamped to the buffer. */
export function visibleRange(size: number, height: number, scrollFromBottom: number): { start: number; end: number } {
  const scroll = Math.max(0, Math.min(scrollFromBottom, size - height));
  const end = size - scroll;
  return { start: Math.max(0, end - height), end };
}

/** Draws a title with the line numbers shown, the lines, and the keys that scroll. */
export function LogView({ label, log, origin, scrollFromBottom, height, width }: LogViewProps) {
  const { start, end } = visibleRange(log.size, height, scrollFromBottom);
  const firstNumber = log.total - log.size + 1;
  // A log from an earlier run is complete: it will get no more lines.
  const empty = origin === undefined ? 'no output yet' : 'no output';
  const position = log.size === 0 ? empty : `lines ${(firstNumber + start).toLocaleString('en-US')}–${(firstNumber + end - 1).toLocaleString('en-US')} of ${log.total.toLocaleString('en-US')}`;
  const droppedNote = log.total > log.size ? ` · only the last ${LOG_RING_LINES.toLocaleString('en-US')} are kept` : '';

  return (
    <Box flexDirection="column" width={width}>
      <Box>
        <Box flexShrink={0} width={3}>
          <Text dimColor>──</Text>
        </Box>
        <Box flexShrink={1}>
          <Text wrap="truncate-end">
            <Text bold>{label}</Text>
            <Text dimColor>{` · ${origin === undefined ? '' : `${origin} · `}${position}${droppedNote}`}</Text>
          </Text>
        </Box>
        <Box flexShrink={0} width={1} />
        <Rule maxWidth={width} />
      </Box>
      {sliceLines(log, start, end).map((line, index) => (
        <Text key={index} wrap="truncate-end">
          {line}
        </Text>
      ))}
      <Text dimColor wrap="truncate-end">
        PgUp/PgDn scroll · ↑/↓ one line · g top · G end · Enter or Esc back
      </Text>
    </Box>
  );
}
