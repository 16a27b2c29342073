import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { planBuild } from '../../../src/build/plan.js';
import { parseManifest } from '../../../src/manifest/load.js';

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'weld-plan-cycle-'));
  await writeFile(path.join(workDir, 'Dockerfile'), 'FROM busybox:1.35\n');
  await writeFile(path.join(workDir, 'Dockerfile.c'), 'FROM a-image\n');
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function cycleMessage(text: string): Promise<string> {
  const manifest = parseManifest(text, { file: path.join(workDir, 'build.yml'), workDir, env: {} });
  const error = await planBuild(manifest).catch((caught: unknown) => caught);
  if (!(error instanceof Error)) throw new Error('planBuild accepted the cycle');
  return error.message;
}

describe('planBuild cycle errors', () => {
  // The depends_on edges named the line of the step's label, not of the entry.
  test('depends_on edges name the line of their entry', async () => {
    const text = [
      'build:', //                  1
      '  version: 2016-03-14', //   2
      '  steps:', //                3
      '    a:', //                  4
      '      name: a-image', //     5
      '      depends_on:', //       6
      '        - b', //             7
      '    b:', //                  8
      '      name: b-image', //     9
      '      depends_on: [a]', //   10
      '',
    ].join('\n');

    const message = await cycleMessage(text);

    expect(message).toContain('a waits for b (depends_on, build.yml:7)');
    expect(message).toContain('b waits for a (depends_on, build.yml:10)');
  });

  test('FROM edges keep the Dockerfile line', async () => {
    const text = [
      'build:', //                         1
      '  version: 2016-03-14', //          2
      '  steps:', //                       3
      '    a:', //                         4
      '      name: a-image', //            5
      '      depends_on:', //              6
      '        - c', //                    7
      '    c:', //                         8
      '      name: c-image', //            9
      '      dockerfile: Dockerfile.c', // 10
      '',
    ].join('\n');

    const message = await cycleMessage(text);

    expect(message).toContain('a waits for c (depends_on, build.yml:7)');
    expect(message).toContain('c waits for a (FROM, Dockerfile.c:1)');
  });
});
