// Runs one command in a new container of an image and streams what it prints, line
// by line. The container is attached before it starts, so no early output is lost,
// and it is removed when it exits, when the run is aborted, or when anything fails.

import type { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

import type Dockerode from 'dockerode';

import { debug } from '../../debug.js';
import { CancelledError, EngineError } from '../../errors.js';
import type { ContainerExit, ContainerOutput, ContainerRunRequest } from '../engine.js';
import { engineMessageOf, statusCodeOf, toEngineError } from './engine-errors.js';
import { removeContainer } from './remove-container.js';

/** How long the attach stream may lag behind the container's exit before its tail is given up. */
const OUTPUT_DRAIN_MS = 5_000;

/** Splits decoded text into lines and hands each complete one on, without its line break. */
class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  write(chunk: Buffer): boolean {
    this.pending += this.decoder.write(chunk);
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.onLine(line.replace(/\r$/, ''));
    return true;
  }

  end(): void {
    this.pending += this.decoder.end();
    if (this.pending !== '') this.onLine(this.pending.replace(/\r$/, ''));
    this.pending = '';
  }
}

function describeCommand(argv: string[]): string {
  return argv.join(' ');
}

async function createRunContainer(docker: Dockerode, endpoint: string, request: ContainerRunRequest): Promise<Dockerode.Container> {
  const hostConfig: Dockerode.HostConfig = {};
  if (request.network) hostConfig.NetworkMode = request.network;
  if (request.memoryBytes !== undefined) hostConfig.Memory = request.memoryBytes;
  if (request.cpuShares !== undefined) hostConfig.CpuShares = request.cpuShares;
  if (request.cpusetCpus !== undefined) hostConfig.CpusetCpus = request.cpusetCpus;

  try {
    return await docker.createContainer({
      Image: request.image,
      // The program goes into Entrypoint so that the image's own ENTRYPOINT does not
      // wrap it; an empty Entrypoint would mean "keep the image's" to the engine.
      Entrypoint: [request.argv[0]!],
      Cmd: request.argv.slice(1),
      Labels: request.labels,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      OpenStdin: false,
      HostConfig: hostConfig,
    });
  } catch (error) {
    if (statusCodeOf(error) === 404) {
      throw new EngineError(`image ${request.image} not found: cannot run ${describeCommand(request.argv)} in it`, {
        hint: 'build the step that makes the image first, or check the image name',
        cause: error,
      });
    }
    throw toEngineError(error, `creating a container of image ${request.image} to run ${describeCommand(request.argv)}`, endpoint);
  }
}

/** Resolves when the attach stream ends, closes or fails, or after `OUTPUT_DRAIN_MS`. */
function waitForStreamEnd(stream: Duplex): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      debug('engine:run', `container output did not end within ${OUTPUT_DRAIN_MS} ms of the exit; its tail may be missing`);
      resolve();
    }, OUTPUT_DRAIN_MS);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
  });
}

/**
 * Runs `request.argv` in a new container of `request.image`, calling `onOutput` for
 * each line of stdout and stderr, and resolves with the exit code once the output has
 * drained. A program the image lacks rejects with an `EngineError`; aborting `signal`
 * removes the container and rejects with a `CancelledError`.
 */
export async function runContainer(
  docker: Dockerode,
  endpoint: string,
  request: ContainerRunRequest,
  onOutput: (output: ContainerOutput) => void,
  signal: AbortSignal,
): Promise<ContainerExit> {
  const command = describeCommand(request.argv);
  if (request.argv.length === 0) throw new EngineError(`no command to run in image ${request.image}`);
  if (signal.aborted) throw new CancelledError(`${command} cancelled`);

  const container = await createRunContainer(docker, endpoint, request);
  let keep = false;
  const removeOnAbort = (): void => {
    removeContainer(docker, container.id).catch((error: unknown) => {
      debug('engine:run', `could not remove container ${container.id} of the cancelled ${command}`, String(error));
    });
  };
  signal.addEventListener('abort', removeOnAbort, { once: true });

  try {
    if (signal.aborted) throw new CancelledError(`${command} cancelled`);
    const stdout = new LineSplitter((line) => onOutput({ stream: 'stdout', line }));
    const stderr = new LineSplitter((line) => onOutput({ stream: 'stderr', line }));
    const stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as Duplex;
    docker.modem.demuxStream(stream, stdout as unknown as NodeJS.WritableStream, stderr as unknown as NodeJS.WritableStream);
    const drained = waitForStreamEnd(stream);

    try {
      await container.start();
    } catch (error) {
      stream.destroy();
      if (signal.aborted) throw new CancelledError(`${command} cancelled`);
      // The engine reports a program missing from the image as a failed start.
      throw new EngineError(`cannot start ${command} in a container of ${request.image}: ${engineMessageOf(error)}`, {
        hint: 'check that the image contains the program; shell syntax (&&, |, globs, $VAR) needs /bin/sh in the image',
        cause: error,
      });
    }

    let exit: { StatusCode: number };
    try {
      exit = (await container.wait()) as { StatusCode: number };
    } catch (error) {
      if (signal.aborted) throw new CancelledError(`${command} cancelled`);
      throw toEngineError(error, `waiting for ${command} in a container of ${request.image}`, endpoint);
    }
    await drained;
    stdout.end();
    stderr.end();
    if (signal.aborted) throw new CancelledError(`${command} cancelled`);

    keep = request.keep === true;
    return { exitCode: exit.StatusCode, containerId: container.id };
  } finally {
    signal.removeEventListener('abort', removeOnAbort);
    if (!keep) {
      // Also after an abort: the listener may have missed an abort that came while
      // the container was being created. A second removal finds it gone.
      await removeContainer(docker, container.id).catch((error: unknown) => {
        debug('engine:run', `could not remove container ${container.id} after ${command}`, String(error));
      });
    }
  }
}
