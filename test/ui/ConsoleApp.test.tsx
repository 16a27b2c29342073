import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { BuildEvent } from '../../src/build/events.js';
import { ConsoleApp } from '../../src/ui/ConsoleApp.js';
import type { ConsoleState } from '../../src/ui/console-state.js';
import { eventsUntil, FIXTURE_NAMES, foldEvents, makeLogEvents, readFixture } from './fixtures.js';
import { renderAtSize, resizeTo, trimLineEnds } from './render-at-size.js';

const KEYS = { down: '\u001b[B', up: '\u001b[A', enter: '\r', escape: '\u001b', pageUp: '\u001b[5~', pageDown: '\u001b[6~', ctrlC: '\u0003' };

/** Waits for Ink to attach its input listener and for React to commit a key's update. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}

function renderApp(
  state: ConsoleState,
  options: { columns?: number; rows?: number; watch?: boolean; onCancel?: () => void; onRebuild?: () => void; forceExit?: (code: number) => void } = {},
) {
  const tree = (
    <ConsoleApp
      state={state}
      buildFile="build.yml"
      workDir="/home/dev/helloworld"
      watch={options.watch ?? false}
      closing={false}
      onCancel={options.onCancel}
      onRebuild={options.onRebuild}
      forceExit={options.forceExit ?? (() => {})}
    />
  );
  return renderAtSize(tree, options.columns ?? 80, options.rows ?? 24);
}

/** Returns the line of the step graph that shows `label`. */
function rowOf(frame: string | undefined, label: string): string {
  return (frame ?? '').split('\n').find((line) => new RegExp(`^.. ${label} `).test(line)) ?? '';
}

afterEach(() => {
  cleanup();
});

const copying = foldEvents(eventsUntil('demo-two-stage', (event) => event.type === 'artifact-progress'));
const parallel = foldEvents(eventsUntil('parallel-logs', (event) => event.type === 'step-finished'));

