// One image build with the classic builder API: pack the context, send it while
// counting its bytes, decode the JSON stream, and clean up when the build is aborted.

import { pipeline } from 'node:stream';

import type Dockerode from 'dockerode';

import { debug } from '../../debug.js';
import { CancelledError, DockerfileError, EngineError, InstructionError, WeldError } from '../../errors.js';
import { packContext, type PackedContext } from '../context.js';
import type { BuildOutput, BuildRequest, BuildResult } from '../engine.js';
import { removeBuildContainers } from './build-containers.js';
import { BuildStreamDecoder, type BuildFailure } from './build-stream.js';
import { ByteCounter } from './byte-counter.js';
import { statusCodeOf, engineMessageOf, toConnectionError } from './engine-errors.js';
import { MISSING_IMAGE_HINT, describeMissingImage, findPulledImage, isImageMissing } from './pull-failure.js';

/** A build request whose context is packed already, so its context folder and Dockerfile content go unread. */
export type PackedBuildRequest = Omit<BuildRequest, 'contextDir' | 'dockerfileContent'>;

/** Returns the query of `POST /build`. Unset options are left out rather than sent empty. */
function toBuildOptions(request: PackedBuildRequest, dockerfile: string): Dockerode.ImageBuildOptions {
  const options: Dockerode.ImageBuildOptions = {
    t: request.untagged ? undefined : request.tag,
    dockerfile,
    buildargs: request.buildArgs,
    labels: request.labels,
    nocache: request.noCache,
    rm: request.rm,
    forcerm: request.forceRm,
    q: request.quiet,
    // Engines with BuildKit on by default would otherwise choose it, and weld decodes
    // only the classic builder's stream.
    version: '1',
  };
  if (request.target) options.target = request.target;
  if (request.network) options.networkmode = request.network;
  if (request.memoryBytes !== undefined) options.memory = request.memoryBytes;
  if (request.cpuShares !== undefined) options.cpushares = request.cpuShares;
  // The typings declare `cpusetcpus` a number; the API takes a string such as `0-3`.
  if (request.cpusetCpus !== undefined) options.cpusetcpus = request.cpusetCpus as unknown as number;
  return options;
}

/** The engine's prefix of a Dockerfile it cannot parse; the line is absent for some errors (`LABEL must have two arguments`). */
const PARSE_ERROR = /^(?:dockerfile parse error(?: line (\d+))?|failed to parse Dockerfile):\s*/i;

/**
 * Returns the error of a build that the engine ended with an error message. A FROM or
 * `COPY --from` image that is missing from the engine and could not be pulled is named
 * as such, because the registry's own error (often a DNS failure) does not say so.
 */
async function toFailureError(docker: Dockerode, failure: BuildFailure, tag: string): Promise<EngineError> {
  let reason = failure.message;
  let hint: string | undefined;
  const pulledImage = failure.code === undefined ? findPulledImage(failure.instruction, failure.message) : undefined;
  if (pulledImage !== undefined && (await isImageMissing(docker, pulledImage))) {
    reason = describeMissingImage(pulledImage, failure.message);
    hint = MISSING_IMAGE_HINT;
  }

  const message = failure.instruction ? `${failure.instruction} failed: ${reason}` : `build of ${tag} failed: ${reason}`;
  return new InstructionError(message, { instruction: failure.instruction, index: failure.index, reason, commandExitCode: failure.code }, { hint });
}

function toRequestError(error: unknown, request: PackedBuildRequest, endpoint: string): WeldError {
  const { tag } = request;
  const connectionError = toConnectionError(error, endpoint);
  if (connectionError) return connectionError;

  const status = statusCodeOf(error);
  const message = engineMessageOf(error);
  const parseError = PARSE_ERROR.exec(message);
  if (status === 400 && parseError) {
    // A bad Dockerfile is bad input: name the file and line, as weld's own checks do.
    const line = parseError[1] === undefined ? undefined : Number(parseError[1]);
    const reason = message.slice(parseError[0].length);
    const location = line === undefined ? request.dockerfilePath : `${request.dockerfilePath}:${line}`;
    return new DockerfileError(`${location}, the Dockerfile of ${tag}, is invalid: ${reason}`, { dockerfile: request.dockerfilePath, line, reason }, {
      hint: line === undefined ? `fix ${request.dockerfilePath}` : `fix line ${line} of ${request.dockerfilePath}`,
      cause: error,
    });
  }
  if (status !== undefined && status >= 400 && status < 500) {
    // The engine checks the Dockerfile and options before it starts the build, so a
    // parse error, an unknown target or an invalid option arrive here as 400.
    return new EngineError(`the Docker engine rejected the build of ${tag}: ${message}`, {
      hint: 'check the Dockerfile and the step options in build.yml',
      cause: error,
    });
  }
  return new EngineError(`build of ${tag} failed: ${message}`, { cause: error });
}

