// `cleanup.commands`: run each command in a container of the step's image, then
// squash the result into a one-layer image under the step's name, so that what the
// commands removed is in no layer of it. Habitus did the same with `docker save`, a
// tar rewrite and `docker load`, which needed root on the host; weld uses the engine's
// export and import APIs instead.

import { debug } from '../debug.js';
import { CancelledError, WeldError, isCancellation } from '../errors.js';
import type { Layer } from './events.js';
import type { PlannedStep } from './plan.js';
import { announceRunning, containerLabels, type PhaseContext } from './post-build.js';
import type { StepSettings } from './run-step.js';
import { splitCommand } from './split-command.js';

/** History entry of a metadata instruction that the build finishing a squash applies. */
const SQUASH_INSTRUCTION_ENTRY = /#\(nop\)\s+(STOPSIGNAL|SHELL|ONBUILD)\b/;

/**
 * Returns whether a history, newest first, is that of a squash: the oldest entry is the
 * import, which records no instruction, and any newer ones are the 0 B STOPSIGNAL,
 * SHELL and ONBUILD entries of the build that sets what the import cannot.
 */
function isSquashHistory(layers: Layer[]): boolean {
  const oldest = layers.at(-1);
  if (!oldest || oldest.createdBy !== '') return false;
  return layers.slice(0, -1).every((layer) => layer.sizeBytes === 0 && SQUASH_INSTRUCTION_ENTRY.test(layer.createdBy));
}

/** The image the step's name pointed to before this run's build. */
export interface PreviousImage {
  id: string;
  /** True when it is the squash of an earlier run. */
  isSquash: boolean;
}

/**
 * Returns the image the step's name points to before the build, for a step with cleanup
 * commands. A cleanup that fails tags it again, and a squash of an earlier run is
 * removed once replaced: each squash makes a new image even when every instruction
 * came from the cache, so without that a watch session would leave one untagged image
 * behind per rebuild.
 */
export async function findPreviousImage(planned: PlannedStep, settings: StepSettings): Promise<PreviousImage | undefined> {
  if (planned.step.cleanupCommands.length === 0 || settings.cleanup === false) return undefined;
  try {
    const facts = await settings.engine.inspectImage(planned.image);
    return { id: facts.id, isSquash: isSquashHistory(facts.layers) };
  } catch {
    // No image of that name yet.
    return undefined;
  }
}

/** Removes the squash of an earlier run, which the new squash has untagged, unless something still uses it. */
async function removePreviousSquash(context: PhaseContext, squashedId: string): Promise<void> {
  const previous = context.previousSquashId;
  if (!previous || previous === squashedId) return;
  try {
    await context.settings.engine.removeImage(previous, { force: false, noPrune: context.settings.noPruneRmi ?? false });
  } catch (error) {
    // A container, a child image (another step built FROM it) or another tag still uses it.
    debug('build', `kept the earlier squashed image ${previous}`, String(error));
  }
}

/** Removes the images and the container a cleanup created, logging what cannot be removed. */
async function removeLeftovers(context: PhaseContext, containerId: string | undefined, images: string[]): Promise<void> {
  const { engine } = context.settings;
  if (containerId) {
    await engine.removeContainer(containerId).catch((error: unknown) => debug('build', `could not remove cleanup container ${containerId}`, String(error)));
  }
  for (const image of [...images].reverse()) {
    await engine
      .removeImage(image, { force: true, noPrune: false })
      .catch((error: unknown) => debug('build', `could not remove intermediate cleanup image ${image}`, String(error)));
  }
}

/**
 * Removes the image the build produced, now that the squashed image carries the step's
 * name, because it still contains every file the cleanup commands removed. `--keep-all`
 * keeps it, and with it the layer cache of the step's instructions.
 */
async function removeBuiltImage(context: PhaseContext): Promise<void> {
  const { settings, builtImageId } = context;
  if (settings.keepAll) {
    context.log('cleanup', `kept the image before cleanup (${builtImageId.slice(7, 19)}) for --keep-all; it still contains what the cleanup removed`);
    return;
  }
  try {
    await settings.engine.removeImage(builtImageId, { force: false, noPrune: settings.noPruneRmi ?? false });
  } catch (error) {
    // Another tag or a child image still uses it; the squashed image is sound either way.
    debug('build', `could not remove the image ${builtImageId} from before the cleanup`, String(error));
    context.log('cleanup', `the image before cleanup (${builtImageId.slice(7, 19)}) is still in use and stays in the engine`);
  }
}

/**
 * Moves the step's tag off the image the build made, after a cleanup that failed or was
 * cancelled: that image still contains what the cleanup should have removed, and a later
 * `docker push` of the tag would ship it. The tag goes back to the image it named before
 * this run, if there was one other than the built image; otherwise it is removed, which
 * removes the built image too when no other tag names it. Returns what happened, for the
 * step's error.
 */
