// Copies one path out of an image: create a container that is never started, stream
// the path with the archive API (`GET /containers/{id}/archive`), extract it on the
// host, and remove the container whatever happens.

import path from 'node:path';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

import type Dockerode from 'dockerode';

import { debug } from '../../debug.js';
import { CancelledError, EngineError, WeldError, isCancellation } from '../../errors.js';
import type { CopyRequest, CopyResult } from '../engine.js';
import { extractFromSource, type ArchiveSource } from '../extract.js';
import { ReadableSource } from '../extract/archive-source.js';
import { ownerLabels } from './abandoned-copies.js';
import { directEndpointOf, requestArchiveDirect } from './archive-request.js';
import { engineMessageOf, statusCodeOf, toEngineError } from './engine-errors.js';
import { removeContainer } from './remove-container.js';

/**
 * `X-Docker-Container-Path-Stat`: the engine's lstat of the requested path. `mode` is
 * a Go `os.FileMode`; `linkTarget` is the link's target resolved inside the container.
 */
interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** An archive response: its header fields and its body. */
interface ArchiveStream {
  headers: IncomingHttpHeaders;
  body: ArchiveSource;
}

interface OpenedArchive {
  body: ArchiveSource;
  stat: PathStat;
  /** Name for the copied root when the requested path was a link: the link's own name. */
  rootName?: string;
}

/**
 * Command given to the container. It is never started, so the command need not exist;
 * setting one lets the engine create containers from images with no CMD (`FROM scratch`).
 */
export const PLACEHOLDER_COMMAND = '/weld-copy-placeholder';
const PATH_STAT_HEADER = 'x-docker-container-path-stat';
/** Bits of Go's `os.FileMode`. */
const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;
/** Links followed from the requested path before giving up (Linux stops at 40). */
const MAX_LINK_HOPS = 40;
const PROGRESS_INTERVAL_MS = 100;

function isFolder(stat: PathStat): boolean {
  return Math.floor(stat.mode / GO_MODE_DIR) % 2 === 1;
}

function isSymlink(stat: PathStat): boolean {
  return Math.floor(stat.mode / GO_MODE_SYMLINK) % 2 === 1;
}

/** Returns the endpoint dockerode talks to, for messages. */
function endpointOf(docker: Dockerode): string {
  const modem = docker.modem as { socketPath?: string; protocol?: string; host?: string; port?: number | string };
  if (modem.socketPath) return `unix://${modem.socketPath}`;
  return `${modem.protocol ?? 'http'}://${modem.host ?? 'localhost'}${modem.port ? `:${modem.port}` : ''}`;
}

function readPathStat(headers: IncomingHttpHeaders, sourcePath: string): PathStat {
  const header = headers[PATH_STAT_HEADER];
  const fallback: PathStat = { name: path.posix.basename(sourcePath), size: 0, mode: 0, mtime: '', linkTarget: '' };
  if (typeof header !== 'string') {
    debug('engine:copy', `no ${PATH_STAT_HEADER} header for ${sourcePath}; the total size is unknown`);
    return fallback;
  }
  return { ...fallback, ...(JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as Partial<PathStat>) };
}

/** Returns the absolute path a link at `linkPath` points to, resolving a relative target from the link's folder. */
function resolveLinkTarget(linkPath: string, linkTarget: string): string {
  return path.posix.resolve(path.posix.dirname(linkPath), linkTarget);
}

function checkSourcePath(request: CopyRequest): void {
  const normalized = path.posix.normalize(request.sourcePath);
  if (!path.posix.isAbsolute(normalized) || normalized === '/') {
    throw new WeldError(`cannot copy ${JSON.stringify(request.sourcePath)} from image ${request.image}: the path must be absolute and below /`, {
      hint: 'write the artifact as the absolute path of a file or folder inside the image, such as /app/dist',
    });
  }
}

async function createCopyContainer(docker: Dockerode, request: CopyRequest): Promise<Dockerode.Container> {
  try {
    return await docker.createContainer({
      Image: request.image,
      Entrypoint: [PLACEHOLDER_COMMAND],
      Cmd: [],
      // The labels naming this process let a later run remove the container if this one exits at once.
      Labels: { ...request.labels, ...ownerLabels() },
      NetworkDisabled: true,
    });
  } catch (error) {
    if (statusCodeOf(error) === 404) {
      throw new EngineError(`image ${request.image} not found: cannot copy ${request.sourcePath} from it`, {
        hint: 'build the step that makes the image first, or check the image name',
        cause: error,
      });
    }
    throw toEngineError(error, `creating a container of image ${request.image} to copy ${request.sourcePath}`, endpointOf(docker));
  }
}

