// The weld command: parse arguments, load and plan build.yml, connect to the
// engine, run the build with the chosen reporter, and exit with the right code.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { planBuild } from '../build/plan.js';
import { runBuild, type RunBuildOptions } from '../build/run-build.js';
import { debug, setDebug } from '../debug.js';
import { DockerEngine } from '../engine/docker/docker-engine.js';
import type { EngineInfo } from '../engine/engine.js';
import { ExitCode, InputError, type ExitCodeValue } from '../errors.js';
import { DEFAULT_BUILD_FILE, loadManifest } from '../manifest/load.js';
import { writeErrorEvent } from '../report/json-reporter.js';
import { startSecrets, type SecretsSetup } from '../secrets/start-secrets.js';
import type { WatchSession } from '../watch/watch-session.js';
import { chooseReporterKind, createReporter, preloadConsole } from './choose-reporter.js';
import { isHelpOrVersion, parseArguments, type CliOptions } from './options.js';
import { printError } from './print-error.js';

function readVersion(): string {
  const packageJson = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

/** Habitus log levels at which weld prints no build output, as `--suppress` does. */
const QUIET_LEVELS = new Set(['error', 'critical']);

/** Returns the run settings that Habitus's step, image and output flags set. */
export function toHabitusSettings(options: CliOptions, secrets: Pick<SecretsSetup, 'buildArgs' | 'network'>): Partial<RunBuildOptions> {
  const removeImages = !options.watch && !options.keepAll && (options.forceRmi || options.nopruneRmi);
  return {
    network: secrets.network,
    suppress: options.suppress || QUIET_LEVELS.has(options.level),
    cleanup: options.cleanup !== false,
    afterBuildCommands: options.afterBuildCommands,
    keepAll: options.keepAll,
    noPruneRmi: options.nopruneRmi,
    secretBuildArgs: secrets.buildArgs,
    removeIntermediateImages: removeImages ? { force: options.forceRmi, noPrune: options.nopruneRmi } : undefined,
  };
}

/** Returns the build file and work dir the way Habitus resolves them. */
export function resolvePaths(options: Pick<CliOptions, 'file' | 'workdir'>, cwd: string): { file: string; workDir: string } {
  const workDir = path.resolve(cwd, options.workdir ?? '.');
  // Habitus looks for the default build.yml in the work dir, and for any other
  // -f value relative to the current dir.
  const file = options.file === DEFAULT_BUILD_FILE ? path.join(workDir, DEFAULT_BUILD_FILE) : path.resolve(cwd, options.file);
  return { file, workDir };
}

/** Connects to the engine the options name and requests its version. */
async function checkEngine(options: CliOptions, signal: AbortSignal): Promise<{ engine: DockerEngine; engineInfo: EngineInfo }> {
  const engine = DockerEngine.connect({
    host: options.host,
    certPath: options.certs,
    useTls: options.useTls,
    tlsVerify: options.tlsVerify,
    env: process.env,
  });
  return { engine, engineInfo: await engine.describe(signal) };
}

/**
 * Returns whether the arguments turn on `--json`, read as written: the flags could not
 * be parsed, and an NDJSON reader should still get the usage error as an event.
 */
function asksForJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((argument) => /^--?json(?:=(?:true|1|t))?$/i.test(argument));
}

