// The Engine interface: everything the build runner asks of Docker. `engine/docker`
// implements it with dockerode; tests of the runner and the console may use a
// scripted implementation, tests of the engine itself use a real Docker engine.

import type { Layer } from '../build/events.js';

/** Version and endpoint of the engine. */
export interface EngineInfo {
  /** Server version, e.g. `20.10.24`. */
  version: string;
  /** API version the client talks, e.g. `1.41`. */
  apiVersion: string;
  /** Address the engine was reached at: `unix:///var/run/docker.sock`, `tcp://…`. */
  endpoint: string;
}

/** One image build with the classic builder API. */
export interface BuildRequest {
  /** Absolute path of the context folder. */
  contextDir: string;
  /** Dockerfile path inside the context, forward slashes (`Dockerfile.builder`). */
  dockerfilePath: string;
  /**
   * Dockerfile content to send in place of the file on disk (the one with `FROM`
   * rewritten). It travels inside the context tar; nothing is written to disk.
   */
  dockerfileContent: Buffer;
  /** Image name and tag to give the result. */
  tag: string;
  /** Leaves the result without a name; `tag` then names the build in messages only. */
  untagged?: boolean;
  buildArgs: Record<string, string>;
  /** Stage to stop at, as written in build.yml. */
  target?: string;
  noCache: boolean;
  /** Remove intermediate containers after a successful build. */
  rm: boolean;
  /** Remove intermediate containers even after a failed build. */
  forceRm: boolean;
  /** Network mode for `RUN` instructions (`host`, `none`, ...). */
  network?: string;
  /** Print only the final image id (`--suppress`). */
  quiet: boolean;
  /** Memory limit for `RUN` containers in bytes. */
  memoryBytes?: number;
  cpuShares?: number;
  cpusetCpus?: string;
  /**
   * Labels put on the image. The classic builder adds them as a LABEL instruction
   * and does not label intermediate containers; `build()` removes those on cancel.
   */
  labels: Record<string, string>;
}

/** Output of a running build, decoded from the engine's JSON stream. */
export type BuildOutput =
  | { kind: 'context'; bytes: number }
  | { kind: 'instruction'; index: number; total: number; text: string }
  | { kind: 'cached'; index: number }
  | { kind: 'log'; line: string };

/** Outcome of a successful build. */
export interface BuildResult {
  imageId: string;
}

/** Copy of one path out of an image into a folder on the host. */
export interface CopyRequest {
  /** Image to copy from (id or name). */
  image: string;
  /** Absolute path inside the image. */
  sourcePath: string;
  /**
   * Absolute host folder that receives the copy; the copied file or folder keeps
   * its base name inside it (`/app/dist` into `out` gives `out/dist`).
   */
  destinationDir: string;
  /** Labels put on the temporary container. */
  labels: Record<string, string>;
  /** Called as bytes arrive; `total` is 0 when the size is not known. */
  onProgress?: (bytes: number, total: number) => void;
}

/** Outcome of a copy. */
export interface CopyResult {
  /** Bytes of file content written. */
  bytes: number;
  /** Absolute path of the file or folder created. */
  path: string;
}

/** Facts about an image. */
export interface ImageFacts {
  id: string;
  sizeBytes: number;
  /** Layers, newest first. */
  layers: Layer[];
}

/** A command run in a new container of an image (`command`, `cleanup.commands`). */
export interface ContainerRunRequest {
  /** Image to run (id or name). */
  image: string;
  /** Program and arguments; they replace the image's ENTRYPOINT and CMD. */
  argv: string[];
  /** Labels put on the container. */
  labels: Record<string, string>;
  /** Network mode (`host`, `none`, a network name); the engine's default when absent. */
  network?: string;
  /** Memory limit in bytes. */
  memoryBytes?: number;
  cpuShares?: number;
  cpusetCpus?: string;
  /**
   * Leave the stopped container in place for `commitContainer` or `squashContainer`;
   * the caller removes it. Without it the container is removed once it exits.
   */
  keep?: boolean;
}

/** One line a container printed, without its line break. */
export interface ContainerOutput {
  stream: 'stdout' | 'stderr';
  line: string;
}

/** Exit code and container of a finished container run. */
export interface ContainerExit {
  exitCode: number;
  /** Id of the container; it exists only when the request set `keep`. */
  containerId: string;
}

/** Squashing a container's filesystem into a one-layer image. */
export interface SquashRequest {
  /** Container whose filesystem becomes the image's only layer. */
  containerId: string;
  /** Image whose configuration (ENV, CMD, ENTRYPOINT, USER, ...) the new image keeps. */
  configFrom: string;
  /** Image name and tag to give the result. */
  tag: string;
}

/** Outcome of a squash. */
export interface SquashResult {
  imageId: string;
}

export interface Engine {
  /** Checks that the engine answers and returns its version and endpoint. */
  describe(signal?: AbortSignal): Promise<EngineInfo>;

  /** Builds an image, streaming its output; rejects with an `EngineError` on failure. */
  build(request: BuildRequest, onOutput: (output: BuildOutput) => void, signal: AbortSignal): Promise<BuildResult>;

  /**
   * Copies a path out of an image without starting a container. The copy's container
   * may still be on its way out when this resolves; `removeContainersLabelled` waits
   * for it.
   */
  copyFromImage(request: CopyRequest, signal: AbortSignal): Promise<CopyResult>;

  /** Returns the id, size and history of an image. */
  inspectImage(image: string): Promise<ImageFacts>;

  /** Gives the image `image` (an id or a name) the name and tag `tag`, moving the tag from any image that had it. */
  tagImage(image: string, tag: string): Promise<void>;

  /** Removes an image; a missing image is not an error. */
  removeImage(image: string, options: { force: boolean; noPrune: boolean }): Promise<void>;

  /**
   * Removes an image that no tag names any more, with the parents that only it used.
   * Resolves false, removing nothing, when the image has a tag, when a container or
   * another image uses it, or when it is gone.
   */
  removeUntaggedImage(imageId: string): Promise<boolean>;

  /**
   * Removes the copy containers that weld processes which no longer run left behind
   * (exited at once, or killed), when that is certain, and returns how many.
   */
  removeAbandonedCopies(): Promise<number>;

  /** Removes every container carrying the label `key=value`, running or not. */
  removeContainersLabelled(key: string, value: string): Promise<number>;

  /**
   * Runs a command in a new container of an image, streaming its output, and resolves
   * with its exit code. Aborting `signal` removes the container and rejects with a
   * `CancelledError`.
   */
  runContainer(request: ContainerRunRequest, onOutput: (output: ContainerOutput) => void, signal: AbortSignal): Promise<ContainerExit>;

  /** Commits a stopped container into an untagged image and returns the image id. */
  commitContainer(containerId: string, signal: AbortSignal): Promise<string>;

  /** Squashes a container's filesystem into a one-layer image tagged `tag`. */
  squashContainer(request: SquashRequest, signal: AbortSignal): Promise<SquashResult>;

  /** Removes a container, running or not; a missing container is not an error. */
  removeContainer(containerId: string): Promise<void>;
}
