// build.yml text → Manifest: YAML with positions, `_env(NAME)` substitution, validation,
// then defaults and absolute paths. Touches no disk; `checkManifestPaths` does that.

import path from 'node:path';

import { debug } from '../debug.js';
import { isArtifactSpecError, parseArtifactSpec } from './artifacts.js';
import { fieldSpec } from './fields.js';
import { readYaml } from './read-yaml.js';
import { displayPath, problemsError, type Problem } from './problems.js';
import type { SourcePositions, YamlPath } from './positions.js';
import { substituteEnv, type EnvValues } from './substitute-env.js';
import { validateDocument, type ValidStep } from './validate.js';
import type { ArtifactSpec, Manifest, SecretSpec, Step } from './types.js';

export interface ParseOptions {
  /** Path of build.yml (absolute or relative to process.cwd()); used for messages and `Manifest.file`. */
  file: string;
  /**
   * Work dir that contexts and artifact destinations are relative to. Defaults to the
   * current folder, as Habitus's `-d` does (not the folder of build.yml).
   */
  workDir?: string;
  /** Values for `_env(NAME)`; a name missing here (or undefined) is an error. */
  env: EnvValues;
  /** The environment weld started with, given when `env` holds only the `--env` pairs, so that messages can tell the two apart. */
  shellEnv?: EnvValues;
}

/** Lines of a parsed build.yml that `checkManifestPaths` names in its messages. */
export interface ManifestLines {
  /** Returns the line of `key` in step `label`, or undefined when the step does not write it. */
  stepKeyLine(label: string, key: string): number | undefined;
  /** Returns the line of entry `index` of the step's `artifacts`, or undefined when the text has no position for it. */
  artifactLine(label: string, index: number): number | undefined;
}

export interface ParsedManifest {
  manifest: Manifest;
  lines: ManifestLines;
  /** build.yml as messages name it. */
  fileLabel: string;
}

function sameYamlPath(a: YamlPath, b: YamlPath): boolean {
  return a.length === b.length && a.every((segment, index) => segment === b[index]);
}

/** Parses an artifact spec that validation has already accepted. */
function parseValidArtifact(spec: string): ArtifactSpec {
  const result = parseArtifactSpec(spec);
  if (isArtifactSpecError(result)) throw new Error(`artifact \`${spec}\` passed validation but does not parse: ${result.reason}`);
  return result;
}

/** Returns the line of each `depends_on` entry by the label it names; the first entry wins. */
function dependencyLines(label: string, dependsOn: readonly string[], positions: SourcePositions): Map<string, number> {
  const lines = new Map<string, number>();
  dependsOn.forEach((dependency, index) => {
    if (!lines.has(dependency)) lines.set(dependency, positions.valueLine(['build', 'steps', label, 'depends_on', index]));
  });
  return lines;
}

function toStep(step: ValidStep, workDir: string, positions: SourcePositions): Step {
  const { raw, label } = step;
  // An empty string counts as absent, as in Habitus, where `context: ""` means the work dir.
  const context = raw.context || '.';
  const contextDir = path.resolve(workDir, context);
  const dockerfile = raw.dockerfile || 'Dockerfile';

  const args = Object.fromEntries(Object.entries(raw.args ?? {}).map(([name, value]) => [name, value === null ? '' : String(value)]));
  const secrets: SecretSpec[] = Object.entries(raw.secrets ?? {}).map(([name, secret]) => ({
    name,
    type: secret.type,
    value: secret.value,
    line: positions.keyLine(['build', 'steps', label, 'secrets', name]),
  }));

  return {
    label,
    name: raw.name,
    contextDir,
    context,
    dockerfile,
    dockerfilePath: path.resolve(contextDir, dockerfile),
    args,
    artifacts: (raw.artifacts ?? []).map(parseValidArtifact),
    dependsOn: raw.depends_on ?? [],
    dependsOnLines: dependencyLines(label, raw.depends_on ?? [], positions),
    target: raw.target || undefined,
    ...(raw.target ? { targetLine: positions.keyLine(['build', 'steps', label, 'target']) } : {}),
    noCache: raw.no_cache ?? false,
    cleanupCommands: raw.cleanup?.commands ?? [],
    command: raw.command || undefined,
    afterBuildCommand: raw.after_build_command || undefined,
    secrets,
    line: positions.keyLine(['build', 'steps', label]),
  };
}

/** Parses build.yml text and returns the Manifest with the lines later checks need. */
export function parseManifestWithLines(text: string, options: ParseOptions): ParsedManifest {
  const file = path.resolve(options.file);
  const workDir = path.resolve(options.workDir ?? process.cwd());
  const fileLabel = displayPath(file);

  const document = readYaml(text, fileLabel);
  if (document.value === undefined || document.value === null) {
    throw problemsError(fileLabel, [{ message: 'the file is empty', hint: fieldSpec([])!.hint, line: 1 }]);
  }

  const substituted = substituteEnv(document.value, document.positions, options.env, options.shellEnv);
  const { positions } = substituted;
  const validation = validateDocument(substituted.value, positions);

  // A value that still contains `_env(NAME)` fails other checks only because NAME is unset.
  const consequential = (problem: Problem) => problem.path !== undefined && substituted.unresolved.some((unresolved) => sameYamlPath(unresolved, problem.path!));
  const problems = [...substituted.problems, ...validation.problems.filter((problem) => !consequential(problem))];
  if (problems.length > 0) throw problemsError(fileLabel, problems);

  if (typeof (substituted.value as { build: { work_dir?: unknown } }).build.work_dir === 'string') {
    debug('manifest', `ignoring build.work_dir as Habitus does; the work dir is ${workDir}`);
  }

  const manifest: Manifest = {
    file,
    workDir,
    // Validation leaves no problems only when the version is supported.
    version: validation.version!,
    steps: validation.steps.map((step) => toStep(step, workDir, positions)),
  };
  debug('manifest', `read ${manifest.steps.length} steps from ${fileLabel} (version ${manifest.version})`);

  const lines: ManifestLines = {
    stepKeyLine(label, key) {
      const node = positions.find(['build', 'steps', label, key]);
      return node ? (node.keyLine ?? node.line) : undefined;
    },
    artifactLine(label, index) {
      return positions.find(['build', 'steps', label, 'artifacts', index])?.line;
    },
  };
  return { manifest, lines, fileLabel };
}

/**
 * Parses build.yml text into a Manifest without touching the disk. Throws one InputError
 * that lists every problem found, each with its line.
 */
export function parseManifest(text: string, options: ParseOptions): Manifest {
  return parseManifestWithLines(text, options).manifest;
}
