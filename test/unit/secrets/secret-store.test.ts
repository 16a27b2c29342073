import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { InputError } from '../../../src/errors.js';
import { Redactor } from '../../../src/secrets/redact.js';
import { parseProviders, SecretStore } from '../../../src/secrets/secret-store.js';
import { makeSecretManifest } from './secrets-fixture.js';

let workDir: string;

beforeEach(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'weld-secrets-'));
});

afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('SecretStore', () => {
  it('reads an env secret from the HABITUS_-prefixed variable', async () => {
    const manifest = makeSecretManifest(workDir, { builder: [{ name: 'token', type: 'env', value: 'API_TOKEN' }] });
    const env = { API_TOKEN: 'unprefixed', HABITUS_API_TOKEN: 'prefixed-value' };
    const store = SecretStore.fromManifest(manifest, { providers: 'file,env', env, redactor: new Redactor() });

    const value = await store.read('env', 'token');

    expect(value?.toString()).toBe('prefixed-value');
  });

  it('reads a file secret relative to the work dir', async () => {
    await writeFile(path.join(workDir, 'id_rsa'), 'key material\n');
    const manifest = makeSecretManifest(workDir, { builder: [{ name: 'id_rsa', type: 'file', value: 'id_rsa' }] });
    const store = SecretStore.fromManifest(manifest, { providers: 'file,env', env: {}, redactor: new Redactor() });

    const value = await store.read('file', 'id_rsa');

    expect(value?.toString()).toBe('key material\n');
  });

  it('lets a step read a secret another step declares', async () => {
    const manifest = makeSecretManifest(workDir, { builder: [{ name: 'token', type: 'env', value: 'T' }], tester: [] });
    const store = SecretStore.fromManifest(manifest, { providers: 'env', env: { HABITUS_T: 'shared' }, redactor: new Redactor() });

    const value = await store.read('env', 'token');

    expect(value?.toString()).toBe('shared');
  });

  it.each([
    { type: 'env', name: 'missing' },
    { type: 'file', name: 'token' },
    { type: 'vault', name: 'token' },
  ])('returns undefined for $type/$name, which is not registered', async ({ type, name }) => {
    const manifest = makeSecretManifest(workDir, { builder: [{ name: 'token', type: 'env', value: 'T' }] });
    const store = SecretStore.fromManifest(manifest, { providers: 'file,env', env: { HABITUS_T: 'x' }, redactor: new Redactor() });

    const value = await store.read(type, name);

    expect(value).toBeUndefined();
  });

  it('adds every value it reads to the redactor', async () => {
    const redactor = new Redactor();
    const manifest = makeSecretManifest(workDir, { builder: [{ name: 'token', type: 'env', value: 'T' }] });
    const store = SecretStore.fromManifest(manifest, { providers: 'env', env: { HABITUS_T: 'redact-me-please' }, redactor });

    await store.check();

    expect(redactor.redact('value: redact-me-please')).toBe('value: ***');
  });

  it('rejects a provider that --sec-providers leaves out, naming the secret and step', () => {
    const manifest = makeSecretManifest(workDir, { builder: [{ name: 'id_rsa', type: 'file', value: '/x' }] });

    const create = () => SecretStore.fromManifest(manifest, { providers: 'env', env: {}, redactor: new Redactor() });

    expect(create).toThrow(InputError);
    expect(create).toThrow(/secret `id_rsa` of step `builder` \(.*build\.yml:3\) uses the file provider/);
  });

  it('rejects one name declared twice with different sources', () => {
    const manifest = makeSecretManifest(workDir, {
      a: [{ name: 'token', type: 'env', value: 'ONE' }],
      b: [{ name: 'token', type: 'env', value: 'TWO' }],
    });

    const create = () => SecretStore.fromManifest(manifest, { providers: 'env', env: {}, redactor: new Redactor() });

    expect(create).toThrow(/secret env\/token is declared by steps `a` and `b` with different values/);
  });

  it.each([
    { secret: { name: 'token', type: 'env' as const, value: 'UNSET_VARIABLE' }, message: /the variable HABITUS_UNSET_VARIABLE is not set/ },
    { secret: { name: 'key', type: 'file' as const, value: 'no-such-file' }, message: /the file .*no-such-file does not exist/ },
    { secret: { name: 'key', type: 'file' as const, value: '.' }, message: /the file .* is a folder/ },
  ])('check fails before the build for $secret.type secrets that cannot be read', async ({ secret, message }) => {
    const manifest = makeSecretManifest(workDir, { builder: [secret] });
    const store = SecretStore.fromManifest(manifest, { providers: 'file,env', env: {}, redactor: new Redactor() });

    const checked = store.check();

    await expect(checked).rejects.toThrow(InputError);
    await expect(checked).rejects.toThrow(message);
  });
});

describe('parseProviders', () => {
  it.each([
    { list: 'file,env', expected: ['file', 'env'] },
    { list: ' env ', expected: ['env'] },
    { list: '', expected: [] },
  ])('parses "$list"', ({ list, expected }) => {
    const providers = parseProviders(list);

    expect([...providers]).toEqual(expected);
  });

  it('rejects an unknown provider', () => {
    const parse = () => parseProviders('file,vault');

    expect(parse).toThrow(/unknown secret provider "vault"/);
  });
});
