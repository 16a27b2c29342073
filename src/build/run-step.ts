// The pipeline of one step: build the image, run its cleanup commands and squash it,
// copy its artifacts out, run its command and its after-build command, read the
// image's facts. It emits events as it goes and rejects on the first failure.

import path from 'node:path';

import type { BuildOutput, BuildRequest, BuildResult, Engine, ImageFacts } from '../engine/engine.js';
import { CancelledError } from '../errors.js';
import { selectDeclaredArgs } from '../secrets/build-args.js';
import { describeBuildError } from './build-error.js';
import { cleanUpImage, findPreviousImage } from './cleanup-image.js';
import { copyArtifact } from './copy-artifact.js';
import type { EventSink } from './events.js';
import { LogTail } from './log-tail.js';
import type { PlannedStep } from './plan.js';
import { runAfterBuildCommand, runImageCommand, type PhaseContext, type PhaseLogSource } from './post-build.js';

// Watch mode finds the artifact folders a run would create with it.
export { findFirstMissingFolder } from './copy-artifact.js';

/** The only output of a quiet build: the image id. */
const QUIET_IMAGE_ID = /^sha256:[0-9a-f]{64}$/;
/** A warning of the classic builder, such as `[Warning] One or more build-args [X] were not consumed`. */
const ENGINE_WARNING = /^\[Warning\]\s*(.+)$/;

/** Settings of a run that every step shares. */
export interface StepSettings {
  engine: Engine;
  emit: EventSink;
  workDir: string;
  /** Absolute path of build.yml, for messages that name a line of it. */
  buildFile: string;
  runId: string;
  /** Build args from `--build K=V`; a step's own `args` win over them. */
  buildArgs: Record<string, string>;
  noCache: boolean;
  rm: boolean;
  forceRm: boolean;
  network?: string;
  suppress: boolean;
  memoryBytes?: number;
  cpuShares?: number;
  cpusetCpus?: string;
  /** Records a path that the run created, to remove at its end. */
  recordCreatedPath(createdPath: string): void;
  /** Run `cleanup.commands` and squash; false with `--no-cleanup`. Default true. */
  cleanup?: boolean;
  /** Run `after_build_command` on this host (`--after-build-commands`). Default false. */
  afterBuildCommands?: boolean;
  /** Keep the image a cleanup squashed away, with its layer cache (`--keep-all`). */
  keepAll?: boolean;
  /** Keep the untagged parents of the images weld removes (`--noprune-rmi`). */
  noPruneRmi?: boolean;
  /**
   * Build args naming the secret server (`habitus_host`, `habitus_port`, ...); set
   * only while it runs. A step gets those its Dockerfile declares with ARG.
   */
  secretBuildArgs?: Record<string, string>;
}

/** What a finished step hands to the run. */
export interface StepResult {
  facts: ImageFacts;
  image: string;
}

/** Runs one planned step; `tail` receives the step's output lines for failure reports. */
export async function runStep(planned: PlannedStep, settings: StepSettings, tail: LogTail, signal: AbortSignal): Promise<StepResult> {
  const { step } = planned;
  const { emit, engine } = settings;
  const time = (): number => Date.now();
  const log = (source: PhaseLogSource, line: string): void => {
    tail.push(line);
    emit({ type: 'step-log', time: time(), step: step.label, source, line });
  };

  const request: BuildRequest = {
    contextDir: step.contextDir,
    dockerfilePath: path.relative(step.contextDir, step.dockerfilePath).split(path.sep).join('/'),
    dockerfileContent: planned.dockerfileContent,
    tag: planned.image,
    buildArgs: { ...selectDeclaredArgs(planned.dockerfileContent, settings.secretBuildArgs ?? {}), ...settings.buildArgs, ...step.args },
    target: step.target,
    noCache: settings.noCache || step.noCache,
    rm: settings.rm,
    forceRm: settings.forceRm,
    network: settings.network,
    quiet: settings.suppress,
    memoryBytes: settings.memoryBytes,
    cpuShares: settings.cpuShares,
    cpusetCpus: settings.cpusetCpus,
    // The classic builder turns labels into a LABEL instruction, so a label that
    // changes every run would defeat the layer cache: builds get none.
    labels: {},
  };

  const secretsNotServed = step.secrets.length > 0 && !settings.secretBuildArgs;
  if (secretsNotServed) {
    log('build', `secrets ${step.secrets.map((secret) => secret.name).join(', ')} are not served: weld runs the secret server only with --secrets`);
  }

  /** Passes a line of build output on, leaving out lines that carry nothing. */
  const handleBuildLine = (line: string): void => {
    // `FROM scratch` prints an arrow with no image id after it.
    if (line.trim() === '--->') return;
    // A quiet build (--suppress) prints only the image id, which step-finished carries.
    if (settings.suppress && QUIET_IMAGE_ID.test(line)) return;
    // The engine's own warnings, such as build args no instruction used.
    const warning = ENGINE_WARNING.exec(line);
    if (warning) {
      emit({ type: 'warning', time: time(), step: step.label, message: warning[1]! });
      return;
    }
    log('build', line);
  };

  const onBuildOutput = (output: BuildOutput): void => {
    switch (output.kind) {
      case 'context':
        emit({ type: 'context-sent', time: time(), step: step.label, bytes: output.bytes });
        break;
      case 'instruction':
        tail.push(`Step ${output.index}/${output.total} : ${output.text}`);
        emit({ type: 'step-progress', time: time(), step: step.label, instruction: output.index, total: output.total, text: output.text });
        break;
      case 'cached':
        emit({ type: 'step-cached', time: time(), step: step.label, instruction: output.index });
        break;
      case 'log':
        handleBuildLine(output.line);
        break;
    }
  };

  const previousImage = await findPreviousImage(planned, settings);
  let built: BuildResult;
  try {
    built = await engine.build(request, onBuildOutput, signal);
  } catch (error) {
    throw describeBuildError(error, { planned, buildFileLabel: path.basename(settings.buildFile), secretsNotServed });
  }
  if (signal.aborted) throw new CancelledError();

  const phase: PhaseContext = {
    planned,
    settings,
    builtImageId: built.imageId,
    previousImageId: previousImage?.id,
    previousSquashId: previousImage?.isSquash ? previousImage.id : undefined,
    log,
    signal,
  };
  await cleanUpImage(phase);

  if (step.artifacts.length > 0) {
    emit({ type: 'step-phase', time: time(), step: step.label, state: 'copying' });
  }
  for (const [index, artifact] of step.artifacts.entries()) {
    await copyArtifact({ planned, artifact, index, settings, signal });
  }

  await runImageCommand(phase);
  await runAfterBuildCommand(phase);

  const facts = await engine.inspectImage(planned.image);
  return { facts, image: planned.image };
}
