// Everything a run leaves on screen once it ended: header, final step graph with
// the critical path, the artifacts copied, the failure when there was one, and per
// final image the layer table and the savings line. It is printed once, above the
// live region.

import { Box, Text } from 'ink';
import { ArtifactBars } from './ArtifactBars.js';
import { cacheTotals, orderedSteps, type ConsoleState } from './console-state.js';
import { FailureDetails } from './FailureDetails.js';
import { Header } from './Header.js';
import { LayerTable } from './LayerTable.js';
import { MAX_ARTIFACT_ROWS } from './layout.js';
import { SavingsLine } from './SavingsLine.js';
import { StepGraph } from './StepGraph.js';

export interface RunSummaryProps {
  /** The state as the run ended. */
  state: ConsoleState;
  /** The selected step, the failed one after a failure. */
  selected?: string;
  width: number;
  compact: boolean;
}

/** Draws the end of a run; draws nothing before it ended. */
export function RunSummary({ state, selected, width, compact }: RunSummaryProps) {
  const { run, end } = state;
  if (run === undefined || end === undefined) return null;

  const steps = orderedSteps(state);
  const criticalPath = end.outcome === 'succeeded' ? end.criticalPath : [];
  const failedLabel = end.error?.step ?? state.focus;
  const failedStep = failedLabel === undefined ? undefined : state.steps[failedLabel];
  const error = end.error ?? failedStep?.error;
  const otherFailures = steps.filter((step) => step.state === 'failed' && step.error !== undefined && step.label !== failedStep?.label);
  const done = steps.filter((step) => step.state === 'done' || step.state === 'cached').length;
  // Only finished copies are listed: one that never finished was aborted, and its step shows as failed or cancelled.
  const copied = state.artifacts.filter((artifact) => artifact.durationMs !== undefined);

  return (
    <Box flexDirection="column" width={width}>
      <Header
        run={run}
        buildFile={run.buildFile}
        workDir={run.workDir}
        end={end}
        elapsedMs={end.durationMs}
        stepsDone={done}
        stepCount={steps.length}
        cache={cacheTotals(state)}
        cancelling={false}
        compact={compact}
        width={width}
      />
      <Box marginTop={1}>
        <StepGraph
          steps={steps}
          byLabel={state.steps}
          selected={selected}
          criticalPath={criticalPath}
          maxRows={steps.length}
          now={state.lastEventAt ?? run.startedAt}
          width={width}
          compact={compact}
        />
      </Box>
      {criticalPath.length > 1 && (
        <Text wrap="truncate-end">
          <Text color="magenta">{' ◆ '}</Text>
          <Text dimColor>critical path: </Text>
          {criticalPath.join(' → ')}
        </Text>
      )}
      {copied.length > 0 && (
        <Box marginTop={1}>
          <ArtifactBars artifacts={copied} maxRows={MAX_ARTIFACT_ROWS} width={width} compact={compact} />
        </Box>
      )}
      {end.outcome === 'failed' && error !== undefined && (
        <Box marginTop={1}>
          <FailureDetails step={failedStep} error={error} width={width} />
        </Box>
      )}
      {/* With --keep-going, the other failed steps too, each with its own cause. */}
      {end.outcome === 'failed' &&
        otherFailures.map((step) => (
          <Box key={step.label} marginTop={1}>
            <FailureDetails step={step} error={step.error!} width={width} />
          </Box>
        ))}
      {end.finalImages.map((image) => (
        <Box key={image.step} flexDirection="column" marginTop={1}>
          <LayerTable image={image} width={width} />
          {image.savings.map((savings) => (
            <SavingsLine key={savings.againstStep} image={image} savings={savings} />
          ))}
        </Box>
      ))}
    </Box>
  );
}
