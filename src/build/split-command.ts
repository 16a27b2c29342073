// Turning a `command` or `cleanup.commands` string of build.yml into the argv of a
// container. Habitus split these strings on every space and ran the words without a
// shell; weld splits them the way a POSIX shell would, so quoted arguments stay whole.

import { parse } from 'shell-quote';

import { InputError } from '../errors.js';

/** The shell a command with shell syntax runs in. */
const SHELL = ['/bin/sh', '-c'];

/**
 * Returns the argv that runs `command` in a container. Plain words, quoted or not,
 * become the argv as they are, so that an image without a shell can run them. A
 * command using shell syntax (operators such as `&&` or `|`, redirections, globs,
 * `$VARIABLES`, comments) runs as `/bin/sh -c COMMAND` instead, which needs a shell
 * in the image.
 */
export function splitCommand(command: string, what: string): string[] {
  let usesVariables = false;
  const entries = parse(command, (name) => {
    usesVariables = true;
    return `$${name}`;
  });
  const words = entries.filter((entry): entry is string => typeof entry === 'string');

  if (usesVariables || words.length !== entries.length) return [...SHELL, command];
  if (words.length === 0) {
    throw new InputError(`${what} is empty`, { hint: 'write the program to run and its arguments, or remove the key' });
  }
  return words;
}
