// The remaining Habitus flags through the compiled weld CLI: resource limits seen from
// inside a RUN, output levels, removal of step images, and the flags weld accepts
// without using them.

import { rm } from 'node:fs/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { docker, makeProject, runWeld, uniqueSuffix } from './helpers.js';

const suffix = uniqueSuffix();
const prefix = `weld-test-habitus-${suffix}`;
const createdDirs: string[] = [];

/** Reads the limits from cgroup v1 or, failing that, v2 files. */
const limitsRun = [
  'RUN echo "memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"',
  ' && echo "shares=$(cat /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null || cat /sys/fs/cgroup/cpu.weight)"',
  ' && echo "cpus=$(cat /sys/fs/cgroup/cpuset/cpuset.cpus 2>/dev/null || cat /sys/fs/cgroup/cpuset.cpus.effective)"',
].join(' \\\n');

beforeAll(async () => {
  await docker('version', '--format', '{{.Server.Version}}');
});

afterAll(async () => {
  for (const dir of createdDirs) await rm(dir, { recursive: true, force: true });
  const images = (await docker('images', '--format', '{{.Repository}}:{{.Tag}}')).split('\n').filter((image) => image.startsWith(prefix));
  if (images.length > 0) await docker('rmi', '-f', ...images);
});

async function singleStep(name: string, dockerfile: string, stepKeys: string[] = []): Promise<string> {
  const dir = await makeProject({
    Dockerfile: dockerfile,
    'build.yml': ['build:', '  version: 2016-03-14', '  steps:', '    app:', `      name: ${prefix}-${name}`, ...stepKeys.map((key) => `      ${key}`), ''].join('\n'),
  });
  createdDirs.push(dir);
  return dir;
}

/** Returns the ids of every image whose creating instruction mentions `marker`, intermediate ones included. */
async function imagesMadeBy(marker: string): Promise<string[]> {
  const ids = (await docker('images', '-a', '-q', '--no-trunc')).split('\n').filter((id) => id !== '');
  const described = await docker('image', 'inspect', '--format', '{{.Id}} {{json .ContainerConfig.Cmd}}', ...new Set(ids));
  return described
    .split('\n')
    .filter((line) => line.includes(marker))
    .map((line) => line.split(' ')[0]!);
}

describe('resource limits', () => {
  it('reach RUN instructions and the step command', async () => {
    const dir = await singleStep('limits', `FROM busybox:1.35\n${limitsRun}\n`, [
      'no_cache: true',
      `command: sh -c 'echo "command memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"'`,
    ]);

    const run = await runWeld(['-d', dir, '--plain', '--docker-memory', '64m', '--docker-cpu-shares', '512', '--docker-cpuset-cpus', '0']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/app\s+\| memory=67108864\n/);
    // cgroup v2 turns 512 shares into the weight 20.
    expect(run.stdout).toMatch(/app\s+\| shares=(512|20)\n/);
    expect(run.stdout).toMatch(/app\s+\| cpus=0\n/);
    expect(run.stdout).toMatch(/app\s+\| command memory=67108864\n/);
  });
});

describe('--level and --pretty', () => {
  it.each([
    { level: 'info', buildOutput: true },
    { level: 'warning', buildOutput: true },
    { level: 'error', buildOutput: false },
    { level: 'critical', buildOutput: false },
  ])('--level $level shows build output: $buildOutput', async ({ level, buildOutput }) => {
    const dir = await singleStep(`level-${level}`, `FROM busybox:1.35\nRUN echo "level run ${level}-${suffix}"\n`, ['no_cache: true']);

    const run = await runWeld(['-d', dir, '--plain', '--level', level]);

    expect(run.code).toBe(0);
    // The RUN's own output line; the layer table repeats the instruction, not its output.
    expect(new RegExp(`app\\s+\\| level run ${level}-${suffix}\\n`).test(run.stdout)).toBe(buildOutput);
    expect(run.stdout).toMatch(/app\s+\| done in/);
  });

  it('--level debug writes debug lines to stderr', async () => {
    const dir = await singleStep('level-debug', 'FROM busybox:1.35\n');

    const run = await runWeld(['-d', dir, '--plain', '--level', 'debug']);

    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^debug \d+ms cli: planned 1 steps/m);
  });

  it('--pretty=false prints plain lines even where --tui asks for the console', async () => {
    const dir = await singleStep('pretty', 'FROM busybox:1.35\n');

    const run = await runWeld(['-d', dir, '--tui', '-pretty=false']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^app\s+\| done in/m);
  });
});

