// Everything `--secrets` and its companion flags set up for a run: the secret store,
// the server, the build args that point builds at it, the network builds need to
// reach it, and the redaction of secret values from weld's output.

import { randomBytes } from 'node:crypto';

import type { EventSink } from '../build/events.js';
import { debug, setDebugFilter } from '../debug.js';
import type { Manifest } from '../manifest/types.js';
import { createRedactingSink, Redactor } from './redact.js';
import { startSecretServer, type SecretServer, type SecretServerCredentials } from './secret-server.js';
import { SecretStore } from './secret-store.js';

/** The command-line flags that concern secrets. */
export interface SecretFlags {
  secrets: boolean;
  secProviders: string;
  binding: string;
  port: number;
  authenticationSecretServer: boolean;
  userSecretServer?: string;
  passwordSecretServer?: string;
  /** `--network`, which wins over the host network the server needs. */
  network?: string;
}

/** The parts of the secrets set-up that a run uses. */
export interface SecretsSetup {
  /** Build args for the steps (`habitus_host`, `habitus_port`, `habitus_user`, `habitus_password`); absent when no server runs. */
  buildArgs?: Record<string, string>;
  /** Network mode for builds: `--network` when given, else `host` while the server runs. */
  network?: string;
  /** Wraps an event sink so that no secret value reaches it. */
  redactEvents(sink: EventSink): EventSink;
  /** Stops the server, if one runs. */
  close(): Promise<void>;
}

/** User name the server requires when auth is on and `--user-secret-server` is not given. */
const DEFAULT_USER = 'habitus';

/** Returns the host a build on the host network uses to reach `binding`. */
function hostForBuilds(binding: string): string {
  // A wildcard binding listens on loopback too, which every build on the host network reaches.
  if (binding === '0.0.0.0' || binding === '::' || binding === '') return '127.0.0.1';
  return binding.includes(':') ? `[${binding}]` : binding;
}

function resolveCredentials(flags: SecretFlags): SecretServerCredentials | undefined {
  if (!flags.authenticationSecretServer) return undefined;
  // A generated password is good for this run only, which matters because the classic
  // builder writes build args into the history of every RUN that declares them.
  const password = flags.passwordSecretServer ?? randomBytes(18).toString('base64url');
  return { user: flags.userSecretServer ?? DEFAULT_USER, password };
}

/**
 * Registers the secrets of `manifest` (checking their providers against
 * `--sec-providers` even without `--secrets`, as Habitus does) and, with `--secrets`,
 * reads each one, starts the server and returns the build args and network for the
 * steps. Throws an `InputError` for a disallowed provider, a missing file or variable,
 * or an address the server cannot listen on.
 */
export async function startSecrets(manifest: Manifest, flags: SecretFlags, env: Record<string, string | undefined>, version: string): Promise<SecretsSetup> {
  const redactor = new Redactor();
  setDebugFilter((line) => redactor.redact(line));
  const store = SecretStore.fromManifest(manifest, { providers: flags.secProviders, env, redactor });
  const redactEvents = (sink: EventSink): EventSink => createRedactingSink(sink, redactor);
  if (!flags.secrets) return { network: flags.network, redactEvents, close: async () => {} };

  await store.check();
  const credentials = resolveCredentials(flags);
  if (credentials) redactor.add(credentials.password);
  const server: SecretServer = await startSecretServer({ store, binding: flags.binding, port: flags.port, credentials, version });
  debug('secrets', `serving ${store.size} secret(s) on ${server.address}:${server.port}`);

  const buildArgs: Record<string, string> = { habitus_host: hostForBuilds(flags.binding), habitus_port: String(server.port) };
  if (credentials) {
    buildArgs.habitus_user = credentials.user;
    buildArgs.habitus_password = credentials.password;
  }
  return { buildArgs, network: flags.network ?? 'host', redactEvents, close: () => server.close() };
}
