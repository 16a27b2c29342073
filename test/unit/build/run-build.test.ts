import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { BuildEvent } from '../../../src/build/events.js';
import type { BuildPlan, PlannedStep } from '../../../src/build/plan.js';
import type { RunBuildOptions } from '../../../src/build/run-build.js';
import { runPlan } from './run-fixture.js';
import { createStepGraph } from '../../../src/graph/step-graph.js';
import type { Step } from '../../../src/manifest/types.js';
import { makeStep as makeStepIn } from './make-step.js';
import { ScriptedEngine } from './scripted-engine.js';

let workDir: string;

beforeEach(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'weld-runner-'));
});

afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function makeStep(label: string, overrides: Partial<Step> = {}): Step {
  return makeStepIn(workDir, label, overrides);
}

/** Builds the two-stage plan: a builder exporting /go/bin/server, a final image depending on it. */
function makeTwoStagePlan(artifactDestination = 'out'): BuildPlan {
  const builder = makeStep('builder', {
    artifacts: [{ source: '/go/bin/server', destination: artifactDestination, spec: `/go/bin/server:${artifactDestination}` }],
  });
  const production = makeStep('production', { dependsOn: ['builder'] });
  const planned = (step: Step): PlannedStep => ({
    step,
    image: step.name,
    dockerfileContent: Buffer.from('FROM scratch\n'),
    dockerfileLabel: 'Dockerfile',
    fromSteps: [],
  });
  const graph = createStepGraph(['builder', 'production'], [{ from: 'production', to: 'builder', reason: 'depends_on' }]);
  return {
    manifest: { file: path.join(workDir, 'build.yml'), workDir, version: '2016-03-14', steps: [builder, production] },
    steps: new Map([
      ['builder', planned(builder)],
      ['production', planned(production)],
    ]),
    graph,
    finalSteps: ['production'],
  };
}

/** Runs with force-rm off, as these tests were written against. */
function run(plan: BuildPlan, engine: ScriptedEngine, overrides: Partial<RunBuildOptions> = {}) {
  return runPlan(plan, engine, { forceRm: false, ...overrides });
}

const builderOutputs = [
  { kind: 'context' as const, bytes: 2048 },
  { kind: 'instruction' as const, index: 1, total: 2, text: 'FROM golang' },
  { kind: 'instruction' as const, index: 2, total: 2, text: 'RUN go build' },
  { kind: 'log' as const, line: 'compiling' },
];

