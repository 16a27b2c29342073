// A manifest step with every field at its default, for tests that build plans by hand.

import path from 'node:path';

import type { Step } from '../../../src/manifest/types.js';

/** Returns a step labelled `label` whose context and Dockerfile lie in `workDir`. */
export function makeStep(workDir: string, label: string, overrides: Partial<Step> = {}): Step {
  return {
    label,
    name: `${label}:latest`,
    contextDir: workDir,
    context: '.',
    dockerfile: 'Dockerfile',
    dockerfilePath: path.join(workDir, 'Dockerfile'),
    args: {},
    artifacts: [],
    dependsOn: [],
    noCache: false,
    cleanupCommands: [],
    secrets: [],
    line: 1,
    ...overrides,
  };
}
