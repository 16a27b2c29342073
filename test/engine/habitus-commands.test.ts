// `command` (in a container of the step image) and `after_build_command` (on the host)
// through the compiled weld CLI against the real Docker engine.

import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { docker, makeProject, runWeld, startWeld, uniqueSuffix, waitFor, waitForExit } from './helpers.js';

const prefix = `weld-test-habitus-${uniqueSuffix()}`;
const createdDirs: string[] = [];

const dockerfile = 'FROM busybox:1.35\nENV GREETING="hello from the image"\n';

function buildFile(stepKeys: string[]): string {
  return ['build:', '  version: 2016-03-14', '  steps:', '    app:', `      name: ${prefix}-app`, ...stepKeys.map((line) => `      ${line}`), ''].join('\n');
}

/** Returns the ids of the containers of the step image; other tests may run containers of their own meanwhile. */
function listAppContainers(): Promise<string> {
  return docker('ps', '-a', '-q', '--filter', `ancestor=${prefix}-app:latest`);
}

async function project(stepKeys: string[]): Promise<string> {
  const dir = await makeProject({ Dockerfile: dockerfile, 'build.yml': buildFile(stepKeys) });
  createdDirs.push(dir);
  return dir;
}

beforeAll(async () => {
  await docker('version', '--format', '{{.Server.Version}}');
});

afterAll(async () => {
  for (const dir of createdDirs) await rm(dir, { recursive: true, force: true });
  const images = (await docker('images', '--format', '{{.Repository}}:{{.Tag}}')).split('\n').filter((image) => image.startsWith(prefix));
  if (images.length > 0) await docker('rmi', '-f', ...images);
});

describe('command', () => {
  it('streams its output into the step log', async () => {
    const dir = await project(['command: env']);

    const run = await runWeld(['-d', dir, '--plain']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/app\s+\| running env in weld-test-habitus-\w+-app/);
    expect(run.stdout).toMatch(/app\s+\| GREETING=hello from the image/);
    expect(run.stdout).toMatch(/app\s+\| command exited with code 0/);
  });

  it('keeps quoted arguments whole instead of splitting on every space', async () => {
    const dir = await project([`command: echo "two  words" 'and $HOME'`]);

    const run = await runWeld(['-d', dir, '--plain']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/app\s+\| two {2}words and \$HOME\n/);
  });

  it('fails naming command and exit code', async () => {
    const dir = await project([`command: sh -c "echo about to fail; exit 3"`]);

    const run = await runWeld(['-d', dir, '--plain']);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/app\s+\| about to fail/);
    expect(run.stdout).toContain('error: step app: command `sh -c "echo about to fail; exit 3"` exited with code 3');
    expect(await listAppContainers()).toBe('');
  });

  it('is stopped by Ctrl-C, exits 130 and leaves no container', async () => {
    const dir = await project(['command: sh -c "echo sleeping; sleep 60"']);
    const child = startWeld(['-d', dir, '--plain']);
    await waitFor(() => (child.output.stdout.includes('sleeping') ? true : undefined), 60_000, 'the command to start');
    const interruptedAt = Date.now();

    child.kill('SIGINT');
    const run = await waitForExit(child);

    expect(run.code).toBe(130);
    expect(Date.now() - interruptedAt).toBeLessThan(15_000);
    expect(run.stdout).toMatch(/app\s+\| cancelled/);
    expect(await listAppContainers()).toBe('');
  });
});

describe('after_build_command', () => {
  const afterBuild = 'after_build_command: echo "built $(cat input.txt)" > after.txt && echo done on host';

  it('is skipped without --after-build-commands, and the log names the flag', async () => {
    const dir = await project([afterBuild]);

    const run = await runWeld(['-d', dir, '--plain']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/app\s+\| skipped after_build_command `.*`: weld runs host commands only with --after-build-commands/);
    await expect(readFile(path.join(dir, 'after.txt'))).rejects.toThrow(/ENOENT/);
  });

  it('runs on the host in the work dir with --after-build-commands', async () => {
    const dir = await project([afterBuild]);
    await writeFile(path.join(dir, 'input.txt'), 'from the work dir');

    const run = await runWeld(['-d', dir, '--plain', '--after-build-commands']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/app\s+\| done on host/);
    expect(await readFile(path.join(dir, 'after.txt'), 'utf8')).toBe('built from the work dir\n');
  });

  it('fails the run with the exit code of the host command', async () => {
    const dir = await project(['after_build_command: echo failing on host; exit 5']);

    const run = await runWeld(['-d', dir, '--plain', '-after-build-commands=true']);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/app\s+\| failing on host/);
    expect(run.stdout).toContain('error: step app: after_build_command `echo failing on host; exit 5` exited with code 5');
  });
});
