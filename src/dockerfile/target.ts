// Checking a build target against the stages a Dockerfile declares, before the
// engine is asked to build it.

import { InputError } from '../errors.js';
import { listStages } from './from-references.js';

/**
 * Throws an InputError when `target` names no stage of the Dockerfile. Stage names
 * are compared without case, as the engine does.
 */
export function checkTarget(content: string, target: string, dockerfileLabel: string): void {
  const stages = listStages(content);
  const targetKey = target.toLowerCase();
  if (stages.some((stage) => stage.toLowerCase() === targetKey)) return;

  if (stages.length === 0) {
    throw new InputError(`target "${target}" names no stage in ${dockerfileLabel}: it declares no stage with AS`, {
      hint: `Name a stage with "FROM <image> AS ${target}", or remove target.`,
    });
  }
  throw new InputError(`target "${target}" names no stage in ${dockerfileLabel} (stages: ${stages.join(', ')})`, {
    hint: `Set target to one of ${stages.join(', ')}.`,
  });
}
