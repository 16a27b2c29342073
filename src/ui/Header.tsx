// The first lines of the console: what is built where, against which engine, and
// how far the run is.

import path from 'node:path';

import { Box, Text } from 'ink';
import { formatDuration } from '../report/format.js';
import type { RunEnd, RunView } from './console-state.js';

export interface HeaderProps {
  /** The run, once run-started arrived. */
  run?: RunView;
  /** Build file and work dir to show before the run starts. */
  buildFile: string;
  workDir: string;
  end?: RunEnd;
  /** Milliseconds since the run started; ignored once it ended. */
  elapsedMs: number;
  stepsDone: number;
  stepCount: number;
  /** Instructions taken from the layer cache of the instructions run, when known. */
  cache?: { cached: number; total: number };
  /** True after the first quit key, until the run ends. */
  cancelling: boolean;
  compact: boolean;
  width: number;
}

/** Columns between the title and the engine; the engine is left out when fewer than MIN_ENGINE_WIDTH remain. */
const ENGINE_GAP = 2;
const MIN_ENGINE_WIDTH = 12;
const OUTCOME_COLORS = { succeeded: 'green', failed: 'red', cancelled: 'yellow' } as const;

function describeStatus({ run, end, elapsedMs, cancelling }: HeaderProps): { word: string; color?: string; time: string } {
  if (end !== undefined) {
    const time = end.outcome === 'succeeded' ? `in ${formatDuration(end.durationMs)}` : `after ${formatDuration(end.durationMs)}`;
    return { word: end.outcome, color: OUTCOME_COLORS[end.outcome], time };
  }
  if (run === undefined) return { word: 'waiting for the run to start', time: '' };
  if (cancelling) return { word: 'cancelling…', color: 'yellow', time: formatDuration(elapsedMs) };
  return { word: 'building', color: 'yellow', time: formatDuration(elapsedMs) };
}

/** Returns `buildFile` relative to `workDir` when it lies inside it, so that the title does not name the folder twice. */
function describeBuildFile(buildFile: string, workDir: string): string {
  if (!path.isAbsolute(buildFile)) return buildFile;
  const relative = path.relative(workDir, buildFile);
  const outside = relative === '' || relative.split(path.sep)[0] === '..' || path.isAbsolute(relative);
  return outside ? buildFile : relative;
}

/** Shows build file, work dir, engine, run status, elapsed time, steps done and the cache line. */
export function Header(props: HeaderProps) {
  const { run, end, stepsDone, stepCount, cache, compact, width } = props;
  const workDir = run?.workDir ?? props.workDir;
  const buildFile = describeBuildFile(run?.buildFile ?? props.buildFile, workDir);
  const engine = run === undefined ? '' : `Docker ${run.engine.version} · ${run.engine.endpoint}`;
  const title = `weld ${buildFile} · ${workDir}`;
  const titleWidth = Math.min(title.length, width);
  const engineWidth = Math.min(engine.length, width - titleWidth - ENGINE_GAP);
  const status = describeStatus(props);
  const counts = [
    stepCount > 0 ? `steps ${stepsDone}/${stepCount} done` : '',
    cache === undefined ? '' : `cache ${cache.cached}/${cache.total} instructions`,
  ].filter((part) => part !== '');
  const timeSeparator = end === undefined ? ' · ' : ' ';
  const statusLine = (
    <Text wrap="truncate-end">
      <Text color={status.color} bold>
        {status.word}
      </Text>
      {status.time === '' ? '' : `${timeSeparator}${status.time}`}
      {counts.map((part) => ` · ${part}`).join('')}
    </Text>
  );

  if (compact) {
    return (
      <Box flexDirection="column">
        <Text wrap="truncate-end">
          <Text bold>weld</Text> {buildFile}
        </Text>
        <Text wrap="truncate-end" dimColor>
          {engine === '' ? workDir : engine}
        </Text>
        {statusLine}
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      <Box justifyContent="space-between" width={width}>
        <Box width={titleWidth} flexShrink={0}>
          <Text wrap="truncate-end">
            <Text bold>weld</Text> {buildFile} · {workDir}
          </Text>
        </Box>
        {engineWidth >= MIN_ENGINE_WIDTH && (
          <Box width={engineWidth} flexShrink={0}>
            <Text wrap="truncate-end" dimColor>
              {engine}
            </Text>
          </Box>
        )}
      </Box>
      {statusLine}
    </Box>
  );
}
