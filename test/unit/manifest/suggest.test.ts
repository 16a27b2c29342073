import { describe, expect, test } from 'vitest';

import { closestMatch, editDistance } from '../../../src/manifest/suggest.js';

describe('editDistance', () => {
  test.each([
    ['depends_on', 'depends_on', 0],
    ['dependson', 'depends_on', 1],
    ['bulid', 'build', 1],
    ['nmae', 'name', 1],
    ['', 'args', 4],
    ['kitten', 'sitting', 3],
  ])('%s to %s is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });
});

describe('closestMatch', () => {
  const stepKeys = ['name', 'dockerfile', 'context', 'args', 'artifacts', 'depends_on', 'no_cache', 'cleanup', 'command'];

  test.each([
    ['dependson', 'depends_on'],
    ['Dockerfile', 'dockerfile'],
    ['artefacts', 'artifacts'],
    ['nocache', 'no_cache'],
    ['cont', 'context'],
    ['arg', 'args'],
  ])('%s suggests %s', (word, expected) => {
    expect(closestMatch(word, stepKeys)).toBe(expected);
  });

  test.each(['privileged', 'x', 'volumes'])('%s suggests nothing', (word) => {
    expect(closestMatch(word, stepKeys)).toBeUndefined();
  });
});
