// Copying one artifact of a step out of its image: check the destination folder,
// create it when missing, copy through the engine, and name the artifact's build.yml
// line in any error.

import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

import { debug } from '../debug.js';
import { WeldError, isCancellation } from '../errors.js';
import type { ArtifactSpec } from '../manifest/types.js';
import { destinationFileHint, findNonFolder } from '../manifest/check-paths.js';
import { readYaml } from '../manifest/read-yaml.js';
import type { PlannedStep } from './plan.js';
import type { StepSettings } from './run-step.js';

/** The step and artifact being copied. */
export interface ArtifactCopy {
  planned: PlannedStep;
  artifact: ArtifactSpec;
  /** Position of the artifact in the step's `artifacts` list. */
  index: number;
  settings: StepSettings;
  signal: AbortSignal;
}

/** Returns the topmost ancestor of `folder` (or `folder`) that does not exist yet, if any. */
export async function findFirstMissingFolder(folder: string): Promise<string | undefined> {
  let missing: string | undefined;
  let current = folder;
  for (;;) {
    try {
      await stat(current);
      return missing;
    } catch {
      missing = current;
      const parent = path.dirname(current);
      if (parent === current) return missing;
      current = parent;
    }
  }
}

async function pathExists(candidate: string): Promise<boolean> {
  try {
    await stat(candidate);
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns the line of the artifact's entry in build.yml. The manifest keeps only the
 * step's line, so the file is read again, which happens only for an error. The step's
 * line stands in when the entry cannot be found, as when `_env()` wrote the step's key.
 */
async function findArtifactLine(buildFile: string, planned: PlannedStep, index: number): Promise<number> {
  try {
    const { positions } = readYaml(await readFile(buildFile, 'utf8'), path.basename(buildFile));
    return positions.find(['build', 'steps', planned.step.label, 'artifacts', index])?.line ?? planned.step.line;
  } catch (error) {
    debug('build', `could not find the line of artifact ${index + 1} of step ${planned.step.label}`, String(error));
    return planned.step.line;
  }
}

/** Returns `step \`app\`, build.yml:7`, naming the artifact's entry in build.yml. */
async function describeEntry(copy: ArtifactCopy): Promise<string> {
  const line = await findArtifactLine(copy.settings.buildFile, copy.planned, copy.index);
  return `step \`${copy.planned.step.label}\`, ${path.basename(copy.settings.buildFile)}:${line}`;
}

/** Throws when the destination, or a path above it, is a file: the copy could not create its temp folder there. */
async function checkDestination(copy: ArtifactCopy, destinationDir: string): Promise<void> {
  const nonFolder = await findNonFolder(destinationDir);
  if (nonFolder === undefined) return;

  const { artifact, settings } = copy;
  const shown = path.relative(settings.workDir, nonFolder) || '.';
  const where = nonFolder === destinationDir ? `is a file` : `is inside \`${shown}\`, which is a file`;
  throw new WeldError(`destination \`${artifact.destination}\` of artifact \`${artifact.spec}\` ${where}, not a folder (${await describeEntry(copy)})`, {
    hint: destinationFileHint(artifact),
  });
}

/**
 * Copies one artifact into its destination folder, creating the folder when missing,
 * and emits the artifact events. The paths the copy creates are recorded for removal
 * at the end of the run. An error names the artifact's step and build.yml line.
 */
export async function copyArtifact(copy: ArtifactCopy): Promise<void> {
  const { planned, artifact, settings, signal } = copy;
  const { emit } = settings;
  const label = planned.step.label;
  const destinationDir = path.resolve(settings.workDir, artifact.destination);
  await checkDestination(copy, destinationDir);
  const createdFolder = await findFirstMissingFolder(destinationDir);
  const rootExisted = await pathExists(path.join(destinationDir, path.posix.basename(artifact.source)));
  const startedAt = Date.now();
  let announced = false;

  const announce = (totalBytes: number): void => {
    if (announced) return;
    announced = true;
    emit({ type: 'artifact-started', time: Date.now(), step: label, source: artifact.source, destination: artifact.destination, totalBytes });
  };

  if (createdFolder) await mkdir(destinationDir, { recursive: true });
  if (createdFolder) settings.recordCreatedPath(createdFolder);

  let result;
  try {
    result = await settings.engine.copyFromImage(
      {
        image: planned.image,
        sourcePath: artifact.source,
        destinationDir,
        labels: { 'weld.run': settings.runId, 'weld.step': label },
        onProgress: (bytes, total) => {
          announce(total);
          emit({ type: 'artifact-progress', time: Date.now(), step: label, source: artifact.source, bytes, totalBytes: total });
        },
      },
      signal,
    );
  } catch (error) {
    if (signal.aborted || isCancellation(error) || !(error instanceof WeldError)) throw error;
    throw new WeldError(`${error.message} (${await describeEntry(copy)})`, { hint: error.hint, exitCode: error.exitCode, cause: error });
  }

  announce(result.bytes);
  if (!createdFolder && !rootExisted) settings.recordCreatedPath(result.path);
  emit({
    type: 'artifact-finished',
    time: Date.now(),
    step: label,
    source: artifact.source,
    destination: artifact.destination,
    bytes: result.bytes,
    durationMs: Date.now() - startedAt,
  });
}
