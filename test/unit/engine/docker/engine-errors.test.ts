import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { describe, expect, test } from 'vitest';

import { engineMessageOf, toConnectionError, toEngineError } from '../../../../src/engine/docker/engine-errors.js';
import { EngineError } from '../../../../src/errors.js';

/** An error shaped like the ones Node's net, tls and ssh2 modules throw. */
function socketError(fields: { code?: string; level?: string; message?: string }): Error {
  return Object.assign(new Error(fields.message ?? `connect ${fields.code ?? 'failed'}`), fields);
}

/** An error shaped like the ones docker-modem throws for an engine reply. */
function replyError(statusCode: number, message: string, json: object | null): Error {
  return Object.assign(new Error(message), { statusCode, json });
}

describe('toConnectionError', () => {
  test.each<[string, string, { code?: string; level?: string; message?: string }, RegExp, RegExp]>([
    ['a missing socket', 'unix:///tmp/nothing.sock', { code: 'ENOENT' }, /^no Docker engine answers at unix:\/\/\/tmp\/nothing\.sock: \/tmp\/nothing\.sock does not exist$/, /engine-up\.sh/],
    ['a refused connection', 'tcp://127.0.0.1:2375', { code: 'ECONNREFUSED' }, /^no Docker engine answers at tcp:\/\/127\.0\.0\.1:2375: connection refused$/, /start Docker/],
    ['a socket without permission', 'unix:///var/run/docker.sock', { code: 'EACCES' }, /^permission denied on the Docker socket \/var\/run\/docker\.sock$/, /docker group/],
    ['an unknown host', 'tcp://nohost:2375', { code: 'ENOTFOUND' }, /the host name was not found/, /DOCKER_HOST/],
    ['an unreachable host', 'tcp://10.1.1.1:2375', { code: 'ETIMEDOUT' }, /cannot be reached \(ETIMEDOUT\)/, /port/],
    ['an untrusted certificate', 'tcp://build-host:2376', { code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' }, /^TLS handshake with the Docker engine at tcp:\/\/build-host:2376 failed: self-signed/, /--use-tls/],
    ['a failed ssh login', 'ssh://build-host', { level: 'client-authentication', message: 'All configured authentication methods failed' }, /^SSH connection to the Docker engine at ssh:\/\/build-host failed: All configured/, /ssh-add/],
  ])('describes %s', (_name, endpoint, fields, message, hint) => {
    const error = toConnectionError(socketError(fields), endpoint);

    expect(error).toBeInstanceOf(EngineError);
    expect(error?.message).toMatch(message);
    expect(error?.hint).toMatch(hint);
  });

  test('names a socket path that is a regular file', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'weld-engine-errors-')), 'docker.sock');
    writeFileSync(file, '');

    const error = toConnectionError(socketError({ code: 'ECONNREFUSED' }), `unix://${file}`);

    rmSync(path.dirname(file), { recursive: true });
    expect(error?.message).toBe(`no Docker engine answers at unix://${file}: ${file} is not a socket`);
    expect(error?.hint).toMatch(/DOCKER_HOST or --host/);
  });

  test('keeps the socket error as the cause', () => {
    const cause = socketError({ code: 'ECONNREFUSED' });

    const error = toConnectionError(cause, 'unix:///var/run/docker.sock');

    expect(error?.cause).toBe(cause);
  });

  test('leaves errors that are not about the connection alone', () => {
    const error = toConnectionError(replyError(500, '(HTTP code 500) server error - boom ', { message: 'boom' }), 'unix:///var/run/docker.sock');

    expect(error).toBeUndefined();
  });
});

describe('engineMessageOf', () => {
  test.each<[string, Error, string]>([
    ['the JSON body of a plain request', replyError(404, '(HTTP code 404) no such image - No such image: x:1 ', { message: 'No such image: x:1' }), 'No such image: x:1'],
    [
      'the message text of a streamed request',
      replyError(400, '(HTTP code 400) unexpected - failed to reach build target nope in Dockerfile ', null),
      'failed to reach build target nope in Dockerfile',
    ],
    ['a plain error', new Error('socket hang up'), 'socket hang up'],
  ])('reads %s', (_name, error, expected) => {
    expect(engineMessageOf(error)).toBe(expected);
  });
});

describe('toEngineError', () => {
  test('names what weld was doing around the engine message', () => {
    const error = toEngineError(replyError(500, '(HTTP code 500) server error - disk full ', { message: 'disk full' }), 'removing image x:1', 'unix:///var/run/docker.sock');

    expect(error.message).toBe('removing image x:1 failed: disk full');
  });

  test('returns an EngineError unchanged', () => {
    const original = new EngineError('already explained');

    expect(toEngineError(original, 'anything', 'unix:///var/run/docker.sock')).toBe(original);
  });
});
