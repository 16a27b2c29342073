// Requests a container's archive (`GET /containers/{id}/archive`) over a plain socket
// to the engine, without dockerode and Node's HTTP client. That client allocates a new
// buffer for every socket read. Reading a 1 GiB archive through it kept the process
// about 45 MiB above its resting size and took more than twice the CPU
// (bench/artifact/README.md). Here the socket reads into a few buffers that are
// reused, and the HTTP framing is decoded in place. Only unix sockets and plain TCP
// take this path, and TLS and ssh engines keep dockerode's.

import net from 'node:net';

import type Dockerode from 'dockerode';

import { debug } from '../../debug.js';
import type { ArchiveSource } from '../extract/archive-source.js';
import { CloseDelimitedDecoder, HeadReader, createBodyDecoder, type BodyDecoder, type ResponseHead } from './http-response.js';

/** An engine reached without TLS. */
export interface DirectEndpoint {
  /** Address of the engine: a unix socket path, or a TCP host and port. */
  address: { socketPath: string } | { host: string; port: number };
  /** `/v1.41` when the client pins an API version, else empty. */
  versionPrefix: string;
  /** Header fields the client adds to every request. */
  headers: Record<string, string>;
}

/** The engine's response to an archive request, when its status is 200. */
export interface ArchiveResponse {
  /** Header fields by lower-case name. */
  headers: Record<string, string>;
  /** The tar archive. A chunk's memory is reused once the next chunk is read. */
  body: ArchiveSource;
}

/** docker-modem's dialing options that this module reads, which its typings leave out. */
interface ModemOptions {
  socketPath?: unknown;
  /** Resolves `socketPath`, which may be a function (docker-modem's default finds the socket). */
  getSocketPath?: () => Promise<unknown> | undefined;
  host?: string;
  port?: number | string;
  protocol?: string;
  version?: string;
  pathPrefix?: string;
  headers?: Record<string, string>;
  agent?: unknown;
}

/**
 * Read buffers, each the most one socket read takes. On the 1 GiB bench
 * (bench/artifact/README.md), 32, 64 and 256 KiB buffers took the same time and CPU,
 * so the size is the middle one. Four are enough because each read is written out
 * before the next arrives unless the disk is slow.
 */
const READ_BUFFER_BYTES = 64 * 1024;
const READ_BUFFER_COUNT = 4;
/** An error body is JSON of a few hundred bytes; more than this is cut. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** docker-modem's port for `http` without one, from the URL's scheme. */
const DEFAULT_HTTP_PORT = 80;
const HEADER_TEXT = /^[^\r\n]*$/;

/** The response to a status other than 200, shaped like docker-modem's errors so that the same checks apply. */
export class ArchiveStatusError extends Error {
  readonly statusCode: number;
  /** The body as JSON, or its text as `message` when it is not JSON. */
  readonly json: { message?: string };

  constructor(head: ResponseHead, body: string) {
    const json = parseErrorBody(body);
    super(`(HTTP code ${head.statusCode}) ${head.statusMessage.toLowerCase()} - ${json.message ?? ''}`.trim());
    this.name = 'ArchiveStatusError';
    this.statusCode = head.statusCode;
    this.json = json;
  }
}

function parseErrorBody(body: string): { message?: string } {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === 'object' && parsed !== null) return parsed as { message?: string };
  } catch {
    // Not JSON: the text is the message.
  }
  return { message: body.trim() };
}

/**
 * Returns how to reach the engine that `docker` talks to without TLS, or undefined
 * when it needs dockerode: TLS, ssh, a custom agent or a path prefix.
 */
export async function directEndpointOf(docker: Dockerode): Promise<DirectEndpoint | undefined> {
  const modem = docker.modem as ModemOptions;
  const headers = modem.headers ?? {};
  if (modem.pathPrefix || modem.agent !== undefined) return undefined;
  if (!Object.entries(headers).every(([name, value]) => HEADER_TEXT.test(name) && HEADER_TEXT.test(String(value)))) return undefined;
  const versionPrefix = modem.version ? `/${modem.version}` : '';

  if (modem.socketPath && !modem.host) {
    const socketPath = await modem.getSocketPath?.();
    return typeof socketPath === 'string' && socketPath !== '' ? { address: { socketPath }, versionPrefix, headers } : undefined;
  }
  if (modem.host && modem.protocol === 'http') {
    return { address: { host: modem.host, port: Number(modem.port) || DEFAULT_HTTP_PORT }, versionPrefix, headers };
  }
  return undefined;
}

