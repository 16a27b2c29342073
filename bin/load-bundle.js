// Loads dist/bundle/weld.cjs with a V8 code cache, so that a run after the first skips
// compiling the bundle and the functions the last run compiled (measured: about 30 ms of
// a 130 ms start on a 2-core machine). Node 22 has this built in
// (module.enableCompileCache), and Node 20 has only vm.Script's cachedData.
//
// The cache is one file per bundle path under $XDG_CACHE_HOME/weld (~/.cache/weld). Its
// first line names the bundle's size and mtime: V8 itself checks only the source length,
// so a rebuilt bundle of the same length would otherwise run stale code. The file is
// written at exit when it was missing or rejected, through a temp file and a rename.
// The line ends with the bundle's path, so that writing a cache also removes the caches
// of bundles that no longer exist (removed clones and trial copies).
//
// V8 puts in the cache the functions the run compiled, so a cache written by `weld
// --help` leaves a build to compile most of its functions again (measured: 25 ms more of
// a 110 ms start). The line therefore also records whether the run that wrote it built
// anything, and the first build after such a run writes the cache once more.
// NODE_DISABLE_COMPILE_CACHE=1 turns the cache off, as it does on Node 22. Any problem
// with the cache only costs the time it would have saved.

import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';

const CACHE_FORMAT = 'weld-compile-cache 3';
/** Set on globalThis by the bundle when the process runs a build. */
const RAN_BUILD = Symbol.for('weld.ranBuild');
const CACHE_SUFFIX = '.cache';
/** Bytes read from a cache file to find its first line (paths are at most 4096 bytes on Linux). */
const HEADER_BYTES = 8192;

function trace(message) {
  if (process.env.WELD_DEBUG === '1') process.stderr.write(`debug ${Math.round(performance.now())}ms compile-cache: ${message}\n`);
}

function cacheFileFor(bundlePath) {
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const name = createHash('sha256').update(bundlePath).digest('hex').slice(0, 16);
  return path.join(cacheHome, 'weld', `${name}${CACHE_SUFFIX}`);
}

/** Returns the bundle path on the first line of a cache file, or undefined when the line is not of this format. */
function bundlePathOf(cacheFile) {
  const header = Buffer.alloc(HEADER_BYTES);
  let length;
  const fd = openSync(cacheFile, 'r');
  try {
    length = readSync(fd, header, 0, HEADER_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  const line = header.subarray(0, length).toString('utf8').split('\n', 1)[0];
  return parseHeader(line)?.bundlePath;
}

/**
 * Splits a cache's first line: the format, size, mtime and Node version (together the
 * version the bundle must match), `build` or `other`, then the bundle's path, which may
 * contain spaces. Returns undefined for a line of another format.
 */
function parseHeader(line) {
  const fields = line.split(' ');
  if (`${fields[0]} ${fields[1]}` !== CACHE_FORMAT || fields.length < 7) return undefined;
  return { version: fields.slice(0, 5).join(' '), ranBuild: fields[5] === 'build', bundlePath: fields.slice(6).join(' ') };
}

/** Removes the cache files beside `cacheFile` whose bundle is gone or whose format is older. */
function pruneCaches(cacheFile) {
  const folder = path.dirname(cacheFile);
  for (const name of readdirSync(folder)) {
    const other = path.join(folder, name);
    if (!name.endsWith(CACHE_SUFFIX) || other === cacheFile) continue;
    try {
      const bundlePath = bundlePathOf(other);
      if (bundlePath !== undefined && existsSync(bundlePath)) continue;
      unlinkSync(other);
      trace(`removed ${other}`);
    } catch (error) {
      trace(`could not check ${other}: ${error.message}`);
    }
  }
}

/** Returns the cached data stored for this bundle version and whether a build wrote it, or undefined. */
function readCache(cacheFile, version, bundlePath) {
  let content;
  try {
    content = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const newline = content.indexOf(10);
  const header = newline < 0 ? undefined : parseHeader(content.subarray(0, newline).toString());
  if (header?.version !== version || header.bundlePath !== bundlePath) return undefined;
  return { data: content.subarray(newline + 1), ranBuild: header.ranBuild };
}

function writeCache(cacheFile, version, bundlePath, data) {
  const temp = `${cacheFile}.${process.pid}.tmp`;
  const ranBuild = globalThis[RAN_BUILD] === true;
  try {
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    writeFileSync(temp, Buffer.concat([Buffer.from(`${version} ${ranBuild ? 'build' : 'other'} ${bundlePath}\n`), data]));
    renameSync(temp, cacheFile);
    trace(`wrote ${cacheFile}`);
  } catch (error) {
    trace(`could not write ${cacheFile}: ${error.message}`);
    try {
      unlinkSync(temp);
    } catch {
      // The temp file was never made.
    }
    return;
  }
  try {
    pruneCaches(cacheFile);
  } catch (error) {
    trace(`could not list the caches beside ${cacheFile}: ${error.message}`);
  }
}

/**
 * Runs the bundle and returns its exports. `console.mjs` beside it is what the bundle's
 * `weldImportConsole()` imports.
 */
export function loadBundle(bundlePath = fileURLToPath(new URL('../dist/bundle/weld.cjs', import.meta.url))) {
  const source = readFileSync(bundlePath, 'utf8');
  const useCache = process.env.NODE_DISABLE_COMPILE_CACHE !== '1';

  let cacheFile;
  let version;
  let cached;
  if (useCache) {
    const { size, mtimeMs } = statSync(bundlePath);
    cacheFile = cacheFileFor(bundlePath);
    version = `${CACHE_FORMAT} ${size} ${mtimeMs} ${process.version}`;
    cached = readCache(cacheFile, version, bundlePath);
  }

  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, weldImportConsole) {${source}\n})`, {
    filename: bundlePath,
    cachedData: cached?.data,
  });
  if (useCache) {
    const stale = cached === undefined || script.cachedDataRejected === true;
    trace(cached === undefined ? `no cache for ${bundlePath}` : `cache ${stale ? 'rejected' : 'used'}: ${cacheFile}`);
    // Written at exit, so that it contains the functions this run compiled too.
    process.once('exit', () => {
      if (stale || (!cached.ranBuild && globalThis[RAN_BUILD] === true)) writeCache(cacheFile, version, bundlePath, script.createCachedData());
    });
  }

  const module = { exports: {} };
  const wrapper = script.runInThisContext();
  // The bundle cannot import() from code V8 restored from a cache (see bundle.mjs).
  const importConsole = () => import(pathToFileURL(path.join(path.dirname(bundlePath), 'console.mjs')).href);
  wrapper.call(module.exports, module.exports, createRequire(bundlePath), module, bundlePath, path.dirname(bundlePath), importConsole);
  return module.exports;
}
