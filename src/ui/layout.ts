// Row budgets of the live region. Ink redraws the live region in place, but clears
// the whole terminal once it grows to the screen height, which loses the
// scrollback. So every section gets a row budget and the sum stays below `rows`.

/** Below this many columns the console switches to one column. */
export const COMPACT_BELOW_COLUMNS = 60;
/** Lines of a log pane at most, however tall the screen. */
export const LOG_TAIL_LINES = 20;
/** Screen size assumed when the stream does not report one (not a TTY). */
export const DEFAULT_COLUMNS = 80;
export const DEFAULT_ROWS = 24;
/** Artifact bars shown at once; further copies are summed in one line. */
export const MAX_ARTIFACT_ROWS = 4;
const MIN_GRAPH_ROWS = 3;
const MIN_PANE_LINES = 3;
const WIDE_HEADER_ROWS = 2;
const COMPACT_HEADER_ROWS = 3;

export interface LayoutRequest {
  columns: number;
  rows: number;
  stepCount: number;
  /** Artifact rows the run has to show. */
  artifactCount: number;
  /** Log panes wanted: running steps with `a`, else 1 when a step is selected. */
  paneCount: number;
}

export interface Layout {
  compact: boolean;
  headerRows: number;
  /** Rows of the step graph, including the `… more` line when steps do not fit. */
  graphRows: number;
  artifactRows: number;
  /** Panes that fit, each a title line plus `paneLines` lines. */
  paneCount: number;
  paneLines: number;
  /** Lines of the whole-log view: the screen less its title and hint lines. */
  logViewLines: number;
}

/**
 * Splits the screen between header, graph, artifact bars and log panes, keeping one
 * row free: header, a blank line, graph, a blank line and the artifact rows when
 * there are any, panes (title and lines each), footer.
 */
export function planLayout(request: LayoutRequest): Layout {
  const compact = request.columns < COMPACT_BELOW_COLUMNS;
  const headerRows = compact ? COMPACT_HEADER_ROWS : WIDE_HEADER_ROWS;
  const usable = Math.max(1, request.rows - 1);
  let remaining = usable - headerRows - 1 - 1;

  const wantedArtifactRows = Math.min(request.artifactCount, MAX_ARTIFACT_ROWS);
  const artifactBlock = wantedArtifactRows > 0 ? wantedArtifactRows + 1 : 0;
  const paneReserve = request.paneCount > 0 ? 1 + MIN_PANE_LINES : 0;
  const graphRows = Math.max(0, Math.min(request.stepCount, Math.max(MIN_GRAPH_ROWS, remaining - artifactBlock - paneReserve), remaining));
  remaining -= graphRows;

  const artifactRows = Math.max(0, Math.min(wantedArtifactRows, remaining - 1));
  remaining -= artifactRows > 0 ? artifactRows + 1 : 0;

  const paneCount = Math.max(0, Math.min(request.paneCount, Math.floor(remaining / (1 + MIN_PANE_LINES))));
  const paneLines = paneCount > 0 ? Math.min(LOG_TAIL_LINES, Math.floor(remaining / paneCount) - 1) : 0;

  return { compact, headerRows, graphRows, artifactRows, paneCount, paneLines, logViewLines: Math.max(1, usable - 2) };
}
