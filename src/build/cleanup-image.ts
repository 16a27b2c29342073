// `cleanup.commands`: run each command in a container of the step's image, then
// squash the result into a one-layer image under the step's name, so that what the
// commands removed is in no layer of it. Habitus did the same with `docker save`, a
// tar rewrite and `docker load`, which needed root on the host; weld uses the engine's
// export and import APIs instead.

import { debug } from '../debug.js';
import { CancelledError, WeldError } from '../errors.js';
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

/**
 * Returns the id of the image the step's name points to when it is a squash of an
 * earlier run. Each squash makes a new image even when every instruction came from the
 * cache, so without removing the old one a watch session would leave one untagged image
 * behind per rebuild.
 */
export async function findPreviousSquash(planned: PlannedStep, settings: StepSettings): Promise<string | undefined> {
  if (planned.step.cleanupCommands.length === 0 || settings.cleanup === false) return undefined;
  try {
    const facts = await settings.engine.inspectImage(planned.image);
    return isSquashHistory(facts.layers) ? facts.id : undefined;
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
 * Runs the step's `cleanup.commands` one after another, each in a container of the
 * result of the one before, and squashes the last container into the step's image.
 * Does nothing without cleanup commands; logs that it skipped them with `--no-cleanup`.
 * A command exiting non-zero fails the step and leaves the built image as it was.
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
  let image = context.builtImageId;
  let containerId: string | undefined;
  let squashedId: string | undefined;
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
    squashedId = squashed.imageId;
    context.log('cleanup', `squashed ${planned.image} into one layer (${squashed.imageId.slice(7, 19)})`);
  } finally {
    await removeLeftovers(context, containerId, committed);
  }
  if (signal.aborted) throw new CancelledError();

  await removeBuiltImage(context);
  if (squashedId) await removePreviousSquash(context, squashedId);
}
