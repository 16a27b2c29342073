// Reading build.yml from disk into a checked Manifest.

import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

import { InputError } from '../errors.js';
import { checkManifestPaths, checkWorkDir } from './check-paths.js';
import { parseManifestWithLines, type ParseOptions } from './parse.js';
import { displayPath } from './problems.js';
import type { Manifest } from './types.js';

export { parseManifest } from './parse.js';
export { checkManifestPaths } from './check-paths.js';

/**
 * The `-f` value that means build.yml in the work dir, as in Habitus. Any other relative
 * `-f` value, `./build.yml` too, is read from the current folder.
 */
export const DEFAULT_BUILD_FILE = 'build.yml';

/**
 * Options of loadManifest: the path of build.yml, the work dir and the values of `_env(NAME)`.
 * `workDir` defaults to the current folder, as Habitus's `-d` does, and the CLI passes it
 * explicitly. `env` is process.env, or only the `--env NAME=VALUE` pairs when any are given,
 * because Habitus reads one or the other, never both.
 */
export interface LoadOptions extends ParseOptions {
  /** The `-f` value as given on the command line, for the hint of a missing file, which explains how the path was resolved. */
  fileArgument?: string;
}

function readFailure(code: string | undefined): string {
  if (code === 'ENOENT') return 'build file not found';
  if (code === 'EISDIR') return 'build file is a folder';
  return `cannot read the build file (${code ?? 'unknown error'})`;
}

async function isFile(candidate: string): Promise<boolean> {
  return stat(candidate).then(
    (stats) => stats.isFile(),
    () => false,
  );
}

/** Returns the hint for a build file that is not there: how `-f` and `-d` resolve it, and the file weld found elsewhere. */
async function missingFileHint(file: string, workDir: string, fileArgument: string | undefined): Promise<string> {
  if (fileArgument === undefined) return 'pass the path of build.yml with `-f`; without it weld reads build.yml in the work dir';

  if (fileArgument === DEFAULT_BUILD_FILE) {
    const rule = `without \`-f\`, or with \`-f ${DEFAULT_BUILD_FILE}\`, weld reads ${DEFAULT_BUILD_FILE} in the work dir ${workDir}`;
    const inCurrentFolder = path.resolve(DEFAULT_BUILD_FILE);
    if (inCurrentFolder !== file && (await isFile(inCurrentFolder))) return `${rule}; ${inCurrentFolder} exists: pass \`-f ./${DEFAULT_BUILD_FILE}\``;
    return `${rule}; pass \`-d\` with the folder that holds build.yml, or \`-f\` with its path`;
  }
  if (path.isAbsolute(fileArgument)) return 'check the path given to `-f`; weld reads an absolute path as it is, whatever the work dir';

  const rule = `a relative \`-f\` path is read from the current folder ${process.cwd()}, not from the work dir`;
  const inWorkDir = path.resolve(workDir, fileArgument);
  if (inWorkDir !== file && (await isFile(inWorkDir))) return `${rule}; ${inWorkDir} exists: pass \`-f ${displayPath(inWorkDir)}\``;
  return `${rule}; pass \`-f\` with the path from the current folder, or an absolute path`;
}

/** Reads, parses and checks build.yml; every problem found becomes one InputError. */
export async function loadManifest(options: LoadOptions): Promise<Manifest> {
  const file = path.resolve(options.file);
  const workDir = path.resolve(options.workDir ?? '.');
  // A missing work dir explains a missing build.yml in it better than the file's error.
  await checkWorkDir(workDir);

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT'
        ? await missingFileHint(file, workDir, options.fileArgument)
        : 'pass the path of build.yml with `-f`; without it weld reads build.yml in the work dir';
    throw new InputError(`${readFailure(code)}: ${file}`, { hint, cause: error });
  }

  const parsed = parseManifestWithLines(text, { ...options, file });
  await checkManifestPaths(parsed.manifest, { lines: parsed.lines, fileLabel: parsed.fileLabel });
  return parsed.manifest;
}
