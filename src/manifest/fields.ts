// Names of places in build.yml for messages ("`depends_on` in step `builder`"), and the
// expected value of each key for the hints of type errors.

import type { YamlPath } from './positions.js';

/** The value a key expects, and a hint on writing it. */
export interface FieldSpec {
  /** Noun phrase of the expected value, e.g. "a list of step labels". */
  expected: string;
  /** Change to make, with an example. */
  hint: string;
}

const FIELD_SPECS: Readonly<Record<string, FieldSpec>> = {
  '': { expected: 'a mapping with the key `build`', hint: 'start the file with `build:`, with `version:` and `steps:` indented under it' },
  build: { expected: 'a mapping with `version` and `steps`', hint: 'indent `version:` and `steps:` under `build:`' },
  'build.version': { expected: 'one of 2016-03-14, 2016-02-13', hint: 'write `version: 2016-03-14` (supported versions: 2016-03-14, 2016-02-13)' },
  'build.work_dir': { expected: 'a string', hint: 'write a folder path, or remove the key: weld takes the work dir from `-d` as Habitus does' },
  'build.steps': { expected: 'a mapping of step labels to steps', hint: 'write each step as `label:` with its keys indented under it' },
  'build.steps.*': { expected: 'a mapping of step keys', hint: 'indent the step\'s keys under its label, e.g. `name: app`' },
  'build.steps.*.name': { expected: 'a string (the image name)', hint: 'write the image name, e.g. `name: app` or `name: app:1.0`' },
  'build.steps.*.dockerfile': { expected: 'a string', hint: 'write a path relative to the step\'s context, e.g. `dockerfile: Dockerfile.builder`' },
  'build.steps.*.context': { expected: 'a string', hint: 'write a folder relative to the work dir, e.g. `context: ./app`' },
  'build.steps.*.args': { expected: 'a mapping of build-arg names to values', hint: 'write one `NAME: value` line per build arg under `args:`' },
  'build.steps.*.args.*': { expected: 'a string, number or boolean', hint: 'write a single value, quoted if needed, e.g. `VERSION: "1.2"`' },
  'build.steps.*.artifacts': { expected: 'a list of artifact paths', hint: 'write one `- /path/in/image[:destination]` line per artifact under `artifacts:`' },
  'build.steps.*.artifacts.[]': { expected: 'a string', hint: 'write `/path/in/image` or `/path/in/image:destination`, quoted if it ends with `:`' },
  'build.steps.*.depends_on': { expected: 'a list of step labels', hint: 'write `depends_on: [label]`, or one `- label` line per step' },
  'build.steps.*.depends_on.[]': { expected: 'a step label', hint: 'write the label of another step (its key under `steps`)' },
  'build.steps.*.target': { expected: 'a string', hint: 'write the name of a stage in the Dockerfile, e.g. `target: build`' },
  'build.steps.*.no_cache': { expected: '`true` or `false`', hint: 'write `no_cache: true` or `no_cache: false` (`yes`/`no` and `on`/`off` work too)' },
  'build.steps.*.cleanup': { expected: 'a mapping with `commands`', hint: 'write `cleanup:` with `commands:` and a list of commands indented under it' },
  'build.steps.*.cleanup.commands': { expected: 'a list of commands', hint: 'write one `- command` line per cleanup command under `commands:`' },
  'build.steps.*.cleanup.commands.[]': { expected: 'a string', hint: 'write the command on one line, quoted if it contains `: `' },
  'build.steps.*.command': { expected: 'a string', hint: 'write the command on one line, e.g. `command: ls /app`' },
  'build.steps.*.after_build_command': { expected: 'a string', hint: 'write the host command on one line, e.g. `after_build_command: ./publish.sh`' },
  'build.steps.*.secrets': { expected: 'a mapping of secret names to `type` and `value`', hint: 'write one `NAME: { type: file, value: /path/to/file }` entry per secret under `secrets:`' },
  'build.steps.*.secrets.*': { expected: 'a mapping with `type` and `value`', hint: 'write `NAME: { type: file, value: /path/to/file }` or `NAME: { type: env, value: VARIABLE }`' },
  'build.steps.*.secrets.*.type': { expected: '`file` or `env`', hint: 'write `type: file` (the value is a file path) or `type: env` (the value is a variable name)' },
  'build.steps.*.secrets.*.value': { expected: 'a string', hint: 'write the file path (type `file`) or the variable name (type `env`)' },
};

function isStepPath(path: YamlPath): boolean {
  return path[0] === 'build' && path[1] === 'steps' && path.length >= 3;
}

/** Returns `path` as a pattern of FIELD_SPECS: step labels, arg and secret names become `*`, list indexes `[]`. */
export function fieldPattern(path: YamlPath): string {
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return '[]';
      if (isStepPath(path) && index === 2) return '*';
      if (isStepPath(path) && index === 4 && (path[3] === 'args' || path[3] === 'secrets')) return '*';
      return segment;
    })
    .join('.');
}

/** Returns what the key at `path` expects, when build.yml has such a key. */
export function fieldSpec(path: YamlPath): FieldSpec | undefined {
  return FIELD_SPECS[fieldPattern(path)];
}

/** Number of leading segments that name the step or secret a path belongs to. */
function containerLength(path: YamlPath): number {
  if (isStepPath(path)) return path[3] === 'secrets' && path.length >= 5 ? 5 : 3;
  return path[0] === 'build' ? 1 : 0;
}

function containerName(container: YamlPath): string {
  if (container.length === 5) return `secret \`${String(container[4])}\` of step \`${String(container[2])}\``;
  if (container.length === 3) return `step \`${String(container[2])}\``;
  return container.length === 1 ? '`build`' : 'the file';
}

/** Formats segments as `cleanup.commands[0]`. */
function formatRelative(segments: YamlPath): string {
  let formatted = '';
  for (const segment of segments) {
    if (typeof segment === 'number') formatted += `[${segment}]`;
    else formatted += formatted === '' ? segment : `.${segment}`;
  }
  return formatted;
}

/** Returns where the mapping at `path` sits: "at the top level", "in step `builder`", "in `cleanup` of step `builder`". */
export function describeLocation(path: YamlPath): string {
  const container = path.slice(0, containerLength(path));
  const rest = formatRelative(path.slice(container.length));

  if (container.length === 0) return rest ? `under \`${rest}\`` : 'at the top level';
  if (container.length === 1) return rest ? `under \`build.${rest}\`` : 'under `build`';
  return rest ? `in \`${rest}\` of ${containerName(container)}` : `in ${containerName(container)}`;
}

/** Returns how a message names the value at `path`: "`depends_on` in step `builder`", "step `builder`". */
export function describeSubject(path: YamlPath): string {
  const container = path.slice(0, containerLength(path));
  if (container.length === path.length) return containerName(container);

  const relative = path.slice(container.length);
  return `\`${formatRelative(relative)}\` ${describeLocation(container)}`;
}

/** Returns the label of the step a path belongs to, if any. */
export function stepLabelOf(path: YamlPath): string | undefined {
  return isStepPath(path) ? String(path[2]) : undefined;
}
