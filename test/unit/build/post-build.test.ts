import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { BuildEvent } from '../../../src/build/events.js';
import type { BuildPlan, PlannedStep } from '../../../src/build/plan.js';
import { runPlan } from './run-fixture.js';
import { splitCommand } from '../../../src/build/split-command.js';
import { InputError } from '../../../src/errors.js';
import { createStepGraph, type Edge } from '../../../src/graph/step-graph.js';
import type { Step } from '../../../src/manifest/types.js';
import { makeStep as makeStepIn } from './make-step.js';
import { ScriptedEngine, type ScriptedBuild } from './scripted-engine.js';

let workDir: string;

beforeEach(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'weld-post-build-'));
});

afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function makeStep(label: string, overrides: Partial<Step> = {}): Step {
  return makeStepIn(workDir, label, overrides);
}

function makePlan(steps: Step[], edges: Edge[] = [], dockerfile = 'FROM scratch\n'): BuildPlan {
  const planned = (step: Step): PlannedStep => ({
    step,
    image: step.name,
    dockerfileContent: Buffer.from(dockerfile),
    dockerfileLabel: 'Dockerfile',
    fromSteps: [],
  });
  const graph = createStepGraph(
    steps.map((step) => step.label),
    edges,
  );
  const dependedOn = new Set(edges.map((edge) => edge.to));
  return {
    manifest: { file: path.join(workDir, 'build.yml'), workDir, version: '2016-03-14', steps },
    steps: new Map(steps.map((step) => [step.label, planned(step)])),
    graph,
    finalSteps: steps.map((step) => step.label).filter((label) => !dependedOn.has(label)),
  };
}

function scriptedEngine(...labels: string[]): ScriptedEngine {
  const builds: Record<string, ScriptedBuild> = {};
  for (const label of labels) builds[`${label}:latest`] = { outputs: [], sizeBytes: 100 };
  return new ScriptedEngine(builds);
}

const run = runPlan;

function logLines(events: BuildEvent[], source: string): string[] {
  return events.flatMap((event) => (event.type === 'step-log' && event.source === source ? [event.line] : []));
}

/** Returns whether a process runs; a zombie waiting for its parent to reap it does not. */
async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function failure(events: BuildEvent[]) {
  return events.find((event) => event.type === 'step-failed');
}

describe('splitCommand', () => {
  it.each([
    { command: 'go test ./...', argv: ['go', 'test', './...'] },
    { command: 'echo "two words" \'and three more\'', argv: ['echo', 'two words', 'and three more'] },
    { command: 'rm  -rf   /root/.ssh', argv: ['rm', '-rf', '/root/.ssh'] },
    { command: 'a\\ b', argv: ['a b'] },
    { command: 'rm -rf /tmp/* && echo done', argv: ['/bin/sh', '-c', 'rm -rf /tmp/* && echo done'] },
    { command: 'echo $HOME', argv: ['/bin/sh', '-c', 'echo $HOME'] },
    { command: 'env | sort', argv: ['/bin/sh', '-c', 'env | sort'] },
    { command: 'ls *.go', argv: ['/bin/sh', '-c', 'ls *.go'] },
    { command: "echo '$HOME'", argv: ['echo', '$HOME'] },
  ])('splits $command', ({ command, argv }) => {
    const split = splitCommand(command, 'command');

    expect(split).toEqual(argv);
  });

  it('rejects an empty command', () => {
    const split = () => splitCommand('   ', 'command of step app');

    expect(split).toThrow(InputError);
    expect(split).toThrow('command of step app is empty');
  });
});

