// The recorded event streams of test/fixtures/events, and folding them into console
// state. Kept apart from the render helpers so that a test can read fixtures
// without loading Ink.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildEvent } from '../../src/build/events.js';
import { INITIAL_CONSOLE_STATE, reduceConsole, type ConsoleState } from '../../src/ui/console-state.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'events');

export type FixtureName = 'demo-two-stage' | 'graph-eight-steps' | 'failed-run' | 'cancelled-run' | 'parallel-logs' | 'watch-two-runs';

export const FIXTURE_NAMES: readonly FixtureName[] = ['demo-two-stage', 'graph-eight-steps', 'failed-run', 'cancelled-run', 'parallel-logs', 'watch-two-runs'];

/** Returns the events of a recorded stream in test/fixtures/events. */
export function readFixture(name: FixtureName): BuildEvent[] {
  const text = readFileSync(join(FIXTURES, `${name}.ndjson`), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as BuildEvent);
}

/** Folds `events` into a console state, starting from `state`. */
export function foldEvents(events: readonly BuildEvent[], state: ConsoleState = INITIAL_CONSOLE_STATE): ConsoleState {
  return events.reduce(reduceConsole, state);
}

/** Returns the events of a fixture up to and including the first event that `stop` matches. */
export function eventsUntil(name: FixtureName, stop: (event: BuildEvent) => boolean): BuildEvent[] {
  const events = readFixture(name);
  const index = events.findIndex(stop);
  return index < 0 ? events : events.slice(0, index + 1);
}

/** Returns `count` log events of `step`, one a millisecond from `time`. */
export function makeLogEvents(step: string, count: number, time: number): BuildEvent[] {
  return Array.from({ length: count }, (_, index) => ({
    type: 'step-log' as const,
    time: time + index,
    step,
    source: 'build' as const,
    line: `line ${index + 1} of a chatty build step`,
  }));
}
