// The choices the user made with keys: the selected step, the open view, the
// scroll position of the whole-log view, and how often quit was pressed. It is a
// pure reducer, so the key handling is tested without a terminal.

import { useReducer } from 'react';

export interface NavigationState {
  /** The step the user selected; undefined follows the build (focus, else the first running step). */
  selected?: string;
  view: 'live' | 'log';
  /** True shows every running step's log tail, false the selected step's only. */
  allPanes: boolean;
  help: boolean;
  /** Lines scrolled up from the end of the whole-log view; 0 follows new lines. */
  scrollFromBottom: number;
  /** Quit keys pressed so far: the first cancels the run, the second ends the process. */
  quitPresses: number;
}

export type NavigationAction =
  /** Moves the selection by `by` rows through `labels`, starting at `from`. */
  | { type: 'move'; by: number; labels: readonly string[]; from?: string }
  | { type: 'select'; label: string }
  | { type: 'toggle-log' }
  | { type: 'close' }
  /** Scrolls the whole-log view by `by` lines (up is positive), at most `max` lines up. */
  | { type: 'scroll'; by: number; max: number }
  | { type: 'scroll-to'; position: 'start' | 'end'; max: number }
  | { type: 'toggle-all-panes' }
  | { type: 'toggle-help' }
  | { type: 'quit' };

export const INITIAL_NAVIGATION: NavigationState = {
  view: 'live',
  allPanes: false,
  help: false,
  scrollFromBottom: 0,
  quitPresses: 0,
};

/** Folds one key action into the navigation state. */
export function reduceNavigation(state: NavigationState, action: NavigationAction): NavigationState {
  switch (action.type) {
    case 'move': {
      if (action.labels.length === 0) return state;
      const current = action.from === undefined ? -1 : action.labels.indexOf(action.from);
      const start = current < 0 ? 0 : current + action.by;
      const index = Math.max(0, Math.min(action.labels.length - 1, start));
      const label = action.labels[index]!;
      return label === state.selected ? state : { ...state, selected: label, scrollFromBottom: 0 };
    }
    case 'select':
      return { ...state, selected: action.label, scrollFromBottom: 0 };
    case 'toggle-log':
      return { ...state, view: state.view === 'log' ? 'live' : 'log', help: false, scrollFromBottom: 0 };
    case 'close':
      return { ...state, view: 'live', help: false };
    case 'scroll': {
      const scrollFromBottom = Math.max(0, Math.min(action.max, state.scrollFromBottom + action.by));
      return { ...state, scrollFromBottom };
    }
    case 'scroll-to':
      return { ...state, scrollFromBottom: action.position === 'start' ? Math.max(0, action.max) : 0 };
    case 'toggle-all-panes':
      return { ...state, allPanes: !state.allPanes };
    case 'toggle-help':
      return { ...state, help: !state.help };
    case 'quit':
      return { ...state, quitPresses: state.quitPresses + 1 };
  }
}

/** Returns the navigation state and its dispatch function. */
export function useNavigationState() {
  return useReducer(reduceNavigation, INITIAL_NAVIGATION);
}
