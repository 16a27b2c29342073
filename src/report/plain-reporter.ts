// The plain reporter: one line per event worth a line, each prefixed with the
// step label, for CI logs and pipes. It never moves the cursor.

import path from 'node:path';

import { shortenInstruction } from '../build/build-error.js';
import type { BuildEvent, EventError, FinalImage, StepRebuild, WatchTrigger } from '../build/events.js';
import { formatBytes, formatDuration, formatSavings } from './format.js';
import { buildLayerRows } from './layer-table.js';
import type { Reporter, ReporterOptions } from './reporter.js';

/** Prefix of lines that belong to the run rather than a step. */
const RUN_PREFIX = 'weld';
/** Widest `created by` column in the layer table; longer text is cut with `…`. */
const INSTRUCTION_COLUMN_WIDTH = 70;
/** Widest label column; a longer step label is cut with `…`, so that one long label does not push every line right. */
export const LABEL_COLUMN_WIDTH = 24;
/** Widest failed instruction printed on the `instruction:` line; the step's log shows it whole. */
const FAILED_INSTRUCTION_WIDTH = 100;

/** Removes escape sequences and carriage-return redraws so lines stay one line. */
function cleanLine(line: string): string {
  // eslint-disable-next-line no-control-regex
  const withoutEscapes = line.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*(\x07|\x1b\\)|\x1b[@-Z\\-_]/g, '');
  const lastRedraw = withoutEscapes.lastIndexOf('\r');
  return lastRedraw >= 0 ? withoutEscapes.slice(lastRedraw + 1) : withoutEscapes;
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : text.slice(0, width - 1) + '…';
}

/** Returns `label` cut to LABEL_COLUMN_WIDTH with `…` after its first characters and `tail` characters of its end after that. */
function cutLabel(label: string, tail: number): string {
  const head = LABEL_COLUMN_WIDTH - 1 - tail;
  return `${label.slice(0, head)}…${tail > 0 ? label.slice(-tail) : ''}`;
}

/**
 * Returns the label shown for each step, at most LABEL_COLUMN_WIDTH wide. A long label
 * is cut at the end. When that makes two labels alike, it keeps its start and its end
 * around the `…`, half and half first, then any split that makes it unique. Labels that
 * differ only in the middle get a number at the end.
 */
export function shortenLabels(labels: readonly string[]): Map<string, string> {
  const shown = new Map<string, string>();
  const taken = new Set<string>([RUN_PREFIX, ...labels.filter((label) => label.length <= LABEL_COLUMN_WIDTH)]);
  for (const label of labels) if (label.length <= LABEL_COLUMN_WIDTH) shown.set(label, label);

  const long = labels.filter((label) => label.length > LABEL_COLUMN_WIDTH);
  const half = Math.floor((LABEL_COLUMN_WIDTH - 1) / 2);
  const tails = [0, half, ...Array.from({ length: LABEL_COLUMN_WIDTH - 2 }, (_, index) => index + 1).filter((tail) => tail !== half)];
  for (const [index, label] of long.entries()) {
    const others = long.filter((other) => other !== label);
    const tail = tails.find((candidate) => {
      const cut = cutLabel(label, candidate);
      return !taken.has(cut) && others.every((other) => cutLabel(other, candidate) !== cut);
    });
    const number = `~${index + 1}`;
    const choice = tail === undefined ? `${label.slice(0, LABEL_COLUMN_WIDTH - 1 - number.length)}…${number}` : cutLabel(label, tail);
    taken.add(choice);
    shown.set(label, choice);
  }
  return shown;
}

/** Returns the lines of the layer table of a final image. */
export function formatLayerTable(image: FinalImage): string[] {
  const rows = buildLayerRows(image);
  const sizes = rows.map((row) => formatBytes(row.sizeBytes));
  const sizeWidth = Math.max(4, ...sizes.map((size) => size.length));
  const lines = [`${'SIZE'.padStart(sizeWidth)}   SHARE  CREATED BY`];
  rows.forEach((row, index) => {
    const share = `${(row.share * 100).toFixed(1)} %`.padStart(7);
    lines.push(`${sizes[index]!.padStart(sizeWidth)} ${share}  ${cut(row.instruction.replace(/\s+/g, ' '), INSTRUCTION_COLUMN_WIDTH)}`);
  });
  return lines;
}