describe('ConsoleApp live region', () => {
  test('demo while copying shows header, graph, artifact bar and the log', () => {
    const { lastFrame } = renderApp(copying);

    const frame = trimLineEnds(lastFrame());
    expect(frame).toContain('weld build.yml · /home/dev/helloworld  Docker 27.3.1 · unix:///var/run/docker.s…');
    expect(frame).toMatch(/^building · \d+\.\ds · steps 0\/2 done · cache 5\/12 instructions$/m);
    expect(rowOf(frame, 'builder')).toMatch(/^›⇣ builder {16}copying artifacts/);
    expect(frame).toContain('⇣ /go/bin/server → ./server        ████░░░░░░░░░░░░    1.5 MB of 6 MB    15 MB/s');
    expect(frame).toContain('── builder · copying artifacts ──');
    expect(frame).toContain('  -rwxr-xr-x 1 root root 6012345 Dec  4 08:13 /go/bin/server');
    expect(frame.split('\n').at(-1)).toBe('↑/↓ select · Enter log · a all logs · ? keys · q cancel');
  });

  test('log pane keeps build colours and drops cursor movement', () => {
    const { lastFrame } = renderApp(parallel);

    const frame = lastFrame() ?? '';
    expect(frame).toContain('\u001b[31merror-looking but harmless\u001b[39m');
    expect(frame).toContain('  line that moved the cursor up');
    expect(frame).not.toContain('\u001b[1A');
  });

  const sizes = [
    [80, 24],
    [120, 40],
    [50, 20],
    [80, 12],
  ] as const;
  test.each(FIXTURE_NAMES.flatMap((name) => sizes.map(([columns, rows]) => [name, columns, rows] as const)))(
    '%s stays within a %dx%d screen at every event',
    (name, columns, rows) => {
      // Printed output (warnings, run summaries) is not part of the live region.
      const events = readFixture(name).filter((event) => event.type !== 'warning' && event.type !== 'run-finished' && !event.type.startsWith('watch-'));
      const { rerender, lastFrame } = renderApp(foldEvents([]), { columns, rows });

      for (let count = 1; count <= events.length; count++) {
        const state = foldEvents(events.slice(0, count));
        rerender(<ConsoleApp state={state} buildFile="build.yml" workDir="/w" watch={false} closing={false} forceExit={() => {}} />);

        const lines = (lastFrame() ?? '').split('\n');
        expect(lines.length, `after ${events[count - 1]!.type}`).toBeLessThanOrEqual(rows - 1);
        expect(Math.max(...lines.map((line) => line.replace(/\u001b\[[\d;]*m/g, '').length))).toBeLessThanOrEqual(columns);
      }
    },
  );

  test('resizing under 60 columns switches to the compact layout', async () => {
    const { stdout, lastFrame } = renderApp(copying, { columns: 80 });

    resizeTo(stdout, 50, 24);
    await settle();

    const lines = trimLineEnds(lastFrame()).split('\n');
    expect(lines[0]).toBe('weld build.yml');
    expect(lines[1]).toBe('Docker 27.3.1 · unix:///var/run/docker.sock');
    expect(lines.some((line) => line.startsWith('›⇣ builder · copying artifacts'))).toBe(true);
  });
});

describe('ConsoleApp keys', () => {
  test.each([
    ['j', 'production'],
    [KEYS.down, 'production'],
    ['k', 'builder'],
    [KEYS.up, 'builder'],
  ])('key %j selects %s', async (key, expected) => {
    const { stdin, lastFrame } = renderApp(copying);
    await settle();

    stdin.write(key);
    await settle();

    expect(rowOf(lastFrame(), expected).startsWith('›')).toBe(true);
  });

  test('Enter opens the whole log and g, G and PgDn scroll it', async () => {
    const started = foldEvents(readFixture('demo-two-stage').slice(0, 2));
    const state = foldEvents(makeLogEvents('builder', 200, started.run!.startedAt + 100), started);
    const { stdin, lastFrame } = renderApp(state, { rows: 24 });
    await settle();

    stdin.write(KEYS.enter);
    await settle();
    const atEnd = lastFrame()?.split('\n') ?? [];
    stdin.write('g');
    await settle();
    const atStart = lastFrame()?.split('\n') ?? [];
    stdin.write(KEYS.pageDown);
    await settle();
    const paged = lastFrame()?.split('\n') ?? [];

    expect(atEnd[0]).toMatch(/^── builder · lines 180–200 of 200 ─+$/);
    expect(atEnd.at(-2)).toBe('line 200 of a chatty build step');
    expect(atEnd.at(-1)).toBe('PgUp/PgDn scroll · ↑/↓ one line · g top · G end · Enter or Esc back');
    expect(atStart[0]).toMatch(/^── builder · lines 1–21 of 200 ─+$/);
    expect(paged[0]).toMatch(/^── builder · lines 22–42 of 200 ─+$/);
  });

  test('whole log of a chatty step says only the last lines are kept', async () => {
    const started = foldEvents(readFixture('demo-two-stage').slice(0, 2));
    const state = foldEvents(makeLogEvents('builder', 12_000, started.run!.startedAt + 100), started);
    const { stdin, lastFrame } = renderApp(state, { columns: 120 });
    await settle();

    stdin.write(KEYS.enter);
    await settle();

    expect(lastFrame()?.split('\n')[0]).toMatch(/^── builder · lines 11,980–12,000 of 12,000 · only the last 5,000 are kept ─+$/);
  });

  test('Escape leaves the whole log for the live view', async () => {
    const { stdin, lastFrame } = renderApp(copying);
    await settle();

    stdin.write(KEYS.enter);
    await settle();
    stdin.write(KEYS.escape);
    await settle();

    expect(lastFrame()).toContain('── builder · copying artifacts ──');
  });

  test('a toggles panes of all running steps', async () => {
    const { stdin, lastFrame } = renderApp(parallel, { rows: 30 });
    await settle();

    stdin.write('a');
    await settle();
    const allPanes = lastFrame() ?? '';
    stdin.write('a');
    await settle();
    const selectedPane = lastFrame() ?? '';

    expect(allPanes).toContain('── beta · 2/3 RUN make beta ──');
    expect(allPanes).toContain('── gamma · 2/3 RUN make gamma ──');
    expect(selectedPane).toContain('── beta · 2/3 RUN make beta ──');
    expect(selectedPane).not.toContain('── gamma ·');
  });

  test('? shows the keys', async () => {
    const { stdin, lastFrame } = renderApp(copying);
    await settle();

    stdin.write('?');
    await settle();

    expect(lastFrame()).toContain('  q  Ctrl-C  cancel the run; press again to quit at once');
  });

  test.each([
    ['q', 'q'],
    ['Ctrl-C', KEYS.ctrlC],
  ])('%s cancels first and forces the exit the second time', async (_name, key) => {
    const onCancel = vi.fn();
    const forceExit = vi.fn();
    const { stdin, lastFrame } = renderApp(copying, { onCancel, forceExit });
    await settle();

    stdin.write(key);
    await settle();
    const afterFirst = lastFrame() ?? '';
    stdin.write(key);
    await settle();

    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(afterFirst).toContain('cancelling… press q again to quit at once');
    expect(afterFirst).toMatch(/^cancelling… · \d/m);
    expect(forceExit).toHaveBeenCalledExactlyOnceWith(130);
  });

  test('? in watch mode: q ends the session', async () => {
    // The key list described q as cancelling the run only, but in watch mode it ends the session too.
    const { stdin, lastFrame } = renderApp(copying, { watch: true, onRebuild: () => {} });
    await settle();

    stdin.write('?');
    await settle();

    expect(lastFrame()).toContain('  r          rebuild every step (watch mode)');
    expect(lastFrame()).toContain('  q  Ctrl-C  cancel any run and end watch mode; press again to quit at once');
    expect(lastFrame()).not.toContain('cancel the run;');
  });

  test('footer of a watch run offers q to quit', () => {
    const { lastFrame } = renderApp(copying, { watch: true, onRebuild: () => {} });

    expect(lastFrame()?.split('\n').at(-1)).toBe('↑/↓ select · Enter log · a all logs · r rebuild · ? keys · q quit');
  });

  test('Enter on a reused step shows its earlier log', async () => {
    const events = readFixture('watch-two-runs');
    const secondStart = events.findIndex((event) => event.type === 'run-started' && event.runId === 'watch-run-2');
    const start = events[secondStart] as Extract<BuildEvent, { type: 'run-started' }>;
    const reusedStart: BuildEvent = { ...start, steps: start.steps.map((step) => (step.label === 'builder' ? { ...step, reused: true } : step)) };
    const state = foldEvents([...events.slice(0, secondStart), reusedStart]);
    const { stdin, lastFrame } = renderApp(state, { watch: true, onRebuild: () => {}, rows: 30 });
    await settle();

    stdin.write(KEYS.enter);
    await settle();

    const lines = lastFrame()?.split('\n') ?? [];
    expect(lines[0]).toMatch(/^── builder · reused from run 1 · lines 1–17 of 17 ─+$/);
    expect(lines).toContain('-rwxr-xr-x 1 root root 6012345 Dec  4 08:13 /go/bin/server');
  });

  test('r asks for a full rebuild in watch mode', async () => {
    const onRebuild = vi.fn();
    const { stdin } = renderApp(copying, { watch: true, onRebuild });
    await settle();

    stdin.write('r');
    await settle();

    expect(onRebuild).toHaveBeenCalledTimes(1);
  });

  test('stdin that is not a TTY gets no key hints and ignores keys', async () => {
    const onCancel = vi.fn();
    const { stdin, rerender, lastFrame } = renderApp(copying, { onCancel });
    stdin.isTTY = false;
    rerender(<ConsoleApp state={copying} buildFile="build.yml" workDir="/w" watch={false} closing={false} onCancel={onCancel} forceExit={() => {}} />);
    await settle();

    stdin.write('q');
    await settle();

    expect(lastFrame()).not.toContain('q cancel');
    expect(onCancel).not.toHaveBeenCalled();
  });
});

describe('ConsoleApp at the end of a run', () => {
  test('failed run prints its summary with the failed step focused', async () => {
    const { lastFrame } = renderApp(foldEvents(readFixture('failed-run')));
    await settle();

    const frame = trimLineEnds(lastFrame());
    expect(frame).toContain('failed after 6.6s · steps 0/2 done · cache 6/12 instructions');
    expect(frame).toContain('›✗ builder                failed at 9/12 RUN go build -trimpat…    6.5s');
    expect(frame).toContain('  │ ./main.go:14:2: undefined: handler');
    expect(frame).toContain('  hint: Fix the errors the build printed above, then run weld again.');
  });

  test('failure title names the instruction the error leaves out', async () => {
    const events = readFixture('failed-run').map((event): BuildEvent =>
      (event.type === 'step-failed' || event.type === 'run-finished') && event.error
        ? { ...event, error: { ...event.error, message: 'the engine stopped the build' } }
        : event,
    );
    const { lastFrame } = renderApp(foldEvents(events), { columns: 100, rows: 60 });
    await settle();

    expect(trimLineEnds(lastFrame())).toContain('✗ builder failed after 6.5s at RUN go build');
  });

  test('run with two failed steps shows the cause of each', async () => {
    const events = readFixture('failed-run').map((event): BuildEvent =>
      event.type === 'step-skipped'
        ? { type: 'step-failed', time: event.time, step: event.step, durationMs: 100, error: { message: 'command `check` exited with code 4' }, logTail: ['check failed'] }
        : event,
    );
    const { lastFrame } = renderApp(foldEvents(events), { columns: 100, rows: 60 });
    await settle();

    const frame = trimLineEnds(lastFrame());
    // The builder's error quotes its instruction, so the title does not repeat it.
    expect(frame).toMatch(/^✗ builder failed after 6\.5s$/m);
    expect(frame).toContain('✗ production failed after 0.1s');
    expect(frame).toContain('command `check` exited with code 4');
  });

  test('succeeded run prints the layer table and ends with the savings line', () => {
    const { lastFrame } = renderApp(foldEvents(readFixture('demo-two-stage')));

    const lines = trimLineEnds(lastFrame()).split('\n');
    expect(lines).toContain(' ◆ critical path: builder → production');
    expect(lines).toContain('  2  <missing>      4.5 MB  ██████████ 100.0 %  COPY file:3c1f0a8e2b7d4c6f9e5a1…');
    expect(lines.filter((line) => line !== '').at(-1)).toBe('helloworld:latest 4.5 MB · builder 811 MB · 180× smaller (99.4 % saved)');
  });

  test.each(FIXTURE_NAMES.flatMap((name) => [50, 80, 120].map((columns) => [name, columns] as const)))('printed output of %s fits %d columns', (name, columns) => {
    const { lastFrame } = renderApp(foldEvents(readFixture(name)), { columns, rows: 200 });

    const widths = (lastFrame() ?? '').split('\n').map((line) => [...line.replace(/\u001b\[[\d;]*m/g, '')].length);
    expect(Math.max(...widths)).toBeLessThanOrEqual(columns);
  });

  test('watch mode keeps a footer between runs', () => {
    const events: BuildEvent[] = [...readFixture('demo-two-stage'), { type: 'watch-ready', time: Date.now(), steps: ['builder', 'production'], watchedPaths: 7 }];

    const { lastFrame } = renderApp(foldEvents(events), { watch: true });

    expect(lastFrame()?.split('\n').at(-1)).toBe('watching 7 paths · selected builder · ↑/↓ select · Enter log · ? keys · q quit');
  });

  test('watch error names the failing Dockerfile', () => {
    const error: BuildEvent = {
      type: 'watch-error',
      time: Date.now(),
      source: 'build-file',
      error: { message: 'unknown instruction RUNN at other/Dockerfile:2', hint: 'fix the instruction' },
      files: ['other/Dockerfile'],
    };

    const { lastFrame } = renderApp(foldEvents([...readFixture('demo-two-stage'), error]), { watch: true, columns: 100, rows: 60 });

    const lines = trimLineEnds(lastFrame()).split('\n');
    expect(lines).toContain('✗ the build cannot be planned: unknown instruction RUNN at other/Dockerfile:2');
    expect(lines).toContain('  still watching; no run starts until other/Dockerfile can be planned');
  });

  test('? between watch runs shows the keys', async () => {
    const events: BuildEvent[] = [...readFixture('demo-two-stage'), { type: 'watch-ready', time: Date.now(), steps: ['builder', 'production'], watchedPaths: 7 }];
    const { lastFrame, stdin } = renderApp(foldEvents(events), { watch: true });

    stdin.write('?');
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(lastFrame()).toContain('show or hide these keys');
  });
});
