// Planning: read every step's Dockerfile, find the FROM lines that name another
// step's image, rewrite them for `--uid`, check targets, and build the graph.
// Nothing is built and nothing is written here.

import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { checkInstructions, checkTarget, listFromImages, listVariableFromImages, rewriteFromImages } from '../dockerfile/index.js';
import { InputError } from '../errors.js';
import { createStepGraph, listFinalSteps, selectUpstream, type Edge, type StepGraph } from '../graph/step-graph.js';
import type { Manifest, Step } from '../manifest/types.js';
import { applyUid, normalizeImageReference } from './image-name.js';

export interface PlannedStep {
  step: Step;
  /** Image name and tag the step produces, after `--uid`. */
  image: string;
  /** The Dockerfile to send, with FROM lines naming steps rewritten. */
  dockerfileContent: Buffer;
  /** Dockerfile path relative to the work dir, forward slashes, for messages. */
  dockerfileLabel: string;
  /** Labels of the steps whose image a FROM line of this step names. */
  fromSteps: string[];
}

export interface BuildPlan {
  manifest: Manifest;
  steps: Map<string, PlannedStep>;
  graph: StepGraph;
  /** Labels of the steps nothing depends on. */
  finalSteps: string[];
}

export interface PlanOptions {
  /** Suffix for every image name (`--uid`), so that parallel runs do not collide. */
  uid?: string;
  /** Build args from `--build K=V`, to resolve FROM images written with ARG variables. */
  buildArgs?: Record<string, string>;
}

/** Returns the path relative to the work dir with forward slashes. */
function relativeLabel(workDir: string, file: string): string {
  return path.relative(workDir, file).split(path.sep).join('/') || '.';
}

async function readDockerfile(manifest: Manifest, step: Step): Promise<Buffer> {
  try {
    return await readFile(step.dockerfilePath);
  } catch (error) {
    throw new InputError(
      `step ${step.label}: cannot read Dockerfile ${relativeLabel(manifest.workDir, step.dockerfilePath)} (${manifest.file}:${step.line})`,
      { hint: 'check `dockerfile` and `context` of the step; the Dockerfile path is relative to the context', cause: error },
    );
  }
}

/** Plans the build of a manifest; throws InputError for a cycle, a Dockerfile the engine would reject, or an unknown target. */
export async function planBuild(manifest: Manifest, options: PlanOptions = {}): Promise<BuildPlan> {
  const imageToLabel = new Map<string, string>();
  for (const step of manifest.steps) imageToLabel.set(normalizeImageReference(step.name), step.label);

  const steps = new Map<string, PlannedStep>();
  const edges: Edge[] = [];
  const buildFileName = path.basename(manifest.file);

  for (const step of manifest.steps) {
    const original = await readDockerfile(manifest, step);
    const text = original.toString('utf8');
    const dockerfileLabel = relativeLabel(manifest.workDir, step.dockerfilePath);
    const where = `step \`${step.label}\` (${buildFileName}:${step.line})`;
    checkInstructions(original, dockerfileLabel, where);
    if (step.target) checkTarget(text, step.target, dockerfileLabel, `step \`${step.label}\` (${buildFileName}:${step.targetLine ?? step.line})`);

    const fromSteps = new Map<string, string>();
    for (const from of listFromImages(text)) {
      const label = imageToLabel.get(normalizeImageReference(from.image));
      if (label === step.label) {
        throw new InputError(`step ${step.label}: ${dockerfileLabel}:${from.line} builds FROM ${from.image}, the image of the step itself`, {
          hint: 'name a base image in FROM, or give the step another `name` in build.yml',
        });
      }
      if (label && !fromSteps.has(label)) fromSteps.set(label, `${dockerfileLabel}:${from.line}`);
    }
    // A FROM image written with ARG variables is sent as it is and resolved by the engine.
    // Resolving it here too finds the step it names, so that the step waits for it.
    for (const from of listVariableFromImages(text, { ...options.buildArgs, ...step.args })) {
      const label = from.resolved === undefined ? undefined : imageToLabel.get(normalizeImageReference(from.resolved));
      if (label === undefined || label === step.label) continue;
      if (options.uid) {
        throw new InputError(`step ${step.label}: ${dockerfileLabel}:${from.line} builds FROM ${from.token}, the image of step ${label}, which --uid renames`, {
          hint: `weld rewrites only image names written out: write FROM ${from.resolved}, or run without --uid`,
        });
      }
      if (!fromSteps.has(label)) fromSteps.set(label, `${dockerfileLabel}:${from.line}`);
    }

    const dockerfileContent = rewriteFromImages(original, (image) => {
      const label = imageToLabel.get(normalizeImageReference(image));
      if (!label || !options.uid) return undefined;
      const target = manifest.steps.find((candidate) => candidate.label === label)!;
      return applyUid(target.name, options.uid);
    });

    for (const dependency of step.dependsOn) edges.push({ from: step.label, to: dependency, reason: 'depends_on', at: `${buildFileName}:${step.dependsOnLines?.get(dependency) ?? step.line}` });
    for (const [dependency, at] of fromSteps) edges.push({ from: step.label, to: dependency, reason: 'FROM', at });

    steps.set(step.label, {
      step,
      image: applyUid(step.name, options.uid),
      dockerfileContent,
      dockerfileLabel,
      fromSteps: [...fromSteps.keys()],
    });
  }

  const graph = createStepGraph(
    manifest.steps.map((step) => step.label),
    edges,
    buildFileName,
  );
  return { manifest, steps, graph, finalSteps: listFinalSteps(graph) };
}

/** Returns the labels of the steps upstream of `label` that export artifacts. */
export function listArtifactSources(plan: BuildPlan, label: string): string[] {
  const upstream = selectUpstream(plan.graph, label);
  return plan.graph.labels.filter((candidate) => upstream.has(candidate) && (plan.steps.get(candidate)?.step.artifacts.length ?? 0) > 0);
}
