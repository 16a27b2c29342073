import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { StepRebuild } from '../../../src/build/events.js';
import type { BuildPlan } from '../../../src/build/plan.js';
import { loadIgnoreMatcher } from '../../../src/engine/context.js';
import { createStepGraph } from '../../../src/graph/step-graph.js';
import { assessChanges, expandRebuilds, findChangedDefinitions } from '../../../src/watch/affected-steps.js';
import { loadWatchTargets, type WatchTargets } from '../../../src/watch/watch-targets.js';
import { BUILD_YML, makeWatchProject, planProject, removeWatchProject } from './watch-project.js';

let dir: string;
let plan: BuildPlan;
let targets: WatchTargets;

beforeAll(async () => {
  dir = await makeWatchProject();
  plan = await planProject(dir);
  targets = await loadWatchTargets(plan, { loadIgnoreMatcher });
});

afterAll(async () => {
  await removeWatchProject(dir);
});

/** Returns the rebuilt steps for changed paths given relative to the project, as `step:reason:because`. */
function rebuildsFor(...changed: string[]): string[] {
  const impact = assessChanges(
    targets,
    changed.map((relative) => path.join(dir, relative)),
  );
  return expandRebuilds(plan.graph, impact.direct).map((rebuild) => `${rebuild.step}:${rebuild.reason}:${rebuild.because}`);
}

describe('steps a change affects', () => {
  it.each([
    ['a source in one context and its downstream step', 'docs/index.md', ['docs:changed:docs/index.md']],
    [
      'a file in two contexts',
      'app/main.go',
      ['builder:changed:app/main.go', 'production:upstream:builder', 'lint:changed:app/main.go'],
    ],
    ['a file one context ignores and the other does not', 'app/README.md', ['lint:changed:app/README.md']],
    ['a file inside an ignored folder', 'app/node_modules/left-pad/index.js', ['lint:changed:app/node_modules/left-pad/index.js']],
    ['a file every context ignores', 'server.log', []],
    ['a Dockerfile outside its context', 'Dockerfile.production', ['production:changed:Dockerfile.production']],
    ['a Dockerfile inside its context', 'app/Dockerfile', ['builder:changed:app/Dockerfile', 'production:upstream:builder', 'lint:changed:app/Dockerfile']],
    ['a source next to the artifact', 'deploy/config.txt', ['production:changed:deploy/config.txt']],
    ['the artifact the builder copies', 'deploy/server', []],
    ['a file inside the artifact root', 'deploy/server/part', []],
    ['an extraction temp folder', 'deploy/.weld-tmp-123-abc/server', []],
    ['a vim swap file', 'app/.main.go.swp', []],
    ['an Emacs lock file', 'app/.#main.go', []],
    ['a backup file', 'app/main.go~', []],
    ['a file under .git', '.git/HEAD', []],
    ['a path outside every context', '../elsewhere.go', []],
    ['a folder removed from a context', 'docs/images', ['docs:changed:docs/images']],
  ])('%s', (_case, changed, expected) => {
    const rebuilds = rebuildsFor(changed);

    expect(rebuilds).toEqual(expected);
  });

  it('build.yml asks for a new plan and rebuilds no step by itself', () => {
    const impact = assessChanges(targets, [path.join(dir, 'build.yml')]);

    expect(impact.buildFileChanged).toBe(true);
    expect(impact.direct).toEqual([]);
    expect(impact.relevantPaths).toEqual(['build.yml']);
  });

  it('a Dockerfile asks for a new plan', () => {
    const impact = assessChanges(targets, [path.join(dir, 'Dockerfile.production')]);

    expect(impact.dockerfileChanged).toBe(true);
    expect(impact.buildFileChanged).toBe(false);
  });

  it('a .dockerignore asks for the watched paths again and rebuilds its context', () => {
    const impact = assessChanges(targets, [path.join(dir, 'app', '.dockerignore')]);

    expect(impact.ignoreFileChanged).toBe(true);
    expect(impact.direct.map((rebuild) => rebuild.step)).toEqual(['builder', 'lint']);
  });

  it('several paths keep the first path that touched each step', () => {
    const rebuilds = rebuildsFor('docs/index.md', 'app/README.md', 'app/main.go');

    expect(rebuilds).toEqual(['builder:changed:app/main.go', 'production:upstream:builder', 'docs:changed:docs/index.md', 'lint:changed:app/README.md']);
  });

  it('ignored paths are left out of the relevant paths', () => {
    const impact = assessChanges(targets, [path.join(dir, 'server.log'), path.join(dir, 'docs/index.md')]);

    expect(impact.relevantPaths).toEqual(['docs/index.md']);
  });
});

