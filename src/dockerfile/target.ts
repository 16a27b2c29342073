// Checking a build target against the stages a Dockerfile declares, before the
// engine is asked to build it.

import { InputError } from '../errors.js';
import { listStages } from './from-references.js';

/**
 * Throws an InputError when `target` names no stage of the Dockerfile. Stage names
 * are compared without case, as the engine does. `where` names the step and build.yml
 * line for the message, e.g. "step `app` (build.yml:4)".
 */
export function checkTarget(content: string, target: string, dockerfileLabel: string, where: string): void {
  const stages = listStages(content);
  const targetKey = target.toLowerCase();
  if (stages.some((stage) => stage.toLowerCase() === targetKey)) return;

  if (stages.length === 0) {
    throw new InputError(`target \`${target}\` of ${where} names no stage in ${dockerfileLabel}, which declares no stage with AS`, {
      hint: `name a stage with \`FROM <image> AS ${target}\`, or remove \`target\``,
    });
  }
  throw new InputError(`target \`${target}\` of ${where} names no stage in ${dockerfileLabel} (stages: ${stages.join(', ')})`, {
    hint: `set \`target\` to one of ${stages.join(', ')}`,
  });
}
