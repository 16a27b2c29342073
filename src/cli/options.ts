// Command-line arguments: weld's own flags and every flag Habitus has, in both
// spellings (`--no-cache` and Go-style `-no-cache`, `-rm=false`).

import { Command, CommanderError, Option } from 'commander';

import { InputError } from '../errors.js';
import { DEFAULT_BUILD_FILE } from '../manifest/load.js';
import { closestMatch } from '../manifest/suggest.js';
import {
  CPU_SHARES_RANGE,
  PARALLEL_RANGE,
  parseCpuset,
  parseKeyValue,
  parseMemory,
  parseWholeNumber,
  POLL_RANGE,
  PORT_RANGE,
} from './option-values.js';
import { toUsageError } from './usage-error.js';

/** The parsed command line. */
export interface CliOptions {
  file: string;
  workdir?: string;
  plain: boolean;
  json: boolean;
  tui: boolean;
  watch: boolean;
  /** `--poll`: an interval in milliseconds, or true when given without one. */
  poll?: number | true;
  parallel: number;
  keepGoing: boolean;
  debug: boolean;
  network?: string;
  cache: boolean;
  rm: boolean;
  /** Unset unless given: it then follows `rm`. */
  forceRm?: boolean;
  suppress: boolean;
  build: Record<string, string>;
  env: Record<string, string>;
  uid?: string;
  keepArtifacts: boolean;
  host?: string;
  certs?: string;
  useTls: boolean;
  tlsVerify: boolean;
  level: string;
  pretty: boolean;
  /** `--docker-memory` in bytes; 0 sets no limit. */
  dockerMemory?: number;
  dockerCpusetCpus?: string;
  dockerCpuShares?: number;
  forceRmi: boolean;
  nopruneRmi: boolean;
  keepAll: boolean;
  cleanup: boolean;
  secrets: boolean;
  secProviders: string;
  binding: string;
  port: number;
  afterBuildCommands: boolean;
  authenticationSecretServer: boolean;
  userSecretServer?: string;
  passwordSecretServer?: string;
  os?: string;
  useStat: boolean;
}

/** Log levels Habitus accepts for `--level`. */
const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical'];

