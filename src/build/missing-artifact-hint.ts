// A hint for a COPY that failed because the file it copies is another step's artifact,
// and the step does not wait for that step: the most common mistake in a two-stage
// build.yml is a missing `depends_on`.

import path from 'node:path';

import { selectUpstream } from '../graph/step-graph.js';
import type { BuildPlan } from './plan.js';

/** The classic builder's message for a COPY source that is not in the context. */
const MISSING_SOURCE = /file not found in build context[^:]*: stat (.+?): file does not exist/;

/**
 * Returns a hint when the failure `message` of step `label` names a COPY source that
 * another step exports as an artifact and that `label` does not depend on; otherwise
 * undefined.
 */
export function missingArtifactHint(plan: BuildPlan, label: string, message: string): string | undefined {
  const missing = MISSING_SOURCE.exec(message)?.[1];
  const planned = plan.steps.get(label);
  if (!missing || !planned) return undefined;

  const missingPath = path.resolve(planned.step.contextDir, missing);
  const upstream = selectUpstream(plan.graph, label);
  for (const [otherLabel, other] of plan.steps) {
    if (otherLabel === label || upstream.has(otherLabel)) continue;
    for (const artifact of other.step.artifacts) {
      const root = path.join(plan.manifest.workDir, artifact.destination, path.posix.basename(artifact.source));
      if (missingPath !== root && !missingPath.startsWith(root + path.sep)) continue;
      return `${missing} is an artifact of step \`${otherLabel}\`, and step \`${label}\` does not wait for it: add \`depends_on: [${otherLabel}]\` to step \`${label}\``;
    }
  }
  return undefined;
}
