import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { describeLeftovers } from '../../../src/build/forced-exit.js';
import { makeStep } from './make-step.js';
import { makePlan, runPlan } from './run-fixture.js';
import { ScriptedEngine } from './scripted-engine.js';

let workDir: string;

beforeEach(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'weld-forced-exit-'));
});

afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('describeLeftovers', () => {
  it('names the artifact folders and the containers with the commands that remove them', () => {
    const line = describeLeftovers({ runId: 'abc123', createdPaths: ['/work/out', '/work/my bin'], containersMayExist: true }, '/work');

    expect(line).toBe(
      "weld: exited at once and may have left out, my bin and the containers of run abc123; to remove them: rm -rf out 'my bin' && docker ps -aq --filter label=weld.run=abc123 | xargs -r docker rm -f",
    );
  });

  it('names the paths of earlier watch runs with those of this run, once each', () => {
    const line = describeLeftovers({ runId: 'abc123', createdPaths: ['/work/out', '/work/new'], earlierPaths: new Set(['/work/out', '/work/old']), containersMayExist: false }, '/work');

    expect(line).toBe('weld: exited at once and may have left out, old, new; to remove them: rm -rf out old new');
  });

  it('keeps paths outside the current folder absolute', () => {
    const line = describeLeftovers({ runId: 'abc123', createdPaths: ['/elsewhere/out'], containersMayExist: false }, '/work');

    expect(line).toBe('weld: exited at once and may have left /elsewhere/out; to remove them: rm -rf /elsewhere/out');
  });

  it('says when the run leaves nothing weld knows of', () => {
    const line = describeLeftovers({ runId: 'abc123', createdPaths: [], containersMayExist: false }, '/work');

    expect(line).toBe('weld: exited at once; run abc123 left no artifacts or containers that weld knows of');
  });
});

describe('runBuild at a forced exit', () => {
  it('listens for the process exit only while it runs, and sweeps abandoned copies', async () => {
    const engine = new ScriptedEngine({ 'app:latest': { outputs: [], ms: 100, sizeBytes: 1 } });
    const before = process.listenerCount('exit');
    let during = 0;
    setTimeout(() => (during = process.listenerCount('exit')), 30);

    await runPlan(makePlan(workDir, [makeStep(workDir, 'app')]), engine);

    expect(during).toBe(before + 1);
    expect(process.listenerCount('exit')).toBe(before);
    expect(engine.abandonedCopySweeps).toBe(1);
  });
});
