// The shape of build.yml as Habitus reads it (build/manifest.go, schema versions 2016-02-13
// and 2016-03-14), checked with zod. Unlike Habitus, which ignores keys it does not know,
// every object here is strict, so that a misspelt key is reported instead of dropped.

import * as z from 'zod';

/** Schema versions Habitus accepts; they differ only in that 2016-02-13 ignores `secrets`. */
export const SUPPORTED_VERSIONS = ['2016-03-14', '2016-02-13'] as const;

export type ManifestVersion = (typeof SUPPORTED_VERSIONS)[number];

/** The first version whose steps may declare `secrets`. */
export const SECRETS_VERSION: ManifestVersion = '2016-03-14';

/**
 * The scalars that Go's yaml.v2 (v2.4.0, resolve.go), which Habitus reads build.yml with,
 * resolves to booleans: the YAML 1.1 words. yaml.v2 takes them unquoted for a boolean field,
 * and keeps their text as written in a string field.
 */
export const YAML_BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((word) => [word, true] as const),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((word) => [word, false] as const),
]);

/** A scalar read as text; the YAML schema of build.yml reads every scalar but null as a string. */
const text = z.string();

/**
 * A boolean key: one of the YAML_BOOLEANS words. yaml.v2 rejects a quoted word here, but the
 * YAML schema keeps no quoting, so weld accepts the words quoted too.
 */
const flag = z.preprocess((value) => (typeof value === 'string' ? (YAML_BOOLEANS.get(value) ?? value) : value), z.boolean());

/** An optional scalar; null (a key with no value) counts as absent, as in Habitus. */
const optionalText = text.nullish();

const textList = z.array(text).nullish();

export const secretSchema = z.strictObject({
  type: z.enum(['file', 'env']),
  value: text,
});

export const cleanupSchema = z.strictObject({
  commands: textList,
});

export const stepSchema = z.strictObject({
  name: text,
  dockerfile: optionalText,
  context: optionalText,
  args: z.record(z.string(), z.string().nullable()).nullish(),
  artifacts: textList,
  depends_on: textList,
  target: optionalText,
  no_cache: flag.nullish(),
  cleanup: cleanupSchema.nullish(),
  command: optionalText,
  after_build_command: optionalText,
  secrets: z.record(z.string(), secretSchema).nullish(),
});

/** One step as written under `steps`, after validation. */
export type RawStep = z.output<typeof stepSchema>;

export const buildSchema = z.strictObject({
  version: z.enum(SUPPORTED_VERSIONS),
  // Checked elsewhere, the shape first and then step by step, so that one bad step does not
  // hide the problems of the others. Optional here, so that a missing `steps` is reported once.
  steps: z.unknown().optional(),
  // Habitus reads `work_dir` but never uses it, because its `-d` flag sets the work dir.
  // weld accepts and ignores it too, so that such files still load.
  work_dir: optionalText,
});

export const documentSchema = z.strictObject({
  build: buildSchema,
});

/**
 * Keys that other build tools use for what build.yml calls differently, mapped to the
 * build.yml key, for hints that edit distance would not find.
 */
export const KEY_ALIASES: Readonly<Record<string, string>> = {
  image: 'name',
  tag: 'name',
  file: 'dockerfile',
  build_args: 'args',
  buildargs: 'args',
  'build-args': 'args',
  arguments: 'args',
  dependencies: 'depends_on',
  needs: 'depends_on',
};

/** Returns the keys valid in the mapping at a schema location, for "did you mean" hints. */
export function knownKeys(container: 'document' | 'build' | 'step' | 'cleanup' | 'secret'): string[] {
  const shapes = {
    document: documentSchema.shape,
    build: buildSchema.shape,
    step: stepSchema.shape,
    cleanup: cleanupSchema.shape,
    secret: secretSchema.shape,
  };
  return Object.keys(shapes[container]);
}
