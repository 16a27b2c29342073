// The Habitus compatibility corpus (test/compat). Each project is copied into a temp
// folder and built by the compiled weld CLI with a uid of this test run. The test then
// checks the images, tags and artifacts against the real engine.

import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { BuildEvent } from '../../src/build/events.js';
import { docker, parseEvents, repoRoot, runWeld, uniqueSuffix } from './helpers.js';

const uid = `compat${uniqueSuffix()}`;
const createdDirs: string[] = [];

/** Image name of a corpus step under this run's uid. */
function image(name: string, tag = 'latest'): string {
  return `weld-test-habitus-compat-${name}-${uid}:${tag}`;
}

async function copyProject(name: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `weld-compat-${name}-`));
  createdDirs.push(dir);
  await cp(path.join(repoRoot, 'test', 'compat', name), dir, { recursive: true });
  return dir;
}

async function imageExists(reference: string): Promise<boolean> {
  return docker('image', 'inspect', reference).then(
    () => true,
    () => false,
  );
}

async function imageId(reference: string): Promise<string> {
  return docker('image', 'inspect', '--format', '{{.Id}}', reference);
}

async function historyIds(reference: string): Promise<string[]> {
  return (await docker('history', '--no-trunc', '-q', reference)).split('\n').filter((id) => id !== '<missing>');
}

function eventsOf(step: string, events: BuildEvent[], type: BuildEvent['type']): BuildEvent[] {
  return events.filter((event) => event.type === type && 'step' in event && event.step === step);
}

function timeOf(step: string, events: BuildEvent[], type: 'step-started' | 'step-finished'): number {
  return eventsOf(step, events, type)[0]!.time;
}

beforeAll(async () => {
  await docker('version', '--format', '{{.Server.Version}}');
});

afterAll(async () => {
  for (const dir of createdDirs) await rm(dir, { recursive: true, force: true });
  const images = (await docker('images', '--format', '{{.Repository}}:{{.Tag}}')).split('\n').filter((reference) => reference.includes(`-${uid}:`));
  if (images.length > 0) await docker('rmi', '-f', ...images);
});

describe('Habitus compatibility corpus', () => {
  it('multistage: targets stages declared with AS and as in mixed case', async () => {
    const dir = await copyProject('multistage');

    const run = await runWeld(['-d', dir, '--plain', '--uid', uid, '--keep-artifacts']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await readFile(path.join(dir, 'artifacts', 'built.txt'), 'utf8')).toBe('built by the Builder stage\n');
    expect(await docker('run', '--rm', image('multistage-runtime'))).toBe('built by the Builder stage');
    expect(await docker('run', '--rm', image('multistage-builder'), 'ls', '/srv').catch(() => 'no /srv')).toBe('no /srv');
  });

  it('uid-nested: rewrites every FROM of a three-level chain to the uid images', async () => {
    const dir = await copyProject('uid-nested');

    const run = await runWeld(['-d', dir, '--plain', '--uid', uid]);

    expect(run.code).toBe(0);
    expect(await docker('run', '--rm', image('nested-runtime'))).toBe('base\ncompile\nruntime');
    const runtimeHistory = await historyIds(image('nested-runtime'));
    expect(runtimeHistory).toContain(await imageId(image('nested-compile')));
    expect(runtimeHistory).toContain(await imageId(image('nested-base')));
    for (const name of ['nested-base', 'nested-compile', 'nested-runtime']) {
      expect(await imageExists(`weld-test-habitus-compat-${name}:latest`), `${name} without the uid`).toBe(false);
    }
  });

  it('build-args: _env in name and args', async () => {
    const dir = await copyProject('build-args');

    const run = await runWeld(['-d', dir, '--plain', '--uid', uid, '--env', 'FLAVOR=blue', '--build', 'RELEASE=9', '--build', 'CHANNEL=beta']);

    expect(run.code).toBe(0);
    // The step's own RELEASE wins over --build; CHANNEL comes from --build.
    expect(await docker('run', '--rm', image('args-blue'))).toBe('blue 3 beta');
  });

  it('context: subfolder build with artifact', async () => {
    const dir = await copyProject('context');

    const run = await runWeld(['-d', dir, '--plain', '--uid', uid, '--keep-artifacts']);

    expect(run.code).toBe(0);
    expect(await readFile(path.join(dir, 'build', 'out', 'greeting.txt'), 'utf8')).toBe('hello from the service context\n');
    expect(await imageExists(image('context'))).toBe(true);
  });

  it('context: removes the artifact folders it created unless --keep-artifacts', async () => {
    const dir = await copyProject('context');

    const run = await runWeld(['-d', dir, '--plain', '--uid', uid]);

    expect(run.code).toBe(0);
    expect(await readdir(dir)).not.toContain('build');
  });

  it('no-cache: rebuilds the no_cache step while the other step hits the cache', async () => {
    const dir = await copyProject('no-cache');
    await runWeld(['-d', dir, '--json', '--uid', uid]);
    const freshBefore = await imageId(image('fresh'));
    const cachedBefore = await imageId(image('cached'));

    const run = await runWeld(['-d', dir, '--json', '--uid', uid]);

    expect(run.code).toBe(0);
    const events = parseEvents(run.stdout);
    expect(eventsOf('cached', events, 'step-finished')[0]).toMatchObject({ cached: true });
    expect(eventsOf('fresh', events, 'step-finished')[0]).toMatchObject({ cached: false, instructionsCached: 0 });
    expect(await imageId(image('cached'))).toBe(cachedBefore);
    expect(await imageId(image('fresh'))).not.toBe(freshBefore);
    await docker('rmi', freshBefore);
  });

  it('go-command: go test, then the binary', async () => {
    const dir = await copyProject('go-command');

    const run = await runWeld(['-d', dir, '--plain', '--uid', uid]);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/builder\s+\| running go test -v \.\/\.\.\. in weld-test-habitus-compat-go-builder-\w+/);
    expect(run.stdout).toMatch(/builder\s+\| --- PASS: TestGreeting/);
    expect(run.stdout).toMatch(/production\s+\| hello, weld!/);
    expect(await docker('run', '--rm', image('go'))).toBe('hello, weld!');
    const sizeBytes = Number(await docker('image', 'inspect', '--format', '{{.Size}}', image('go')));
    expect(sizeBytes).toBeLessThan(10_000_000);
    expect(await readdir(dir)).not.toContain('bin');
  });

  it('diamond: sides in parallel, final last', async () => {
    const dir = await copyProject('diamond');

    const run = await runWeld(['-d', dir, '--json', '--uid', uid]);

    expect(run.code).toBe(0);
    const events = parseEvents(run.stdout);
    const baseDone = timeOf('base', events, 'step-finished');
    for (const side of ['left', 'right']) expect(timeOf(side, events, 'step-started')).toBeGreaterThanOrEqual(baseDone);
    expect(timeOf('right', events, 'step-started')).toBeLessThan(timeOf('left', events, 'step-finished'));
    expect(timeOf('final', events, 'step-started')).toBeGreaterThanOrEqual(Math.max(timeOf('left', events, 'step-finished'), timeOf('right', events, 'step-finished')));
    expect(await docker('run', '--rm', image('diamond'))).toBe('base\nleft\nbase\nright');
    const finished = events.find((event) => event.type === 'run-finished');
    // build.yml names the image without a tag, and the event names it as written.
    expect(finished).toMatchObject({ outcome: 'succeeded', finalImages: [expect.objectContaining({ step: 'final', image: `weld-test-habitus-compat-diamond-${uid}` })] });
  });
});
