// Problems found in build.yml, collected so that one error can list all of them.

import path from 'node:path';

import { InputError } from '../errors.js';
import type { YamlPath } from './positions.js';

/** One thing wrong with build.yml. */
export interface Problem {
  /** Description of the fault, naming the key, value or step but not the file and line. */
  message: string;
  /** Change that fixes it. */
  hint: string;
  /** 1-based line in build.yml. */
  line: number;
  /** 1-based column, when the YAML parser reports one. */
  column?: number;
  /** Path of the key or value the problem is about. */
  path?: YamlPath;
}

/** Returns `file` as people see it: relative to the current folder when inside it, absolute otherwise. */
export function displayPath(file: string): string {
  const absolute = path.resolve(file);
  const relative = path.relative(process.cwd(), absolute);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
}

function location(file: string, problem: Problem): string {
  return problem.column === undefined ? `${file}:${problem.line}` : `${file}:${problem.line}:${problem.column}`;
}

/**
 * Turns problems into one InputError. A single problem keeps its own hint. Several are
 * listed one a line, sorted by line, each followed by its hint.
 */
export function problemsError(file: string, problems: readonly Problem[]): InputError {
  const sorted = [...problems].sort((a, b) => a.line - b.line);

  if (sorted.length === 1) {
    const [problem] = sorted as [Problem];
    return new InputError(`${problem.message} (${location(file, problem)})`, { hint: problem.hint });
  }

  const lines = sorted.map((problem) => `- ${problem.message} (${location(file, problem)}); hint: ${problem.hint}`);
  return new InputError(`${file} has ${sorted.length} problems:\n${lines.join('\n')}`, {
    hint: 'fix each problem at the line it names, then run weld again',
  });
}
