// The key list that `?` shows.

import { Box, Text } from 'ink';

const KEYS: readonly (readonly [string, string])[] = [
  ['↑/↓  j/k', 'select a step'],
  ['Enter', "open the selected step's whole log (again or Esc: back)"],
  ['PgUp/PgDn', 'scroll the whole log by a page'],
  ['g / G', 'jump to the start / end of the whole log'],
  ['a', "show all running steps' logs, or the selected step's only"],
  ['?', 'show or hide these keys'],
];
const REBUILD_KEY = ['r', 'rebuild every step (watch mode)'] as const;
const QUIT_KEY = ['q  Ctrl-C', 'cancel the run; press again to quit at once'] as const;
// In watch mode the first press ends the session too, as SIGINT does, with exit code 130.
const WATCH_QUIT_KEY = ['q  Ctrl-C', 'cancel any run and end watch mode; press again to quit at once'] as const;

export interface KeyHelpProps {
  /** True when `r` starts a rebuild. */
  canRebuild: boolean;
  /** True in watch mode, where the quit key ends the session rather than one run. */
  watch: boolean;
}

/** Draws the keys and what each does. */
export function KeyHelp({ canRebuild, watch }: KeyHelpProps) {
  const keys = [...KEYS, ...(canRebuild ? [REBUILD_KEY] : []), watch ? WATCH_QUIT_KEY : QUIT_KEY];
  return (
    <Box flexDirection="column">
      <Text bold>keys</Text>
      {keys.map(([key, meaning]) => (
        <Text key={key} wrap="truncate-end">
          {`  ${key.padEnd(11)}`}
          <Text dimColor>{meaning}</Text>
        </Text>
      ))}
    </Box>
  );
}
