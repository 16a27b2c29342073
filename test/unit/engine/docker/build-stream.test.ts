import { describe, expect, test } from 'vitest';

import { BuildStreamDecoder, collapseCarriageReturns } from '../../../../src/engine/docker/build-stream.js';
import type { BuildOutput } from '../../../../src/engine/engine.js';

/** Serializes messages as the engine does: one JSON object a line, ending in CRLF. */
function body(...messages: object[]): string {
  return messages.map((message) => `${JSON.stringify(message)}\r\n`).join('');
}

function decode(chunks: (string | Buffer)[]): { outputs: BuildOutput[]; decoder: BuildStreamDecoder } {
  const outputs: BuildOutput[] = [];
  const decoder = new BuildStreamDecoder((output) => outputs.push(output));
  for (const chunk of chunks) decoder.write(chunk);
  decoder.end();
  return { outputs, decoder };
}

/** Cuts `text` into pieces of `size` characters. */
function cut(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}

/** A classic build of two instructions, as the engine streams it, the second from the cache. */
const cachedBuild = body(
  { stream: 'Step 1/2 : FROM busybox:1.35' },
  { stream: '\n' },
  { stream: ' ---\u003e 2a18faa45516\n' },
  { stream: 'Step 2/2 : RUN echo hi' },
  { stream: '\n' },
  { stream: ' ---\u003e Using cache\n' },
  { stream: ' ---\u003e dc8c6bdeb3a7\n' },
  { aux: { ID: 'sha256:dc8c6bdeb3a777437ede350bcb32c48cfdef5aa4ede53b575620c54ae7deb398' } },
  { stream: 'Successfully built dc8c6bdeb3a7\n' },
  { stream: 'Successfully tagged weld-demo:latest\n' },
);

const cachedBuildOutputs: BuildOutput[] = [
  { kind: 'instruction', index: 1, total: 2, text: 'FROM busybox:1.35' },
  { kind: 'log', line: ' ---> 2a18faa45516' },
  { kind: 'instruction', index: 2, total: 2, text: 'RUN echo hi' },
  { kind: 'cached', index: 2 },
  { kind: 'log', line: ' ---> dc8c6bdeb3a7' },
  { kind: 'log', line: 'Successfully built dc8c6bdeb3a7' },
  { kind: 'log', line: 'Successfully tagged weld-demo:latest' },
];

