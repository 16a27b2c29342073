// The lines watch mode prints between runs: what started a run, a build file that
// cannot be planned, a run's outcome with the size change of each final image,
// and the end of the session.

import { Box, Text } from 'ink';
import type { FinalImageSize, WatchTrigger } from '../build/events.js';
import { formatBytes, formatDuration } from '../report/format.js';
import { describeRebuilds, formatClock } from '../report/plain-reporter.js';
import type { WatchEvent } from './console-state.js';

export interface WatchNoticeProps {
  event: Exclude<WatchEvent, { type: 'watch-ready' }>;
}

const OUTCOME_COLORS = { succeeded: 'green', failed: 'red', cancelled: 'yellow' } as const;

function describeTrigger(trigger: WatchTrigger, pathCount: number): string {
  if (trigger.kind === 'start') return 'first run';
  if (trigger.kind === 'request') return 'rebuild requested';
  const others = pathCount > 1 ? ` and ${pathCount - 1} more` : '';
  return `${trigger.path ?? 'a file'}${others} changed`;
}

function describeImage(image: FinalImageSize): string {
  if (image.deltaBytes === undefined) return `${image.image} ${formatBytes(image.sizeBytes)}`;
  let sign = '±';
  if (image.deltaBytes > 0) sign = '+';
  if (image.deltaBytes < 0) sign = '−';
  return `${image.image} ${formatBytes(image.sizeBytes)} (${sign}${formatBytes(Math.abs(image.deltaBytes))})`;
}

/** Draws one watch event as a line, or up to three for an error: its hint and, for a failed plan, the files that must plan again. */
export function WatchNotice({ event }: WatchNoticeProps) {
  switch (event.type) {
    case 'watch-triggered': {
      const restarted = event.restarted ? ', cancelled the run before' : '';
      return (
        <Text wrap="truncate-end">
          <Text color="cyan" bold>{`↻ run ${event.run}`}</Text>
          {` · ${formatClock(event.time)} · ${describeTrigger(event.trigger, event.pathCount)}${restarted} · rebuilds ${describeRebuilds(event.steps)}`}
        </Text>
      );
    }
    case 'watch-error': {
      const failures = { 'build-file': 'the build cannot be planned', watcher: 'watching files failed', run: 'a run or its clean-up failed outside any step' } as const;
      const failure = failures[event.source];
      const waitsFor = event.source === 'build-file' ? (event.files ?? ['build.yml']).join(' and ') : undefined;
      return (
        <Box flexDirection="column">
          <Text color="red">{`✗ ${failure}: ${event.error.message}`}</Text>
          {event.error.hint !== undefined && <Text>{`  hint: ${event.error.hint}`}</Text>}
          {waitsFor !== undefined && <Text dimColor>{`  still watching; no run starts until ${waitsFor} can be planned`}</Text>}
        </Box>
      );
    }
    case 'watch-run-summary': {
      const images = event.finalImages.map(describeImage).join(' · ');
      return (
        <Text wrap="truncate-end">
          <Text color={OUTCOME_COLORS[event.outcome]} bold>{`run ${event.run} ${event.outcome}`}</Text>
          {` in ${formatDuration(event.durationMs)}${images === '' ? '' : ` · ${images}`}`}
        </Text>
      );
    }
    case 'watch-stopped': {
      const runs = `${event.runs} ${event.runs === 1 ? 'run' : 'runs'}`;
      const removed = event.removedPaths.length === 0 ? '' : ` · removed ${event.removedPaths.length} artifact ${event.removedPaths.length === 1 ? 'path' : 'paths'}`;
      return <Text dimColor>{`stopped watching after ${runs}${removed}`}</Text>;
    }
  }
}
