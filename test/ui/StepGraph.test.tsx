import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, test } from 'vitest';
import { orderedSteps, type ConsoleState } from '../../src/ui/console-state.js';
import { StepGraph } from '../../src/ui/StepGraph.js';
import { eventsUntil, foldEvents, readFixture } from './fixtures.js';
import { renderAtSize } from './render-at-size.js';

afterEach(() => {
  cleanup();
});

function renderGraph(state: ConsoleState, options: { columns: number; selected?: string; criticalPath?: string[]; maxRows?: number }) {
  const steps = orderedSteps(state);
  const tree = (
    <StepGraph
      steps={steps}
      byLabel={state.steps}
      selected={options.selected}
      criticalPath={options.criticalPath ?? []}
      maxRows={options.maxRows ?? steps.length}
      now={state.lastEventAt!}
      width={options.columns}
      compact={options.columns < 60}
    />
  );
  return renderAtSize(tree, options.columns).lastFrame();
}

const finished = foldEvents(readFixture('graph-eight-steps'));
const building = foldEvents(eventsUntil('graph-eight-steps', (event) => event.type === 'artifact-progress' && event.step === 'worker'));

describe('StepGraph', () => {
  test('finished eight-step graph at 80 columns marks the critical path', () => {
    const frame = renderGraph(finished, { columns: 80, selected: 'bundle', criticalPath: finished.end!.criticalPath });

    expect(frame).toBe(
      [
        ' ✓ base                           cached                         2.1s   120 MB ◆',
        ' ✓ tools                          built                          1.6s    45 MB',
        ' ✓ go-deps    ← base              built, 1/4 cached              8.3s   811 MB ◆',
        ' ✓ node-deps  ← base              built                          4.8s   402 MB',
        ' ✓ api        ← go-deps           built                          8.2s   834 MB ◆',
        ' ✓ worker     ← go-deps           built                          4.4s   826 MB',
        ' ✓ web        ← node-deps         built, 1/3 cached              5.7s   415 MB',
        '›✓ bundle     ← api, worker, web  built                          2.1s  31.5 MB ◆',
      ].join('\n'),
    );
  });

  test('finished eight-step graph at 120 columns gives the detail the room', () => {
    const frame = renderGraph(finished, { columns: 120, selected: 'bundle', criticalPath: finished.end!.criticalPath });

    expect(frame).toBe(
      [
        ' ✓ base                           cached                                                                 2.1s   120 MB ◆',
        ' ✓ tools                          built                                                                  1.6s    45 MB',
        ' ✓ go-deps    ← base              built, 1/4 cached                                                      8.3s   811 MB ◆',
        ' ✓ node-deps  ← base              built                                                                  4.8s   402 MB',
        ' ✓ api        ← go-deps           built                                                                  8.2s   834 MB ◆',
        ' ✓ worker     ← go-deps           built                                                                  4.4s   826 MB',
        ' ✓ web        ← node-deps         built, 1/3 cached                                                      5.7s   415 MB',
        '›✓ bundle     ← api, worker, web  built                                                                  2.1s  31.5 MB ◆',
      ].join('\n'),
    );
  });

  test('running graph at 80 columns shows instruction, copying and queued steps', () => {
    const frame = renderGraph(building, { columns: 80, selected: 'api' });

    expect(frame).toBe(
      [
        ' ✓ base                           cached                           2.1s   120 MB',
        ' ✓ tools                          built                            1.6s    45 MB',
        ' ✓ go-deps    ← base              built, 1/4 cached                8.3s   811 MB',
        ' ✓ node-deps  ← base              built                            4.8s   402 MB',
        '›● api        ← go-deps           3/4 RUN go build -o /out/api…    4.1s',
        ' ⇣ worker     ← go-deps           copying artifacts                4.1s',
        ' ✓ web        ← node-deps         built, 1/3 cached                5.7s   415 MB',
        ' ○ bundle     ← api, worker, web  queued',
      ].join('\n'),
    );
  });

  test('running graph at 120 columns shows the whole instruction', () => {
    const frame = renderGraph(building, { columns: 120, selected: 'api' });

    expect(frame).toBe(
      [
        ' ✓ base                           cached                                                                   2.1s   120 MB',
        ' ✓ tools                          built                                                                    1.6s    45 MB',
        ' ✓ go-deps    ← base              built, 1/4 cached                                                        8.3s   811 MB',
        ' ✓ node-deps  ← base              built                                                                    4.8s   402 MB',
        '›● api        ← go-deps           3/4 RUN go build -o /out/api ./cmd/api                                   4.1s',
        ' ⇣ worker     ← go-deps           copying artifacts                                                        4.1s',
        ' ✓ web        ← node-deps         built, 1/3 cached                                                        5.7s   415 MB',
        ' ○ bundle     ← api, worker, web  queued',
      ].join('\n'),
    );
  });

  test('failed step says where it failed and its dependent that it was skipped', () => {
    const failed = foldEvents(readFixture('failed-run'));

    const frame = renderGraph(failed, { columns: 80, selected: 'builder' });

    expect(frame).toBe(
      [
        '›✗ builder                failed at 9/12 RUN go build -trimpat…    6.5s',
        ' – production  ← builder  skipped: builder failed',
      ].join('\n'),
    );
  });

  test('step whose after-build command failed names the command, not its last instruction', () => {
    const events = readFixture('failed-run').map((event) =>
      event.type === 'step-failed' ? { ...event, error: { message: 'after_build_command `make check` exited with code 4' } } : event,
    );

    const frame = renderGraph(foldEvents(events), { columns: 80, selected: 'builder' });

    expect(frame?.split('\n')[0]).toBe('›✗ builder                failed: after_build_command `make ch…    6.5s');
  });

  test('cancelled run tells cancelled steps from skipped ones', () => {
    const cancelled = foldEvents(readFixture('cancelled-run'));

    const frame = renderGraph(cancelled, { columns: 80 });

    expect(frame).toBe(
      [
        ' ✓ base                           cached                           1.0s   120 MB',
        ' ✓ tools                          cached                           0.9s    45 MB',
        ' ⊘ go-deps    ← base              cancelled                        2.9s',
        ' ⊘ node-deps  ← base              cancelled                        2.9s',
        ' – api        ← go-deps           skipped: go-deps cancelled',
        ' – worker     ← go-deps           skipped: go-deps cancelled',
        ' – web        ← node-deps         skipped: node-deps cancelled',
        ' – bundle     ← api, worker, web  skipped: api skipped',
      ].join('\n'),
    );
  });

  test('graph taller than its rows shows a window around the selection', () => {
    const frame = renderGraph(building, { columns: 80, selected: 'worker', maxRows: 5 });

    expect(frame).toBe(
      [
        ' ✓ node-deps  ← base              built                            4.8s   402 MB',
        ' ● api        ← go-deps           3/4 RUN go build -o /out/api…    4.1s',
        '›⇣ worker     ← go-deps           copying artifacts                4.1s',
        ' ✓ web        ← node-deps         built, 1/3 cached                5.7s   415 MB',
        '  … 3 above, 1 below (↑/↓ moves)',
      ].join('\n'),
    );
  });

  test('compact graph under 60 columns keeps one line a step with its edges', () => {
    const frame = renderGraph(building, { columns: 50, selected: 'api' });

    expect(frame).toBe(
      [
        ' ✓ base · cached                              2.1s',
        ' ✓ tools · built                              1.6s',
        ' ✓ go-deps ← base · built, 1/4 cached         8.3s',
        ' ✓ node-deps ← base · built                   4.8s',
        '›● api ← go-deps · 3/4 RUN go build -o /out/… 4.1s',
        ' ⇣ worker ← go-deps · copying artifacts       4.1s',
        ' ✓ web ← node-deps · built, 1/3 cached        5.7s',
        ' ○ bundle ← api, worker, web · queued',
      ].join('\n'),
    );
  });
});
