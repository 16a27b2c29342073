// `weld --watch --json` as a child process for the watch engine tests: its NDJSON
// events are parsed as they arrive, and a test can wait for the next event that
// matches, or check that none comes for a while.

import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

import type { BuildEvent } from '../../src/build/events.js';
import { docker, repoRoot, weldBin } from './helpers.js';

export type EventOf<T extends BuildEvent['type']> = Extract<BuildEvent, { type: T }>;

export class WatchChild {
  readonly events: BuildEvent[] = [];
  stderr = '';
  private buffer = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly process: ChildProcess) {
    process.stdout!.on('data', (chunk: Buffer) => this.read(chunk.toString()));
    process.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => process.on('close', (code, signal) => resolve({ code, signal })));
  }

  /** Starts `weld --watch --json` with the extra arguments. */
  static start(args: string[]): WatchChild {
    const child = spawn(globalThis.process.execPath, [weldBin, '--watch', '--json', ...args], {
      cwd: repoRoot,
      env: globalThis.process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new WatchChild(child);
  }

  private read(text: string): void {
    this.buffer += text;
    const lines = this.buffer.split('\n');
    this.buffer = lines.pop()!;
    for (const line of lines) {
      if (line.trim() !== '') this.events.push(JSON.parse(line) as BuildEvent);
    }
  }

  /** Returns the events of a type from index `from` on. */
  eventsOf<T extends BuildEvent['type']>(type: T, from = 0): EventOf<T>[] {
    return this.events.slice(from).filter((event): event is EventOf<T> => event.type === type);
  }

  /** Waits for the first event of `type` at index `from` or later that `match` accepts. */
  async waitFor<T extends BuildEvent['type']>(type: T, from: number, timeoutMs: number, match: (event: EventOf<T>) => boolean = () => true): Promise<EventOf<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.eventsOf(type, from).find(match);
      if (found) return found;
      if (this.process.exitCode !== null) throw new Error(`weld exited with ${this.process.exitCode} while waiting for ${type}; stderr: ${this.stderr}`);
      if (Date.now() > deadline) {
        const seen = this.events.slice(from).map((event) => event.type).join(', ');
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${type}; events since: ${seen}; stderr: ${this.stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Sends `signal` and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill(signal);
    return this.exited;
  }

  /** Returns the count of open file descriptors of the process. */
  async countOpenFiles(): Promise<number> {
    return (await readdir(`/proc/${this.process.pid}/fd`)).length;
  }

  /** Returns the resident set size of the process in bytes. */
  async readRssBytes(): Promise<number> {
    const status = await readFile(`/proc/${this.process.pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (!kib) throw new Error(`no VmRSS in /proc/${this.process.pid}/status`);
    return Number(kib[1]) * 1024;
  }
}

/** Returns the ids of the containers labelled with any of the run ids, running or not. */
export async function listRunContainers(runIds: Iterable<string>): Promise<string[]> {
  const wanted = new Set(runIds);
  const output = await docker('ps', '-a', '--filter', 'label=weld.run', '--format', '{{.ID}} {{.Label "weld.run"}}');
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.split(' '))
    .filter(([, runId]) => runId !== undefined && wanted.has(runId))
    .map(([id]) => id!);
}

/** Removes every image whose repository starts with `prefix` and ends with `-<uid>`. */
export async function removeTestImages(prefix: string, uid: string): Promise<void> {
  const images = await docker('images', '--format', '{{.Repository}}:{{.Tag}}');
  const ours = images.split('\n').filter((image) => image.startsWith(prefix) && image.split(':')[0]!.endsWith(`-${uid}`));
  if (ours.length > 0) await docker('rmi', '-f', ...ours);
}
