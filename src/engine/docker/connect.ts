// Connection to the Docker engine: resolves `--host`, DOCKER_HOST and the TLS settings
// the way the Docker CLI does, then builds the dockerode client for the result.

import { existsSync, readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { rootCertificates } from 'node:tls';

import './defer-optional-modules.js';

import Dockerode from 'dockerode';

import { debug } from '../../debug.js';
import { InputError } from '../../errors.js';

/** Connection settings from the command line, with the environment they fall back to. */
export interface ConnectionOptions {
  /** `--host`: `unix:///path`, `tcp://host[:port]`, `ssh://[user@]host[:port]` or a bare `host:port`. */
  host?: string;
  /** `--tls-verify`: use TLS and verify the engine's certificate. */
  tlsVerify?: boolean;
  /** `--use-tls`: use TLS without verifying the engine's certificate. */
  useTls?: boolean;
  /** `--certs`: folder holding ca.pem, cert.pem and key.pem. */
  certPath?: string;
  /** Environment: DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_TLS, DOCKER_CERT_PATH, DOCKER_CONFIG, SSH_AUTH_SOCK, HOME. */
  env: Record<string, string | undefined>;
}

/** TLS settings of a TCP endpoint, with the certificate files to load. */
export interface TlsFiles {
  /** Whether the engine's certificate is checked against the CA. */
  verify: boolean;
  /** CA certificate, set when `verify` is true. */
  caFile?: string;
  /** Client certificate and key, set when both files exist. */
  certFile?: string;
  keyFile?: string;
}

/** A resolved engine address. */
export type DockerEndpoint =
  | { kind: 'unix'; url: string; socketPath: string }
  | { kind: 'tcp'; url: string; host: string; port: number; tls?: TlsFiles }
  | { kind: 'ssh'; url: string; host: string; port?: number; username?: string; agentSocket?: string };

/** An engine client and the address it talks to. */
export interface DockerConnection {
  docker: Dockerode;
  /** The endpoint as a URL, for messages: `unix:///var/run/docker.sock`, `tcp://host:2376`. */
  endpoint: string;
}

/** dockerode options plus `agent`, which docker-modem passes to every request but the typings omit. */
export type DockerodeOptions = Dockerode.DockerOptions & { agent?: HttpsAgent };

const DEFAULT_SOCKET_PATH = '/var/run/docker.sock';
const DEFAULT_TCP_HOST = 'localhost';
const PLAIN_TCP_PORT = 2375;
const TLS_TCP_PORT = 2376;
const CA_FILE = 'ca.pem';
const CERT_FILE = 'cert.pem';
const KEY_FILE = 'key.pem';

const TLS_HINT = 'point --certs or DOCKER_CERT_PATH at the folder holding ca.pem, cert.pem and key.pem';

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function defaultCertPath(env: ConnectionOptions['env']): string {
  const configDir = nonEmpty(env.DOCKER_CONFIG);
  if (configDir) return configDir;
  return path.join(nonEmpty(env.HOME) ?? os.homedir(), '.docker');
}

/**
 * Resolves the TLS settings the way the Docker CLI does: `--tls-verify` or a non-empty
 * DOCKER_TLS_VERIFY turn TLS on with verification, `--use-tls` or DOCKER_TLS turn it on
 * without. Returns undefined when TLS is off.
 */
function resolveTls(options: ConnectionOptions): TlsFiles | undefined {
  const verify = options.tlsVerify === true || nonEmpty(options.env.DOCKER_TLS_VERIFY) !== undefined;
  const enabled = verify || options.useTls === true || nonEmpty(options.env.DOCKER_TLS) !== undefined;
  if (!enabled) return undefined;

  const explicitSource = options.certPath ? '--certs' : nonEmpty(options.env.DOCKER_CERT_PATH) ? 'DOCKER_CERT_PATH' : undefined;
  const certDir = path.resolve(nonEmpty(options.certPath) ?? nonEmpty(options.env.DOCKER_CERT_PATH) ?? defaultCertPath(options.env));
  if (explicitSource && !existsSync(certDir)) {
    throw new InputError(`certificate folder ${certDir} (from ${explicitSource}) does not exist`, { hint: TLS_HINT });
  }

  const tls: TlsFiles = { verify };
  const caFile = path.join(certDir, CA_FILE);
  if (verify) {
    if (!existsSync(caFile)) {
      throw new InputError(`TLS verification needs the CA certificate ${caFile}, which does not exist`, {
        hint: `${TLS_HINT}, or use --use-tls to skip verification`,
      });
    }
    tls.caFile = caFile;
  }

  // Like the Docker CLI, a client certificate is sent only when its files exist, but
  // one of the pair without the other is a mistake worth naming.
  const certFile = path.join(certDir, CERT_FILE);
  const keyFile = path.join(certDir, KEY_FILE);
  const hasCert = existsSync(certFile);
  const hasKey = existsSync(keyFile);
  if (hasCert !== hasKey) {
    const missing = hasCert ? keyFile : certFile;
    throw new InputError(`TLS client certificate is incomplete: ${missing} does not exist`, { hint: TLS_HINT });
  }
  if (hasCert) {
    tls.certFile = certFile;
    tls.keyFile = keyFile;
  }
  return tls;
}

function parseUrl(raw: string, source: string): URL {
  try {
    return new URL(raw);
  } catch (error) {
    throw new InputError(`${source} ${raw} is not a valid engine address`, {
      hint: 'use unix:///path/to/docker.sock, tcp://host:port or ssh://user@host',
      cause: error,
    });
  }
}

function parsePort(url: URL, raw: string, source: string): number | undefined {
  if (url.port === '') return undefined;
  const port = Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InputError(`${source} ${raw} has an invalid port ${url.port}`);
  }
  return port;
}

