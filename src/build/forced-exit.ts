// What a run says when the process exits at once (a second Ctrl-C, or a second `q` in
// the console) before the run could clean up. `process.exit` runs no `finally` block
// and no promise, only 'exit' listeners, which must be synchronous: the listener here
// names what is left and how to remove it. The engine layer removes the copies' temp
// folders in a listener of its own (extract/staging.ts).

import { writeSync } from 'node:fs';
import path from 'node:path';

import { quote } from 'shell-quote';

/** What a run has created that its normal end would remove. */
export interface RunLeftovers {
  runId: string;
  /** Artifact paths the run created and would remove at its end (none with --keep-artifacts). */
  createdPaths: string[];
  /** Artifact paths earlier runs of a watch session created, which the session's end would remove. */
  earlierPaths?: ReadonlySet<string>;
  /** True while containers of the run may exist: from the first phase that creates one until the run removed them. */
  containersMayExist: boolean;
}

/** Returns a path as a command run in `cwd` would take it: relative when below `cwd`. */
function showPath(absolute: string, cwd: string): string {
  const relative = path.relative(cwd, absolute);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
}

/**
 * Returns the one line printed at a forced exit: what the run may leave behind and the
 * command that removes it, or that it leaves nothing weld knows of. Containers are named
 * from the first phase that creates one until the run removed them, whether one exists
 * at the moment of the exit or not.
 */
export function describeLeftovers(leftovers: RunLeftovers, cwd: string): string {
  const paths = [...new Set([...(leftovers.earlierPaths ?? []), ...leftovers.createdPaths])].map((created) => showPath(created, cwd));
  const parts: string[] = [];
  const commands: string[] = [];
  if (paths.length > 0) {
    parts.push(paths.join(', '));
    commands.push(`rm -rf ${quote(paths)}`);
  }
  if (leftovers.containersMayExist) {
    parts.push(`the containers of run ${leftovers.runId}`);
    // xargs -r runs nothing when no container is left, where `docker rm -f` alone would fail.
    commands.push(`docker ps -aq --filter label=weld.run=${leftovers.runId} | xargs -r docker rm -f`);
  }
  if (parts.length === 0) return `weld: exited at once; run ${leftovers.runId} left no artifacts or containers that weld knows of`;
  return `weld: exited at once and may have left ${parts.join(' and ')}; to remove them: ${commands.join(' && ')}`;
}

/**
 * Prints the leftovers of the run on stderr if the process exits before `stop` is
 * called. Returns `stop`, which the run calls once it has cleaned up.
 */
export function reportLeftoversOnExit(leftovers: RunLeftovers): () => void {
  const onExit = (): void => {
    const line = `${describeLeftovers(leftovers, process.cwd())}\n`;
    // With stderr in a file and the console on the terminal, the terminal gets the line too.
    const streams = process.stderr.isTTY || !process.stdout.isTTY ? [process.stderr] : [process.stderr, process.stdout];
    for (const stream of streams) {
      try {
        writeSync(stream.fd, line);
      } catch {
        // The stream is closed: there is no one to tell there.
      }
    }
  };
  process.on('exit', onExit);
  return () => process.off('exit', onExit);
}
