// The layer-size table of a final image as data, shared by the plain reporter and
// the console: one row a layer, newest first, with its share of the image size.

import type { FinalImage } from '../build/events.js';

export interface LayerRow {
  /** Short image id of the layer, or `<missing>`. */
  id: string;
  sizeBytes: number;
  /** Share of the image size, 0 to 1. */
  share: number;
  /** The instruction that made the layer, in Dockerfile form. */
  instruction: string;
}

const NOP_PREFIX = /^\/bin\/sh -c #\(nop\)\s+/;
const SHELL_PREFIX = /^\/bin\/sh -c /;
const BUILDKIT_SUFFIX = / # buildkit$/;
/** The classic builder records COPY and ADD sources as a content hash: `COPY file:<64 hex> in /app`. */
const SOURCE_HASH = /\b(file|dir|multi):([0-9a-f]{12})[0-9a-f]{52}\b/g;
const SHORT_ID_LENGTH = 12;

/**
 * Returns the Dockerfile form of a history entry's CreatedBy: the classic builder
 * records metadata instructions as `/bin/sh -c #(nop) CMD …` and RUN as
 * `/bin/sh -c …`; BuildKit records them as `CMD …` and `RUN /bin/sh -c …`.
 */
export function describeLayerInstruction(createdBy: string): string {
  const trimmed = createdBy.trim().replace(SOURCE_HASH, '$1:$2…');
  if (NOP_PREFIX.test(trimmed)) return trimmed.replace(NOP_PREFIX, '').trim();
  if (BUILDKIT_SUFFIX.test(trimmed)) return trimmed.replace(BUILDKIT_SUFFIX, '');
  if (SHELL_PREFIX.test(trimmed)) return `RUN ${trimmed.replace(SHELL_PREFIX, '')}`;
  return trimmed === '' ? '(no instruction recorded)' : trimmed;
}

/** Returns a short form of a layer id: 12 hex digits without `sha256:`. */
export function shortenImageId(id: string): string {
  if (id === '<missing>' || id === '') return '<missing>';
  return id.replace(/^sha256:/, '').slice(0, SHORT_ID_LENGTH);
}

/** Returns the rows of the layer-size table of a final image, newest layer first. */
export function buildLayerRows(image: FinalImage): LayerRow[] {
  const total = image.sizeBytes > 0 ? image.sizeBytes : image.layers.reduce((sum, layer) => sum + layer.sizeBytes, 0);
  return image.layers.map((layer) => ({
    id: shortenImageId(layer.id),
    sizeBytes: layer.sizeBytes,
    share: total > 0 ? layer.sizeBytes / total : 0,
    instruction: describeLayerInstruction(layer.createdBy),
  }));
}