/** Returns the engine's stat of `sourcePath` in the container, or undefined when it does not exist. */
async function statPath(container: Dockerode.Container, sourcePath: string): Promise<PathStat | undefined> {
  try {
    const response = (await container.infoArchive({ path: sourcePath })) as IncomingMessage;
    response.resume();
    return readPathStat(response.headers, sourcePath);
  } catch (error) {
    if (statusCodeOf(error) === 404) return undefined;
    throw error;
  }
}

/**
 * Returns a hint for a path the image does not have, naming the closest folder above
 * it that does exist (`HEAD` requests only: listing a folder would stream its content).
 */
async function describeMissingPath(container: Dockerode.Container, image: string, missingPath: string): Promise<string> {
  const check = `check the artifact path against the Dockerfile that builds ${image} (its WORKDIR, COPY and RUN lines)`;
  try {
    let child = missingPath;
    let parent = path.posix.dirname(missingPath);
    let stat = parent === '/' ? undefined : await statPath(container, parent);
    while (parent !== '/' && stat === undefined) {
      child = parent;
      parent = path.posix.dirname(parent);
      stat = parent === '/' ? undefined : await statPath(container, parent);
    }

    const name = path.posix.basename(child);
    if (stat === undefined || isFolder(stat)) return `the closest folder that exists is \`${parent}\`, and it has no \`${name}\`; ${check}`;
    if (isSymlink(stat)) return `\`${parent}\` is a symbolic link to \`${stat.linkTarget}\`, which has no \`${name}\`; ${check}`;
    return `\`${parent}\` is a file, not a folder; ${check}`;
  } catch (error) {
    debug('engine:copy', `could not look for the closest folder of ${missingPath}:`, String(error));
    return check;
  }
}

/**
 * Sends the archive request: over a plain socket when the engine is reached without
 * TLS (see archive-request.ts for why), else through dockerode. Both fail with the
 * same error shape, a `statusCode` and the engine's `json` message.
 */
async function getArchive(docker: Dockerode, container: Dockerode.Container, archivePath: string, signal: AbortSignal): Promise<ArchiveStream> {
  const endpoint = await directEndpointOf(docker);
  if (endpoint !== undefined) return requestArchiveDirect(endpoint, container.id, archivePath, signal);

  // dockerode passes `abortSignal` to the HTTP request; its typings leave it out.
  const options = { path: archivePath, abortSignal: signal } as { path: string };
  const response = (await container.getArchive(options)) as IncomingMessage;
  return { headers: response.headers, body: new ReadableSource(response) };
}

async function requestArchive(
  docker: Dockerode,
  container: Dockerode.Container,
  request: CopyRequest,
  archivePath: string,
  links: string[],
  signal: AbortSignal,
): Promise<ArchiveStream> {
  try {
    return await getArchive(docker, container, archivePath, signal);
  } catch (error) {
    const message = engineMessageOf(error);
    if (/no such container/i.test(message)) throw error;
    if (statusCodeOf(error) === 400 || statusCodeOf(error) === 500) {
      // The engine names the path on its own filesystem (`…/overlay2/<id>/merged/app`);
      // the part up to `merged` means nothing to the user.
      const inImage = message.replace(/\S*\/merged(?=\/)/g, '');
      throw new EngineError(`reading ${archivePath} from image ${request.image} failed: ${inImage}`, {
        hint: 'check the artifact path: a path that ends in / must be a folder',
        cause: error,
      });
    }
    if (statusCodeOf(error) !== 404) throw error;

    if (links.length > 0) {
      throw new EngineError(`artifact path ${request.sourcePath} in image ${request.image} is a symbolic link to ${archivePath}, which does not exist`, {
        hint: `the link resolves as ${links.join(', ')}; copy the path the link should point to, or fix the link in the Dockerfile`,
        cause: error,
      });
    }
    throw new EngineError(`artifact path ${request.sourcePath} not found in image ${request.image}`, {
      hint: await describeMissingPath(container, request.image, archivePath),
      cause: error,
    });
  }
}

/**
 * Opens the archive of the requested path. A path that is a symlink gives the archive
 * of its target, to be written under the link's name.
 */
