// The root of the console, which renders one ConsoleState. Finished output goes to
// <Static>, printed once so that it stays in the scrollback. The live region below
// it is redrawn in place and kept within the screen height.

import { Box, Static } from 'ink';
import { useEffect } from 'react';
import { cacheTotals, defaultSelection, isActive, orderedSteps, type ConsoleState } from './console-state.js';
import { ArtifactBars } from './ArtifactBars.js';
import { Footer } from './Footer.js';
import { Header } from './Header.js';
import { KeyHelp } from './KeyHelp.js';
import { planLayout } from './layout.js';
import { lastLines } from './line-buffer.js';
import { LogPane } from './LogPane.js';
import { LogView } from './LogView.js';
import { PrintedBlock } from './PrintedBlock.js';
import { describeReuse, describeStepDetail } from './step-text.js';
import { StepGraph } from './StepGraph.js';
import { useConsoleKeys, useKeysEnabled } from './use-console-keys.js';
import { useNavigationState } from './use-navigation-state.js';
import { useRunClock } from './use-run-clock.js';
import { useTerminalSize } from './use-terminal-size.js';

export interface ConsoleAppProps {
  state: ConsoleState;
  /** Shown in the header until run-started names them. */
  buildFile: string;
  workDir: string;
  /** Watch mode keeps a footer between runs. */
  watch: boolean;
  /** True once the reporter is closing: the live region drops its key hints. */
  closing: boolean;
  /** Called on the first quit key. */
  onCancel?: () => void;
  /** Called on `r`; the key is offered only when this is set. */
  onRebuild?: () => void;
  /** Ends the process on the second quit key. */
  forceExit: (code: number) => void;
}

/** Renders the printed output and the live region of one console state. */
export function ConsoleApp({ state, buildFile, workDir, watch, closing, onCancel, onRebuild, forceExit }: ConsoleAppProps) {
  const { columns, rows } = useTerminalSize();
  const [navigation, dispatch] = useNavigationState();
  const keysEnabled = useKeysEnabled() && !closing;
  const ended = state.end !== undefined;
  const now = useRunClock(state.runSeq, state.run?.startedAt, state.lastEventAt, state.run !== undefined && !ended && !closing);

  const steps = orderedSteps(state);
  const pinned = navigation.selected !== undefined && state.steps[navigation.selected] !== undefined;
  const selected = pinned ? navigation.selected : defaultSelection(state);
  const selectedStep = selected === undefined ? undefined : state.steps[selected];
  const running = steps.filter((step) => isActive(step.state));
  let paneSteps = selectedStep === undefined ? [] : [selectedStep];
  if (navigation.allPanes && running.length > 0) paneSteps = running;
  const layout = planLayout({ columns, rows, stepCount: steps.length, artifactCount: state.artifacts.length, paneCount: paneSteps.length });

  // A failed run focuses its failed step, over any step the user selected before.
  useEffect(() => {
    if (state.focus !== undefined) dispatch({ type: 'select', label: state.focus });
  }, [state.focus, state.runSeq, dispatch]);

  useConsoleKeys({
    navigation,
    dispatch,
    labels: state.order,
    selected,
    logSize: selectedStep?.log.size ?? 0,
    pageLines: layout.logViewLines,
    onCancel,
    onRebuild,
    forceExit,
  });

  const printed = (
    <Static key={state.runSeq} items={state.printed}>
      {(item, index) => (
        <Box key={index}>
          <PrintedBlock item={item} state={state} selected={state.focus} width={columns} compact={layout.compact} />
        </Box>
      )}
    </Static>
  );
  const cancelling = navigation.quitPresses > 0 && !ended;

  if (navigation.view === 'log' && selectedStep !== undefined && !closing) {
    return (
      <>
        {printed}
        <LogView
          label={selectedStep.label}
          log={selectedStep.log}
          origin={selectedStep.reused ? describeReuse(selectedStep) : undefined}
          scrollFromBottom={navigation.scrollFromBottom}
          height={layout.logViewLines}
          width={columns}
        />
      </>
    );
  }
  if (ended) {
    return (
      <>
        {printed}
        {watch && !closing && navigation.help && (
          <Box marginTop={1}>
            <KeyHelp canRebuild={onRebuild !== undefined} watch={watch} />
          </Box>
        )}
        {watch && !closing && (
          <Footer keysEnabled={keysEnabled} cancelling={false} waiting watch watchedPaths={state.watch?.watchedPaths} canRebuild={onRebuild !== undefined} selected={selected} />
        )}
      </>
    );
  }

  const done = steps.filter((step) => step.state === 'done' || step.state === 'cached').length;
  const shownPanes = paneSteps.slice(0, layout.paneCount);
  return (
    <>
      {printed}
      <Box flexDirection="column" width={columns}>
        <Header
          run={state.run}
          buildFile={buildFile}
          workDir={workDir}
          elapsedMs={state.run === undefined ? 0 : now - state.run.startedAt}
          stepsDone={done}
          stepCount={steps.length}
          cache={cacheTotals(state)}
          cancelling={cancelling}
          compact={layout.compact}
          width={columns}
        />
        {navigation.help && (
          <Box marginTop={1}>
            <KeyHelp canRebuild={onRebuild !== undefined} watch={watch} />
          </Box>
        )}
        {!navigation.help && steps.length > 0 && (
          <Box marginTop={1}>
            <StepGraph steps={steps} byLabel={state.steps} selected={selected} criticalPath={[]} maxRows={layout.graphRows} now={now} width={columns} compact={layout.compact} />
          </Box>
        )}
        {!navigation.help && layout.artifactRows > 0 && (
          <Box marginTop={1}>
            <ArtifactBars artifacts={state.artifacts} maxRows={layout.artifactRows} width={columns} compact={layout.compact} />
          </Box>
        )}
        {!navigation.help &&
          shownPanes.map((step) => (
            <LogPane key={step.label} label={step.label} detail={describeStepDetail(step, state.steps)} lines={lastLines(step.log, layout.paneLines)} width={columns} />
          ))}
        {!closing && (
          <Footer
            keysEnabled={keysEnabled}
            cancelling={cancelling}
            waiting={watch && state.run === undefined}
            watch={watch}
            watchedPaths={state.watch?.watchedPaths}
            canRebuild={onRebuild !== undefined}
          />
        )}
      </Box>
    </>
  );
}
