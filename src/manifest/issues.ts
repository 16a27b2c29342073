// Turns zod issues into problems worded for build.yml, with the line of the key or value.

import type * as z from 'zod';

import { describeLocation, describeSubject, fieldSpec } from './fields.js';
import type { SourcePositions, YamlPath } from './positions.js';
import type { Problem } from './problems.js';
import { KEY_ALIASES, knownKeys } from './schema.js';
import { closestMatch } from './suggest.js';

type Issue = z.core.$ZodIssue;

/** Returns the value at `path` inside `root`, or undefined. */
export function valueAt(root: unknown, path: YamlPath): unknown {
  let current = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** Returns a short description of what a YAML value is, for "found …". */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'no value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'boolean') return `\`${value}\``;
  return `the string \`${String(value)}\``;
}

function containerOf(path: YamlPath): Parameters<typeof knownKeys>[0] | undefined {
  if (path.length === 0) return 'document';
  if (path.length === 1 && path[0] === 'build') return 'build';
  if (path[0] !== 'build' || path[1] !== 'steps') return undefined;
  if (path.length === 3) return 'step';
  if (path.length === 4 && path[3] === 'cleanup') return 'cleanup';
  if (path.length === 5 && path[3] === 'secrets') return 'secret';
  return undefined;
}

/** A key that is not valid where it is written, and the valid key it most likely meant. */
interface UnknownKey {
  problem: Problem;
  suggestion?: string;
}

function unknownKeys(mappingPath: YamlPath, keys: readonly string[], positions: SourcePositions): UnknownKey[] {
  const container = containerOf(mappingPath);
  const valid = container ? knownKeys(container) : [];

  return keys.map((key) => {
    const alias = KEY_ALIASES[key.toLowerCase()];
    const suggestion = alias && valid.includes(alias) ? alias : closestMatch(key, valid);
    const hint = suggestion
      ? `did you mean \`${suggestion}\`?`
      : valid.length > 0
        ? `valid keys here: ${valid.join(', ')}`
        : 'remove the key';
    const path = [...mappingPath, key];
    const problem = { message: `unknown key \`${key}\` ${describeLocation(mappingPath)}`, hint, line: positions.keyLine(path), path };
    return { problem, suggestion };
  });
}

/** A value of the wrong type or form; `missing` when the key is not there at all. */
interface WrongValue {
  problem: Problem;
  missing: boolean;
}

function wrongValue(path: YamlPath, value: unknown, positions: SourcePositions, fallback: string): WrongValue {
  const spec = fieldSpec(path);
  const key = path.at(-1);

  if (value === undefined || (value === null && spec !== undefined)) {
    const parent = path.slice(0, -1);
    const missing = value === undefined;
    const problem = {
      message: missing ? `missing key \`${String(key)}\` ${describeLocation(parent)}` : `${describeSubject(path)} has no value`,
      hint: spec?.hint ?? `add \`${String(key)}\``,
      line: missing ? positions.keyLine(parent) : positions.keyLine(path),
      path,
    };
    return { problem, missing };
  }

  const expected = spec ? `must be ${spec.expected}` : `is invalid (${fallback})`;
  const problem = {
    message: `${describeSubject(path)} ${expected}, found ${describeValue(value)}`,
    hint: spec?.hint ?? 'fix the value',
    line: positions.valueLine(path),
    path,
  };
  return { problem, missing: false };
}

function pathKey(path: YamlPath): string {
  return JSON.stringify(path);
}

/**
 * Returns one problem for each zod issue. `basePath` is where the validated value sits in
 * the document and `data` is that value. A missing key is not reported when an unknown key
 * beside it is a likely misspelling of it, because the "did you mean" hint already names the fix.
 */
export function problemsFromIssues(issues: readonly Issue[], basePath: YamlPath, data: unknown, positions: SourcePositions): Problem[] {
  const unknown: UnknownKey[] = [];
  const wrong: WrongValue[] = [];

  for (const issue of issues) {
    const relative = issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment));
    const path = [...basePath, ...relative];
    if (issue.code === 'unrecognized_keys') unknown.push(...unknownKeys(path, issue.keys, positions));
    else wrong.push(wrongValue(path, valueAt(data, relative), positions, issue.message));
  }

  const misspelt = new Set(unknown.flatMap(({ problem, suggestion }) => (suggestion ? [pathKey([...problem.path!.slice(0, -1), suggestion])] : [])));
  const reported = wrong.filter(({ problem, missing }) => !(missing && misspelt.has(pathKey(problem.path!))));
  return [...unknown, ...reported].map(({ problem }) => problem);
}