function requestText(endpoint: DirectEndpoint, containerId: string, archivePath: string): string {
  const target = `${endpoint.versionPrefix}/containers/${encodeURIComponent(containerId)}/archive?path=${encodeURIComponent(archivePath)}`;
  const { address } = endpoint;
  const host = 'socketPath' in address ? 'localhost' : `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  const extra = Object.entries(endpoint.headers).map(([name, value]) => `${name}: ${value}\r\n`);
  // `Connection: close` lets the engine end the connection after the response, which
  // also ends a body that has neither a length nor chunked framing.
  return `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${extra.join('')}\r\n`;
}

/**
 * One archive request on its own connection. It reads the response head, then hands
 * out the body as chunks that are views of the read buffers, one a read. A read buffer
 * is reused once its chunk has been passed over. When no buffer is free, the socket
 * is paused, so a slow disk holds back the engine instead of filling memory.
 */
class ArchiveConnection implements ArchiveSource {
  readonly reusesBuffers = true;
  readonly response: Promise<ArchiveResponse>;
  private readonly socket: net.Socket;
  private readonly free: Buffer[] = [];
  /** Chunks of each read buffer that the consumer has not passed over yet. */
  private readonly references = new Map<Buffer, number>();
  private readonly queue: Array<{ data: Uint8Array; buffer: Buffer }> = [];
  /** Read buffer of the chunk handed out last. */
  private lent: Buffer | undefined;
  private paused = false;
  private readonly headReader = new HeadReader();
  private decoder: BodyDecoder | undefined;
  private errorBody: Buffer[] | undefined;
  private errorBodyBytes = 0;
  /** The read buffer being decoded, which the runs `accept` receives are views of. */
  private decoding: Buffer | undefined;
  /** End of the payload moved to the front of the read buffer being decoded. */
  private payloadEnd = 0;
  /** `accept` bound once, so that decoding a read allocates no closure. */
  private readonly acceptChunk = (data: Uint8Array): void => this.accept(data);
  private complete = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private settleResponse: { resolve: (response: ArchiveResponse) => void; reject: (error: Error) => void } | undefined;

  constructor(endpoint: DirectEndpoint, request: string, signal: AbortSignal) {
    for (let index = 0; index < READ_BUFFER_COUNT; index += 1) this.free.push(Buffer.allocUnsafeSlow(READ_BUFFER_BYTES));
    this.response = new Promise((resolve, reject) => {
      this.settleResponse = { resolve, reject };
    });

    const onread = { buffer: () => this.takeReadBuffer(), callback: (bytes: number, buffer: Uint8Array) => this.onRead(bytes, buffer as Buffer) };
    const { address } = endpoint;
    this.socket = 'socketPath' in address ? net.connect({ path: address.socketPath, onread }) : net.connect({ ...address, onread });
    const onAbort = (): void => this.destroy(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('close', () => {
      signal.removeEventListener('abort', onAbort);
      this.onEnd();
    });
    this.socket.write(request);
  }

  read(): Uint8Array | null | undefined {
    this.returnLent();
    if (this.failure !== undefined) throw this.failure;
    const item = this.queue.shift();
    if (item !== undefined) {
      this.lent = item.buffer;
      return item.data;
    }
    if (this.complete) {
      this.socket.destroy();
      return undefined;
    }
    return null;
  }

  whenReadable(): Promise<void> {
    if (this.queue.length > 0 || this.complete || this.failure !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  destroy(error?: Error): void {
    this.fail(error ?? new Error('the archive request was stopped'));
  }

  /** Returns the buffer for the next read. Called once at connect and after every read. */
  private takeReadBuffer(): Buffer {
    const buffer = this.free.pop();
    if (buffer !== undefined) return buffer;
    // `onRead` pauses before the list runs dry; this only keeps a mistake there from
    // overwriting a chunk still in use.
    debug('engine:copy', 'no free read buffer for the archive socket; allocating one');
    return Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  }

  /** Returns false to pause the socket. */
  private onRead(bytes: number, buffer: Buffer): boolean {
    try {
      this.decode(buffer.subarray(0, bytes), buffer);
    } catch (error) {
      this.fail(error as Error);
      return false;
    }
    if (!this.references.has(buffer)) this.free.push(buffer);
    this.notify();

    // `takeReadBuffer` takes one buffer right after this returns; the read after
    // that needs another.
    if (this.free.length <= 1) {
      this.paused = true;
      return false;
    }
    return true;
  }

  private decode(input: Buffer, buffer: Buffer): void {
    let body: Uint8Array = input;
    if (this.decoder === undefined) {
      const bodyStart = this.headReader.push(input);
      if (bodyStart === undefined) return;
      const head = this.headReader.head!;
      this.decoder = createBodyDecoder(head);
      if (head.statusCode === 200) {
        this.settleResponse?.resolve({ headers: head.headers, body: this });
        this.settleResponse = undefined;
      } else {
        this.errorBody = [];
      }
      body = input.subarray(bodyStart);
    }

    this.decoding = buffer;
    this.payloadEnd = 0;
    this.decoder.decode(body, this.acceptChunk);
    this.decoding = undefined;
    if (this.payloadEnd > 0) {
      this.queue.push({ data: buffer.subarray(0, this.payloadEnd), buffer });
      this.references.set(buffer, (this.references.get(buffer) ?? 0) + 1);
    }
    if (this.decoder.complete) this.endBody();
  }

  /**
   * Takes one run of payload out of the read buffer being decoded. Runs are moved to
   * the front of the buffer, over the chunked framing and the head, so that one read
   * gives one chunk. The engine's 32 KiB chunks straddle reads, and this cut the
   * writes of a 1 GiB copy from about 48,000 to 31,000.
   */
  private accept(data: Uint8Array): void {
    if (this.errorBody !== undefined) {
      const room = MAX_ERROR_BODY_BYTES - this.errorBodyBytes;
      if (room > 0) this.errorBody.push(Buffer.from(data.subarray(0, room)));
      this.errorBodyBytes += Math.min(room, data.length);
      return;
    }

    const buffer = this.decoding!;
    const start = data.byteOffset - buffer.byteOffset;
    if (start !== this.payloadEnd) buffer.copyWithin(this.payloadEnd, start, start + data.length);
    this.payloadEnd += data.length;
  }

  private endBody(): void {
    if (this.complete) return;
    this.complete = true;
    if (this.errorBody !== undefined) {
      this.fail(new ArchiveStatusError(this.headReader.head!, Buffer.concat(this.errorBody).toString('utf8')));
    }
  }

  /** Handles the end of the connection, which ends a body framed by it and cuts any other. */
  private onEnd(): void {
    if (this.complete || this.failure !== undefined) return;
    if (this.decoder instanceof CloseDelimitedDecoder) {
      this.endBody();
      this.notify();
      return;
    }
    const where = this.decoder === undefined ? 'before the response head' : 'before the end of the response body';
    this.fail(new Error(`the engine closed the connection ${where}`));
  }

  /** Marks the read buffer of the chunk handed out last as passed over, freeing it when it was its last chunk. */
  private returnLent(): void {
    const buffer = this.lent;
    if (buffer === undefined) return;
    this.lent = undefined;

    const count = this.references.get(buffer)! - 1;
    if (count > 0) {
      this.references.set(buffer, count);
      return;
    }
    this.references.delete(buffer);
    this.free.push(buffer);
    if (this.paused && this.failure === undefined) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.socket.destroy();
    this.settleResponse?.reject(error);
    this.settleResponse = undefined;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/**
 * Sends `GET /containers/{id}/archive?path=…` to the engine and resolves once the
 * response head has arrived. A status other than 200 rejects with an
 * `ArchiveStatusError`; aborting `signal` destroys the connection.
 */
export function requestArchiveDirect(endpoint: DirectEndpoint, containerId: string, archivePath: string, signal: AbortSignal): Promise<ArchiveResponse> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new ArchiveConnection(endpoint, requestText(endpoint, containerId, archivePath), signal).response;
}
