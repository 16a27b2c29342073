// Squashing a container into a one-layer image: export its filesystem
// (`GET /containers/{id}/export`) and stream it straight into the import API
// (`POST /images/create?fromSrc=-`). The import starts from an empty configuration, so
// the source image's settings travel as `changes`, Dockerfile lines the engine applies.
// The import rejects STOPSIGNAL and SHELL, so when the source image has either, a
// classic build FROM the imported image sets them (see squash-instructions.ts).
// Nothing is written to disk and nothing needs root on the host.

import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';

import type Dockerode from 'dockerode';

import { debug } from '../../debug.js';
import { CancelledError, EngineError } from '../../errors.js';
import type { SquashRequest, SquashResult } from '../engine.js';
import { engineMessageOf, statusCodeOf, toEngineError } from './engine-errors.js';
import { applySquashInstructions } from './squash-instructions.js';
import { splitTag } from './split-tag.js';

/** The parts of an image's configuration that a squash keeps, as `GET /images/{name}/json` returns them. */
export interface ImageConfig {
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  User?: string;
  ExposedPorts?: Record<string, unknown> | null;
  Volumes?: Record<string, unknown> | null;
  Labels?: Record<string, string> | null;
  OnBuild?: string[] | null;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number } | null;
  StopSignal?: string;
  Shell?: string[] | null;
}

/** Configuration of a squashed image, split between the import and a build after it. */
export interface SquashSettings {
  /** Dockerfile lines the import API applies (its `changes`). */
  importChanges: string[];
  /**
   * Instructions for a classic build FROM the imported image, for what the import
   * rejects. Empty when the import carries every setting and no build is needed.
   */
  buildInstructions: string[];
}

/** History comment of the squashed layer, shown by `docker history`. */
const SQUASH_MESSAGE = 'weld: squashed after cleanup.commands';

/**
 * Quotes a value for a double-quoted Dockerfile word. Inside double quotes the engine
 * still expands `$NAME` and takes `\` as its escape character, so both are escaped.
 * NOTE: a value with a line break cannot be written as one change line; the engine
 * rejects such an import.
 */
function quoteWord(value: string): string {
  return `"${value.replace(/[\\"$]/g, (character) => `\\${character}`)}"`;
}

/** Escapes a bare Dockerfile argument (WORKDIR, USER), which the engine also expands. */
function escapeBare(value: string): string {
  return value.replace(/[\\$]/g, (character) => `\\${character}`);
}

function healthcheckChange(healthcheck: NonNullable<ImageConfig['Healthcheck']>): string | undefined {
  const test = healthcheck.Test ?? [];
  if (test.length === 0) return undefined;
  if (test[0] === 'NONE') return 'HEALTHCHECK NONE';

  // Durations come in nanoseconds; Go's duration parser, which the engine uses, takes `ns`.
  const options: string[] = [];
  if (healthcheck.Interval) options.push(`--interval=${healthcheck.Interval}ns`);
  if (healthcheck.Timeout) options.push(`--timeout=${healthcheck.Timeout}ns`);
  if (healthcheck.StartPeriod) options.push(`--start-period=${healthcheck.StartPeriod}ns`);
  if (healthcheck.Retries) options.push(`--retries=${healthcheck.Retries}`);
  const command = test[0] === 'CMD-SHELL' ? (test[1] ?? '') : JSON.stringify(test.slice(1));
  return ['HEALTHCHECK', ...options, 'CMD', command].join(' ');
}

/**
 * Splits `config` into import changes and build instructions. The engine's import API
 * (20.10) accepts CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, USER,
 * VOLUME and WORKDIR, and rejects STOPSIGNAL and SHELL, which therefore become build
 * instructions. A build FROM an image runs that image's ONBUILD triggers and does not
 * keep them, so when there is a build, the ONBUILD lines go to the build too.
 */
export function toSquashSettings(config: ImageConfig): SquashSettings {
  const importChanges: string[] = [];
  const buildInstructions: string[] = [];

  if (config.StopSignal) buildInstructions.push(`STOPSIGNAL ${escapeBare(config.StopSignal)}`);
  // SHELL takes only the JSON form.
  if (config.Shell && config.Shell.length > 0) buildInstructions.push(`SHELL ${JSON.stringify(config.Shell)}`);
  const onBuildTarget = buildInstructions.length > 0 ? buildInstructions : importChanges;

  for (const entry of config.Env ?? []) {
    const equals = entry.indexOf('=');
    const name = equals < 0 ? entry : entry.slice(0, equals);
    const value = equals < 0 ? '' : entry.slice(equals + 1);
    importChanges.push(`ENV ${name}=${quoteWord(value)}`);
  }
  const labels = Object.entries(config.Labels ?? {});
  if (labels.length > 0) importChanges.push(`LABEL ${labels.map(([key, value]) => `${quoteWord(key)}=${quoteWord(value)}`).join(' ')}`);
  const ports = Object.keys(config.ExposedPorts ?? {});
  if (ports.length > 0) importChanges.push(`EXPOSE ${ports.join(' ')}`);
  const volumes = Object.keys(config.Volumes ?? {});
  if (volumes.length > 0) importChanges.push(`VOLUME ${JSON.stringify(volumes)}`);
  if (config.WorkingDir) importChanges.push(`WORKDIR ${escapeBare(config.WorkingDir)}`);
  if (config.User) importChanges.push(`USER ${escapeBare(config.User)}`);
  for (const trigger of config.OnBuild ?? []) onBuildTarget.push(`ONBUILD ${trigger}`);
  const healthcheck = config.Healthcheck ? healthcheckChange(config.Healthcheck) : undefined;
  if (healthcheck) importChanges.push(healthcheck);

  // ENTRYPOINT before CMD: an ENTRYPOINT line resets a CMD set before it.
  if (config.Entrypoint && config.Entrypoint.length > 0) importChanges.push(`ENTRYPOINT ${JSON.stringify(config.Entrypoint)}`);
  if (config.Cmd && config.Cmd.length > 0) importChanges.push(`CMD ${JSON.stringify(config.Cmd)}`);
  return { importChanges, buildInstructions };
}

