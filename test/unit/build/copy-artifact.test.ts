import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { EngineError } from '../../../src/errors.js';
import type { ArtifactSpec } from '../../../src/manifest/types.js';
import { makeStep } from './make-step.js';
import { findFailure, makePlan, runPlan } from './run-fixture.js';
import { ScriptedEngine } from './scripted-engine.js';

let workDir: string;

/** build.yml with the step `app` on line 4 and its artifacts from line 7 on. */
const BUILD_FILE = ['build:', '  version: 2016-03-14', '  steps:', '    app:', '      name: app', '      artifacts:', '        - /x/server', '        - /x/f:Dockerfile', ''].join('\n');

beforeEach(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'weld-copy-artifact-'));
  await writeFile(path.join(workDir, 'build.yml'), BUILD_FILE);
  await writeFile(path.join(workDir, 'Dockerfile'), 'FROM scratch\n');
});

afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function artifacts(...specs: string[]): ArtifactSpec[] {
  return specs.map((spec) => {
    const [source = '', destination = '.'] = spec.split(':');
    return { source, destination, spec };
  });
}

async function runWith(specs: string[], engine = new ScriptedEngine({ 'app:latest': { outputs: [], sizeBytes: 1 } })) {
  const step = makeStep(workDir, 'app', { line: 4, artifacts: artifacts(...specs) });
  return runPlan(makePlan(workDir, [step]), engine);
}

describe('artifact destination', () => {
  it('that is a file fails the step, naming the destination and the build.yml line', async () => {
    const engine = new ScriptedEngine({ 'app:latest': { outputs: [], sizeBytes: 1 } });

    const { result, events } = await runWith(['/x/server', '/x/f:Dockerfile'], engine);

    expect(result.outcome).toBe('failed');
    expect(findFailure(events)?.error).toEqual({
      message: 'destination `Dockerfile` of artifact `/x/f:Dockerfile` is a file, not a folder (step `app`, build.yml:8)',
      hint: 'the destination after `:` is the folder that receives the copy: write `/x/f` to copy it into the work dir, or name a folder, such as `/x/f:out`',
    });
    expect(engine.copies.map((copy) => copy.sourcePath)).toEqual(['/x/server']);
  });

  it('below a file names the file', async () => {
    const { events } = await runWith(['/x/f:Dockerfile/bin']);

    expect(findFailure(events)?.error.message).toBe(
      'destination `Dockerfile/bin` of artifact `/x/f:Dockerfile/bin` is inside `Dockerfile`, which is a file, not a folder (step `app`, build.yml:7)',
    );
    expect(await readdir(workDir)).toEqual(['Dockerfile', 'build.yml']);
  });

  it('that is a missing folder is created, and removed after the run', async () => {
    await mkdir(path.join(workDir, 'keep'));

    const { result } = await runWith(['/x/f:out/bin']);

    expect(result.outcome).toBe('succeeded');
    expect((await readdir(workDir)).sort()).toEqual(['Dockerfile', 'build.yml', 'keep']);
  });
});

describe('artifact copy errors', () => {
  it('name the step and the build.yml line of the artifact, keeping the hint', async () => {
    const engine = new ScriptedEngine({ 'app:latest': { outputs: [], sizeBytes: 1 } });
    engine.copyErrors['/x/server'] = new EngineError('artifact path /x/server not found in image app:latest', { hint: 'check the path' });

    const { events } = await runWith(['/x/server'], engine);

    expect(findFailure(events)?.error).toEqual({
      message: 'artifact path /x/server not found in image app:latest (step `app`, build.yml:7)',
      hint: 'check the path',
    });
  });
});
