// A scripted Engine for tests of the build runner: each image's build plays back
// a list of outputs; copies write a small file. No Docker is involved.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { BuildOutput, BuildRequest, CopyRequest, Engine, ImageFacts } from '../../../src/engine/engine.js';
import { CancelledError, EngineError } from '../../../src/errors.js';

export interface ScriptedBuild {
  outputs: BuildOutput[];
  /** Milliseconds the build takes after its outputs. */
  ms?: number;
  /** Fail with this message after the outputs. */
  failure?: { message: string; instruction: string };
  sizeBytes: number;
}

export class ScriptedEngine implements Engine {
  readonly requests: BuildRequest[] = [];
  readonly copies: CopyRequest[] = [];
  readonly removedContainerLabels: string[] = [];

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
    if (script.failure) throw new EngineError(script.failure.message, { instruction: script.failure.instruction, hint: 'fix the instruction' });
    return { imageId: `sha256:${request.tag}` };
  }

  async copyFromImage(request: CopyRequest) {
    this.copies.push(request);
    const target = path.join(request.destinationDir, path.posix.basename(request.sourcePath));
    await mkdir(request.destinationDir, { recursive: true });
    await writeFile(target, 'binary');
    request.onProgress?.(6, 6);
    return { bytes: 6, path: target };
  }

  async inspectImage(image: string): Promise<ImageFacts> {
    const script = this.builds[image]!;
    return {
      id: `sha256:${image}`,
      sizeBytes: script.sizeBytes,
      layers: [{ id: `sha256:${image}`, createdBy: '/bin/sh -c #(nop)  CMD ["/server"]', sizeBytes: script.sizeBytes, createdMs: 0 }],
    };
  }

  async removeImage() {}

  async removeContainersLabelled(key: string, value: string) {
    this.removedContainerLabels.push(`${key}=${value}`);
    return 0;
  }
}
