import { describe, expect, test } from 'vitest';
import type { BuildEvent } from '../../src/build/events.js';
import {
  cacheTotals,
  defaultSelection,
  INITIAL_CONSOLE_STATE,
  LOG_RING_LINES,
  MAX_WARNINGS_PER_RUN,
  orderedSteps,
  reduceConsole,
} from '../../src/ui/console-state.js';
import { lastLines } from '../../src/ui/line-buffer.js';
import { MAX_LINE_CHARS } from '../../src/ui/log-line.js';
import { eventsUntil, foldEvents, makeLogEvents, readFixture } from './fixtures.js';

const ESC = '\u001b';

describe('reduceConsole over the two-stage demo', () => {
  test('run ends with both steps done, sizes and the critical path', () => {
    const state = foldEvents(readFixture('demo-two-stage'));

    expect(state.steps.builder).toMatchObject({ state: 'done', sizeBytes: 811_234_567, instructionsCached: 5, instructionsTotal: 12 });
    expect(state.steps.production).toMatchObject({ state: 'done', sizeBytes: 4_512_345, image: 'helloworld:latest' });
    expect(state.end?.outcome).toBe('succeeded');
    expect(state.end?.finalImages.map((image) => image.image)).toEqual(['helloworld:latest']);
    expect(state.end?.criticalPath).toEqual(['builder', 'production']);
    expect(state.printed).toEqual([{ kind: 'run-summary', runId: 'run-demo' }]);
  });

  test('builder shows its instruction and cache state while it builds', () => {
    const state = foldEvents(eventsUntil('demo-two-stage', (event) => event.type === 'step-cached' && event.instruction === 3));

    expect(state.steps.builder?.state).toBe('building');
    expect(state.steps.builder?.instruction).toEqual({ index: 3, total: 12, text: 'WORKDIR /src', cached: true });
    expect(state.steps.builder?.contextBytes).toBe(18_432);
    expect(cacheTotals(state)).toEqual({ cached: 3, total: 12 });
  });

  test('artifact copy moves the step to copying and counts bytes of total', () => {
    const state = foldEvents(eventsUntil('demo-two-stage', (event) => event.type === 'artifact-progress'));

    expect(state.steps.builder?.state).toBe('copying');
    expect(state.artifacts).toHaveLength(1);
    expect(state.artifacts[0]).toMatchObject({ source: '/go/bin/server', destination: './server', bytes: 1_503_086, totalBytes: 6_012_345 });
    expect(state.artifacts[0]?.durationMs).toBeUndefined();
  });

  test('finished artifact copy keeps its bytes and duration', () => {
    const state = foldEvents(eventsUntil('demo-two-stage', (event) => event.type === 'artifact-finished'));

    expect(state.artifacts[0]).toMatchObject({ bytes: 6_012_345, totalBytes: 6_012_345, durationMs: 400 });
  });

  test('steps are ordered by depth with their dependencies', () => {
    const state = foldEvents(readFixture('demo-two-stage').slice(0, 1));

    expect(orderedSteps(state).map((step) => [step.label, step.depth, step.state])).toEqual([
      ['builder', 0, 'queued'],
      ['production', 1, 'queued'],
    ]);
  });
});

describe('reduceConsole over the eight-step graph', () => {
  test('display order puts every step below the steps it waits for', () => {
    const state = foldEvents(readFixture('graph-eight-steps'));

    expect(state.order).toEqual(['base', 'tools', 'go-deps', 'node-deps', 'api', 'worker', 'web', 'bundle']);
  });

  test('critical path follows the dependency that finished last', () => {
    const state = foldEvents(readFixture('graph-eight-steps'));

    expect(state.end?.criticalPath).toEqual(['base', 'go-deps', 'api', 'bundle']);
  });

  test('fully cached step ends as cached, a partly cached one as done', () => {
    const state = foldEvents(readFixture('graph-eight-steps'));

    expect(state.steps.base?.state).toBe('cached');
    expect(state.steps['go-deps']?.state).toBe('done');
    expect(state.steps['go-deps']?.instructionsCached).toBe(1);
  });

  test('parallel copies are tracked apart', () => {
    const state = foldEvents(eventsUntil('graph-eight-steps', (event) => event.type === 'artifact-progress' && event.step === 'worker'));

    expect(state.artifacts.map((artifact) => [artifact.step, artifact.durationMs === undefined])).toEqual([
      ['web', false],
      ['worker', true],
    ]);
  });

  test('default selection is the first running step in display order', () => {
    const state = foldEvents(eventsUntil('graph-eight-steps', (event) => event.type === 'step-started' && event.step === 'api'));

    expect(defaultSelection(state)).toBe('api');
  });
});