describe('expandRebuilds', () => {
  const graph = createStepGraph(
    ['base', 'app', 'final', 'other'],
    [
      { from: 'app', to: 'base', reason: 'FROM' },
      { from: 'final', to: 'app', reason: 'depends_on' },
    ],
  );
  const changed = (step: string): StepRebuild => ({ step, reason: 'changed', because: `${step}.go` });

  it('adds an unfinished step that a chosen step needs', () => {
    const rebuilds = expandRebuilds(graph, [changed('app')], new Set(['base']));

    expect(rebuilds).toEqual([
      { step: 'base', reason: 'unfinished', because: 'app' },
      changed('app'),
      { step: 'final', reason: 'upstream', because: 'app' },
    ]);
  });

  it('leaves out an unfinished step no chosen step needs', () => {
    const rebuilds = expandRebuilds(graph, [changed('other')], new Set(['base']));

    expect(rebuilds).toEqual([changed('other')]);
  });

  it('keeps the first reason given for a step', () => {
    const rebuilds = expandRebuilds(graph, [changed('final'), { step: 'final', reason: 'requested' }]);

    expect(rebuilds).toEqual([changed('final')]);
  });

  it('drops steps that are no longer in the graph', () => {
    const rebuilds = expandRebuilds(graph, [changed('removed'), changed('other')]);

    expect(rebuilds).toEqual([changed('other')]);
  });
});

describe('findChangedDefinitions', () => {
  it.each([
    ['an argument of one step', (text: string) => text.replace('      dockerfile: Dockerfile\n    lint:', '      dockerfile: Dockerfile\n      args:\n        LEVEL: "2"\n    lint:'), ['docs']],
    ['a new step', (text: string) => `${text}    extra:\n      name: extra\n      context: docs\n      dockerfile: Dockerfile\n`, ['extra']],
    ['the image name of a step', (text: string) => text.replace('name: docs', 'name: handbook'), ['docs']],
  ])('after a change to %s', async (_case, edit, expected) => {
    const project = await makeWatchProject();
    try {
      const before = await planProject(project);
      await writeFile(path.join(project, 'build.yml'), edit(BUILD_YML));
      const after = await planProject(project);

      const changed = findChangedDefinitions(before, after);

      expect(changed).toEqual(expected);
    } finally {
      await removeWatchProject(project);
    }
  });

  it('finds nothing when only the order of the steps changed', async () => {
    const project = await makeWatchProject();
    try {
      const before = await planProject(project);
      const docsBlock = '    docs:\n      name: docs\n      context: docs\n      dockerfile: Dockerfile\n';
      await writeFile(path.join(project, 'build.yml'), BUILD_YML.replace(docsBlock, '').replace('    builder:', `${docsBlock}    builder:`));
      const after = await planProject(project);

      const changed = findChangedDefinitions(before, after);

      expect(after.graph.labels).toEqual(['docs', 'builder', 'production', 'lint']);
      expect(changed).toEqual([]);
    } finally {
      await removeWatchProject(project);
    }
  });

  it('finds nothing when steps only moved down a line', async () => {
    const project = await makeWatchProject();
    const withSecret = BUILD_YML.replace('      dockerfile: Dockerfile\n    lint:', '      dockerfile: Dockerfile\n      secrets:\n        token:\n          type: env\n          value: TOKEN\n    lint:');
    try {
      await writeFile(path.join(project, 'build.yml'), withSecret);
      const before = await planProject(project);
      await writeFile(path.join(project, 'build.yml'), withSecret.replace('  steps:\n', '  steps:\n    # the steps of the service\n'));
      const after = await planProject(project);

      const changed = findChangedDefinitions(before, after);

      expect(after.steps.get('docs')!.step.secrets[0]!.line).toBe(before.steps.get('docs')!.step.secrets[0]!.line! + 1);
      expect(changed).toEqual([]);
    } finally {
      await removeWatchProject(project);
    }
  });

  it('finds a step whose Dockerfile content changed', async () => {
    const project = await makeWatchProject();
    try {
      const before = await planProject(project);
      await writeFile(path.join(project, 'Dockerfile.production'), 'FROM busybox:1.35\nCOPY server /srv/server\n');
      const after = await planProject(project);

      const changed = findChangedDefinitions(before, after);

      expect(changed).toEqual(['production']);
    } finally {
      await removeWatchProject(project);
    }
  });
});
