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

/** A Dockerfile that the Docker engine rejected before building anything. The CLI exits with 2. */
export class DockerfileError extends InputError {
  /** Dockerfile path inside the build context, as sent to the engine. */
  readonly dockerfile: string;
  /** 1-based line the engine named, when it named one. */
  readonly line?: number;
  /** The engine's reason without its `dockerfile parse error line N:` prefix, e.g. `Unknown flag: bogus`. */
  readonly reason: string;

  constructor(message: string, details: { dockerfile: string; line?: number; reason: string }, options: Omit<WeldErrorOptions, 'exitCode'> = {}) {
    super(message, options);
    this.name = 'DockerfileError';
    this.dockerfile = details.dockerfile;
    this.line = details.line;
    this.reason = details.reason;
  }
}

/** An instruction that failed while the engine built it, such as a RUN whose command exited non-zero. */
export class InstructionError extends EngineError {
  /** 1-based number of the instruction, from the engine's last `Step N/M` line; absent in a quiet build. */
  readonly index?: number;
  /** The engine's own message, e.g. `The command '/bin/sh -c exit 3' returned a non-zero code: 3`. */
  readonly reason: string;
  /** Exit code of the instruction's command, when the engine reports one. */
  readonly commandExitCode?: number;

  constructor(
    message: string,
    details: { instruction?: string; index?: number; reason: string; commandExitCode?: number },
    options: WeldErrorOptions = {},
  ) {
    super(message, { ...options, instruction: details.instruction });
    this.name = 'InstructionError';
    this.index = details.index;
    this.reason = details.reason;
    this.commandExitCode = details.commandExitCode;
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
