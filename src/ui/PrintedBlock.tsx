// One item of the output printed above the live region: a warning, the summary of
// a run that ended, or a notice of watch mode.

import { Text } from 'ink';
import { MAX_WARNINGS_PER_RUN, type ConsoleState, type PrintedItem } from './console-state.js';
import { RunSummary } from './RunSummary.js';
import { WatchNotice } from './WatchNotice.js';

export interface PrintedBlockProps {
  item: PrintedItem;
  /** The state when the item is printed; a summary is printed as the run ended. */
  state: ConsoleState;
  /** The step a summary marks as selected: the failed one, if any. */
  selected?: string;
  width: number;
  compact: boolean;
}

/** Draws a warning line, a run summary or a watch notice. */
export function PrintedBlock({ item, state, selected, width, compact }: PrintedBlockProps) {
  switch (item.kind) {
    case 'warning':
      return (
        <Text color="yellow" wrap="wrap">
          {`warning: ${item.step === undefined ? '' : `${item.step}: `}${item.message}`}
        </Text>
      );
    case 'warnings-dropped':
      return <Text color="yellow">{`warning: more than ${MAX_WARNINGS_PER_RUN} warnings in this run; the rest are not shown`}</Text>;
    case 'run-summary':
      return <RunSummary state={state} selected={selected} width={width} compact={compact} />;
    case 'watch':
      return <WatchNotice event={item.event} />;
  }
}
