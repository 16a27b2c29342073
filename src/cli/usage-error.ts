// commander's parse errors as weld's usage errors: the message, and the fix on its own
// `hint:` line, as every other error prints them. commander words its suggestions as
// "(Did you mean …?)" under the message; the hints here replace them.

import { statSync } from 'node:fs';
import path from 'node:path';

import type { Command, CommanderError } from 'commander';

import { InputError } from '../errors.js';
import { closestMatch } from '../manifest/suggest.js';

const HELP_HINT = 'run `weld --help` to list the flags';

/** Returns what `argument` names in `cwd`: a file, a folder, or nothing. */
function describePath(argument: string, cwd: string): 'file' | 'folder' | undefined {
  try {
    const stats = statSync(path.resolve(cwd, argument));
    if (stats.isDirectory()) return 'folder';
    return stats.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

function unknownOptionError(message: string, program: Command): InputError {
  const flag = /unknown option '(.*)'/.exec(message)?.[1] ?? '';
  if (!flag.startsWith('--')) {
    const letters = program
      .createHelp()
      .visibleOptions(program)
      .flatMap((option) => (option.short ? [option.short] : []));
    return new InputError(`unknown option '${flag}'`, { hint: `${HELP_HINT}; the flags of one letter are ${letters.join(', ')}` });
  }

  const name = flag.slice(2).split('=')[0]!;
  const longNames = program.options.flatMap((option) => (option.long ? [option.long.slice(2)] : []));
  const close = closestMatch(name, longNames);
  return new InputError(`unknown option '${flag}'`, { hint: close ? `did you mean --${close}?` : HELP_HINT });
}

function strayArgumentError(strays: readonly string[], cwd: string): InputError {
  const [first = ''] = strays;
  const listed = strays.map((stray) => `'${stray}'`).join(', ');
  const message = strays.length === 1 ? `unexpected argument ${listed}` : `unexpected arguments ${listed}`;

  const kind = describePath(first, cwd);
  const hint =
    kind === 'file'
      ? `weld takes no arguments, only flags; to build from the file ${first}, pass \`-f ${first}\``
      : kind === 'folder'
        ? `weld takes no arguments, only flags; to build in the folder ${first}, pass \`-d ${first}\``
        : `weld takes no arguments, only flags; ${HELP_HINT}`;
  return new InputError(message, { hint });
}

/**
 * Returns `error` as an InputError with a hint. `program` is the command that failed to
 * parse, for the flags and the arguments it read, and `cwd` the folder that a stray
 * argument is looked up in.
 */
export function toUsageError(error: CommanderError, program: Command, cwd: string): InputError {
  const [firstLine = '', ...rest] = error.message.replace(/^error: /, '').split('\n');
  const suggestion = /^\(Did you mean (.*)\?\)$/.exec(rest.join(' ').trim())?.[1];

  switch (error.code) {
    case 'commander.unknownOption':
      return unknownOptionError(firstLine, program);
    case 'commander.excessArguments':
      return strayArgumentError(program.args, cwd);
    case 'commander.conflictingOption':
      return new InputError(firstLine, { hint: 'pass only one of them' });
    case 'commander.optionMissingArgument':
      return new InputError(firstLine, { hint: `write the value after the flag, as one more argument; ${HELP_HINT} and their values` });
    case 'commander.invalidArgument': {
      // "option '--level <level>' argument 'x' is invalid. Allowed choices are debug, info."
      const [what = firstLine, ...why] = firstLine.split('. ');
      const reason = why.join('. ').replace(/\.$/, '');
      return new InputError(what, { hint: reason ? reason.charAt(0).toLowerCase() + reason.slice(1) : HELP_HINT });
    }
    default:
      return new InputError(firstLine, { hint: suggestion ? `did you mean ${suggestion}?` : HELP_HINT });
  }
}
