import { describe, expect, test } from 'vitest';
import { findCriticalPath, type TimedStep } from '../../src/ui/critical-path.js';

describe('findCriticalPath', () => {
  test('follows the dependency that finished last back to a root', () => {
    const steps: TimedStep[] = [
      { label: 'base', dependsOn: [], finishedAt: 10 },
      { label: 'fast', dependsOn: ['base'], finishedAt: 20 },
      { label: 'slow', dependsOn: ['base'], finishedAt: 50 },
      { label: 'join', dependsOn: ['fast', 'slow'], finishedAt: 60 },
    ];

    expect(findCriticalPath(steps)).toEqual(['base', 'slow', 'join']);
  });

  test('ends at the step that finished last, not at a leaf', () => {
    const steps: TimedStep[] = [
      { label: 'a', dependsOn: [], finishedAt: 10 },
      { label: 'b', dependsOn: ['a'], finishedAt: 20 },
      { label: 'lone', dependsOn: [], finishedAt: 90 },
    ];

    expect(findCriticalPath(steps)).toEqual(['lone']);
  });

  test('skips dependencies that never finished', () => {
    const steps: TimedStep[] = [
      { label: 'a', dependsOn: [] },
      { label: 'b', dependsOn: ['a'], finishedAt: 20 },
    ];

    expect(findCriticalPath(steps)).toEqual(['b']);
  });

  test('returns nothing when no step finished', () => {
    expect(findCriticalPath([{ label: 'a', dependsOn: [] }])).toEqual([]);
  });

  test('stops on a cycle instead of looping', () => {
    const steps: TimedStep[] = [
      { label: 'a', dependsOn: ['b'], finishedAt: 20 },
      { label: 'b', dependsOn: ['a'], finishedAt: 10 },
    ];

    expect(findCriticalPath(steps)).toEqual(['b', 'a']);
  });
});