/** Creates the commander program with every flag and its help group. */
export function createProgram(version: string): Command {
  const program = new Command('weld')
    .description('Build the steps of a Habitus build.yml as a graph of Docker images, with a live console.')
    .version(version, '-v, --version', 'print the version of weld')
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(false)
    .configureHelp({ sortOptions: false, showGlobalOptions: false });

  const group = (heading: string, options: Option[]): void => {
    for (const option of options) program.addOption(option.helpGroup(heading));
  };

  group('Input:', [
    new Option('-f, --file <path>', 'build file; build.yml is read in the work dir, any other relative path from the current dir').default(DEFAULT_BUILD_FILE),
    new Option('-d, --workdir <dir>', 'work dir that contexts and artifacts are relative to (default: the current dir)'),
    new Option('--env <NAME=VALUE>', 'value for _env(NAME) in build.yml; once any is given, only these are used (repeatable)')
      .argParser(parseKeyValue('--env'))
      .default({}, 'the environment'),
    new Option('--build <NAME=VALUE>', 'build argument for every step; a step\'s own args win (repeatable)')
      .argParser(parseKeyValue('--build'))
      .default({}, 'none'),
    new Option('--uid <id>', 'suffix for every image name, so runs on a shared engine do not collide'),
  ]);

  group('Output:', [
    new Option('--plain', 'plain lines prefixed with the step label (the default when stdout is not a terminal)').conflicts(['json', 'tui']),
    new Option('--json', 'the event stream as NDJSON, one event a line').conflicts(['tui']),
    new Option('--tui', 'the live console even when stdout is not a terminal'),
    new Option('--debug', 'debug output on stderr, and stack traces of errors'),
  ]);

  group('Running:', [
    new Option('--parallel <n>', 'maximum steps building at once (0: no cap)').argParser(parseWholeNumber('--parallel', PARALLEL_RANGE)).default(0, 'no cap'),
    new Option('--keep-going', 'after a failure, let independent steps finish'),
    new Option('--watch', 'rebuild what a change to sources, Dockerfiles or build.yml affects'),
    new Option('--poll [ms]', 'with --watch, poll for changes every ms milliseconds (bind mounts, network drives)')
      .argParser(parseWholeNumber('--poll', POLL_RANGE)),
    new Option('--keep-artifacts', 'leave the copied artifacts in place after the run'),
  ]);

  group('Docker build:', [
    new Option('--no-cache', 'build every step without the layer cache'),
    new Option('--no-rm', 'keep intermediate containers after a successful build (Habitus: -rm=false)'),
    new Option('--force-rm', 'remove the container of a failed instruction too (the default, unless --no-rm)'),
    new Option('--no-force-rm', 'keep the container of a failed instruction for debugging (Habitus: -force-rm=false)'),
    new Option('--suppress', 'print no build output, only progress and results'),
    new Option('--network <mode>', 'network mode for RUN instructions (host, none, or a network name)'),
    new Option('--docker-memory <bytes>', 'memory limit for RUN containers, e.g. 512m; at least 6m, or 0 for no limit').argParser(parseMemory),
    new Option('--docker-cpuset-cpus <cpus>', 'CPUs RUN containers may use, e.g. 0-1').argParser(parseCpuset),
    new Option('--docker-cpu-shares <n>', 'relative CPU weight of RUN containers, up to 262144').argParser(parseWholeNumber('--docker-cpu-shares', CPU_SHARES_RANGE)),
  ]);

  group('Docker engine:', [
    new Option('--host <url>', 'engine address: unix://, tcp:// or ssh:// (default: DOCKER_HOST, else the local socket)'),
    new Option('--certs <dir>', 'folder with ca.pem, cert.pem and key.pem (default: DOCKER_CERT_PATH)'),
    new Option('--use-tls', 'talk TLS to the engine without verifying its certificate'),
    new Option('--tls-verify', 'talk TLS to the engine and verify its certificate (default: DOCKER_TLS_VERIFY)'),
  ]);

  group('Habitus steps and images:', [
    new Option('--no-cleanup', 'skip the cleanup commands of every step'),
    new Option('--after-build-commands', 'allow after_build_command to run on this host'),
    new Option('--keep-all', 'keep every step image and the pre-cleanup image of steps with cleanup commands; overrides --force-rmi and --noprune-rmi'),
    new Option('--force-rmi', 'after a successful run, force-remove the images of steps that are not final (weld keeps them by default)'),
    new Option('--noprune-rmi', 'after a successful run, remove the images of steps that are not final but keep their untagged parents'),
  ]);

  group('Habitus secrets:', [
    new Option('--secrets', 'serve the secrets of build.yml while steps build; builds then use the host network and get habitus_host and habitus_port build args'),
    new Option('--sec-providers <list>', 'secret providers allowed, comma separated').default('file,env'),
    new Option('--binding <address>', 'address the secret server listens on').default('127.0.0.1'),
    new Option('--port <port>', 'port of the secret server, from 1 to 65535').argParser(parseWholeNumber('--port', PORT_RANGE)).default(8080),
    new Option('--authentication-secret-server', 'require basic auth on the secret server'),
    new Option('--user-secret-server <user>', 'basic auth user of the secret server (default: habitus)'),
    new Option('--password-secret-server <password>', 'basic auth password of the secret server (default: a random one for each run)'),
  ]);

  group('Habitus output:', [
    new Option('--level <level>', 'Habitus log level: debug is --debug, error and critical are --suppress, the others change nothing')
      .choices(LOG_LEVELS)
      .default('info'),
    new Option('--pretty [bool]', '--pretty=false prints plain lines, as --plain does').default(true),
  ]);

  group('Accepted for Habitus, no effect in weld:', [
    new Option('--os <os>', 'no effect: Habitus chose the container shell and stat command by it; weld runs commands without a shell unless they use shell syntax'),
    new Option('--use-stat', 'no effect: weld takes file modes from the copy archive and runs no stat in the image'),
  ]);

  return program;
}

/** Options that are off unless given. */
const SWITCHES = [
  'plain', 'json', 'tui', 'debug', 'keepGoing', 'watch', 'keepArtifacts', 'suppress', 'useTls', 'tlsVerify',
  'afterBuildCommands', 'keepAll', 'forceRmi', 'nopruneRmi', 'secrets', 'authenticationSecretServer', 'useStat',
] as const satisfies readonly (keyof CliOptions)[];

/** Boolean flags of Habitus that Go also accepts as `-flag=true` / `-flag=false`. */
const BOOLEAN_FLAGS = new Set([
  'plain', 'json', 'tui', 'debug', 'keep-going', 'watch', 'keep-artifacts', 'suppress', 'use-tls', 'tls-verify',
  'after-build-commands', 'keep-all', 'force-rmi', 'noprune-rmi', 'secrets', 'authentication-secret-server', 'use-stat', 'pretty',
]);
/** Flags whose commander form is negated: `--rm=false` means `--no-rm`. */
const NEGATED_FLAGS = new Map([
  ['rm', { whenTrue: undefined, whenFalse: '--no-rm' }],
  ['no-cache', { whenTrue: '--no-cache', whenFalse: undefined }],
  ['no-cleanup', { whenTrue: '--no-cleanup', whenFalse: undefined }],
  // weld removes the container of a failed instruction by default (unless --no-rm), unlike Habitus.
  ['force-rm', { whenTrue: '--force-rm', whenFalse: '--no-force-rm' }],
]);

