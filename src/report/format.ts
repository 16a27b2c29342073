// Formatting of sizes, durations and savings, shared by the plain reporter and the
// console so that both print the same numbers in the same words.

import type { FinalImage, Savings } from '../build/events.js';

/** Decimal units as `docker images` prints them: 1 kB is 1,000 bytes. */
const BYTE_UNITS = ['kB', 'MB', 'GB', 'TB', 'PB'] as const;
const BYTES_PER_UNIT = 1000;
/** From this value on a size is printed without a decimal: `811 MB`, not `811.2 MB`. */
const WHOLE_NUMBER_FROM = 100;
const MS_PER_SECOND = 1000;
const SECONDS_PER_MINUTE = 60;
const SECONDS_PER_HOUR = 3600;
/** Eighth blocks for the partial cell at the end of a bar, from 1/8 to 7/8. */
const PARTIAL_BLOCKS = ['▏', '▎', '▍', '▌', '▋', '▊', '▉'] as const;
const FULL_BLOCK = '█';

/** Returns `value` with one decimal, without a trailing `.0`. */
function formatOneDecimal(value: number): string {
  const text = value.toFixed(1);
  return text.endsWith('.0') ? text.slice(0, -2) : text;
}

/** Rounds `value` the way it is printed: whole from 100 on, one decimal below. */
function roundForDisplay(value: number): number {
  return value >= WHOLE_NUMBER_FROM ? Math.round(value) : Math.round(value * 10) / 10;
}

/**
 * Formats a byte count in decimal units with at most one decimal, like docker:
 * `0 B`, `512 B`, `1.5 kB`, `4.5 MB`, `6 MB`, `811 MB`, `1.2 GB`.
 */
export function formatBytes(bytes: number): string {
  const count = Number.isFinite(bytes) && bytes > 0 ? Math.round(bytes) : 0;
  if (count < BYTES_PER_UNIT) return `${count} B`;

  let value = count;
  for (const [index, unit] of BYTE_UNITS.entries()) {
    value /= BYTES_PER_UNIT;
    const rounded = roundForDisplay(value);
    // 999,960 bytes round to 1000 kB, which reads better as 1 MB.
    if (rounded < BYTES_PER_UNIT || index === BYTE_UNITS.length - 1) {
      return rounded >= WHOLE_NUMBER_FROM ? `${rounded} ${unit}` : `${formatOneDecimal(rounded)} ${unit}`;
    }
  }
  return `${count} B`;
}

/**
 * Formats a duration: `0.4s` and `12.3s` under a minute, `2m 05s` under an hour,
 * `1h 02m` from there on.
 */
export function formatDuration(ms: number): string {
  const safeMs = Number.isFinite(ms) && ms > 0 ? ms : 0;
  const tenths = Math.round(safeMs / 100);
  if (tenths < SECONDS_PER_MINUTE * 10) return `${(tenths / 10).toFixed(1)}s`;

  const seconds = Math.round(safeMs / MS_PER_SECOND);
  if (seconds < SECONDS_PER_HOUR) {
    const minutes = Math.floor(seconds / SECONDS_PER_MINUTE);
    return `${minutes}m ${String(seconds % SECONDS_PER_MINUTE).padStart(2, '0')}s`;
  }
  const minutes = Math.round(seconds / SECONDS_PER_MINUTE);
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** Formats a size ratio: `180×` from 10 on, `2.5×` below, `∞×` for an empty image. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return '∞×';
  return ratio >= 10 ? `${Math.round(ratio)}×` : `${ratio.toFixed(1)}×`;
}

/** Formats a share of 0 to 100 with one decimal and a spaced sign: `99.4 %`. */
export function formatPercent(percent: number): string {
  return `${percent.toFixed(1)} %`;
}

/**
 * Formats the savings line of a final image against one builder step:
 * `helloworld:latest 4.5 MB · builder 811 MB · 180× smaller (99.4 % saved)`.
 * An image larger than its builder reads `… · 1.3× larger (30.0 % more)`, and one within
 * 0.05 % of its size `… · the same size`.
 */
export function formatSavings(finalImage: FinalImage, savings: Savings): string {
  const sizes = `${finalImage.image} ${formatBytes(finalImage.sizeBytes)} · ${savings.againstStep} ${formatBytes(savings.againstSizeBytes)}`;
  // Both images on one base with a small artifact: `1.0× smaller (0.0 % saved)` carries no information.
  if (Math.abs(savings.percentSaved) < 0.05) return `${sizes} · the same size`;
  if (savings.ratio >= 1) {
    return `${sizes} · ${formatRatio(savings.ratio)} smaller (${formatPercent(savings.percentSaved)} saved)`;
  }
  const larger = savings.ratio > 0 ? 1 / savings.ratio : Number.POSITIVE_INFINITY;
  return `${sizes} · ${formatRatio(larger)} larger (${formatPercent(-savings.percentSaved)} more)`;
}

/**
 * Draws `fraction` (0 to 1) of `width` cells with full blocks and one eighth block
 * for the remainder, padding the rest with `empty`.
 */
export function formatBar(fraction: number, width: number, empty = ' '): string {
  const cells = Math.max(0, Math.floor(width));
  const clamped = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const eighths = Math.round(clamped * cells * 8);
  const full = Math.floor(eighths / 8);
  const partial = eighths % 8 === 0 ? '' : PARTIAL_BLOCKS[(eighths % 8) - 1]!;
  const drawn = FULL_BLOCK.repeat(full) + partial;
  return drawn + empty.repeat(cells - full - partial.length);
}
