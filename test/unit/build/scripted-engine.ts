// A scripted Engine for tests of the build runner: each image's build plays back
// a list of outputs; copies write a small file. No Docker is involved.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type {
  BuildOutput,
  BuildRequest,
  ContainerOutput,
  ContainerRunRequest,
  CopyRequest,
  Engine,
  ImageFacts,
  SquashRequest,
} from '../../../src/engine/engine.js';
import { CancelledError, EngineError } from '../../../src/errors.js';

export interface ScriptedBuild {
  outputs: BuildOutput[];
  /** Milliseconds the build takes after its outputs. */
  ms?: number;
  /** Fail with this message after the outputs. */
  failure?: { message: string; instruction: string };
  /** Fail with this error after the outputs, as the Docker engine implementation would. */
  error?: Error;
  sizeBytes: number;
}

export class ScriptedEngine implements Engine {
  readonly requests: BuildRequest[] = [];
  readonly copies: CopyRequest[] = [];
  readonly removedContainerLabels: string[] = [];
  readonly removedImages: { image: string; force: boolean; noPrune: boolean }[] = [];
  readonly removedUntaggedImages: string[] = [];
  readonly containerRuns: ContainerRunRequest[] = [];
  readonly commits: string[] = [];
  readonly squashes: SquashRequest[] = [];
  readonly removedContainers: string[] = [];
  readonly tags: { image: string; tag: string }[] = [];
  /**
   * What each image name points to before the run's builds, by name; names left out do
   * not exist. Unset, every scripted image exists from the start.
   */
  tagsBeforeBuild: Record<string, string> | undefined;
  /**
   * Output and exit code of container runs, by their argv joined with spaces; a command
   * not listed prints nothing and exits 0. `ms` delays the exit (abortable).
   */
  containerScripts: Record<string, { lines?: string[]; exitCode?: number; ms?: number }> = {};

  constructor(private readonly builds: Record<string, ScriptedBuild>) {}

  async describe() {
    return { version: '0.0.0-scripted', apiVersion: '1.41', endpoint: 'scripted://' };
  }

  async build(request: BuildRequest, onOutput: (output: BuildOutput) => void, signal: AbortSignal) {
    this.requests.push(request);
    const script = this.builds[request.tag];
    if (!script) throw new Error(`no script for ${request.tag}`);
    for (const output of script.outputs) onOutput(output);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, script.ms ?? 0);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new CancelledError());
      });
    });
    if (script.error) throw script.error;
    if (script.failure) throw new EngineError(script.failure.message, { instruction: script.failure.instruction, hint: 'fix the instruction' });
    return { imageId: `sha256:${request.tag}` };
  }

  /** Errors that copies of these source paths fail with. */
  copyErrors: Record<string, Error> = {};

  async copyFromImage(request: CopyRequest) {
    this.copies.push(request);
    const copyError = this.copyErrors[request.sourcePath];
    if (copyError) throw copyError;
    const target = path.join(request.destinationDir, path.posix.basename(request.sourcePath));
    await mkdir(request.destinationDir, { recursive: true });
    await writeFile(target, 'binary');
    request.onProgress?.(6, 6);
    return { bytes: 6, path: target };
  }

  async inspectImage(image: string): Promise<ImageFacts> {
    if (this.tagsBeforeBuild && !this.requests.some((request) => request.tag === image)) {
      const id = this.tagsBeforeBuild[image];
      if (id === undefined) throw new EngineError(`image ${image} not found`);
      return { id, sizeBytes: 1, layers: [] };
    }
    const script = this.builds[image]!;
    return {
      id: `sha256:${image}`,
      sizeBytes: script.sizeBytes,
      layers: [{ id: `sha256:${image}`, createdBy: '/bin/sh -c #(nop)  CMD ["/server"]', sizeBytes: script.sizeBytes, createdMs: 0 }],
    };
  }

  async tagImage(image: string, tag: string) {
    this.tags.push({ image, tag });
  }

  async removeImage(image: string, options: { force: boolean; noPrune: boolean }) {
    this.removedImages.push({ image, ...options });
  }

  async removeUntaggedImage(imageId: string) {
    this.removedUntaggedImages.push(imageId);
    return true;
  }

  abandonedCopySweeps = 0;

  async removeAbandonedCopies() {
    this.abandonedCopySweeps += 1;
    return 0;
  }

  async removeContainersLabelled(key: string, value: string) {
    this.removedContainerLabels.push(`${key}=${value}`);
    return 0;
  }

  async runContainer(request: ContainerRunRequest, onOutput: (output: ContainerOutput) => void, signal: AbortSignal) {
    this.containerRuns.push(request);
    const script = this.containerScripts[request.argv.join(' ')] ?? {};
    for (const line of script.lines ?? []) onOutput({ stream: 'stdout', line });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, script.ms ?? 0);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new CancelledError());
      });
    });
    return { exitCode: script.exitCode ?? 0, containerId: `container-${this.containerRuns.length}` };
  }

  async commitContainer(containerId: string) {
    this.commits.push(containerId);
    return `sha256:commit-of-${containerId}`;
  }

  async squashContainer(request: SquashRequest) {
    this.squashes.push(request);
    return { imageId: `sha256:squashed-${request.tag}` };
  }

  async removeContainer(containerId: string) {
    this.removedContainers.push(containerId);
  }
}
