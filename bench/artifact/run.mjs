// Times weld's copyFromImage against the docker CLI on a 1 GiB file of random bytes.
//
// Run `npm run build` first, then `node bench/artifact/run.mjs`. Needs a Docker engine
// with busybox:1.35 and the docker CLI (DOCKER_CLI overrides its path).
//
// Each side runs BENCH_RUNS times (3 unless set; keep it odd for a true median) after
// one untimed warm-up. The sides alternate, and the one that goes first swaps every run.
// `sync` runs before each copy, so that none pays for writing back what came before.
// weld's copy runs in a child process so that its peak RSS is its own.
// Its time is measured inside that process around
// copyFromImage (container create, archive stream, extraction, container removal).
// The baseline is the same work through the CLI: `docker create`, `docker cp`,
// `docker rm`, timed from outside. The last line printed is the median time ratio
// weld / docker cp.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import Dockerode from 'dockerode';
import tarStream from 'tar-stream';

const execFileAsync = promisify(execFile);

const FILE_BYTES = 1024 * 1024 * 1024;
const RUNS_PER_SIDE = Number(process.env.BENCH_RUNS ?? 3);
const SOURCE_PATH = '/data/big.bin';
const DOCKER_CLI = process.env.DOCKER_CLI ?? '/usr/local/bin/docker';
const TARGET_RATIO = 1.1;
const TARGET_RSS_MB = 100;

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const childScript = path.join(benchDir, 'copy-child.mjs');
const compiledCopy = path.resolve(benchDir, '../../dist/engine/docker/copy.js');

const runId = randomBytes(4).toString('hex');
const image = `weld-test-artifact-bench:${runId}`;
const labels = { 'weld-test-artifact': `bench-${runId}` };
const docker = new Dockerode();

function log(line) {
  process.stdout.write(`${line}\n`);
}

function loadAverage() {
  return os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(' ');
}

function median(values) {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Packs a context holding only `dockerfile`. */
async function packContext(dockerfile) {
  const pack = tarStream.pack();
  pack.entry({ name: 'Dockerfile' }, dockerfile);
  pack.finalize();
  const chunks = [];
  for await (const chunk of pack) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function buildImage() {
  // Random bytes, so that nothing on the way could gain from compression.
  const dockerfile = `FROM busybox:1.35\nRUN mkdir /data && head -c ${FILE_BYTES} /dev/urandom > ${SOURCE_PATH}\n`;
  const output = await docker.buildImage(Readable.from([await packContext(dockerfile)]), {
    t: image,
    labels,
    networkmode: 'none',
    rm: true,
    forcerm: true,
    version: '1',
  });
  const messages = await new Promise((resolve, reject) => {
    docker.modem.followProgress(output, (error, result) => (error ? reject(error) : resolve(result)));
  });
  const failure = messages.find((message) => message.error);
  if (failure) throw new Error(`building ${image} failed: ${failure.error}`);
}

async function runWeld(destinationDir) {
  const wallStart = performance.now();
  const { stdout } = await execFileAsync(process.execPath, [childScript, image, SOURCE_PATH, destinationDir]);
  const wallMs = performance.now() - wallStart;
  return { ...JSON.parse(stdout.trim().split('\n').at(-1)), wallMs };
}

async function runDockerCp(destinationDir) {
  const start = performance.now();
  const { stdout } = await execFileAsync(DOCKER_CLI, ['create', '--label', `weld-test-artifact=bench-${runId}`, image, '/weld-copy-placeholder']);
  const containerId = stdout.trim();
  try {
    await execFileAsync(DOCKER_CLI, ['cp', `${containerId}:${SOURCE_PATH}`, destinationDir]);
  } finally {
    await execFileAsync(DOCKER_CLI, ['rm', '-f', containerId]);
  }
  return { ms: performance.now() - start };
}

/**
 * Writes dirty pages out before a timed copy, so that no copy pays for writing back the
 * image layer or an earlier copy (the first copy after the build was the slowest of
 * each side before this).
 */
async function settleDisk() {
  await execFileAsync('sync');
}

async function checkCopied(destinationDir) {
  const copied = await stat(path.join(destinationDir, path.basename(SOURCE_PATH)));
  if (copied.size !== FILE_BYTES) throw new Error(`copied ${copied.size} bytes, expected ${FILE_BYTES}`);
}

async function main() {
  if (!existsSync(compiledCopy)) {
    throw new Error(`${compiledCopy} is missing: run npm run build first`);
  }

  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'weld-test-artifact-bench-'));
  try {
    log(`building ${image} with a ${FILE_BYTES / 1024 ** 3} GiB file of random bytes`);
    await buildImage();
    log(`load average before the runs: ${loadAverage()} (${os.cpus().length} cores)`);

    const weldRuns = [];
    const dockerRuns = [];
    // Run 0 of each side is a warm-up, left out of the medians.
    for (let run = 0; run <= RUNS_PER_SIDE; run += 1) {
      const label = run === 0 ? 'warm-up' : `run ${run}`;
      const runWeldSide = async () => {
        const weldDir = path.join(tempDir, `weld-${run}`);
        await settleDisk();
        const weld = await runWeld(weldDir);
        await checkCopied(weldDir);
        await rm(weldDir, { recursive: true, force: true });
        if (run > 0) weldRuns.push(weld);
        log(
          `${label} weld:      ${(weld.ms / 1000).toFixed(2)} s in copyFromImage (${(weld.wallMs / 1000).toFixed(2)} s with node start, ${(weld.cpuMs / 1000).toFixed(2)} s CPU), ` +
            `peak RSS ${(weld.maxRssKiB / 1024).toFixed(1)} MiB (${(weld.rssBeforeKiB / 1024).toFixed(1)} MiB before the copy), ${weld.progressCalls} progress calls`,
        );
      };
      const runDockerSide = async () => {
        const dockerDir = path.join(tempDir, `docker-${run}`);
        // `docker cp` copies into a folder only when it exists; otherwise it names the file after it.
        await mkdir(dockerDir);
        await settleDisk();
        const baseline = await runDockerCp(dockerDir);
        await checkCopied(dockerDir);
        await rm(dockerDir, { recursive: true, force: true });
        if (run > 0) dockerRuns.push(baseline);
        log(`${label} docker cp: ${(baseline.ms / 1000).toFixed(2)} s (create + cp + rm)`);
      };
      // The side that goes first swaps every run, so that neither always follows the other.
      const sides = run % 2 === 1 ? [runWeldSide, runDockerSide] : [runDockerSide, runWeldSide];
      for (const side of sides) await side();
    }

    const weldMedianMs = median(weldRuns.map((run) => run.ms));
    const dockerMedianMs = median(dockerRuns.map((run) => run.ms));
    const peakRssKiB = Math.max(...weldRuns.map((run) => run.maxRssKiB));
    const ratio = weldMedianMs / dockerMedianMs;
    log(`load average after the runs: ${loadAverage()}`);
    log(`median weld ${(weldMedianMs / 1000).toFixed(2)} s, docker cp ${(dockerMedianMs / 1000).toFixed(2)} s`);
    log(`weld peak RSS ${(peakRssKiB / 1024).toFixed(1)} MiB = ${((peakRssKiB * 1024) / 1e6).toFixed(1)} MB (target <= ${TARGET_RSS_MB} MB)`);
    log(`ratio weld/docker-cp (target <= ${TARGET_RATIO}): ${ratio.toFixed(3)}`);
  } finally {
    await rm(tempDir, { recursive: true, force: true });
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
  }
}

await main();
