// The end of a failed run in the plain output: every failed step's tail and error.

import { PassThrough } from 'node:stream';

import { describe, expect, it } from 'vitest';

import type { BuildEvent } from '../../../src/build/events.js';
import { createPlainReporter } from '../../../src/report/plain-reporter.js';

function print(events: BuildEvent[]): string[] {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const reporter = createPlainReporter({ stdout: stdout as unknown as NodeJS.WriteStream });

  for (const event of events) reporter.handle(event);

  return text.split('\n').filter((line) => line !== '');
}

const started: BuildEvent = {
  type: 'run-started',
  time: 0,
  runId: 'r',
  buildFile: 'build.yml',
  workDir: '/work',
  engine: { version: '20.10', apiVersion: '1.41', endpoint: 'unix:///var/run/docker.sock' },
  steps: ['one', 'two'].map((label) => ({ label, image: label, dependsOn: [], dockerfile: 'Dockerfile', context: '.', artifacts: [] })),
};

describe('plain reporter at the end of a failed run', () => {
  it('repeats every failed step with its tail, error and hint', () => {
    const lines = print([
      started,
      { type: 'step-failed', time: 1, step: 'one', durationMs: 100, error: { message: 'RUN make failed: exit 2', instruction: 'RUN make' }, logTail: ['make: *** [all] Error 2'] },
      { type: 'step-failed', time: 2, step: 'two', durationMs: 200, error: { message: 'command `check` exited with code 4', hint: 'fix the check' }, logTail: [] },
      { type: 'run-finished', time: 3, outcome: 'failed', durationMs: 300, finalImages: [], error: { message: 'RUN make failed: exit 2', instruction: 'RUN make', step: 'one' } },
    ]);

    const end = lines.slice(lines.indexOf('weld | last 1 lines of one:'));
    expect(end).toEqual([
      'weld | last 1 lines of one:',
      'one  | make: *** [all] Error 2',
      'weld | error: RUN make failed: exit 2',
      'weld | ',
      'weld | error: command `check` exited with code 4',
      'weld | hint: fix the check',
      'weld | failed in 0.3s',
    ]);
  });
});
