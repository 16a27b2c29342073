// `_env(NAME)` substitution. Habitus replaces each `_env(NAME)` in the raw text of build.yml
// before parsing it, so references work in keys and values alike, and an unset variable
// becomes an empty string. weld substitutes in the parsed keys and values instead, which
// keeps line numbers exact and cannot break the YAML structure. An unset variable is an
// error here, because an empty image name or secret path fails later with a less clear message.

import { describeLocation, describeSubject } from './fields.js';
import { SourcePositions, type NodePosition, type YamlPath } from './positions.js';
import type { Problem } from './problems.js';
import { yamlTypes } from './read-yaml.js';

/** build.yml after substitution. */
export interface EnvSubstitution {
  value: unknown;
  /** Positions re-keyed by the substituted keys. */
  positions: SourcePositions;
  /** Unset variables, one per place that uses them. */
  problems: Problem[];
  /** Paths of keys and values that still hold an unresolved `_env(…)`. */
  unresolved: YamlPath[];
}

/** Variable values by name; undefined means "not set". */
export type EnvValues = Readonly<Record<string, string | undefined>>;

// Habitus matches `(?U)_env\((.*)\)`: the shortest text up to the first `)` on the same line.
const ENV_REFERENCE = /_env\(([^)\n]*)\)/g;
const WHOLE_REFERENCE = /^_env\([^)\n]*\)$/;
/** A variable name as POSIX shells write it. An unset name that does not match is reported as invalid, not as unset. */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function missingHint(name: string): string {
  return `set ${name} in the environment, or pass \`--env ${name}=VALUE\` (once any \`--env\` is given, weld reads only those values)`;
}

/**
 * With Habitus's text substitution, a value that is only `_env(NAME)` is read as YAML after
 * the replacement, so an empty variable leaves no value. This repeats that for null. A
 * boolean word such as `yes` stays text, as every scalar does, for the schema of its key.
 */
function resolveScalar(text: string): unknown {
  if (text === '' || yamlTypes.null.resolve(text)) return null;
  return text;
}

type Walked = { value: unknown; node: NodePosition | undefined };

class Substitution {
  readonly problems: Problem[] = [];
  readonly unresolved: YamlPath[] = [];
  private readonly reported = new Set<string>();

  /** `shellEnv` is the environment weld started with, given when `env` holds only the `--env` pairs. */
  constructor(
    private readonly env: EnvValues,
    private readonly shellEnv?: EnvValues,
  ) {}

  /** Replaces the references in `text`; `place` names the key or value for messages. */
  replace(text: string, path: YamlPath, place: { subject: string; line: number }): string {
    let unresolved = false;

    const replaced = text.replace(ENV_REFERENCE, (reference, inner: string) => {
      const name = inner.trim();
      const value = name ? this.env[name] : undefined;
      if (value !== undefined) return value;

      unresolved = true;
      this.report(name, reference, place);
      return reference;
    });

    if (unresolved) this.unresolved.push(path);
    return replaced;
  }

