// bin/load-bundle.js over a small stand-in bundle: the code cache it writes, reuses and
// rejects, and the console import that must work from cached code too. Each load runs in
// a child process, because the cache is written when the process exits.

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

const run = promisify(execFile);
const loaderPath = fileURLToPath(new URL('../../../bin/load-bundle.js', import.meta.url));

/** Returns a bundle whose `answer()` returns `answer` and that loads console.mjs through the loader. */
function bundleSource(answer: string): string {
  return [
    `exports.answer = () => '${answer}';`,
    'exports.loadConsole = () => weldImportConsole();',
    // What runBuild does: mark the process as one that builds.
    "exports.markBuild = () => { globalThis[Symbol.for('weld.ranBuild')] = true; };",
    // Enough code that V8 has something worth caching.
    ...Array.from({ length: 200 }, (_, index) => `exports.f${index} = (n) => n * ${index} + 1;`),
    '',
  ].join('\n');
}

let dir: string;
let cacheHome: string;
let bundlePath: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'weld-test-load-bundle-'));
  cacheHome = path.join(dir, 'cache');
  bundlePath = path.join(dir, 'bundle', 'weld.cjs');
  await writeFile(path.join(dir, 'child.mjs'), [
    `import { loadBundle } from ${JSON.stringify(loaderPath)};`,
    'const bundle = loadBundle(process.argv[2]);',
    "if (process.argv[3] === 'build') bundle.markBuild();",
    'const consoleModule = await bundle.loadConsole();',
    'console.log(`${bundle.answer()} ${consoleModule.marker}`);',
    '',
  ].join('\n'));
  await mkdir(path.dirname(bundlePath));
  await writeFile(bundlePath, bundleSource('first'));
  await writeFile(path.join(path.dirname(bundlePath), 'console.mjs'), "export const marker = 'console';\n");
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(env: Record<string, string> = {}, kind: 'build' | 'other' = 'build'): Promise<{ stdout: string; trace: string[] }> {
  const { stdout, stderr } = await run(process.execPath, [path.join(dir, 'child.mjs'), bundlePath, kind], {
    env: { ...process.env, XDG_CACHE_HOME: cacheHome, WELD_DEBUG: '1', ...env },
  });
  const trace = stderr
    .split('\n')
    .filter((line) => line.includes('compile-cache:'))
    .map((line) => line.replace(/^debug \d+ms compile-cache: /, '').replace(/ \/.*$/, ''));
  return { stdout: stdout.trim(), trace };
}

async function cacheFiles(): Promise<string[]> {
  return readdir(path.join(cacheHome, 'weld')).catch(() => []);
}

describe('loadBundle', () => {
  test('first run writes the cache, second uses it', async () => {
    const first = await load();
    expect(first.stdout).toBe('first console');
    expect(first.trace).toEqual(['no cache for', 'wrote']);

    const files = await cacheFiles();
    expect(files).toHaveLength(1);
    const content = await readFile(path.join(cacheHome, 'weld', files[0]!));
    const header = content.subarray(0, content.indexOf(10)).toString();
    const { size, mtimeMs } = await stat(bundlePath);
    expect(header).toBe(`weld-compile-cache 3 ${size} ${mtimeMs} ${process.version} build ${bundlePath}`);

    const second = await load();
    expect(second.stdout).toBe('first console');
    expect(second.trace).toEqual(['cache used:']);
  });

  test('rebuilt bundle of same length ignores cache', async () => {
    await load();
    await writeFile(bundlePath, bundleSource('other'));
    const later = new Date(Date.now() + 5_000);
    await utimes(bundlePath, later, later);

    const rebuilt = await load();

    expect(rebuilt.stdout).toBe('other console');
    expect(rebuilt.trace).toEqual(['no cache for', 'wrote']);
    expect((await load()).trace).toEqual(['cache used:']);
  });

  test('cache rejected by V8 is replaced', async () => {
    await load();
    const [file] = await cacheFiles();
    const cacheFile = path.join(cacheHome, 'weld', file!);
    const content = await readFile(cacheFile);
    const newline = content.indexOf(10);
    await writeFile(cacheFile, Buffer.concat([content.subarray(0, newline + 1), Buffer.alloc(content.length - newline - 1, 7)]));

    const rejected = await load();

    expect(rejected.stdout).toBe('first console');
    expect(rejected.trace).toEqual(['cache rejected:', 'wrote']);
    expect((await load()).trace).toEqual(['cache used:']);
  });

  test('writing a cache removes the caches of bundles that are gone and of the older format', async () => {
    const folder = path.join(cacheHome, 'weld');
    await mkdir(folder, { recursive: true });
    const otherBundle = path.join(dir, 'other clone', 'weld.cjs');
    await mkdir(path.dirname(otherBundle));
    await writeFile(otherBundle, bundleSource('other'));
    const header = (bundle: string) => `weld-compile-cache 3 10 20 ${process.version} build ${bundle}\n`;
    await writeFile(path.join(folder, 'kept.cache'), header(otherBundle) + 'data');
    await writeFile(path.join(folder, 'gone.cache'), header(path.join(dir, 'removed', 'weld.cjs')) + 'data');
    await writeFile(path.join(folder, 'old-format.cache'), `weld-compile-cache 2 10 20 ${process.version} ${otherBundle}\ndata`);
    await writeFile(path.join(folder, 'notes.txt'), 'not a cache');

    const first = await load();

    expect(first.trace).toEqual(['no cache for', 'wrote', 'removed', 'removed']);
    const files = await cacheFiles();
    expect(files).toHaveLength(3);
    expect(files).toEqual(expect.arrayContaining(['kept.cache', 'notes.txt']));
    expect((await load()).trace).toEqual(['cache used:']);
  });

  test('cache of a run that built nothing is written again by the first build', async () => {
    const help = await load({}, 'other');
    expect(help.trace).toEqual(['no cache for', 'wrote']);
    const [file] = await cacheFiles();
    const headerOf = async () => {
      const content = await readFile(path.join(cacheHome, 'weld', file!));
      return content.subarray(0, content.indexOf(10)).toString();
    };
    expect(await headerOf()).toContain(' other ');

    expect((await load({}, 'other')).trace).toEqual(['cache used:']);
    expect((await load({}, 'build')).trace).toEqual(['cache used:', 'wrote']);
    expect(await headerOf()).toContain(' build ');
    expect((await load({}, 'build')).trace).toEqual(['cache used:']);
    expect((await load({}, 'other')).trace).toEqual(['cache used:']);
  });

  test('NODE_DISABLE_COMPILE_CACHE=1 writes no cache', async () => {
    const result = await load({ NODE_DISABLE_COMPILE_CACHE: '1' });

    expect(result.stdout).toBe('first console');
    expect(result.trace).toEqual([]);
    expect(await cacheFiles()).toEqual([]);
  });

  test('unwritable cache folder still runs', async () => {
    await writeFile(cacheHome, 'a file where the cache folder should be');

    const result = await load();

    expect(result.stdout).toBe('first console');
    expect(result.trace).toEqual(['no cache for', 'could not write']);
  });
});
