// The secret server: Habitus's HTTP API, which builds call from a RUN line while the
// run goes on (`wget http://$habitus_host:$habitus_port/v1/secrets/file/id_rsa`).
//
//   GET /v1/ping                   "ok" (JSON)
//   GET /v1/version                the version of weld (JSON string)
//   GET /v1/secrets/{type}/{name}  the secret's value (text/plain)
//
// Habitus returned 400 and the reason for an unknown secret. Here a name that is not
// registered gets 404 with a fixed message, so a reply never carries a value or a
// file path.

import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { debug } from '../debug.js';
import { InputError } from '../errors.js';
import type { SecretStore } from './secret-store.js';

/** Basic auth credentials the server requires (`--authentication-secret-server`). */
export interface SecretServerCredentials {
  user: string;
  password: string;
}

export interface SecretServerOptions {
  store: SecretStore;
  /** Address to listen on (`--binding`). */
  binding: string;
  /** Port to listen on (`--port`); 0 lets the system choose one. */
  port: number;
  /** Basic auth credentials; without them, any client that reaches the server gets the secrets. */
  credentials?: SecretServerCredentials;
  /** Version reported by `/v1/version`. */
  version: string;
}

/** A listening secret server. */
export interface SecretServer {
  /** Address it listens on. */
  address: string;
  /** Port it listens on. */
  port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

const AUTH_REALM = 'weld secret server';
const SECRET_PATH = /^\/v1\/secrets\/([^/]+)\/([^/]+)$/;

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function sameText(received: string, expected: string): boolean {
  const a = Buffer.from(received, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  // Compared in constant time, so that the reply time does not tell how much matched.
  return a.length === b.length && timingSafeEqual(a, b);
}

function isAuthorized(request: IncomingMessage, credentials: SecretServerCredentials | undefined): boolean {
  if (!credentials) return true;
  const header = request.headers.authorization ?? '';
  const match = /^Basic\s+(\S+)$/i.exec(header);
  if (!match) return false;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const userMatches = sameText(decoded.slice(0, colon), credentials.user);
  const passwordMatches = sameText(decoded.slice(colon + 1), credentials.password);
  return userMatches && passwordMatches;
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

async function handle(request: IncomingMessage, response: ServerResponse, options: SecretServerOptions): Promise<number> {
  if (!isAuthorized(request, options.credentials)) {
    response.setHeader('www-authenticate', `Basic realm="${AUTH_REALM}"`);
    sendJson(response, 401, { Error: 'not authorized' });
    return 401;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    sendJson(response, 405, { Error: 'method not allowed' });
    return 405;
  }

  const pathname = new URL(request.url ?? '/', 'http://secret-server').pathname;
  if (pathname === '/v1/ping') {
    sendJson(response, 200, 'ok');
    return 200;
  }
  if (pathname === '/v1/version') {
    sendJson(response, 200, options.version);
    return 200;
  }

  const match = SECRET_PATH.exec(pathname);
  const type = match ? decodeSegment(match[1]!) : undefined;
  const name = match ? decodeSegment(match[2]!) : undefined;
  const value = type !== undefined && name !== undefined ? await options.store.read(type, name) : undefined;
  if (value === undefined) {
    sendJson(response, 404, { Error: match ? 'secret not found' : 'not found' });
    return 404;
  }
  response.writeHead(200, { 'content-type': 'text/plain', 'content-length': value.length, 'cache-control': 'no-store' });
  response.end(request.method === 'HEAD' ? undefined : value);
  return 200;
}

function describeListenError(error: NodeJS.ErrnoException): string {
  if (error.code === 'EADDRINUSE') return 'the port is in use';
  if (error.code === 'EADDRNOTAVAIL') return 'the address is not one of this host';
  return error.message;
}

function listen(server: Server, binding: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new InputError(`cannot start the secret server on ${binding}:${port}: ${describeListenError(error)}`, {
          hint: 'choose another address or port with --binding and --port',
          cause: error,
        }),
      );
    };
    server.once('error', onError);
    server.listen(port, binding, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Starts the secret server and resolves once it listens. */
export async function startSecretServer(options: SecretServerOptions): Promise<SecretServer> {
  const server = createServer((request, response) => {
    handle(request, response, options).then(
      // The log shows the path and the status, never a value.
      (status) => debug('secrets', `${request.method} ${request.url} → ${status}`),
      (error: unknown) => {
        debug('secrets', `${request.method} ${request.url} failed`, String(error));
        if (!response.headersSent) sendJson(response, 500, { Error: 'internal error' });
        else response.destroy();
      },
    );
  });
  await listen(server, options.binding, options.port);
  const address = server.address() as AddressInfo;
  debug('secrets', `secret server listening on ${address.address}:${address.port}`);

  return {
    address: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
