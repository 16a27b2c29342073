// A build that fails because its base image is neither on the engine nor pullable.
// The classic builder pulls a FROM image (or a `COPY --from` image) that it does not
// have. A failed pull ends the build with the registry's raw error, such as a DNS
// failure, which does not say that the image was missing in the first place.

import type Dockerode from 'dockerode';

import { debug } from '../../debug.js';
import { statusCodeOf } from './engine-errors.js';

/** Hint for an image that is neither on the engine nor pullable. */
export const MISSING_IMAGE_HINT =
  'build or load the image on this engine first (docker build, docker load), check its name and tag, or check that the engine can reach its registry';

/** The classic builder's message for a `COPY --from` image it could not pull. */
const FROM_FLAG_FAILURE = /^invalid from flag value (\S+): /;

/** Returns the word after FROM and its flags: `FROM --platform=x node:20 AS build` gives `node:20`. */
function readFromImage(instruction: string): string | undefined {
  const words = instruction.trim().split(/\s+/);
  if (words[0]?.toUpperCase() !== 'FROM') return undefined;
  return words.slice(1).find((word) => !word.startsWith('--'));
}

/**
 * Returns the image that a failed build tried to pull: the FROM image when the FROM
 * instruction failed, or the `COPY --from` image the engine's message names. Returns
 * undefined for other failures, for `scratch`, and for a name written with ARG
 * variables, which the engine prints unexpanded.
 */
export function findPulledImage(instruction: string | undefined, message: string): string | undefined {
  const image = FROM_FLAG_FAILURE.exec(message)?.[1] ?? (instruction === undefined ? undefined : readFromImage(instruction));
  if (image === undefined || image.includes('$') || image.toLowerCase() === 'scratch') return undefined;
  return image;
}

/** Returns whether the engine lacks `image`: true only on a 404 response, so that an unclear response changes no message. */
export async function isImageMissing(docker: Dockerode, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return false;
  } catch (error) {
    if (statusCodeOf(error) === 404) return true;
    debug('engine', `could not look up image ${image}`, String(error));
    return false;
  }
}

/** Returns the reason of a failed pull in words: `image x:9 is not on the Docker engine and could not be pulled: …`. */
export function describeMissingImage(image: string, engineMessage: string): string {
  const pullError = engineMessage.replace(FROM_FLAG_FAILURE, '');
  return `image ${image} is not on the Docker engine and could not be pulled: ${pullError}`;
}
