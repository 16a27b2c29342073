// Parses an HTTP/1.1 response as it arrives over a raw socket: first the head (status
// line and header fields), then the body. The body is framed by chunked transfer
// coding, by Content-Length, or by the end of the connection (RFC 9112, sections 4 to 7).

/** Status line and header fields of a response. */
export interface ResponseHead {
  /** Status code, such as 200 or 404. */
  statusCode: number;
  /** Reason phrase after the status code, possibly empty. */
  statusMessage: string;
  /** Header fields by lower-case name; a repeated field's values are joined with ", ". */
  headers: Record<string, string>;
}

/** Decodes a response body into its payload, one piece of input at a time. */
export interface BodyDecoder {
  /**
   * Decodes `input` and passes each run of payload to `onData` as a view of `input`
   * (no copy). Bytes after the end of the body are ignored.
   */
  decode(input: Uint8Array, onData: (data: Uint8Array) => void): void;
  /** True once the whole body has been read. Stays false for a body that ends with the connection. */
  readonly complete: boolean;
}

/** Maximum size of a response head. The engine's heads are under 1 KiB. */
const MAX_HEAD_BYTES = 64 * 1024;
/** Maximum sizes of a chunk-size line with its extensions, and of the trailer section. */
const MAX_CHUNK_LINE_BYTES = 4 * 1024;
const MAX_TRAILER_BYTES = 64 * 1024;
/** 12 hex digits (2^48 bytes) stay exact in a double. */
const MAX_CHUNK_SIZE_DIGITS = 12;

const CR = 0x0d;
const LF = 0x0a;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/;
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function invalidResponse(reason: string): Error {
  return new Error(`invalid HTTP response from the engine: ${reason}`);
}