/** Returns what started a watch run: `main.go and 3 more changed`, `first run`, `rebuild requested`. */
function describeTrigger(trigger: WatchTrigger, pathCount: number): string {
  if (trigger.kind === 'start') return 'first run';
  if (trigger.kind === 'request') return 'rebuild requested';
  const others = pathCount > 1 ? ` and ${pathCount - 1} more` : '';
  return `${trigger.path ?? 'a file'}${others} changed`;
}

/** Returns the steps a watch run rebuilds with why: `builder (main.go), production (after builder)`. */
export function describeRebuilds(steps: StepRebuild[]): string {
  if (steps.length === 0) return 'nothing';
  const reasons: Record<StepRebuild['reason'], (because?: string) => string> = {
    initial: () => '',
    changed: (because) => ` (${because})`,
    upstream: (because) => ` (after ${because})`,
    'build-file': (because) => ` (${because})`,
    unfinished: (because) => ` (unfinished, needed by ${because})`,
    requested: () => '',
  };
  return steps.map((rebuild) => `${rebuild.step}${reasons[rebuild.reason](rebuild.because)}`).join(', ');
}

/** Returns the wall-clock time of an event as HH:MM:SS. */
export function formatClock(time: number): string {
  return new Date(time).toTimeString().slice(0, 8);
}

/** Formats a size change with its sign: `+1.2 kB`, `-12 kB`, `±0 B`. */
function formatSizeChange(deltaBytes: number): string {
  if (deltaBytes > 0) return `+${formatBytes(deltaBytes)}`;
  if (deltaBytes < 0) return `-${formatBytes(-deltaBytes)}`;
  return '±0 B';
}

/** Returns the one line a watch run ends with: outcome, time, trigger, steps, final sizes and their change. */
function formatRunSummary(event: Extract<BuildEvent, { type: 'watch-run-summary' }>): string {
  const images = event.finalImages.map((image) => {
    if (image.deltaBytes === undefined) return `${image.image} ${formatBytes(image.sizeBytes)}`;
    return `${image.image} ${formatBytes(image.sizeBytes)} (${formatSizeChange(image.deltaBytes)})`;
  });
  const parts = [
    `run ${event.run} ${event.outcome} in ${formatDuration(event.durationMs)}`,
    formatClock(event.time),
    `${describeTrigger(event.trigger, event.pathCount)} → ${event.steps.map((rebuild) => rebuild.step).join(', ') || 'nothing'}`,
    ...images,
  ];
  return parts.join(' · ');
}

