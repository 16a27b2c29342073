// The screen size, updated on resize so that the layout follows the terminal.

import { useStdout } from 'ink';
import { useEffect, useState } from 'react';
import { DEFAULT_COLUMNS, DEFAULT_ROWS } from './layout.js';

export interface TerminalSize {
  columns: number;
  rows: number;
}

function readSize(stdout: NodeJS.WriteStream): TerminalSize {
  return { columns: stdout.columns || DEFAULT_COLUMNS, rows: stdout.rows || DEFAULT_ROWS };
}

/** Returns the columns and rows of Ink's stdout, re-rendering when the terminal is resized. */
export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => readSize(stdout));

  useEffect(() => {
    const onResize = () => setSize(readSize(stdout));
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}