describe('reduceConsole over interleaved logs', () => {
  const state = foldEvents(readFixture('parallel-logs'));

  test('each step keeps its own lines in order', () => {
    expect(lastLines(state.steps.alpha!.log, 10)).toHaveLength(5);
    expect(lastLines(state.steps.beta!.log, 10)).toHaveLength(5);
    expect(lastLines(state.steps.gamma!.log, 10)).toHaveLength(6);
  });

  test.each([
    ['alpha', 0, 'Step 2/3 : RUN make alpha'],
    ['alpha', 1, `${ESC}[1m${ESC}[34m==> compiling alpha${ESC}[0m`],
    ['alpha', 2, 'progress 100%'],
    ['alpha', 3, 'cc -O2 -c alpha.c       -o alpha.o'],
    ['alpha', 4, 'screen cleared by the build'],
    ['beta', 1, `${ESC}[31merror-looking but harmless${ESC}[39m`],
    ['beta', 2, 'line that moved the cursor up'],
    ['beta', 4, 'title set'],
    ['gamma', 1, `${ESC}[38;5;208mgamma in 256 colours${ESC}[0m`],
    ['gamma', 2, 'tab     separated       columns'],
    ['gamma', 3, 'bell and backspace removed'],
    ['gamma', 5, `${ESC}[2mafter-build${ESC}[22m after-build: notified`],
  ])('%s line %d is kept as the terminal should show it', (step, index, expected) => {
    expect(lastLines(state.steps[step]!.log, 10)[index]).toBe(expected);
  });

  test('a line longer than the limit is cut with an ellipsis', () => {
    const long = lastLines(state.steps.beta!.log, 10)[3]!;

    expect(long).toHaveLength(MAX_LINE_CHARS + 1);
    expect(long.endsWith('…')).toBe(true);
  });

  test('warning is printed before the run summary', () => {
    expect(state.printed).toEqual([
      { kind: 'warning', step: 'gamma', message: 'after_build_command printed to stderr' },
      { kind: 'run-summary', runId: 'run-parallel' },
    ]);
  });
});

describe('reduceConsole over a failed run', () => {
  const state = foldEvents(readFixture('failed-run'));

  test('failed step keeps its error, its log tail and the focus', () => {
    expect(state.steps.builder?.state).toBe('failed');
    expect(state.steps.builder?.error?.hint).toBe('Fix the errors the build printed above, then run weld again.');
    expect(state.steps.builder?.failureTail?.at(-2)).toBe('./main.go:14:2: undefined: handler');
    expect(state.focus).toBe('builder');
    expect(defaultSelection(state)).toBe('builder');
  });

  test('dependent step is skipped because of the failed one', () => {
    expect(state.steps.production).toMatchObject({ state: 'skipped', skippedBecause: 'builder' });
  });

  test('run ends failed with the error naming the step', () => {
    expect(state.end?.outcome).toBe('failed');
    expect(state.end?.error?.step).toBe('builder');
  });
});

describe('reduceConsole over a cancelled run', () => {
  const state = foldEvents(readFixture('cancelled-run'));

  test.each([
    ['base', 'cached'],
    ['tools', 'cached'],
    ['go-deps', 'cancelled'],
    ['node-deps', 'cancelled'],
    ['api', 'skipped'],
    ['worker', 'skipped'],
    ['web', 'skipped'],
    ['bundle', 'skipped'],
  ])('%s ends %s', (label, expected) => {
    expect(state.steps[label]?.state).toBe(expected);
  });

  test('cancelled steps get the time they ran', () => {
    expect(state.steps['go-deps']?.durationMs).toBe(2900);
  });

  test('run ends cancelled without a focus', () => {
    expect(state.end?.outcome).toBe('cancelled');
    expect(state.focus).toBeUndefined();
  });
});

