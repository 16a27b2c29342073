import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import Dockerode from 'dockerode';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { ArchiveStatusError, directEndpointOf, requestArchiveDirect, type DirectEndpoint } from '../../../../src/engine/docker/archive-request.js';
import { toDockerodeOptions, type DockerEndpoint } from '../../../../src/engine/docker/connect.js';
import type { ArchiveSource } from '../../../../src/engine/extract/archive-source.js';
import { removeTree } from '../../../../src/engine/extract/staging.js';

/** The scripted server's response to one request, written to the socket. */
type Script = (socket: net.Socket) => Promise<void>;

interface ScriptedServer {
  endpoint: DirectEndpoint;
  /** Request heads received, in order. */
  requests: string[];
  /** Resolves with the server side of each connection once it closes. */
  closed: Array<Promise<void>>;
}

const HEAD_200 = 'HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nX-Docker-Container-Path-Stat: eyJuYW1lIjoiYXBwIn0=\r\n';

let workDir: string;
let servers: net.Server[] = [];

beforeEach(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'weld-test-artifact-unit-'));
});

afterEach(async () => {
  for (const server of servers) server.close();
  servers = [];
  await removeTree(workDir);
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts an HTTP server on a unix socket in the test folder that responds with `script`. */
async function startServer(script: Script): Promise<ScriptedServer> {
  const socketPath = path.join(workDir, 'engine.sock');
  const requests: string[] = [];
  const closed: Array<Promise<void>> = [];
  const server = net.createServer((socket) => {
    closed.push(once(socket, 'close').then(() => undefined));
    let received = '';
    const onData = (data: Buffer): void => {
      received += data.toString('latin1');
      if (!received.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      requests.push(received);
      script(socket).catch(() => socket.destroy());
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
  });
  servers.push(server);
  server.listen(socketPath);
  await once(server, 'listening');
  return { endpoint: { address: { socketPath }, versionPrefix: '', headers: {} }, requests, closed };
}

/** Writes `data` in pieces of `pieceBytes`, waiting for the client whenever the socket buffer is full. */
async function writeInPieces(socket: net.Socket, data: Buffer, pieceBytes: number): Promise<void> {
  for (let offset = 0; offset < data.length; offset += pieceBytes) {
    if (!socket.write(data.subarray(offset, offset + pieceBytes))) await once(socket, 'drain');
  }
}

/** Frames `payload` as chunked transfer coding with chunks of `chunkBytes`. */
function chunked(payload: Buffer, chunkBytes: number): Buffer {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < payload.length; offset += chunkBytes) {
    const chunk = payload.subarray(offset, offset + chunkBytes);
    parts.push(Buffer.from(`${chunk.length.toString(16)};ext=1\r\n`), chunk, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** Reads `source` to its end, copying each chunk since the source reuses their memory. */
async function readAll(source: ArchiveSource): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let chunk = source.read(); chunk !== undefined; chunk = source.read()) {
    if (chunk === null) {
      await source.whenReadable();
      continue;
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

function request(server: ScriptedServer, signal = new AbortController().signal) {
  return requestArchiveDirect(server.endpoint, 'abc123', '/app/my dist', signal);
}

describe('requestArchiveDirect', () => {
  test('request names the container and the encoded path and asks to close', async () => {
    const server = await startServer(async (socket) => {
      socket.end(`${HEAD_200}Content-Length: 0\r\n\r\n`);
    });
    const endpoint = { ...server.endpoint, versionPrefix: '/v1.41', headers: { 'X-Extra': 'yes' } };

    const response = await requestArchiveDirect(endpoint, 'abc123', '/app/my dist', new AbortController().signal);
    await readAll(response.body);

    const lines = server.requests[0]!.split('\r\n');
    expect(lines[0]).toBe('GET /v1.41/containers/abc123/archive?path=%2Fapp%2Fmy%20dist HTTP/1.1');
    expect(lines).toContain('Host: localhost');
    expect(lines).toContain('Connection: close');
    expect(lines).toContain('X-Extra: yes');
  });

  test('response fields are returned by lower-case name', async () => {
    const server = await startServer(async (socket) => {
      socket.end(`${HEAD_200}Content-Length: 0\r\n\r\n`);
    });

    const response = await request(server);

    expect(response.headers['x-docker-container-path-stat']).toBe('eyJuYW1lIjoiYXBwIn0=');
  });

  test.each<[string, (payload: Buffer) => Buffer]>([
    ['chunked', (payload) => Buffer.concat([Buffer.from(`${HEAD_200}Transfer-Encoding: chunked\r\n\r\n`), chunked(payload, 32 * 1024 + 7)])],
    ['Content-Length', (payload) => Buffer.concat([Buffer.from(`${HEAD_200}Content-Length: ${payload.length}\r\n\r\n`), payload])],
    ['close-delimited', (payload) => Buffer.concat([Buffer.from(`${HEAD_200}\r\n`), payload])],
  ])('%s body sent in small writes arrives whole', async (_framing, frame) => {
    const payload = randomBytes(700 * 1024);
    const server = await startServer(async (socket) => {
      await writeInPieces(socket, frame(payload), 1000);
      socket.end();
    });

    const response = await request(server);
    const body = await readAll(response.body);

    expect(body.equals(payload)).toBe(true);
  });

  test('error status rejects with the engine message and status code', async () => {
    const message = 'Could not find the file /app/my dist in container abc123';
    const server = await startServer(async (socket) => {
      const body = JSON.stringify({ message });
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    });

    const requesting = request(server);

    await expect(requesting).rejects.toBeInstanceOf(ArchiveStatusError);
    await expect(requesting).rejects.toMatchObject({ statusCode: 404, json: { message } });
    await expect(requesting).rejects.toThrow(`(HTTP code 404) not found - ${message}`);
  });

  test('error body that is not JSON becomes the message', async () => {
    const server = await startServer(async (socket) => {
      socket.end('HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nbroke\r\n0\r\n\r\n');
    });

    const requesting = request(server);

    await expect(requesting).rejects.toMatchObject({ statusCode: 500, json: { message: 'broke' } });
  });

  test('connection closed inside a chunked body fails the read', async () => {
    const server = await startServer(async (socket) => {
      socket.end(`${HEAD_200}Transfer-Encoding: chunked\r\n\r\n10\r\nonly part`);
    });

    const response = await request(server);

    await expect(readAll(response.body)).rejects.toThrow('the engine closed the connection before the end of the response body');
  });

  test('connection closed before the head rejects the request', async () => {
    const server = await startServer(async (socket) => {
      socket.end('HTTP/1.1 200 OK\r\nContent-');
    });

    await expect(request(server)).rejects.toThrow('the engine closed the connection before the response head');
  });

  test('malformed chunk framing fails the read', async () => {
    const server = await startServer(async (socket) => {
      socket.end(`${HEAD_200}Transfer-Encoding: chunked\r\n\r\nzz\r\n`);
    });

    const response = await request(server);

    await expect(readAll(response.body)).rejects.toThrow('invalid HTTP response from the engine: the chunk size contains "z"');
  });

  test('abort during the body closes the connection and fails the read', async () => {
    const controller = new AbortController();
    const server = await startServer(async (socket) => {
      socket.write(`${HEAD_200}Transfer-Encoding: chunked\r\n\r\n4\r\nsome\r\n`);
    });
    const response = await request(server, controller.signal);
    const reading = readAll(response.body);

    controller.abort(new Error('stopped by the test'));

    await expect(reading).rejects.toThrow('stopped by the test');
    await server.closed[0];
  });

  test('signal aborted before the request sends nothing', async () => {
    const controller = new AbortController();
    controller.abort(new Error('already stopped'));
    const server = await startServer(async () => undefined);

    await expect(request(server, controller.signal)).rejects.toThrow('already stopped');

    expect(server.closed).toHaveLength(0);
  });

  test('socket stops reading while the chunks are not taken', async () => {
    const payload = randomBytes(16 * 1024 * 1024);
    let accepted = 0;
    const server = await startServer(async (socket) => {
      socket.write(`${HEAD_200}Content-Length: ${payload.length}\r\n\r\n`);
      for (let offset = 0; offset < payload.length; offset += 64 * 1024) {
        if (!socket.write(payload.subarray(offset, offset + 64 * 1024))) await once(socket, 'drain');
        accepted = offset + 64 * 1024;
      }
      socket.end();
    });
    const response = await request(server);

    await delay(300);
    const acceptedWhileIdle = accepted;
    const body = await readAll(response.body);

    // The kernel's socket buffers and the four 64 KiB read buffers take a few hundred KiB.
    expect(acceptedWhileIdle).toBeLessThan(4 * 1024 * 1024);
    expect(body.equals(payload)).toBe(true);
  });

  test('missing socket fails with the error code', async () => {
    const endpoint: DirectEndpoint = { address: { socketPath: path.join(workDir, 'none.sock') }, versionPrefix: '', headers: {} };

    const requesting = requestArchiveDirect(endpoint, 'abc123', '/app', new AbortController().signal);

    await expect(requesting).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('directEndpointOf', () => {
  test.each<[string, DockerEndpoint, DirectEndpoint['address'] | undefined]>([
    ['a unix socket', { kind: 'unix', url: 'unix:///run/docker.sock', socketPath: '/run/docker.sock' }, { socketPath: '/run/docker.sock' }],
    ['plain TCP', { kind: 'tcp', url: 'tcp://127.0.0.1:2375', host: '127.0.0.1', port: 2375 }, { host: '127.0.0.1', port: 2375 }],
    ['TCP with TLS', { kind: 'tcp', url: 'tcp://127.0.0.1:2376', host: '127.0.0.1', port: 2376, tls: { verify: false } }, undefined],
    ['ssh', { kind: 'ssh', url: 'ssh://build-host', host: 'build-host' }, undefined],
  ])('%s as weld connects to it gives its address', async (_case, endpoint, address) => {
    const docker = new Dockerode(toDockerodeOptions(endpoint));

    const direct = await directEndpointOf(docker);

    expect(direct?.address).toEqual(address);
  });

  test('socket path given as a function is resolved', async () => {
    const docker = new Dockerode({ socketPath: (() => '/run/found.sock') as unknown as string });

    const direct = await directEndpointOf(docker);

    expect(direct?.address).toEqual({ socketPath: '/run/found.sock' });
  });

  test('pinned API version becomes a path prefix', async () => {
    const docker = new Dockerode({ socketPath: '/run/docker.sock', version: 'v1.41' });

    const direct = await directEndpointOf(docker);

    expect(direct?.versionPrefix).toBe('/v1.41');
  });

  test('header value with a line break keeps dockerode', async () => {
    const docker = new Dockerode({ socketPath: '/run/docker.sock', headers: { 'X-Bad': 'a\r\nb' } });

    const direct = await directEndpointOf(docker);

    expect(direct).toBeUndefined();
  });
});
