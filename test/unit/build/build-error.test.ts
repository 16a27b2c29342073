import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { shortenInstruction } from '../../../src/build/build-error.js';
import { DockerfileError, InstructionError } from '../../../src/errors.js';
import type { Step } from '../../../src/manifest/types.js';
import { makeStep } from './make-step.js';
import { findFailure, makePlan, runPlan } from './run-fixture.js';
import { ScriptedEngine } from './scripted-engine.js';

let workDir: string;

beforeEach(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'weld-build-error-'));
});

afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** Runs one step `app` (build.yml:4, Dockerfile.app) whose build fails with `error`. */
async function runFailing(dockerfile: string, error: Error, stepOverrides: Partial<Step> = {}) {
  const step = makeStep(workDir, 'app', { line: 4, dockerfilePath: path.join(workDir, 'Dockerfile.app'), ...stepOverrides });
  const engine = new ScriptedEngine({ 'app:latest': { outputs: [], error, sizeBytes: 0 } });
  const { result, events } = await runPlan(makePlan(workDir, [step], { dockerfiles: { app: dockerfile } }), engine);
  return { result, failure: findFailure(events) };
}

function runFailed(index: number | undefined, instruction: string | undefined, reason: string, commandExitCode?: number): InstructionError {
  return new InstructionError(`${instruction} failed: ${reason}`, { instruction, index, reason, commandExitCode });
}

describe('a Dockerfile the engine cannot parse', () => {
  it('fails the run as bad input, naming the Dockerfile line and the step', async () => {
    const error = new DockerfileError('x', { dockerfile: 'Dockerfile.app', line: 1, reason: 'FROM requires either one or three arguments' });

    const { result, failure } = await runFailing('FROM\n', error);

    expect(result.outcome).toBe('failed');
    expect(result.failureExitCode).toBe(2);
    expect(failure?.error.message).toBe(
      'invalid FROM at Dockerfile.app:1, the Dockerfile of step `app` (build.yml:4): FROM requires either one or three arguments',
    );
    expect(failure?.error.hint).toBe('fix the instruction at Dockerfile.app:1');
  });

  it('names the instruction that a continuation line belongs to', async () => {
    const error = new DockerfileError('x', { dockerfile: 'Dockerfile.app', line: 3, reason: 'Unknown flag: bogus' });

    const { failure } = await runFailing('FROM busybox\nHEALTHCHECK \\\n  --bogus CMD true\n', error);

    expect(failure?.error.message).toMatch(/^invalid HEALTHCHECK at Dockerfile\.app:3, /);
  });

  it('finds the line of a keyword the engine names without one, when only one instruction has it', async () => {
    const error = new DockerfileError('x', { dockerfile: 'Dockerfile.app', reason: 'LABEL must have two arguments' });

    const { failure } = await runFailing('FROM busybox\nRUN true\nLABEL a\n', error);

    expect(failure?.error.message).toBe('invalid LABEL at Dockerfile.app:3, the Dockerfile of step `app` (build.yml:4): LABEL must have two arguments');
  });

  it('claims no line when several instructions have the keyword', async () => {
    const error = new DockerfileError('x', { dockerfile: 'Dockerfile.app', reason: 'LABEL must have two arguments' });

    const { result, failure } = await runFailing('FROM busybox\nLABEL a=b\nLABEL a\n', error);

    expect(result.failureExitCode).toBe(2);
    expect(failure?.error.message).toBe('Dockerfile.app, the Dockerfile of step `app` (build.yml:4), is invalid: LABEL must have two arguments');
  });
});

describe('a failed instruction', () => {
  it('names the Dockerfile line of a failed RUN and its exit code, quoting the instruction once', async () => {
    const error = runFailed(3, 'RUN echo about to fail; exit 3', "The command '/bin/sh -c echo about to fail; exit 3' returned a non-zero code: 3", 3);

    const { result, failure } = await runFailing('FROM busybox\nRUN true\nRUN echo about to fail; exit 3\n', error);

    expect(result.failureExitCode).toBe(1);
    expect(failure?.error).toEqual({
      message: 'RUN echo about to fail; exit 3 at Dockerfile.app:3 exited with code 3',
      hint: "the step's log shows the command's output",
      instruction: 'RUN echo about to fail; exit 3',
    });
  });

  it('counts an ARG before the first FROM as an instruction, as the engine does', async () => {
    const error = runFailed(4, 'RUN exit 4', "The command '/bin/sh -c exit 4' returned a non-zero code: 4", 4);

    const { failure } = await runFailing('ARG V=1\nFROM busybox AS one\n\nRUN true\nRUN exit 4\n', error);

    // Step 4 is the 4th instruction: ARG, FROM, RUN true, then RUN exit 4 on line 5.
    expect(failure?.error.message).toBe('RUN exit 4 at Dockerfile.app:5 exited with code 4');
  });

  it('shortens a long instruction in the message and keeps it whole in the event', async () => {
    const long = `RUN apt-get update && apt-get install -y ${'package '.repeat(20).trim()} && exit 100`;
    const error = runFailed(2, long, `The command '/bin/sh -c ${long.slice(4)}' returned a non-zero code: 100`, 100);

    const { failure } = await runFailing(`FROM busybox\n${long}\n`, error);

    expect(failure?.error.message).toBe(`${shortenInstruction(long)} at Dockerfile.app:2 exited with code 100`);
    expect(shortenInstruction(long)).toHaveLength(60);
    expect(failure?.error.message.split('apt-get update')).toHaveLength(2);
    expect(failure?.error.instruction).toBe(long);
  });

  it('finds the RUN of a quiet build by its command', async () => {
    const error = runFailed(undefined, undefined, "The command '/bin/sh -c make test' returned a non-zero code: 2");

    const { failure } = await runFailing('FROM busybox\nRUN make\nRUN make test\n', error);

    expect(failure?.error.message).toBe('RUN make test at Dockerfile.app:3 exited with code 2');
  });

  it('names the line of a failed COPY without repeating its keyword', async () => {
    const reason = 'COPY failed: file not found in build context or excluded by .dockerignore: stat out/server: file does not exist';
    const error = runFailed(2, 'COPY out/server /server', reason);

    const { failure } = await runFailing('FROM busybox\nCOPY out/server /server\n', error);

    expect(failure?.error.message).toBe(
      'COPY out/server /server at Dockerfile.app:2 failed: file not found in build context or excluded by .dockerignore: stat out/server: file does not exist',
    );
  });

  it('claims no line when the instruction at that number has another keyword', async () => {
    const error = runFailed(2, 'RUN exit 1', "The command '/bin/sh -c exit 1' returned a non-zero code: 1", 1);

    const { failure } = await runFailing('FROM busybox\nCOPY a /a\nRUN exit 1\n', error);

    expect(failure?.error.message).toBe('RUN exit 1 exited with code 1');
  });

  it('hints at --secrets when the step declares secrets that are not served', async () => {
    const error = runFailed(2, 'RUN wget -qO- http://$habitus_host:$habitus_port/v1/secrets/file/token', "The command '/bin/sh -c wget' returned a non-zero code: 1", 1);

    const { failure } = await runFailing('FROM busybox\nRUN wget -qO- http://$habitus_host:$habitus_port/v1/secrets/file/token\n', error, {
      secrets: [{ name: 'token', type: 'file', value: 'token.txt' }],
    });

    expect(failure?.error.hint).toBe('run weld with --secrets: step `app` declares secrets (token), and weld serves them only with --secrets');
  });
});
