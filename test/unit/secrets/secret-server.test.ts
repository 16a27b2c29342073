import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { InputError } from '../../../src/errors.js';
import { Redactor } from '../../../src/secrets/redact.js';
import { startSecretServer, type SecretServer, type SecretServerCredentials } from '../../../src/secrets/secret-server.js';
import { SecretStore } from '../../../src/secrets/secret-store.js';
import { makeSecretManifest } from './secrets-fixture.js';

const SECRET_VALUE = 'tok-0123456789';

let workDir: string;
let server: SecretServer | undefined;

beforeEach(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'weld-secret-server-'));
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(workDir, { recursive: true, force: true });
});

async function start(credentials?: SecretServerCredentials): Promise<SecretServer> {
  const manifest = makeSecretManifest(workDir, { builder: [{ name: 'api_token', type: 'env', value: 'API_TOKEN' }] });
  const store = SecretStore.fromManifest(manifest, { providers: 'file,env', env: { HABITUS_API_TOKEN: SECRET_VALUE }, redactor: new Redactor() });
  server = await startSecretServer({ store, binding: '127.0.0.1', port: 0, credentials, version: '9.9.9' });
  return server;
}

function get(running: SecretServer, urlPath: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${running.port}${urlPath}`, { headers });
}

function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

describe('secret server', () => {
  it.each([
    { urlPath: '/v1/ping', status: 200, body: '"ok"' },
    { urlPath: '/v1/version', status: 200, body: '"9.9.9"' },
    { urlPath: '/v1/secrets/env/api_token', status: 200, body: SECRET_VALUE },
    { urlPath: '/v1/secrets/env/unknown', status: 404, body: '{"Error":"secret not found"}' },
    { urlPath: '/v1/secrets/file/api_token', status: 404, body: '{"Error":"secret not found"}' },
    { urlPath: '/v1/secrets/vault/api_token', status: 404, body: '{"Error":"secret not found"}' },
    { urlPath: '/v1/secrets/env/%E0%A4%A', status: 404, body: '{"Error":"secret not found"}' },
    { urlPath: '/v2/anything', status: 404, body: '{"Error":"not found"}' },
  ])('answers GET $urlPath with $status', async ({ urlPath, status, body }) => {
    const running = await start();

    const response = await get(running, urlPath);

    expect(response.status).toBe(status);
    expect(await response.text()).toBe(body);
  });

  it('serves a secret as text/plain that no cache keeps', async () => {
    const running = await start();

    const response = await get(running, '/v1/secrets/env/api_token');

    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('rejects methods other than GET and HEAD', async () => {
    const running = await start();

    const response = await fetch(`http://127.0.0.1:${running.port}/v1/secrets/env/api_token`, { method: 'POST' });

    expect(response.status).toBe(405);
    expect(await response.text()).not.toContain(SECRET_VALUE);
  });

  it.each([
    { case: 'no credentials', headers: {} },
    { case: 'a wrong password', headers: basic('habitus', 'wrong') },
    { case: 'a wrong user', headers: basic('someone', 'pw-123456') },
    { case: 'a malformed header', headers: { authorization: 'Bearer pw-123456' } },
  ])('with auth on, answers 401 to $case', async ({ headers }) => {
    const running = await start({ user: 'habitus', password: 'pw-123456' });

    const response = await get(running, '/v1/secrets/env/api_token', headers);

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="weld secret server"');
    expect(await response.text()).not.toContain(SECRET_VALUE);
  });

  it('with auth on, serves the secret to the right credentials', async () => {
    const running = await start({ user: 'habitus', password: 'pw-123456' });

    const response = await get(running, '/v1/secrets/env/api_token', basic('habitus', 'pw-123456'));

    expect(response.status).toBe(200);
    expect(await response.text()).toBe(SECRET_VALUE);
  });

  it('fails with an InputError naming the port when the port is in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const manifest = makeSecretManifest(workDir, { builder: [] });
    const store = SecretStore.fromManifest(manifest, { providers: 'file,env', env: {}, redactor: new Redactor() });

    try {
      const started = startSecretServer({ store, binding: '127.0.0.1', port, version: '1' });

      await expect(started).rejects.toThrow(InputError);
      await expect(started).rejects.toThrow(`cannot start the secret server on 127.0.0.1:${port}: the port is in use`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('stops listening on close', async () => {
    const running = await start();
    const port = running.port;

    await running.close();
    server = undefined;

    await expect(fetch(`http://127.0.0.1:${port}/v1/ping`)).rejects.toThrow();
  });
});
