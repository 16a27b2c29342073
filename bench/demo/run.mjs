// Times weld on the demo pipeline against the same steps done with the docker CLI.
//
// Run `npm run build` first, then `node bench/demo/run.mjs [--warm-runs N] [--no-cache-runs N]`.
// `--weld-bin PATH` times another build of weld, such as a trial copy outside the
// repository. Needs a Docker engine with golang:1.19-bookworm and the docker CLI
// (DOCKER_CLI overrides its path).
//
// Each side works in its own copy of demo/ and tags its own images, but both use the
// engine's one layer cache, which matches layers by content:
//   weld  `node bin/weld.js -d <copy> --plain --uid weld-bench-<suffix>` (output to a file)
//   CLI   `docker build -f Dockerfile.builder -t B .`, `docker create B`,
//         `docker cp <id>:/go/bin/helloworld .`, `docker rm <id>`,
//         `docker build -f Dockerfile.production -t P .`, with DOCKER_BUILDKIT=0 so that
//         the CLI uses the classic builder that weld uses; then the copied binary is
//         deleted, as weld deletes the artifact it created.
// Warm cache: one untimed run of each side, then `--warm-runs` (default 9) timed runs
// of each, alternating which side goes first. No cache: weld `--no-cache` against the
// CLI with `--no-cache` on both builds, `--no-cache-runs` (default 9) runs each,
// alternating; 0 skips this mode. Wall times run from spawn to exit: weld's one
// process, and the sum of the five CLI commands. Each ratio is median weld / median CLI.
//
// Between the two modes, a profile splits warm runs into phases: weld's from the
// timestamps of its `--json` events, the CLI's from each command's own wall time.
// The last line printed gives both ratios.

import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import {
  ImageLedger,
  PREFIX,
  checkPrerequisites,
  dockerCli,
  formatSeconds,
  imageIdOf,
  log,
  makeSuffix,
  median,
  parseCount,
  parseEvents,
  repoRoot,
  timeCommand,
  weldBin as defaultWeldBin,
} from './bench-support.mjs';

const TARGET_WARM_RATIO = 1.5;
const TARGET_NO_CACHE_RATIO = 1.02;
const PROFILE_RUNS = 5;
/** The demo's artifact, as build.yml names it, and the file name it gets in the work dir. */
const ARTIFACT_SOURCE = '/go/bin/helloworld';
const ARTIFACT_NAME = 'helloworld';

const { values: flags } = parseArgs({
  options: {
    'warm-runs': { type: 'string', default: '9' },
    'no-cache-runs': { type: 'string', default: '9' },
    // Another build of weld to time, such as a trial copy outside the repository.
    'weld-bin': { type: 'string', default: defaultWeldBin },
  },
});
const weldBin = path.resolve(flags['weld-bin']);
const WARM_RUNS = parseCount('--warm-runs', flags['warm-runs'], 1);
const NO_CACHE_RUNS = parseCount('--no-cache-runs', flags['no-cache-runs'], 0);

const suffix = makeSuffix();
const uid = `${PREFIX}${suffix}`;
/** The images weld makes under `--uid`: the demo's names with the uid appended. */
const weldImages = { builder: `helloworld-builder-${uid}:latest`, production: `helloworld-${uid}:latest` };
const cliImages = { builder: `${PREFIX}cli-builder-${suffix}:latest`, production: `${PREFIX}cli-hello-${suffix}:latest` };
const cliEnv = { DOCKER_BUILDKIT: '0' };

let stopRequested = false;

/** Runs the demo with weld; `extra` adds flags. Returns the wall time and when it started. */
function runWeld(workDir, logFile, extra = []) {
  return timeCommand(process.execPath, [weldBin, '-d', workDir, '--plain', '--uid', uid, ...extra], { logFile });
}

function runWeldJson(workDir, logFile) {
  return timeCommand(process.execPath, [weldBin, '-d', workDir, '--json', '--uid', uid], { logFile });
}

/** Runs the demo's steps with the docker CLI; returns the total and each command's wall time. */
async function runCli(workDir, logFile, noCache) {
  const cacheFlags = noCache ? ['--no-cache'] : [];
  const run = (...args) => timeCommand(dockerCli, args, { logFile, env: cliEnv, cwd: workDir });
  const parts = {};

  parts.buildBuilder = (await run('build', ...cacheFlags, '-f', 'Dockerfile.builder', '-t', cliImages.builder, '.')).ms;
  const createLog = path.join(path.dirname(logFile), `create-${suffix}.out`);
  await rm(createLog, { force: true });
  parts.create = (await timeCommand(dockerCli, ['create', cliImages.builder], { logFile: createLog, env: cliEnv })).ms;
  const containerId = (await readFile(createLog, 'utf8')).trim().split('\n').at(-1);
  try {
    parts.copy = (await run('cp', `${containerId}:${ARTIFACT_SOURCE}`, '.')).ms;
  } finally {
    parts.remove = (await run('rm', containerId)).ms;
  }
  parts.buildProduction = (await run('build', ...cacheFlags, '-f', 'Dockerfile.production', '-t', cliImages.production, '.')).ms;
  await rm(path.join(workDir, ARTIFACT_NAME), { force: true });

  const totalMs = Object.values(parts).reduce((sum, ms) => sum + ms, 0);
  return { ms: totalMs, parts };
}

