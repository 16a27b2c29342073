// The paths a watch session watches for a plan: each step's context folder minus what
// its .dockerignore excludes, each Dockerfile (also outside its context), and
// build.yml. What weld writes itself is never watched: artifact roots, the folders
// a run created for them, and extraction temp folders.

import type { Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import type { BuildPlan } from '../build/plan.js';
import { findFirstMissingFolder } from '../build/run-step.js';
import { hasIgnoredSegment, isIgnoredName, isInsideOrEqual } from './ignore-rules.js';

/** Returns true when .dockerignore excludes the path, given relative to the context with forward slashes. */
export type IgnoreMatcher = (relativePath: string) => boolean;

/** Loads the .dockerignore rules of a context folder, the same rules context packing applies. */
export type LoadIgnoreMatcher = (contextDir: string) => Promise<IgnoreMatcher>;

/** One context folder and the steps built from it. */
export interface ContextTarget {
  /** Absolute path of the folder. */
  dir: string;
  /** Labels of the steps whose context it is, in build.yml order. */
  steps: string[];
  isExcluded: IgnoreMatcher;
  /**
   * True when .dockerignore has `!` exceptions, so that an excluded folder may still
   * hold included files and must be watched inside.
   */
  hasExceptions: boolean;
  /** Absolute path of the folder's .dockerignore, watched whether it exists or not. */
  ignoreFile: string;
}

export interface WatchTargets {
  /** Absolute path of build.yml. */
  buildFile: string;
  workDir: string;
  contexts: ContextTarget[];
  /** Absolute Dockerfile path → labels of the steps built from it. */
  dockerfiles: Map<string, string[]>;
  /** Absolute paths weld writes (artifact roots and the folders created for them). */
  written: string[];
  /** Absolute paths handed to the watcher: context folders, Dockerfiles, build.yml. */
  roots: string[];
}

/** The role of one changed path in the plan. */
export interface PathRole {
  /** The path is build.yml. */
  isBuildFile: boolean;
  /** Labels of the steps built from this Dockerfile. */
  dockerfileOf: string[];
  /** Labels of the steps whose context contains the path and does not exclude it. */
  contextOf: string[];
  /** Labels of the steps whose .dockerignore this is. */
  ignoreFileOf: string[];
}

export interface LoadWatchTargetsOptions {
  loadIgnoreMatcher: LoadIgnoreMatcher;
  /** Paths earlier runs of the session created (artifact roots and their folders). */
  createdPaths?: Iterable<string>;
}

const NO_ROLE: PathRole = { isBuildFile: false, dockerfileOf: [], contextOf: [], ignoreFileOf: [] };

async function readExceptions(ignoreFile: string): Promise<boolean> {
  try {
    const text = await readFile(ignoreFile, 'utf8');
    return text.split(/\r?\n/).some((line) => line.trim().startsWith('!'));
  } catch {
    return false;
  }
}

/** Returns the path relative to `dir` with forward slashes, as .dockerignore rules match it. */
function toContextPath(dir: string, target: string): string {
  return path.relative(dir, target).split(path.sep).join('/');
}

/** Lists what weld writes for the plan's artifacts: each root, and each destination folder a run would create. */
async function listWrittenPaths(plan: BuildPlan, createdPaths: Iterable<string>): Promise<string[]> {
  const written = new Set<string>(createdPaths);
  for (const planned of plan.steps.values()) {
    for (const artifact of planned.step.artifacts) {
      const destinationDir = path.resolve(plan.manifest.workDir, artifact.destination);
      written.add(path.join(destinationDir, path.posix.basename(artifact.source)));
      const missing = await findFirstMissingFolder(destinationDir);
      if (missing) written.add(missing);
    }
  }
  return [...written];
}

/** Works out what to watch for `plan`, loading every context's .dockerignore. */
export async function loadWatchTargets(plan: BuildPlan, options: LoadWatchTargetsOptions): Promise<WatchTargets> {
  const contextsByDir = new Map<string, string[]>();
  const dockerfiles = new Map<string, string[]>();
  for (const label of plan.graph.labels) {
    const { step } = plan.steps.get(label)!;
    contextsByDir.set(step.contextDir, [...(contextsByDir.get(step.contextDir) ?? []), label]);
    dockerfiles.set(step.dockerfilePath, [...(dockerfiles.get(step.dockerfilePath) ?? []), label]);
  }

  const contexts: ContextTarget[] = [];
  for (const [dir, steps] of contextsByDir) {
    const ignoreFile = path.join(dir, '.dockerignore');
    contexts.push({
      dir,
      steps,
      isExcluded: await options.loadIgnoreMatcher(dir),
      hasExceptions: await readExceptions(ignoreFile),
      ignoreFile,
    });
  }

  const roots = new Set<string>([plan.manifest.file, ...contextsByDir.keys(), ...dockerfiles.keys()]);
  return {
    buildFile: plan.manifest.file,
    workDir: plan.manifest.workDir,
    contexts,
    dockerfiles,
    written: await listWrittenPaths(plan, options.createdPaths ?? []),
    roots: [...roots],
  };
}

function isWritten(targets: WatchTargets, candidate: string): boolean {
  return targets.written.some((written) => isInsideOrEqual(candidate, written));
}

/** Returns how a changed path (absolute) relates to the plan; a path nothing reads gets no role. */
export function classifyPath(targets: WatchTargets, changed: string): PathRole {
  if (isWritten(targets, changed)) return NO_ROLE;

  const isBuildFile = changed === targets.buildFile;
  const dockerfileOf = targets.dockerfiles.get(changed) ?? [];
  const contextOf: string[] = [];
  const ignoreFileOf: string[] = [];
  for (const context of targets.contexts) {
    if (!isInsideOrEqual(changed, context.dir) || changed === context.dir) continue;
    if (changed === context.ignoreFile) {
      // Docker sends .dockerignore with every context, even when it excludes itself.
      ignoreFileOf.push(...context.steps);
      contextOf.push(...context.steps);
      continue;
    }
    const relative = toContextPath(context.dir, changed);
    if (hasIgnoredSegment(relative) || context.isExcluded(relative)) continue;
    contextOf.push(...context.steps);
  }

  if (!isBuildFile && dockerfileOf.length === 0 && contextOf.length === 0) return NO_ROLE;
  return { isBuildFile, dockerfileOf, contextOf, ignoreFileOf };
}

/**
 * Creates the `ignored` function for chokidar: true for a path not to watch. A folder
 * that .dockerignore excludes is not entered, unless the file has `!` exceptions that
 * could bring back something inside it.
 */
export function createWatchFilter(targets: WatchTargets): (candidate: string, stats?: Stats) => boolean {
  const roots = new Set(targets.roots);
  return (candidate, stats) => {
    if (roots.has(candidate)) return false;
    if (isIgnoredName(path.basename(candidate))) return true;
    if (isWritten(targets, candidate)) return true;
    // chokidar may ask about the folders above a root while it sets the root up.
    if (targets.roots.some((root) => isInsideOrEqual(root, candidate))) return false;

    for (const context of targets.contexts) {
      if (!isInsideOrEqual(candidate, context.dir)) continue;
      if (candidate === context.ignoreFile) return false;
      const relative = toContextPath(context.dir, candidate);
      if (hasIgnoredSegment(relative)) continue;
      if (!context.isExcluded(relative)) return false;
      if (context.hasExceptions && (stats === undefined || stats.isDirectory())) return false;
    }
    return true;
  };
}
