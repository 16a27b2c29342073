import { describe, expect, test } from 'vitest';
import { INITIAL_NAVIGATION, reduceNavigation, type NavigationAction, type NavigationState } from '../../src/ui/use-navigation-state.js';

const LABELS = ['base', 'go-deps', 'api', 'bundle'];

function apply(actions: NavigationAction[], state: NavigationState = INITIAL_NAVIGATION): NavigationState {
  return actions.reduce(reduceNavigation, state);
}

describe('reduceNavigation', () => {
  test.each([
    ['down from the followed step', 'go-deps', 1, 'api'],
    ['up from the followed step', 'go-deps', -1, 'base'],
    ['up from the first step', 'base', -1, 'base'],
    ['down from the last step', 'bundle', 1, 'bundle'],
    ['down with nothing followed', undefined, 1, 'base'],
  ])('moving %s selects the neighbour', (_case, from, by, expected) => {
    const state = apply([{ type: 'move', by, labels: LABELS, from }]);

    expect(state.selected).toBe(expected);
  });

  test('opening and closing the log resets the scroll', () => {
    const scrolled = apply([{ type: 'toggle-log' }, { type: 'scroll', by: 30, max: 100 }]);

    const closed = reduceNavigation(scrolled, { type: 'toggle-log' });

    expect(scrolled).toMatchObject({ view: 'log', scrollFromBottom: 30 });
    expect(closed).toMatchObject({ view: 'live', scrollFromBottom: 0 });
  });

  test.each([
    ['up past the start', [{ type: 'scroll', by: 500, max: 120 }], 120],
    ['down past the end', [{ type: 'scroll', by: 10, max: 120 }, { type: 'scroll', by: -50, max: 120 }], 0],
    ['to the start', [{ type: 'scroll-to', position: 'start', max: 120 }], 120],
    ['to the start and back to the end', [{ type: 'scroll-to', position: 'start', max: 120 }, { type: 'scroll-to', position: 'end', max: 120 }], 0],
  ] as [string, NavigationAction[], number][])('scrolling %s stays within the log', (_case, actions, expected) => {
    expect(apply(actions).scrollFromBottom).toBe(expected);
  });

  test('escape closes the log view and the key help', () => {
    const state = apply([{ type: 'toggle-log' }, { type: 'toggle-help' }, { type: 'close' }]);

    expect(state).toMatchObject({ view: 'live', help: false });
  });

  test('quit presses are counted', () => {
    expect(apply([{ type: 'quit' }, { type: 'quit' }]).quitPresses).toBe(2);
  });
});
