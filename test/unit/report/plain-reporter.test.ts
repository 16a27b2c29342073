// The end of a failed run in the plain output: every failed step's tail and error.

import { PassThrough } from 'node:stream';

import { describe, expect, it } from 'vitest';

import type { BuildEvent } from '../../../src/build/events.js';
import { shortenInstruction } from '../../../src/build/build-error.js';
import { LABEL_COLUMN_WIDTH, createPlainReporter, shortenLabels } from '../../../src/report/plain-reporter.js';

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

    const end = lines.slice(lines.indexOf('weld | last line of one:'));
    expect(end).toEqual([
      'weld | last line of one:',
      'one  | make: *** [all] Error 2',
      'weld | error: RUN make failed: exit 2',
      'weld | ',
      'weld | error: command `check` exited with code 4',
      'weld | hint: fix the check',
      'weld | failed in 0.3s',
    ]);
  });
});

describe('plain reporter labels', () => {
  const long = 'a-step-label-that-goes-on-and-on-for-ever';

  function startedWith(labels: string[]): BuildEvent {
    return { ...started, steps: labels.map((label) => ({ label, image: label, dependsOn: [], dockerfile: 'Dockerfile', context: '.', artifacts: [] })) } as BuildEvent;
  }

  it('cut one long label so that the other lines keep a narrow prefix', () => {
    const lines = print([startedWith(['api', long]), { type: 'step-started', time: 1, step: 'api' }, { type: 'step-started', time: 2, step: long }]);

    expect(lines[1]).toBe(`${'api'.padEnd(LABEL_COLUMN_WIDTH)} | started`);
    expect(lines[2]).toBe('a-step-label-that-goes-… | started');
  });

  it('stay unique when long labels share their start', () => {
    const labels = [`${long}-builder`, `${long}-production`, `${long}-x-production`];

    const shown = [...shortenLabels(labels).values()];

    expect(new Set(shown).size).toBe(3);
    for (const label of shown) expect(label.length).toBeLessThanOrEqual(LABEL_COLUMN_WIDTH);
    expect(shown.slice(0, 2)).toEqual(['a-step-label…ver-builder', 'a-step-labe…r-production']);
  });

  it('get a number when long labels differ only in the middle', () => {
    const labels = [`${'a'.repeat(30)}-one-${'z'.repeat(30)}`, `${'a'.repeat(30)}-two-${'z'.repeat(30)}`];

    const shown = [...shortenLabels(labels).values()];

    expect(shown).toEqual([`${'a'.repeat(21)}…~1`, `${'a'.repeat(21)}…~2`]);
  });

  it('keep short labels as they are', () => {
    expect([...shortenLabels(['api', 'web']).entries()]).toEqual([
      ['api', 'api'],
      ['web', 'web'],
    ]);
  });
});

describe('plain reporter failed instruction', () => {
  it('prints no instruction line when the message quotes the instruction shortened', () => {
    const instruction = `RUN ${'make all '.repeat(12)}`;
    const message = `${shortenInstruction(instruction)} at Dockerfile:2 exited with code 2`;

    const lines = print([started, { type: 'run-finished', time: 3, outcome: 'failed', durationMs: 300, finalImages: [], error: { message, instruction, step: 'one' } }]);

    expect(lines).toContain(`weld | error: ${message}`);
    expect(lines.some((line) => line.includes('instruction:'))).toBe(false);
  });

  it('prints a long instruction the message does not quote on one cut line', () => {
    const instruction = `RUN ${'make all '.repeat(20)}`;

    const lines = print([started, { type: 'run-finished', time: 3, outcome: 'failed', durationMs: 300, finalImages: [], error: { message: 'the build failed', instruction, step: 'one' } }]);

    const line = lines.find((candidate) => candidate.startsWith('weld | instruction: '));
    expect(line).toHaveLength('weld | instruction: '.length + 100);
    expect(line?.endsWith('…')).toBe(true);
  });
});
