// The dependency graph of a build: which step waits for which. It holds labels
// only; the build runner decides what a step does.

import { InputError } from '../errors.js';

/** An edge's origin, kept so that messages can say why a step waits. */
export type EdgeReason = 'depends_on' | 'FROM';

export interface StepGraph {
  /** Labels in build.yml order. */
  labels: string[];
  /** For each label, the labels it waits for, each with why. */
  dependencies: Map<string, Map<string, EdgeReason>>;
  /** For each label, the labels that wait for it. */
  dependents: Map<string, Set<string>>;
}

/** One edge: `from` waits for `to`. */
export interface Edge {
  from: string;
  to: string;
  reason: EdgeReason;
  /** The file and line that declare the edge, for messages: `build.yml:7`, `Dockerfile.app:1`. */
  at?: string;
}

/** Returns the labels of the first cycle found, closed (`a → b → a` as `[a, b, a]`). */
export function findCycle(graph: StepGraph): string[] | undefined {
  return findCycles(graph)[0];
}

/**
 * Returns cycles of the graph, each closed (`a → b → a` as `[a, b, a]`), in build.yml
 * order. Once a cycle is found its steps count as explored, so steps caught in several
 * cycles give one of them, and cycles that share no step are all reported.
 */
export function findCycles(graph: StepGraph): string[][] {
  const cycles: string[][] = [];
  const visiting = new Set<string>();
  const done = new Set<string>();
  const path: string[] = [];

  const visit = (label: string): void => {
    if (done.has(label)) return;
    if (visiting.has(label)) {
      const cycle = [...path.slice(path.indexOf(label)), label];
      cycles.push(cycle);
      for (const member of cycle) done.add(member);
      return;
    }

    visiting.add(label);
    path.push(label);
    for (const dependency of graph.dependencies.get(label)?.keys() ?? []) visit(dependency);
    path.pop();
    visiting.delete(label);
    done.add(label);
  };

  for (const label of graph.labels) visit(label);
  return cycles;
}

/**
 * Builds the graph from labels and edges. A cycle throws an InputError that names
 * the cycle path and the reason of each edge in it.
 */
export function createStepGraph(labels: string[], edges: Edge[], buildFile = 'build.yml'): StepGraph {
  const dependencies = new Map<string, Map<string, EdgeReason>>();
  const dependents = new Map<string, Set<string>>();
  for (const label of labels) {
    dependencies.set(label, new Map());
    dependents.set(label, new Set());
  }

  const locations = new Map<string, string>();
  for (const edge of edges) {
    if (edge.at && !locations.has(`${edge.from}\0${edge.to}`)) locations.set(`${edge.from}\0${edge.to}`, edge.at);
    const from = dependencies.get(edge.from);
    const to = dependents.get(edge.to);
    if (!from || !to) throw new Error(`edge ${edge.from} → ${edge.to} names a step that is not in the graph`);
    if (!from.has(edge.to) || edge.reason === 'depends_on') from.set(edge.to, edge.reason);
    to.add(edge.from);
  }

  const graph = { labels, dependencies, dependents };
  const cycles = findCycles(graph);
  if (cycles.length > 0) {
    const describe = (cycle: string[]): string => {
      const steps = cycle.slice(0, -1).map((label, index) => {
        const next = cycle[index + 1]!;
        const at = locations.get(`${label}\0${next}`);
        return `${label} waits for ${next} (${dependencies.get(label)?.get(next)}${at ? `, ${at}` : ''})`;
      });
      return `${cycle.join(' → ')}\n  ${steps.join('\n  ')}`;
    };
    const message =
      cycles.length === 1
        ? `${buildFile}: the steps depend on each other in a cycle: ${describe(cycles[0]!)}`
        : `${buildFile}: the steps depend on each other in ${cycles.length} cycles:\n${cycles.map((cycle) => `cycle: ${describe(cycle)}`).join('\n')}`;
    throw new InputError(message, {
      hint: 'remove one of these depends_on entries, or change a FROM line so that it names a base image instead of a step',
    });
  }
  return graph;
}

/** Returns the given labels and every label downstream of them, in build.yml order. */
export function selectDownstream(graph: StepGraph, labels: Iterable<string>): string[] {
  const selected = new Set<string>();
  const queue = [...labels];
  while (queue.length > 0) {
    const label = queue.shift()!;
    if (selected.has(label) || !graph.dependencies.has(label)) continue;
    selected.add(label);
    queue.push(...(graph.dependents.get(label) ?? []));
  }
  return graph.labels.filter((label) => selected.has(label));
}

/** Returns every label upstream of `label` (what it needs, directly or not). */
export function selectUpstream(graph: StepGraph, label: string): Set<string> {
  const upstream = new Set<string>();
  const queue = [...(graph.dependencies.get(label)?.keys() ?? [])];
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (upstream.has(next)) continue;
    upstream.add(next);
    queue.push(...(graph.dependencies.get(next)?.keys() ?? []));
  }
  return upstream;
}

/** Returns the labels no other step depends on: the final images. */
export function listFinalSteps(graph: StepGraph): string[] {
  return graph.labels.filter((label) => (graph.dependents.get(label)?.size ?? 0) === 0);
}
