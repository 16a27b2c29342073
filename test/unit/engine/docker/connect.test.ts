import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';

import {
  connectDocker,
  resolveEndpoint,
  toDockerodeOptions,
  type ConnectionOptions,
  type DockerEndpoint,
  type TlsFiles,
} from '../../../../src/engine/docker/connect.js';
import { InputError } from '../../../../src/errors.js';

const tempDirs: string[] = [];

/** Makes a folder holding the given certificate files with placeholder content. */
function makeCertDir(files: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weld-test-engine-certs-'));
  tempDirs.push(dir);
  for (const file of files) writeFileSync(path.join(dir, file), `${file} content\n`);
  return dir;
}

const fullCerts = makeCertDir(['ca.pem', 'cert.pem', 'key.pem']);
const clientOnlyCerts = makeCertDir(['cert.pem', 'key.pem']);
const certWithoutKey = makeCertDir(['ca.pem', 'cert.pem']);
const emptyHome = makeCertDir([]);

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

function resolve(options: Partial<ConnectionOptions> & { env?: ConnectionOptions['env'] }): DockerEndpoint {
  return resolveEndpoint({ ...options, env: { HOME: emptyHome, ...options.env } });
}

function tlsOf(endpoint: DockerEndpoint): TlsFiles | undefined {
  return endpoint.kind === 'tcp' ? endpoint.tls : undefined;
}