describe('command', () => {
  it('runs in a container of the step image with the run labels and the output in the log', async () => {
    const engine = scriptedEngine('app');
    engine.containerScripts['go test ./...'] = { lines: ['ok  example/app 0.01s'] };
    const plan = makePlan([makeStep('app', { command: 'go test ./...' })]);

    const { result, events } = await run(plan, engine, { network: 'host', memoryBytes: 1024 });

    expect(result.outcome).toBe('succeeded');
    expect(engine.containerRuns).toEqual([
      { image: 'app:latest', argv: ['go', 'test', './...'], labels: { 'weld.run': 'run1', 'weld.step': 'app' }, network: 'host', memoryBytes: 1024, cpuShares: undefined, cpusetCpus: undefined },
    ]);
    expect(logLines(events, 'command')).toEqual(['running go test ./... in app:latest', 'ok  example/app 0.01s', 'command exited with code 0']);
    expect(events).toContainEqual(expect.objectContaining({ type: 'step-phase', step: 'app', state: 'running' }));
  });

  it('fails the step naming the command and its exit code', async () => {
    const engine = scriptedEngine('app');
    engine.containerScripts['go test ./...'] = { lines: ['FAIL'], exitCode: 3 };
    const plan = makePlan([makeStep('app', { command: 'go test ./...' })]);

    const { result, events } = await run(plan, engine);

    expect(result.outcome).toBe('failed');
    expect(failure(events)).toMatchObject({ error: { message: 'step app: command `go test ./...` exited with code 3' } });
  });

  it('is cancelled, not failed, when the run is aborted while it runs', async () => {
    const engine = scriptedEngine('app');
    engine.containerScripts['sleep 60'] = { ms: 60_000 };
    const plan = makePlan([makeStep('app', { command: 'sleep 60' })]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);

    const { result, events } = await run(plan, engine, { signal: controller.signal });

    expect(result.outcome).toBe('cancelled');
    expect(events).toContainEqual(expect.objectContaining({ type: 'step-cancelled', step: 'app' }));
    expect(failure(events)).toBeUndefined();
  });
});

