import { describe, expect, it } from 'vitest';

import { checkInstructions } from '../../../src/dockerfile/index.js';
import { InputError } from '../../../src/errors.js';

const WHERE = 'step `app` (build.yml:4)';

function check(text: string): void {
  checkInstructions(Buffer.from(text), 'Dockerfile.app', WHERE);
}

describe('checkInstructions', () => {
  it.each([
    ['FROM busybox\nRUN true\n'],
    ['# escape=`\nARG BASE=busybox\nfrom ${BASE}\nrun echo `\n  hi\n'],
    ['FROM busybox\nRUN <<EOF\nRUNN is text here\nEOF\nONBUILD RUN true\n'],
    ['\uFEFFFROM busybox\r\nHEALTHCHECK NONE\r\n'],
  ])('accepts %j', (text) => {
    expect(() => check(text)).not.toThrow();
  });

  it.each([
    ['FROM busybox\nRUNN echo hi\n', 'unknown instruction RUNN at Dockerfile.app:2, the Dockerfile of step `app` (build.yml:4)', 'did you mean RUN?'],
    ['FROM busybox\nCOPPY a b\n', 'unknown instruction COPPY at Dockerfile.app:2, the Dockerfile of step `app` (build.yml:4)', 'did you mean COPY?'],
    ['RUN true\nFROM busybox\n', 'RUN at Dockerfile.app:1 comes before any FROM, in the Dockerfile of step `app` (build.yml:4)', 'start the Dockerfile with `FROM <image>` (only ARG may come before it)'],
    ['# only a comment\n', 'Dockerfile.app, the Dockerfile of step `app` (build.yml:4), has no FROM instruction', 'start the Dockerfile with `FROM <image>` (only ARG may come before it)'],
  ])('rejects %j', (text, message, hint) => {
    let error: unknown;
    try {
      check(text);
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(message);
    expect((error as InputError).hint).toBe(hint);
  });
});
