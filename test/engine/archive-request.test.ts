import { randomBytes } from 'node:crypto';

import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { ArchiveStatusError, directEndpointOf, requestArchiveDirect, type DirectEndpoint } from '../../src/engine/docker/archive-request.js';
import type { ArchiveSource } from '../../src/engine/extract/archive-source.js';
import { TarReader, type TarHeader } from '../../src/engine/extract/tar-reader.js';

const LABEL_KEY = 'weld-test-artifact';
const RUN_ID = randomBytes(4).toString('hex');
const BASE_IMAGE = 'busybox:1.35';

const docker = new Dockerode();
let endpoint: DirectEndpoint;
let container: Dockerode.Container;

beforeAll(async () => {
  const direct = await directEndpointOf(docker);
  if (direct === undefined) throw new Error('the test engine must be reached through a unix socket or plain TCP');
  endpoint = direct;
  container = await docker.createContainer({
    Image: BASE_IMAGE,
    Entrypoint: ['/weld-copy-placeholder'],
    Labels: { [LABEL_KEY]: RUN_ID },
    NetworkDisabled: true,
  });
});

afterAll(async () => {
  await container?.remove({ force: true });
});

/** Reads a whole archive through the tar reader; returns its headers and the bytes of file content. */
async function readArchive(source: ArchiveSource): Promise<{ headers: TarHeader[]; contentBytes: number }> {
  const reader = new TarReader();
  const headers: TarHeader[] = [];
  let contentBytes = 0;
  for (let chunk = source.read(); chunk !== undefined; chunk = source.read()) {
    if (chunk === null) {
      await source.whenReadable();
      continue;
    }
    for (let token = reader.next(chunk, 0); token !== undefined; token = reader.next(chunk, token.offset)) {
      if (token.kind === 'header') headers.push(token.header);
      if (token.kind === 'content') contentBytes += token.data.length;
    }
  }
  reader.finish();
  return { headers, contentBytes };
}

function pathStatOf(headers: Record<string, string>): { name: string; size: number } {
  return JSON.parse(Buffer.from(headers['x-docker-container-path-stat'] ?? '', 'base64').toString('utf8')) as { name: string; size: number };
}

describe('requestArchiveDirect against the engine', () => {
  test('folder archive arrives whole, up to its end-of-archive marker', async () => {
    const response = await requestArchiveDirect(endpoint, container.id, '/bin', new AbortController().signal);

    const archive = await readArchive(response.body);

    expect(pathStatOf(response.headers).name).toBe('bin');
    expect(archive.headers[0]?.name).toBe('bin/');
    expect(archive.headers.map((header) => header.name)).toContain('bin/sh');
    expect(archive.headers.length).toBeGreaterThan(100);
    expect(archive.contentBytes).toBeGreaterThan(500_000);
  });

  test('single file arrives with its size in the path stat', async () => {
    const response = await requestArchiveDirect(endpoint, container.id, '/etc/passwd', new AbortController().signal);

    const archive = await readArchive(response.body);

    expect(archive.headers.map((header) => header.name)).toEqual(['passwd']);
    expect(archive.contentBytes).toBe(pathStatOf(response.headers).size);
  });

  test('missing path rejects with status 404 and the engine message', async () => {
    const requesting = requestArchiveDirect(endpoint, container.id, '/no/such/path', new AbortController().signal);

    await expect(requesting).rejects.toBeInstanceOf(ArchiveStatusError);
    await expect(requesting).rejects.toMatchObject({ statusCode: 404, json: { message: expect.stringContaining('/no/such/path') } });
  });

  test('missing container rejects with status 404 naming the container', async () => {
    const requesting = requestArchiveDirect(endpoint, `weld-test-artifact-gone-${RUN_ID}`, '/bin', new AbortController().signal);

    await expect(requesting).rejects.toMatchObject({ statusCode: 404, json: { message: expect.stringMatching(/no such container/i) } });
  });

  test('abort after the first chunk fails the next read', async () => {
    const controller = new AbortController();
    const response = await requestArchiveDirect(endpoint, container.id, '/bin', controller.signal);
    await response.body.whenReadable();
    response.body.read();

    controller.abort(new Error('stopped by the test'));

    expect(() => response.body.read()).toThrow('stopped by the test');
  });
});
