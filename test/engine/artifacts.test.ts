import { randomBytes } from 'node:crypto';
import { lstat, mkdtemp, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { Agent } from 'node:http';
import os from 'node:os';
import path from 'node:path';

import Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';

import { directEndpointOf } from '../../src/engine/docker/archive-request.js';
import { ownerLabels, removeAbandonedCopies } from '../../src/engine/docker/abandoned-copies.js';
import { PLACEHOLDER_COMMAND, copyFromImage } from '../../src/engine/docker/copy.js';
import type { CopyRequest } from '../../src/engine/engine.js';
import { removeTree } from '../../src/engine/extract/staging.js';
import { CancelledError, EngineError } from '../../src/errors.js';
import { buildTestImage } from '../fixtures/artifacts/build-image.js';
import type { ArchiveEntry } from '../fixtures/artifacts/tar-archives.js';

const LABEL_KEY = 'weld-test-artifact';
const RUN_ID = randomBytes(4).toString('hex');
const LABELS = { [LABEL_KEY]: RUN_ID };
const BUSYBOX_IMAGE = `weld-test-artifact-busybox:${RUN_ID}`;
const SCRATCH_IMAGE = `weld-test-artifact-scratch:${RUN_ID}`;
const CONTEXT_MTIME = new Date('2022-03-04T05:06:07Z');
const BIG_FILE_BYTES = 32 * 1024 * 1024;

/** The same tree for both images: busybox makes it with RUN, scratch gets it by COPY. */
const BUSYBOX_DOCKERFILE = `FROM busybox:1.35
RUN mkdir -p /app/dist/lib /app/dist/empty /app/empty \\
 && echo 'main' > /app/dist/index.js \\
 && echo 'util' > /app/dist/lib/util.js \\
 && printf '#!/bin/sh\\necho run\\n' > /app/dist/run.sh && chmod 0755 /app/dist/run.sh \\
 && echo 'key' > /app/dist/secret && chmod 0600 /app/dist/secret \\
 && ln -s lib /app/dist/current \\
 && ln -s dist /app/link \\
 && ln -s link /app/chain && ln -s /app/dist /app/absolute && ln -s /nowhere /app/dangling && ln -s server /app/server-link \\
 && mkdir /app/special && mkfifo /app/special/pipe && echo 'kept' > /app/special/kept.txt \\
 && printf 'ELF' > /app/server && chmod 0755 /app/server \\
 && dd if=/dev/zero of=/app/big.bin bs=1048576 count=${BIG_FILE_BYTES / 1048576} 2>/dev/null
`;

const SCRATCH_CONTEXT: ArchiveEntry[] = [
  { name: 'Dockerfile', content: 'FROM scratch\nCOPY app /app\n' },
  { name: 'app/', type: 'directory', mtime: CONTEXT_MTIME },
  { name: 'app/dist/', type: 'directory', mtime: CONTEXT_MTIME },
  { name: 'app/dist/index.js', content: 'main\n', mtime: CONTEXT_MTIME },
  { name: 'app/dist/lib/', type: 'directory', mtime: CONTEXT_MTIME },
  { name: 'app/dist/lib/util.js', content: 'util\n', mtime: CONTEXT_MTIME },
  { name: 'app/dist/empty/', type: 'directory', mtime: CONTEXT_MTIME },
  { name: 'app/dist/run.sh', mode: 0o755, content: '#!/bin/sh\necho run\n', mtime: CONTEXT_MTIME },
  { name: 'app/dist/secret', mode: 0o600, content: 'key\n', mtime: CONTEXT_MTIME },
  { name: 'app/dist/current', type: 'symlink', linkname: 'lib', mtime: CONTEXT_MTIME },
  { name: 'app/empty/', type: 'directory', mtime: CONTEXT_MTIME },
  { name: 'app/link', type: 'symlink', linkname: 'dist', mtime: CONTEXT_MTIME },
  { name: 'app/server', mode: 0o755, content: 'ELF', mtime: CONTEXT_MTIME },
];

const IMAGES = [
  ['busybox', BUSYBOX_IMAGE],
  ['scratch', SCRATCH_IMAGE],
] as const;

const docker = new Dockerode();
let destinationDir: string;

beforeAll(async () => {
  await buildTestImage(docker, BUSYBOX_IMAGE, [{ name: 'Dockerfile', content: BUSYBOX_DOCKERFILE }], LABELS);
  await buildTestImage(docker, SCRATCH_IMAGE, SCRATCH_CONTEXT, LABELS);
});

afterAll(async () => {
  for (const [, image] of IMAGES) {
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
  }
});

beforeEach(async () => {
  destinationDir = await mkdtemp(path.join(os.tmpdir(), 'weld-test-artifact-engine-'));
});

afterEach(async () => {
  await removeTree(destinationDir);
  const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL_KEY}=${RUN_ID}`] } });
  expect(left.map((container) => container.Id)).toEqual([]);
});

function copy(image: string, sourcePath: string, extra: Partial<CopyRequest> = {}, signal = new AbortController().signal) {
  return copyFromImage(docker, { image, sourcePath, destinationDir, labels: LABELS, ...extra }, signal);
}

describe.each(IMAGES)('copyFromImage from the %s image', (_kind, image) => {
  test('folder is copied with its nested files and empty folders', async () => {
    const result = await copy(image, '/app/dist');

    expect(result.path).toBe(path.join(destinationDir, 'dist'));
    expect((await readdir(result.path)).sort()).toEqual(['current', 'empty', 'index.js', 'lib', 'run.sh', 'secret']);
    expect(await readFile(path.join(result.path, 'index.js'), 'utf8')).toBe('main\n');
    expect(await readFile(path.join(result.path, 'lib', 'util.js'), 'utf8')).toBe('util\n');
    expect(await readdir(path.join(result.path, 'empty'))).toEqual([]);
    expect(result.bytes).toBe('main\n'.length + 'util\n'.length + '#!/bin/sh\necho run\n'.length + 'key\n'.length);
  });

  test('empty folder is copied as an empty folder', async () => {
    const result = await copy(image, '/app/empty');

    expect((await stat(result.path)).isDirectory()).toBe(true);
    expect(await readdir(result.path)).toEqual([]);
    expect(result.bytes).toBe(0);
  });

  test('file modes are kept', async () => {
    const result = await copy(image, '/app/dist');

    expect((await stat(path.join(result.path, 'run.sh'))).mode & 0o7777).toBe(0o755);
    expect((await stat(path.join(result.path, 'secret'))).mode & 0o7777).toBe(0o600);
  });

  test('symlink inside the folder stays a link', async () => {
    const result = await copy(image, '/app/dist');

    const link = path.join(result.path, 'current');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe('lib');
    expect(await readFile(path.join(link, 'util.js'), 'utf8')).toBe('util\n');
  });

  test('path that is a symlink copies its target under the link name', async () => {
    const result = await copy(image, '/app/link');

    expect(result.path).toBe(path.join(destinationDir, 'link'));
    expect((await lstat(result.path)).isDirectory()).toBe(true);
    expect(await readFile(path.join(result.path, 'index.js'), 'utf8')).toBe('main\n');
    expect(await readdir(destinationDir)).toEqual(['link']);
  });

  test('single file is copied with its size as the total', async () => {
    const reports: Array<[number, number]> = [];

    const result = await copy(image, '/app/server', { onProgress: (bytes, total) => reports.push([bytes, total]) });

    expect(result.path).toBe(path.join(destinationDir, 'server'));
    expect(await readFile(result.path, 'utf8')).toBe('ELF');
    expect((await stat(result.path)).mode & 0o777).toBe(0o755);
    expect(reports.at(-1)).toEqual([3, 3]);
  });

  test('copying again replaces the previous copy', async () => {
    await copy(image, '/app/dist');

    const result = await copy(image, '/app/dist');

    expect(await readdir(destinationDir)).toEqual(['dist']);
    expect(await readdir(result.path)).not.toContain('dist');
  });

  test('missing path fails with the image, the path and the closest folder', async () => {
    const copying = copy(image, '/app/dist/missing/file.js');

    await expect(copying).rejects.toThrow(EngineError);
    await expect(copying).rejects.toThrow(`artifact path /app/dist/missing/file.js not found in image ${image}`);
    await expect(copying).rejects.toMatchObject({ hint: expect.stringContaining('the closest folder that exists is `/app/dist`, and it has no `missing`') });
    expect(await readdir(destinationDir)).toEqual([]);
  });
});

describe('copyFromImage', () => {
  test('test engine is read over a plain socket, not through dockerode', async () => {
    expect(await directEndpointOf(docker)).toBeDefined();
  });

  test('folder mtimes come from the image', async () => {
    const result = await copy(SCRATCH_IMAGE, '/app/dist');

    expect((await stat(path.join(result.path, 'lib'))).mtime.toISOString()).toBe(CONTEXT_MTIME.toISOString());
    expect((await stat(result.path)).mtime.toISOString()).toBe(CONTEXT_MTIME.toISOString());
    expect((await stat(path.join(result.path, 'index.js'))).mtime.toISOString()).toBe(CONTEXT_MTIME.toISOString());
  });

  test('folder progress reports an unknown total', async () => {
    const totals = new Set<number>();

    await copy(BUSYBOX_IMAGE, '/app/dist', { onProgress: (_bytes, total) => totals.add(total) });

    expect([...totals]).toEqual([0]);
  });

  test('missing top folder names / as the closest folder', async () => {
    const copying = copy(SCRATCH_IMAGE, '/nowhere/dist');

    await expect(copying).rejects.toMatchObject({ hint: expect.stringContaining('the closest folder that exists is `/`, and it has no `nowhere`') });
  });

  test.each([
    ['chain of links', '/app/chain', 'chain'],
    ['absolute link', '/app/absolute', 'absolute'],
  ])('%s to a folder copies the folder under the first link name', async (_case, sourcePath, name) => {
    const result = await copy(BUSYBOX_IMAGE, sourcePath);

    expect(result.path).toBe(path.join(destinationDir, name));
    expect(await readFile(path.join(result.path, 'lib', 'util.js'), 'utf8')).toBe('util\n');
  });

  test('link to a file copies the file under the link name', async () => {
    const result = await copy(BUSYBOX_IMAGE, '/app/server-link');

    expect(result.path).toBe(path.join(destinationDir, 'server-link'));
    expect((await lstat(result.path)).isFile()).toBe(true);
    expect(await readFile(result.path, 'utf8')).toBe('ELF');
  });

  test('dangling link fails naming its target', async () => {
    const copying = copy(BUSYBOX_IMAGE, '/app/dangling');

    await expect(copying).rejects.toThrow(`artifact path /app/dangling in image ${BUSYBOX_IMAGE} is a symbolic link to /nowhere, which does not exist`);
  });

  test('FIFO inside the folder is skipped', async () => {
    const result = await copy(BUSYBOX_IMAGE, '/app/special');

    expect(await readdir(result.path)).toEqual(['kept.txt']);
  });

  test('FIFO as the artifact path fails naming it', async () => {
    const copying = copy(BUSYBOX_IMAGE, '/app/special/pipe');

    await expect(copying).rejects.toThrow('cannot copy pipe: named pipes (FIFOs) are not copied');
  });

  test('file path ending in a slash fails without host paths', async () => {
    const copying = copy(BUSYBOX_IMAGE, '/app/server/');

    await expect(copying).rejects.toThrow(`reading /app/server/ from image ${BUSYBOX_IMAGE} failed: lstat /app/server/: not a directory`);
  });

  test('missing image fails with the image name', async () => {
    const copying = copy(`weld-test-artifact-missing:${RUN_ID}`, '/app');

    await expect(copying).rejects.toThrow(`image weld-test-artifact-missing:${RUN_ID} not found: cannot copy /app from it`);
  });

  test('abort during the copy cancels it and leaves nothing behind', async () => {
    const controller = new AbortController();

    const copying = copy(BUSYBOX_IMAGE, '/app/big.bin', { onProgress: () => controller.abort() }, controller.signal);

    await expect(copying).rejects.toThrow(CancelledError);
    expect(await readdir(destinationDir)).toEqual([]);
  });

  test('big file streams to disk whole', async () => {
    const result = await copy(BUSYBOX_IMAGE, '/app/big.bin');

    expect(result.bytes).toBe(BIG_FILE_BYTES);
    expect((await stat(result.path)).size).toBe(BIG_FILE_BYTES);
  });
});

describe('copyFromImage through dockerode', () => {
  /** Connects a client with an agent, which makes copyFromImage read the archive through dockerode as for TLS and ssh engines. */
  async function connectThroughAgent(): Promise<Dockerode> {
    const endpoint = await directEndpointOf(docker);
    if (endpoint === undefined || !('socketPath' in endpoint.address)) throw new Error('the test engine must listen on a unix socket');
    // docker-modem passes `agent` to every request; dockerode's typings leave it out.
    const options = { socketPath: endpoint.address.socketPath, agent: new Agent() };
    return new Dockerode(options as Dockerode.DockerOptions);
  }

  test('client with an agent is not read directly', async () => {
    const viaDockerode = await connectThroughAgent();

    expect(await directEndpointOf(viaDockerode)).toBeUndefined();
  });

  test('folder is copied with its files', async () => {
    const viaDockerode = await connectThroughAgent();

    const result = await copyFromImage(viaDockerode, { image: BUSYBOX_IMAGE, sourcePath: '/app/dist', destinationDir, labels: LABELS }, new AbortController().signal);

    expect((await readdir(result.path)).sort()).toEqual(['current', 'empty', 'index.js', 'lib', 'run.sh', 'secret']);
    expect(await readFile(path.join(result.path, 'lib', 'util.js'), 'utf8')).toBe('util\n');
  });

  test('big file streams to disk whole', async () => {
    const viaDockerode = await connectThroughAgent();

    const result = await copyFromImage(viaDockerode, { image: BUSYBOX_IMAGE, sourcePath: '/app/big.bin', destinationDir, labels: LABELS }, new AbortController().signal);

    expect(result.bytes).toBe(BIG_FILE_BYTES);
    expect((await stat(result.path)).size).toBe(BIG_FILE_BYTES);
  });

  test('missing path fails with the same message as the direct request', async () => {
    const viaDockerode = await connectThroughAgent();

    const copying = copyFromImage(viaDockerode, { image: BUSYBOX_IMAGE, sourcePath: '/app/dist/missing', destinationDir, labels: LABELS }, new AbortController().signal);

    await expect(copying).rejects.toThrow(`artifact path /app/dist/missing not found in image ${BUSYBOX_IMAGE}`);
  });
});

describe('copy containers that a weld process left', () => {
  /** A pid no process has: Linux caps pids at 2^22. */
  const deadPid = String(4_194_304 + 17);

  async function createCopyContainer(labels: Record<string, string>, command = PLACEHOLDER_COMMAND): Promise<string> {
    const container = await docker.createContainer({ Image: BUSYBOX_IMAGE, Entrypoint: [command], Cmd: [], Labels: { ...LABELS, 'weld.run': RUN_ID, ...labels } });
    return container.id;
  }

  async function listLeft(): Promise<string[]> {
    const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL_KEY}=${RUN_ID}`] } });
    return containers.map((container) => container.Id);
  }

  afterEach(async () => {
    for (const id of await listLeft()) await docker.getContainer(id).remove({ force: true });
  });

  test('are removed when their process is gone, and no other container is', async () => {
    const own = ownerLabels();
    const abandoned = await createCopyContainer({ ...own, 'weld.pid': deadPid });
    const live = await createCopyContainer(own);
    const otherBoot = await createCopyContainer({ ...own, 'weld.pid': deadPid, 'weld.boot': 'another-boot' });
    const notACopy = await createCopyContainer({ ...own, 'weld.pid': deadPid }, '/bin/true');

    const removed = await removeAbandonedCopies(docker, PLACEHOLDER_COMMAND);

    expect(removed).toBeGreaterThanOrEqual(1);
    const left = await listLeft();
    expect(left).not.toContain(abandoned);
    expect(left.sort()).toEqual([live, otherBoot, notACopy].sort());
  });
});
