// The secrets build.yml declares, by provider, as Habitus registers them: one registry
// for the whole file, so a step may fetch a secret another step declares. The `file`
// provider reads a file on this host. The `env` provider reads the variable
// `HABITUS_<value>`: Habitus 1.0 introduced the prefix so that a build cannot ask for
// any variable of the host.

import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { InputError } from '../errors.js';
import { displayPath } from '../manifest/problems.js';
import type { Manifest, SecretSpec } from '../manifest/types.js';
import type { Redactor } from './redact.js';

/** Providers weld supports, as `--sec-providers` and build.yml name them. */
export const SECRET_PROVIDERS = ['file', 'env'] as const;

export type SecretProvider = (typeof SECRET_PROVIDERS)[number];

/** Prefix of the host variables the `env` provider reads. */
export const ENV_SECRET_PREFIX = 'HABITUS_';

export interface SecretStoreOptions {
  /** Providers allowed, from `--sec-providers` (comma separated). */
  providers: string;
  /** Environment the `env` provider reads. */
  env: Record<string, string | undefined>;
  /** Every value read is added here, so that weld's output never shows it. */
  redactor: Redactor;
}

/** One registered secret and the step that declared it, for messages. */
interface RegisteredSecret extends SecretSpec {
  step: string;
  line: number;
  /** Absolute file path for `file`; the full variable name for `env`. */
  source: string;
}

/** Parses `--sec-providers` and rejects names weld does not know. */
export function parseProviders(list: string): Set<SecretProvider> {
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of names) {
    if (!(SECRET_PROVIDERS as readonly string[]).includes(name)) {
      throw new InputError(`--sec-providers names an unknown secret provider "${name}"`, {
        hint: `use a comma-separated list of ${SECRET_PROVIDERS.join(' and ')}`,
      });
    }
  }
  return new Set(names as SecretProvider[]);
}

function sourceOf(manifest: Manifest, secret: SecretSpec): string {
  if (secret.type === 'env') return `${ENV_SECRET_PREFIX}${secret.value}`;
  return path.resolve(manifest.workDir, secret.value);
}

/** Returns why a secret file cannot be read, to complete "the file X …". */
async function describeUnreadable(file: string): Promise<string> {
  const code = await readFile(file).then(
    () => undefined,
    (error: NodeJS.ErrnoException) => error.code,
  );
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EISDIR') return 'is a folder';
  if (code === 'EACCES') return 'cannot be read: permission denied';
  return `cannot be read${code ? ` (${code})` : ''}`;
}

/** The secrets of one build.yml, read on request. */
export class SecretStore {
  private readonly registry = new Map<SecretProvider, Map<string, RegisteredSecret>>();

  private constructor(
    private readonly manifest: Manifest,
    private readonly options: SecretStoreOptions,
  ) {}

  /**
   * Registers every secret of `manifest`. Throws an `InputError` for a provider that
   * `--sec-providers` leaves out, as Habitus does, and for one name declared twice
   * with different sources, where Habitus would keep whichever came last.
   */
  static fromManifest(manifest: Manifest, options: SecretStoreOptions): SecretStore {
    const store = new SecretStore(manifest, options);
    const allowed = parseProviders(options.providers);

    for (const step of manifest.steps) {
      for (const secret of step.secrets) {
        if (!allowed.has(secret.type)) {
          throw new InputError(`secret \`${secret.name}\` of step \`${step.label}\` (${displayPath(manifest.file)}:${secret.line ?? step.line}) uses the ${secret.type} provider, which --sec-providers leaves out`, {
            hint: `add ${secret.type} to --sec-providers (now "${options.providers}"), or remove the secret`,
          });
        }
        const byName = store.registry.get(secret.type) ?? new Map<string, RegisteredSecret>();
        store.registry.set(secret.type, byName);
        const registered: RegisteredSecret = { ...secret, step: step.label, line: secret.line ?? step.line, source: sourceOf(manifest, secret) };
        const earlier = byName.get(secret.name);
        if (earlier && earlier.source !== registered.source) {
          throw new InputError(`secret ${secret.type}/${secret.name} is declared by steps \`${earlier.step}\` and \`${step.label}\` with different values (${displayPath(manifest.file)}:${registered.line})`, {
            hint: 'the secret server has one name space per provider; give one of the secrets another name',
          });
        }
        byName.set(secret.name, registered);
      }
    }
    return store;
  }

  /** Count of secrets registered. */
  get size(): number {
    let count = 0;
    for (const byName of this.registry.values()) count += byName.size;
    return count;
  }

  /**
   * Reads every secret once, so that a missing file or variable fails before any step
   * builds, and so that every value is known to the redactor from the start.
   */
  async check(): Promise<void> {
    for (const byName of this.registry.values()) {
      for (const secret of byName.values()) {
        const value = await this.readRegistered(secret);
        if (value !== undefined) continue;
        const problem = secret.type === 'env' ? `the variable ${secret.source} is not set` : `the file ${secret.source} ${await describeUnreadable(secret.source)}`;
        throw new InputError(`secret \`${secret.name}\` of step \`${secret.step}\` (${displayPath(this.manifest.file)}:${secret.line}): ${problem}`, {
          hint: secret.type === 'env' ? `export ${secret.source} before running weld (the env provider adds the ${ENV_SECRET_PREFIX} prefix)` : 'check the path; a relative path starts at the work dir',
        });
      }
    }
  }

  /** Returns the current value of a secret, or undefined when it is not registered or cannot be read. */
  async read(type: string, name: string): Promise<Buffer | undefined> {
    const secret = this.registry.get(type as SecretProvider)?.get(name);
    if (!secret) return undefined;
    return this.readRegistered(secret);
  }

  private async readRegistered(secret: RegisteredSecret): Promise<Buffer | undefined> {
    let value: Buffer | undefined;
    if (secret.type === 'env') {
      const text = this.options.env[secret.source];
      value = text === undefined ? undefined : Buffer.from(text, 'utf8');
    } else {
      value = await readFile(secret.source).catch(() => undefined);
    }
    if (value !== undefined) this.options.redactor.add(value.toString('utf8'));
    return value;
  }
}
