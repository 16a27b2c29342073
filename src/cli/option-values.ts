// Parsers of flag values. Each rejects a value out of its flag's range with an InputError
// (exit code 2) that names the flag, the value and the range. Left to the engine or Node,
// such a value fails later as an internal error, far from the flag that set it.

import { InputError } from '../errors.js';

/** The whole numbers a flag takes, and a hint on choosing one. */
export interface WholeNumberRange {
  min: number;
  /** Largest value; no maximum when absent. */
  max?: number;
  hint: string;
}

/** TCP ports the secret server can listen on. */
export const PORT_RANGE: WholeNumberRange = { min: 1, max: 65_535, hint: 'pass a free TCP port from 1 to 65535, e.g. --port 8080' };

export const PARALLEL_RANGE: WholeNumberRange = { min: 0, hint: 'pass how many steps may build at once, e.g. --parallel 2, or 0 for no cap' };

/**
 * Poll intervals in milliseconds: from weld's floor of 50 ms up to 4294967295, the largest
 * interval that Node's fs.watchFile accepts. chokidar polls with fs.watchFile.
 */
export const POLL_RANGE: WholeNumberRange = { min: 50, max: 4_294_967_295, hint: 'pass an interval in milliseconds, e.g. --poll 500, or --poll alone for the default' };

/**
 * CPU shares, where 0 leaves the engine's default of 1024. 262144 is the largest weight the
 * Linux scheduler takes (linuxMaxCPUShares in moby's daemon_unix.go, from the kernel's sched.h).
 */
export const CPU_SHARES_RANGE: WholeNumberRange = { min: 0, max: 262_144, hint: 'pass a relative weight up to 262144, e.g. --docker-cpu-shares 512; 0 leaves the engine\'s default of 1024' };

/** The smallest memory limit the Linux engine accepts for a container (linuxMinMemory in moby's daemon_unix.go). */
const MIN_MEMORY_BYTES = 6 * 1024 ** 2;

const MEMORY_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Returns a parser of a whole number in `range` for `flag`. */
export function parseWholeNumber(flag: string, range: WholeNumberRange): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    const expected = range.max === undefined ? `a whole number of at least ${range.min}` : `a whole number from ${range.min} to ${range.max}`;

    // Number('') is 0, which would pass for an empty value.
    const valid = value.trim() !== '' && Number.isInteger(parsed) && parsed >= range.min && (range.max === undefined || parsed <= range.max);
    if (!valid) throw new InputError(`${flag} takes ${expected}, got "${value}"`, { hint: range.hint });
    return parsed;
  };
}

/** Returns a parser of repeated `NAME=VALUE` values for `flag`, collected into one record. */
export function parseKeyValue(flag: string): (value: string, previous?: Record<string, string>) => Record<string, string> {
  return (value, previous = {}) => {
    const equals = value.indexOf('=');
    if (equals <= 0) {
      throw new InputError(`expected NAME=VALUE for ${flag}, got "${value}"`, { hint: `write the name, \`=\` and the value as one argument, e.g. ${flag} VERSION=1.2` });
    }
    return { ...previous, [value.slice(0, equals)]: value.slice(equals + 1) };
  };
}

/**
 * Parses a docker-style memory size (`512m`, `2g`, `1048576`) into bytes. 0 sets no limit,
 * and so does an empty value, Habitus's default; any other value must reach the engine's
 * minimum of 6 MB.
 */
export function parseMemory(value: string): number {
  if (value === '') return 0;

  const match = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(value.trim());
  if (!match) {
    throw new InputError(`--docker-memory: invalid size "${value}"`, { hint: 'write a number of bytes or use a unit: 512m, 2g' });
  }

  const bytes = Math.round(Number(match[1]) * MEMORY_UNITS[match[2]!.toLowerCase()]!);
  if (bytes !== 0 && bytes < MIN_MEMORY_BYTES) {
    const hint = match[2] === '' ? 'a number without a unit counts bytes: write a unit, e.g. 512m, or 0 for no limit' : 'write 6m or more, e.g. 512m, or 0 for no limit';
    throw new InputError(`--docker-memory: "${value}" is below the engine's minimum memory limit of 6 MB`, { hint });
  }
  if (!Number.isSafeInteger(bytes)) {
    throw new InputError(`--docker-memory: "${value}" is too large`, { hint: `write at most ${Number.MAX_SAFE_INTEGER} bytes, e.g. 64g` });
  }
  return bytes;
}

/**
 * Checks a cpuset such as `0-3,5`: CPU numbers and ascending ranges, separated by commas,
 * as the engine parses `--cpuset-cpus`. The engine checks whether the CPUs exist.
 */
export function parseCpuset(value: string): string {
  // Habitus's default, which leaves the CPUs to the engine.
  if (value === '') return value;

  const parts = value.split(',');
  const valid = parts.every((part) => {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    return range !== null && (range[2] === undefined || Number(range[1]) <= Number(range[2]));
  });
  if (!valid) {
    throw new InputError(`--docker-cpuset-cpus: invalid CPU list "${value}"`, { hint: 'write CPU numbers and ranges separated by commas, e.g. 0-3 or 0,2' });
  }
  return value;
}
