import { describe, expect, test } from 'vitest';

import {
  ChunkedDecoder,
  CloseDelimitedDecoder,
  HeadReader,
  LengthDecoder,
  createBodyDecoder,
  parseResponseHead,
  type BodyDecoder,
} from '../../../../src/engine/docker/http-response.js';

const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nX-Docker-Container-Path-Stat: eyJuYW1lIjoiYXBwIn0=\r\n\r\n';

/** Feeds `input` to `decoder` in pieces of `pieceBytes` and returns the payload it passed on. */
function decodeInPieces(decoder: BodyDecoder, input: string, pieceBytes: number): string {
  const bytes = Buffer.from(input, 'latin1');
  const payload: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += pieceBytes) {
    decoder.decode(bytes.subarray(offset, offset + pieceBytes), (data) => payload.push(Buffer.from(data)));
  }
  return Buffer.concat(payload).toString('latin1');
}

describe('parseResponseHead', () => {
  test('status line and fields are read with lower-case names', () => {
    const head = parseResponseHead('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nApi-Version:1.41');

    expect(head.statusCode).toBe(404);
    expect(head.statusMessage).toBe('Not Found');
    expect(head.headers).toEqual({ 'content-type': 'application/json', 'api-version': '1.41' });
  });

  test('repeated field values are joined', () => {
    const head = parseResponseHead('HTTP/1.1 200 OK\r\nVia: a\r\nVia: b');

    expect(head.headers.via).toBe('a, b');
  });

  test('status line without a reason phrase is accepted', () => {
    const head = parseResponseHead('HTTP/1.0 204');

    expect(head.statusCode).toBe(204);
    expect(head.statusMessage).toBe('');
  });

  test.each([
    ['a status line of another protocol', 'SPDY/3 200 OK', 'the status line "SPDY/3 200 OK" is not HTTP/1.x'],
    ['a field line without a colon', 'HTTP/1.1 200 OK\r\nbroken', 'the header line "broken" is not a field'],
    ['a field name with a space', 'HTTP/1.1 200 OK\r\nBad Name: x', 'the header line "Bad Name: x" is not a field'],
  ])('%s is rejected', (_case, text, message) => {
    expect(() => parseResponseHead(text)).toThrow(`invalid HTTP response from the engine: ${message}`);
  });
});

describe('HeadReader', () => {
  test.each([1, 2, 3, 7, 64, 1000])('head split in pieces of %i bytes is found with the body start', (pieceBytes) => {
    const response = Buffer.from(`${HEAD}body`, 'latin1');
    const reader = new HeadReader();
    let bodyStart: number | undefined;
    let offset = 0;

    for (; offset < response.length && bodyStart === undefined; offset += pieceBytes) {
      bodyStart = reader.push(response.subarray(offset, offset + pieceBytes));
    }

    const piece = response.subarray(offset - pieceBytes, offset);
    expect(reader.head?.statusCode).toBe(200);
    expect(reader.head?.headers['x-docker-container-path-stat']).toBe('eyJuYW1lIjoiYXBwIn0=');
    expect(Buffer.concat([piece.subarray(bodyStart), response.subarray(offset)]).toString()).toBe('body');
  });

  test('piece reused after push does not change the head', () => {
    const reader = new HeadReader();
    const piece = Buffer.from(HEAD.slice(0, 20), 'latin1');

    reader.push(piece);
    piece.fill(0x78);
    reader.push(Buffer.from(HEAD.slice(20), 'latin1'));

    expect(reader.head?.headers['content-type']).toBe('application/x-tar');
  });

  test('head longer than 64 KiB is rejected', () => {
    const reader = new HeadReader();
    const longField = `HTTP/1.1 200 OK\r\nX-Long: ${'a'.repeat(70 * 1024)}`;

    expect(() => reader.push(Buffer.from(longField, 'latin1'))).toThrow('the head is longer than 65536 bytes');
  });
});

