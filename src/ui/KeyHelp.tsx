// The key list that `?` shows.

import { Box, Text } from 'ink';

const KEYS: readonly (readonly [string, string])[] = [
  ['↑/↓  j/k', 'select a step'],
  ['Enter', "open the selected step's whole log (again or Esc: back)"],
  ['PgUp/PgDn', 'scroll the whole log by a page'],
  ['g / G', 'jump to the start / end of the whole log'],
  ['a', "show all running steps' logs, or the selected step's only"],
  ['?', 'show or hide these keys'],
  ['q  Ctrl-C', 'cancel the run; press again to quit at once'],
];
const REBUILD_KEY = ['r', 'rebuild every step (watch mode)'] as const;

export interface KeyHelpProps {
  /** True when `r` starts a rebuild. */
  canRebuild: boolean;
}

/** Draws the keys and what each does. */
export function KeyHelp({ canRebuild }: KeyHelpProps) {
  const keys = canRebuild ? [...KEYS.slice(0, -1), REBUILD_KEY, ...KEYS.slice(-1)] : KEYS;
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
