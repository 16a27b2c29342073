// `--uid` on a shared engine: two weld runs of one build.yml at the same time, each
// with its own uid, build their own chain (base → app, where app is FROM base) and
// neither picks up the other's base image.

import { rm } from 'node:fs/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { docker, makeProject, parseEvents, startWeld, uniqueSuffix, waitForExit } from './helpers.js';

const suffix = uniqueSuffix();
const prefix = `weld-test-habitus-${suffix}`;
const uids = [`a${suffix}`, `b${suffix}`];
const createdDirs: string[] = [];

beforeAll(async () => {
  await docker('version', '--format', '{{.Server.Version}}');
});

afterAll(async () => {
  for (const dir of createdDirs) await rm(dir, { recursive: true, force: true });
  const images = (await docker('images', '--format', '{{.Repository}}:{{.Tag}}')).split('\n').filter((image) => image.startsWith(prefix));
  if (images.length > 0) await docker('rmi', '-f', ...images);
});

/** Returns the ids of every layer image in `image`'s history, newest first. */
async function historyIds(image: string): Promise<string[]> {
  return (await docker('history', '--no-trunc', '-q', image)).split('\n').filter((id) => id !== '<missing>');
}

describe('--uid', () => {
  it('keeps two concurrent runs of one chain apart', async () => {
    const dir = await makeProject({
      // The base differs by run, so that a shared cache entry could not hide a mix-up.
      'Dockerfile.base': 'FROM busybox:1.35\nARG MARK\nRUN echo "$MARK" > /mark && sleep 2\n',
      'Dockerfile.app': `FROM ${prefix}-base\nRUN cat /mark > /app-mark\n`,
      'build.yml': [
        'build:',
        '  version: 2016-03-14',
        '  steps:',
        '    base:',
        `      name: ${prefix}-base`,
        '      dockerfile: Dockerfile.base',
        '    app:',
        `      name: ${prefix}-app`,
        '      dockerfile: Dockerfile.app',
        '',
      ].join('\n'),
    });
    createdDirs.push(dir);

    const children = uids.map((uid) => startWeld(['-d', dir, '--json', '--uid', uid, '--build', `MARK=${uid}`]));
    const runs = await Promise.all(children.map((child) => waitForExit(child)));

    for (const run of runs) {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    }
    const [first, second] = runs.map((run) => parseEvents(run.stdout));
    const firstBaseStart = first!.find((event) => event.type === 'step-started' && event.step === 'base')!.time;
    const secondBaseStart = second!.find((event) => event.type === 'step-started' && event.step === 'base')!.time;
    const firstBaseEnd = first!.find((event) => event.type === 'step-finished' && event.step === 'base')!.time;
    expect(secondBaseStart, 'the second run starts its base while the first builds its own').toBeLessThan(firstBaseEnd);
    expect(firstBaseStart).toBeLessThan(firstBaseEnd);

    for (const [index, uid] of uids.entries()) {
      const other = uids[1 - index]!;
      const app = `${prefix}-app-${uid}:latest`;
      const ownBase = await docker('image', 'inspect', '--format', '{{.Id}}', `${prefix}-base-${uid}:latest`);
      const otherBase = await docker('image', 'inspect', '--format', '{{.Id}}', `${prefix}-base-${other}:latest`);
      const history = await historyIds(app);

      expect(await docker('run', '--rm', app, 'cat', '/app-mark')).toBe(uid);
      expect(history, `${app} builds on its own base`).toContain(ownBase);
      expect(history, `${app} does not build on the other run's base`).not.toContain(otherBase);
    }
  });
});
