// Measures what the Ink console costs against `--plain` on builds that print a lot:
// one step printing 200,000 lines, and three parallel steps printing 20,000 each.
//
// Run `npm run build` first, then `node bench/console/run.mjs`. Needs a Docker engine
// with busybox:1.35, `script` from util-linux (for a pseudo-terminal) and GNU time at
// /usr/bin/time (`apt-get install time`).
//
// Every weld run goes through the same harness: `script` gives it a 100×40
// pseudo-terminal, so the console is chosen as in a real terminal, and GNU time
// reports the peak RSS and the CPU time (user and system) of the node process
// itself. CPU time is printed beside wall time because it varies less when other
// work shares the machine. The console and `--plain` runs
// alternate, RUNS_PER_SIDE each, and the one that goes first swaps each round so
// that a drift in engine load hits both. Wall time runs from spawning `script` to
// its exit: node start, loading Ink, the build, the last frame.
//
// The console's peak RSS is also measured on builds printing 50,000 and 1,000,000
// lines, to show whether memory grows with the log. A build printing one line shows the console's
// fixed cost (loading Ink and React, the first and last frames) apart from its cost
// per line. The last line printed is the worse of the two median time ratios
// console / plain of the builds that print a lot.

import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const RUNS_PER_SIDE = 5;
/** Runs of the 1,000,000-line build, which takes several seconds each. */
const HUGE_RUNS = 3;
const TARGET_RATIO = 1.3;
const TARGET_RSS_MB = 200;
const PREFIX = 'weld-test-console-bench-';
const TERMINAL_COLUMNS = 100;
const TERMINAL_ROWS = 40;
const GNU_TIME = '/usr/bin/time';
const BYTES_PER_MB = 1e6;
const BYTES_PER_KB = 1e3;
const BYTES_PER_KIB = 1024;
/** Characters of weld's output kept for the message when a run fails. */
const FAILURE_TAIL_CHARS = 4000;

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

function formatMb(bytes) {
  return `${(bytes / BYTES_PER_MB).toFixed(1)} MB`;
}

/** Quotes `word` for `sh -c`. */
function quoteShell(word) {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** Returns a build.yml whose steps each print `lines` lines with `seq`, without the layer cache. */
function makeBuildYml(steps) {
  const lines = ['build:', '  version: 2016-03-14', '  steps:'];
  for (const label of steps) {
    lines.push(`    ${label}:`, `      name: ${PREFIX}${label}`, `      dockerfile: Dockerfile.${label}`, '      no_cache: true');
  }
  return `${lines.join('\n')}\n`;
}

/** Creates a project folder whose steps print `linesPerStep` lines each. */
async function makeProject(name, steps, linesPerStep) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `${PREFIX}${name}-`));
  await writeFile(path.join(dir, 'build.yml'), makeBuildYml(steps));
  for (const label of steps) {
    await writeFile(path.join(dir, `Dockerfile.${label}`), `FROM busybox:1.35\nRUN seq 1 ${linesPerStep}\n`);
  }
  return { name, dir, steps };
}

/**
 * Runs weld on `project` in a pseudo-terminal and returns its wall time, CPU time,
 * peak RSS and the bytes it wrote, which are read and thrown away as a fast
 * terminal would.
 * Throws when weld exits with another code than 0.
 */
async function runWeld(project, side) {
  // Outside the project, so that the build context stays the same from run to run.
  const timeFile = path.join(os.tmpdir(), `${PREFIX}time-${uid}-${side}.txt`);
  const weld = [process.execPath, weldBin, '-d', project.dir, '--uid', uid, ...(side === 'plain' ? ['--plain'] : [])];
  const command = [
    `stty cols ${TERMINAL_COLUMNS} rows ${TERMINAL_ROWS}`,
    `exec ${GNU_TIME} -f '%M %U %S' -o ${quoteShell(timeFile)} ${weld.map(quoteShell).join(' ')}`,
  ].join('; ');
  // Ink draws no live frames when CI or CONTINUOUS_INTEGRATION is set, so the console would not be measured at all.
  const env = { ...process.env };
  delete env.CI;
  delete env.CONTINUOUS_INTEGRATION;

  const startedAt = performance.now();
  const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let outputBytes = 0;
  let tail = '';
  child.stdout.on('data', (chunk) => {
    outputBytes += chunk.length;
    tail = (tail + chunk.toString()).slice(-FAILURE_TAIL_CHARS);
  });
  child.stderr.on('data', (chunk) => (tail = (tail + chunk.toString()).slice(-FAILURE_TAIL_CHARS)));
  const code = await new Promise((resolve) => child.on('close', resolve));
  const wallMs = performance.now() - startedAt;

  if (code !== 0) throw new Error(`weld ${side} on ${project.name} exited with ${code}; its last output:\n${tail}`);
  const [maxRssKib, userSeconds, systemSeconds] = (await readFile(timeFile, 'utf8')).trim().split('\n').at(-1).split(' ').map(Number);
  await rm(timeFile, { force: true });
  return { wallMs, cpuMs: (userSeconds + systemSeconds) * 1000, rssBytes: maxRssKib * BYTES_PER_KIB, outputBytes };
}

