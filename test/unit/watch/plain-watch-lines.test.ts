// The lines the plain reporter prints for watch events: one line when watching
// starts, one per trigger, one summary per run, and the end of the session.

import { PassThrough } from 'node:stream';

import { describe, expect, it } from 'vitest';

import type { BuildEvent } from '../../../src/build/events.js';
import { createPlainReporter } from '../../../src/report/plain-reporter.js';

/** Noon of a fixed day in local time, so that the printed clock is 12:00:05. */
const NOON = new Date(2026, 0, 15, 12, 0, 5).getTime();

function print(...events: BuildEvent[]): string[] {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const reporter = createPlainReporter({ stdout: stdout as unknown as NodeJS.WriteStream });

  for (const event of events) reporter.handle(event);

  return text.split('\n').filter((line) => line !== '');
}

describe('plain reporter in watch mode', () => {
  it('prints what is watched', () => {
    const lines = print({ type: 'watch-ready', time: NOON, steps: ['builder', 'production'], watchedPaths: 12, pollMs: 500 });

    // Padded to the longest step label already, as the run's lines will be.
    expect(lines).toEqual(['weld       | watching 12 paths for changes (polling every 500 ms)']);
  });

  it('prints which steps a change rebuilds and why', () => {
    const lines = print({
      type: 'watch-triggered',
      time: NOON,
      run: 2,
      trigger: { kind: 'change', path: 'main.go' },
      paths: ['main.go', 'go.mod'],
      pathCount: 2,
      steps: [
        { step: 'builder', reason: 'changed', because: 'main.go' },
        { step: 'production', reason: 'upstream', because: 'builder' },
      ],
      restarted: true,
    });

    expect(lines).toEqual(['weld | run 2: main.go and 1 more changed → builder (main.go), production (after builder) · restarts the cancelled run']);
  });

  it('prints one summary line per run with the size change', () => {
    const lines = print({
      type: 'watch-run-summary',
      time: NOON,
      run: 3,
      trigger: { kind: 'change', path: 'main.go' },
      pathCount: 1,
      steps: [
        { step: 'builder', reason: 'changed', because: 'main.go' },
        { step: 'production', reason: 'upstream', because: 'builder' },
      ],
      outcome: 'succeeded',
      durationMs: 4_200,
      finalImages: [{ step: 'production', image: 'helloworld:latest', sizeBytes: 4_500_000, deltaBytes: -12_000 }],
      watchedPaths: 6,
    });

    expect(lines).toEqual(['weld | run 3 succeeded in 4.2s · 12:00:05 · main.go changed → builder, production · helloworld:latest 4.5 MB (-12 kB)']);
  });

  it('prints a build.yml error with its hint and that watching goes on', () => {
    const lines = print({
      type: 'watch-error',
      time: NOON,
      source: 'build-file',
      error: { message: 'build.yml:7: unknown field dependson', hint: 'did you mean depends_on?' },
      files: ['build.yml'],
    });

    expect(lines).toEqual([
      'weld | error: build.yml:7: unknown field dependson',
      'weld | hint: did you mean depends_on?',
      'weld | still watching; no run starts until build.yml can be planned',
    ]);
  });

  it('names the Dockerfile that cannot be planned, not build.yml', () => {
    const lines = print({
      type: 'watch-error',
      time: NOON,
      source: 'build-file',
      error: { message: 'unknown instruction RUNN at other/Dockerfile:2, the Dockerfile of step `other` (build.yml:12)', hint: 'fix the instruction' },
      files: ['other/Dockerfile'],
    });

    expect(lines.at(-1)).toBe('weld | still watching; no run starts until other/Dockerfile can be planned');
  });

  it('prints the end of the session', () => {
    const lines = print({ type: 'watch-stopped', time: NOON, runs: 4, removedPaths: ['/p/helloworld'] });

    expect(lines).toEqual(['weld | stopped watching after 4 runs · removed 1 artifact path']);
  });
});