describe('runBuild', () => {
  it('emits the two-stage run from run-started to the savings', async () => {
    const engine = new ScriptedEngine({
      'builder:latest': { outputs: builderOutputs, sizeBytes: 811_000_000 },
      'production:latest': { outputs: [{ kind: 'instruction', index: 1, total: 1, text: 'FROM scratch' }], sizeBytes: 4_500_000 },
    });

    const { result, events } = await run(makeTwoStagePlan(), engine);

    expect(result.outcome).toBe('succeeded');
    expect(events.map((event) => event.type)).toEqual([
      'run-started',
      'step-started',
      'context-sent',
      'step-progress',
      'step-progress',
      'step-log',
      'step-phase',
      'artifact-started',
      'artifact-progress',
      'artifact-finished',
      'step-finished',
      'step-started',
      'step-progress',
      'step-finished',
      'run-finished',
    ]);
    const finished = events.at(-1) as Extract<BuildEvent, { type: 'run-finished' }>;
    expect(finished.finalImages).toHaveLength(1);
    expect(finished.finalImages[0]!.savings[0]).toMatchObject({ againstStep: 'builder', againstSizeBytes: 811_000_000 });
    expect(finished.finalImages[0]!.savings[0]!.ratio).toBeCloseTo(180.2, 1);
    expect(finished.finalImages[0]!.savings[0]!.percentSaved).toBeCloseTo(99.45, 1);
  });

  it('removes the artifact folder it created at the end of the run', async () => {
    const engine = new ScriptedEngine({
      'builder:latest': { outputs: builderOutputs, sizeBytes: 10 },
      'production:latest': { outputs: [], sizeBytes: 5 },
    });

    await run(makeTwoStagePlan('out/bin'), engine);

    expect(engine.copies[0]!.destinationDir).toBe(path.join(workDir, 'out', 'bin'));
    expect(await readdir(workDir)).toEqual([]);
  });

  it('keeps the artifacts with keepArtifacts', async () => {
    const engine = new ScriptedEngine({
      'builder:latest': { outputs: builderOutputs, sizeBytes: 10 },
      'production:latest': { outputs: [], sizeBytes: 5 },
    });

    const { result } = await run(makeTwoStagePlan('.'), engine, { keepArtifacts: true });

    expect(await readdir(workDir)).toEqual(['server']);
    expect(result.createdPaths).toEqual([path.join(workDir, 'server')]);
  });

  it('reports a failed step with its instruction and log tail, and skips its dependents', async () => {
    const engine = new ScriptedEngine({
      'builder:latest': { outputs: builderOutputs, failure: { message: 'RUN go build failed: exit code 2', instruction: 'RUN go build' }, sizeBytes: 0 },
      'production:latest': { outputs: [], sizeBytes: 5 },
    });

    const { result, events } = await run(makeTwoStagePlan(), engine);

    expect(result.outcome).toBe('failed');
    const failed = events.find((event) => event.type === 'step-failed') as Extract<BuildEvent, { type: 'step-failed' }>;
    expect(failed.step).toBe('builder');
    expect(failed.error).toEqual({ message: 'RUN go build failed: exit code 2', hint: 'fix the instruction', instruction: 'RUN go build' });
    expect(failed.logTail).toEqual(['Step 1/2 : FROM golang', 'Step 2/2 : RUN go build', 'compiling']);
    expect(events).toContainEqual(expect.objectContaining({ type: 'step-skipped', step: 'production', because: 'builder' }));
    const finished = events.at(-1) as Extract<BuildEvent, { type: 'run-finished' }>;
    expect(finished.error).toMatchObject({ step: 'builder', instruction: 'RUN go build' });
    expect(engine.removedContainerLabels).toEqual(['weld.run=run1']);
  });

  it('reports a run aborted mid-build as cancelled', async () => {
    const engine = new ScriptedEngine({
      'builder:latest': { outputs: builderOutputs, ms: 5_000, sizeBytes: 10 },
      'production:latest': { outputs: [], sizeBytes: 5 },
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);

    const { result, events } = await run(makeTwoStagePlan(), engine, { signal: controller.signal });

    expect(result.outcome).toBe('cancelled');
    expect(events).toContainEqual(expect.objectContaining({ type: 'step-cancelled', step: 'builder' }));
    expect(events.some((event) => event.type === 'step-finished')).toBe(false);
  });

  it('passes build args with the step args winning over --build', async () => {
    const plan = makeTwoStagePlan();
    plan.steps.get('builder')!.step.args = { VERSION: 'step' };
    const engine = new ScriptedEngine({
      'builder:latest': { outputs: [], sizeBytes: 10 },
      'production:latest': { outputs: [], sizeBytes: 5 },
    });

    await run(plan, engine, { buildArgs: { VERSION: 'global', OTHER: 'x' } });

    expect(engine.requests[0]!.buildArgs).toEqual({ VERSION: 'step', OTHER: 'x' });
    expect(engine.requests[0]!.labels).toEqual({});
  });
});

describe('missing artifact hint', () => {
  const copyFailure = 'COPY failed: file not found in build context or excluded by .dockerignore: stat out/server: file does not exist';

  it('names the step to depend on when a COPY misses its artifact', async () => {
    const plan = makeTwoStagePlan('out');
    // The final step forgot depends_on: nothing orders it after the builder.
    plan.graph = createStepGraph(['builder', 'production'], []);
    const engine = new ScriptedEngine({
      'builder:latest': { outputs: builderOutputs, sizeBytes: 100 },
      'production:latest': { outputs: [], failure: { message: copyFailure, instruction: 'COPY out/server /server' }, sizeBytes: 0 },
    });

    const { events } = await run(plan, engine, { parallel: 1 });

    const failed = events.find((event) => event.type === 'step-failed');
    expect(failed).toMatchObject({ step: 'production' });
    expect(failed?.type === 'step-failed' && failed.error.hint).toBe(
      'out/server is an artifact of step `builder`, and step `production` does not wait for it: add `depends_on: [builder]` to step `production`',
    );
  });

  it('gives no such hint when the step waits for the artifact', async () => {
    const engine = new ScriptedEngine({
      'builder:latest': { outputs: builderOutputs, sizeBytes: 100 },
      'production:latest': { outputs: [], failure: { message: copyFailure, instruction: 'COPY out/server /server' }, sizeBytes: 0 },
    });

    const { events } = await run(makeTwoStagePlan('out'), engine);

    const failed = events.find((event) => event.type === 'step-failed');
    expect(failed?.type === 'step-failed' && failed.error.hint).toBe('fix the instruction');
  });
});

describe('build output lines', () => {
  it('drops empty arrows and quiet image ids, and turns engine warnings into events', async () => {
    const imageId = `sha256:${'ab'.repeat(32)}`;
    const engine = new ScriptedEngine({
      'builder:latest': {
        outputs: [
          { kind: 'log', line: ' ---> ' },
          { kind: 'log', line: '[Warning] One or more build-args [GREETING] were not consumed' },
          { kind: 'log', line: imageId },
          { kind: 'log', line: 'kept' },
        ],
        sizeBytes: 100,
      },
      'production:latest': { outputs: [], sizeBytes: 10 },
    });

    const { events } = await run(makeTwoStagePlan(), engine, { suppress: true });

    const builderLogs = events.filter((event) => event.type === 'step-log' && event.step === 'builder' && event.source === 'build');
    expect(builderLogs.map((event) => event.type === 'step-log' && event.line)).toEqual(['kept']);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'warning', step: 'builder', message: 'One or more build-args [GREETING] were not consumed' }),
    );
  });
});
