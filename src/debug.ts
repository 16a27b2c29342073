// The one debug logger: silent unless `--debug` (or WELD_DEBUG=1) turns it on, and
// then it writes to stderr so it never mixes with NDJSON on stdout.

let enabled = process.env.WELD_DEBUG === '1';

/** Turns debug output on or off. */
export function setDebug(on: boolean): void {
  enabled = on;
}

/** Returns whether `--debug` is on. */
export function isDebug(): boolean {
  return enabled;
}

/** Writes a debug line for `scope` when debug output is on. */
export function debug(scope: string, message: string, ...details: unknown[]): void {
  if (!enabled) return;
  const rest = details.map((detail) => (typeof detail === 'string' ? detail : JSON.stringify(detail))).join(' ');
  process.stderr.write(`debug ${scope}: ${message}${rest ? ' ' + rest : ''}\n`);
}
