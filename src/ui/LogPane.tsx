// The tail of one step's log under a title line.

import { Box, Text } from 'ink';
import { Rule } from './Rule.js';

export interface LogPaneProps {
  /** Step label shown in the title. */
  label: string;
  /** Step activity shown after the label, e.g. `3/12 RUN go build .`. */
  detail: string;
  /** The lines to show, oldest first; already cleaned for the terminal. */
  lines: string[];
  width: number;
}

/** Draws a `── label · detail ───` title and one row per line, each cut at the pane width. */
export function LogPane({ label, detail, lines, width }: LogPaneProps) {
  return (
    <Box flexDirection="column" width={width}>
      <Box>
        <Box flexShrink={0} width={3}>
          <Text dimColor>──</Text>
        </Box>
        <Box flexShrink={1}>
          <Text wrap="truncate-end">
            <Text bold>{label}</Text>
            <Text dimColor>{` · ${detail}`}</Text>
          </Text>
        </Box>
        <Box flexShrink={0} width={1} />
        <Rule maxWidth={width} />
      </Box>
      {lines.length === 0 ? (
        <Text dimColor>  (no output yet)</Text>
      ) : (
        lines.map((line, index) => (
          <Box key={index} paddingLeft={2}>
            <Text wrap="truncate-end">{line}</Text>
          </Box>
        ))
      )}
    </Box>
  );
}
