// Removal of the intermediate containers an aborted classic build leaves behind.
//
// The classic builder does not put the build's `labels` on its intermediate
// containers (it turns them into LABEL instructions at the end of the last stage), so
// a label filter cannot find them. The build stream names each container it creates
// (` ---> Running in <id>`), and those ids are what this module removes.

import type Dockerode from 'dockerode';

import { debug } from '../../debug.js';
import { removeContainer } from './remove-container.js';

/** Ids a build reported in its stream, as collected by `BuildStreamDecoder`. */
export interface BuildTrace {
  /** Short ids of the containers the build created. */
  containerIds: readonly string[];
  /** Short ids of the images the build's steps started from or produced. */
  imageIds: readonly string[];
}

/**
 * Time the engine gets to finish the instruction it was running when the build was
 * aborted before the second search. An estimate: committing a metadata instruction
 * takes a few milliseconds on a local engine.
 */
const ABORT_SETTLE_MS = 1_000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Returns whether a listed container belongs to the build. Its id must be one the
 * stream named, or, with `matchImages`, it must have been created since the build
 * started, from one of the build's images given by id. The classic builder creates
 * containers from `sha256:` ids, while `docker run` users mostly give image names.
 */
function isFromBuild(container: Dockerode.ContainerInfo, trace: BuildTrace, startedAtMs: number, matchImages: boolean): boolean {
  if (trace.containerIds.some((id) => container.Id.startsWith(id))) return true;
  if (!matchImages || container.Created * 1000 < startedAtMs - 1000) return false;
  const image = container.Image.startsWith('sha256:') ? container.Image.slice('sha256:'.length) : undefined;
  return image !== undefined && trace.imageIds.some((id) => image.startsWith(id));
}

async function removeMatching(docker: Dockerode, trace: BuildTrace, startedAtMs: number, matchImages: boolean): Promise<string[]> {
  const containers = await docker.listContainers({ all: true });
  const matching = containers.filter((container) => isFromBuild(container, trace, startedAtMs, matchImages));
  for (const container of matching) await removeContainer(docker, container.Id);
  return matching.map((container) => container.Id);
}

/**
 * Removes the containers of an aborted build and returns their ids.
 *
 * With `rm` the engine removes the container of each finished instruction, and on
 * abort it kills and removes the running one, so the named ids cover all. Without
 * `rm` an instruction in flight at the abort may create a container whose id never
 * reaches the client. A second search after a pause then matches containers by image
 * and creation time. NOTE: that search could also match a container another client
 * created in the same moment from the same image id.
 */
export async function removeBuildContainers(
  docker: Dockerode,
  trace: BuildTrace,
  options: { startedAtMs: number; rm: boolean },
): Promise<string[]> {
  const removed = await removeMatching(docker, trace, options.startedAtMs, false);
  if (!options.rm) {
    await delay(ABORT_SETTLE_MS);
    removed.push(...(await removeMatching(docker, trace, options.startedAtMs, true)));
  }
  if (removed.length > 0) debug('engine', `removed ${removed.length} container(s) of the aborted build`, removed);
  return removed;
}
