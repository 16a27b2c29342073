// The one debug logger: silent unless `--debug` (or WELD_DEBUG=1) turns it on, and
// then it writes to stderr so it never mixes with NDJSON on stdout.

/**
 * Whether debug output is on. It lives on globalThis so that the copy of this module
 * in the separately bundled console (see bundle.mjs) reads the same setting.
 */
interface DebugState {
  enabled: boolean;
  /** Function applied to each line before it is written, which secrets set to redact their values. */
  filter?: (line: string) => string;
}

const STATE_KEY = Symbol.for('weld.debug');
const shared = globalThis as { [STATE_KEY]?: DebugState };
const state: DebugState = (shared[STATE_KEY] ??= { enabled: process.env.WELD_DEBUG === '1' });

/** Turns debug output on or off. */
export function setDebug(on: boolean): void {
  state.enabled = on;
}

/**
 * Passes every later debug line through `filter` before it is written, so that secret
 * values known to the redactor stay out of stderr too. Undefined removes the filter.
 */
export function setDebugFilter(filter: ((line: string) => string) | undefined): void {
  state.filter = filter;
}

/** Returns whether `--debug` is on. */
export function isDebug(): boolean {
  return state.enabled;
}

/** Writes a debug line for `scope`, with the time since weld started, when debug output is on. */
export function debug(scope: string, message: string, ...details: unknown[]): void {
  if (!state.enabled) return;
  const rest = details.map((detail) => (typeof detail === 'string' ? detail : JSON.stringify(detail))).join(' ');
  // Milliseconds since the process started, to show where the time goes.
  const elapsed = Math.round(performance.now());
  const line = `debug ${elapsed}ms ${scope}: ${message}${rest ? ' ' + rest : ''}`;
  process.stderr.write(`${state.filter ? state.filter(line) : line}\n`);
}
