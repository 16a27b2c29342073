// The chunks of a tar archive as extraction reads them. A chunk that has already
// arrived is taken without a promise: with an async iterator's promise per chunk, a
// 1 GiB copy grew the JS heap by 8 MiB and took more CPU (bench/artifact/README.md).

import type { Readable } from 'node:stream';

/** A tar archive arriving in chunks. */
export interface ArchiveSource {
  /**
   * Whether the chunks are views of a few buffers that the source reuses. Content from
   * such a source is written at once. Content from a source that allocates a buffer per
   * chunk, as a Node socket does, goes through the thread pool instead. Writing it at
   * once drained the socket in smaller reads, and the extra garbage raised the peak RSS
   * of a 1 GiB copy by about 15 MiB.
   */
  readonly reusesBuffers: boolean;
  /**
   * Returns the next chunk when one has arrived, null when none has yet, or undefined
   * once the stream has ended. Throws the error that stopped the source. Calling it
   * gives back the chunk returned before, whose memory the source may then reuse.
   */
  read(): Uint8Array | null | undefined;
  /** Resolves once `read` has something new to return: a chunk, the end or an error. */
  whenReadable(): Promise<void>;
  /** Stops the source; `read` then throws `error`, or an error saying the source was stopped. */
  destroy(error?: Error): void;
}

/** Chunks that may wait before the stream is paused. */
const MAX_QUEUED_CHUNKS = 16;

/** Reads a Node `Readable`, pausing it while `MAX_QUEUED_CHUNKS` chunks wait. */
export class ReadableSource implements ArchiveSource {
  readonly reusesBuffers = false;
  private readonly queue: Uint8Array[] = [];
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly stream: Readable) {
    stream.on('data', (chunk: Uint8Array | string) => {
      this.queue.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      if (this.queue.length >= MAX_QUEUED_CHUNKS) stream.pause();
      this.notify();
    });
    stream.once('end', () => {
      this.ended = true;
      this.notify();
    });
    stream.once('error', (error: Error) => this.fail(error));
    stream.once('close', () => {
      if (!this.ended) this.fail(new Error('the archive stream closed before its end'));
    });
  }

  read(): Uint8Array | null | undefined {
    if (this.failure !== undefined) throw this.failure;
    const chunk = this.queue.shift();
    if (chunk !== undefined) {
      if (this.stream.isPaused() && this.queue.length < MAX_QUEUED_CHUNKS / 2) this.stream.resume();
      return chunk;
    }
    return this.ended ? undefined : null;
  }

  whenReadable(): Promise<void> {
    if (this.queue.length > 0 || this.ended || this.failure !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  destroy(error?: Error): void {
    this.fail(error ?? new Error('the archive stream was stopped'));
    this.stream.destroy();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
