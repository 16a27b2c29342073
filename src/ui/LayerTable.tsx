// The layer-size table of a final image: size, share of the image as a bar, and
// the instruction that made each layer, newest layer first as `docker history`
// lists them.

import { Box, Text } from 'ink';
import type { FinalImage } from '../build/events.js';
import { formatBar, formatBytes, formatPercent } from '../report/format.js';
import { buildLayerRows } from '../report/layer-table.js';
import { COMPACT_BELOW_COLUMNS } from './layout.js';

export interface LayerTableProps {
  image: FinalImage;
  width: number;
}

const WIDE_FROM_COLUMNS = 120;
const BAR_WIDTH_WIDE = 20;
const BAR_WIDTH_NARROW = 10;
const INDEX_WIDTH = 3;
/** Short layer ids are 12 hex digits; `<missing>` is shorter. */
const ID_WIDTH = 12;
const SIZE_WIDTH = 7;
/** `100.0 %` is the widest share. */
const PERCENT_WIDTH = 7;
const GAP = 2;

/** Returns a fixed-width cell, its text aligned left or right. */
function renderCell(text: string, width: number, align: 'left' | 'right', dim = false) {
  return (
    <Box width={width} flexShrink={0} justifyContent={align === 'right' ? 'flex-end' : 'flex-start'}>
      <Text dimColor={dim}>{text}</Text>
    </Box>
  );
}

/**
 * Draws a title line, a column header and one row per layer; rows are keyed by
 * position. Below COMPACT_BELOW_COLUMNS the id and the bar are left out so that
 * the instruction keeps some room.
 */
export function LayerTable({ image, width }: LayerTableProps) {
  const rows = buildLayerRows(image);
  const compact = width < COMPACT_BELOW_COLUMNS;
  let barWidth = width >= WIDE_FROM_COLUMNS ? BAR_WIDTH_WIDE : BAR_WIDTH_NARROW;
  if (compact) barWidth = 0;
  const idWidth = compact ? 0 : GAP + ID_WIDTH;
  const layerCount = `${rows.length} ${rows.length === 1 ? 'layer' : 'layers'}`;

  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text bold>{image.image}</Text>
        <Text dimColor>{` · ${image.step} · ${formatBytes(image.sizeBytes)} · ${layerCount}`}</Text>
      </Text>
      <Box>
        {renderCell('#', INDEX_WIDTH, 'right', true)}
        {!compact && renderCell('  LAYER', idWidth, 'left', true)}
        {renderCell('SIZE', GAP + SIZE_WIDTH, 'right', true)}
        {renderCell(compact ? 'SHARE' : '  SHARE', compact ? 1 + PERCENT_WIDTH : GAP + barWidth + 1 + PERCENT_WIDTH, compact ? 'right' : 'left', true)}
        <Box paddingLeft={GAP} flexShrink={1}>
          <Text dimColor wrap="truncate-end">CREATED BY</Text>
        </Box>
      </Box>
      {rows.map((row, index) => (
        <Box key={index}>
          {renderCell(String(index + 1), INDEX_WIDTH, 'right')}
          {!compact && renderCell(`  ${row.id}`, idWidth, 'left', row.id === '<missing>')}
          {renderCell(formatBytes(row.sizeBytes), GAP + SIZE_WIDTH, 'right')}
          {!compact && (
            <Box flexShrink={0} paddingLeft={GAP}>
              <Text color="cyan">{formatBar(row.share, barWidth, '░')}</Text>
            </Box>
          )}
          {renderCell(formatPercent(row.share * 100), 1 + PERCENT_WIDTH, 'right')}
          <Box paddingLeft={GAP} flexShrink={1} flexGrow={1}>
            <Text wrap="truncate-end">{row.instruction.replace(/\s+/g, ' ')}</Text>
          </Box>
        </Box>
      ))}
      {rows.length === 0 && <Text dimColor>  (the engine reported no layer history)</Text>}
    </Box>
  );
}