/** Records the image id each step's name points to now, so that replaced images can be removed at the end. */
async function collectImageIds(project, imageIds) {
  for (const label of project.steps) {
    const { stdout } = await execFileAsync('docker', ['image', 'inspect', '--format', '{{.Id}}', `${PREFIX}${label}-${uid}`]);
    imageIds.add(stdout.trim());
  }
}

/** Times console and plain runs of `project`, alternating, and returns the console runs and the ratio and difference of the medians. */
async function compareSides(project, imageIds) {
  const runs = { console: [], plain: [] };
  for (let round = 1; round <= RUNS_PER_SIDE; round++) {
    const order = round % 2 === 1 ? ['console', 'plain'] : ['plain', 'console'];
    for (const side of order) {
      const run = await runWeld(project, side);
      await collectImageIds(project, imageIds);
      runs[side].push(run);
      log(
        `${project.name} round ${round} ${side.padEnd(7)} ${(run.wallMs / 1000).toFixed(2)} s (CPU ${(run.cpuMs / 1000).toFixed(2)} s), ` +
          `peak RSS ${formatMb(run.rssBytes)}, ${(run.outputBytes / BYTES_PER_KB).toFixed(0)} kB written to the terminal`,
      );
    }
  }
  const consoleMs = median(runs.console.map((run) => run.wallMs));
  const plainMs = median(runs.plain.map((run) => run.wallMs));
  const ratio = consoleMs / plainMs;
  const consoleCpuMs = median(runs.console.map((run) => run.cpuMs));
  const plainCpuMs = median(runs.plain.map((run) => run.cpuMs));
  log(
    `${project.name}: median console ${(consoleMs / 1000).toFixed(2)} s, plain ${(plainMs / 1000).toFixed(2)} s, ratio ${ratio.toFixed(3)}; ` +
      `CPU console ${(consoleCpuMs / 1000).toFixed(2)} s, plain ${(plainCpuMs / 1000).toFixed(2)} s`,
  );
  return { consoleRuns: runs.console, ratio, differenceMs: consoleMs - plainMs };
}

/** Runs the console on `project` `runs` times and returns the peak RSS of each run. */
async function measureConsoleRss(project, runs, imageIds) {
  const rssBytes = [];
  for (let run = 1; run <= runs; run++) {
    const result = await runWeld(project, 'console');
    await collectImageIds(project, imageIds);
    rssBytes.push(result.rssBytes);
    log(`${project.name} run ${run} console ${(result.wallMs / 1000).toFixed(2)} s, peak RSS ${formatMb(result.rssBytes)}`);
  }
  return rssBytes;
}

async function removeImages(imageIds) {
  const { stdout } = await execFileAsync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}']);
  const named = stdout.split('\n').filter((image) => image.startsWith(PREFIX) && image.split(':')[0].endsWith(`-${uid}`));
  if (named.length > 0) await execFileAsync('docker', ['rmi', '-f', ...named]);
  // Each no-cache run left the image of the run before without a name.
  for (const id of imageIds) await execFileAsync('docker', ['rmi', '-f', id]).catch(() => undefined);
}

async function main() {
  if (!existsSync(path.join(repoRoot, 'dist', 'ui', 'console-reporter.js'))) throw new Error('dist/ is missing: run npm run build first');
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} is missing: install GNU time (apt-get install time)`);

  const projects = [
    await makeProject('one-step-200k', ['chatty'], 200_000),
    await makeProject('three-steps-20k', ['left', 'middle', 'right'], 20_000),
    await makeProject('one-step-50k', ['brief'], 50_000),
    await makeProject('one-step-1-line', ['quiet'], 1),
    await makeProject('one-step-1m', ['endless'], 1_000_000),
  ];
  const [large, parallel, small, quiet, huge] = projects;
  const imageIds = new Set();
  try {
    const largeResult = await compareSides(large, imageIds);
    const parallelResult = await compareSides(parallel, imageIds);
    const quietResult = await compareSides(quiet, imageIds);

    const smallRss = await measureConsoleRss(small, RUNS_PER_SIDE, imageIds);
    const hugeRss = await measureConsoleRss(huge, HUGE_RUNS, imageIds);
    const largeRss = largeResult.consoleRuns.map((run) => run.rssBytes);
    const spread = (values) => `${formatMb(Math.min(...values))} to ${formatMb(Math.max(...values))}`;
    log(`console peak RSS, 50,000 lines: median ${formatMb(median(smallRss))} (${spread(smallRss)})`);
    log(`console peak RSS, 200,000 lines: median ${formatMb(median(largeRss))} (${spread(largeRss)})`);
    log(`console peak RSS, 1,000,000 lines: median ${formatMb(median(hugeRss))} (${spread(hugeRss)})`);
    log(
      `growth of the median from 50,000 lines: ${formatMb(median(largeRss) - median(smallRss))} at 200,000, ` +
        `${formatMb(median(hugeRss) - median(smallRss))} at 1,000,000 (target: within the spread, peak under ${TARGET_RSS_MB} MB)`,
    );

    log(`console start and end cost on a one-line build: ${(quietResult.differenceMs / 1000).toFixed(2)} s of median wall time`);
    const worst = Math.max(largeResult.ratio, parallelResult.ratio);
    log(`ratio console/plain, median wall time, worse of the two builds (target <= ${TARGET_RATIO}): ${worst.toFixed(3)}`);
  } finally {
    for (const project of projects) await rm(project.dir, { recursive: true, force: true });
    await removeImages(imageIds);
  }
}

await main();
