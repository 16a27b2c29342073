// DockerEngine against the real Docker engine. Without an engine these tests fail in
// beforeAll with the reason; they never skip.

import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { connectDocker } from '../../src/engine/docker/connect.js';
import { DockerEngine } from '../../src/engine/docker/docker-engine.js';
import type { BuildOutput, BuildRequest, BuildResult } from '../../src/engine/engine.js';
import { CancelledError, DockerfileError, EngineError, InstructionError } from '../../src/errors.js';
import { uniqueSuffix } from './helpers.js';

const prefix = `weld-test-engine-${uniqueSuffix()}`;
const connection = connectDocker({ env: process.env });
const engine = new DockerEngine(connection);
const docker = connection.docker;

/** Short ids of every image the builds of this file printed, for removal at the end. */
const printedImageIds = new Set<string>();
let contextDir = '';
let busyboxId = '';

const BUILD_TIMEOUT_MS = 60_000;

/** A Dockerfile with a stage worth targeting and a stage that must never run. */
const targetDockerfile = [
  'FROM busybox:1.35 AS base',
  'ARG GREETING=unset',
  'COPY payload.txt /payload.txt',
  `RUN echo "greeting=$GREETING marker=${prefix}"`,
  '',
  'FROM base AS broken',
  'RUN exit 9',
  '',
].join('\n');

function request(name: string, dockerfile: string, overrides: Partial<BuildRequest> = {}): BuildRequest {
  return {
    contextDir,
    dockerfilePath: 'Dockerfile',
    dockerfileContent: Buffer.from(dockerfile),
    tag: `${prefix}-${name}:latest`,
    buildArgs: {},
    noCache: false,
    rm: true,
    forceRm: true,
    quiet: false,
    labels: { 'weld.test': prefix },
    ...overrides,
  };
}

interface BuildRun {
  outputs: BuildOutput[];
  result?: BuildResult;
  error?: unknown;
  durationMs: number;
}

/** Runs a build to its end, keeping its outputs and its result or error. */
async function runBuild(buildRequest: BuildRequest, options: { abortOnLine?: string; signal?: AbortSignal } = {}): Promise<BuildRun> {
  const controller = new AbortController();
  const signal = options.signal ?? controller.signal;
  const outputs: BuildOutput[] = [];
  const startedAt = Date.now();
  const onOutput = (output: BuildOutput) => {
    outputs.push(output);
    if (output.kind !== 'log') return;
    const image = output.line.match(/^ ---> ([0-9a-f]{12})$/);
    if (image) printedImageIds.add(image[1]!);
    if (options.abortOnLine && output.line.includes(options.abortOnLine)) controller.abort();
  };

  try {
    const result = await engine.build(buildRequest, onOutput, signal);
    return { outputs, result, durationMs: Date.now() - startedAt };
  } catch (error) {
    return { outputs, error, durationMs: Date.now() - startedAt };
  }
}

function logLines(outputs: BuildOutput[]): string[] {
  return outputs.flatMap((output) => (output.kind === 'log' ? [output.line] : []));
}

/** Returns the ids of the containers, running or not, whose command contains `text`. */
async function containersWithCommand(text: string): Promise<string[]> {
  const containers = await docker.listContainers({ all: true });
  return containers.filter((container) => container.Command.includes(text)).map((container) => container.Id);
}

beforeAll(async () => {
  const info = await engine.describe();
  expect(info.version).not.toBe('');

  contextDir = await mkdtemp(path.join(os.tmpdir(), `${prefix}-context-`));
  await writeFile(path.join(contextDir, 'payload.txt'), `payload of ${prefix}\n`);
  // The Dockerfile on disk must lose to the content the request carries.
  await writeFile(path.join(contextDir, 'Dockerfile'), 'FROM busybox:1.35\nRUN exit 99\n');
  busyboxId = (await docker.getImage('busybox:1.35').inspect()).Id;
});

