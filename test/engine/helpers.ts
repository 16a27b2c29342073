// Helpers for the engine tests: run the compiled weld CLI, read its NDJSON
// events, and ask the real Docker engine what is left afterwards.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import type { BuildEvent } from '../../src/build/events.js';

const execFileAsync = promisify(execFile);

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const weldBin = path.join(repoRoot, 'bin', 'weld.js');

export interface WeldRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the weld CLI to its end. */
export function runWeld(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<WeldRun> {
  const child = startWeld(args, options);
  return waitForExit(child);
}

/** Starts the weld CLI and returns the child process; stdout and stderr are collected. */
export function startWeld(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess & { output: { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [weldBin, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { output: { stdout: string; stderr: string } };
  child.output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (child.output.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (child.output.stderr += chunk.toString()));
  return child;
}

export function waitForExit(child: ChildProcess & { output: { stdout: string; stderr: string } }): Promise<WeldRun> {
  return new Promise((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, ...child.output }));
  });
}

/** Parses NDJSON output into events. */
export function parseEvents(stdout: string): BuildEvent[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as BuildEvent);
}

/** Runs the docker CLI and returns its stdout. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

/** Returns the ids of every container on the engine, running or not. */
export async function listContainerIds(): Promise<string[]> {
  const output = await docker('ps', '-a', '-q', '--no-trunc');
  return output === '' ? [] : output.split('\n');
}

/** Makes a temp project folder with the given files (path → content). */
export async function makeProject(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weld-e2e-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

/** Copies the demo into a temp folder so that tests never write into the repository. */
export async function copyDemo(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weld-e2e-demo-'));
  await cp(path.join(repoRoot, 'demo'), dir, { recursive: true });
  return dir;
}

/** Returns a TCP port that nothing listens on right now, on loopback. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Waits until `check` returns a value, polling every 100 ms, or throws after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A short random suffix for image names and uids. */
export function uniqueSuffix(): string {
  return Math.random().toString(36).slice(2, 8);
}
