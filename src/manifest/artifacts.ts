// Artifact specs: `/path/in/image` or `/path/in/image:destination`.

import path from 'node:path';

import type { ArtifactSpec } from './types.js';

/** Why a spec was rejected: what is wrong with it and what to write instead. */
export interface ArtifactSpecError {
  /** Completes "artifact `…` in step `…` …", e.g. "has more than one `:`". */
  reason: string;
  hint: string;
}

/**
 * Parses one entry of `artifacts`. Habitus splits on `:` and ignores every part after the
 * second. Here more than one `:` is an error, because the dropped part was meant for
 * something. The destination is a folder relative to the work dir, `.` when left out, and
 * must not lead out of it after normalisation (`../out`, `a/../../out`).
 */
export function parseArtifactSpec(spec: string): ArtifactSpec | ArtifactSpecError {
  const parts = spec.split(':');
  if (parts.length > 2) {
    return {
      reason: 'has more than one `:`',
      hint: 'write `/path/in/image` or `/path/in/image:destination`; a path that contains `:` cannot be an artifact',
    };
  }

  const [source = '', destination = ''] = parts;
  if (source === '') {
    return { reason: 'has no source path before the `:`', hint: 'write the absolute path of the file or folder in the image, e.g. `/app/server:bin`' };
  }
  if (!source.startsWith('/')) {
    const reason = source === spec ? 'has a relative source path' : `has a relative source path \`${source}\``;
    return { reason, hint: 'write the absolute path inside the image, starting with `/`' };
  }
  // Habitus joins an absolute destination onto the work dir, so `/out` lands in `<work dir>/out`.
  // That is rarely what the writer meant, so a relative path is required instead.
  if (destination.startsWith('/')) {
    return {
      reason: `has an absolute destination \`${destination}\``,
      hint: `write a folder relative to the work dir, e.g. \`${source}:${destination.replace(/^\/+/, '') || '.'}\``,
    };
  }

  // The run removes the artifact folders it created when it ends, so a destination outside
  // the work dir could remove a folder that belongs to something else.
  const normalized = path.normalize(destination === '' ? '.' : destination);
  if (normalized === '..' || normalized.startsWith(`..${path.sep}`)) {
    const inside = normalized.split(path.sep).filter((segment) => segment !== '..').join(path.sep) || '.';
    return {
      reason: `has a destination \`${destination}\` outside the work dir`,
      hint: `weld writes artifacts only inside the work dir, which \`-d\` sets; write a folder relative to it, e.g. \`${source}:${inside}\``,
    };
  }

  return { source, destination: destination === '' ? '.' : destination, spec };
}

export function isArtifactSpecError(result: ArtifactSpec | ArtifactSpecError): result is ArtifactSpecError {
  return 'reason' in result;
}
