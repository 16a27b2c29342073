// Measures what `weld --watch` adds between saving main.go and reporting the new
// final image, on a copy of the demo.
//
// Run `npm run build` first, then `node bench/watch/run.mjs`. Needs a Docker engine
// with golang:1.19-bookworm.
//
// For each of SAVES saves, the bench writes main.go (with a greeting no earlier run
// used, so the builder really compiles) and reads the events of `weld --watch --json`:
//   total     = time the bench reads `run-finished` - time just before the write
//   steps     = sum of `durationMs` of the run's `step-finished` events
//   overhead  = total - steps
// A step's `durationMs` runs from its `step-started` to its `step-finished`: context
// packing and upload, the engine's build, the artifact copy and the image inspect.
// The demo's steps run one after the other (production waits for builder), so their
// sum is the time steps were running. What is left is weld's own share: noticing the
// change (inotify, chokidar, the WATCH_DEBOUNCE_MS debounce and the size check),
// working out the affected steps, starting the run, and the gap between the two
// steps. The end of the run counts too: container clean-up, the final image report
// and the output pipe.
// The last line printed is the median overhead against its 400 ms target.

import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const SAVES = 10;
const TARGET_OVERHEAD_MS = 400;
const PREFIX = 'weld-test-watch-bench-';
const RUN_TIMEOUT_MS = 300_000;
/** Pause between a run's end and the next save, so that each save starts from an idle session. */
const PAUSE_MS = 1_000;

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDir, '../..');
const weldBin = path.join(repoRoot, 'bin', 'weld.js');
const uid = randomBytes(3).toString('hex');

function log(line) {
  process.stdout.write(`${line}\n`);
}

function median(values) {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Starts weld and collects its events with the time each line was read. */
function startWeld(demo) {
  const child = spawn(process.execPath, [weldBin, '--watch', '--json', '-d', demo, '--uid', uid], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events = [];
  let buffer = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    const readAt = Date.now();
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop();
    for (const line of lines) if (line.trim() !== '') events.push({ ...JSON.parse(line), readAt });
  });
  child.stderr.on('data', (chunk) => (stderr += chunk.toString()));
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  return { child, events, exited, stderr: () => stderr };
}

async function waitForEvent(weld, type, from, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = weld.events.slice(from).find((event) => event.type === type);
    if (found) return found;
    if (weld.child.exitCode !== null) throw new Error(`weld exited with ${weld.child.exitCode}: ${weld.stderr()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${type}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function removeImages() {
  const { stdout } = await execFileAsync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}']);
  const ours = stdout.split('\n').filter((image) => image.startsWith(PREFIX) && image.split(':')[0].endsWith(`-${uid}`));
  if (ours.length > 0) await execFileAsync('docker', ['rmi', '-f', ...ours]);
}

async function main() {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run npm run build first');

  const demo = await mkdtemp(path.join(os.tmpdir(), PREFIX));
  await cp(path.join(repoRoot, 'demo'), demo, { recursive: true });
  const buildYml = await readFile(path.join(demo, 'build.yml'), 'utf8');
  await writeFile(path.join(demo, 'build.yml'), buildYml.replace('name: helloworld-builder', `name: ${PREFIX}builder`).replace('name: helloworld:latest', `name: ${PREFIX}hello:latest`));
  const mainGo = await readFile(path.join(demo, 'main.go'), 'utf8');

  const weld = startWeld(demo);
  try {
    log('first build of the demo');
    await waitForEvent(weld, 'watch-run-summary', 0, RUN_TIMEOUT_MS);

    const overheads = [];
    const detections = [];
    for (let save = 1; save <= SAVES; save++) {
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      const mark = weld.events.length;
      const savedAt = Date.now();
      await writeFile(path.join(demo, 'main.go'), mainGo.replace('hello world!\\n', `hello from bench ${uid} save ${save}\\n`));

      const finished = await waitForEvent(weld, 'run-finished', mark, RUN_TIMEOUT_MS);
      await waitForEvent(weld, 'watch-run-summary', mark, RUN_TIMEOUT_MS);
      const run = weld.events.slice(mark, weld.events.indexOf(finished) + 1);
      if (finished.outcome !== 'succeeded') throw new Error(`save ${save}: the run ${finished.outcome}`);

      const triggered = run.find((event) => event.type === 'watch-triggered');
      const stepsMs = run.filter((event) => event.type === 'step-finished').reduce((sum, event) => sum + event.durationMs, 0);
      const totalMs = finished.readAt - savedAt;
      const overheadMs = totalMs - stepsMs;
      overheads.push(overheadMs);
      detections.push(triggered.readAt - savedAt);
      log(
        `save ${String(save).padStart(2)}: total ${totalMs} ms, steps ${stepsMs} ms, overhead ${overheadMs} ms ` +
          `(change reported as a run after ${triggered.readAt - savedAt} ms)`,
      );
    }

    log(`median time from save to run start: ${median(detections)} ms (debounce included)`);
    log(`median watch overhead from save to final image: ${median(overheads)} ms (target ≤ ${TARGET_OVERHEAD_MS} ms)`);
  } finally {
    weld.child.kill('SIGINT');
    await weld.exited;
    await rm(demo, { recursive: true, force: true });
    await removeImages();
  }
}

await main();
