import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { BuildEvent } from '../../../src/build/events.js';
import { debug, setDebug, setDebugFilter } from '../../../src/debug.js';
import { startSecrets, type SecretFlags, type SecretsSetup } from '../../../src/secrets/start-secrets.js';
import { makeSecretManifest } from './secrets-fixture.js';

let workDir: string;
let setup: SecretsSetup | undefined;

const baseFlags: SecretFlags = {
  secrets: true,
  secProviders: 'file,env',
  binding: '127.0.0.1',
  port: 0,
  authenticationSecretServer: false,
};

beforeEach(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'weld-start-secrets-'));
});

afterEach(async () => {
  await setup?.close();
  setup = undefined;
  await rm(workDir, { recursive: true, force: true });
});

function manifest() {
  return makeSecretManifest(workDir, { builder: [{ name: 'token', type: 'env', value: 'TOKEN' }] });
}

describe('startSecrets', () => {
  it('without --secrets starts no server and passes no build args', async () => {
    setup = await startSecrets(manifest(), { ...baseFlags, secrets: false }, {}, '1.0.0');

    expect(setup.buildArgs).toBeUndefined();
    expect(setup.network).toBeUndefined();
  });

  it('with --secrets passes host and port and builds on the host network', async () => {
    setup = await startSecrets(manifest(), baseFlags, { HABITUS_TOKEN: 'value-1234' }, '1.0.0');

    expect(setup.buildArgs).toEqual({ habitus_host: '127.0.0.1', habitus_port: expect.stringMatching(/^\d+$/) });
    expect(setup.network).toBe('host');
    const response = await fetch(`http://127.0.0.1:${setup.buildArgs!.habitus_port}/v1/secrets/env/token`);
    expect(await response.text()).toBe('value-1234');
  });

  it('keeps the network that --network names', async () => {
    setup = await startSecrets(manifest(), { ...baseFlags, network: 'none' }, { HABITUS_TOKEN: 'value-1234' }, '1.0.0');

    expect(setup.network).toBe('none');
  });

  it.each([
    { binding: '0.0.0.0', host: '127.0.0.1' },
    { binding: '::1', host: '[::1]' },
  ])('tells builds to reach binding $binding at $host', async ({ binding, host }) => {
    setup = await startSecrets(manifest(), { ...baseFlags, binding }, { HABITUS_TOKEN: 'value-1234' }, '1.0.0');

    expect(setup.buildArgs?.habitus_host).toBe(host);
  });

  it('with auth and no password, generates one, passes it and redacts it', async () => {
    setup = await startSecrets(manifest(), { ...baseFlags, authenticationSecretServer: true }, { HABITUS_TOKEN: 'value-1234' }, '1.0.0');
    const events: BuildEvent[] = [];
    const sink = setup.redactEvents((event) => events.push(event));
    const password = setup.buildArgs!.habitus_password!;

    sink({ type: 'step-log', time: 1, step: 'builder', source: 'build', line: `pw=${password} token=value-1234` });

    expect(setup.buildArgs?.habitus_user).toBe('habitus');
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(events[0]).toMatchObject({ line: 'pw=*** token=***' });
  });

  it('redacts the secret values and the password from --debug lines as well', async () => {
    const written: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    setDebug(true);
    try {
      setup = await startSecrets(manifest(), { ...baseFlags, authenticationSecretServer: true }, { HABITUS_TOKEN: 'value-1234' }, '1.0.0');
      debug('test', `build args: token=value-1234 password=${setup.buildArgs!.habitus_password}`);
    } finally {
      setDebug(false);
      setDebugFilter(undefined);
      write.mockRestore();
    }

    const line = written.find((text) => text.includes('test: build args'));
    expect(line).toMatch(/build args: token=\*\*\* password=\*\*\*\n$/);
  });

  it('with auth, uses the user and password the flags give', async () => {
    const flags = { ...baseFlags, authenticationSecretServer: true, userSecretServer: 'ci', passwordSecretServer: 'given-pw' };

    setup = await startSecrets(manifest(), flags, { HABITUS_TOKEN: 'value-1234' }, '1.0.0');

    expect(setup.buildArgs).toMatchObject({ habitus_user: 'ci', habitus_password: 'given-pw' });
    const denied = await fetch(`http://127.0.0.1:${setup.buildArgs!.habitus_port}/v1/ping`);
    expect(denied.status).toBe(401);
  });

  it('fails before serving when a secret cannot be read', async () => {
    const started = startSecrets(manifest(), baseFlags, {}, '1.0.0');

    await expect(started).rejects.toThrow(/HABITUS_TOKEN is not set/);
  });
});
