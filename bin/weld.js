#!/usr/bin/env node
// Starts the weld command from the bundle in dist/bundle/ (see bundle.mjs).
import { loadBundle } from './load-bundle.js';

const { main } = loadBundle();
const code = await main(process.argv.slice(2));

// Exit once stdout has drained: the engine client keeps sockets open that would
// otherwise hold the process after the run.
if (process.stdout.writableNeedDrain && !process.stdout.destroyed) {
  process.stdout.once('drain', () => process.exit(code));
} else {
  process.exit(code);
}
