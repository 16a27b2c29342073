// The data a watch session reports around each run: the changed paths as listed
// in events, and the final image sizes with their change from the run before.

import type { FinalImage, FinalImageSize } from '../build/events.js';

/** Changed paths listed in a `watch-triggered` event; the rest are only counted. */
export const WATCH_LISTED_PATHS = 20;

/** Returns the first WATCH_LISTED_PATHS paths. */
export function listPaths(paths: string[]): string[] {
  return paths.slice(0, WATCH_LISTED_PATHS);
}

/**
 * Returns the final images with their size change since the last size recorded for
 * each step, and records the new sizes in `lastSizes`.
 */
export function compareFinalSizes(finalImages: FinalImage[], lastSizes: Map<string, number>): FinalImageSize[] {
  return finalImages.map((image) => {
    const previous = lastSizes.get(image.step);
    lastSizes.set(image.step, image.sizeBytes);
    const compared: FinalImageSize = { step: image.step, image: image.image, sizeBytes: image.sizeBytes };
    if (previous !== undefined) compared.deltaBytes = image.sizeBytes - previous;
    return compared;
  });
}
