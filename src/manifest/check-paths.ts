// Checks on the disk: each step's context folder and Dockerfile exist, and no artifact
// destination is a file.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Stats } from 'node:fs';

import { InputError } from '../errors.js';
import type { ManifestLines } from './parse.js';
import { displayPath, problemsError, type Problem } from './problems.js';
import type { ArtifactSpec, Manifest, Step } from './types.js';

export interface CheckPathsOptions {
  /** Lines of the `context` and `dockerfile` keys; without them messages give the step's line. */
  lines?: ManifestLines;
  /** build.yml as messages name it; defaults to its path relative to the current folder. */
  fileLabel?: string;
}

type StatResult = { stats: Stats } | { code: string };

async function statPath(target: string): Promise<StatResult> {
  try {
    return { stats: await stat(target) };
  } catch (error) {
    return { code: (error as NodeJS.ErrnoException).code ?? 'unknown error' };
  }
}

/**
 * Returns a hint when `missing` (a path under the work dir) exists under the build
 * file's folder instead: `-f other/build.yml` without `-d other` reads paths from the
 * current folder, as Habitus does.
 */
async function workDirHint(missing: string, workDir: string, buildFile: string): Promise<string | undefined> {
  const buildFolder = path.dirname(buildFile);
  if (buildFolder === workDir) return undefined;
  const candidate = path.join(buildFolder, path.relative(workDir, missing));
  if ('code' in (await statPath(candidate))) return undefined;
  return `paths in build.yml are read from the work dir ${workDir}, and ${candidate} exists: pass \`-d ${displayPath(buildFolder)}\``;
}

async function checkStep(step: Step, workDir: string, buildFile: string, lines: ManifestLines | undefined): Promise<Problem[]> {
  const contextLine = lines?.stepKeyLine(step.label, 'context') ?? step.line;
  const context = await statPath(step.contextDir);

  if ('code' in context) {
    const message = context.code === 'ENOENT' ? `context folder of step \`${step.label}\` not found: ${step.contextDir}` : `cannot read the context folder of step \`${step.label}\`: ${step.contextDir} (${context.code})`;
    const hint = (await workDirHint(step.contextDir, workDir, buildFile)) ?? `\`context: ${step.context}\` is relative to the work dir ${workDir}; fix the path or create the folder`;
    return [{ message, hint, line: contextLine }];
  }
  if (!context.stats.isDirectory()) {
    return [{ message: `context of step \`${step.label}\` is not a folder: ${step.contextDir}`, hint: '`context` names the folder sent to Docker as the build context', line: contextLine }];
  }

  const dockerfileLine = lines?.stepKeyLine(step.label, 'dockerfile');
  const dockerfile = await statPath(step.dockerfilePath);
  const hint =
    dockerfileLine === undefined
      ? `the step has no \`dockerfile\`, so weld looked for \`Dockerfile\` in its context folder ${step.contextDir}; add \`dockerfile:\` naming the file`
      : `\`dockerfile: ${step.dockerfile}\` is relative to the step's context folder ${step.contextDir}; fix the path or create the file`;

  if ('code' in dockerfile) {
    const message = dockerfile.code === 'ENOENT' ? `Dockerfile of step \`${step.label}\` not found: ${step.dockerfilePath}` : `cannot read the Dockerfile of step \`${step.label}\`: ${step.dockerfilePath} (${dockerfile.code})`;
    return [{ message, hint: (await workDirHint(step.dockerfilePath, workDir, buildFile)) ?? hint, line: dockerfileLine ?? step.line }];
  }
  if (!dockerfile.stats.isFile()) {
    return [{ message: `Dockerfile of step \`${step.label}\` is not a file: ${step.dockerfilePath}`, hint, line: dockerfileLine ?? step.line }];
  }
  return [];
}

/**
 * Returns `folder` or the nearest path above it, up to `stopAt`, when that path exists and
 * is not a folder: an artifact copy could not create its folder there.
 */
export async function findNonFolder(folder: string, stopAt?: string): Promise<string | undefined> {
  for (let current = folder; ; current = path.dirname(current)) {
    const found = await statPath(current);
    if (!('code' in found)) return found.stats.isDirectory() ? undefined : current;
    // ENOENT: not there yet, the copy creates it; ENOTDIR: a path further up is a file.
    if ((found.code !== 'ENOENT' && found.code !== 'ENOTDIR') || current === stopAt || path.dirname(current) === current) return undefined;
  }
}

/** Returns the hint for an artifact destination that is a file, with an example folder other than the one written. */
export function destinationFileHint(artifact: Pick<ArtifactSpec, 'source' | 'destination'>): string {
  const example = artifact.destination === 'out' ? 'dist' : 'out';
  return `the destination after \`:\` is the folder that receives the copy: write \`${artifact.source}\` to copy it into the work dir, or name a folder, such as \`${artifact.source}:${example}\``;
}

/** Returns a problem for each artifact whose destination, or a path above it inside the work dir, is a file. */
async function checkArtifactDestinations(step: Step, workDir: string, lines: ManifestLines | undefined): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const [index, artifact] of step.artifacts.entries()) {
    const destination = path.resolve(workDir, artifact.destination);
    const nonFolder = await findNonFolder(destination, workDir);
    if (nonFolder === undefined) continue;

    const where = nonFolder === destination ? 'is a file' : `is inside \`${path.relative(workDir, nonFolder)}\`, which is a file`;
    problems.push({
      message: `destination \`${artifact.destination}\` of artifact \`${artifact.spec}\` in step \`${step.label}\` ${where}, not a folder`,
      hint: destinationFileHint(artifact),
      line: lines?.artifactLine(step.label, index) ?? step.line,
    });
  }
  return problems;
}

/** Throws an InputError when the work dir is missing or not a folder. */
export async function checkWorkDir(workDir: string): Promise<void> {
  const found = await statPath(workDir);
  if ('code' in found || !found.stats.isDirectory()) {
    throw new InputError(`work dir not found: ${workDir}`, {
      hint: 'pass an existing folder with `-d`; without it the work dir is the current folder, as in Habitus',
    });
  }
}

/**
 * Checks that the work dir, and each step's context folder and Dockerfile, exist. Throws one
 * InputError listing every path that is missing, naming the path looked for.
 */
export async function checkManifestPaths(manifest: Manifest, options: CheckPathsOptions = {}): Promise<void> {
  await checkWorkDir(manifest.workDir);
  const problems = (
    await Promise.all(
      manifest.steps.map(async (step) => [...(await checkStep(step, manifest.workDir, manifest.file, options.lines)), ...(await checkArtifactDestinations(step, manifest.workDir, options.lines))]),
    )
  ).flat();
  if (problems.length > 0) throw problemsError(options.fileLabel ?? displayPath(manifest.file), problems);
}
