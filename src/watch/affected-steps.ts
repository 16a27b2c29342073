// The steps a change affects: the steps whose context or Dockerfile contains a
// changed path, the steps whose definition in build.yml changed, and every step
// downstream of them. Steps outside that set keep their last image.

import type { RebuildReason, StepRebuild } from '../build/events.js';
import type { BuildPlan } from '../build/plan.js';
import { selectDownstream, selectUpstream, type StepGraph } from '../graph/step-graph.js';
import { toRelativeLabel } from './ignore-rules.js';
import { classifyPath, type WatchTargets } from './watch-targets.js';

/** The steps a set of changed paths touches directly, and what else the paths call for. */
export interface ChangeImpact {
  /** Steps whose context contains a changed path or whose Dockerfile changed, each with the first such path. */
  direct: StepRebuild[];
  /** build.yml changed, so the plan must be loaded again. */
  buildFileChanged: boolean;
  /** A Dockerfile changed, so the plan must be made again to read it. */
  dockerfileChanged: boolean;
  /** A context's .dockerignore changed, so what is watched must be worked out again. */
  ignoreFileChanged: boolean;
  /** Changed paths that any step or the plan reads, relative to the work dir, in order. */
  relevantPaths: string[];
  /** The changed build.yml and Dockerfiles among them. */
  planningPaths: string[];
}

/** Works out which steps the changed paths (absolute, in the order they changed) touch. */
export function assessChanges(targets: WatchTargets, changedPaths: string[]): ChangeImpact {
  const direct = new Map<string, StepRebuild>();
  const impact: ChangeImpact = { direct: [], buildFileChanged: false, dockerfileChanged: false, ignoreFileChanged: false, relevantPaths: [], planningPaths: [] };

  for (const changed of changedPaths) {
    const role = classifyPath(targets, changed);
    const label = toRelativeLabel(targets.workDir, changed);
    const touched = [...role.dockerfileOf, ...role.contextOf];
    if (!role.isBuildFile && touched.length === 0) continue;

    impact.relevantPaths.push(label);
    if (role.isBuildFile || role.dockerfileOf.length > 0) impact.planningPaths.push(label);
    impact.buildFileChanged ||= role.isBuildFile;
    impact.dockerfileChanged ||= role.dockerfileOf.length > 0;
    impact.ignoreFileChanged ||= role.ignoreFileOf.length > 0;
    for (const step of touched) {
      if (!direct.has(step)) direct.set(step, { step, reason: 'changed', because: label });
    }
  }
  impact.direct = [...direct.values()];
  return impact;
}

/** Returns a text that changes whenever anything that goes into building the step changes. */
function describeDefinition(plan: BuildPlan, label: string): string {
  const planned = plan.steps.get(label)!;
  // Positions in build.yml are for messages only: a step that moved has not changed.
  const { line: _line, targetLine: _targetLine, dependsOnLines: _dependsOnLines, ...step } = planned.step;
  const secrets = step.secrets.map(({ line: _secretLine, ...secret }) => secret);
  return JSON.stringify({
    step: { ...step, secrets },
    image: planned.image,
    dockerfile: planned.dockerfileContent.toString('base64'),
    dependencies: [...(plan.graph.dependencies.get(label)?.keys() ?? [])].sort(),
  });
}

/**
 * Returns the labels of the steps of `next` that are new or whose definition differs
 * from `previous`: build.yml fields, Dockerfile content, image name or dependencies.
 * A step that only moved to another line of build.yml has not changed.
 */
export function findChangedDefinitions(previous: BuildPlan, next: BuildPlan): string[] {
  return next.graph.labels.filter((label) => {
    if (!previous.steps.has(label)) return true;
    return describeDefinition(previous, label) !== describeDefinition(next, label);
  });
}

/**
 * Completes a selection: adds every step downstream of it, and each unfinished step
 * that a chosen step needs (with its own downstream steps), until nothing changes.
 * Returns the steps in build.yml order; the first reason given for a step wins and
 * steps not in the graph are dropped.
 */
export function expandRebuilds(graph: StepGraph, selected: StepRebuild[], unfinished: ReadonlySet<string> = new Set()): StepRebuild[] {
  const chosen = new Map<string, StepRebuild>();
  for (const rebuild of selected) {
    if (graph.dependencies.has(rebuild.step) && !chosen.has(rebuild.step)) chosen.set(rebuild.step, rebuild);
  }

  let grown = true;
  while (grown) {
    const closure = new Set(selectDownstream(graph, chosen.keys()));
    for (const label of graph.labels) {
      if (!closure.has(label) || chosen.has(label)) continue;
      const dependencies = [...(graph.dependencies.get(label)?.keys() ?? [])];
      const because = graph.labels.find((candidate) => closure.has(candidate) && dependencies.includes(candidate));
      chosen.set(label, { step: label, reason: 'upstream', because });
    }

    grown = false;
    for (const rebuild of [...chosen.values()]) {
      for (const upstream of selectUpstream(graph, rebuild.step)) {
        if (!unfinished.has(upstream) || chosen.has(upstream)) continue;
        chosen.set(upstream, { step: upstream, reason: 'unfinished', because: rebuild.step });
        grown = true;
      }
    }
  }
  return graph.labels.filter((label) => chosen.has(label)).map((label) => chosen.get(label)!);
}

/** Returns every step of the graph with the same reason, in build.yml order. */
export function selectAllSteps(graph: StepGraph, reason: RebuildReason): StepRebuild[] {
  return graph.labels.map((step) => ({ step, reason }));
}
