// Reading build.yml from disk into a checked Manifest.

import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { InputError } from '../errors.js';
import { checkManifestPaths, checkWorkDir } from './check-paths.js';
import { parseManifestWithLines, type ParseOptions } from './parse.js';
import { displayPath } from './problems.js';
import type { Manifest } from './types.js';

export { parseManifest } from './parse.js';
export { checkManifestPaths } from './check-paths.js';

/**
 * Options of loadManifest: the path of build.yml, the work dir and the values of `_env(NAME)`.
 * `workDir` defaults to the current folder, as Habitus's `-d` does, and the CLI passes it
 * explicitly. `env` is process.env, or only the `--env NAME=VALUE` pairs when any are given,
 * because Habitus reads one or the other, never both.
 */
export type LoadOptions = ParseOptions;

function readFailure(code: string | undefined): string {
  if (code === 'ENOENT') return 'build file not found';
  if (code === 'EISDIR') return 'build file is a folder';
  return `cannot read the build file (${code ?? 'unknown error'})`;
}

/** Reads, parses and checks build.yml; every problem found becomes one InputError. */
export async function loadManifest(options: LoadOptions): Promise<Manifest> {
  const file = path.resolve(options.file);
  // A missing work dir explains a missing build.yml in it better than the file's error.
  await checkWorkDir(path.resolve(options.workDir ?? '.'));

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(`${readFailure((error as NodeJS.ErrnoException).code)}: ${displayPath(file)}`, {
      hint: 'pass the path of build.yml with `-f`; without it weld reads build.yml in the work dir',
      cause: error,
    });
  }

  const parsed = parseManifestWithLines(text, { ...options, file });
  await checkManifestPaths(parsed.manifest, { lines: parsed.lines, fileLabel: parsed.fileLabel });
  return parsed.manifest;
}
