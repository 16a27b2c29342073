// Checks the substituted build.yml against the schema and across steps, collecting every
// problem instead of stopping at the first.

import { isArtifactSpecError, parseArtifactSpec } from './artifacts.js';
import { fieldSpec } from './fields.js';
import { checkImageName } from './image-name.js';
import { describeValue, problemsFromIssues, valueAt } from './issues.js';
import type { SourcePositions, YamlPath } from './positions.js';
import type { Problem } from './problems.js';
import { documentSchema, SECRETS_VERSION, stepSchema, SUPPORTED_VERSIONS, type ManifestVersion, type RawStep } from './schema.js';
import { orderedKeys } from './substitute-env.js';
import { closestMatch } from './suggest.js';

/** A step that passed the schema. */
export interface ValidStep {
  label: string;
  raw: RawStep;
}

/** Result of validation: the version and the valid steps when there are any, and the problems. */
export interface Validation {
  version?: ManifestVersion;
  /** Steps that passed the schema, in the order build.yml lists them. */
  steps: ValidStep[];
  problems: Problem[];
}

/**
 * A step as written, before the schema. The checks across steps read it directly, so that
 * a type error in one key of a step does not hide a bad `depends_on` in the same step.
 */
interface StepEntry {
  label: string;
  value: unknown;
}

const STEPS_PATH: YamlPath = ['build', 'steps'];

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stepsShapeProblem(build: Record<string, unknown>, positions: SourcePositions): Problem | undefined {
  const steps = build.steps;
  const line = positions.keyLine(STEPS_PATH);

  if (steps === undefined) {
    return { message: 'missing key `steps` under `build`', hint: 'add `steps:` with at least one step indented under it', line: positions.keyLine(['build']) };
  }
  if (Array.isArray(steps)) {
    return {
      message: '`steps` under `build` is a list, but Habitus reads steps as a mapping keyed by step label',
      hint: 'remove the `- ` before each step label, so that each step is `label:` with its keys indented under it',
      line,
    };
  }
  if (steps === null || (isMapping(steps) && Object.keys(steps).length === 0)) {
    return { message: 'no steps under `build.steps`', hint: 'add a step: a label such as `app:` with `name: app` indented under it', line };
  }
  if (!isMapping(steps)) {
    return {
      message: `\`steps\` under \`build\` must be ${fieldSpec(STEPS_PATH)!.expected}, found ${describeValue(steps)}`,
      hint: fieldSpec(STEPS_PATH)!.hint,
      line: positions.valueLine(STEPS_PATH),
    };
  }
  return undefined;
}

function field(entry: StepEntry, key: string): unknown {
  return isMapping(entry.value) ? entry.value[key] : undefined;
}

/** Returns the text items of a list with their indexes. */
function textItems(value: unknown): Array<[number, string]> {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, index): Array<[number, string]> => (typeof item === 'string' ? [[index, item]] : []));
}

function imageNameOf(entry: StepEntry): string | undefined {
  const name = field(entry, 'name');
  return typeof name === 'string' ? name : undefined;
}

function emptyNameProblems(entries: readonly StepEntry[], positions: SourcePositions): Problem[] {
  return entries
    .filter((entry) => imageNameOf(entry) === '')
    .map((entry) => {
      const path = [...STEPS_PATH, entry.label, 'name'];
      return { message: `\`name\` in step \`${entry.label}\` is empty`, hint: fieldSpec(path)!.hint, line: positions.valueLine(path), path };
    });
}

function imageNameProblems(entries: readonly StepEntry[], positions: SourcePositions): Problem[] {
  return entries.flatMap((entry) => {
    const name = imageNameOf(entry);
    const error = name ? checkImageName(name) : undefined;
    if (!error) return [];
    const path = [...STEPS_PATH, entry.label, 'name'];
    return [{ message: `image name \`${name}\` in step \`${entry.label}\` ${error.reason}`, hint: error.hint, line: positions.valueLine(path), path }];
  });
}

function artifactProblems(entries: readonly StepEntry[], positions: SourcePositions): Problem[] {
  return entries.flatMap((entry) =>
    textItems(field(entry, 'artifacts')).flatMap(([index, spec]) => {
      const result = parseArtifactSpec(spec);
      if (!isArtifactSpecError(result)) return [];
      const path = [...STEPS_PATH, entry.label, 'artifacts', index];
      return [{ message: `artifact \`${spec}\` in step \`${entry.label}\` ${result.reason}`, hint: result.hint, line: positions.valueLine(path), path }];
    }),
  );
}

/** Image names `app` and `app:latest` are the same image. */
function imageKey(name: string): string {
  const lastSlash = name.lastIndexOf('/');
  const hasTagOrDigest = name.includes('@') || name.lastIndexOf(':') > lastSlash;
  return hasTagOrDigest ? name : `${name}:latest`;
}