function rejectPathPrefix(url: URL, raw: string, source: string): void {
  // docker-modem resolves every API path against the root of the host, so a path
  // prefix after the port would be dropped without a word.
  if (url.pathname !== '' && url.pathname !== '/') {
    throw new InputError(`${source} ${raw} has a path (${url.pathname}); weld supports engine addresses without one`);
  }
}

/** Host name without the brackets a URL puts around an IPv6 address. */
function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function parseTcpHost(raw: string, source: string, tls: TlsFiles | undefined): DockerEndpoint {
  const url = parseUrl(raw, source);
  rejectPathPrefix(url, raw, source);
  const host = bareHostname(url) || DEFAULT_TCP_HOST;
  // The docker(1) manual sets the default port by TLS: 2376 with it, 2375 without.
  const port = parsePort(url, raw, source) ?? (tls ? TLS_TCP_PORT : PLAIN_TCP_PORT);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { kind: 'tcp', url: `tcp://${urlHost}:${port}`, host, port, tls };
}

function parseSshHost(raw: string, source: string, env: ConnectionOptions['env']): DockerEndpoint {
  const url = parseUrl(raw, source);
  rejectPathPrefix(url, raw, source);
  if (url.password !== '') {
    throw new InputError(`${source} ${raw} contains a password`, { hint: 'use an SSH key loaded into ssh-agent instead' });
  }
  const host = bareHostname(url);
  if (!host) throw new InputError(`${source} ${raw} names no host`);
  const port = parsePort(url, raw, source);
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  return {
    kind: 'ssh',
    url: `ssh://${username ? `${username}@` : ''}${url.host}`,
    host,
    port,
    username,
    agentSocket: nonEmpty(env.SSH_AUTH_SOCK),
  };
}

/**
 * Resolves the engine address: `--host`, then DOCKER_HOST, then the default socket
 * (or `tcp://localhost:2376` when TLS is on, as in the Docker CLI). Throws an
 * `InputError` for an invalid address or a missing certificate file.
 */
