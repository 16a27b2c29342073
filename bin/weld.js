#!/usr/bin/env node
// Starts the weld command from the compiled sources in dist/.
import { main } from '../dist/cli/main.js';

const code = await main(process.argv.slice(2));

// Exit once stdout has drained: the engine client keeps sockets open that would
// otherwise hold the process after the run.
if (process.stdout.writableNeedDrain) {
  process.stdout.once('drain', () => process.exit(code));
} else {
  process.exit(code);
}
