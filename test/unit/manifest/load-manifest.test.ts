import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { InputError } from '../../../src/errors.js';
import { loadManifest } from '../../../src/manifest/load.js';

const fixtureDir = fileURLToPath(new URL('../../fixtures/manifest/go-service/', import.meta.url));

let workDir: string;

beforeEach(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'weld-manifest-'));
});

afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function writeProject(files: Record<string, string>): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(workDir, name)), { recursive: true });
    await writeFile(path.join(workDir, name), content);
  }
  return path.join(workDir, 'build.yml');
}

async function loadError(file: string, options: { workDir?: string } = {}): Promise<InputError> {
  const error = await loadManifest({ file, workDir: options.workDir ?? workDir, env: {} }).catch((caught: unknown) => caught);
  if (error instanceof InputError) return error;
  throw new Error(`expected an InputError, got ${String(error)}`);
}

describe('loadManifest', () => {
  test('loads the fixture project', async () => {
    const manifest = await loadManifest({
      file: path.join(fixtureDir, 'build.yml'),
      workDir: fixtureDir,
      env: { HOME: '/home/dev', BUCKET: 'releases' },
    });

    expect(manifest.steps.map((step) => step.label)).toEqual(['compiler', 'runtime', 'uploader']);
  });

  test('missing build file names its path', async () => {
    const file = path.join(workDir, 'build.yml');

    const error = await loadError(file);

    expect(error.message).toBe(`build file not found: ${file}`);
    expect(error.hint).toBe('pass the path of build.yml with `-f`; without it weld reads build.yml in the work dir');
  });

  describe('missing build file named by -f', () => {
    async function errorFor(fileArgument: string, file: string): Promise<InputError> {
      const error = await loadManifest({ file, workDir, env: {}, fileArgument }).catch((caught: unknown) => caught);
      if (error instanceof InputError) return error;
      throw new Error(`expected an InputError, got ${String(error)}`);
    }

    // `-f ./build.yml -d DIR`, run from another folder, reads build.yml in the current folder.
    test('relative path names the absolute path and the rule', async () => {
      const tried = path.join(process.cwd(), 'weld-no-such-folder', 'build.yml');

      const error = await errorFor('./weld-no-such-folder/build.yml', tried);

      expect(error.message).toBe(`build file not found: ${tried}`);
      expect(error.hint).toBe(`a relative \`-f\` path is read from the current folder ${process.cwd()}, not from the work dir; pass \`-f\` with the path from the current folder, or an absolute path`);
    });

    test('relative path suggests the file that exists under the work dir', async () => {
      await writeProject({ 'conf/build.yml': 'build:\n' });
      const tried = path.resolve('conf/build.yml');

      const error = await errorFor('conf/build.yml', tried);

      expect(error.message).toBe(`build file not found: ${tried}`);
      expect(error.hint).toBe(
        `a relative \`-f\` path is read from the current folder ${process.cwd()}, not from the work dir; ${path.join(workDir, 'conf', 'build.yml')} exists: pass \`-f ${path.join(workDir, 'conf', 'build.yml')}\``,
      );
    });

    test('default build.yml names the work dir it was looked for in', async () => {
      const tried = path.join(workDir, 'build.yml');

      const error = await errorFor('build.yml', tried);

      expect(error.message).toBe(`build file not found: ${tried}`);
      expect(error.hint).toMatch(new RegExp(`^without \`-f\`, or with \`-f build.yml\`, weld reads build.yml in the work dir ${workDir}; `));
    });

    test('absolute path says it is read as it is', async () => {
      const tried = path.join(workDir, 'ci', 'build.yml');

      const error = await errorFor(tried, tried);

      expect(error.message).toBe(`build file not found: ${tried}`);
      expect(error.hint).toBe('check the path given to `-f`; weld reads an absolute path as it is, whatever the work dir');
    });
  });

  test('build file that is a folder', async () => {
    const error = await loadError(workDir);

    expect(error.message).toBe(`build file is a folder: ${workDir}`);
  });

  test('missing Dockerfile names path and line', async () => {
    const file = await writeProject({
      'build.yml': 'build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n      dockerfile: Dockerfile.app\n',
    });

    const error = await loadError(file);

    expect(error.message).toBe(`Dockerfile of step \`app\` not found: ${path.join(workDir, 'Dockerfile.app')} (${file}:6)`);
    expect(error.hint).toBe(`\`dockerfile: Dockerfile.app\` is relative to the step's context folder ${workDir}; fix the path or create the file`);
  });

  test.each([
    { name: 'is a file', destination: 'out', files: { out: 'a file' }, where: 'is a file', example: 'dist' },
    { name: 'is below a file', destination: 'out/bin', files: { out: 'a file' }, where: 'is inside `out`, which is a file', example: 'out' },
  ])('artifact destination that $name names the entry line before anything builds', async ({ destination, files, where, example }) => {
    const file = await writeProject({
      ...files,
      'Dockerfile': 'FROM busybox:1.35\n',
      'build.yml': `build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n      artifacts:\n        - /app/bin\n        - /o/f.txt:${destination}\n`,
    });

    const error = await loadError(file);

    expect(error.message).toBe(`destination \`${destination}\` of artifact \`/o/f.txt:${destination}\` in step \`app\` ${where}, not a folder (${file}:8)`);
    expect(error.hint).toBe(`the destination after \`:\` is the folder that receives the copy: write \`/o/f.txt\` to copy it into the work dir, or name a folder, such as \`/o/f.txt:${example}\``);
  });

  test('build file in another folder than the work dir suggests -d', async () => {
    const file = await writeProject({
      'other/build.yml': 'build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n      dockerfile: Dockerfile.app\n',
      'other/Dockerfile.app': 'FROM busybox\n',
    }).then(() => path.join(workDir, 'other', 'build.yml'));

    const error = await loadError(file);

    expect(error.message).toBe(`Dockerfile of step \`app\` not found: ${path.join(workDir, 'Dockerfile.app')} (${file}:6)`);
    expect(error.hint).toBe(
      `paths in build.yml are read from the work dir ${workDir}, and ${path.join(workDir, 'other', 'Dockerfile.app')} exists: pass \`-d ${path.join(workDir, 'other')}\``,
    );
  });

  test('missing work dir is named before the build file', async () => {
    const missing = path.join(workDir, 'missing');

    const error = await loadError(path.join(missing, 'build.yml'), { workDir: missing });

    expect(error.message).toBe(`work dir not found: ${missing}`);
  });

  test('missing default Dockerfile', async () => {
    const file = await writeProject({ 'build.yml': 'build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n' });

    const error = await loadError(file);

    expect(error.message).toBe(`Dockerfile of step \`app\` not found: ${path.join(workDir, 'Dockerfile')} (${file}:4)`);
    expect(error.hint).toBe(`the step has no \`dockerfile\`, so weld looked for \`Dockerfile\` in its context folder ${workDir}; add \`dockerfile:\` naming the file`);
  });

  test('Dockerfile path that is a folder', async () => {
    const file = await writeProject({
      'build.yml': 'build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n      dockerfile: docker\n',
      'docker/Dockerfile': 'FROM busybox:1.35\n',
    });

    const error = await loadError(file);

    expect(error.message).toBe(`Dockerfile of step \`app\` is not a file: ${path.join(workDir, 'docker')} (${file}:6)`);
  });

  test('missing context names path and line', async () => {
    const file = await writeProject({
      'build.yml': 'build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n      context: ./services/app\n',
    });

    const error = await loadError(file);

    expect(error.message).toBe(`context folder of step \`app\` not found: ${path.join(workDir, 'services', 'app')} (${file}:6)`);
    expect(error.hint).toBe(`\`context: ./services/app\` is relative to the work dir ${workDir}; fix the path or create the folder`);
  });

  test('context that is a file', async () => {
    const file = await writeProject({
      'build.yml': 'build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n      context: build.yml\n',
    });

    const error = await loadError(file);

    expect(error.message).toBe(`context of step \`app\` is not a folder: ${file} (${file}:6)`);
  });

  test('contexts resolve against the work dir', async () => {
    const file = await writeProject({
      'config/build.yml': 'build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n      context: app\n',
      'app/Dockerfile': 'FROM busybox:1.35\n',
    });
    const buildFile = path.join(path.dirname(file), 'config', 'build.yml');

    const manifest = await loadManifest({ file: buildFile, workDir, env: {} });

    expect(manifest.steps[0]!.dockerfilePath).toBe(path.join(workDir, 'app', 'Dockerfile'));
  });

  test('all missing paths listed at once', async () => {
    const file = await writeProject({
      'build.yml': 'build:\n  version: 2016-03-14\n  steps:\n    one:\n      name: one\n    two:\n      name: two\n      context: gone\n',
    });

    const error = await loadError(file);

    expect(error.message).toBe(
      [
        `${file} has 2 problems:`,
        `- Dockerfile of step \`one\` not found: ${path.join(workDir, 'Dockerfile')} (${file}:4); hint: the step has no \`dockerfile\`, so weld looked for \`Dockerfile\` in its context folder ${workDir}; add \`dockerfile:\` naming the file`,
        `- context folder of step \`two\` not found: ${path.join(workDir, 'gone')} (${file}:8); hint: \`context: gone\` is relative to the work dir ${workDir}; fix the path or create the folder`,
      ].join('\n'),
    );
  });

  test('missing work dir reported first', async () => {
    const file = await writeProject({ 'build.yml': 'build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n' });
    const missing = path.join(workDir, 'nowhere');

    const error = await loadError(file, { workDir: missing });

    expect(error.message).toBe(`work dir not found: ${missing}`);
  });

  test('text problems come before disk checks', async () => {
    const file = await writeProject({ 'build.yml': 'build:\n  version: 2016-03-14\n  steps:\n    app:\n      nam: app\n' });

    const error = await loadError(file);

    expect(error.message).toBe(`unknown key \`nam\` in step \`app\` (${file}:5)`);
  });
});
