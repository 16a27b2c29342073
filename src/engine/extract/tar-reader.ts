// Reads a tar archive from chunks of any size, synchronously, as a sequence of tokens:
// an entry's header, runs of its content (views of the chunk, never copies), the end
// of the entry, and the end-of-archive marker. It reads the USTAR, PAX, GNU and V7
// formats the way Go's archive/tar reads them (the Docker engine writes with it),
// except that GNU sparse files are reported as such and their content passed over.

/** Entry types, named as tar-stream names them, plus `gnu-sparse`. An unknown type flag is given in quotes (`'V'`). */
export type EntryType =
  | 'file'
  | 'link'
  | 'symlink'
  | 'character-device'
  | 'block-device'
  | 'directory'
  | 'fifo'
  | 'contiguous-file'
  | 'gnu-sparse'
  | `'${string}'`;

/** The header of one entry, with PAX records and GNU long names applied. */
export interface TarHeader {
  /** Entry name as the archive spells it. */
  name: string;
  type: EntryType;
  /** Permission and set-id bits. */
  mode: number;
  /** Modification time, to the fraction of a second a PAX record gives. */
  mtime: Date;
  /** Content bytes that follow the header; 0 for types that carry none (links, folders, devices). */
  size: number;
  /** Target of a hard or symbolic link; empty for other types. */
  linkname: string;
}

/** One step through the archive; `offset` is where reading continues in the same chunk. */
export type TarToken =
  | { kind: 'header'; header: TarHeader; offset: number }
  | { kind: 'content'; data: Uint8Array; offset: number }
  | { kind: 'entry-end'; offset: number }
  | { kind: 'archive-end'; offset: number };

const BLOCK_BYTES = 512;
/** PAX and GNU long-name records larger than this are rejected (tar-stream allows 4 MiB). */
const MAX_RECORD_BYTES = 1024 * 1024;

const TYPES: Record<string, EntryType> = {
  '0': 'file',
  '\0': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'character-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
  '7': 'contiguous-file',
  S: 'gnu-sparse',
};
/** Types whose size field does not announce content (Go's `isHeaderOnlyType`). */
const HEADER_ONLY_TYPES = new Set<EntryType>(['link', 'symlink', 'character-device', 'block-device', 'directory', 'fifo']);
/** Types whose content is written to a file. */
const FILE_TYPES = new Set<EntryType>(['file', 'contiguous-file']);

/** Magic and version of a USTAR (and PAX) header. GNU headers (`ustar  \0`) and V7 ones (none) have no prefix field. */
const USTAR_MAGIC = 'ustar\u000000';

const enum State {
  Header,
  Record,
  Content,
  Skip,
  End,
}

/** Keys of the PAX records weld reads; the others (uid, uname, atime, …) are not needed. */
interface PaxRecords {
  path?: string;
  linkpath?: string;
  size?: string;
  mtime?: string;
  sparse?: boolean;
}

function invalidArchive(reason: string): Error {
  return new Error(`invalid tar archive: ${reason}`);
}

function paddingOf(size: number): number {
  const rest = size % BLOCK_BYTES;
  return rest === 0 ? 0 : BLOCK_BYTES - rest;
}

function readString(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return Buffer.from(field.buffer, field.byteOffset, end === -1 ? field.length : end).toString('utf8');
}

/**
 * Reads a numeric field: octal digits padded with spaces or NULs, or base-256 (first
 * byte 0x80) for values too large for octal, as GNU tar and Go write big sizes.
 */
