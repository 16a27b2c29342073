// Times weld on a step graph whose critical path is known: a (6 s) runs beside
// b (1 s) → c (5 s), so the build cannot take less than 6 s.
//
// Run `npm run build` first, then `node bench/dag/run.mjs [--runs N]`; `--weld-bin PATH`
// times another build of weld, such as a trial copy outside the repository. Needs a
// Docker engine with busybox:1.35.
//
// Each step is `FROM busybox:1.35` and `RUN sleep N` with `no_cache: true`, so every run
// really sleeps; c waits for b through `depends_on`. weld runs with `--json` (output to
// a file) and its wall time, from spawn to exit, is set against the 6 s critical path
// with nothing subtracted. The event timestamps show where each step started and
// ended. To explain what is left over the 6 s, the bench also times the fixed cost of
// a one-step `RUN sleep 0` build with weld, and the same build with
// `docker build --no-cache` (DOCKER_BUILDKIT=0, the classic builder weld uses).
// For comparison, each run is followed by the same graph with the docker CLI, as a
// script would run it (a beside b, then c), timed from the first spawn to the last exit.
// One untimed run of each side comes first. The last line printed is the median wall
// time over the critical path.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import {
  ImageLedger,
  PREFIX,
  checkPrerequisites,
  dockerCli,
  formatSeconds,
  log,
  makeSuffix,
  median,
  parseCount,
  parseEvents,
  timeCommand,
  weldBin as defaultWeldBin,
} from '../demo/bench-support.mjs';

const TARGET_RATIO = 1.1;
const BASE_IMAGE = 'busybox:1.35';
/** Seconds each step sleeps, and the step it waits for. */
const STEPS = {
  a: { seconds: 6 },
  b: { seconds: 1 },
  c: { seconds: 5, dependsOn: 'b' },
};
const CRITICAL_PATH_MS = 6_000;

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    // Another build of weld to time, such as a trial copy outside the repository.
    'weld-bin': { type: 'string', default: defaultWeldBin },
  },
});
const RUNS = parseCount('--runs', flags.runs, 1);
const weldBin = path.resolve(flags['weld-bin']);

const suffix = makeSuffix();
const imageOf = (label) => `${PREFIX}dag-${label}-${suffix}:latest`;

/** Writes the graph's build.yml, the one-step sleep-0 build file and their Dockerfiles. */
async function writeProject(dir) {
  const stepLines = [];
  for (const [label, { seconds, dependsOn }] of Object.entries(STEPS)) {
    await writeFile(path.join(dir, `Dockerfile.${label}`), `FROM ${BASE_IMAGE}\nRUN sleep ${seconds}\n`);
    stepLines.push(`    ${label}:`, `      name: ${imageOf(label)}`, `      dockerfile: Dockerfile.${label}`, '      no_cache: true');
    if (dependsOn) stepLines.push('      depends_on:', `        - ${dependsOn}`);
  }
  await writeFile(path.join(dir, 'build.yml'), ['build:', '  version: 2016-03-14', '  steps:', ...stepLines, ''].join('\n'));

  await writeFile(path.join(dir, 'Dockerfile.zero'), `FROM ${BASE_IMAGE}\nRUN sleep 0\n`);
  await writeFile(
    path.join(dir, 'zero.yml'),
    ['build:', '  version: 2016-03-14', '  steps:', '    zero:', `      name: ${imageOf('zero')}`, '      dockerfile: Dockerfile.zero', '      no_cache: true', ''].join('\n'),
  );
}

/** Runs weld on `buildFile` with `--json` and returns its wall time and its events. */
async function runWeld(dir, buildFile, logFile) {
  await rm(logFile, { force: true });
  const { ms, startedAtEpochMs } = await timeCommand(process.execPath, [weldBin, '-d', dir, '-f', path.join(dir, buildFile), '--json'], { logFile });
  return { ms, startedAtEpochMs, events: parseEvents(await readFile(logFile, 'utf8')) };
}

/** Returns when each step started and finished, in ms from weld's spawn. */
function readStepTimes(run) {
  const times = {};
  for (const event of run.events) {
    if (event.type === 'run-started') times.runStarted = event.time - run.startedAtEpochMs;
    if (event.type === 'run-finished') times.runFinished = event.time - run.startedAtEpochMs;
    if (event.type === 'step-started') times[event.step] = { started: event.time - run.startedAtEpochMs };
    if (event.type === 'step-finished') times[event.step].finished = event.time - run.startedAtEpochMs;
  }
  return times;
}

/**
 * Runs the same graph with the docker CLI as a script would: a beside b then c, each a
 * `docker build --no-cache` with the classic builder. Returns the wall time from the
 * first spawn until every build has exited.
 */