function inputErrorOf(action: () => unknown): InputError {
  try {
    action();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('resolveEndpoint', () => {
  test.each<[string, Partial<ConnectionOptions>, DockerEndpoint]>([
    ['nothing set uses the default socket', {}, { kind: 'unix', url: 'unix:///var/run/docker.sock', socketPath: '/var/run/docker.sock' }],
    [
      '--host with a socket path',
      { host: 'unix:///tmp/nothing.sock' },
      { kind: 'unix', url: 'unix:///tmp/nothing.sock', socketPath: '/tmp/nothing.sock' },
    ],
    ['unix:// without a path', { host: 'unix://' }, { kind: 'unix', url: 'unix:///var/run/docker.sock', socketPath: '/var/run/docker.sock' }],
    [
      'DOCKER_HOST with a TCP port',
      { env: { DOCKER_HOST: 'tcp://build-host:1234' } },
      { kind: 'tcp', url: 'tcp://build-host:1234', host: 'build-host', port: 1234, tls: undefined },
    ],
    [
      'a TCP host without a port and without TLS',
      { env: { DOCKER_HOST: 'tcp://build-host' } },
      { kind: 'tcp', url: 'tcp://build-host:2375', host: 'build-host', port: 2375, tls: undefined },
    ],
    [
      'a bare host:port',
      { host: '127.0.0.1:2000' },
      { kind: 'tcp', url: 'tcp://127.0.0.1:2000', host: '127.0.0.1', port: 2000, tls: undefined },
    ],
    [
      'an IPv6 host',
      { host: 'tcp://[::1]:2375' },
      { kind: 'tcp', url: 'tcp://[::1]:2375', host: '::1', port: 2375, tls: undefined },
    ],
    [
      '--host over DOCKER_HOST',
      { host: 'unix:///run/other.sock', env: { DOCKER_HOST: 'tcp://build-host:1234' } },
      { kind: 'unix', url: 'unix:///run/other.sock', socketPath: '/run/other.sock' },
    ],
    [
      'an empty DOCKER_HOST as unset',
      { env: { DOCKER_HOST: '' } },
      { kind: 'unix', url: 'unix:///var/run/docker.sock', socketPath: '/var/run/docker.sock' },
    ],
    [
      'an ssh host with user and port',
      { host: 'ssh://builder@build-host:2222', env: { SSH_AUTH_SOCK: '/tmp/agent.sock' } },
      {
        kind: 'ssh',
        url: 'ssh://builder@build-host:2222',
        host: 'build-host',
        port: 2222,
        username: 'builder',
        agentSocket: '/tmp/agent.sock',
      },
    ],
    [
      'an ssh host alone',
      { env: { DOCKER_HOST: 'ssh://build-host' } },
      { kind: 'ssh', url: 'ssh://build-host', host: 'build-host', port: undefined, username: undefined, agentSocket: undefined },
    ],
  ])('resolves %s', (_name, options, expected) => {
    expect(resolve(options)).toEqual(expected);
  });

  test('turns on verified TLS with DOCKER_TLS_VERIFY and defaults the port to 2376', () => {
    const endpoint = resolve({ env: { DOCKER_HOST: 'tcp://build-host', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: fullCerts } });

    expect(endpoint).toEqual({
      kind: 'tcp',
      url: 'tcp://build-host:2376',
      host: 'build-host',
      port: 2376,
      tls: {
        verify: true,
        caFile: path.join(fullCerts, 'ca.pem'),
        certFile: path.join(fullCerts, 'cert.pem'),
        keyFile: path.join(fullCerts, 'key.pem'),
      },
    });
  });

  test('uses tcp://localhost:2376 when TLS is on and no host is set', () => {
    const endpoint = resolve({ tlsVerify: true, certPath: fullCerts });

    expect(endpoint.url).toBe('tcp://localhost:2376');
  });

  test('turns on TLS without verification with --use-tls and needs no CA', () => {
    const endpoint = resolve({ host: 'tcp://build-host:2376', useTls: true, certPath: clientOnlyCerts });

    expect(endpoint).toMatchObject({
      kind: 'tcp',
      tls: { verify: false, certFile: path.join(clientOnlyCerts, 'cert.pem'), keyFile: path.join(clientOnlyCerts, 'key.pem') },
    });
    expect(tlsOf(endpoint)?.caFile).toBeUndefined();
  });

  test('turns on TLS with DOCKER_TLS alone', () => {
    const endpoint = resolve({ host: 'tcp://build-host:2376', env: { DOCKER_TLS: '1' } });

    expect(endpoint).toMatchObject({ kind: 'tcp', tls: { verify: false } });
    expect(tlsOf(endpoint)?.certFile).toBeUndefined();
  });

  test('reads the default certificates from DOCKER_CONFIG', () => {
    const endpoint = resolve({ host: 'tcp://build-host', tlsVerify: true, env: { DOCKER_CONFIG: fullCerts } });

    expect(endpoint).toMatchObject({ tls: { caFile: path.join(fullCerts, 'ca.pem') } });
  });

  test('ignores TLS settings for a socket, even with no certificates at all', () => {
    const endpoint = resolve({ host: 'unix:///tmp/nothing.sock', tlsVerify: true, certPath: '/nowhere/certs' });

    expect(endpoint).toEqual({ kind: 'unix', url: 'unix:///tmp/nothing.sock', socketPath: '/tmp/nothing.sock' });
  });

  test.each<[string, Partial<ConnectionOptions>, RegExp]>([
    [
      'a missing CA when verifying',
      { host: 'tcp://build-host', tlsVerify: true, certPath: clientOnlyCerts },
      new RegExp(`CA certificate ${path.join(clientOnlyCerts, 'ca.pem')}, which does not exist`),
    ],
    [
      'a certificate without its key',
      { host: 'tcp://build-host', tlsVerify: true, certPath: certWithoutKey },
      new RegExp(`${path.join(certWithoutKey, 'key.pem')} does not exist`),
    ],
    ['a --certs folder that does not exist', { host: 'tcp://build-host', useTls: true, certPath: '/nowhere/certs' }, /\/nowhere\/certs \(from --certs\) does not exist/],
    [
      'a DOCKER_CERT_PATH folder that does not exist',
      { host: 'tcp://build-host', useTls: true, env: { DOCKER_CERT_PATH: '/nowhere/env-certs' } },
      /\/nowhere\/env-certs \(from DOCKER_CERT_PATH\) does not exist/,
    ],
    ['an unsupported scheme', { host: 'npipe:////./pipe/docker_engine' }, /--host npipe:.* uses the unsupported scheme npipe:\/\//],
    ['a path after the port', { env: { DOCKER_HOST: 'tcp://build-host:2375/prefix' } }, /DOCKER_HOST tcp:\/\/build-host:2375\/prefix has a path/],
    ['a password in an ssh address', { host: 'ssh://me:secret@build-host' }, /contains a password/],
    ['a port out of range', { host: 'tcp://build-host:70000' }, /--host tcp:\/\/build-host:70000 is not a valid engine address/],
  ])('rejects %s with an InputError', (_name, options, message) => {
    const error = inputErrorOf(() => resolve(options));

    expect(error.message).toMatch(message);
    expect(error.exitCode).toBe(2);
  });
});

describe('toDockerodeOptions', () => {
  test('clears the keys docker-modem reads from the environment', () => {
    const options = toDockerodeOptions({ kind: 'unix', url: 'unix:///tmp/x.sock', socketPath: '/tmp/x.sock' });

    expect(options.socketPath).toBe('/tmp/x.sock');
    for (const key of ['host', 'port', 'protocol', 'ca', 'cert', 'key', 'timeout'] as const) {
      expect(Object.hasOwn(options, key), key).toBe(true);
      expect(options[key], key).toBeUndefined();
    }
  });

  test('loads the CA and client certificate for verified TLS', () => {
    const endpoint = resolve({ host: 'tcp://build-host', tlsVerify: true, certPath: fullCerts });

    const options = toDockerodeOptions(endpoint);

    expect(options).toMatchObject({ protocol: 'https', host: 'build-host', port: 2376 });
    expect(options.cert?.toString()).toBe('cert.pem content\n');
    expect(options.key?.toString()).toBe('key.pem content\n');
    expect(options.ca).toContain('ca.pem content\n');
    expect(options.agent).toBeUndefined();
  });

  test('turns verification off through an agent for --use-tls', () => {
    const endpoint = resolve({ host: 'tcp://build-host:2376', useTls: true, certPath: clientOnlyCerts });

    const options = toDockerodeOptions(endpoint);

    expect(options.protocol).toBe('https');
    expect(options.ca).toBeUndefined();
    expect(options.agent?.options.rejectUnauthorized).toBe(false);
  });

  test('talks plain HTTP to a TCP host without TLS', () => {
    const options = toDockerodeOptions({ kind: 'tcp', url: 'tcp://build-host:2375', host: 'build-host', port: 2375 });

    expect(options).toMatchObject({ protocol: 'http', host: 'build-host', port: 2375, socketPath: undefined });
  });

  test('passes the ssh user, port and agent socket', () => {
    const endpoint = resolve({ host: 'ssh://builder@build-host:2222', env: { SSH_AUTH_SOCK: '/tmp/agent.sock' } });

    const options = toDockerodeOptions(endpoint);

    expect(options).toMatchObject({ protocol: 'ssh', host: 'build-host', port: 2222, username: 'builder', sshOptions: { agent: '/tmp/agent.sock' } });
  });
});

describe('connectDocker', () => {
  test('wins over DOCKER_HOST and DOCKER_CLIENT_TIMEOUT that docker-modem reads from process.env', () => {
    vi.stubEnv('DOCKER_HOST', 'tcp://127.0.0.1:9');
    vi.stubEnv('DOCKER_CLIENT_TIMEOUT', '5');

    const { docker, endpoint } = connectDocker({ host: 'unix:///tmp/nothing.sock', env: {} });

    const modem = docker.modem as { socketPath?: string; host?: string; timeout?: number };
    expect(endpoint).toBe('unix:///tmp/nothing.sock');
    expect(modem.socketPath).toBe('/tmp/nothing.sock');
    expect(modem.host).toBeUndefined();
    expect(modem.timeout).toBeUndefined();
  });

  test('reports an invalid DOCKER_HOST in process.env as an InputError', () => {
    vi.stubEnv('DOCKER_HOST', 'tcp://[not a host');

    const error = inputErrorOf(() => connectDocker({ host: 'unix:///tmp/nothing.sock', env: {} }));

    expect(error.message).toMatch(/cannot set up the Docker client for unix:\/\/\/tmp\/nothing\.sock/);
    expect(error.hint).toMatch(/DOCKER_HOST/);
  });
});