function readNumber(block: Uint8Array, start: number, length: number, field: string): number {
  const first = block[start]!;
  if (first & 0x80) {
    if (first !== 0x80) throw invalidArchive(`the ${field} field is negative`);
    let value = 0;
    for (let index = start + 1; index < start + length; index += 1) value = value * 256 + block[index]!;
    if (!Number.isSafeInteger(value)) throw invalidArchive(`the ${field} field is too large`);
    return value;
  }

  const text = Buffer.from(block.buffer, block.byteOffset + start, length)
    .toString('latin1')
    .replace(/^[ \0]+|[ \0]+$/g, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw invalidArchive(`the ${field} field ${JSON.stringify(text)} is not an octal number`);
  return parseInt(text, 8);
}

function isZeroBlock(block: Uint8Array): boolean {
  for (let index = 0; index < BLOCK_BYTES; index += 1) {
    if (block[index] !== 0) return false;
  }
  return true;
}

/** Checks the header checksum, as the unsigned or (as some old tars wrote it) the signed byte sum. */
function checkChecksum(block: Uint8Array): void {
  const stored = readNumber(block, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let index = 0; index < BLOCK_BYTES; index += 1) {
    const byte = index >= 148 && index < 156 ? 0x20 : block[index]!;
    unsigned += byte;
    signed += byte < 0x80 ? byte : byte - 0x100;
  }
  if (stored !== unsigned && stored !== signed) {
    throw invalidArchive('a header checksum does not match; the archive is corrupt or not a tar archive');
  }
}

/** Parses PAX records: `<length> <key>=<value>\n`, where length counts the whole record. */
export function parsePaxRecords(data: Uint8Array): Map<string, string> {
  const records = new Map<string, string>();
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  while (offset < bytes.length) {
    const space = bytes.indexOf(0x20, offset);
    const lengthText = space === -1 ? '' : bytes.toString('latin1', offset, space);
    const length = /^\d{1,7}$/.test(lengthText) ? Number(lengthText) : 0;
    const end = offset + length;
    if (length === 0 || end > bytes.length || bytes[end - 1] !== 0x0a || space >= end) {
      // GNU tar pads a record block with NULs after the last record.
      if (bytes.subarray(offset).every((byte) => byte === 0)) break;
      throw invalidArchive('a PAX record is malformed');
    }

    const record = bytes.toString('utf8', space + 1, end - 1);
    const equals = record.indexOf('=');
    if (equals <= 0) throw invalidArchive(`the PAX record ${JSON.stringify(record.slice(0, 80))} has no key`);
    records.set(record.slice(0, equals), record.slice(equals + 1));
    offset = end;
  }
  return records;
}

/**
 * Applies PAX records over `into`. An empty value is kept: it cancels a global record of
 * the same key for one entry (POSIX pax, "pax Extended Header"), and reads as absent.
 */
function mergePax(into: PaxRecords, records: Map<string, string>): void {
  for (const [key, value] of records) {
    if (key.startsWith('GNU.sparse.')) into.sparse = true;
    if (key === 'path' || key === 'linkpath' || key === 'size' || key === 'mtime') into[key] = value;
  }
}

function presentValue(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

function parsePaxSize(value: string): number {
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) throw invalidArchive(`the PAX size ${JSON.stringify(value)} is invalid`);
  return Number(value);
}

function parsePaxTime(value: string): Date {
  if (!/^-?\d{1,15}(\.\d+)?$/.test(value)) throw invalidArchive(`the PAX mtime ${JSON.stringify(value)} is invalid`);
  return new Date(Number(value) * 1000);
}

/**
 * A push parser over the chunks of one archive. Call `next(chunk, offset)` until it
 * returns undefined, then move on to the next chunk. Call `finish()` when the source
 * ends: it throws unless the end-of-archive marker was read.
 */
export class TarReader {
  private state = State.Header;
  /** The header block being collected when it straddles two chunks. */
  private readonly block = Buffer.alloc(BLOCK_BYTES);
  private blockFill = 0;
  private header: TarHeader | undefined;
  /** Content bytes of the current entry still to come. */
  private remaining = 0;
  /** Bytes to pass over: padding, or content weld does not write. */
  private skip = 0;
  /** Padding after the current entry's content. */
  private padding = 0;
  private entryEndPending = false;

  /** The PAX or GNU long-name record being collected, and its type flag. */
  private record: Buffer | undefined;
  private recordFill = 0;
  private recordType = '';
  private globalPax: PaxRecords = {};
  private localPax: PaxRecords | undefined;
  private longName: string | undefined;
  private longLinkName: string | undefined;

  /** Returns the next token from `chunk` at `offset`, or undefined when the chunk is used up. */
  next(chunk: Uint8Array, offset: number): TarToken | undefined {
    if (this.entryEndPending) {
      this.entryEndPending = false;
      this.header = undefined;
      this.passOver(this.padding);
      return { kind: 'entry-end', offset };
    }

    let position = offset;
    while (position < chunk.length) {
      switch (this.state) {
        case State.Header: {
          const block = this.collectBlock(chunk, position);
          position += block.consumed;
          if (block.data === undefined) break;
          const token = this.readHeaderBlock(block.data, position);
          if (token !== undefined) return token;
          break;
        }
        case State.Record:
          position = this.collectRecord(chunk, position);
          break;
        case State.Content: {
          const end = Math.min(chunk.length, position + this.remaining);
          this.remaining -= end - position;
          if (this.remaining === 0) this.entryEndPending = true;
          return { kind: 'content', data: chunk.subarray(position, end), offset: end };
        }
        case State.Skip: {
          const length = Math.min(chunk.length - position, this.skip);
          this.skip -= length;
          position += length;
          if (this.skip === 0) this.state = State.Header;
          break;
        }
        case State.End:
          // Whatever follows the marker (the second zero block, record padding) is ignored.
          return undefined;
      }
    }
    return undefined;
  }

  /** Throws unless the archive was read up to its end-of-archive marker. */
  finish(): void {
    if (this.state === State.End) return;
    if (this.header !== undefined && (this.state === State.Content || this.entryEndPending)) {
      throw invalidArchive(`the archive ended inside ${this.header.name}, ${this.remaining} bytes of its content missing`);
    }
    throw invalidArchive('the archive ended before its end-of-archive marker; the stream was cut');
  }

  /** Returns a full header block: a view of `chunk` when it holds one whole, else the copy collected so far. */
  private collectBlock(chunk: Uint8Array, position: number): { data: Uint8Array | undefined; consumed: number } {
    if (this.blockFill === 0 && chunk.length - position >= BLOCK_BYTES) {
      return { data: chunk.subarray(position, position + BLOCK_BYTES), consumed: BLOCK_BYTES };
    }
    const length = Math.min(BLOCK_BYTES - this.blockFill, chunk.length - position);
    this.block.set(chunk.subarray(position, position + length), this.blockFill);
    this.blockFill += length;
    if (this.blockFill < BLOCK_BYTES) return { data: undefined, consumed: length };
    this.blockFill = 0;
    return { data: this.block, consumed: length };
  }

  private readHeaderBlock(block: Uint8Array, offset: number): TarToken | undefined {
    if (isZeroBlock(block)) {
      this.state = State.End;
      return { kind: 'archive-end', offset };
    }
    checkChecksum(block);

    const flag = String.fromCharCode(block[156]!);
    const size = readNumber(block, 124, 12, 'size');
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      this.startRecord(flag, size);
      return undefined;
    }

    const header = this.decodeHeader(block, flag, size);
    this.header = header;
    if (FILE_TYPES.has(header.type) && header.size > 0) {
      this.state = State.Content;
      this.remaining = header.size;
      this.padding = paddingOf(header.size);
    } else {
      // An unknown type's content is passed over; header-only types carry none.
      const stored = HEADER_ONLY_TYPES.has(header.type) || FILE_TYPES.has(header.type) ? 0 : header.size;
      this.entryEndPending = true;
      this.padding = stored + paddingOf(stored);
      if (!FILE_TYPES.has(header.type)) header.size = 0;
    }
    return { kind: 'header', header, offset };
  }

  private decodeHeader(block: Uint8Array, flag: string, blockSize: number): TarHeader {
    const magic = Buffer.from(block.buffer, block.byteOffset + 257, 8).toString('latin1');
    let name = readString(block, 0, 100);
    // USTAR splits long names into a prefix and a name; GNU uses that space otherwise.
    if (magic === USTAR_MAGIC) {
      const prefix = readString(block, 345, 155);
      if (prefix !== '') name = `${prefix}/${name}`;
    }

    let type = TYPES[flag] ?? (`'${flag}'` as const);
    // Archives older than USTAR mark a folder by a trailing slash only.
    if ((flag === '\0' || flag === '0') && name.endsWith('/')) type = 'directory';

    const pax: PaxRecords = { ...this.globalPax, ...this.localPax };
    this.localPax = undefined;
    if (pax.sparse) type = 'gnu-sparse';

    const paxTime = presentValue(pax.mtime);
    const paxSize = presentValue(pax.size);
    const header: TarHeader = {
      name: this.longName ?? presentValue(pax.path) ?? name,
      type,
      mode: readNumber(block, 100, 8, 'mode') & 0o7777,
      mtime: paxTime === undefined ? new Date(readNumber(block, 136, 12, 'mtime') * 1000) : parsePaxTime(paxTime),
      size: paxSize === undefined ? blockSize : parsePaxSize(paxSize),
      linkname: this.longLinkName ?? presentValue(pax.linkpath) ?? readString(block, 157, 100),
    };
    this.longName = undefined;
    this.longLinkName = undefined;
    return header;
  }

  private startRecord(flag: string, size: number): void {
    if (size > MAX_RECORD_BYTES) throw invalidArchive(`a ${flag === 'x' || flag === 'g' ? 'PAX' : 'GNU long-name'} record of ${size} bytes exceeds the ${MAX_RECORD_BYTES}-byte limit`);
    this.recordType = flag;
    this.record = Buffer.allocUnsafe(size);
    this.recordFill = 0;
    this.padding = paddingOf(size);
    this.state = State.Record;
    if (size === 0) this.endRecord();
  }

  private collectRecord(chunk: Uint8Array, position: number): number {
    const record = this.record!;
    const length = Math.min(record.length - this.recordFill, chunk.length - position);
    record.set(chunk.subarray(position, position + length), this.recordFill);
    this.recordFill += length;
    if (this.recordFill === record.length) this.endRecord();
    return position + length;
  }

  private endRecord(): void {
    const record = this.record!;
    this.record = undefined;
    switch (this.recordType) {
      case 'x':
        this.localPax ??= {};
        mergePax(this.localPax, parsePaxRecords(record));
        break;
      case 'g':
        mergePax(this.globalPax, parsePaxRecords(record));
        break;
      case 'L':
        this.longName = readString(record, 0, record.length);
        break;
      case 'K':
        this.longLinkName = readString(record, 0, record.length);
        break;
    }
    this.passOver(this.padding);
  }

  private passOver(bytes: number): void {
    this.skip = bytes;
    this.state = bytes === 0 ? State.Header : State.Skip;
  }
}
