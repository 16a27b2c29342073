import { describe, expect, it } from 'vitest';

import type { BuildEvent } from '../../../src/build/events.js';
import { createRedactingSink, MIN_REDACTED_LENGTH, REDACTED, Redactor } from '../../../src/secrets/redact.js';

describe('Redactor', () => {
  it.each([
    { text: 'token=s3cr3t-value!', expected: `token=${REDACTED}!` },
    { text: 's3cr3t-value s3cr3t-value', expected: `${REDACTED} ${REDACTED}` },
    { text: 'nothing to hide', expected: 'nothing to hide' },
  ])('redacts $text', ({ text, expected }) => {
    const redactor = new Redactor();
    redactor.add('s3cr3t-value');

    const redacted = redactor.redact(text);

    expect(redacted).toBe(expected);
  });

  it('redacts each line of a multi-line value on its own', () => {
    const redactor = new Redactor();
    redactor.add('-----BEGIN KEY-----\nAAAAB3NzaC1yc2EAAAADAQAB\n-----END KEY-----\n');

    const redacted = redactor.redact('  AAAAB3NzaC1yc2EAAAADAQAB');

    expect(redacted).toBe(`  ${REDACTED}`);
  });

  it('replaces a value that contains another value whole', () => {
    const redactor = new Redactor();
    redactor.add('abcd');
    redactor.add('abcdefgh');

    const redacted = redactor.redact('x abcdefgh y');

    expect(redacted).toBe(`x ${REDACTED} y`);
  });

  it('leaves values shorter than the minimum alone', () => {
    const redactor = new Redactor();
    redactor.add('x'.repeat(MIN_REDACTED_LENGTH - 1));

    const redacted = redactor.redact('xxx marks');

    expect(redacted).toBe('xxx marks');
    expect(redactor.active).toBe(false);
  });
});

describe('createRedactingSink', () => {
  it('redacts every string of an event, nested ones included', () => {
    const redactor = new Redactor();
    redactor.add('hunter2-secret');
    const received: BuildEvent[] = [];
    const sink = createRedactingSink((event) => received.push(event), redactor);

    sink({ type: 'step-log', time: 1, step: 'builder', source: 'build', line: 'got hunter2-secret' });
    sink({
      type: 'step-failed',
      time: 2,
      step: 'builder',
      durationMs: 5,
      error: { message: 'RUN echo hunter2-secret failed', hint: 'hunter2-secret' },
      logTail: ['a hunter2-secret b'],
    });

    expect(JSON.stringify(received)).not.toContain('hunter2-secret');
    expect(received[0]).toEqual({ type: 'step-log', time: 1, step: 'builder', source: 'build', line: `got ${REDACTED}` });
    expect(received[1]).toMatchObject({ error: { message: `RUN echo ${REDACTED} failed`, hint: REDACTED }, logTail: [`a ${REDACTED} b`] });
  });

  it('passes events through unchanged while no value is known', () => {
    const received: BuildEvent[] = [];
    const sink = createRedactingSink((event) => received.push(event), new Redactor());
    const event: BuildEvent = { type: 'step-started', time: 1, step: 'builder' };

    sink(event);

    expect(received[0]).toBe(event);
  });
});