export function resolveEndpoint(options: ConnectionOptions): DockerEndpoint {
  const fromFlag = nonEmpty(options.host);
  const fromEnv = nonEmpty(options.env.DOCKER_HOST);
  const source = fromFlag ? '--host' : 'DOCKER_HOST';
  const raw = fromFlag ?? fromEnv;

  const scheme = raw?.match(/^([a-z][a-z0-9+.-]*):\/\//i)?.[1]?.toLowerCase();
  // TLS settings matter only for TCP; reading them for a socket would fail on
  // certificate files that are never used.
  const tls = raw === undefined || scheme === undefined || scheme === 'tcp' ? resolveTls(options) : undefined;

  if (raw === undefined) {
    if (tls) return parseTcpHost(`tcp://${DEFAULT_TCP_HOST}`, 'default', tls);
    return { kind: 'unix', url: `unix://${DEFAULT_SOCKET_PATH}`, socketPath: DEFAULT_SOCKET_PATH };
  }

  switch (scheme) {
    case undefined:
      return parseTcpHost(`tcp://${raw}`, source, tls);
    case 'tcp':
      return parseTcpHost(raw, source, tls);
    case 'unix': {
      const socketPath = raw.slice('unix://'.length) || DEFAULT_SOCKET_PATH;
      return { kind: 'unix', url: `unix://${socketPath}`, socketPath };
    }
    case 'ssh':
      return parseSshHost(raw, source, options.env);
    default:
      throw new InputError(`${source} ${raw} uses the unsupported scheme ${scheme}://`, {
        hint: 'use unix://, tcp:// or ssh://',
      });
  }
}

function readCertificate(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new InputError(`cannot read TLS file ${file}: ${(error as Error).message}`, { hint: TLS_HINT, cause: error });
  }
}

/**
 * Builds the dockerode options for an endpoint.
 *
 * docker-modem merges its own defaults from `process.env` (DOCKER_HOST, DOCKER_CERT_PATH,
 * DOCKER_CLIENT_TIMEOUT) under the options it is given, so every key it could take from
 * there is set here, to undefined where weld wants none. `timeout` stays unset on purpose:
 * it is a socket idle timeout, and a RUN that prints nothing for a while would be cut off.
 */
export function toDockerodeOptions(endpoint: DockerEndpoint): DockerodeOptions {
  const options: DockerodeOptions = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: undefined,
    username: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    timeout: undefined,
    agent: undefined,
  };

  switch (endpoint.kind) {
    case 'unix':
      return { ...options, socketPath: endpoint.socketPath };
    case 'ssh':
      // NOTE: only ssh-agent keys are offered. Unlike the Docker CLI, which runs the ssh
      // binary, ssh2 reads neither ~/.ssh/config nor the key files in ~/.ssh.
      return {
        ...options,
        protocol: 'ssh',
        host: endpoint.host,
        port: endpoint.port,
        username: endpoint.username,
        sshOptions: { agent: endpoint.agentSocket },
      };
    case 'tcp': {
      const base = { ...options, host: endpoint.host, port: endpoint.port };
      const tls = endpoint.tls;
      if (!tls) return { ...base, protocol: 'http' };

      const withTls: DockerodeOptions = { ...base, protocol: 'https' };
      if (tls.certFile && tls.keyFile) {
        withTls.cert = readCertificate(tls.certFile);
        withTls.key = readCertificate(tls.keyFile);
      }
      if (tls.verify && tls.caFile) {
        // Node trusts only `ca` when it is given, while the Docker CLI (go-connections'
        // tlsconfig) adds the CA to the system's roots, so both are passed.
        withTls.ca = [...rootCertificates, readCertificate(tls.caFile).toString()];
      } else {
        // An agent's options override the request's, which is the only way to turn
        // verification off through docker-modem.
        withTls.agent = new HttpsAgent({ rejectUnauthorized: false });
      }
      return withTls;
    }
  }
}

/** Resolves the endpoint and creates a dockerode client for it. */
export function connectDocker(options: ConnectionOptions): DockerConnection {
  const endpoint = resolveEndpoint(options);
  const dockerodeOptions = toDockerodeOptions(endpoint);
  debug('engine', `connecting to ${endpoint.url}`);

  try {
    return { docker: new Dockerode(dockerodeOptions), endpoint: endpoint.url };
  } catch (error) {
    // docker-modem parses DOCKER_HOST and reads DOCKER_CERT_PATH from process.env in
    // its constructor even when options override them, and throws on bad values there.
    throw new InputError(`cannot set up the Docker client for ${endpoint.url}: ${(error as Error).message}`, {
      hint: 'check DOCKER_HOST and DOCKER_CERT_PATH in the environment',
      cause: error,
    });
  }
}
