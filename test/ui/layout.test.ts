import { describe, expect, test } from 'vitest';
import { LOG_TAIL_LINES, planLayout, type LayoutRequest } from '../../src/ui/layout.js';

/** Rows the live region takes for a layout, as ConsoleApp draws it. */
function liveRows(request: LayoutRequest): number {
  const layout = planLayout(request);
  const graph = request.stepCount > 0 ? 1 + layout.graphRows : 0;
  const artifacts = layout.artifactRows > 0 ? 1 + layout.artifactRows : 0;
  const panes = layout.paneCount * (1 + layout.paneLines);
  return layout.headerRows + graph + artifacts + panes + 1;
}

describe('planLayout', () => {
  const sizes = [
    [80, 24],
    [120, 40],
    [50, 20],
    [80, 12],
    [200, 60],
    [40, 8],
  ] as const;

  test.each(sizes)('live region fits a %dx%d screen with a row to spare', (columns, rows) => {
    for (const stepCount of [1, 8, 30]) {
      for (const artifactCount of [0, 2, 10]) {
        for (const paneCount of [0, 1, 5]) {
          expect(liveRows({ columns, rows, stepCount, artifactCount, paneCount })).toBeLessThanOrEqual(rows - 1);
        }
      }
    }
  });

  test.each([
    [59, true],
    [60, false],
  ])('at %d columns compact is %s', (columns, compact) => {
    expect(planLayout({ columns, rows: 24, stepCount: 8, artifactCount: 0, paneCount: 1 }).compact).toBe(compact);
  });

  test('eight steps and one pane on 80x24 show every step and a pane', () => {
    const layout = planLayout({ columns: 80, rows: 24, stepCount: 8, artifactCount: 1, paneCount: 1 });

    expect(layout).toMatchObject({ graphRows: 8, artifactRows: 1, paneCount: 1, paneLines: 8 });
  });

  test('tall screen caps pane lines at LOG_TAIL_LINES', () => {
    const layout = planLayout({ columns: 120, rows: 100, stepCount: 2, artifactCount: 0, paneCount: 1 });

    expect(layout.paneLines).toBe(LOG_TAIL_LINES);
  });

  test('many running steps share the rows in panes of at least three lines', () => {
    const layout = planLayout({ columns: 80, rows: 24, stepCount: 3, artifactCount: 0, paneCount: 6 });

    expect(layout.paneCount).toBe(4);
    expect(layout.paneLines).toBeGreaterThanOrEqual(3);
  });
});
