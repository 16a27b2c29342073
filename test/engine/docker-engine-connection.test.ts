// DockerEngine when nothing listens at the endpoint: each error must name the
// endpoint and what to try.

import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { DockerEngine } from '../../src/engine/docker/docker-engine.js';
import { EngineError } from '../../src/errors.js';
import { findFreePort } from './helpers.js';

const missingSocket = '/tmp/nothing.sock';
let tempDir = '';

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'weld-test-engine-connection-'));
});

afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

async function describeError(engine: DockerEngine): Promise<EngineError> {
  const error = await engine.describe().then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(EngineError);
  return error as EngineError;
}

describe('DockerEngine without an engine', () => {
  test('names a socket path that does not exist', async () => {
    expect(existsSync(missingSocket)).toBe(false);
    const engine = DockerEngine.connect({ host: `unix://${missingSocket}`, env: {} });

    const error = await describeError(engine);

    expect(error.message).toBe(`no Docker engine answers at unix://${missingSocket}: ${missingSocket} does not exist`);
    expect(error.hint).toMatch(/start Docker/);
    expect(error.hint).toMatch(/demo\/engine-up\.sh/);
  });

  test('names a regular file given as the socket', async () => {
    const notASocket = path.join(tempDir, 'plain-file.sock');
    await writeFile(notASocket, '');
    const engine = DockerEngine.connect({ host: `unix://${notASocket}`, env: {} });

    const error = await describeError(engine);

    expect(error.message).toBe(`no Docker engine answers at unix://${notASocket}: ${notASocket} is not a socket`);
    expect(error.hint).toMatch(/DOCKER_HOST or --host/);
  });

  test('reports a refused connection on a loopback port nobody listens on', async () => {
    const port = await findFreePort();
    const engine = DockerEngine.connect({ host: `tcp://127.0.0.1:${port}`, env: {} });

    const error = await describeError(engine);

    expect(error.message).toBe(`no Docker engine answers at tcp://127.0.0.1:${port}: connection refused`);
  });

  test.each([
    ['inspectImage', (engine: DockerEngine) => engine.inspectImage('busybox:1.35')],
    ['removeImage', (engine: DockerEngine) => engine.removeImage('busybox:1.35', { force: false, noPrune: false })],
    ['removeContainersLabelled', (engine: DockerEngine) => engine.removeContainersLabelled('weld.run', 'none')],
  ])('%s rejects with the same explanation', async (_name, call) => {
    const engine = DockerEngine.connect({ host: `unix://${missingSocket}`, env: {} });

    await expect(call(engine)).rejects.toThrow(`no Docker engine answers at unix://${missingSocket}`);
  });

  test('build rejects with the same explanation', async () => {
    await writeFile(path.join(tempDir, 'Dockerfile'), 'FROM busybox:1.35\n');
    const engine = DockerEngine.connect({ host: `unix://${missingSocket}`, env: {} });

    const build = engine.build(
      {
        contextDir: tempDir,
        dockerfilePath: 'Dockerfile',
        dockerfileContent: Buffer.from('FROM busybox:1.35\n'),
        tag: 'weld-test-engine-unreachable:latest',
        buildArgs: {},
        noCache: false,
        rm: true,
        forceRm: true,
        quiet: false,
        labels: {},
      },
      () => undefined,
      new AbortController().signal,
    );

    await expect(build).rejects.toThrow(`no Docker engine answers at unix://${missingSocket}`);
  });
});
