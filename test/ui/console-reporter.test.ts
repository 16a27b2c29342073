import { PassThrough, Writable } from 'node:stream';
import { afterAll, describe, expect, test, vi } from 'vitest';
import type { BuildEvent } from '../../src/build/events.js';
import { foldEvents, makeLogEvents, readFixture, type FixtureName } from './fixtures.js';

// Ink writes only <Static> output and the last frame when it finds a CI variable,
// and .ci/run sets CI=true. These tests check the frames a person's terminal gets,
// so CI is switched off before Ink loads (vi.hoisted runs before the imports).
const ciVariables = vi.hoisted(() => {
  const saved = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION };
  process.env.CI = 'false';
  delete process.env.CONTINUOUS_INTEGRATION;
  return saved;
});

afterAll(() => {
  for (const [name, value] of Object.entries(ciVariables)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const { createConsoleReporter, RENDER_INTERVAL_MS } = await import('../../src/ui/console-reporter.js');

/** Ink's log-update ends every erase of the previous frame with "cursor to column 1". */
const CURSOR_TO_COLUMN_ONE = '\u001b[G';

/** Creates a stdout that records every write and reports a terminal size like a TTY. */
function createFakeStdout(columns = 80, rows = 24) {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      writes.push(String(chunk));
      callback();
    },
  });
  const stdout = Object.assign(stream, { columns, rows, isTTY: false }) as unknown as NodeJS.WriteStream;
  return {
    stdout,
    writes,
    /** The text written since the last redraw began: the final screen after close. */
    lastFrame: () => {
      const output = writes.join('');
      return output.slice(output.lastIndexOf(CURSOR_TO_COLUMN_ONE) + 1).replace(/^\[G/, '');
    },
  };
}

async function replay(name: FixtureName, columns = 80) {
  const fake = createFakeStdout(columns);
  const reporter = await createConsoleReporter({ stdout: fake.stdout, stdin: new PassThrough() as unknown as NodeJS.ReadStream, buildFile: 'build.yml', workDir: '/w' });
  for (const event of readFixture(name)) reporter.handle(event);
  await reporter.close();
  return fake;
}

describe('console reporter', () => {
  test('demo run leaves the layer table and the savings line on screen', async () => {
    const { lastFrame } = await replay('demo-two-stage');

    const lines = lastFrame().split('\n');
    expect(lines).toContain('succeeded in 9.9s · steps 2/2 done · cache 5/15 instructions');
    expect(lines).toContain('helloworld:latest · production · 4.5 MB · 2 layers');
    expect(lines).toContain('  2  <missing>      4.5 MB  ██████████ 100.0 %  COPY file:3c1f0a8e2b7d4c6f9e5a1…');
    expect(lines.filter((line) => line.trim() !== '').at(-1)).toBe('helloworld:latest 4.5 MB · builder 811 MB · 180× smaller (99.4 % saved)');
  });

  test('failed run leaves the failed step, its last lines, error and hint', async () => {
    const { lastFrame } = await replay('failed-run');

    const frame = lastFrame();
    expect(frame).toContain('›✗ builder                failed at 9/12 RUN go build -trimpat…    6.5s');
    expect(frame).toContain('  │ ./main.go:14:2: undefined: handler');
    expect(frame).toContain('  error: step builder (Dockerfile.builder line 9)');
    expect(frame).toContain('  hint: Fix the errors the build printed above, then run weld again.');
  });

  test('cancelled run leaves the cancelled and skipped steps', async () => {
    const { lastFrame } = await replay('cancelled-run');

    const frame = lastFrame();
    expect(frame).toContain('cancelled after 4.1s · steps 2/8 done');
    expect(frame).toContain(' ⊘ go-deps    ← base              cancelled');
    expect(frame).toContain(' – bundle     ← api, worker, web  skipped: api skipped');
  });

  test('piped stdin gets no key hints and does not fail', async () => {
    const fake = createFakeStdout();
    const reporter = await createConsoleReporter({ stdout: fake.stdout, stdin: new PassThrough() as unknown as NodeJS.ReadStream, buildFile: 'build.yml', workDir: '/w' });

    reporter.handle(readFixture('demo-two-stage')[0]!);
    await new Promise((resolve) => setTimeout(resolve, RENDER_INTERVAL_MS * 2));
    await reporter.close();

    expect(fake.writes.join('')).toContain('steps 0/2 done');
    expect(fake.writes.join('')).not.toContain('q cancel');
  });

  test('close resolves once, and events after it are ignored', async () => {
    const fake = createFakeStdout();
    const reporter = await createConsoleReporter({ stdout: fake.stdout, stdin: new PassThrough() as unknown as NodeJS.ReadStream, buildFile: 'build.yml', workDir: '/w' });

    const first = reporter.close();
    const second = reporter.close();
    await first;
    const writesAtClose = fake.writes.length;
    reporter.handle(readFixture('demo-two-stage')[0]!);
    await new Promise((resolve) => setTimeout(resolve, RENDER_INTERVAL_MS * 2));

    expect(second).toBe(first);
    expect(fake.writes.length).toBe(writesAtClose);
  });

  test('200,000 log lines fed at once render a bounded number of frames', async () => {
    const fake = createFakeStdout();
    const reporter = await createConsoleReporter({ stdout: fake.stdout, stdin: new PassThrough() as unknown as NodeJS.ReadStream, buildFile: 'build.yml', workDir: '/w' });
    const [runStarted, stepStarted] = readFixture('demo-two-stage');
    const lines = makeLogEvents('builder', 200_000, runStarted!.time + 100);

    reporter.handle(runStarted!);
    reporter.handle(stepStarted!);
    for (const event of lines) reporter.handle(event);
    await reporter.close();

    expect(fake.writes.length).toBeLessThan(10);
    expect(fake.lastFrame()).toContain('  line 200000 of a chatty build step');
  });

  test('a steady stream of events renders at most once per interval', async () => {
    const fake = createFakeStdout();
    const reporter = await createConsoleReporter({ stdout: fake.stdout, stdin: new PassThrough() as unknown as NodeJS.ReadStream, buildFile: 'build.yml', workDir: '/w' });
    const [runStarted, stepStarted] = readFixture('demo-two-stage');
    const durationMs = RENDER_INTERVAL_MS * 5;
    const events: BuildEvent[] = [runStarted!, stepStarted!, ...makeLogEvents('builder', durationMs / 2, runStarted!.time + 100)];

    const startedAt = Date.now();
    for (const event of events) {
      reporter.handle(event);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const elapsedMs = Date.now() - startedAt;
    await reporter.close();

    const frames = fake.writes.filter((write) => write.includes('weld build.yml')).length;
    expect(frames).toBeGreaterThan(1);
    expect(frames).toBeLessThanOrEqual(Math.ceil(elapsedMs / RENDER_INTERVAL_MS) + 2);
    expect(frames).toBeLessThan(events.length / 5);
  });

  test('second run of a watch session replaces the first run on screen', async () => {
    const fake = createFakeStdout();
    const reporter = await createConsoleReporter({ stdout: fake.stdout, stdin: new PassThrough() as unknown as NodeJS.ReadStream, buildFile: 'build.yml', workDir: '/w', watch: true });

    for (const event of readFixture('watch-two-runs')) reporter.handle(event);
    await reporter.close();

    const output = fake.writes.join('');
    expect(output.match(/^helloworld:latest [\d.]+ MB · builder 811 MB · \d+× smaller/gm)).toHaveLength(2);
    expect(output).toMatch(/↻ run 2 · \d\d:\d\d:\d\d · main.go changed · rebuilds builder \(main.go\)/);
    expect(output).toContain('run 2 succeeded in 9.9s · helloworld:latest 4.5 MB (+12 kB)');
    expect(output).toContain('stopped watching after 2 runs · removed 1 artifact path');
  });

  test('final state matches the reducer over the same stream', async () => {
    const events = readFixture('graph-eight-steps');

    const { lastFrame } = await replay('graph-eight-steps', 120);

    const state = foldEvents(events);
    expect(lastFrame()).toContain(` ◆ critical path: ${state.end!.criticalPath.join(' → ')}`);
  });
});