/**
 * Runs both sides `runs` times, alternating which goes first, and returns the medians
 * and minimums of their wall times. The ledger records the images each round tagged.
 */
async function timeAlternating(label, runs, sides, ledger) {
  const weldTimes = [];
  const cliTimes = [];
  for (let run = 1; run <= runs; run += 1) {
    const order = run % 2 === 1 ? ['weld', 'cli'] : ['cli', 'weld'];
    const line = [];
    for (const side of order) {
      if (stopRequested) throw new Error('interrupted');
      const { ms } = await sides[side]();
      (side === 'weld' ? weldTimes : cliTimes).push(ms);
      line.push(`${side} ${formatSeconds(ms)}`);
    }
    await ledger.record(...Object.values(weldImages), ...Object.values(cliImages));
    log(`  ${label} run ${run}: ${line.join(', ')}`);
  }
  const pairRatios = weldTimes.map((ms, index) => ms / cliTimes[index]);
  return { weld: median(weldTimes), cli: median(cliTimes), pairRatio: median(pairRatios), weldMin: Math.min(...weldTimes), cliMin: Math.min(...cliTimes) };
}

/** Splits one warm `--json` run of weld into phases, in milliseconds from its spawn. */
function splitPhases(events, startedAtEpochMs, wallMs) {
  const phases = {};
  const runStarted = events.find((event) => event.type === 'run-started');
  const runFinished = events.find((event) => event.type === 'run-finished');
  phases.startup = runStarted.time - startedAtEpochMs;

  for (const step of ['builder', 'production']) {
    const ofStep = events.filter((event) => event.step === step);
    const started = ofStep.find((event) => event.type === 'step-started').time;
    const finished = ofStep.find((event) => event.type === 'step-finished').time;
    const contextSent = ofStep.find((event) => event.type === 'context-sent')?.time ?? started;
    const buildEvents = ofStep.filter((event) => ['context-sent', 'step-progress', 'step-cached'].includes(event.type) || (event.type === 'step-log' && event.source === 'build'));
    const buildEnd = Math.max(...buildEvents.map((event) => event.time));
    const copyEnd = Math.max(buildEnd, ...ofStep.filter((event) => event.type === 'artifact-finished').map((event) => event.time));

    phases[`${step}.context`] = contextSent - started;
    phases[`${step}.build`] = buildEnd - contextSent;
    if (copyEnd > buildEnd) phases[`${step}.copy`] = copyEnd - buildEnd;
    phases[`${step}.inspect`] = finished - copyEnd;
  }
  const lastFinished = Math.max(...events.filter((event) => event.type === 'step-finished').map((event) => event.time));
  phases.finish = runFinished.time - lastFinished;
  phases.exit = startedAtEpochMs + wallMs - runFinished.time;
  return phases;
}

/** Times warm weld runs with `--json` and warm CLI runs, and prints where the time goes. */
async function profileWarm(dirs, logDir) {
  log(`profile of ${PROFILE_RUNS} warm runs per side (medians, ms):`);
  const weldPhases = [];
  const cliParts = [];
  for (let run = 1; run <= PROFILE_RUNS; run += 1) {
    const jsonLog = path.join(logDir, `profile-${run}.ndjson`);
    const { ms, startedAtEpochMs } = await runWeldJson(dirs.weld, jsonLog);
    const phases = splitPhases(parseEvents(await readFile(jsonLog, 'utf8')), startedAtEpochMs, ms);
    weldPhases.push({ ...phases, total: ms });
    cliParts.push((await runCli(dirs.cli, path.join(logDir, 'cli.out'), false)).parts);
  }

  const nodeBare = [];
  const nodeVersion = [];
  for (let run = 1; run <= PROFILE_RUNS; run += 1) {
    nodeBare.push((await timeCommand(process.execPath, ['-e', '0'], { logFile: path.join(logDir, 'node.out') })).ms);
    nodeVersion.push((await timeCommand(process.execPath, [weldBin, '--version'], { logFile: path.join(logDir, 'node.out') })).ms);
  }

  const weldMedian = (key) => median(weldPhases.map((phases) => phases[key] ?? 0));
  const cliMedian = (key) => median(cliParts.map((parts) => parts[key]));
  const row = (name, weldMs, cliMs, note = '') =>
    log(`  ${name.padEnd(34)} ${weldMs === undefined ? ''.padStart(6) : weldMs.toFixed(0).padStart(6)}  ${cliMs === undefined ? ''.padStart(6) : cliMs.toFixed(0).padStart(6)}  ${note}`);
  log(`  ${'phase'.padEnd(34)} ${'weld'.padStart(6)}  ${'CLI'.padStart(6)}`);
  row('startup to run-started', weldMedian('startup'), undefined, `(node -e 0: ${median(nodeBare).toFixed(0)} ms; weld --version: ${median(nodeVersion).toFixed(0)} ms)`);
  row('builder: pack + send context', weldMedian('builder.context'), undefined);
  row('builder: build (cached)', weldMedian('builder.build'), cliMedian('buildBuilder'), '(CLI: the whole docker build process)');
  row('builder: copy artifact', weldMedian('builder.copy'), cliMedian('create') + cliMedian('copy') + cliMedian('remove'), '(CLI: docker create + cp + rm)');
  row('builder: inspect + history', weldMedian('builder.inspect'), undefined);
  row('production: pack + send context', weldMedian('production.context'), undefined);
  row('production: build (cached)', weldMedian('production.build'), cliMedian('buildProduction'), '(CLI: the whole docker build process)');
  row('production: inspect + history', weldMedian('production.inspect'), undefined);
  row('finish: containers, artifacts', weldMedian('finish'), undefined);
  row('run-finished to exit', weldMedian('exit'), undefined);
  row('total wall time (its own median)', weldMedian('total'), median(cliParts.map((parts) => Object.values(parts).reduce((sum, ms) => sum + ms, 0))));
}

