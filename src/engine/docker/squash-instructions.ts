// The settings of a squashed image that the import API rejects (STOPSIGNAL and SHELL
// on Docker 20.10), applied by a classic build FROM the imported image. These
// instructions change only the configuration, so the build adds history entries of
// 0 B and no filesystem layer. Its context is a tar made in memory that contains only
// the Dockerfile.

import { Readable } from 'node:stream';

import type Dockerode from 'dockerode';
import tar from 'tar-stream';

import { debug } from '../../debug.js';
import { CancelledError, EngineError } from '../../errors.js';
import type { BuildOutput } from '../engine.js';
import { sendBuildContext, type PackedBuildRequest } from './build-image.js';
import { engineMessageOf, statusCodeOf } from './engine-errors.js';
import { splitTag } from './split-tag.js';

/** A build that finishes a squash. */
export interface SquashInstructionsRequest {
  /** Id of the untagged image the import made; the build starts FROM it. */
  importedId: string;
  /** Dockerfile instructions to apply after `FROM`. */
  instructions: string[];
  /** Image name and tag to give the result. */
  tag: string;
}

const DOCKERFILE_NAME = 'Dockerfile';
/**
 * Pause before a second attempt to remove the imported image, for an instruction the
 * engine was still committing when the build was aborted. The length is an estimate,
 * not a measurement.
 */
const COMMIT_SETTLE_MS = 1_000;

const BUILD_HINT =
  'weld sets these settings with a classic build FROM the imported image, because the import API rejects them; ' +
  'run weld with --debug to see that Dockerfile and the build output, or with --no-cleanup to build the step without the squash';

/** Returns the keywords of `instructions`, joined for a message: `STOPSIGNAL and SHELL`. */
function describeKeywords(instructions: string[]): string {
  const keywords = [...new Set(instructions.map((line) => line.split(' ', 1)[0]!))];
  if (keywords.length <= 1) return keywords.join('');
  return `${keywords.slice(0, -1).join(', ')} and ${keywords.at(-1)}`;
}

function logBuildOutput(tag: string, output: BuildOutput): void {
  if (output.kind === 'instruction') debug('engine', `squash build of ${tag}:`, output.text);
  if (output.kind === 'log') debug('engine', `squash build of ${tag}:`, output.line);
}

/** Returns a build context tar that contains only a Dockerfile with `content`. */
async function packDockerfile(content: string): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: DOCKERFILE_NAME, mode: 0o644 }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * Removes the imported image and the untagged images a failed or cancelled build made
 * from it, children before parents, and returns whether the imported image is gone. A
 * tagged image stays, and so do its parents. An image that cannot be removed is only
 * logged, because the squash's own error matters more.
 */
async function removeImportedTree(docker: Dockerode, importedId: string): Promise<boolean> {
  const images = await docker.listImages({ all: true });
  const tree = [importedId];
  for (let index = 0; index < tree.length; index += 1) {
    for (const image of images) if (image.ParentId === tree[index]) tree.push(image.Id);
  }
  const tagged = new Set(images.filter((image) => (image.RepoTags ?? []).some((tag) => tag !== '<none>:<none>')).map((image) => image.Id));

  let importedGone = true;
  for (const id of tree.reverse()) {
    if (tagged.has(id)) continue;
    try {
      await docker.getImage(id).remove({ noprune: true });
    } catch (error) {
      if (statusCodeOf(error) === 404) continue;
      debug('engine', `could not remove image ${id} of an unfinished squash`, engineMessageOf(error));
      if (id === importedId) importedGone = false;
    }
  }
  return importedGone && !tagged.has(importedId);
}

/** Removes what an unfinished squash made, once more after a pause when the first attempt leaves the import. */
async function removeUnfinishedSquash(docker: Dockerode, importedId: string, tag: string): Promise<void> {
  try {
    if (await removeImportedTree(docker, importedId)) return;
    await new Promise((resolve) => setTimeout(resolve, COMMIT_SETTLE_MS));
    await removeImportedTree(docker, importedId);
  } catch (error) {
    debug('engine', `could not remove the images of the unfinished squash of ${tag}`, String(error));
  }
}

/**
 * Builds `request.instructions` on top of `request.importedId`, tags the result
 * `request.tag` and returns its id. On failure or cancellation it removes the imported
 * image and what the build made from it, so that none of them stays behind untagged.
 */
export async function applySquashInstructions(
  docker: Dockerode,
  endpoint: string,
  request: SquashInstructionsRequest,
  signal: AbortSignal,
): Promise<string> {
  const dockerfile = [`FROM ${request.importedId}`, ...request.instructions, ''].join('\n');
  debug('engine', `Dockerfile that finishes the squash of ${request.tag}:\n${dockerfile}`);
  const buildRequest: PackedBuildRequest = {
    dockerfilePath: DOCKERFILE_NAME,
    tag: request.tag,
    untagged: true,
    buildArgs: {},
    noCache: true,
    rm: true,
    forceRm: true,
    quiet: false,
    labels: {},
  };

  try {
    const context = await packDockerfile(dockerfile);
    // The build is not aborted with the squash: an engine that loses the client goes on
    // with the instruction at hand and commits an image after weld looked for what to
    // remove. Its instructions only set configuration, so it ends within a second, and
    // its result gets the tag only if the squash is still wanted by then.
    const result = await sendBuildContext(
      docker,
      endpoint,
      buildRequest,
      { stream: Readable.from([context]), dockerfile: DOCKERFILE_NAME },
      (output) => logBuildOutput(request.tag, output),
      new AbortController().signal,
    );
    if (signal.aborted) throw new CancelledError(`squash of ${request.tag} cancelled`);
    const { repository, tag } = splitTag(request.tag);
    await docker.getImage(result.imageId).tag({ repo: repository, tag });
    return result.imageId;
  } catch (error) {
    await removeUnfinishedSquash(docker, request.importedId, request.tag);
    if (signal.aborted) throw new CancelledError(`squash of ${request.tag} cancelled`);
    const message = error instanceof Error ? error.message : String(error);
    throw new EngineError(`setting ${describeKeywords(request.instructions)} on the squashed image ${request.tag} failed: ${message}`, {
      hint: BUILD_HINT,
      cause: error,
    });
  }
}
