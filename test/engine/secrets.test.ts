// The secret server through the compiled weld CLI: a RUN line fetches secrets over the
// host network from 127.0.0.1, uses them, and no value reaches a layer, the image
// history or weld's output.

import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { docker, findFreePort, makeProject, parseEvents, runWeld, uniqueSuffix } from './helpers.js';

const suffix = uniqueSuffix();
const prefix = `weld-test-habitus-${suffix}`;
const tokenValue = `token-${suffix}-${Math.random().toString(36).slice(2)}`;
const keyLines = [`key-line-one-${suffix}`, `key-line-two-${suffix}`];
const createdDirs: string[] = [];
let keyFile = '';

const dockerfile = [
  'FROM busybox:1.35',
  'ARG habitus_host',
  'ARG habitus_port',
  'ARG habitus_user',
  'ARG habitus_password',
  // A secret used and dropped within one RUN: only its hash stays in the image.
  'RUN wget -qO- "http://$habitus_user:$habitus_password@$habitus_host:$habitus_port/v1/secrets/env/api_token" | sha256sum | cut -d" " -f1 > /token.sha256',
  // A careless line that prints a secret into the build output, which weld must redact.
  'RUN echo "leaked: $(wget -qO- http://$habitus_user:$habitus_password@$habitus_host:$habitus_port/v1/secrets/file/deploy_key)"',
  '',
].join('\n');

/** Returns build.yml with an image name of its own, so that no run leaves another's image untagged. */
function buildFile(name: string): string {
  return [
    'build:',
    '  version: 2016-03-14',
    '  steps:',
    '    builder:',
    `      name: ${prefix}-${name}`,
    '      no_cache: true',
    '      secrets:',
    '        api_token:',
    '          type: env',
    '          value: WELD_TEST_TOKEN',
    '        deploy_key:',
    '          type: file',
    `          value: ${keyFile}`,
    '',
  ].join('\n');
}

/** Returns every secret value weld must never show, in the forms a leak would take. */
function secretValues(): string[] {
  return [tokenValue, ...keyLines];
}

async function saveImage(image: string): Promise<Buffer> {
  const child = spawn('docker', ['save', image], { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  for await (const chunk of child.stdout) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  await docker('version', '--format', '{{.Server.Version}}');
  const secretsDir = await mkdtemp(path.join(os.tmpdir(), 'weld-secret-files-'));
  createdDirs.push(secretsDir);
  keyFile = path.join(secretsDir, 'deploy_key');
  await writeFile(keyFile, `${keyLines.join('\n')}\n`);
});

afterAll(async () => {
  for (const dir of createdDirs) await rm(dir, { recursive: true, force: true });
  const images = (await docker('images', '--format', '{{.Repository}}:{{.Tag}}')).split('\n').filter((image) => image.startsWith(prefix));
  if (images.length > 0) await docker('rmi', '-f', ...images);
});

describe('secrets served while the build runs', () => {
  it.each([
    { output: '--plain', auth: [] as string[] },
    { output: '--json', auth: ['--authentication-secret-server', '--user-secret-server', 'ci', '--password-secret-server', `pw-${suffix}-auth`] },
  ])('reach a RUN over the host network and leave no trace, with $output $auth', async ({ output, auth }) => {
    const name = `secrets-${output.slice(2)}`;
    const dir = await makeProject({ Dockerfile: dockerfile, 'build.yml': buildFile(name) });
    createdDirs.push(dir);
    const port = await findFreePort();

    const run = await runWeld(['-d', dir, output, '--secrets', '--port', String(port), ...auth], { env: { HABITUS_WELD_TEST_TOKEN: tokenValue } });

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const image = `${prefix}-${name}:latest`;
    const expectedHash = createHash('sha256').update(tokenValue).digest('hex');
    expect(await docker('run', '--rm', image, 'cat', '/token.sha256')).toBe(expectedHash);

    const saved = await saveImage(image);
    const history = await docker('history', '--no-trunc', '--format', '{{.CreatedBy}}', image);
    const hidden = [...secretValues(), ...(auth.length > 0 ? [auth.at(-1)!] : [])];
    for (const value of secretValues()) {
      expect(saved.includes(value), `${value} in docker save`).toBe(false);
      expect(history, 'image history').not.toContain(value);
    }
    for (const value of hidden) {
      expect(run.stdout, 'weld stdout').not.toContain(value);
      expect(run.stderr, 'weld stderr').not.toContain(value);
    }
    if (output === '--plain') {
      expect(run.stdout).toMatch(/builder\s+\| leaked: \*\*\*\n/);
      expect(run.stdout).toMatch(/builder\s+\| \*\*\*\n/);
    } else {
      const lines = parseEvents(run.stdout).flatMap((event) => (event.type === 'step-log' ? [event.line] : []));
      expect(lines).toContain('leaked: ***');
    }
  });

  it('rejects a secret variable that is not set before anything builds', async () => {
    const dir = await makeProject({ Dockerfile: dockerfile, 'build.yml': buildFile('unset') });
    createdDirs.push(dir);
    const port = await findFreePort();

    const run = await runWeld(['-d', dir, '--plain', '--secrets', '--port', String(port)], { env: { HABITUS_WELD_TEST_TOKEN: undefined } });

    expect(run.code).toBe(2);
    // The line of the secret itself, not of its step.
    expect(run.stderr + run.stdout).toMatch(/secret `api_token` of step `builder` \(\S*build\.yml:8\)/);
    expect(run.stderr + run.stdout).toContain('the variable HABITUS_WELD_TEST_TOKEN is not set');
  });

  it('without --secrets tells the step log that its secrets are not served', async () => {
    const dir = await makeProject({ Dockerfile: 'FROM busybox:1.35\nRUN true\n', 'build.yml': buildFile('not-served') });
    createdDirs.push(dir);

    const run = await runWeld(['-d', dir, '--plain']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/builder\s+\| secrets api_token, deploy_key are not served: weld runs the secret server only with --secrets/);
  });
});
