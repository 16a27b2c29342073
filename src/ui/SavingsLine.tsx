// The savings line of a final image against one step it took artifacts from.

import { Text } from 'ink';
import type { FinalImage, Savings } from '../build/events.js';
import { formatSavings } from '../report/format.js';

export interface SavingsLineProps {
  image: FinalImage;
  savings: Savings;
}

/** Draws `helloworld:latest 4.5 MB · builder 811 MB · 180× smaller (99.4 % saved)`. */
export function SavingsLine({ image, savings }: SavingsLineProps) {
  return (
    <Text color={savings.ratio >= 1 ? 'green' : 'yellow'} bold>
      {formatSavings(image, savings)}
    </Text>
  );
}
