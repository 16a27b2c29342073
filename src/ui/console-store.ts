// The one store of the console: it folds each event with reduceConsole and
// notifies its subscriber. The reporter is the only subscriber and renders at a
// fixed rate, so the store itself never renders.

import type { BuildEvent } from '../build/events.js';
import { INITIAL_CONSOLE_STATE, reduceConsole, type ConsoleState } from './console-state.js';

export interface ConsoleStore {
  /** Returns the state after the latest event. */
  getState(): ConsoleState;
  /** Folds `event` into the state and notifies the subscribers. */
  dispatch(event: BuildEvent): void;
  /** Calls `listener` after every event; returns the function that stops it. */
  subscribe(listener: () => void): () => void;
}

export function createConsoleStore(initial: ConsoleState = INITIAL_CONSOLE_STATE): ConsoleStore {
  let state = initial;
  const listeners = new Set<() => void>();

  return {
    getState: () => state,
    dispatch(event) {
      state = reduceConsole(state, event);
      for (const listener of listeners) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
