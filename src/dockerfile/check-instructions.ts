// Checking the instructions of a Dockerfile before the engine is asked to build it, so
// that a misspelt keyword fails with its file and line before anything builds.

import { InputError } from '../errors.js';
import { closestMatch } from '../manifest/suggest.js';
import { parseInstructions } from './instructions.js';

/** The instructions of the Dockerfile reference, in lower case as the parser keeps them. */
const KNOWN_INSTRUCTIONS = [
  'add', 'arg', 'cmd', 'copy', 'entrypoint', 'env', 'expose', 'from', 'healthcheck', 'label',
  'maintainer', 'onbuild', 'run', 'shell', 'stopsignal', 'user', 'volume', 'workdir',
];

/**
 * Throws an InputError for the first instruction the engine would reject: an unknown
 * keyword, or an instruction other than ARG before the first FROM. `where` names the
 * step and build.yml line for the message, e.g. "step `app` (build.yml:4)".
 */
export function checkInstructions(content: Buffer, dockerfileLabel: string, where: string): void {
  const { instructions } = parseInstructions(content);
  for (const instruction of instructions) {
    if (KNOWN_INSTRUCTIONS.includes(instruction.keyword)) continue;
    const written = instruction.keyword.toUpperCase();
    const suggestion = closestMatch(instruction.keyword, KNOWN_INSTRUCTIONS);
    throw new InputError(`unknown instruction ${written} at ${dockerfileLabel}:${instruction.line}, the Dockerfile of ${where}`, {
      hint: suggestion ? `did you mean ${suggestion.toUpperCase()}?` : `use one of ${KNOWN_INSTRUCTIONS.map((keyword) => keyword.toUpperCase()).join(', ')}`,
    });
  }

  const first = instructions.find((instruction) => instruction.keyword !== 'arg');
  if (first === undefined) {
    throw new InputError(`${dockerfileLabel}, the Dockerfile of ${where}, has no FROM instruction`, {
      hint: 'start the Dockerfile with `FROM <image>` (only ARG may come before it)',
    });
  }
  if (first.keyword !== 'from') {
    throw new InputError(`${first.keyword.toUpperCase()} at ${dockerfileLabel}:${first.line} comes before any FROM, in the Dockerfile of ${where}`, {
      hint: 'start the Dockerfile with `FROM <image>` (only ARG may come before it)',
    });
  }
}
