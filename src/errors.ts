// Errors for people: each one says what failed and, apart from it, what to try.

/** Exit codes of the weld command. */
export const ExitCode = {
  ok: 0,
  buildFailed: 1,
  badInput: 2,
  interrupted: 130,
  /** The reader of weld's output went away (`weld | head`): 128 + SIGPIPE, as for programs that signal stops. */
  outputClosed: 141,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface WeldErrorOptions {
  /** Suggested fix, shown on its own line under the message. */
  hint?: string;
  /** Exit code the CLI uses when this error ends the run. */
  exitCode?: ExitCodeValue;
  /** The error this one wraps. */
  cause?: unknown;
}

/** An error whose message is fit to show as it is, with an optional hint. */
export class WeldError extends Error {
  readonly hint?: string;
  readonly exitCode: ExitCodeValue;

  constructor(message: string, options: WeldErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WeldError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.buildFailed;
  }
}

/** Bad input: build.yml, a Dockerfile, a flag. The CLI exits with 2. */
export class InputError extends WeldError {
  constructor(message: string, options: Omit<WeldErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, exitCode: ExitCode.badInput });
    this.name = 'InputError';
  }
}

/** A failure reported by the Docker engine or while talking to it. */
export class EngineError extends WeldError {
  /** The Dockerfile instruction that failed, when the engine names one. */
  readonly instruction?: string;

  constructor(message: string, options: WeldErrorOptions & { instruction?: string } = {}) {
    super(message, options);
    this.name = 'EngineError';
    this.instruction = options.instruction;
  }
}

/** The run was cancelled (Ctrl-C, SIGTERM, fail-fast or a new change in watch mode). */
export class CancelledError extends WeldError {
  constructor(message = 'cancelled') {
    super(message, { exitCode: ExitCode.interrupted });
    this.name = 'CancelledError';
  }
}

/** Returns true when `error` comes from an aborted signal or a cancelled run. */
export function isCancellation(error: unknown): boolean {
  if (error instanceof CancelledError) return true;
  return error instanceof Error && (error.name === 'AbortError' || (error as { code?: string }).code === 'ABORT_ERR');
}
