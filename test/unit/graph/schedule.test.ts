import { describe, expect, it } from 'vitest';

import { runSchedule, type StepOutcome } from '../../../src/graph/schedule.js';
import { createStepGraph, type Edge } from '../../../src/graph/step-graph.js';

/** A scripted step: how long it takes and whether it fails. */
interface Script {
  ms: number;
  fails?: boolean;
}

function edgesOf(dependencies: Record<string, string[]>): Edge[] {
  return Object.entries(dependencies).flatMap(([from, tos]) => tos.map((to) => ({ from, to, reason: 'depends_on' as const })));
}

/** Runs a graph of scripted steps and records what started and ended when. */
async function runScripted(
  scripts: Record<string, Script>,
  dependencies: Record<string, string[]>,
  options: { parallel?: number; keepGoing?: boolean; abortAfterMs?: number } = {},
) {
  const graph = createStepGraph(Object.keys(scripts), edgesOf(dependencies));
  const log: string[] = [];
  const skipped: Record<string, string> = {};
  const controller = new AbortController();
  let running = 0;
  let maxRunning = 0;
  if (options.abortAfterMs !== undefined) setTimeout(() => controller.abort(), options.abortAfterMs);

  const outcomes = await runSchedule(
    graph,
    { parallel: options.parallel ?? 0, keepGoing: options.keepGoing ?? false, signal: controller.signal },
    {
      runStep: (label, signal) =>
        new Promise<void>((resolve, reject) => {
          running += 1;
          maxRunning = Math.max(maxRunning, running);
          log.push(`start ${label}`);
          const timer = setTimeout(() => {
            running -= 1;
            log.push(`end ${label}`);
            if (scripts[label]!.fails) reject(new Error(`${label} failed`));
            else resolve();
          }, scripts[label]!.ms);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            running -= 1;
            log.push(`abort ${label}`);
            reject(new Error('aborted'));
          });
        }),
      onSkipped: (label, because) => {
        skipped[label] = because;
      },
    },
  );
  return { outcomes: Object.fromEntries(outcomes) as Record<string, StepOutcome>, log, skipped, maxRunning };
}

describe('runSchedule', () => {
  it('starts a step as soon as its own dependencies finish', async () => {
    const { log } = await runScripted(
      { slow: { ms: 80 }, fast: { ms: 10 }, afterFast: { ms: 10 } },
      { afterFast: ['fast'] },
    );

    expect(log.indexOf('start afterFast')).toBeLessThan(log.indexOf('end slow'));
  });

  it('runs a diamond with the join after both branches', async () => {
    const { outcomes, log } = await runScripted(
      { a: { ms: 5 }, b: { ms: 20 }, c: { ms: 5 }, d: { ms: 5 } },
      { b: ['a'], c: ['a'], d: ['b', 'c'] },
    );

    expect(outcomes).toEqual({ a: 'succeeded', b: 'succeeded', c: 'succeeded', d: 'succeeded' });
    expect(log.indexOf('start d')).toBeGreaterThan(log.indexOf('end b'));
    expect(log.indexOf('start d')).toBeGreaterThan(log.indexOf('end c'));
    expect(log.indexOf('start b')).toBeLessThan(log.indexOf('end c') + 1);
  });

  it('caps concurrent steps with parallel', async () => {
    const scripts = Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((label) => [label, { ms: 15 }]));

    const capped = await runScripted(scripts, {}, { parallel: 2 });
    const uncapped = await runScripted(scripts, {});

    expect(capped.maxRunning).toBe(2);
    expect(uncapped.maxRunning).toBe(5);
  });

  it('cancels running steps and skips dependents after a failure by default', async () => {
    const { outcomes, skipped } = await runScripted(
      { broken: { ms: 10, fails: true }, long: { ms: 500 }, next: { ms: 5 } },
      { next: ['broken'] },
    );

    expect(outcomes).toEqual({ broken: 'failed', long: 'cancelled', next: 'skipped' });
    expect(skipped).toEqual({ next: 'broken' });
  });

  it('lets independent branches finish with keepGoing', async () => {
    const { outcomes } = await runScripted(
      { broken: { ms: 10, fails: true }, long: { ms: 60 }, afterLong: { ms: 5 }, next: { ms: 5 } },
      { next: ['broken'], afterLong: ['long'] },
      { keepGoing: true },
    );

    expect(outcomes).toEqual({ broken: 'failed', long: 'succeeded', afterLong: 'succeeded', next: 'skipped' });
  });

  it('reports aborted steps as cancelled, never as succeeded', async () => {
    const { outcomes } = await runScripted({ a: { ms: 200 }, b: { ms: 5 } }, { b: ['a'] }, { abortAfterMs: 20 });

    expect(outcomes.a).toBe('cancelled');
    expect(['cancelled', 'skipped']).toContain(outcomes.b);
  });
});
