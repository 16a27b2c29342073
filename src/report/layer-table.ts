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

/**
 * The classic builder records a metadata instruction behind the shell that RUN uses and
 * `#(nop)`: `/bin/sh -c #(nop)  CMD …`, or `/bin/sh -ec #(nop)  CMD …` once SHELL has
 * changed it. Shell words never contain `#`, so everything up to the first `#(nop)` is the shell.
 */
const NOP_PREFIX = /^[^#]*#\(nop\)\s+/;
/** The shell a RUN records until a SHELL instruction changes it. */
const DEFAULT_SHELL = '/bin/sh -c';
/** The argument of a recorded SHELL instruction: `SHELL [/bin/sh -ec]`, Go's format of a string list. */
const SHELL_INSTRUCTION = /^SHELL \[(.*)\]$/;
const BUILDKIT_SUFFIX = / # buildkit$/;
/** The classic builder records COPY and ADD sources as a content hash: `COPY file:<64 hex> in /app`. */
const SOURCE_HASH = /\b(file|dir|multi):([0-9a-f]{12})[0-9a-f]{52}\b/g;
const SHORT_ID_LENGTH = 12;

/**
 * Returns the Dockerfile form of a history entry's CreatedBy: the classic builder
 * records metadata instructions as `/bin/sh -c #(nop) CMD …` and RUN as
 * `/bin/sh -c …`, with `shell` in place of `/bin/sh -c` after a SHELL instruction;
 * BuildKit records them as `CMD …` and `RUN /bin/sh -c …`.
 */
export function describeLayerInstruction(createdBy: string, shell = DEFAULT_SHELL): string {
  const trimmed = createdBy.trim().replace(SOURCE_HASH, '$1:$2…');
  if (NOP_PREFIX.test(trimmed)) return trimmed.replace(NOP_PREFIX, '').trim();
  if (BUILDKIT_SUFFIX.test(trimmed)) return trimmed.replace(BUILDKIT_SUFFIX, '');
  if (trimmed.startsWith(`${shell} `)) return `RUN ${trimmed.slice(shell.length + 1)}`;
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

  // A SHELL instruction changes the shell of the RUN entries above it, so the oldest layer goes first.
  let shell = DEFAULT_SHELL;
  const rows: LayerRow[] = [];
  for (const layer of [...image.layers].reverse()) {
    const instruction = describeLayerInstruction(layer.createdBy, shell);
    shell = SHELL_INSTRUCTION.exec(instruction)?.[1] ?? shell;
    rows.push({ id: shortenImageId(layer.id), sizeBytes: layer.sizeBytes, share: total > 0 ? layer.sizeBytes / total : 0, instruction });
  }
  return rows.reverse();
}
