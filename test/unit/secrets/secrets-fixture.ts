// A manifest with secrets, for the secret store and server tests.

import path from 'node:path';

import type { Manifest, SecretSpec, Step } from '../../../src/manifest/types.js';
import { makeStep } from '../build/make-step.js';

/** Returns a manifest in `workDir` whose steps declare the given secrets. */
export function makeSecretManifest(workDir: string, secretsByStep: Record<string, SecretSpec[]>): Manifest {
  const steps: Step[] = Object.entries(secretsByStep).map(([label, secrets], index) =>
    makeStep(workDir, label, { secrets, line: 3 + index * 4 }),
  );
  return { file: path.join(workDir, 'build.yml'), workDir, version: '2016-03-14', steps };
}