describe('cleanup commands', () => {
  it('run one after another on the result of the one before, then squash into the step image', async () => {
    const engine = scriptedEngine('builder');
    const plan = makePlan([makeStep('builder', { cleanupCommands: ['rm -rf /root/.ssh', 'rm /tmp/token'] })]);

    const { result, events } = await run(plan, engine);

    expect(result.outcome).toBe('succeeded');
    expect(engine.containerRuns.map((request) => [request.image, request.argv.join(' '), request.network, request.keep])).toEqual([
      ['sha256:builder:latest', 'rm -rf /root/.ssh', 'none', true],
      ['sha256:commit-of-container-1', 'rm /tmp/token', 'none', true],
    ]);
    expect(engine.squashes).toEqual([{ containerId: 'container-2', configFrom: 'sha256:builder:latest', tag: 'builder:latest' }]);
    expect(engine.removedContainers).toEqual(['container-1', 'container-2']);
    expect(engine.removedImages).toEqual([
      { image: 'sha256:commit-of-container-1', force: true, noPrune: false },
      { image: 'sha256:builder:latest', force: false, noPrune: false },
    ]);
    expect(logLines(events, 'cleanup')).toContain('squashed builder:latest into one layer (squashed-bui)');
  });

  it('run before the artifacts are copied', async () => {
    const engine = scriptedEngine('builder');
    const step = makeStep('builder', {
      cleanupCommands: ['rm /tmp/token'],
      artifacts: [{ source: '/go/bin/server', destination: '.', spec: '/go/bin/server' }],
    });

    const { events } = await run(makePlan([step]), engine);

    const order = events.flatMap((event) =>
      event.type === 'step-log' && event.source === 'cleanup' && event.line.startsWith('squashed') ? ['squash'] : event.type === 'artifact-started' ? ['artifact'] : [],
    );
    expect(order).toEqual(['squash', 'artifact']);
  });

  it('keep the image from before the cleanup with --keep-all', async () => {
    const engine = scriptedEngine('builder');
    const plan = makePlan([makeStep('builder', { cleanupCommands: ['rm /tmp/token'] })]);

    const { events } = await run(plan, engine, { keepAll: true });

    expect(engine.removedImages).toEqual([]);
    expect(logLines(events, 'cleanup').at(-1)).toMatch(/^kept the image before cleanup/);
  });

  it('are skipped with --no-cleanup, and the log says so', async () => {
    const engine = scriptedEngine('builder');
    const plan = makePlan([makeStep('builder', { cleanupCommands: ['rm -rf /root/.ssh', 'rm /tmp/token'] })]);

    const { result, events } = await run(plan, engine, { cleanup: false });

    expect(result.outcome).toBe('succeeded');
    expect(engine.containerRuns).toEqual([]);
    expect(engine.squashes).toEqual([]);
    expect(logLines(events, 'cleanup')).toEqual(['skipped 2 cleanup commands: --no-cleanup']);
  });

  it('fail the step at the first command that exits non-zero, without a squash', async () => {
    const engine = scriptedEngine('builder');
    engine.containerScripts['rm /missing'] = { exitCode: 1 };
    const plan = makePlan([makeStep('builder', { cleanupCommands: ['rm /missing', 'rm /tmp/token'] })]);

    const { result, events } = await run(plan, engine);

    expect(result.outcome).toBe('failed');
    expect(failure(events)?.error.message).toMatch(/^step builder: cleanup command `rm \/missing` exited with code 1; /);
    expect(engine.containerRuns).toHaveLength(1);
    expect(engine.squashes).toEqual([]);
    expect(engine.removedContainers).toEqual(['container-1']);
  });

  it('that fail tag the image from before the run again, and the error says so', async () => {
    const engine = scriptedEngine('builder');
    engine.tagsBeforeBuild = { 'builder:latest': 'sha256:0123456789abcdef' };
    engine.containerScripts['rm /nonexistent-file'] = { exitCode: 1 };
    const plan = makePlan([makeStep('builder', { cleanupCommands: ['rm /nonexistent-file'] })]);

    const { events } = await run(plan, engine);

    expect(engine.tags).toEqual([{ image: 'sha256:0123456789abcdef', tag: 'builder:latest' }]);
    expect(engine.removedUntaggedImages).toEqual(['sha256:builder:latest']);
    expect(failure(events)?.error.message).toBe(
      'step builder: cleanup command `rm /nonexistent-file` exited with code 1; builder:latest names the image from before this run again (0123456789ab)',
    );
  });

  it('that fail remove the tag when no image had the name before the run', async () => {
    const engine = scriptedEngine('builder');
    engine.tagsBeforeBuild = {};
    engine.containerScripts['rm /nonexistent-file'] = { exitCode: 1 };
    const plan = makePlan([makeStep('builder', { cleanupCommands: ['rm /nonexistent-file'] })]);

    const { events } = await run(plan, engine);

    expect(engine.tags).toEqual([]);
    expect(engine.removedImages).toEqual([{ image: 'builder:latest', force: false, noPrune: false }]);
    expect(failure(events)?.error.message).toBe(
      'step builder: cleanup command `rm /nonexistent-file` exited with code 1; weld removed the tag builder:latest from the image before cleanup',
    );
  });

  it('that fail say so when the tag cannot be moved off the built image', async () => {
    const engine = scriptedEngine('builder');
    engine.tagsBeforeBuild = {};
    engine.containerScripts['rm /nonexistent-file'] = { exitCode: 1 };
    engine.removeImage = async () => {
      throw new Error('image is in use');
    };
    const plan = makePlan([makeStep('builder', { cleanupCommands: ['rm /nonexistent-file'] })]);

    const { events } = await run(plan, engine);

    const error = failure(events)?.error;
    expect(error?.message).toMatch(/; the tag builder:latest still names the image before cleanup, which contains what the cleanup should remove \(image is in use\)$/);
    expect(error?.hint).toMatch(/^remove the tag with docker rmi builder:latest before you push it; /);
  });

  it('that are cancelled do not leave the tag on the built image', async () => {
    const engine = scriptedEngine('builder');
    engine.tagsBeforeBuild = { 'builder:latest': 'sha256:0123456789abcdef' };
    engine.containerScripts['sleep 10'] = { ms: 5_000 };
    const plan = makePlan([makeStep('builder', { cleanupCommands: ['sleep 10'] })]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);

    const { result } = await run(plan, engine, { signal: controller.signal });

    expect(result.outcome).toBe('cancelled');
    expect(engine.tags).toEqual([{ image: 'sha256:0123456789abcdef', tag: 'builder:latest' }]);
  });
});

