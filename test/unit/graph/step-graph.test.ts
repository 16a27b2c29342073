import { describe, expect, it } from 'vitest';

import { InputError } from '../../../src/errors.js';
import { createStepGraph, findCycle, listFinalSteps, selectDownstream, selectUpstream } from '../../../src/graph/step-graph.js';

describe('createStepGraph', () => {
  it('rejects a cycle and names its path', () => {
    const edges = [
      { from: 'a', to: 'b', reason: 'depends_on' as const },
      { from: 'b', to: 'c', reason: 'FROM' as const },
      { from: 'c', to: 'a', reason: 'depends_on' as const },
    ];

    const create = () => createStepGraph(['a', 'b', 'c'], edges);

    expect(create).toThrow(InputError);
    expect(create).toThrow('build.yml: the steps depend on each other in a cycle: a → b → c → a');
    expect(create).toThrow('b waits for c (FROM)');
  });

  it('names where each edge of a cycle is written', () => {
    const edges = [
      { from: 'a', to: 'b', reason: 'FROM' as const, at: 'Dockerfile.a:1' },
      { from: 'b', to: 'a', reason: 'depends_on' as const, at: 'build.yml:7' },
    ];

    const create = () => createStepGraph(['a', 'b'], edges);

    expect(create).toThrow('a waits for b (FROM, Dockerfile.a:1)\n  b waits for a (depends_on, build.yml:7)');
  });

  it('reports every cycle that shares no step with another', () => {
    const edges = [
      { from: 'd', to: 'd', reason: 'depends_on' as const, at: 'build.yml:6' },
      { from: 'f', to: 'g', reason: 'depends_on' as const, at: 'build.yml:10' },
      { from: 'g', to: 'f', reason: 'depends_on' as const, at: 'build.yml:14' },
      { from: 'h', to: 'f', reason: 'depends_on' as const, at: 'build.yml:18' },
    ];

    const create = () => createStepGraph(['d', 'f', 'g', 'h'], edges);

    expect(create).toThrow(
      'build.yml: the steps depend on each other in 2 cycles:\n' +
        'cycle: d → d\n  d waits for d (depends_on, build.yml:6)\n' +
        'cycle: f → g → f\n  f waits for g (depends_on, build.yml:10)\n  g waits for f (depends_on, build.yml:14)',
    );
  });

  it('rejects a step that depends on itself', () => {
    const create = () => createStepGraph(['solo'], [{ from: 'solo', to: 'solo', reason: 'depends_on' }]);

    expect(create).toThrow('cycle: solo → solo');
  });

  it('accepts a diamond', () => {
    const graph = createStepGraph(
      ['a', 'b', 'c', 'd'],
      [
        { from: 'b', to: 'a', reason: 'depends_on' },
        { from: 'c', to: 'a', reason: 'depends_on' },
        { from: 'd', to: 'b', reason: 'depends_on' },
        { from: 'd', to: 'c', reason: 'FROM' },
      ],
    );

    expect(findCycle(graph)).toBeUndefined();
    expect(listFinalSteps(graph)).toEqual(['d']);
    expect([...selectUpstream(graph, 'd')].sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('selectDownstream', () => {
  const graph = createStepGraph(
    ['base', 'api', 'worker', 'api-image', 'docs'],
    [
      { from: 'api', to: 'base', reason: 'FROM' },
      { from: 'worker', to: 'base', reason: 'FROM' },
      { from: 'api-image', to: 'api', reason: 'depends_on' },
    ],
  );

  it.each([
    { changed: ['base'], expected: ['base', 'api', 'worker', 'api-image'] },
    { changed: ['api'], expected: ['api', 'api-image'] },
    { changed: ['docs'], expected: ['docs'] },
    { changed: ['worker', 'docs'], expected: ['worker', 'docs'] },
    { changed: ['unknown'], expected: [] },
  ])('selects $expected after a change to $changed', ({ changed, expected }) => {
    expect(selectDownstream(graph, changed)).toEqual(expected);
  });
});