async function moveTagOffBuiltImage(context: PhaseContext): Promise<{ done: string } | { failed: string }> {
  const { planned, settings, builtImageId, previousImageId } = context;
  const { engine } = settings;
  if (previousImageId && previousImageId !== builtImageId) {
    try {
      await engine.tagImage(previousImageId, planned.image);
      const removed = settings.keepAll ? false : await engine.removeUntaggedImage(builtImageId).catch(() => false);
      debug('build', `tagged ${planned.image} back to ${previousImageId}; removed the built image: ${removed}`);
      return { done: `${planned.image} names the image from before this run again (${previousImageId.slice(7, 19)})` };
    } catch (error) {
      debug('build', `could not tag ${previousImageId} as ${planned.image} again`, String(error));
    }
  }
  try {
    await engine.removeImage(planned.image, { force: false, noPrune: settings.noPruneRmi ?? false });
    return { done: `weld removed the tag ${planned.image} from the image before cleanup` };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { failed: `the tag ${planned.image} still names the image before cleanup, which contains what the cleanup should remove (${reason})` };
  }
}

/**
 * Runs the cleanup commands, each in a container of the result of the one before, and
 * squashes the last container into the step's image. Returns the squashed image's id.
 */
async function runAndSquash(context: PhaseContext, argvs: string[][]): Promise<string> {
  const { planned, settings, signal } = context;
  const { step } = planned;
  const commands = step.cleanupCommands;
  let image = context.builtImageId;
  let containerId: string | undefined;
  const committed: string[] = [];

  try {
    for (const [index, command] of commands.entries()) {
      context.log('cleanup', `running ${command}`);
      // Cleanup commands delete files; they get no network, so that none can fetch more.
      const exit = await settings.engine.runContainer(
        { image, argv: argvs[index]!, labels: containerLabels(context), network: 'none', keep: true },
        (output) => context.log('cleanup', output.line),
        signal,
      );
      containerId = exit.containerId;
      if (exit.exitCode !== 0) {
        throw new WeldError(`step ${step.label}: cleanup command \`${command}\` exited with code ${exit.exitCode}`, {
          hint: "the step's log shows its output; run weld with --no-cleanup to build the step without its cleanup commands",
        });
      }
      if (index === commands.length - 1) break;

      image = await settings.engine.commitContainer(containerId, signal);
      committed.push(image);
      await settings.engine.removeContainer(containerId);
      containerId = undefined;
    }

    const squashed = await settings.engine.squashContainer({ containerId: containerId!, configFrom: context.builtImageId, tag: planned.image }, signal);
    context.log('cleanup', `squashed ${planned.image} into one layer (${squashed.imageId.slice(7, 19)})`);
    return squashed.imageId;
  } finally {
    await removeLeftovers(context, containerId, committed);
  }
}

/**
 * Runs the step's `cleanup.commands` and squashes the result into the step's image.
 * Does nothing without cleanup commands; logs that it skipped them with `--no-cleanup`.
 * A command exiting non-zero fails the step. When the cleanup fails or is cancelled,
 * the step's tag does not stay on the built image: see moveTagOffBuiltImage.
 */
export async function cleanUpImage(context: PhaseContext): Promise<void> {
  const { planned, settings, signal } = context;
  const { step } = planned;
  const commands = step.cleanupCommands;
  if (commands.length === 0) return;
  if (settings.cleanup === false) {
    context.log('cleanup', `skipped ${commands.length} cleanup ${commands.length === 1 ? 'command' : 'commands'}: --no-cleanup`);
    return;
  }

  const argvs = commands.map((command, index) => splitCommand(command, `cleanup command ${index + 1} of step ${step.label}`));
  announceRunning(context);
  let squashedId: string;
  try {
    squashedId = await runAndSquash(context, argvs);
  } catch (error) {
    const outcome = await moveTagOffBuiltImage(context);
    if ('done' in outcome) context.log('cleanup', outcome.done);
    if (signal.aborted || isCancellation(error)) throw signal.aborted ? new CancelledError() : error;

    const message = error instanceof Error ? error.message : String(error);
    const hint = error instanceof WeldError ? error.hint : undefined;
    if ('failed' in outcome) {
      throw new WeldError(`${message}; ${outcome.failed}`, {
        hint: `remove the tag with docker rmi ${planned.image} before you push it${hint ? `; ${hint}` : ''}`,
        cause: error,
      });
    }
    throw new WeldError(`${message}; ${outcome.done}`, { hint, cause: error });
  }
  if (signal.aborted) throw new CancelledError();

  await removeBuiltImage(context);
  await removePreviousSquash(context, squashedId);
}
