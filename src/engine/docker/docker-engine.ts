// The `Engine` implementation over dockerode: one Docker engine, reached through the
// connection `connectDocker` resolved.

import type Dockerode from 'dockerode';

import { CancelledError, EngineError } from '../../errors.js';
import type {
  BuildOutput,
  BuildRequest,
  BuildResult,
  ContainerExit,
  ContainerOutput,
  ContainerRunRequest,
  CopyRequest,
  CopyResult,
  Engine,
  EngineInfo,
  ImageFacts,
  SquashRequest,
  SquashResult,
} from '../engine.js';
import { removeAbandonedCopies } from './abandoned-copies.js';
import { buildImage } from './build-image.js';
import { connectDocker, type ConnectionOptions, type DockerConnection } from './connect.js';
import { PLACEHOLDER_COMMAND, copyFromImage } from './copy.js';
import { engineMessageOf, statusCodeOf, toConnectionError, toEngineError } from './engine-errors.js';
import { removeContainer } from './remove-container.js';
import { runContainer } from './run-container.js';
import { splitTag } from './split-tag.js';
import { commitContainer, squashContainer } from './squash.js';

/** One entry of `GET /images/{name}/history`. */
interface HistoryEntry {
  /** Image id of the layer, or `<missing>` for layers built elsewhere. */
  Id: string;
  /** Creation time, Unix seconds. */
  Created: number;
  CreatedBy: string;
  Size: number;
}

/** How long `describe` waits for the engine's version reply. */
const DESCRIBE_TIMEOUT_MS = 30_000;

export class DockerEngine implements Engine {
  private readonly docker: Dockerode;
  private readonly endpoint: string;
  /** Removals of copy containers still running; `removeContainersLabelled` waits for them. */
  private readonly pendingRemovals = new Set<Promise<void>>();

  constructor(connection: DockerConnection) {
    this.docker = connection.docker;
    this.endpoint = connection.endpoint;
  }

  /** Creates an engine for the endpoint the options and environment name. */
  static connect(options: ConnectionOptions): DockerEngine {
    return new DockerEngine(connectDocker(options));
  }

  async describe(signal?: AbortSignal): Promise<EngineInfo> {
    const timeout = AbortSignal.timeout(DESCRIBE_TIMEOUT_MS);
    const abortSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;

    try {
      // dockerode's `version` takes `{ abortSignal }`, which its typings leave out.
      const requestVersion = this.docker.version.bind(this.docker) as (options: {
        abortSignal: AbortSignal;
      }) => Promise<Dockerode.DockerVersion>;
      const version = await requestVersion({ abortSignal });
      return { version: version.Version, apiVersion: version.ApiVersion, endpoint: this.endpoint };
    } catch (error) {
      if (signal?.aborted) throw new CancelledError('engine check cancelled');
      const connectionError = toConnectionError(error, this.endpoint);
      if (connectionError) throw connectionError;
      if (timeout.aborted) {
        throw new EngineError(`no Docker engine answers at ${this.endpoint}: timed out after ${DESCRIBE_TIMEOUT_MS / 1000} s`, {
          hint: 'check that DOCKER_HOST or --host names a Docker engine and that it is not overloaded',
          cause: error,
        });
      }
      throw toEngineError(error, `asking the Docker engine at ${this.endpoint} for its version`, this.endpoint);
    }
  }

  build(request: BuildRequest, onOutput: (output: BuildOutput) => void, signal: AbortSignal): Promise<BuildResult> {
    return buildImage(this.docker, this.endpoint, request, onOutput, signal);
  }

  copyFromImage(request: CopyRequest, signal: AbortSignal): Promise<CopyResult> {
    return copyFromImage(this.docker, request, signal, {
      deferRemoval: (removal) => {
        this.pendingRemovals.add(removal);
        void removal.then(() => this.pendingRemovals.delete(removal));
      },
    });
  }

