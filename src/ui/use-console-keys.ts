// The console's keys. Ink reads keys only in raw mode, so the hook is active only
// when stdin is a TTY that supports it. Piped stdin gets no keys and no errors.

import { useInput, useStdin } from 'ink';
import type { Dispatch } from 'react';
import type { NavigationAction, NavigationState } from './use-navigation-state.js';

export interface ConsoleKeysOptions {
  navigation: NavigationState;
  dispatch: Dispatch<NavigationAction>;
  /** Step labels in display order. */
  labels: readonly string[];
  /** The step selected now, chosen by the user or followed. */
  selected?: string;
  /** Lines held of the selected step's log, to stop scrolling at its start. */
  logSize: number;
  /** Lines one page of the whole-log view shows. */
  pageLines: number;
  /** Called on the first quit key, to cancel the run cleanly. */
  onCancel?: () => void;
  /** Called on `r`, in watch mode, to rebuild every step. */
  onRebuild?: () => void;
  /** Called on the second quit key with exit code 130. */
  forceExit: (code: number) => void;
}

/** Exit code of a process ended by the user, as after SIGINT. */
const INTERRUPTED_EXIT_CODE = 130;

/** Returns true when stdin can deliver keys to the console. */
export function useKeysEnabled(): boolean {
  return Boolean(useStdin().isRawModeSupported);
}

/** Handles the console's keys while stdin supports raw mode. */
export function useConsoleKeys(options: ConsoleKeysOptions): void {
  const { navigation, dispatch, labels, selected, logSize, pageLines } = options;
  const maxScroll = Math.max(0, logSize - pageLines);
  const inLog = navigation.view === 'log';

  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) {
        dispatch({ type: 'quit' });
        if (navigation.quitPresses === 0) options.onCancel?.();
        else options.forceExit(INTERRUPTED_EXIT_CODE);
        return;
      }
      if (key.upArrow || input === 'k') {
        if (inLog) dispatch({ type: 'scroll', by: 1, max: maxScroll });
        else dispatch({ type: 'move', by: -1, labels, from: selected });
      } else if (key.downArrow || input === 'j') {
        if (inLog) dispatch({ type: 'scroll', by: -1, max: maxScroll });
        else dispatch({ type: 'move', by: 1, labels, from: selected });
      } else if (key.return) {
        if (!inLog && selected !== undefined) dispatch({ type: 'select', label: selected });
        dispatch({ type: 'toggle-log' });
      } else if (key.escape) {
        dispatch({ type: 'close' });
      } else if (key.pageUp) {
        dispatch({ type: 'scroll', by: pageLines, max: maxScroll });
      } else if (key.pageDown) {
        dispatch({ type: 'scroll', by: -pageLines, max: maxScroll });
      } else if (input === 'g') {
        dispatch({ type: 'scroll-to', position: 'start', max: maxScroll });
      } else if (input === 'G') {
        dispatch({ type: 'scroll-to', position: 'end', max: maxScroll });
      } else if (input === 'a') {
        dispatch({ type: 'toggle-all-panes' });
      } else if (input === '?') {
        dispatch({ type: 'toggle-help' });
      } else if (input === 'r') {
        options.onRebuild?.();
      }
    },
    { isActive: useKeysEnabled() },
  );
}