/** Returns whether `argument` is an option that takes the next argument as its value. */
function takesValue(program: Command, argument: string | undefined): boolean {
  if (argument === undefined || argument.includes('=')) return false;
  const flag = argument.replace(/^-+/, '');
  const option = program.options.find((candidate) => candidate.long === `--${flag}` || candidate.short === `-${flag}`);
  return option !== undefined && (option.required || option.optional);
}

/**
 * Rewrites Habitus's Go-style arguments into the form commander parses:
 * `-no-cache` → `--no-cache`, `-keep-artifacts=true` → `--keep-artifacts`,
 * `-rm=false` → `--no-rm`, `--suppress=false` → nothing.
 */
export function normalizeArguments(argv: string[], program: Command): string[] {
  const longNames = new Set(program.options.map((option) => option.long?.replace(/^--/, '')).filter(Boolean) as string[]);
  longNames.add('rm');
  longNames.add('force-rm');
  const result: string[] = [];

  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '--') {
      result.push(...argv.slice(index));
      break;
    }
    const match = /^--?([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(argument);
    const single = match && !argument.startsWith('--');
    if (!match) {
      result.push(argument);
      continue;
    }
    if (single && match[1]!.length === 1) {
      // Go's flag package also takes `-f=build.yml`; commander wants `-f build.yml`.
      result.push(...(match[2] === undefined ? [argument] : [`-${match[1]}`, match[2]]));
      continue;
    }
    const [, name, value] = match as unknown as [string, string, string | undefined];
    if (!longNames.has(name)) {
      // commander suggests a close flag for `--nocache` but not for Go's `-nocache`.
      if (single && !takesValue(program, argv[index - 1])) {
        const close = closestMatch(name, [...longNames]);
        if (close) throw new InputError(`unknown option '${argument}'`, { hint: `did you mean -${close}?` });
        // Left to commander, `-frobnicate` would read as `-f robnicate`. Go's flag
        // package, which Habitus uses, takes it as the unknown flag `frobnicate`.
        throw new InputError(`unknown option '${argument}'`, { hint: 'run `weld --help` to list the flags; a one-letter flag takes its value after a space or =, as in -f build.yml' });
      }
      result.push(argument);
      continue;
    }

    const negated = NEGATED_FLAGS.get(name);
    if (negated) {
      const on = value === undefined || /^(true|1|t)$/i.test(value);
      if (value !== undefined && !/^(true|false|1|0|t|f)$/i.test(value)) {
        throw new InputError(`-${name} takes true or false, got "${value}"`, { hint: `write --${name} or --${name}=false` });
      }
      const replacement = on ? negated.whenTrue : negated.whenFalse;
      if (replacement) result.push(replacement);
      continue;
    }
    if (BOOLEAN_FLAGS.has(name) && value !== undefined) {
      if (!/^(true|false|1|0|t|f)$/i.test(value)) {
        throw new InputError(`--${name} takes true or false, got "${value}"`, { hint: `write --${name} or --${name}=false` });
      }
      if (name === 'pretty') result.push(`--pretty=${/^(true|1|t)$/i.test(value)}`);
      else if (/^(true|1|t)$/i.test(value)) result.push(`--${name}`);
      continue;
    }
    result.push(value === undefined ? `--${name}` : `--${name}=${value}`);
  }
  return result;
}

/** Codes of the CommanderErrors that end parsing after printing help or the version, which is no error. */
const OUTPUT_CODES = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/** Returns whether parseArguments threw `error` after printing help or the version. */
export function isHelpOrVersion(error: unknown): boolean {
  return error instanceof CommanderError && OUTPUT_CODES.has(error.code);
}

/**
 * Parses the command line. Help and the version are printed by commander, which then throws
 * a CommanderError with one of OUTPUT_CODES; every bad argument throws an InputError.
 */
export function parseArguments(argv: string[], version: string, cwd = process.cwd()): CliOptions {
  const program = createProgram(version);
  program.exitOverride();
  // commander's own error lines are replaced by the InputError that toUsageError returns.
  program.configureOutput({ writeErr: (text) => process.stderr.write(text), outputError: () => undefined });
  try {
    program.parse(normalizeArguments(argv, program), { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && !isHelpOrVersion(error)) throw toUsageError(error, program, cwd);
    throw error;
  }
  const options = program.opts() as Omit<CliOptions, 'pretty'> & { pretty: boolean | string };

  // Switches carry no default, so that --help does not list `(default: false)` for each.
  const switches = Object.fromEntries(SWITCHES.map((name) => [name, options[name] === true]));
  const parsed = { ...options, ...switches, pretty: options.pretty !== false && options.pretty !== 'false' } as CliOptions;
  if (parsed.poll !== undefined && !parsed.watch) {
    throw new InputError('--poll works only in watch mode', { hint: 'add --watch, or leave out --poll' });
  }
  return parsed;
}
