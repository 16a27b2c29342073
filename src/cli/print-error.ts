// The one `error:` block the CLI prints when a run cannot start or ends badly.

import { isDebug } from '../debug.js';
import { WeldError } from '../errors.js';

/** Writes `error: …` and `hint: …` to stderr; the stack and causes only with --debug. */
export function printError(error: unknown, stderr: NodeJS.WritableStream = process.stderr): void {
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(`error: ${message.replace(/\n/g, '\n  ')}\n`);
  if (error instanceof WeldError && error.hint) stderr.write(`hint: ${error.hint.replace(/\n/g, '\n  ')}\n`);
  if (!(error instanceof WeldError) && !isDebug()) {
    stderr.write('hint: this looks like a bug in weld; run again with --debug to see where it happened\n');
  }
  if (isDebug()) {
    let current: unknown = error;
    while (current instanceof Error) {
      stderr.write(`${current.stack ?? current.message}\n`);
      current = current.cause;
      if (current) stderr.write('caused by: ');
    }
  }
}
