// A pass-through stream that counts the bytes of the build context as they are sent.

import { Transform, type TransformCallback } from 'node:stream';

/** How often the byte count of a context upload is reported while it runs. */
const CONTEXT_PROGRESS_INTERVAL_MS = 250;

/** Passes the context tar through unchanged, reporting the bytes sent so far. */
export class ByteCounter extends Transform {
  private bytes = 0;
  private lastReportMs = Date.now();

  /** `report` receives the running total at most every interval and once at the end. */
  constructor(private readonly report: (bytes: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    const now = Date.now();
    if (now - this.lastReportMs >= CONTEXT_PROGRESS_INTERVAL_MS) {
      this.lastReportMs = now;
      this.report(this.bytes);
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.report(this.bytes);
    callback();
  }
}