describe('BuildStreamDecoder', () => {
  test('turns a whole body into instructions, cache hits and log lines', () => {
    const { outputs, decoder } = decode([cachedBuild]);

    expect(outputs).toEqual(cachedBuildOutputs);
    expect(decoder.imageId).toBe('sha256:dc8c6bdeb3a777437ede350bcb32c48cfdef5aa4ede53b575620c54ae7deb398');
    expect(decoder.failure).toBeUndefined();
  });

  test.each([1, 2, 7, 31, 64])('decodes the same body cut into %i-character chunks', (size) => {
    const { outputs, decoder } = decode(cut(cachedBuild, size));

    expect(outputs).toEqual(cachedBuildOutputs);
    expect(decoder.imageId).toMatch(/^sha256:dc8c6bdeb3a7/);
  });

  test('keeps a multi-byte character that a chunk boundary splits', () => {
    const bytes = Buffer.from(body({ stream: 'température ✓\n' }));
    const splitAt = bytes.indexOf(Buffer.from('✓')) + 1;

    const { outputs } = decode([bytes.subarray(0, splitAt), bytes.subarray(splitAt)]);

    expect(outputs).toEqual([{ kind: 'log', line: 'température ✓' }]);
  });

  test('passes lines that are not JSON on as log lines', () => {
    const chunks = [
      body({ stream: 'Step 1/1 : FROM busybox:1.35\n' }),
      '<html>502 Bad Gateway</html>\r\n',
      '{"stream": "truncated\r\n',
      '[1, 2]\n',
      body({ stream: 'after\n' }),
    ];

    const { outputs } = decode(chunks);

    expect(outputs).toEqual([
      { kind: 'instruction', index: 1, total: 1, text: 'FROM busybox:1.35' },
      { kind: 'log', line: '<html>502 Bad Gateway</html>' },
      { kind: 'log', line: '{"stream": "truncated' },
      { kind: 'log', line: '[1, 2]' },
      { kind: 'log', line: 'after' },
    ]);
  });

  test('splits stream text on newlines and joins pieces of one line', () => {
    const { outputs } = decode([body({ stream: 'one\ntw' }, { stream: 'o\nthree' }, { stream: '\n\nfour' })]);

    expect(outputs.map((output) => (output.kind === 'log' ? output.line : output.kind))).toEqual(['one', 'two', 'three', '', 'four']);
  });

  test('shows the last state of a line redrawn with carriage returns', () => {
    const { outputs } = decode([body({ stream: 'fetch 10%\rfetch 50%\r' }, { stream: 'fetch 100%\r\n' })]);

    expect(outputs).toEqual([{ kind: 'log', line: 'fetch 100%' }]);
  });

  test('records an error in a 200 stream with the instruction that failed', () => {
    const chunks = [
      body(
        { stream: 'Step 1/3 : FROM busybox:1.35' },
        { stream: '\n' },
        { stream: 'Step 2/3 : RUN exit 3' },
        { stream: '\n' },
        { stream: ' ---\u003e Running in 19c0c5f8f92c\n' },
        {
          errorDetail: { code: 3, message: "The command '/bin/sh -c exit 3' returned a non-zero code: 3" },
          error: "The command '/bin/sh -c exit 3' returned a non-zero code: 3",
        },
      ),
    ];

    const { decoder } = decode(chunks);

    expect(decoder.failure).toEqual({
      message: "The command '/bin/sh -c exit 3' returned a non-zero code: 3",
      code: 3,
      instruction: 'RUN exit 3',
      index: 2,
    });
    expect(decoder.imageId).toBeUndefined();
  });

  test('reads an error that carries only the `error` field', () => {
    const { decoder } = decode([body({ error: 'failed to reach build target nope\n' })]);

    expect(decoder.failure).toEqual({ message: 'failed to reach build target nope', instruction: undefined });
  });

  test('flushes unterminated text before the error', () => {
    const { outputs, decoder } = decode([body({ stream: 'Step 1/1 : RUN false\n' }, { stream: 'last words' }, { error: 'boom' })]);

    expect(outputs.at(-1)).toEqual({ kind: 'log', line: 'last words' });
    expect(decoder.failure).toEqual({ message: 'boom', instruction: 'RUN false', index: 1 });
  });

  test('takes the image id a quiet build prints', () => {
    const id = 'sha256:dc8c6bdeb3a777437ede350bcb32c48cfdef5aa4ede53b575620c54ae7deb398';

    const { outputs, decoder } = decode([body({ stream: `${id}\n` })]);

    expect(decoder.imageId).toBe(id);
    expect(outputs).toEqual([{ kind: 'log', line: id }]);
  });

  test('keeps the last aux id of a multi-stage build', () => {
    const { decoder } = decode([body({ aux: { ID: 'sha256:aaa' } }, { stream: 'Step 3/3 : RUN true\n' }, { aux: { ID: 'sha256:bbb' } })]);

    expect(decoder.imageId).toBe('sha256:bbb');
  });

  test('collects the ids of the containers and images the build reports', () => {
    const { decoder } = decode([
      body(
        { stream: ' ---\u003e 2a18faa45516\n' },
        { stream: ' ---\u003e Running in 0a833eee6450\n' },
        { stream: 'Removing intermediate container 0a833eee6450\n' },
        { stream: ' ---\u003e b9aa915b0de5\n' },
      ),
    ]);

    expect(decoder.containerIds).toEqual(['0a833eee6450']);
    expect(decoder.imageIds).toEqual(['2a18faa45516', 'b9aa915b0de5']);
  });

  test('writes one line a layer for pull status and skips byte counts', () => {
    const { outputs } = decode([
      body(
        { status: 'Pulling from library/busybox', id: '1.35' },
        { status: 'Downloading', progressDetail: { current: 100, total: 900 }, progress: '[=>   ]', id: 'a1b2' },
        { status: 'Pull complete', progressDetail: {}, id: 'a1b2' },
      ),
    ]);

    expect(outputs).toEqual([
      { kind: 'log', line: '1.35: Pulling from library/busybox' },
      { kind: 'log', line: 'a1b2: Pull complete' },
    ]);
  });

  test('reports a cache hit only after an instruction', () => {
    const { outputs } = decode([body({ stream: ' ---\u003e Using cache\n' })]);

    expect(outputs).toEqual([{ kind: 'log', line: ' ---> Using cache' }]);
  });
});

describe('collapseCarriageReturns', () => {
  test.each([
    ['plain', 'plain'],
    ['ends in CR\r', 'ends in CR'],
    ['a\rb\rc', 'c'],
    ['10%\r100%\r\r', '100%'],
    ['', ''],
  ])('turns %j into %j', (line, expected) => {
    expect(collapseCarriageReturns(line)).toBe(expected);
  });
});
