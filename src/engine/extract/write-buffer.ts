// Writes file content as it arrives from the archive. While the disk keeps up, each
// piece is written at once, on the thread that read it from the socket. After a few
// slow writes, content goes through a small ring buffer instead, written out by the
// thread pool one write at a time, so that the event loop is not blocked on the disk.

import { writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

import { debug } from '../../debug.js';

/** A write that takes longer counts as slow. Writes into the page cache take tens of microseconds. */
const DEFAULT_SLOW_WRITE_MS = 20;
/**
 * Slow writes that send the rest of the copy through the ring. A few of them mean that
 * the kernel is throttling the writer or that the disk is remote, and waiting for them
 * on the event loop would freeze the console. One alone is no sign: on the loaded
 * 2-core bench machine, a few writes in a 1 GiB copy took 10 to 16 ms because the
 * process was descheduled.
 */
const DEFAULT_SLOW_WRITES_TO_SWITCH = 3;
/**
 * Ring size. Small on purpose: the kernel copies each write out of the ring, and that
 * copy is several times slower once the ring outgrows the CPU caches. On the 1 GiB
 * bench (bench/artifact/README.md), an 8 MiB ring spent about 1 s more system time
 * than a 2 MiB one.
 */
const DEFAULT_CAPACITY_BYTES = 2 * 1024 * 1024;
/** A write from the ring starts once this much content waits, so that writes are not tiny. */
const DEFAULT_MIN_WRITE_BYTES = 128 * 1024;

/** Limits that decide when content goes through the ring; the defaults suit a local disk. */
export interface WriteBufferOptions {
  /** Ring size in bytes. */
  capacityBytes?: number;
  /** Bytes that wait in the ring before a write starts. */
  minWriteBytes?: number;
  /** Duration in milliseconds above which a write counts as slow. */
  slowWriteMs?: number;
  /** Slow writes after which content goes through the ring; 0 sends all of it through the ring. */
  slowWritesToSwitch?: number;
}

/**
 * Writes the content of one file at a time to a `FileHandle`. Writing at once on the
 * event loop's thread is what made the 1 GiB bench match `docker cp`. There the
 * kernel's copy into the page cache took about a third of the time it took from a
 * thread-pool thread, which found the data in another core's cache.
 */
export class WriteBuffer {
  private ring: Buffer | undefined;
  private readonly capacityBytes: number;
  private readonly minWriteBytes: number;
  private readonly slowWriteMs: number;
  private readonly slowWritesToSwitch: number;
  /** Whether content is written at once; false after `slowWritesToSwitch` slow writes. */
  private writeDirectly: boolean;
  private slowWrites = 0;
  private handle: FileHandle | undefined;
  /** File offset of the next byte to write. */
  private position = 0;
  /** Ring offset of the next byte to fill. */
  private head = 0;
  /** Ring offset of the first byte not yet written. */
  private tail = 0;
  /** Bytes filled and not yet written. */
  private pending = 0;
  private writing: Promise<void> | undefined;
  private failure: Error | undefined;

  constructor(options: WriteBufferOptions = {}) {
    this.capacityBytes = options.capacityBytes ?? DEFAULT_CAPACITY_BYTES;
    this.minWriteBytes = Math.min(options.minWriteBytes ?? DEFAULT_MIN_WRITE_BYTES, this.capacityBytes);
    this.slowWriteMs = options.slowWriteMs ?? DEFAULT_SLOW_WRITE_MS;
    this.slowWritesToSwitch = options.slowWritesToSwitch ?? DEFAULT_SLOW_WRITES_TO_SWITCH;
    this.writeDirectly = this.slowWritesToSwitch > 0;
  }

  /** Sends the content that follows into `handle`, from offset 0. The previous file must be flushed. */
  attach(handle: FileHandle): void {
    this.handle = handle;
    this.position = 0;
    this.failure = undefined;
    // Starting over at the front keeps an archive of small files on the ring's first pages.
    this.head = 0;
    this.tail = 0;
    this.pending = 0;
  }

  /**
   * Writes `data` at once, or copies it into the ring after slow writes. Returns
   * undefined when all of it is written or copied, else a promise that resolves once
   * the rest is copied, after writes have freed room. `data` is not read after that.
   */
  append(data: Uint8Array): Promise<void> | undefined {
    if (this.failure !== undefined) throw this.failure;
    if (this.writeDirectly) {
      this.writeNow(data);
      return undefined;
    }
    const copied = this.copyIn(data, 0);
    return copied === data.length ? undefined : this.appendRest(data, copied);
  }

  private writeNow(data: Uint8Array): void {
    const handle = this.attached();
    const started = performance.now();
    let written = 0;
    while (written < data.length) {
      const bytes = writeSync(handle.fd, data, written, data.length - written, this.position);
      if (bytes === 0) throw new Error('the file accepted no bytes');
      written += bytes;
      this.position += bytes;
    }

    const elapsedMs = performance.now() - started;
    if (elapsedMs <= this.slowWriteMs) return;
    this.slowWrites += 1;
    debug('engine:extract', `a write of ${data.length} bytes took ${elapsedMs.toFixed(0)} ms (slow write ${this.slowWrites} of ${this.slowWritesToSwitch})`);
    if (this.slowWrites >= this.slowWritesToSwitch) {
      this.writeDirectly = false;
      debug('engine:extract', 'writing the rest of the copy from the thread pool');
    }
  }

  private attached(): FileHandle {
    if (this.handle === undefined) throw new Error('the write buffer has no file attached');
    return this.handle;
  }

  private async appendRest(data: Uint8Array, from: number): Promise<void> {
    let offset = from;
    while (offset < data.length) {
      this.startWrite(true);
      await this.writing;
      if (this.failure !== undefined) throw this.failure;
      offset = this.copyIn(data, offset);
    }
  }

  /** Copies as much of `data` from `offset` as the ring has room for; returns the offset reached. */
  private copyIn(data: Uint8Array, offset: number): number {
    // Not zero-filled: the pages count towards RSS only once content reaches them.
    this.ring ??= Buffer.allocUnsafeSlow(this.capacityBytes);
    const ring = this.ring;
    let position = offset;
    while (position < data.length && this.pending < ring.length) {
      // Up to the end of the ring or up to the unwritten bytes, whichever comes first.
      const room = this.head >= this.tail ? ring.length - this.head : this.tail - this.head;
      const length = Math.min(room, data.length - position);
      ring.set(length === data.length ? data : data.subarray(position, position + length), this.head);
      this.head = (this.head + length) % ring.length;
      this.pending += length;
      position += length;
    }
    this.startWrite(false);
    return position;
  }

  /** Writes everything buffered and waits until it is on the file. */
  async flush(): Promise<void> {
    while (this.pending > 0 || this.writing !== undefined) {
      if (this.failure !== undefined) throw this.failure;
      this.startWrite(true);
      await this.writing;
    }
    if (this.failure !== undefined) throw this.failure;
    this.handle = undefined;
  }

  /** Waits for the write in flight, if any, ignoring its outcome: the copy is being given up. */
  async settle(): Promise<void> {
    await this.writing?.catch(() => undefined);
    this.handle = undefined;
  }

  /** Starts writing the unwritten bytes that follow the tail, unless a write runs or too few wait. */
  private startWrite(force: boolean): void {
    if (this.writing !== undefined || this.pending === 0 || this.failure !== undefined) return;
    if (!force && this.pending < this.minWriteBytes) return;

    const length = Math.min(this.pending, this.capacityBytes - this.tail);
    this.writing = this.writeOut(this.tail, length).finally(() => {
      this.writing = undefined;
      this.startWrite(false);
    });
  }

  /** Writes one run of the ring. It never rejects: a failure is kept for the next `append` or `flush`. */
  private async writeOut(start: number, length: number): Promise<void> {
    try {
      const handle = this.attached();
      const ring = this.ring!;
      let written = 0;
      // A write to a regular file may be short when the disk fills up. The rest is
      // retried, so that the error comes from the next call.
      while (written < length) {
        const { bytesWritten } = await handle.write(ring, start + written, length - written, this.position);
        if (bytesWritten === 0) throw new Error('the file accepted no bytes');
        written += bytesWritten;
        this.position += bytesWritten;
      }
      this.tail = (this.tail + length) % ring.length;
      this.pending -= length;
    } catch (error) {
      this.failure = error as Error;
    }
  }
}
