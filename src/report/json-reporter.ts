// The NDJSON reporter: every event of the stream, one JSON object a line.

import type { BuildEvent } from '../build/events.js';
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
