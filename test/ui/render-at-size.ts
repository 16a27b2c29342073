// Frames of ink-testing-library at a chosen terminal size.

import { render } from 'ink-testing-library';
import { createElement, Fragment, type ReactElement } from 'react';

/**
 * Renders `tree` with ink-testing-library on a terminal `columns` wide and `rows`
 * high. The library's stdout always reports 100 columns and no rows, so an empty
 * tree is rendered first, the instance gets its own size, and only then `tree`:
 * <Static> output is printed once, at the width of the render that prints it.
 */
export function renderAtSize(tree: ReactElement, columns: number, rows = 24) {
  const instance = render(createElement(Fragment));
  resizeTo(instance.stdout, columns, rows);
  instance.rerender(tree);
  return instance;
}

/** Sets the size `stdout` reports and emits `resize`, as a terminal does. */
export function resizeTo(stdout: NodeJS.EventEmitter, columns: number, rows: number): void {
  Object.defineProperty(stdout, 'columns', { value: columns, configurable: true });
  Object.defineProperty(stdout, 'rows', { value: rows, configurable: true });
  stdout.emit('resize');
}

/** Returns `frame` with the spaces at line ends removed, as a terminal shows them. */
export function trimLineEnds(frame: string | undefined): string {
  return (frame ?? '').replace(/[ ]+$/gm, '');
}