describe('reduceConsole across runs', () => {
  test('new run-started resets the logs, artifacts and end of the run before', () => {
    const events = readFixture('watch-two-runs');
    const secondStart = events.findIndex((event) => event.type === 'run-started' && event.runId === 'watch-run-2');
    const first = foldEvents(events.slice(0, secondStart));

    const second = reduceConsole(first, events[secondStart]!);

    // 5 log lines and 12 instructions (Step N/M lines).
    expect(first.steps.builder?.log.size).toBe(17);
    expect(second.runSeq).toBe(first.runSeq + 1);
    expect(second.steps.builder?.log.size).toBe(0);
    expect(second.steps.builder?.state).toBe('queued');
    expect(second.artifacts).toEqual([]);
    expect(second.end).toBeUndefined();
    expect(second.printed).toEqual([]);
  });

  test('reused step shows as cached', () => {
    const events = readFixture('watch-two-runs');
    const secondStart = events.findIndex((event) => event.type === 'run-started' && event.runId === 'watch-run-2');
    const first = foldEvents(events.slice(0, secondStart));
    const start = events[secondStart] as Extract<BuildEvent, { type: 'run-started' }>;
    const reusedStart: BuildEvent = { ...start, steps: start.steps.map((step) => (step.label === 'builder' ? { ...step, reused: true } : step)) };

    const second = reduceConsole(first, reusedStart);

    expect(first.steps.builder?.sizeBytes).toBeGreaterThan(0);
    expect(second.steps.builder?.state).toBe('cached');
    expect(second.steps.builder?.sizeBytes).toBe(first.steps.builder?.sizeBytes);
    expect(second.steps.production?.state).toBe('queued');
  });

  test('reused step keeps the log of the run that built it', () => {
    // Enter on a reused step showed "no output yet" when the new run dropped its log.
    const events = readFixture('watch-two-runs');
    const secondTriggered = events.findIndex((event) => event.type === 'watch-triggered' && event.run === 2);
    const first = foldEvents(events.slice(0, secondTriggered + 1));
    const start = events[secondTriggered + 1] as Extract<BuildEvent, { type: 'run-started' }>;
    const reuse = (run: number, runId: string): BuildEvent[] => [
      { type: 'watch-triggered', time: start.time, run, trigger: { kind: 'change', path: 'deploy.yml' }, paths: ['deploy.yml'], pathCount: 1, steps: [], restarted: false },
      { ...start, runId, steps: start.steps.map((step) => (step.label === 'builder' ? { ...step, reused: true } : step)) },
    ];

    const second = foldEvents(reuse(2, 'watch-run-2'), first);
    const third = foldEvents(reuse(3, 'watch-run-3'), second);

    expect(first.steps.builder?.log.size).toBe(17);
    expect(first.steps.builder?.logRun).toBe(1);
    expect(second.steps.builder).toMatchObject({ reused: true, logRun: 1 });
    expect(second.steps.builder?.log).toBe(first.steps.builder?.log);
    expect(third.steps.builder).toMatchObject({ reused: true, logRun: 1 });
    expect(third.steps.builder?.log).toBe(first.steps.builder?.log);
    expect(third.steps.production).toMatchObject({ log: { size: 0 }, logRun: 3 });
    expect(third.steps.production?.reused).toBeUndefined();
  });

  test('watch events are printed in order and the watched paths kept', () => {
    const events = readFixture('watch-two-runs');
    const secondStart = events.findIndex((event) => event.type === 'run-started' && event.runId === 'watch-run-2');

    const state = foldEvents(events.slice(0, secondStart));

    expect(state.printed.map((item) => (item.kind === 'watch' ? item.event.type : item.kind))).toEqual(['run-summary', 'watch-run-summary', 'watch-triggered']);
    expect(state.watch).toEqual({ watchedPaths: 7, run: 2, stopped: false });
  });

  test('watch events before the first run are taken', () => {
    const triggered = readFixture('watch-two-runs')[0]!;

    const state = reduceConsole(INITIAL_CONSOLE_STATE, triggered);

    expect(state.printed).toEqual([{ kind: 'watch', event: triggered }]);
  });

  test('watch error is kept until the next run starts', () => {
    const error: BuildEvent = { type: 'watch-error', time: 1, source: 'build-file', error: { message: 'build.yml line 3: invalid step', hint: 'fix it' } };
    const runStarted = readFixture('demo-two-stage')[0]!;

    const failed = reduceConsole(INITIAL_CONSOLE_STATE, error);
    const restarted = reduceConsole(failed, runStarted);

    expect(failed.watch?.error?.message).toBe('build.yml line 3: invalid step');
    expect(restarted.watch?.error).toBeUndefined();
  });
});

describe('reduceConsole limits', () => {
  test('events before the first run-started are ignored', () => {
    const [, ...afterStart] = readFixture('demo-two-stage');

    const state = foldEvents(afterStart);

    expect(state).toBe(INITIAL_CONSOLE_STATE);
  });

  test('unplanned step leaves state unchanged', () => {
    const started = foldEvents(readFixture('demo-two-stage').slice(0, 1));

    const state = reduceConsole(started, { type: 'step-started', time: started.run!.startedAt + 1, step: 'ghost' });

    expect(state.steps).toBe(started.steps);
  });

  test('200,000 lines keep a bounded ring and count them all', () => {
    const started = foldEvents(readFixture('demo-two-stage').slice(0, 2));
    const lines = makeLogEvents('builder', 200_000, started.run!.startedAt + 100);

    const state = foldEvents(lines, started);

    const log = state.steps.builder!.log;
    expect(log.total).toBe(200_000);
    expect(log.size).toBeGreaterThanOrEqual(LOG_RING_LINES);
    expect(log.size).toBeLessThan(LOG_RING_LINES + 64);
    expect(lastLines(log, 1)).toEqual(['line 200000 of a chatty build step']);
  });

  test('warnings beyond the limit are counted and noted once', () => {
    const started = foldEvents(readFixture('demo-two-stage').slice(0, 1));
    const warnings: BuildEvent[] = Array.from({ length: MAX_WARNINGS_PER_RUN + 20 }, (_, index) => ({ type: 'warning', time: started.run!.startedAt + index, message: `warning ${index}` }));

    const state = foldEvents(warnings, started);

    expect(state.warningCount).toBe(MAX_WARNINGS_PER_RUN + 20);
    expect(state.printed).toHaveLength(MAX_WARNINGS_PER_RUN + 1);
    expect(state.printed.at(-1)).toEqual({ kind: 'warnings-dropped' });
  });
});