/**
 * Sends a packed context to `POST /build` with the classic builder and decodes the
 * engine's stream into `onOutput`. Aborting `signal` closes the connection, which makes
 * the engine cancel the build, and removes the build's intermediate containers before
 * the promise rejects with a `CancelledError`. A Dockerfile the engine cannot parse
 * rejects with an `InputError` naming `request.dockerfilePath`, and a failed build
 * with an `EngineError`.
 */
export async function sendBuildContext(
  docker: Dockerode,
  endpoint: string,
  request: PackedBuildRequest,
  packed: PackedContext,
  onOutput: (output: BuildOutput) => void,
  signal: AbortSignal,
): Promise<BuildResult> {
  if (signal.aborted) {
    packed.stream.destroy();
    throw new CancelledError(`build of ${request.tag} cancelled`);
  }
  const startedAtMs = Date.now();
  const counter = new ByteCounter((bytes) => onOutput({ kind: 'context', bytes }));
  let contextError: Error | undefined;
  pipeline(packed.stream, counter, (error) => {
    if (error && !signal.aborted) {
      contextError = error;
      debug('engine', `context stream of ${request.tag} failed`, error.message);
    }
  });

  const decoder = new BuildStreamDecoder(onOutput);
  try {
    const response = await docker.buildImage(counter, { ...toBuildOptions(request, packed.dockerfile), abortSignal: signal });
    for await (const chunk of response as AsyncIterable<Buffer>) decoder.write(chunk);
    decoder.end();
  } catch (error) {
    // A failure while packing (a file that vanished, a read error) aborts the upload,
    // and its own error explains more than the broken request that follows.
    if (!signal.aborted) throw contextError instanceof WeldError ? contextError : toRequestError(error, request, endpoint);

    decoder.end();
    try {
      await removeBuildContainers(docker, decoder, { startedAtMs, rm: request.rm });
    } catch (cleanupError) {
      debug('engine', `could not remove the containers of the cancelled build of ${request.tag}`, String(cleanupError));
    }
    throw new CancelledError(`build of ${request.tag} cancelled`);
  } finally {
    packed.stream.destroy();
    counter.destroy();
  }

  if (decoder.failure) throw await toFailureError(docker, decoder.failure, request.tag);
  if (!decoder.imageId) {
    throw new EngineError(`the Docker engine ended the build of ${request.tag} without reporting an image id`, {
      hint: "the engine's own log (journalctl -u docker, or dockerd's log file) records why the build stopped",
    });
  }
  return { imageId: decoder.imageId };
}

/**
 * Builds `request` on the engine, streaming its output to `onOutput`.
 *
 * Aborting `signal` closes the connection, which makes the engine cancel the build. The
 * promise then removes the build's intermediate containers before it rejects with a
 * `CancelledError`. A failed build rejects with an `EngineError` naming the failed
 * instruction; its containers are removed by the engine when `forceRm` is set.
 */
export async function buildImage(
  docker: Dockerode,
  endpoint: string,
  request: BuildRequest,
  onOutput: (output: BuildOutput) => void,
  signal: AbortSignal,
): Promise<BuildResult> {
  if (signal.aborted) throw new CancelledError(`build of ${request.tag} cancelled`);

  let packed: PackedContext;
  try {
    packed = await packContext({
      contextDir: request.contextDir,
      dockerfilePath: request.dockerfilePath,
      dockerfileContent: request.dockerfileContent,
      signal,
    });
  } catch (error) {
    if (signal.aborted) throw new CancelledError(`build of ${request.tag} cancelled`);
    throw error;
  }
  return sendBuildContext(docker, endpoint, request, packed, onOutput, signal);
}