/** Reads the import API's JSON stream and returns the new image id, or throws the error it reports. */
async function readImportResult(response: IncomingMessage, tag: string): Promise<string> {
  let text = '';
  for await (const chunk of response as AsyncIterable<Buffer>) text += chunk.toString('utf8');

  let imageId: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    let message: { status?: string; error?: string };
    try {
      message = JSON.parse(line) as { status?: string; error?: string };
    } catch {
      continue;
    }
    if (message.error) throw new EngineError(`import of the squashed image ${tag} failed: ${message.error}`);
    if (message.status?.startsWith('sha256:')) imageId = message.status.trim();
  }
  if (!imageId) throw new EngineError(`the Docker engine ended the import of ${tag} without reporting an image id`);
  return imageId;
}

async function readImageConfig(docker: Dockerode, endpoint: string, image: string): Promise<ImageConfig> {
  try {
    const info = await docker.getImage(image).inspect();
    return (info.Config ?? {}) as ImageConfig;
  } catch (error) {
    if (statusCodeOf(error) === 404) throw new EngineError(`image ${image} not found: cannot read the configuration to squash with`, { cause: error });
    throw toEngineError(error, `inspecting image ${image}`, endpoint);
  }
}

/**
 * Streams the export of `request.containerId` into the import API and returns the new
 * image's id. The image is tagged `request.tag` when `tagged` is set, else untagged.
 *
 * The import request itself is never aborted. An engine that had the whole export
 * already finishes the import even when the client goes, and the image id would be
 * lost with the response. On abort, or when the export fails, the body is ended where
 * it is instead: the engine then rejects the cut archive or imports it, and an image
 * it imports anyway is removed here.
 */
async function importContainer(docker: Dockerode, request: SquashRequest, changes: string[], tagged: boolean, signal: AbortSignal): Promise<string> {
  const { repository, tag } = splitTag(request.tag);
  const body = new PassThrough();
  let exported: IncomingMessage | undefined;
  let exportError: unknown;
  const cutBody = (): void => {
    exported?.unpipe(body);
    exported?.destroy();
    body.end();
  };
  signal.addEventListener('abort', cutBody, { once: true });
  try {
    exported = (await docker.getContainer(request.containerId).export({ abortSignal: signal })) as IncomingMessage;
    exported.on('error', (error) => {
      exportError ??= error;
      cutBody();
    });
    exported.pipe(body);
    const response = (await docker.importImage(body, {
      ...(tagged ? { repo: repository, tag } : {}),
      changes,
      message: SQUASH_MESSAGE,
    } as object)) as IncomingMessage;
    const imageId = await readImportResult(response, request.tag);
    if (signal.aborted || exportError !== undefined) {
      await docker
        .getImage(imageId)
        .remove({ noprune: true })
        .catch((error: unknown) => debug('engine', `could not remove image ${imageId} of a cut import`, engineMessageOf(error)));
      if (exportError !== undefined && !signal.aborted) throw exportError;
    }
    if (signal.aborted) throw new CancelledError(`squash of ${request.tag} cancelled`);
    return imageId;
  } catch (error) {
    if (signal.aborted) throw new CancelledError(`squash of ${request.tag} cancelled`);
    if (error instanceof EngineError) throw error;
    throw new EngineError(`squashing container ${request.containerId.slice(0, 12)} into ${request.tag} failed: ${engineMessageOf(error)}`, {
      hint: 'the engine log (journalctl -u docker) records why the export or the import stopped',
      cause: error,
    });
  } finally {
    signal.removeEventListener('abort', cutBody);
    exported?.destroy();
  }
}

/**
 * Squashes the filesystem of `request.containerId` into a one-layer image tagged
 * `request.tag`, with the configuration of `request.configFrom`. Whatever the
 * container deleted is absent from the result, because the layer is the container's
 * filesystem as it is, not a stack of changes. When a build must follow the import,
 * the import stays untagged, so that the tag only ever names the finished image.
 */
export async function squashContainer(docker: Dockerode, endpoint: string, request: SquashRequest, signal: AbortSignal): Promise<SquashResult> {
  if (signal.aborted) throw new CancelledError(`squash of ${request.tag} cancelled`);
  const config = await readImageConfig(docker, endpoint, request.configFrom);
  const { importChanges, buildInstructions } = toSquashSettings(config);
  const needsBuild = buildInstructions.length > 0;

  const importedId = await importContainer(docker, request, importChanges, !needsBuild, signal);
  if (!needsBuild) return { imageId: importedId };

  const imageId = await applySquashInstructions(docker, endpoint, { importedId, instructions: buildInstructions, tag: request.tag }, signal);
  return { imageId };
}

/** Commits a stopped container into an untagged image and returns its id. */
export async function commitContainer(docker: Dockerode, endpoint: string, containerId: string, signal: AbortSignal): Promise<string> {
  if (signal.aborted) throw new CancelledError('commit cancelled');
  try {
    const result = (await docker.getContainer(containerId).commit({ pause: false, abortSignal: signal })) as { Id: string };
    return result.Id;
  } catch (error) {
    if (signal.aborted) throw new CancelledError('commit cancelled');
    throw toEngineError(error, `committing container ${containerId.slice(0, 12)}`, endpoint);
  }
}
