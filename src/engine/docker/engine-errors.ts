// Turns the errors of dockerode, docker-modem and Node's sockets into `EngineError`s
// that name the endpoint and what to try.

import { statSync } from 'node:fs';

import { EngineError } from '../../errors.js';

/** Parts of the errors docker-modem and Node's net, tls and ssh2 modules throw. */
interface DockerClientError {
  code?: string;
  statusCode?: number;
  json?: { message?: string } | null;
  level?: string;
  message?: string;
}

const START_ENGINE_HINT =
  "start Docker, or check DOCKER_HOST or --host; in a clone of weld, demo/engine-up.sh installs and starts an engine (as root on Debian)";

const TLS_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function asClientError(error: unknown): DockerClientError {
  return typeof error === 'object' && error !== null ? (error as DockerClientError) : { message: String(error) };
}

function socketPathOf(endpoint: string): string | undefined {
  return endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length) : undefined;
}

/**
 * Returns whether `socketPath` exists and is something other than a socket. Connecting
 * to a regular file or a folder fails with ECONNREFUSED on Linux, which reads as if an
 * engine were down. Runs only on that error path, so the synchronous stat costs nothing.
 */
function isNotASocket(socketPath: string): boolean {
  try {
    return !statSync(socketPath).isSocket();
  } catch {
    return false;
  }
}

/**
 * Returns the engine's own words from a docker-modem error. docker-modem puts the
 * body's `message` in `json` for plain requests, but for streamed ones (build) only in
 * its message text, behind a `(HTTP code 400) unexpected - ` prefix.
 */
export function engineMessageOf(error: unknown): string {
  const clientError = asClientError(error);
  const fromJson = clientError.json?.message;
  if (typeof fromJson === 'string' && fromJson.trim() !== '') return fromJson.trim();

  const message = clientError.message ?? String(error);
  const prefixed = message.match(/^\(HTTP code \d+\) [^-]*- ([\s\S]*)$/);
  return (prefixed?.[1] ?? message).trim();
}

/** Returns the HTTP status of an engine reply carried by a docker-modem error, if any. */
export function statusCodeOf(error: unknown): number | undefined {
  return asClientError(error).statusCode;
}

/**
 * Returns an `EngineError` when `error` means the engine could not be reached at all
 * (no socket, refused, permission denied, TLS or SSH failure), else undefined.
 */
export function toConnectionError(error: unknown, endpoint: string): EngineError | undefined {
  const { code, level, message = '' } = asClientError(error);
  const socketPath = socketPathOf(endpoint);

  if (code === 'EACCES' || code === 'EPERM') {
    return new EngineError(`permission denied on the Docker socket ${socketPath ?? endpoint}`, {
      hint: 'add your user to the docker group (sudo usermod -aG docker "$USER", then log in again), or run weld as a user allowed to use Docker',
      cause: error,
    });
  }
  if (code === 'ENOENT') {
    return new EngineError(`no Docker engine answers at ${endpoint}: ${socketPath ?? 'the socket'} does not exist`, {
      hint: START_ENGINE_HINT,
      cause: error,
    });
  }
  if ((code === 'ECONNREFUSED' || code === 'ENOTSOCK') && socketPath !== undefined && isNotASocket(socketPath)) {
    return new EngineError(`no Docker engine answers at ${endpoint}: ${socketPath} is not a socket`, {
      hint: "point DOCKER_HOST or --host at the Docker engine's socket, such as unix:///var/run/docker.sock",
      cause: error,
    });
  }
  if (code === 'ECONNREFUSED') {
    return new EngineError(`no Docker engine answers at ${endpoint}: connection refused`, {
      hint: START_ENGINE_HINT,
      cause: error,
    });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new EngineError(`no Docker engine answers at ${endpoint}: the host name was not found`, {
      hint: 'check the host name in DOCKER_HOST or --host',
      cause: error,
    });
  }
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return new EngineError(`no Docker engine answers at ${endpoint}: the host cannot be reached (${code})`, {
      hint: 'check that the host is up and that DOCKER_HOST or --host names the right port',
      cause: error,
    });
  }
  if (code !== undefined && (TLS_ERROR_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) {
    return new EngineError(`TLS handshake with the Docker engine at ${endpoint} failed: ${message}`, {
      hint: 'check the certificates in --certs or DOCKER_CERT_PATH, or use --use-tls to skip verification',
      cause: error,
    });
  }
  if (level === 'client-authentication' || level === 'client-socket' || level === 'client-timeout') {
    return new EngineError(`SSH connection to the Docker engine at ${endpoint} failed: ${message}`, {
      hint: 'load your key into ssh-agent (ssh-add) and make sure SSH_AUTH_SOCK is set; the remote user must be allowed to use Docker',
      cause: error,
    });
  }
  return undefined;
}

/** Wraps any error from a request to the engine, naming what weld was doing. */
export function toEngineError(error: unknown, doing: string, endpoint: string): EngineError {
  if (error instanceof EngineError) return error;
  return toConnectionError(error, endpoint) ?? new EngineError(`${doing} failed: ${engineMessageOf(error)}`, { cause: error });
}
