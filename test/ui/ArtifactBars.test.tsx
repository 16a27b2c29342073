import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, test } from 'vitest';
import { ArtifactBars } from '../../src/ui/ArtifactBars.js';
import type { ArtifactView } from '../../src/ui/console-state.js';
import { eventsUntil, foldEvents } from './fixtures.js';
import { renderAtSize } from './render-at-size.js';

afterEach(() => {
  cleanup();
});

const copying = foldEvents(eventsUntil('graph-eight-steps', (event) => event.type === 'artifact-progress' && event.step === 'worker'));

function artifact(index: number, overrides: Partial<ArtifactView>): ArtifactView {
  return { step: 'api', source: `/out/file-${index}`, destination: './dist', bytes: 0, totalBytes: 5_000_000, startedAt: 0, updatedAt: 1000, ...overrides };
}

describe('ArtifactBars', () => {
  test('finished and running copies at 80 columns', () => {
    const { lastFrame } = renderAtSize(<ArtifactBars artifacts={copying.artifacts} maxRows={4} width={80} compact={false} />, 80);

    expect(lastFrame()).toBe(
      [
        '✓ /app/dist → ./dist/web           ████████████████            2.4 MB    in 0.3s',
        '⇣ /out/worker → ./dist             ████░░░░░░░░░░░░  2.5 MB of 9.8 MB    28 MB/s',
      ].join('\n'),
    );
  });

  test('finished and running copies at 120 columns get a longer bar', () => {
    const { lastFrame } = renderAtSize(<ArtifactBars artifacts={copying.artifacts} maxRows={4} width={120} compact={false} />, 120);

    expect(lastFrame()).toBe(
      [
        '✓ /app/dist → ./dist/web                                           ████████████████████████            2.4 MB    in 0.3s',
        '⇣ /out/worker → ./dist                                             ██████░░░░░░░░░░░░░░░░░░  2.5 MB of 9.8 MB    28 MB/s',
      ].join('\n'),
    );
  });

  test('copies beyond the rows are counted, running ones shown first', () => {
    const artifacts = [
      artifact(0, { bytes: 5_000_000, durationMs: 800 }),
      artifact(1, { bytes: 1_000_000 }),
      artifact(2, { bytes: 2_000_000 }),
      artifact(3, { bytes: 3_000_000, totalBytes: 0 }),
      artifact(4, { bytes: 4_000_000 }),
    ];

    const { lastFrame } = renderAtSize(<ArtifactBars artifacts={artifacts} maxRows={4} width={80} compact={false} />, 80);

    expect(lastFrame()).toBe(
      [
        '⇣ /out/file-1 → ./dist             ███▎░░░░░░░░░░░░      1 MB of 5 MB     1 MB/s',
        '⇣ /out/file-2 → ./dist             ██████▍░░░░░░░░░      2 MB of 5 MB     2 MB/s',
        '⇣ /out/file-3 → ./dist             ░░░░░░░░░░░░░░░░              3 MB     3 MB/s',
        '  … 2 more copies',
      ].join('\n'),
    );
  });

  test('long paths are cut at their start so the file name stays', () => {
    const artifacts = [artifact(0, { source: `/very/${'deep/'.repeat(20)}server`, bytes: 2_500_000 })];

    const { lastFrame } = renderAtSize(<ArtifactBars artifacts={artifacts} maxRows={4} width={80} compact={false} />, 80);

    expect(lastFrame()).toBe('⇣ …deep/deep/deep/server → ./dist  ████████░░░░░░░░    2.5 MB of 5 MB   2.5 MB/s');
  });
});
