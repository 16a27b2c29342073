// A progress bar per artifact copied out of a step's image: source → destination,
// bytes of total and rate.

import { Box, Text } from 'ink';
import { formatBar, formatBytes, formatDuration } from '../report/format.js';
import type { ArtifactView } from './console-state.js';

export interface ArtifactBarsProps {
  /** Copies of this run, in start order. */
  artifacts: ArtifactView[];
  /** Rows available; copies beyond them are summed in the last row. */
  maxRows: number;
  width: number;
  compact: boolean;
}

/** Bar cells from this width on; narrower screens get BAR_WIDTH_NARROW. */
const WIDE_FROM_COLUMNS = 120;
const BAR_WIDTH_WIDE = 24;
const BAR_WIDTH_NARROW = 16;
const BAR_WIDTH_COMPACT = 10;
/** `999 MB of 999 MB` is the widest amount. */
const AMOUNT_WIDTH = 16;
/** `999 MB/s` and `in 12.3s` are the widest. */
const RATE_WIDTH = 9;
const MS_PER_SECOND = 1000;

function describeAmount(artifact: ArtifactView): string {
  if (artifact.totalBytes <= 0) return formatBytes(artifact.bytes);
  if (artifact.durationMs !== undefined) return formatBytes(artifact.bytes);
  return `${formatBytes(artifact.bytes)} of ${formatBytes(artifact.totalBytes)}`;
}

function describeRate(artifact: ArtifactView): string {
  if (artifact.durationMs !== undefined) return `in ${formatDuration(artifact.durationMs)}`;
  const seconds = (artifact.updatedAt - artifact.startedAt) / MS_PER_SECOND;
  return seconds > 0 && artifact.bytes > 0 ? `${formatBytes(artifact.bytes / seconds)}/s` : '';
}

function fractionDone(artifact: ArtifactView): number {
  if (artifact.durationMs !== undefined) return 1;
  return artifact.totalBytes > 0 ? artifact.bytes / artifact.totalBytes : 0;
}

/** Returns the copies to show: running ones first, then the latest finished ones, in start order. */
function pickVisible(artifacts: ArtifactView[], rows: number): ArtifactView[] {
  const running = artifacts.filter((artifact) => artifact.durationMs === undefined);
  const finished = artifacts.filter((artifact) => artifact.durationMs !== undefined);
  const chosen = new Set([...running.slice(0, rows), ...finished.slice(Math.max(0, finished.length - (rows - Math.min(rows, running.length))))]);
  return artifacts.filter((artifact) => chosen.has(artifact));
}

/** Draws one line per artifact copy: mark, paths, bar, bytes and rate. */
export function ArtifactBars({ artifacts, maxRows, width, compact }: ArtifactBarsProps) {
  if (maxRows <= 0 || artifacts.length === 0) return null;
  const hiddenCount = artifacts.length > maxRows ? artifacts.length - (maxRows - 1) : 0;
  const visible = pickVisible(artifacts, hiddenCount > 0 ? maxRows - 1 : maxRows);
  let barWidth = width >= WIDE_FROM_COLUMNS ? BAR_WIDTH_WIDE : BAR_WIDTH_NARROW;
  if (compact) barWidth = BAR_WIDTH_COMPACT;

  return (
    <Box flexDirection="column" width={width}>
      {visible.map((artifact) => {
        const done = artifact.durationMs !== undefined;
        const path = compact ? artifact.source : `${artifact.source} → ${artifact.destination}`;
        return (
          <Box key={`${artifact.step}\u0000${artifact.source}`}>
            <Box flexShrink={0} width={2}>
              <Text color={done ? 'green' : 'cyan'}>{done ? '✓' : '⇣'}</Text>
            </Box>
            <Box flexGrow={1} flexShrink={1}>
              <Text wrap="truncate-start">{path}</Text>
            </Box>
            <Box flexShrink={0} paddingLeft={2}>
              <Text color={done ? 'green' : 'cyan'}>{formatBar(fractionDone(artifact), barWidth, '░')}</Text>
            </Box>
            {!compact && (
              <Box width={AMOUNT_WIDTH + 2} justifyContent="flex-end" flexShrink={0}>
                <Text>{describeAmount(artifact)}</Text>
              </Box>
            )}
            <Box width={RATE_WIDTH + 2} justifyContent="flex-end" flexShrink={0}>
              <Text dimColor>{compact ? `${Math.round(fractionDone(artifact) * 100)} %` : describeRate(artifact)}</Text>
            </Box>
          </Box>
        );
      })}
      {hiddenCount > 0 && <Text dimColor>{`  … ${hiddenCount} more ${hiddenCount === 1 ? 'copy' : 'copies'}`}</Text>}
    </Box>
  );
}