  private report(name: string, reference: string, place: { subject: string; line: number }): void {
    const key = `${name}\u0000${place.line}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);

    if (!name) {
      this.problems.push({
        message: `${place.subject} uses \`${reference}\`, which names no environment variable`,
        hint: 'write the variable name between the parentheses, e.g. `_env(HOME)`',
        line: place.line,
      });
      return;
    }
    if (!VARIABLE_NAME.test(name)) {
      this.problems.push({
        message: `${place.subject} uses \`${reference}\`, but \`${name}\` is not a valid environment variable name`,
        hint: 'a name is letters, digits and `_`, and does not start with a digit; write one name between the parentheses, e.g. `_env(BUCKET_NAME)`',
        line: place.line,
      });
      return;
    }
    if (this.shellEnv !== undefined) {
      const inShell = this.shellEnv[name] !== undefined;
      this.problems.push({
        message: `\`${name}\` is not among the --env pairs; ${place.subject} uses \`${reference}\``,
        hint: inShell
          ? `${name} is set in the environment, but once any \`--env\` is given weld reads only the --env pairs: add \`--env ${name}=VALUE\``
          : `add \`--env ${name}=VALUE\`; once any \`--env\` is given, weld reads only the --env pairs`,
        line: place.line,
      });
      return;
    }
    this.problems.push({
      message: `environment variable \`${name}\` is not set; ${place.subject} uses \`${reference}\``,
      hint: missingHint(name),
      line: place.line,
    });
  }

  /**
   * Substitutes inside `value`. `node` is its position in the original text (looked up by the
   * keys as written), `path` its path by the substituted keys, and `line` the line to use
   * when the text has no position for it.
   */
  walk(value: unknown, node: NodePosition | undefined, path: YamlPath, line: number): Walked {
    const valueLine = node?.line ?? line;

    if (typeof value === 'string') {
      const replaced = this.replace(value, path, { subject: describeSubject(path), line: valueLine });
      const resolved = replaced !== value && WHOLE_REFERENCE.test(value) ? resolveScalar(replaced) : replaced;
      return { value: resolved, node };
    }

    if (Array.isArray(value)) {
      const entries = new Map<string | number, NodePosition>();
      const items = value.map((item, index) => {
        const child = this.walk(item, node?.entries.get(index), [...path, index], valueLine);
        if (child.node) entries.set(index, child.node);
        return child.value;
      });
      return { value: items, node: node && { ...node, entries } };
    }

    if (value !== null && typeof value === 'object') {
      return this.walkMapping(value as Record<string, unknown>, node, path, valueLine);
    }

    return { value, node };
  }

  private walkMapping(mapping: Record<string, unknown>, node: NodePosition | undefined, path: YamlPath, line: number): Walked {
    const result: Record<string, unknown> = {};
    const entries = new Map<string | number, NodePosition>();

    for (const key of orderedKeys(mapping, node)) {
      const child = node?.entries.get(key);
      const keyLine = child?.keyLine ?? child?.line ?? line;
      const keyPlace = { subject: `the key \`${key}\` ${describeLocation(path)}`, line: keyLine };
      const newKey = this.replace(key, [...path, key], keyPlace);

      if (Object.hasOwn(result, newKey)) {
        this.problems.push({
          message: `the key \`${key}\` ${describeLocation(path)} becomes \`${newKey}\` after \`_env\` substitution, which is already a key there`,
          hint: 'give the keys different names or variables',
          line: keyLine,
        });
        continue;
      }

      const walked = this.walk(mapping[key], child, [...path, newKey], keyLine);
      // defineProperty, because assigning a `__proto__` key would replace the prototype.
      Object.defineProperty(result, newKey, { value: walked.value, enumerable: true, writable: true, configurable: true });
      if (walked.node) entries.set(newKey, walked.node);
    }

    return { value: result, node: node && { ...node, entries } };
  }
}

/** Returns the keys of `mapping` in the order the text lists them (js-yaml puts integer-like keys first). */
export function orderedKeys(mapping: Record<string, unknown>, node: NodePosition | undefined): string[] {
  const listed = node ? [...node.entries.keys()].filter((key): key is string => typeof key === 'string' && Object.hasOwn(mapping, key)) : [];
  const rest = Object.keys(mapping).filter((key) => !listed.includes(key));
  return [...listed, ...rest];
}

/** Replaces every `_env(NAME)` in the keys and string values of `value` with `env[NAME]`. */
export function substituteEnv(value: unknown, positions: SourcePositions, env: EnvValues, shellEnv?: EnvValues): EnvSubstitution {
  const substitution = new Substitution(env, shellEnv);
  const result = substitution.walk(value, positions.root, [], 1);

  return {
    value: result.value,
    positions: new SourcePositions(result.node),
    problems: substitution.problems,
    unresolved: substitution.unresolved,
  };
}