export function createPlainReporter(options: ReporterOptions): Reporter {
  const { stdout } = options;
  let width = RUN_PREFIX.length;
  let labels = new Map<string, string>();
  const logs = new Map<string, string[]>();
  /** The errors of the run's failed steps, in the order they failed (several with --keep-going). */
  let failures: Array<EventError & { step?: string }> = [];

  const write = (prefix: string, text: string): void => {
    const shown = labels.get(prefix) ?? cut(prefix, LABEL_COLUMN_WIDTH);
    stdout.write(`${shown.padEnd(width)} | ${text}\n`);
  };

  /** Sets the label column for `steps`, so that it does not widen while a run goes on. */
  const setLabels = (steps: string[]): void => {
    labels = shortenLabels(steps);
    width = Math.max(RUN_PREFIX.length, ...[...labels.values()].map((label) => label.length));
  };

  const handle = (event: BuildEvent): void => {
    switch (event.type) {
      case 'run-started': {
        setLabels(event.steps.map((step) => step.label));
        logs.clear();
        failures = [];
        const count = event.steps.length === 1 ? '1 step' : `${event.steps.length} steps`;
        write(RUN_PREFIX, `${event.buildFile} · ${count} · Docker ${event.engine.version} at ${event.engine.endpoint}`);
        break;
      }
      case 'step-started':
        write(event.step, 'started');
        break;
      case 'context-sent':
        write(event.step, `sent build context (${formatBytes(event.bytes)})`);
        break;
      case 'step-progress':
        write(event.step, `Step ${event.instruction}/${event.total} : ${event.text}`);
        break;
      case 'step-cached':
        break;
      case 'step-log': {
        const line = cleanLine(event.line);
        write(event.step, line);
        break;
      }
      case 'step-phase':
        break;
      case 'artifact-started': {
        const total = event.totalBytes > 0 ? ` (${formatBytes(event.totalBytes)})` : '';
        write(event.step, `copying ${event.source} → ${event.destination}${total}`);
        break;
      }
      case 'artifact-progress':
        break;
      case 'artifact-finished':
        write(event.step, `copied ${event.source} → ${path.posix.join(event.destination, path.posix.basename(event.source))} (${formatBytes(event.bytes)} in ${formatDuration(event.durationMs)})`);
        break;
      case 'step-finished': {
        const cache = event.cached ? ' (all cached)' : '';
        write(event.step, `done in ${formatDuration(event.durationMs)}${cache} · ${event.image} ${formatBytes(event.sizeBytes)}`);
        break;
      }
      case 'step-failed':
        write(event.step, `failed after ${formatDuration(event.durationMs)}: ${event.error.message}`);
        logs.set(event.step, event.logTail);
        failures.push({ ...event.error, step: event.step });
        break;
      case 'step-cancelled':
        write(event.step, 'cancelled');
        break;
      case 'step-skipped':
        write(event.step, `skipped because ${event.because} did not finish`);
        break;
      case 'warning':
        write(event.step ?? RUN_PREFIX, `warning: ${event.message}`);
        break;
      case 'run-finished':
        finishRun(event);
        break;
      case 'watch-ready': {
        // Set the label column now, so that it does not widen when the first run starts.
        setLabels(event.steps);
        const polling = event.pollMs ? ` (polling every ${event.pollMs} ms)` : '';
        write(RUN_PREFIX, `watching ${event.watchedPaths} ${event.watchedPaths === 1 ? 'path' : 'paths'} for changes${polling}`);
        break;
      }
      case 'watch-triggered': {
        const restarted = event.restarted ? ' · restarts the cancelled run' : '';
        write(RUN_PREFIX, `run ${event.run}: ${describeTrigger(event.trigger, event.pathCount)} → ${describeRebuilds(event.steps)}${restarted}`);
        break;
      }
      case 'watch-error':
        write(RUN_PREFIX, `error: ${event.error.message}`);
        if (event.error.hint) write(RUN_PREFIX, `hint: ${event.error.hint}`);
        if (event.source === 'build-file') write(RUN_PREFIX, `still watching; no run starts until ${(event.files ?? ['build.yml']).join(' and ')} can be planned`);
        break;
      case 'watch-run-summary':
        write(RUN_PREFIX, formatRunSummary(event));
        break;
      case 'watch-stopped': {
        const removed = event.removedPaths.length > 0 ? ` · removed ${event.removedPaths.length} artifact ${event.removedPaths.length === 1 ? 'path' : 'paths'}` : '';
        write(RUN_PREFIX, `stopped watching after ${event.runs} ${event.runs === 1 ? 'run' : 'runs'}${removed}`);
        break;
      }
    }
  };

  const finishRun = (event: Extract<BuildEvent, { type: 'run-finished' }>): void => {
    for (const image of event.finalImages) {
      write(RUN_PREFIX, '');
      write(RUN_PREFIX, `final image ${image.image} · ${formatBytes(image.sizeBytes)} · ${image.layers.length} ${image.layers.length === 1 ? 'layer' : 'layers'}`);
      for (const line of formatLayerTable(image)) write(RUN_PREFIX, line);
      for (const savings of image.savings) write(RUN_PREFIX, formatSavings(image, savings));
    }

    // Every failed step, not only the first, so that --keep-going shows each cause. A run
    // that failed outside any step has only the run's error.
    let errors: Array<EventError & { step?: string }> = failures;
    if (errors.length === 0 && event.error) errors = [event.error];
    for (const error of errors) {
      const label = error.step;
      const tail = label ? (logs.get(label) ?? []) : [];
      write(RUN_PREFIX, '');
      if (label && tail.length > 0) {
        write(RUN_PREFIX, tail.length === 1 ? `last line of ${label}:` : `last ${tail.length} lines of ${label}:`);
        for (const line of tail) write(label, cleanLine(line));
      }
      write(RUN_PREFIX, `error: ${error.message}`);
      // A build failure's message quotes its instruction already, cut when long.
      const { instruction } = error;
      if (instruction && !error.message.includes(instruction) && !error.message.includes(shortenInstruction(instruction))) {
        write(RUN_PREFIX, `instruction: ${cut(instruction.replace(/\s+/g, ' '), FAILED_INSTRUCTION_WIDTH)}`);
      }
      if (error.hint) write(RUN_PREFIX, `hint: ${error.hint}`);
    }

    const verdict = { succeeded: 'succeeded', failed: 'failed', cancelled: 'cancelled' }[event.outcome];
    write(RUN_PREFIX, `${verdict} in ${formatDuration(event.durationMs)}`);
  };

  return {
    handle,
    close: () =>
      new Promise((resolve) => {
        if (stdout.writableNeedDrain) stdout.once('drain', () => resolve());
        else resolve();
      }),
  };
}
