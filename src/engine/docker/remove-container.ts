// Forced removal of one container, tolerant of a container that is gone already or
// that the engine is removing at the same time.

import type Dockerode from 'dockerode';

import { debug } from '../../debug.js';
import { statusCodeOf } from './engine-errors.js';

/** How long to wait for a container the engine is already removing. */
const REMOVAL_WAIT_MS = 10_000;
const REMOVAL_POLL_MS = 100;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntilGone(docker: Dockerode, id: string): Promise<void> {
  const deadline = Date.now() + REMOVAL_WAIT_MS;
  while (Date.now() < deadline) {
    try {
      await docker.getContainer(id).inspect();
    } catch (error) {
      if (statusCodeOf(error) === 404) return;
      throw error;
    }
    await delay(REMOVAL_POLL_MS);
  }
  debug('engine', `container ${id} was still being removed after ${REMOVAL_WAIT_MS} ms`);
}

/**
 * Force-removes a container with its anonymous volumes. Returns false when it was gone
 * already; when the engine is removing it (409), waits until it is gone.
 */
export async function removeContainer(docker: Dockerode, id: string): Promise<boolean> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
    return true;
  } catch (error) {
    const status = statusCodeOf(error);
    if (status === 404) return false;
    if (status === 409) {
      await waitUntilGone(docker, id);
      return true;
    }
    throw error;
  }
}