/** Runs weld with the given arguments (without `node` and the script) and returns the exit code. */
export async function main(argv: string[]): Promise<ExitCodeValue> {
  debug('cli', 'started');
  const version = readVersion();
  let options: CliOptions;
  try {
    options = parseArguments(argv, version);
  } catch (error) {
    if (isHelpOrVersion(error)) return ExitCode.ok;
    printError(error);
    if (asksForJson(argv)) writeErrorEvent(process.stdout, error, ExitCode.badInput);
    return ExitCode.badInput;
  }
  setDebug(options.debug || options.level === 'debug');

  const { file, workDir } = resolvePaths(options, process.cwd());
  const kind = chooseReporterKind({ ...options, plain: options.plain || !options.pretty }, process.stdout);
  // Loading Ink and React takes a few hundred milliseconds of CPU: start it now so that
  // it overlaps with reading build.yml and the engine handshake.
  if (kind === 'console') void preloadConsole();
  const env = Object.keys(options.env).length > 0 ? options.env : process.env;
  const shellEnv = env === process.env ? undefined : process.env;
  const controller = new AbortController();
  let interrupted = false;

  const interrupt = (): void => {
    if (interrupted) {
      // A second Ctrl-C while cleaning up: leave at once.
      process.exit(ExitCode.interrupted);
    }
    interrupted = true;
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);

  // A reader that goes away (`weld | head`) makes writes fail with EPIPE: cancel the run
  // as Ctrl-C does, so that its containers and artifacts are removed, and stop quietly.
  let outputClosed = false;
  const closeOutput = (error: NodeJS.ErrnoException): void => {
    if (outputClosed) return;
    outputClosed = true;
    debug('cli', `output closed (${error.code ?? error.message}); cancelling the run`);
    controller.abort();
  };
  process.stdout.on('error', closeOutput);
  process.stderr.on('error', closeOutput);
  let secrets: SecretsSetup | undefined;

  // Request the engine's version while build.yml loads. A problem in build.yml is
  // still reported first: the engine's reply is awaited only after the plan.
  const engineCheck = checkEngine(options, controller.signal);
  engineCheck.catch(() => undefined);

  try {
    const manifest = await loadManifest({ file, workDir, env, shellEnv, fileArgument: options.file });
    const plan = await planBuild(manifest, { uid: options.uid, buildArgs: options.build });
    debug('cli', `planned ${plan.graph.labels.length} steps from ${file}`);

    const { engine, engineInfo } = await engineCheck;
    secrets = await startSecrets(manifest, options, process.env, version);

    // Habitus's `--pretty=false` selects plain log lines.

    let watchSession: WatchSession | undefined;
    const reporter = await createReporter({
      kind,
      stdout: process.stdout,
      stdin: process.stdin,
      buildFile: file,
      workDir,
      watch: options.watch,
      onCancel: interrupt,
      onRebuild: () => watchSession?.requestFullRebuild(),
    });

    const runOptions: RunBuildOptions = {
      plan,
      engine,
      emit: secrets.redactEvents((event) => reporter.handle(event)),
      runId: randomBytes(6).toString('hex'),
      engineInfo,
      signal: controller.signal,
      parallel: options.parallel,
      keepGoing: options.keepGoing,
      keepArtifacts: options.keepArtifacts,
      buildArgs: options.build,
      noCache: !options.cache,
      rm: options.rm !== false,
      // The engine's forcerm removes containers after a success too, so --no-rm alone
      // would do nothing if force-rm stayed on.
      forceRm: options.forceRm ?? options.rm !== false,
      network: options.network,
      suppress: options.suppress,
      // 0 and '' set no limit, as the engine's defaults do.
      memoryBytes: options.dockerMemory || undefined,
      cpuShares: options.dockerCpuShares,
      cpusetCpus: options.dockerCpusetCpus || undefined,
      ...toHabitusSettings(options, secrets),
    };
    if (options.watch) {
      const reloadPlan = async () => planBuild(await loadManifest({ file, workDir, env, shellEnv, fileArgument: options.file }), { uid: options.uid, buildArgs: options.build });
      // Loaded here so that a single build does not load chokidar.
      const { runWatch } = await import('../watch/run-watch.js');
      const code = await runWatch({
        ...runOptions,
        reloadPlan,
        poll: options.poll,
        onSession: (session) => {
          watchSession = session;
        },
      });
      await reporter.close();
      return outputClosed ? ExitCode.outputClosed : code;
    }
    const result = await runBuild(runOptions);
    await reporter.close();

    if (outputClosed) return ExitCode.outputClosed;
    if (result.outcome === 'succeeded') return ExitCode.ok;
    if (result.outcome === 'cancelled' || interrupted) return ExitCode.interrupted;
    return result.failureExitCode;
  } catch (error) {
    if (interrupted) return ExitCode.interrupted;
    if (outputClosed) return ExitCode.outputClosed;
    // Stop waiting for an engine that has not replied yet.
    controller.abort();
    printError(error);
    const code = error instanceof InputError ? ExitCode.badInput : ((error as { exitCode?: ExitCodeValue }).exitCode ?? ExitCode.buildFailed);
    // An NDJSON reader gets the error too, not an empty stream.
    if (kind === 'json') writeErrorEvent(process.stdout, error, code);
    return code;
  } finally {
    await secrets?.close();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    // Left on when the output closed: later writes fail the same way and must not crash.
    if (!outputClosed) {
      process.stdout.off('error', closeOutput);
      process.stderr.off('error', closeOutput);
    }
  }
}
