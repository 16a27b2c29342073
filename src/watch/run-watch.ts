// `weld --watch` from the command line: run a watch session with the settings of
// a single run until the signal aborts (Ctrl-C, SIGTERM, `q` in the console), and
// return the exit code.

import type { RunBuildOptions } from '../build/run-build.js';
import type { BuildPlan } from '../build/plan.js';
import { loadIgnoreMatcher } from '../engine/context.js';
import { ExitCode, WeldError, type ExitCodeValue } from '../errors.js';
import { DEFAULT_POLL_INTERVAL_MS } from './file-watcher.js';
import { startWatchSession, type WatchEnd, type WatchSession } from './watch-session.js';

export interface RunWatchOptions extends RunBuildOptions {
  /** Loads build.yml and plans it again, for when it or a Dockerfile changes. */
  reloadPlan(): Promise<BuildPlan>;
  /** `--poll`: an interval in milliseconds, or true for the default interval. */
  poll?: number | boolean;
  /** Receives the session once it starts, so that a console key can call `requestFullRebuild()`. */
  onSession?(session: WatchSession): void;
}

/**
 * Watches and rebuilds until `options.signal` aborts, then cleans up and returns 130;
 * returns 2 or 1 when the session ends by itself because what to watch could not be
 * worked out (a .dockerignore that cannot be read, for one).
 * `runId`, `only` and `previousFacts` of the options are set per run by the session;
 * `keepArtifacts` decides whether artifacts stay once the session ends.
 */
export async function runWatch(options: RunWatchOptions): Promise<ExitCodeValue> {
  const { plan, reloadPlan, poll, onSession, signal, keepArtifacts, runId: _runId, only: _only, previousFacts: _facts, ...settings } = options;
  let pollMs: number | undefined;
  if (poll === true) pollMs = DEFAULT_POLL_INTERVAL_MS;
  else if (typeof poll === 'number') pollMs = poll;

  const session = startWatchSession({ plan, reloadPlan, settings, keepArtifacts, pollMs, loadIgnoreMatcher });
  onSession?.(session);
  const stop = (): void => void session.stop();
  signal.addEventListener('abort', stop, { once: true });
  if (signal.aborted) stop();

  let end: WatchEnd;
  try {
    end = await session.done;
  } finally {
    signal.removeEventListener('abort', stop);
  }
  if (signal.aborted) return ExitCode.interrupted;
  if (end.error === undefined) return ExitCode.ok;
  // The session has reported the error as a watch-error event already.
  return end.error instanceof WeldError ? end.error.exitCode : ExitCode.buildFailed;
}
