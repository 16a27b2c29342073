// The Ink console as a Reporter. Events go into the store as they come, and the
// screen is redrawn from the store's latest state at most every RENDER_INTERVAL_MS.
// So a step printing thousands of lines a second costs one render per interval.
// The CLI loads this module with import() only when the console is shown, so that
// plain and NDJSON runs never load Ink or React.

import { render } from 'ink';
import type { BuildEvent } from '../build/events.js';
import type { Reporter, ReporterOptions } from '../report/reporter.js';
import { ConsoleApp } from './ConsoleApp.js';
import { createConsoleStore } from './console-store.js';

export interface ConsoleOptions extends ReporterOptions {
  /** Build file shown in the header until the run names it. */
  buildFile: string;
  /** Work dir shown in the header until the run names it. */
  workDir: string;
  /** Watch mode keeps the app open between runs. */
  watch?: boolean;
  /** Called on `r` in watch mode to rebuild every step; the key is offered only when set. */
  onRebuild?: () => void;
  /** Ends the process on the second quit key; `process.exit` unless a test replaces it. */
  forceExit?: (code: number) => void;
}

/** Shortest time between two renders: at most 10 frames a second, whatever the event rate. */
export const RENDER_INTERVAL_MS = 100;

/** Starts the console on `options.stdout` and returns the reporter that feeds it. */
export async function createConsoleReporter(options: ConsoleOptions): Promise<Reporter> {
  const store = createConsoleStore();
  const forceExit = options.forceExit ?? ((code: number) => process.exit(code));
  const renderApp = (closing: boolean) => (
    <ConsoleApp
      state={store.getState()}
      buildFile={options.buildFile}
      workDir={options.workDir}
      watch={options.watch ?? false}
      closing={closing}
      onCancel={options.onCancel}
      onRebuild={options.onRebuild}
      forceExit={forceExit}
    />
  );
  // Ctrl-C arrives as a key in raw mode; ConsoleApp turns it into a clean cancel.
  const instance = render(renderApp(false), {
    stdout: options.stdout,
    stdin: options.stdin ?? process.stdin,
    exitOnCtrlC: false,
    patchConsole: false,
  });

  let timer: NodeJS.Timeout | undefined;
  let lastRenderAt = 0;
  const renderLatest = () => {
    timer = undefined;
    lastRenderAt = Date.now();
    instance.rerender(renderApp(false));
  };
  const unsubscribe = store.subscribe(() => {
    if (timer !== undefined) return;
    const wait = Math.max(0, lastRenderAt + RENDER_INTERVAL_MS - Date.now());
    timer = setTimeout(renderLatest, wait);
  });

  let closed: Promise<void> | undefined;
  const close = async () => {
    unsubscribe();
    clearTimeout(timer);
    timer = undefined;
    instance.rerender(renderApp(true));
    // Asked for before unmount: Ink settles the promise only if it exists by then.
    const exited = instance.waitUntilExit();
    instance.unmount();
    await exited;
  };

  return {
    handle(event: BuildEvent) {
      if (closed !== undefined) return;
      // run-started clears the printed output of the run before, so whatever of it
      // is still waiting for the next render is drawn first.
      if (event.type === 'run-started' && timer !== undefined) {
        clearTimeout(timer);
        renderLatest();
      }
      store.dispatch(event);
    },
    close() {
      closed ??= close();
      return closed;
    },
  };
}