async function openArchive(docker: Dockerode, container: Dockerode.Container, request: CopyRequest, signal: AbortSignal): Promise<OpenedArchive> {
  const links: string[] = [];
  let archivePath = request.sourcePath;
  let rootName: string | undefined;

  for (let hops = 0; ; hops += 1) {
    const archive = await requestArchive(docker, container, request, archivePath, links, signal);
    const stat = readPathStat(archive.headers, archivePath);
    if (!isSymlink(stat)) return { body: archive.body, stat, rootName };

    archive.body.destroy();
    if (stat.linkTarget === '' || hops === MAX_LINK_HOPS) {
      throw new EngineError(`artifact path ${request.sourcePath} in image ${request.image} is a symbolic link that weld could not resolve`, {
        hint: `the links followed were: ${links.join(', ') || archivePath}; copy the final target path instead`,
      });
    }
    // Docker 20.10 reports the target already resolved inside the container. A relative
    // target is still resolved from the link's folder in case another engine does not.
    const target = resolveLinkTarget(archivePath, stat.linkTarget);
    rootName ??= stat.name;
    links.push(`${archivePath} -> ${target}`);
    debug('engine:copy', `${archivePath} is a link to ${target}`);
    archivePath = target;
  }
}

/** Returns a reporter that calls `onProgress` at most once per `PROGRESS_INTERVAL_MS`. */
function throttleProgress(request: CopyRequest, total: number): (bytes: number) => void {
  let lastReportMs = 0;
  return (bytes) => {
    const now = Date.now();
    if (now - lastReportMs < PROGRESS_INTERVAL_MS) return;
    lastReportMs = now;
    request.onProgress?.(bytes, total);
  };
}

function toCopyError(error: unknown, request: CopyRequest, docker: Dockerode, signal: AbortSignal): Error {
  if (signal.aborted || isCancellation(error)) {
    return new CancelledError(`copy of ${request.sourcePath} from image ${request.image} cancelled`);
  }
  if (error instanceof EngineError) return error;
  if (error instanceof WeldError) {
    return new WeldError(`copying ${request.sourcePath} from image ${request.image} failed: ${error.message}`, {
      hint: error.hint,
      cause: error,
    });
  }
  return toEngineError(error, `copying ${request.sourcePath} from image ${request.image}`, endpointOf(docker));
}

/** Options of copyFromImage. */
export interface CopyOptions {
  /**
   * Takes the removal of the copy's container instead of waiting for it, so that the
   * next step can start while the engine removes it. The promise never rejects.
   */
  deferRemoval?: (removal: Promise<void>) => void;
}

/**
 * Copies `request.sourcePath` out of `request.image` into `request.destinationDir`,
 * replacing a previous copy of the same name. No command runs in the image, so images
 * without a shell or built `FROM scratch` work.
 *
 * `total` in progress reports is the file's size for a single file and 0 (unknown) for
 * a folder. The engine's stat gives a folder's own inode size, not its content's, and
 * summing the content would take a second pass over the whole archive.
 */
export async function copyFromImage(docker: Dockerode, request: CopyRequest, signal: AbortSignal, options: CopyOptions = {}): Promise<CopyResult> {
  checkSourcePath(request);
  if (signal.aborted) throw toCopyError(signal.reason, request, docker, signal);

  // Created without the signal: an abort while the engine creates it would leave a
  // container weld never learns the id of. The checks below stop the copy instead.
  const container = await createCopyContainer(docker, request);
  debug('engine:copy', `copying ${request.sourcePath} from ${request.image} through container ${container.id}`);
  try {
    if (signal.aborted) throw signal.reason;
    const archive = await openArchive(docker, container, request, signal);
    const total = isFolder(archive.stat) ? 0 : archive.stat.size;

    const result = await extractFromSource(archive.body, {
      destinationDir: request.destinationDir,
      rootName: archive.rootName,
      onProgress: throttleProgress(request, total),
      signal,
    });
    request.onProgress?.(result.bytes, total);
    return { bytes: result.bytes, path: result.path };
  } catch (error) {
    throw toCopyError(error, request, docker, signal);
  } finally {
    const removal = removeContainer(docker, container.id).then(
      () => undefined,
      (error: unknown) => debug('engine:copy', `could not remove container ${container.id}:`, String(error)),
    );
    if (options.deferRemoval) options.deferRemoval(removal);
    else await removal;
  }
}