describe('after_build_command', () => {
  it('is skipped without --after-build-commands, and the log names the flag', async () => {
    const engine = scriptedEngine('app');
    const plan = makePlan([makeStep('app', { afterBuildCommand: 'touch ran' })]);

    const { result, events } = await run(plan, engine);

    expect(result.outcome).toBe('succeeded');
    expect(logLines(events, 'after-build')).toEqual(['skipped after_build_command `touch ran`: weld runs host commands only with --after-build-commands']);
    await expect(readFile(path.join(workDir, 'ran'))).rejects.toThrow();
  });

  it('runs with sh -c in the work dir, with stdout and stderr in the log', async () => {
    const engine = scriptedEngine('app');
    const plan = makePlan([makeStep('app', { afterBuildCommand: 'echo out; echo err >&2; pwd > where' })]);

    const { result, events } = await run(plan, engine, { afterBuildCommands: true });

    expect(result.outcome).toBe('succeeded');
    expect(logLines(events, 'after-build')).toEqual(['running echo out; echo err >&2; pwd > where on this host', 'out', 'err']);
    expect((await readFile(path.join(workDir, 'where'), 'utf8')).trim()).toBe(workDir);
  });

  it('fails the step with the exit code', async () => {
    const engine = scriptedEngine('app');
    const plan = makePlan([makeStep('app', { afterBuildCommand: 'exit 4' })]);

    const { result, events } = await run(plan, engine, { afterBuildCommands: true });

    expect(result.outcome).toBe('failed');
    expect(failure(events)).toMatchObject({ error: { message: 'step app: after_build_command `exit 4` exited with code 4' } });
  });

  it('stops the command and the processes it started when the run is aborted', async () => {
    const engine = scriptedEngine('app');
    const plan = makePlan([makeStep('app', { afterBuildCommand: 'sleep 30 & echo $! > child.pid; wait' })]);
    const controller = new AbortController();
    const startedAt = Date.now();
    setTimeout(() => controller.abort(), 500);

    const { result } = await run(plan, engine, { afterBuildCommands: true, signal: controller.signal });

    expect(result.outcome).toBe('cancelled');
    expect(Date.now() - startedAt).toBeLessThan(4_000);
    const childPid = Number(await readFile(path.join(workDir, 'child.pid'), 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await isRunning(childPid)).toBe(false);
  });
});

describe('phase order', () => {
  it('runs cleanup, command, then the after-build command', async () => {
    const engine = scriptedEngine('app');
    const plan = makePlan([makeStep('app', { cleanupCommands: ['rm /x'], command: 'env', afterBuildCommand: 'true' })]);

    const { events } = await run(plan, engine, { afterBuildCommands: true });

    const sources = events.flatMap((event) => (event.type === 'step-log' ? [event.source] : []));
    expect([...new Set(sources)]).toEqual(['cleanup', 'command', 'after-build']);
  });
});

describe('secret build args', () => {
  it('reach only the steps whose Dockerfile declares them, below --build values', async () => {
    const engine = scriptedEngine('app');
    const dockerfile = 'FROM busybox\nARG habitus_host\nARG habitus_port\n';
    const plan = makePlan([makeStep('app')], [], dockerfile);

    await run(plan, engine, {
      secretBuildArgs: { habitus_host: '127.0.0.1', habitus_port: '8080', habitus_user: 'habitus' },
      buildArgs: { habitus_port: '9999' },
    });

    expect(engine.requests[0]!.buildArgs).toEqual({ habitus_host: '127.0.0.1', habitus_port: '9999' });
  });

  it('are missing, with a log line naming --secrets, when a step declares secrets and no server runs', async () => {
    const engine = scriptedEngine('app');
    const plan = makePlan([makeStep('app', { secrets: [{ name: 'id_rsa', type: 'file', value: '/k' }] })]);

    const { events } = await run(plan, engine);

    expect(logLines(events, 'build')).toContain('secrets id_rsa are not served: weld runs the secret server only with --secrets');
  });
});

describe('intermediate images', () => {
  it.each([
    { removal: undefined, removed: [] },
    { removal: { force: true, noPrune: false }, removed: [{ image: 'base:latest', force: true, noPrune: false }] },
    { removal: { force: false, noPrune: true }, removed: [{ image: 'base:latest', force: false, noPrune: true }] },
  ])('with removal $removal, removes $removed', async ({ removal, removed }) => {
    const engine = scriptedEngine('base', 'app');
    const plan = makePlan([makeStep('base'), makeStep('app', { dependsOn: ['base'] })], [{ from: 'app', to: 'base', reason: 'depends_on' }]);

    const { result } = await run(plan, engine, { removeIntermediateImages: removal });

    expect(result.outcome).toBe('succeeded');
    expect(engine.removedImages).toEqual(removed);
  });
});
