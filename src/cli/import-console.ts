// Loads the Ink console's module. The bundle replaces this file with a call to the
// loader that bin/load-bundle.js passes in (see bundle.mjs).

export type ConsoleModule = typeof import('../ui/console-reporter.js');

/** Imports the console's module. */
export function importConsole(): Promise<ConsoleModule> {
  return import('../ui/console-reporter.js');
}
