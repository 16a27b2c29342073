// The NDJSON reporter: every event of the stream, one JSON object a line.

import type { BuildEvent } from '../build/events.js';
import { WeldError } from '../errors.js';
import type { Reporter, ReporterOptions } from './reporter.js';

export function createJsonReporter(options: ReporterOptions): Reporter {
  const { stdout } = options;
  return {
    handle(event: BuildEvent): void {
      stdout.write(JSON.stringify(event) + '\n');
    },
    close(): Promise<void> {
      return new Promise((resolve) => {
        if (stdout.writableNeedDrain) stdout.once('drain', () => resolve());
        else resolve();
      });
    },
  };
}

/** Writes the `error` event of an error that stopped weld before a run could start. */
export function writeErrorEvent(stdout: NodeJS.WritableStream, error: unknown, exitCode: number): void {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof WeldError ? error.hint : undefined;
  const event: BuildEvent = { type: 'error', time: Date.now(), error: { message, ...(hint ? { hint } : {}) }, exitCode };
  stdout.write(JSON.stringify(event) + '\n');
}
