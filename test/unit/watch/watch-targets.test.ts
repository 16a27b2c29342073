import type { Stats } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { BuildPlan } from '../../../src/build/plan.js';
import { loadIgnoreMatcher } from '../../../src/engine/context.js';
import { isIgnoredName } from '../../../src/watch/ignore-rules.js';
import { createWatchFilter, loadWatchTargets, type WatchTargets } from '../../../src/watch/watch-targets.js';
import { makeWatchProject, planProject, PROJECT_FILES, removeWatchProject } from './watch-project.js';

let dir: string;
let plan: BuildPlan;
let targets: WatchTargets;
let isIgnored: (candidate: string, stats?: Stats) => boolean;

const folderStats = { isDirectory: () => true } as Stats;
const fileStats = { isDirectory: () => false } as Stats;

beforeAll(async () => {
  dir = await makeWatchProject();
  plan = await planProject(dir);
  targets = await loadWatchTargets(plan, { loadIgnoreMatcher, createdPaths: [path.join(dir, 'out')] });
  isIgnored = createWatchFilter(targets);
});

afterAll(async () => {
  await removeWatchProject(dir);
});

describe('watch targets', () => {
  it('watch the contexts, every Dockerfile and build.yml', () => {
    const roots = targets.roots.map((root) => path.relative(dir, root) || '.').sort();

    expect(roots).toEqual(['.', 'Dockerfile.lint', 'Dockerfile.production', 'app', 'app/Dockerfile', 'build.yml', 'deploy', 'docs', 'docs/Dockerfile']);
  });

  it('count the artifact root and the folders runs created as written by weld', () => {
    const written = targets.written.map((entry) => path.relative(dir, entry)).sort();

    expect(written).toEqual(['deploy/server', 'out']);
  });

  it('count a destination folder that does not exist yet as written by weld', async () => {
    const project = await makeWatchProject({ ...PROJECT_FILES, 'build.yml': PROJECT_FILES['build.yml']!.replace('/out/server:deploy', '/out/server:deploy/bin/linux') });
    try {
      const projectTargets = await loadWatchTargets(await planProject(project), { loadIgnoreMatcher });

      expect(projectTargets.written.map((entry) => path.relative(project, entry)).sort()).toEqual(['deploy/bin', 'deploy/bin/linux/server']);
    } finally {
      await removeWatchProject(project);
    }
  });
});

describe('watch filter', () => {
  it.each([
    ['a context folder', '.', false],
    ['a source', 'app/main.go', false],
    ['a Dockerfile outside its context', 'Dockerfile.production', false],
    ['build.yml, though lint ignores it', 'build.yml', false],
    ['a .dockerignore', 'app/.dockerignore', false],
    ['a file lint includes and builder ignores', 'app/README.md', false],
    ['a file every context ignores', 'server.log', true],
    ['the artifact root', 'deploy/server', true],
    ['a folder a run created', 'out', true],
    ['something inside a folder a run created', 'out/bin/server', true],
    ['an extraction temp folder', 'deploy/.weld-tmp-77-0a1b', true],
    ['.git', '.git', true],
    ['a vim swap file', 'app/.main.go.swp', true],
    ['vim swap probe file 4913', 'app/4913', true],
    ['an Emacs auto-save file', 'app/#main.go#', true],
    ['a path outside the project', '../other', true],
  ])('%s: ignored is %s', (_case, relative, expected) => {
    const ignored = isIgnored(path.resolve(dir, relative));

    expect(ignored).toBe(expected);
  });

  it('watches exactly what context packing sends, for every file of a context', async () => {
    const docsMatcher = await loadIgnoreMatcher(path.join(dir, 'docs'));
    const rootMatcher = await loadIgnoreMatcher(dir);
    const files = ['docs/index.md', 'docs/Dockerfile', 'server.log', 'deploy/config.txt', 'Dockerfile.lint', 'notes.log', 'lib/x.go'];

    const disagreements = files.filter((file) => {
      const inDocs = file.startsWith('docs/') && !docsMatcher(file.slice('docs/'.length));
      const inDeploy = file.startsWith('deploy/');
      const sent = inDocs || inDeploy || !rootMatcher(file);
      return isIgnored(path.join(dir, file), fileStats) === sent;
    });

    expect(disagreements).toEqual([]);
  });

  it('enters an excluded folder when .dockerignore has exceptions', async () => {
    const project = await makeWatchProject({
      ...PROJECT_FILES,
      'docs/.dockerignore': 'drafts\n!drafts/keep.md\n',
      'docs/drafts/keep.md': 'kept\n',
      'docs/drafts/wip.md': 'left out\n',
    });
    try {
      const filter = createWatchFilter(await loadWatchTargets(await planProject(project), { loadIgnoreMatcher }));

      expect(filter(path.join(project, 'docs/drafts'), folderStats)).toBe(false);
      expect(filter(path.join(project, 'docs/drafts/keep.md'), fileStats)).toBe(false);
      expect(filter(path.join(project, 'docs/drafts/wip.md'), fileStats)).toBe(true);
    } finally {
      await removeWatchProject(project);
    }
  });

  it('does not enter an excluded folder without exceptions', () => {
    const ignored = isIgnored(path.join(dir, 'tmp'), folderStats);

    expect(ignored).toBe(true);
  });
});

describe('names never watched', () => {
  it.each([
    ['.git', true],
    ['.main.go.swp', true],
    ['.main.go.swx', true],
    ['.main.go.swo', true],
    ['main.go~', true],
    ['4913', true],
    ['.#main.go', true],
    ['#main.go#', true],
    ['.weld-tmp-12-ab', true],
    ['main.go', false],
    ['#', false],
    ['.github', false],
    ['swap.go', false],
  ])('%s: %s', (name, expected) => {
    expect(isIgnoredName(name)).toBe(expected);
  });
});