/** Checks that both sides' images are the same images: they share the layer cache. */
async function checkSharedCache() {
  for (const step of ['builder', 'production']) {
    const weldId = await imageIdOf(weldImages[step]);
    const cliId = await imageIdOf(cliImages[step]);
    if (weldId !== cliId) {
      throw new Error(`warm runs did not share the layer cache: weld's ${step} image is ${weldId}, the CLI's is ${cliId}`);
    }
    log(`  ${step}: weld and the CLI both tagged ${weldId.slice(7, 19)}`);
  }
}

function logSummary(label, times) {
  log(`${label} median: weld ${formatSeconds(times.weld)}, CLI ${formatSeconds(times.cli)}; fastest: weld ${formatSeconds(times.weldMin)}, CLI ${formatSeconds(times.cliMin)}; median of the runs' own ratios ${formatRatio(times.pairRatio)}`);
}

function formatRatio(ratio) {
  return `${ratio.toFixed(2)}×`;
}

async function main() {
  await checkPrerequisites(['golang:1.19-bookworm']);
  process.on('SIGINT', () => (stopRequested = true));

  const ledger = await ImageLedger.start();
  const tempDir = await mkdtemp(path.join(os.tmpdir(), `${PREFIX}demo-`));
  const dirs = { weld: path.join(tempDir, 'weld'), cli: path.join(tempDir, 'cli') };
  const logs = { weld: path.join(tempDir, 'weld.out'), cli: path.join(tempDir, 'cli.out') };
  let summary;
  try {
    await cp(path.join(repoRoot, 'demo'), dirs.weld, { recursive: true });
    await cp(path.join(repoRoot, 'demo'), dirs.cli, { recursive: true });
    log(`weld ${path.relative(process.cwd(), weldBin) || weldBin} against ${dockerCli}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}`);

    log('warm cache: one untimed run of each side first');
    await runWeld(dirs.weld, logs.weld);
    await runCli(dirs.cli, logs.cli, false);
    await ledger.record(...Object.values(weldImages), ...Object.values(cliImages));
    await checkSharedCache();
    const warm = await timeAlternating('warm', WARM_RUNS, {
      weld: () => runWeld(dirs.weld, logs.weld),
      cli: () => runCli(dirs.cli, logs.cli, false),
    }, ledger);
    const warmRatio = warm.weld / warm.cli;
    logSummary('warm', warm);

    await profileWarm(dirs, tempDir);

    let noCacheRatio;
    if (NO_CACHE_RUNS > 0) {
      log(`no cache: weld --no-cache against docker build --no-cache, ${NO_CACHE_RUNS} runs each`);
      const noCache = await timeAlternating('no-cache', NO_CACHE_RUNS, {
        weld: () => runWeld(dirs.weld, logs.weld, ['--no-cache']),
        cli: () => runCli(dirs.cli, logs.cli, true),
      }, ledger);
      noCacheRatio = noCache.weld / noCache.cli;
      logSummary('no-cache', noCache);
    }
    log(`load at the end ${os.loadavg()[0].toFixed(2)}`);
    summary = { warmRatio, noCacheRatio };
  } finally {
    const leftBehind = await ledger.clean();
    await rm(tempDir, { recursive: true, force: true });
    for (const item of leftBehind) log(`left behind: ${item}`);
  }

  const noCachePart = summary.noCacheRatio === undefined ? 'no-cache not run' : `no-cache ${formatRatio(summary.noCacheRatio)} (target ≤ ${TARGET_NO_CACHE_RATIO}×)`;
  log(`ratio warm ${formatRatio(summary.warmRatio)} (target ≤ ${TARGET_WARM_RATIO}×), ${noCachePart}`);
}

await main();
