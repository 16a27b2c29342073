// A plan made by hand and a run of it over the scripted engine, for tests of the runner.

import path from 'node:path';

import type { BuildEvent } from '../../../src/build/events.js';
import type { BuildPlan } from '../../../src/build/plan.js';
import { runBuild, type RunBuildOptions } from '../../../src/build/run-build.js';
import { createStepGraph, type Edge } from '../../../src/graph/step-graph.js';
import type { Step } from '../../../src/manifest/types.js';
import type { ScriptedEngine } from './scripted-engine.js';

/** Returns a plan of `steps` in `workDir`; each step's Dockerfile is `dockerfiles[label]`, else `FROM scratch`. */
export function makePlan(workDir: string, steps: Step[], options: { edges?: Edge[]; dockerfiles?: Record<string, string> } = {}): BuildPlan {
  const edges = options.edges ?? [];
  const dependedOn = new Set(edges.map((edge) => edge.to));
  return {
    manifest: { file: path.join(workDir, 'build.yml'), workDir, version: '2016-03-14', steps },
    steps: new Map(
      steps.map((step) => [
        step.label,
        {
          step,
          image: step.name,
          dockerfileContent: Buffer.from(options.dockerfiles?.[step.label] ?? 'FROM scratch\n'),
          dockerfileLabel: path.relative(workDir, step.dockerfilePath),
          fromSteps: [],
        },
      ]),
    ),
    graph: createStepGraph(
      steps.map((step) => step.label),
      edges,
    ),
    finalSteps: steps.map((step) => step.label).filter((label) => !dependedOn.has(label)),
  };
}

/** Runs `plan` on `engine` with default settings and returns the result and every event. */
export async function runPlan(plan: BuildPlan, engine: ScriptedEngine, overrides: Partial<RunBuildOptions> = {}) {
  const events: BuildEvent[] = [];
  const result = await runBuild({
    plan,
    engine,
    emit: (event) => events.push(event),
    runId: 'run1',
    engineInfo: { version: '0', endpoint: 'scripted://' },
    signal: new AbortController().signal,
    parallel: 0,
    keepGoing: false,
    keepArtifacts: false,
    buildArgs: {},
    noCache: false,
    rm: true,
    forceRm: true,
    suppress: false,
    ...overrides,
  });
  return { result, events };
}

/** Returns the first step-failed event. */
export function findFailure(events: BuildEvent[]): Extract<BuildEvent, { type: 'step-failed' }> | undefined {
  return events.find((event): event is Extract<BuildEvent, { type: 'step-failed' }> => event.type === 'step-failed');
}
