import { describe, expect, test } from 'vitest';

import { describeMissingImage, findPulledImage } from '../../../../src/engine/docker/pull-failure.js';

describe('findPulledImage', () => {
  test.each<[string | undefined, string, string | undefined]>([
    ['FROM nosuchimage:9', 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host', 'nosuchimage:9'],
    ['FROM --platform=linux/amd64 base:1 AS build', 'pull access denied for base', 'base:1'],
    ['COPY --from=tools:2 /bin/x /x', 'invalid from flag value tools:2: pull access denied for tools', 'tools:2'],
    ['FROM base:${VERSION}', 'pull access denied', undefined],
    ['FROM scratch', 'something failed', undefined],
    ['RUN exit 1', "The command '/bin/sh -c exit 1' returned a non-zero code: 1", undefined],
    [undefined, 'failed to reach build target nope', undefined],
  ])('finds the image of %s', (instruction, message, expected) => {
    expect(findPulledImage(instruction, message)).toBe(expected);
  });
});

describe('describeMissingImage', () => {
  test('says the image is not on the engine, with the pull error once', () => {
    const message = describeMissingImage('tools:2', 'invalid from flag value tools:2: pull access denied for tools');

    expect(message).toBe('image tools:2 is not on the Docker engine and could not be pulled: pull access denied for tools');
  });
});
