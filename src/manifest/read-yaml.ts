// Loads the YAML text of build.yml into plain values plus the line of every key and value.

import yaml from 'js-yaml';

import { InputError } from '../errors.js';
import { SourcePositions, trackPositions } from './positions.js';

/** js-yaml's built-in scalar types; js-yaml 4 exports them, but @types/js-yaml 4 does not declare them. */
export const yamlTypes = (yaml as unknown as { types: Record<'null' | 'merge', yaml.Type> }).types;

/**
 * Habitus decodes build.yml with Go's yaml.v2 into string fields, which keep a scalar's text
 * as written: `version: 2016-03-14` stays a string, `1.10` stays `1.10` and `yes` stays `yes`.
 * This schema does the same, because it resolves only null and merge keys and reads every
 * other scalar as a string. js-yaml's default schema would turn the version into a Date.
 * The schema of build.yml turns the boolean words into booleans for its boolean keys.
 */
export const MANIFEST_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({
  implicit: [yamlTypes.null, yamlTypes.merge],
});

/** build.yml as loaded: the value and where each part of it sits in the text. */
export interface YamlDocument {
  value: unknown;
  positions: SourcePositions;
}

const SYNTAX_HINTS: ReadonlyArray<[RegExp, string]> = [
  [/duplicated mapping key/, 'a key may appear only once in a mapping; remove or rename the repeated one'],
  [/indentation|tab/i, 'indent with spaces, and line up the keys of one mapping at the same column'],
  [/single document/, 'build.yml holds one YAML document; remove the extra `---` separator'],
];

/** Parses `text`; a syntax error becomes an InputError naming the file, line and column. */
export function readYaml(text: string, fileLabel: string): YamlDocument {
  const tracker = trackPositions(text);

  let value: unknown;
  try {
    value = yaml.load(text, { filename: fileLabel, schema: MANIFEST_SCHEMA, listener: tracker.listener });
  } catch (error) {
    if (!(error instanceof yaml.YAMLException)) throw error;
    throw syntaxError(error, fileLabel);
  }

  return { value, positions: new SourcePositions(tracker.tree()) };
}

function syntaxError(error: yaml.YAMLException, fileLabel: string): InputError {
  const reason = error.reason || 'the text is not valid YAML';
  const at = error.mark ? `${fileLabel}:${error.mark.line + 1}:${error.mark.column + 1}` : fileLabel;
  const snippet = error.mark?.snippet ? `\n${error.mark.snippet}` : '';
  const hint = SYNTAX_HINTS.find(([pattern]) => pattern.test(reason))?.[1] ?? 'fix the YAML syntax at the marked position';

  return new InputError(`invalid YAML: ${reason} (${at})${snippet}`, { hint, cause: error });
}