describe('ChunkedDecoder', () => {
  const body = '5\r\nhello\r\n1;name=value\r\n \r\nA\r\n0123456789\r\n0\r\n\r\n';

  test.each([1, 2, 3, 5, 11, 1000])('body split in pieces of %i bytes decodes whole', (pieceBytes) => {
    const decoder = new ChunkedDecoder();

    const payload = decodeInPieces(decoder, body, pieceBytes);

    expect(payload).toBe('hello 0123456789');
    expect(decoder.complete).toBe(true);
  });

  test('chunk sizes in either case of hex and with extensions are read', () => {
    const decoder = new ChunkedDecoder();

    const payload = decodeInPieces(decoder, `1a;a=1;b="x y"\r\n${'z'.repeat(26)}\r\n1A\r\n${'y'.repeat(26)}\r\n0\r\n\r\n`, 4);

    expect(payload).toBe(`${'z'.repeat(26)}${'y'.repeat(26)}`);
  });

  test('trailer fields after the last chunk are passed over', () => {
    const decoder = new ChunkedDecoder();

    const payload = decodeInPieces(decoder, '3\r\nabc\r\n0\r\nChecksum: 1234\r\nOther: x\r\n\r\n', 2);

    expect(payload).toBe('abc');
    expect(decoder.complete).toBe(true);
  });

  test('body is not complete before the empty line after the last chunk', () => {
    const decoder = new ChunkedDecoder();

    decodeInPieces(decoder, '3\r\nabc\r\n0\r\nChecksum: 1234\r\n', 3);

    expect(decoder.complete).toBe(false);
  });

  test('bytes after the end of the body are ignored', () => {
    const decoder = new ChunkedDecoder();

    const payload = decodeInPieces(decoder, '3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK', 100);

    expect(payload).toBe('abc');
  });

  test('payload pieces are views of the input', () => {
    const decoder = new ChunkedDecoder();
    const input = Buffer.from('3\r\nabc\r\n0\r\n\r\n', 'latin1');
    const pieces: Uint8Array[] = [];

    decoder.decode(input, (data) => pieces.push(data));

    expect(pieces).toHaveLength(1);
    expect(pieces[0]!.buffer).toBe(input.buffer);
  });

  test.each([
    ['a size that is not hex', 'x\r\n', 'the chunk size contains "x"'],
    ['a size line without a size', '\r\n', 'a chunk-size line has no size'],
    ['a size of 13 hex digits', '1000000000000\r\n', 'a chunk size has more than 12 hex digits'],
    ['chunk data not followed by CRLF', '3\r\nabcd', 'chunk data is not followed by CRLF'],
    ['a size line ending in a bare CR', '3\rabc', 'the chunk-size line does not end with CRLF'],
    ['a size line of 5000 bytes', `1;${'e'.repeat(5000)}\r\n`, 'a chunk-size line is longer than 4096 bytes'],
  ])('%s is rejected', (_case, input, message) => {
    const decoder = new ChunkedDecoder();

    expect(() => decodeInPieces(decoder, input, 1000)).toThrow(`invalid HTTP response from the engine: ${message}`);
  });
});

describe('createBodyDecoder', () => {
  test.each<[string, Record<string, string>, new (...args: never[]) => BodyDecoder]>([
    ['chunked transfer coding', { 'transfer-encoding': 'chunked' }, ChunkedDecoder],
    ['chunked written in capitals', { 'transfer-encoding': 'Chunked' }, ChunkedDecoder],
    ['a content length', { 'content-length': '2048' }, LengthDecoder],
    ['chunked over a content length', { 'transfer-encoding': 'chunked', 'content-length': '10' }, ChunkedDecoder],
    ['no framing field', {}, CloseDelimitedDecoder],
  ])('%s gives its decoder', (_case, headers, expected) => {
    const decoder = createBodyDecoder({ statusCode: 200, statusMessage: 'OK', headers });

    expect(decoder).toBeInstanceOf(expected);
  });

  test.each([
    ['a transfer coding other than chunked', { 'transfer-encoding': 'gzip, chunked' }, 'unsupported Transfer-Encoding "gzip, chunked"'],
    ['a content length that is not a number', { 'content-length': '12a' }, 'invalid Content-Length "12a"'],
    ['two different content lengths', { 'content-length': '10, 12' }, 'invalid Content-Length "10, 12"'],
  ])('%s is rejected', (_case, headers, message) => {
    expect(() => createBodyDecoder({ statusCode: 200, statusMessage: 'OK', headers })).toThrow(message);
  });

  test('content length decoder stops at the length', () => {
    const decoder = new LengthDecoder(5);

    const payload = decodeInPieces(decoder, 'hello, world', 3);

    expect(payload).toBe('hello');
    expect(decoder.complete).toBe(true);
  });

  test('close-delimited decoder passes everything and never completes', () => {
    const decoder = new CloseDelimitedDecoder();

    const payload = decodeInPieces(decoder, 'all of it', 2);

    expect(payload).toBe('all of it');
    expect(decoder.complete).toBe(false);
  });
});
