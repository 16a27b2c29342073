// The last line of the live region: the keys, or that the run is being cancelled,
// or in watch mode between runs, what is watched and the selected step.

import { Text } from 'ink';

export interface FooterProps {
  /** False when stdin cannot give keys (not a TTY); key hints are then left out. */
  keysEnabled: boolean;
  /** True after the first quit key while the run goes on. */
  cancelling: boolean;
  /** True in watch mode between runs. */
  waiting: boolean;
  /** True in watch mode, where `q` ends the session, during a run too. */
  watch: boolean;
  /** Files and folders watch mode watches, once it reported them. */
  watchedPaths?: number;
  /** True when `r` starts a rebuild. */
  canRebuild: boolean;
  /** Label of the selected step, shown between runs. */
  selected?: string;
}

/** Draws one line of key hints, the cancelling notice, or what watch mode waits for. */
export function Footer({ keysEnabled, cancelling, waiting, watch, watchedPaths, canRebuild, selected }: FooterProps) {
  if (cancelling) {
    return <Text color="yellow">{keysEnabled ? 'cancelling… press q again to quit at once' : 'cancelling…'}</Text>;
  }
  const rebuild = canRebuild ? ' · r rebuild' : '';
  if (waiting) {
    const watched = watchedPaths === undefined ? 'watching for changes' : `watching ${watchedPaths} ${watchedPaths === 1 ? 'path' : 'paths'}`;
    const step = selected === undefined ? '' : ` · selected ${selected}`;
    const keys = keysEnabled ? `${step} · ↑/↓ select · Enter log${rebuild} · ? keys · q quit` : '';
    return <Text dimColor wrap="truncate-end">{`${watched}${keys}`}</Text>;
  }
  if (!keysEnabled) return null;
  return <Text dimColor wrap="truncate-end">{`↑/↓ select · Enter log · a all logs${rebuild} · ? keys · q ${watch ? 'quit' : 'cancel'}`}</Text>;
}
