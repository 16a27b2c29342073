// A horizontal line that fills the rest of its row, for pane titles.

import { Box, Text } from 'ink';

export interface RuleProps {
  /** Widest the line can get; the row's layout cuts it to the space left. */
  maxWidth: number;
}

/**
 * Draws `─` across the space left in the row. The box starts at width 0 and only
 * grows, so text before it keeps its width. The line wraps inside the box, which
 * shows its first row.
 */
export function Rule({ maxWidth }: RuleProps) {
  return (
    <Box flexGrow={1} flexShrink={1} flexBasis={0} height={1} overflow="hidden">
      <Text dimColor>{'─'.repeat(Math.max(0, maxWidth))}</Text>
    </Box>
  );
}