async function runCliGraph(dir, logFile, ledger) {
  const build = async (label) => {
    const image = `${PREFIX}dag-cli-${label}-${suffix}:latest`;
    await timeCommand(dockerCli, ['build', '--no-cache', '-f', `Dockerfile.${label}`, '-t', image, '.'], { logFile, env: { DOCKER_BUILDKIT: '0' }, cwd: dir });
    return image;
  };
  const startedAt = performance.now();
  const images = await Promise.all([build('a').then((image) => [image]), build('b').then(async (image) => [image, await build('c')])]);
  const ms = performance.now() - startedAt;
  await ledger.record(...images.flat());
  return ms;
}

function describeSteps(times, labels) {
  return labels.map((label) => `${label} ${formatSeconds(times[label].started)}–${formatSeconds(times[label].finished)}`).join(', ');
}

async function main() {
  await checkPrerequisites([BASE_IMAGE]);
  const ledger = await ImageLedger.start();
  const dir = await mkdtemp(path.join(os.tmpdir(), `${PREFIX}dag-`));
  const logFile = path.join(dir, 'weld.out');
  let ratio;
  try {
    await writeProject(dir);
    log(`weld ${path.relative(process.cwd(), weldBin)}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}`);
    log(`graph: a (${STEPS.a.seconds} s) beside b (${STEPS.b.seconds} s) → c (${STEPS.c.seconds} s); critical path ${formatSeconds(CRITICAL_PATH_MS)}`);

    // One untimed run of each side first: the first run after a while paid for a cold
    // page cache and, after a rebuild of weld, for writing its code cache.
    const warmUp = await runWeld(dir, 'build.yml', logFile);
    await ledger.record(...Object.keys(STEPS).map(imageOf));
    const warmUpCli = await runCliGraph(dir, logFile, ledger);
    log(`  warm-up, not counted: weld ${formatSeconds(warmUp.ms)}, the docker CLI ${formatSeconds(warmUpCli)}`);

    const wallTimes = [];
    const cliTimes = [];
    for (let run = 1; run <= RUNS; run += 1) {
      const result = await runWeld(dir, 'build.yml', logFile);
      await ledger.record(...Object.keys(STEPS).map(imageOf));
      wallTimes.push(result.ms);
      const times = readStepTimes(result);
      log(`  run ${run}: ${formatSeconds(result.ms)} (run-started at ${formatSeconds(times.runStarted)}; ${describeSteps(times, Object.keys(STEPS))}; run-finished at ${formatSeconds(times.runFinished)})`);
      const cliMs = await runCliGraph(dir, logFile, ledger);
      cliTimes.push(cliMs);
      log(`  run ${run} with the docker CLI (a beside b then c): ${formatSeconds(cliMs)}`);
    }
    log(`against the same graph with the docker CLI: weld ${formatSeconds(median(wallTimes))}, CLI ${formatSeconds(median(cliTimes))}, ratio ${(median(wallTimes) / median(cliTimes)).toFixed(2)}×`);

    log('fixed cost of one `RUN sleep 0` step:');
    const zeroWeld = [];
    const zeroSteps = [];
    const zeroCli = [];
    for (let run = 1; run <= RUNS; run += 1) {
      const result = await runWeld(dir, 'zero.yml', logFile);
      await ledger.record(imageOf('zero'));
      const times = readStepTimes(result);
      zeroWeld.push(result.ms);
      zeroSteps.push(times.zero.finished - times.zero.started);

      const cliImage = `${PREFIX}dag-zero-cli-${suffix}:latest`;
      const cli = await timeCommand(dockerCli, ['build', '--no-cache', '-f', 'Dockerfile.zero', '-t', cliImage, '.'], { logFile, env: { DOCKER_BUILDKIT: '0' }, cwd: dir });
      await ledger.record(cliImage);
      zeroCli.push(cli.ms);
      log(`  run ${run}: weld ${formatSeconds(result.ms)} (the step ${formatSeconds(times.zero.finished - times.zero.started)}), docker build ${formatSeconds(cli.ms)}`);
    }
    log(`  median: weld ${formatSeconds(median(zeroWeld))} in all, of which the step ${formatSeconds(median(zeroSteps))}; docker build --no-cache ${formatSeconds(median(zeroCli))}`);

    const medianMs = median(wallTimes);
    log(`median wall time ${formatSeconds(medianMs)}; load at the end ${os.loadavg()[0].toFixed(2)}`);
    ratio = medianMs / CRITICAL_PATH_MS;
  } finally {
    const leftBehind = await ledger.clean();
    await rm(dir, { recursive: true, force: true });
    for (const item of leftBehind) log(`left behind: ${item}`);
  }
  log(`ratio dag ${ratio.toFixed(3)}× over the ${CRITICAL_PATH_MS / 1000} s critical path (target ≤ ${TARGET_RATIO}×)`);
}

await main();