/** Parses the head's text (up to, not including, the empty line that ends it). */
export function parseResponseHead(text: string): ResponseHead {
  const [statusLine = '', ...fieldLines] = text.split('\r\n');
  const status = STATUS_LINE.exec(statusLine);
  if (status === null) throw invalidResponse(`the status line ${JSON.stringify(statusLine.slice(0, 80))} is not HTTP/1.x`);

  const headers: Record<string, string> = {};
  for (const line of fieldLines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (colon <= 0 || !FIELD_NAME.test(name)) throw invalidResponse(`the header line ${JSON.stringify(line.slice(0, 80))} is not a field`);

    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { statusCode: Number(status[1]), statusMessage: status[2] ?? '', headers };
}

/**
 * Collects the response head from the first pieces of a response. The pieces may be
 * reused by their owner after `push` returns, so a head split across pieces is copied.
 */
export class HeadReader {
  /** The parsed head, once complete. */
  head: ResponseHead | undefined;
  private partial: Buffer = Buffer.alloc(0);

  /**
   * Reads `input`. Returns the offset in `input` where the body starts once the head
   * is complete, else undefined.
   */
  push(input: Uint8Array): number | undefined {
    const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const combined = this.partial.length === 0 ? bytes : Buffer.concat([this.partial, bytes]);
    // The end marker may straddle the previous piece and this one.
    const end = combined.indexOf(HEAD_END, Math.max(0, this.partial.length - (HEAD_END.length - 1)));

    if (end === -1) {
      if (combined.length > MAX_HEAD_BYTES) throw invalidResponse(`the head is longer than ${MAX_HEAD_BYTES} bytes`);
      this.partial = Buffer.from(combined);
      return undefined;
    }
    if (end > MAX_HEAD_BYTES) throw invalidResponse(`the head is longer than ${MAX_HEAD_BYTES} bytes`);

    this.head = parseResponseHead(combined.toString('latin1', 0, end));
    const bodyStart = end + HEAD_END.length - this.partial.length;
    this.partial = Buffer.alloc(0);
    return bodyStart;
  }
}

const enum ChunkState {
  Size,
  Extension,
  SizeLineFeed,
  Data,
  DataCarriageReturn,
  DataLineFeed,
  TrailerLine,
  TrailerLineFeed,
  Done,
}

/** Decodes chunked transfer coding: `<hex size>[;extensions]\r\n<data>\r\n`, …, `0\r\n<trailers>\r\n`. */
export class ChunkedDecoder implements BodyDecoder {
  private state = ChunkState.Size;
  private size = 0;
  private sizeDigits = 0;
  private lineBytes = 0;
  private remaining = 0;
  private trailerBytes = 0;
  /** Whether the size line ended the body (a zero-size chunk), so its CRLF leads into the trailers. */
  private lastChunk = false;

  get complete(): boolean {
    return this.state === ChunkState.Done;
  }

  decode(input: Uint8Array, onData: (data: Uint8Array) => void): void {
    let offset = 0;
    while (offset < input.length && this.state !== ChunkState.Done) {
      if (this.state === ChunkState.Data) {
        const end = Math.min(input.length, offset + this.remaining);
        onData(input.subarray(offset, end));
        this.remaining -= end - offset;
        offset = end;
        if (this.remaining === 0) this.state = ChunkState.DataCarriageReturn;
        continue;
      }
      this.step(input[offset]!);
      offset += 1;
    }
  }

  /** Advances over one byte of framing (everything but chunk data). */
  private step(byte: number): void {
    switch (this.state) {
      case ChunkState.Size:
        this.countLineByte();
        if (byte === CR) {
          this.endSizeLine();
        } else if (byte === 0x3b || byte === 0x20 || byte === 0x09) {
          // `;` starts an extension; spaces may come before it.
          this.state = ChunkState.Extension;
        } else {
          this.addSizeDigit(byte);
        }
        return;
      case ChunkState.Extension:
        this.countLineByte();
        if (byte === CR) this.endSizeLine();
        return;
      case ChunkState.SizeLineFeed:
        this.expect(byte, LF, 'the chunk-size line does not end with CRLF');
        this.state = this.lastChunk ? ChunkState.TrailerLine : ChunkState.Data;
        this.lineBytes = 0;
        return;
      case ChunkState.DataCarriageReturn:
        this.expect(byte, CR, 'chunk data is not followed by CRLF');
        this.state = ChunkState.DataLineFeed;
        return;
      case ChunkState.DataLineFeed:
        this.expect(byte, LF, 'chunk data is not followed by CRLF');
        this.state = ChunkState.Size;
        return;
      case ChunkState.TrailerLine:
        this.trailerBytes += 1;
        if (this.trailerBytes > MAX_TRAILER_BYTES) throw invalidResponse(`the trailer section is longer than ${MAX_TRAILER_BYTES} bytes`);
        if (byte === CR) {
          this.state = ChunkState.TrailerLineFeed;
        } else {
          this.lineBytes += 1;
        }
        return;
      case ChunkState.TrailerLineFeed:
        this.expect(byte, LF, 'a trailer line does not end with CRLF');
        // An empty line ends the trailer section, and with it the body.
        this.state = this.lineBytes === 0 ? ChunkState.Done : ChunkState.TrailerLine;
        this.lineBytes = 0;
        return;
      default:
        return;
    }
  }

  private addSizeDigit(byte: number): void {
    const digit = hexValue(byte);
    if (digit === undefined) throw invalidResponse(`the chunk size contains ${JSON.stringify(String.fromCharCode(byte))}`);
    this.sizeDigits += 1;
    if (this.sizeDigits > MAX_CHUNK_SIZE_DIGITS) throw invalidResponse(`a chunk size has more than ${MAX_CHUNK_SIZE_DIGITS} hex digits`);
    this.size = this.size * 16 + digit;
  }

  private endSizeLine(): void {
    if (this.sizeDigits === 0) throw invalidResponse('a chunk-size line has no size');
    this.lastChunk = this.size === 0;
    this.remaining = this.size;
    this.size = 0;
    this.sizeDigits = 0;
    this.lineBytes = 0;
    this.state = ChunkState.SizeLineFeed;
  }

  private countLineByte(): void {
    this.lineBytes += 1;
    if (this.lineBytes > MAX_CHUNK_LINE_BYTES) throw invalidResponse(`a chunk-size line is longer than ${MAX_CHUNK_LINE_BYTES} bytes`);
  }

  private expect(byte: number, expected: number, reason: string): void {
    if (byte !== expected) throw invalidResponse(reason);
  }
}

function hexValue(byte: number): number | undefined {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  return undefined;
}

/** Decodes a body of `Content-Length` bytes. */
export class LengthDecoder implements BodyDecoder {
  private remaining: number;

  constructor(length: number) {
    this.remaining = length;
  }

  get complete(): boolean {
    return this.remaining === 0;
  }

  decode(input: Uint8Array, onData: (data: Uint8Array) => void): void {
    const length = Math.min(input.length, this.remaining);
    if (length === 0) return;
    this.remaining -= length;
    onData(input.subarray(0, length));
  }
}

/** Passes everything through: the body ends when the connection does. */
export class CloseDelimitedDecoder implements BodyDecoder {
  readonly complete = false;

  decode(input: Uint8Array, onData: (data: Uint8Array) => void): void {
    if (input.length > 0) onData(input);
  }
}

/** Returns the decoder the head's framing fields call for (RFC 9112, section 6.3). */
export function createBodyDecoder(head: ResponseHead): BodyDecoder {
  const transferEncoding = head.headers['transfer-encoding'];
  if (transferEncoding !== undefined) {
    const codings = transferEncoding.split(',').map((coding) => coding.trim().toLowerCase());
    if (codings.length !== 1 || codings[0] !== 'chunked') {
      throw invalidResponse(`unsupported Transfer-Encoding ${JSON.stringify(transferEncoding)}`);
    }
    return new ChunkedDecoder();
  }

  const contentLength = head.headers['content-length'];
  if (contentLength !== undefined) {
    if (!/^\d{1,15}$/.test(contentLength)) throw invalidResponse(`invalid Content-Length ${JSON.stringify(contentLength)}`);
    return new LengthDecoder(Number(contentLength));
  }
  return new CloseDelimitedDecoder();
}