function duplicateNameProblems(entries: readonly StepEntry[], positions: SourcePositions): Problem[] {
  const firstByImage = new Map<string, { label: string; name: string }>();
  const problems: Problem[] = [];

  for (const entry of entries) {
    const name = imageNameOf(entry);
    if (!name) continue;
    const first = firstByImage.get(imageKey(name));
    if (!first) {
      firstByImage.set(imageKey(name), { label: entry.label, name });
      continue;
    }

    const written = first.name === name ? '' : ` (written \`${first.name}\` there)`;
    const path = [...STEPS_PATH, entry.label, 'name'];
    problems.push({
      message: `step \`${entry.label}\` builds image \`${name}\`, which step \`${first.label}\` also builds${written}`,
      hint: 'give each step its own `name`; later steps refer to an earlier step\'s image by this name in `FROM`',
      line: positions.valueLine(path),
      path,
    });
  }
  return problems;
}

function dependencyProblems(entries: readonly StepEntry[], positions: SourcePositions): Problem[] {
  const labels = entries.map((entry) => entry.label);

  return entries.flatMap((entry) =>
    textItems(field(entry, 'depends_on')).flatMap(([index, dependency]) => {
      if (labels.includes(dependency)) return [];

      const byImageName = entries.find((other) => imageNameOf(other) === dependency);
      const suggestion = closestMatch(dependency, labels);
      const hint = byImageName
        ? `\`${dependency}\` is the image name of step \`${byImageName.label}\`; \`depends_on\` lists step labels, so write \`${byImageName.label}\``
        : suggestion
          ? `did you mean \`${suggestion}\`?`
          : `\`depends_on\` lists step labels; the steps here are ${labels.map((label) => `\`${label}\``).join(', ')}`;
      const path = [...STEPS_PATH, entry.label, 'depends_on', index];
      return [{ message: `step \`${entry.label}\` depends on \`${dependency}\`, which is not a step label`, hint, line: positions.valueLine(path), path }];
    }),
  );
}

function secretsVersionProblems(entries: readonly StepEntry[], version: ManifestVersion | undefined, positions: SourcePositions): Problem[] {
  if (version === undefined || version === SECRETS_VERSION) return [];

  return entries
    .filter((entry) => {
      const secrets = field(entry, 'secrets');
      return isMapping(secrets) && Object.keys(secrets).length > 0;
    })
    .map((entry) => ({
      message: `\`secrets\` in step \`${entry.label}\` need build schema version ${SECRETS_VERSION}, but the file declares ${version}`,
      hint: `set \`version: ${SECRETS_VERSION}\`; Habitus ignores \`secrets\` under ${version}, so the build would run without them`,
      line: positions.keyLine([...STEPS_PATH, entry.label, 'secrets']),
    }));
}

/**
 * Returns the part of the document the envelope schema checks. Habitus reads only `build`
 * and ignores other top-level keys, which files use to hold YAML anchors. Without `build`,
 * the keys that look like a misspelt `build` are kept, so that the error names them.
 */
function envelopeOf(document: unknown): unknown {
  if (!isMapping(document)) return document;
  if ('build' in document) return { build: document.build };
  return Object.fromEntries(Object.entries(document).filter(([key]) => closestMatch(key, ['build']) === 'build'));
}

/** Validates the whole document: envelope, each step, then the checks across steps. */
export function validateDocument(document: unknown, positions: SourcePositions): Validation {
  const problems: Problem[] = [];

  const envelope = documentSchema.safeParse(envelopeOf(document));
  if (!envelope.success) problems.push(...problemsFromIssues(envelope.error.issues, [], document, positions));

  const build = valueAt(document, ['build']);
  const versionValue = valueAt(document, ['build', 'version']);
  const version = SUPPORTED_VERSIONS.find((supported) => supported === versionValue);
  if (!isMapping(build)) return { version, steps: [], problems };

  const shapeProblem = stepsShapeProblem(build, positions);
  if (shapeProblem) return { version, steps: [], problems: [...problems, shapeProblem] };

  const stepsValue = build.steps as Record<string, unknown>;
  const entries = orderedKeys(stepsValue, positions.find(STEPS_PATH)).map((label) => ({ label, value: stepsValue[label] }));
  const steps: ValidStep[] = [];

  for (const entry of entries) {
    const parsed = stepSchema.safeParse(entry.value);
    if (parsed.success) steps.push({ label: entry.label, raw: parsed.data });
    else problems.push(...problemsFromIssues(parsed.error.issues, [...STEPS_PATH, entry.label], entry.value, positions));
  }

  problems.push(...emptyNameProblems(entries, positions));
  problems.push(...imageNameProblems(entries, positions));
  problems.push(...artifactProblems(entries, positions));
  problems.push(...duplicateNameProblems(entries, positions));
  problems.push(...dependencyProblems(entries, positions));
  problems.push(...secretsVersionProblems(entries, version, positions));

  return { version, steps, problems };
}
