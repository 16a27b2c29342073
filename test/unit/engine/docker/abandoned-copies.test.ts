import { describe, expect, test } from 'vitest';

import { isAbandoned, ownerLabels } from '../../../../src/engine/docker/abandoned-copies.js';

/** A pid no process has: Linux caps pids at 2^22. */
const DEAD_PID = String(4_194_304 + 17);

describe('abandoned copy containers', () => {
  const own = ownerLabels();

  test('carry the pid, PID namespace and boot id of the process that made them', () => {
    expect(Object.keys(own).sort()).toEqual(['weld.boot', 'weld.pid', 'weld.pidns']);
    expect(own['weld.pid']).toBe(String(process.pid));
  });

  test.each<[string, Record<string, string>, boolean]>([
    ['a process of this namespace and boot that is gone', { 'weld.pid': DEAD_PID }, true],
    ['this process', {}, false],
    ['a process that still runs', { 'weld.pid': String(process.ppid) }, false],
    ['another PID namespace', { 'weld.pid': DEAD_PID, 'weld.pidns': 'pid:[1]' }, false],
    ['another boot or machine', { 'weld.pid': DEAD_PID, 'weld.boot': 'another-boot' }, false],
    ['no pid', { 'weld.pid': '' }, false],
  ])('counts a container of %s as abandoned: %s', (_name, overrides, expected) => {
    expect(isAbandoned({ ...own, ...overrides })).toBe(expected);
  });

  test('without the process labels are never abandoned', () => {
    expect(isAbandoned({ 'weld.run': 'r', 'weld.pid': DEAD_PID })).toBe(false);
  });
});
