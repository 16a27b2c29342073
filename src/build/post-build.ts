// The phases of a step after its image is built, in Habitus's order: the cleanup
// commands and squash (cleanup-image.ts), the artifacts (run-step.ts), the step's
// `command` in a container of the image, and its `after_build_command` on the host.

import { quote } from 'shell-quote';

import { debug } from '../debug.js';
import { CancelledError, WeldError } from '../errors.js';
import type { PlannedStep } from './plan.js';
import type { StepSettings } from './run-step.js';
import { splitCommand } from './split-command.js';

/** Which phase printed a step-log line. */
export type PhaseLogSource = 'build' | 'artifact' | 'cleanup' | 'command' | 'after-build';

/** What a phase needs of the step it runs for. */
export interface PhaseContext {
  planned: PlannedStep;
  settings: StepSettings;
  /** Id of the image the build produced, before any squash. */
  builtImageId: string;
  /** Id of the image the step's name pointed to before this build, for a step with cleanup commands. */
  previousImageId?: string;
  /** Id of the squashed image the step's name pointed to before this build, if any. */
  previousSquashId?: string;
  /** Writes a line to the step's log. */
  log(source: PhaseLogSource, line: string): void;
  signal: AbortSignal;
}

/** How long a host command gets to exit after SIGTERM before it is sent SIGKILL. */
const HOST_KILL_GRACE_MS = 5_000;

/** Labels of the containers a phase creates, so that the end of the run removes any left. */
export function containerLabels(context: PhaseContext): Record<string, string> {
  return { 'weld.run': context.settings.runId, 'weld.step': context.planned.step.label };
}

/** Announces that the step runs commands now, so the console shows it as running. */
export function announceRunning(context: PhaseContext): void {
  context.settings.emit({ type: 'step-phase', time: Date.now(), step: context.planned.step.label, state: 'running' });
}

/**
 * Runs the step's `command` in a new container of its image, with the output in the
 * step's log. A non-zero exit fails the step. The container is removed whatever
 * happens, an abort included.
 */
export async function runImageCommand(context: PhaseContext): Promise<void> {
  const { planned, settings, signal } = context;
  const { step } = planned;
  if (step.command === undefined) return;

  const argv = splitCommand(step.command, `command of step ${step.label}`);
  announceRunning(context);
  context.log('command', `running ${step.command} in ${planned.image}`);
  const exit = await settings.engine.runContainer(
    {
      image: planned.image,
      argv,
      labels: containerLabels(context),
      network: settings.network,
      memoryBytes: settings.memoryBytes,
      cpuShares: settings.cpuShares,
      cpusetCpus: settings.cpusetCpus,
    },
    (output) => context.log('command', output.line),
    signal,
  );
  if (signal.aborted) throw new CancelledError();

  if (exit.exitCode !== 0) {
    throw new WeldError(`step ${step.label}: command \`${step.command}\` exited with code ${exit.exitCode}`, {
      hint: `the step's log shows the command's output; to run it by hand: docker run --rm --entrypoint ${quote(argv.slice(0, 1))} ${planned.image} ${quote(argv.slice(1))}`,
    });
  }
  context.log('command', `command exited with code 0`);
}

/** Stops a host command and everything it started: it runs in its own process group. */
function killProcessGroup(pid: number | undefined, signalName: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signalName);
  } catch (error) {
    // ESRCH: the group has exited already.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') debug('build', `could not send ${signalName} to process group ${pid}`, String(error));
  }
}

/**
 * Runs the step's `after_build_command` with `sh -c`, as Habitus did, in the work dir
 * (Habitus used its current folder), but only when `--after-build-commands` allows host
 * commands; otherwise the step's log says it was skipped. A non-zero exit fails the step. Aborting `signal` stops the
 * command and every process it started.
 */
export async function runAfterBuildCommand(context: PhaseContext): Promise<void> {
  const { planned, settings, signal } = context;
  const { step } = planned;
  if (step.afterBuildCommand === undefined) return;

  if (!settings.afterBuildCommands) {
    context.log('after-build', `skipped after_build_command \`${step.afterBuildCommand}\`: weld runs host commands only with --after-build-commands`);
    return;
  }
  if (signal.aborted) throw new CancelledError();

  announceRunning(context);
  context.log('after-build', `running ${step.afterBuildCommand} on this host`);
  // execa is loaded here, not at start, because few builds have after-build commands.
  const { execa } = await import('execa');
  // A process group of its own lets an abort stop the shell and its children at once.
  const subprocess = execa('sh', ['-c', step.afterBuildCommand], {
    cwd: settings.workDir,
    stdin: 'ignore',
    all: true,
    buffer: false,
    reject: false,
    detached: true,
  });
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    killProcessGroup(subprocess.pid, 'SIGTERM');
    killTimer = setTimeout(() => killProcessGroup(subprocess.pid, 'SIGKILL'), HOST_KILL_GRACE_MS);
  };
  signal.addEventListener('abort', stop, { once: true });
  // A detached group outlives weld, so a process that exits at once (a second Ctrl-C) kills it on the way out.
  const killOnExit = (): void => killProcessGroup(subprocess.pid, 'SIGKILL');
  process.on('exit', killOnExit);

  try {
    for await (const line of subprocess.iterable({ from: 'all' })) context.log('after-build', line);
    const result = await subprocess;
    if (signal.aborted) throw new CancelledError();
    if (result.failed) {
      const reason = result.exitCode !== undefined ? `exited with code ${result.exitCode}` : `failed: ${result.shortMessage}`;
      throw new WeldError(`step ${step.label}: after_build_command \`${step.afterBuildCommand}\` ${reason}`, {
        hint: `the step's log shows the command's output; it ran with sh -c in ${settings.workDir}`,
        cause: result,
      });
    }
  } finally {
    signal.removeEventListener('abort', stop);
    process.off('exit', killOnExit);
    clearTimeout(killTimer);
  }
}
