// Choosing the reporter once at start: NDJSON, plain lines or the Ink console.
// The console's module (and with it Ink and React) is loaded only when chosen.

import { createJsonReporter } from '../report/json-reporter.js';
import { createPlainReporter } from '../report/plain-reporter.js';
import type { Reporter } from '../report/reporter.js';
import { importConsole } from './import-console.js';

export type ReporterKind = 'json' | 'plain' | 'console';

export interface ReporterChoice {
  json: boolean;
  plain: boolean;
  tui: boolean;
}

/** Returns which reporter the flags and the terminal call for. */
export function chooseReporterKind(choice: ReporterChoice, stdout: NodeJS.WriteStream): ReporterKind {
  if (choice.json) return 'json';
  if (choice.plain) return 'plain';
  if (choice.tui) return 'console';
  return stdout.isTTY ? 'console' : 'plain';
}

export interface CreateReporterOptions {
  kind: ReporterKind;
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  buildFile: string;
  workDir: string;
  watch: boolean;
  onCancel: () => void;
  /** Called for `r` in the console in watch mode. */
  onRebuild?: () => void;
}

/** Starts loading the console's module; a failure shows later, in createReporter. */
export function preloadConsole(): Promise<unknown> {
  return importConsole().catch(() => undefined);
}

export async function createReporter(options: CreateReporterOptions): Promise<Reporter> {
  const { kind, stdout, stdin, onCancel } = options;
  if (kind === 'json') return createJsonReporter({ stdout });
  if (kind === 'plain') return createPlainReporter({ stdout });

  const { createConsoleReporter } = await importConsole();
  return createConsoleReporter({
    stdout,
    stdin,
    onCancel,
    onRebuild: options.watch ? options.onRebuild : undefined,
    buildFile: options.buildFile,
    workDir: options.workDir,
    watch: options.watch,
  });
}
