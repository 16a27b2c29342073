// The reporter interface shared by the Ink console, the plain reporter and the
// NDJSON reporter. The CLI chooses one at start and hands it every event.

import type { BuildEvent } from '../build/events.js';

export interface Reporter {
  /** Receives every event of a run, in order. */
  handle(event: BuildEvent): void;
  /** Flushes the output and releases the terminal once everything is reported. */
  close(): Promise<void>;
}

/** Options every reporter factory takes. */
export interface ReporterOptions {
  /** Stream the output is written to. */
  stdout: NodeJS.WriteStream;
  /** Stream keys are read from (the console only). */
  stdin?: NodeJS.ReadStream;
  /** Called when the user asks to quit (`q` or Ctrl-C in the console). */
  onCancel?: () => void;
}