  async inspectImage(image: string): Promise<ImageFacts> {
    const handle = this.docker.getImage(image);
    try {
      const [info, history] = await Promise.all([handle.inspect(), handle.history() as Promise<HistoryEntry[]>]);
      return {
        id: info.Id,
        sizeBytes: info.Size,
        // The engine lists history newest first, as `docker history` shows it.
        layers: history.map((entry) => ({
          id: entry.Id,
          createdBy: entry.CreatedBy,
          sizeBytes: entry.Size,
          createdMs: entry.Created * 1000,
        })),
      };
    } catch (error) {
      if (statusCodeOf(error) === 404) {
        throw new EngineError(`image ${image} not found in the Docker engine at ${this.endpoint}`, { cause: error });
      }
      throw toEngineError(error, `inspecting image ${image}`, this.endpoint);
    }
  }

  async tagImage(image: string, tag: string): Promise<void> {
    const { repository, tag: version } = splitTag(tag);
    try {
      await this.docker.getImage(image).tag({ repo: repository, tag: version });
    } catch (error) {
      if (statusCodeOf(error) === 404) throw new EngineError(`cannot tag image ${image} as ${tag}: the image is not in the Docker engine at ${this.endpoint}`, { cause: error });
      throw toEngineError(error, `tagging image ${image} as ${tag}`, this.endpoint);
    }
  }

  async removeImage(image: string, options: { force: boolean; noPrune: boolean }): Promise<void> {
    try {
      await this.docker.getImage(image).remove({ force: options.force, noprune: options.noPrune });
    } catch (error) {
      const status = statusCodeOf(error);
      if (status === 404) return;
      if (status === 409) {
        throw new EngineError(`cannot remove image ${image}: ${engineMessageOf(error)}`, {
          hint: 'a container or another image still uses it; remove that first',
          cause: error,
        });
      }
      throw toEngineError(error, `removing image ${image}`, this.endpoint);
    }
  }

  async removeUntaggedImage(imageId: string): Promise<boolean> {
    const handle = this.docker.getImage(imageId);
    try {
      const info = await handle.inspect();
      // The engine lists `<none>:<none>` for an untagged image on some versions.
      const tags = (info.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
      if (tags.length > 0) return false;
      await handle.remove({ force: false, noprune: false });
      return true;
    } catch (error) {
      const status = statusCodeOf(error);
      // 404: gone already. 409: a container or a child image still uses it.
      if (status === 404 || status === 409) return false;
      throw toEngineError(error, `removing image ${imageId}`, this.endpoint);
    }
  }

  async removeAbandonedCopies(): Promise<number> {
    try {
      return await removeAbandonedCopies(this.docker, PLACEHOLDER_COMMAND);
    } catch (error) {
      throw toEngineError(error, 'removing copy containers that earlier runs left', this.endpoint);
    }
  }

  async removeContainersLabelled(key: string, value: string): Promise<number> {
    // A copy container whose removal is under way would otherwise be listed, and
    // removing it a second time waits for the first removal by polling.
    await Promise.all(this.pendingRemovals);
    let removed = 0;
    try {
      const containers = await this.docker.listContainers({ all: true, filters: { label: [`${key}=${value}`] } });
      for (const container of containers) {
        if (await removeContainer(this.docker, container.Id)) removed += 1;
      }
    } catch (error) {
      throw toEngineError(error, `removing the containers labelled ${key}=${value}`, this.endpoint);
    }
    return removed;
  }

  runContainer(request: ContainerRunRequest, onOutput: (output: ContainerOutput) => void, signal: AbortSignal): Promise<ContainerExit> {
    return runContainer(this.docker, this.endpoint, request, onOutput, signal);
  }

  commitContainer(containerId: string, signal: AbortSignal): Promise<string> {
    return commitContainer(this.docker, this.endpoint, containerId, signal);
  }

  squashContainer(request: SquashRequest, signal: AbortSignal): Promise<SquashResult> {
    return squashContainer(this.docker, this.endpoint, request, signal);
  }

  async removeContainer(containerId: string): Promise<void> {
    try {
      await removeContainer(this.docker, containerId);
    } catch (error) {
      throw toEngineError(error, `removing container ${containerId.slice(0, 12)}`, this.endpoint);
    }
  }
}
