// The critical path of a finished run: the chain of steps that bounded its total
// time. It is read backwards from the step that finished last, each time moving to
// the dependency that finished last, since that one held the step back.

/** The facts of a step that the critical path needs. */
export interface TimedStep {
  label: string;
  dependsOn: readonly string[];
  /** Time the step ended (done, cached or failed), Unix milliseconds. */
  finishedAt?: number;
}

/** Returns the labels of the critical path, first step first; empty when no step finished. */
export function findCriticalPath(steps: readonly TimedStep[]): string[] {
  const byLabel = new Map(steps.map((step) => [step.label, step]));
  const finished = steps.filter((step) => step.finishedAt !== undefined);
  if (finished.length === 0) return [];

  let current = finished.reduce((latest, step) => (step.finishedAt! > latest.finishedAt! ? step : latest));
  const path = [current.label];
  const visited = new Set(path);
  for (;;) {
    const gating = current.dependsOn
      .map((label) => byLabel.get(label))
      .filter((step): step is TimedStep => step?.finishedAt !== undefined && !visited.has(step.label))
      .reduce<TimedStep | undefined>((latest, step) => (latest === undefined || step.finishedAt! > latest.finishedAt! ? step : latest), undefined);
    if (gating === undefined) break;

    path.unshift(gating.label);
    visited.add(gating.label);
    current = gating;
  }
  return path;
}