describe('step image removal', () => {
  async function chainProject(name: string): Promise<{ dir: string; marker: string }> {
    const marker = `${name}-${suffix}-first`;
    const dir = await makeProject({
      'Dockerfile.base': `FROM busybox:1.35\nRUN echo ${marker} > /first\nRUN echo second > /second\n`,
      'Dockerfile.app': 'FROM busybox:1.35\nRUN echo app > /app\n',
      'build.yml': [
        'build:',
        '  version: 2016-03-14',
        '  steps:',
        '    base:',
        `      name: ${prefix}-${name}-base`,
        '      dockerfile: Dockerfile.base',
        '    app:',
        `      name: ${prefix}-${name}-app`,
        '      dockerfile: Dockerfile.app',
        '      depends_on:',
        '        - base',
        '',
      ].join('\n'),
    });
    createdDirs.push(dir);
    return { dir, marker };
  }

  async function exists(image: string): Promise<boolean> {
    return docker('image', 'inspect', image).then(
      () => true,
      () => false,
    );
  }

  it.each([
    { flags: [] as string[], baseKept: true, parentsKept: true },
    { flags: ['--force-rmi'], baseKept: false, parentsKept: false },
    { flags: ['--noprune-rmi'], baseKept: false, parentsKept: true },
    { flags: ['--force-rmi', '--keep-all'], baseKept: true, parentsKept: true },
  ])('with $flags keeps the base step image: $baseKept, its parents: $parentsKept', async ({ flags, baseKept, parentsKept }) => {
    const name = `rmi${flags.join('').replace(/-/g, '')}`;
    const { dir, marker } = await chainProject(name);

    const run = await runWeld(['-d', dir, '--plain', ...flags]);

    expect(run.code).toBe(0);
    expect(await exists(`${prefix}-${name}-app`)).toBe(true);
    expect(await exists(`${prefix}-${name}-base`)).toBe(baseKept);
    // The plain output names what was removed.
    expect(run.stdout.includes(`removed the step image ${prefix}-${name}-base`)).toBe(!baseKept);
    const leftovers = await imagesMadeBy(marker);
    expect(leftovers.length > 0).toBe(parentsKept);
    if (!baseKept && leftovers.length > 0) await docker('rmi', ...leftovers);
  });
});

describe('flags without effect', () => {
  it('--os and --use-stat are accepted', async () => {
    const dir = await singleStep('noeffect', 'FROM busybox:1.35\n');

    const run = await runWeld(['-d', dir, '--plain', '--os', 'busybox', '-use-stat=true']);

    expect(run.code).toBe(0);
  });

  it('--help says that --os and --use-stat have no effect and why', async () => {
    const run = await runWeld(['--help']);

    expect(run.code).toBe(0);
    const section = run.stdout.slice(run.stdout.indexOf('Accepted for Habitus, no effect in weld:'));
    expect(section).toMatch(/--os <os>\s+no effect: Habitus chose the container/);
    expect(section).toMatch(/--use-stat\s+no effect: weld takes file modes/);
  });
});

describe('intermediate containers', () => {
  /** Returns the ids of the containers, running or not, whose command mentions `marker`. */
  async function containersOf(marker: string): Promise<string[]> {
    const lines = (await docker('ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Command}}')).split('\n');
    return lines.filter((line) => line.includes(marker)).map((line) => line.split(' ')[0]!);
  }

  it.each([
    { flags: [], kept: false },
    { flags: ['--no-rm'], kept: true },
    { flags: ['-rm=false'], kept: true },
    { flags: ['--no-rm', '--force-rm'], kept: false },
  ])('after a successful RUN with $flags: kept $kept', async ({ flags, kept }) => {
    const marker = `rm-${suffix}-${flags.join('').replace(/\W/g, '') || 'default'}`;
    const dir = await singleStep(marker, `FROM busybox:1.35\nRUN echo ${marker}\n`, ['no_cache: true']);

    const run = await runWeld(['-d', dir, '--plain', ...flags]);
    const left = await containersOf(marker);
    if (left.length > 0) await docker('rm', '-f', ...left);

    expect(run.code).toBe(0);
    expect(left.length > 0).toBe(kept);
  });
});