afterAll(async () => {
  const images = await docker.listImages();
  for (const image of images) {
    if (image.RepoTags?.some((tag) => tag.startsWith(prefix))) await engine.removeImage(image.Id, { force: true, noPrune: false });
  }
  // Failed and cancelled builds leave their finished steps as untagged images.
  for (const id of printedImageIds) {
    if (busyboxId.startsWith(`sha256:${id}`)) continue;
    const found = await docker.getImage(id).inspect().catch(() => undefined);
    if (found && (found.RepoTags ?? []).length === 0) await engine.removeImage(id, { force: false, noPrune: false }).catch(() => undefined);
  }
  for (const id of await containersWithCommand(prefix)) await docker.getContainer(id).remove({ force: true });
  if (contextDir) await rm(contextDir, { recursive: true, force: true });
});

describe('DockerEngine.describe', () => {
  test('returns the version, API version and endpoint of the engine', async () => {
    const info = await engine.describe();

    expect(info.version).toMatch(/^\d+\.\d+/);
    expect(info.apiVersion).toMatch(/^1\.\d+$/);
    expect(info.endpoint).toBe(connection.endpoint);
  });

  test('rejects with CancelledError when its signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();

    await expect(engine.describe(controller.signal)).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('DockerEngine.build', () => {
  const targetRequest = () => request('target', targetDockerfile, { target: 'base', buildArgs: { GREETING: `hello-${prefix}` } });
  let first: BuildRun;

  beforeAll(async () => {
    first = await runBuild(targetRequest());
  }, BUILD_TIMEOUT_MS);

  test('builds the target stage with the build args', () => {
    expect(first.error).toBeUndefined();
    expect(first.result?.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(logLines(first.outputs)).toContain(`greeting=hello-${prefix} marker=${prefix}`);
  });

  test('reports the context size before the first instruction', () => {
    const firstInstruction = first.outputs.findIndex((output) => output.kind === 'instruction');
    const contextOutputs = first.outputs.filter((output) => output.kind === 'context');

    expect(first.outputs[0]?.kind).toBe('context');
    expect(first.outputs.slice(0, firstInstruction).every((output) => output.kind === 'context')).toBe(true);
    expect(contextOutputs.at(-1)).toMatchObject({ kind: 'context', bytes: expect.any(Number) });
    // A tar of two small files is a few 512-byte blocks.
    expect((contextOutputs.at(-1) as { bytes: number }).bytes).toBeGreaterThanOrEqual(1024);
  });

  test('reports the instructions up to the target in order', () => {
    const instructions = first.outputs.filter((output) => output.kind === 'instruction');

    expect(instructions.map((output) => output.text)).toEqual([
      'FROM busybox:1.35 AS base',
      'ARG GREETING=unset',
      'COPY payload.txt /payload.txt',
      `RUN echo "greeting=$GREETING marker=${prefix}"`,
      `LABEL weld.test=${prefix}`,
    ]);
    expect(instructions.map((output) => output.index)).toEqual([1, 2, 3, 4, 5]);
    expect(instructions.every((output) => output.total === 5)).toBe(true);
    expect(first.outputs.some((output) => output.kind === 'cached')).toBe(false);
  });

  test('uses the Dockerfile content of the request, not the file on disk', () => {
    expect(logLines(first.outputs).join('\n')).not.toContain('exit 99');
  });

  test('reports every instruction after FROM as cached on a second build', async () => {
    const second = await runBuild(targetRequest());

    const cached = second.outputs.filter((output) => output.kind === 'cached').map((output) => output.index);
    expect(second.error).toBeUndefined();
    expect(cached).toEqual([2, 3, 4, 5]);
    expect(second.result?.imageId).toBe(first.result?.imageId);
  }, BUILD_TIMEOUT_MS);

  test('runs every instruction again with noCache', async () => {
    const rebuilt = await runBuild({ ...targetRequest(), noCache: true, tag: `${prefix}-nocache:latest` });

    expect(rebuilt.error).toBeUndefined();
    expect(rebuilt.outputs.some((output) => output.kind === 'cached')).toBe(false);
    expect(logLines(rebuilt.outputs)).toContain(`greeting=hello-${prefix} marker=${prefix}`);
    expect(rebuilt.result?.imageId).not.toBe(first.result?.imageId);
  }, BUILD_TIMEOUT_MS);

  test('reports only the image id of a quiet build', async () => {
    const quiet = await runBuild(request('quiet', `FROM busybox:1.35\nRUN echo quiet-${prefix}\n`, { quiet: true }));

    expect(quiet.error).toBeUndefined();
    expect(quiet.result?.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(quiet.outputs.filter((output) => output.kind !== 'context')).toEqual([{ kind: 'log', line: quiet.result?.imageId }]);
  }, BUILD_TIMEOUT_MS);

  test('inspectImage returns the size and the history newest first', async () => {
    const facts = await engine.inspectImage(`${prefix}-target:latest`);

    const layerSum = facts.layers.reduce((sum, layer) => sum + layer.sizeBytes, 0);
    const createdTimes = facts.layers.map((layer) => layer.createdMs);
    expect(facts.id).toBe(first.result?.imageId);
    expect(facts.layers[0]?.id).toBe(facts.id);
    expect(facts.layers[0]?.createdBy).toContain(`LABEL weld.test=${prefix}`);
    expect(facts.layers.some((layer) => layer.createdBy.includes('greeting=$GREETING'))).toBe(true);
    expect(facts.layers.at(-1)?.id).toMatch(/^(sha256:[0-9a-f]{64}|<missing>)$/);
    expect(createdTimes).toEqual([...createdTimes].sort((a, b) => b - a));
    expect(facts.sizeBytes).toBeGreaterThan(0);
    expect(facts.sizeBytes).toBe(layerSum);
  });
});

describe('DockerEngine.build failures', () => {
  test('rejects a failing RUN and leaves no container', async () => {
    const marker = `failing-${prefix}`;
    const instruction = `RUN echo ${marker} && exit 3`;

    const run = await runBuild(request('failing', `FROM busybox:1.35\n${instruction}\n`));

    expect(run.error).toBeInstanceOf(EngineError);
    expect((run.error as EngineError).message).toBe(
      `${instruction} failed: The command '/bin/sh -c echo ${marker} && exit 3' returned a non-zero code: 3`,
    );
    expect((run.error as EngineError).instruction).toBe(instruction);
    expect(logLines(run.outputs)).toContain(marker);
    expect(await containersWithCommand(marker)).toEqual([]);
  }, BUILD_TIMEOUT_MS);

  test('rejects a Dockerfile the engine cannot parse as bad input', async () => {
    const run = await runBuild(request('unparsable', 'FROM busybox:1.35\nRUNN echo never\n'));

    expect(run.error).toBeInstanceOf(DockerfileError);
    expect((run.error as DockerfileError).exitCode).toBe(2);
    expect((run.error as DockerfileError).message).toBe(`Dockerfile:2, the Dockerfile of ${prefix}-unparsable:latest, is invalid: unknown instruction: RUNN`);
    expect((run.error as DockerfileError).line).toBe(2);
    expect((run.error as DockerfileError).reason).toBe('unknown instruction: RUNN');
  }, BUILD_TIMEOUT_MS);

  test('names a FROM image that is not on the engine and could not be pulled', async () => {
    // Port 1 on loopback: the pull fails at once, and nothing leaves the machine.
    const image = `127.0.0.1:1/${prefix}-absent:9`;

    const run = await runBuild(request('absent-base', `FROM ${image}\n`));

    expect(run.error).toBeInstanceOf(InstructionError);
    expect((run.error as InstructionError).reason).toMatch(new RegExp(`^image ${image.replace(/[.]/g, '\\.')} is not on the Docker engine and could not be pulled: .*127\\.0\\.0\\.1:1`));
    expect((run.error as InstructionError).index).toBe(1);
    expect((run.error as InstructionError).hint).toMatch(/build or load the image/);
  }, BUILD_TIMEOUT_MS);

  test('rejects an unknown target with the engine message', async () => {
    const run = await runBuild(request('no-target', targetDockerfile, { target: 'nope' }));

    expect((run.error as EngineError).message).toMatch(/failed to reach build target nope/);
  }, BUILD_TIMEOUT_MS);
});

describe('DockerEngine.build cancellation', () => {
  test('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();

    const run = await runBuild(request('pre-aborted', 'FROM busybox:1.35\n'), { signal: controller.signal });

    expect(run.error).toBeInstanceOf(CancelledError);
    expect(run.outputs).toEqual([]);
  });

  test.each([
    ['with rm', true],
    ['without rm', false],
  ])('an abort during a RUN leaves no container %s', async (_name, rm) => {
    const marker = `sleeping-${rm ? 'rm' : 'keep'}-${prefix}`;
    const dockerfile = [
      'FROM busybox:1.35',
      `ENV MARKER=${marker}`,
      `RUN echo first-${marker}`,
      `RUN echo started-${marker} && sleep 30`,
      '',
    ].join('\n');

    const run = await runBuild(request(`abort-${rm}`, dockerfile, { rm, forceRm: false }), { abortOnLine: `started-${marker}` });

    expect(run.error).toBeInstanceOf(CancelledError);
    // The RUN sleeps 30 s: an early end means the engine stopped it.
    expect(run.durationMs).toBeLessThan(20_000);
    expect(await containersWithCommand(marker)).toEqual([]);
  }, BUILD_TIMEOUT_MS);
});

describe('DockerEngine image and container removal', () => {
  test('removeImage accepts an image that does not exist', async () => {
    await expect(engine.removeImage(`${prefix}-never-built:latest`, { force: false, noPrune: false })).resolves.toBeUndefined();
  });

  test('removeImage removes a built image', async () => {
    const built = await runBuild(request('removable', `FROM busybox:1.35\nRUN echo removable-${prefix} > /file\n`));
    expect(built.error).toBeUndefined();

    await engine.removeImage(`${prefix}-removable:latest`, { force: false, noPrune: false });

    await expect(engine.inspectImage(`${prefix}-removable:latest`)).rejects.toThrow(/not found in the Docker engine/);
  }, BUILD_TIMEOUT_MS);

  test('inspectImage names an image that does not exist', async () => {
    await expect(engine.inspectImage(`${prefix}-missing:latest`)).rejects.toThrow(
      new RegExp(`^image ${prefix}-missing:latest not found in the Docker engine at `),
    );
  });

  test('removeContainersLabelled removes running and stopped containers with the label', async () => {
    const label = { 'weld.test.run': prefix };
    await docker.createContainer({ Image: 'busybox:1.35', Cmd: ['true'], Labels: label, name: `${prefix}-stopped` });
    const running = await docker.createContainer({ Image: 'busybox:1.35', Cmd: ['sleep', '30'], Labels: label, name: `${prefix}-running` });
    await running.start();
    const unlabelled = await docker.createContainer({ Image: 'busybox:1.35', Cmd: ['true'], name: `${prefix}-unlabelled` });

    const removed = await engine.removeContainersLabelled('weld.test.run', prefix);

    const left = await docker.listContainers({ all: true, filters: { label: [`weld.test.run=${prefix}`] } });
    expect(removed).toBe(2);
    expect(left).toEqual([]);
    expect(await engine.removeContainersLabelled('weld.test.run', prefix)).toBe(0);
    expect((await unlabelled.inspect()).Id).toBe(unlabelled.id);
    await unlabelled.remove({ force: true });
  }, BUILD_TIMEOUT_MS);

  test('removeContainersLabelled waits for the containers of finished copies', async () => {
    const label = { 'weld.test.copy': prefix };
    const destinationDir = await mkdtemp(path.join(os.tmpdir(), 'weld-test-engine-copy-'));
    try {
      const copies = await Promise.all(
        ['one', 'two', 'three'].map(async (name) => {
          const folder = path.join(destinationDir, name);
          await mkdir(folder);
          return engine.copyFromImage({ image: 'busybox:1.35', sourcePath: '/bin/busybox', destinationDir: folder, labels: label }, new AbortController().signal);
        }),
      );
      for (const copy of copies) expect((await stat(copy.path)).size).toBe(copy.bytes);

      // The copies' own removals took their containers: none is left to list.
      expect(await engine.removeContainersLabelled('weld.test.copy', prefix)).toBe(0);
      expect(await docker.listContainers({ all: true, filters: { label: [`weld.test.copy=${prefix}`] } })).toEqual([]);
    } finally {
      await rm(destinationDir, { recursive: true, force: true });
    }
  }, BUILD_TIMEOUT_MS);
});
