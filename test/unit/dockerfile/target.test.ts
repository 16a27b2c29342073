import { describe, expect, it } from 'vitest';

import { checkTarget } from '../../../src/dockerfile/index.js';
import { InputError } from '../../../src/errors.js';

const dockerfile = [
  'FROM golang:1.19 AS Builder',
  'RUN <<EOF',
  'FROM scratch AS inside-heredoc',
  'EOF',
  'from busybox as runtime',
  '',
].join('\n');

const WHERE = 'step `app` (build.yml:4)';

function thrownBy(action: () => void): InputError {
  try {
    action();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('checkTarget', () => {
  it.each(['Builder', 'builder', 'BUILDER', 'runtime', 'Runtime'])('accepts the stage %s in any case', (target) => {
    expect(() => checkTarget(dockerfile, target, 'docker/Dockerfile', WHERE)).not.toThrow();
  });

  it('rejects an unknown target naming file and stages', () => {
    const error = thrownBy(() => checkTarget(dockerfile, 'prod', 'docker/Dockerfile', WHERE));

    expect(error.message).toBe('target `prod` of step `app` (build.yml:4) names no stage in docker/Dockerfile (stages: Builder, runtime)');
    expect(error.hint).toBe('set `target` to one of Builder, runtime');
    expect(error.exitCode).toBe(2);
  });

  it('rejects a stage declared inside a heredoc', () => {
    const error = thrownBy(() => checkTarget(dockerfile, 'inside-heredoc', 'Dockerfile', WHERE));

    expect(error.message).toContain('names no stage in Dockerfile');
  });

  it('rejects any target without stages', () => {
    const error = thrownBy(() => checkTarget('FROM busybox\n', 'build', 'Dockerfile.builder', WHERE));

    expect(error.message).toBe('target `build` of step `app` (build.yml:4) names no stage in Dockerfile.builder, which declares no stage with AS');
    expect(error.hint).toBe('name a stage with `FROM <image> AS build`, or remove `target`');
  });
});
