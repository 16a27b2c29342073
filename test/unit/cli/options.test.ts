import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { resolvePaths } from '../../../src/cli/main.js';
import { createProgram, isHelpOrVersion, normalizeArguments, parseArguments } from '../../../src/cli/options.js';
import { InputError } from '../../../src/errors.js';

/** Returns the error parseArguments throws for `argv`, with what it wrote to stderr meanwhile. */
function parseError(argv: string[], cwd?: string): { error: unknown; stderr: string } {
  let stderr = '';
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    parseArguments(argv, '0.0.0', cwd);
  } catch (error) {
    return { error, stderr };
  } finally {
    write.mockRestore();
  }
  throw new Error(`parseArguments accepted ${JSON.stringify(argv)}`);
}

describe('normalizeArguments', () => {
  const program = createProgram('0.0.0');

  it.each([
    { argv: ['-no-cache'], expected: ['--no-cache'] },
    { argv: ['-keep-artifacts'], expected: ['--keep-artifacts'] },
    { argv: ['-keep-artifacts=true'], expected: ['--keep-artifacts'] },
    { argv: ['-suppress=false'], expected: [] },
    { argv: ['-rm=false'], expected: ['--no-rm'] },
    { argv: ['--rm=true'], expected: [] },
    { argv: ['-force-rm=false'], expected: ['--no-force-rm'] },
    { argv: ['-f=other.yml', '-d', 'dir'], expected: ['-f', 'other.yml', '-d', 'dir'] },
    { argv: ['-uid=ci7', '-build', 'A=1'], expected: ['--uid=ci7', '--build', 'A=1'] },
    { argv: ['-pretty=false'], expected: ['--pretty=false'] },
  ])('turns $argv into $expected', ({ argv, expected }) => {
    expect(normalizeArguments(argv, program)).toEqual(expected);
  });

  it('suggests the close flag for a misspelt Go-style one', () => {
    const rejected = () => normalizeArguments(['-nocache'], program);

    expect(rejected).toThrow(InputError);
    expect(rejected).toThrow("unknown option '-nocache'");
    expect(() => normalizeArguments(['-keep-artifact'], program)).toThrow(expect.objectContaining({ hint: 'did you mean -keep-artifacts?' }));
  });

  it.each(['-unknown-flag', '-frobnicate', '-dfoo'])('rejects the unknown Go-style flag %s', (argument) => {
    const rejected = () => normalizeArguments([argument], program);

    expect(rejected).toThrow(InputError);
    expect(rejected).toThrow(`unknown option '${argument}'`);
    expect(rejected).toThrow(expect.objectContaining({ hint: expect.stringContaining('run `weld --help` to list the flags;') }));
  });

  it('leaves a value that looks like a flag to the option before it', () => {
    expect(normalizeArguments(['-f', '-nocache'], program)).toEqual(['-f', '-nocache']);
  });

  it('rejects a boolean flag with a value that is not a boolean', () => {
    expect(() => normalizeArguments(['-rm=maybe'], program)).toThrow(InputError);
  });
});

describe('parseArguments', () => {
  it('reads Habitus flags with their defaults', () => {
    const options = parseArguments(['-no-cache', '-keep-artifacts', '-env', 'A=1', '-env', 'B=2', '-port', '9000'], '0.0.0');

    expect(options.cache).toBe(false);
    expect(options.keepArtifacts).toBe(true);
    expect(options.env).toEqual({ A: '1', B: '2' });
    expect(options.port).toBe(9000);
    expect(options.rm).toBe(true);
    // Unset, so that it follows --rm.
    expect(options.forceRm).toBeUndefined();
    expect(options.plain).toBe(false);
    expect(options.file).toBe('build.yml');
    expect(options.binding).toBe('127.0.0.1');
  });

  it.each([
    { argv: [], rm: true, forceRm: undefined },
    { argv: ['--no-rm'], rm: false, forceRm: undefined },
    { argv: ['-rm=false', '-force-rm=true'], rm: false, forceRm: true },
    { argv: ['-force-rm=false'], rm: true, forceRm: false },
  ])('reads $argv as rm $rm and force-rm $forceRm', ({ argv, rm, forceRm }) => {
    const options = parseArguments(argv, '0.0.0');

    expect(options.rm).toBe(rm);
    expect(options.forceRm).toBe(forceRm);
  });

  it.each([
    [['--json', '--plain'], "option '--plain' cannot be used with option '--json'"],
    [['--plain', '--tui'], "option '--plain' cannot be used with option '--tui'"],
    [['--json', '--tui'], "option '--json' cannot be used with option '--tui'"],
    [['--parallel', ''], '--parallel takes a whole number of at least 0, got ""'],
  ])('rejects %j', (argv, message) => {
    const write = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(() => parseArguments(argv, '0.0.0')).toThrow(message);
    } finally {
      process.stderr.write = write;
    }
  });

  it('rejects --poll without --watch', () => {
    expect(() => parseArguments(['--poll', '200'], '0.0.0')).toThrow('--poll works only in watch mode');
  });

  it('reads --poll with --watch', () => {
    expect(parseArguments(['--watch', '--poll', '200'], '0.0.0').poll).toBe(200);
    expect(parseArguments(['--watch', '--poll'], '0.0.0').poll).toBe(true);
  });

  it('rejects an --env pair without a name', () => {
    expect(() => parseArguments(['--env', '=x'], '0.0.0')).toThrow(/expected NAME=VALUE for --env/);
  });
});

describe('numeric flags', () => {
  // `--port 99999` used to reach the secret server and fail there as an internal error.
  it.each([
    { argv: ['--port', '99999'], message: '--port takes a whole number from 1 to 65535, got "99999"', hint: 'pass a free TCP port from 1 to 65535, e.g. --port 8080' },
    { argv: ['-port=65536'], message: '--port takes a whole number from 1 to 65535, got "65536"', hint: 'pass a free TCP port from 1 to 65535, e.g. --port 8080' },
    { argv: ['--port', '0'], message: '--port takes a whole number from 1 to 65535, got "0"', hint: 'pass a free TCP port from 1 to 65535, e.g. --port 8080' },
    { argv: ['--port', 'abc'], message: '--port takes a whole number from 1 to 65535, got "abc"', hint: 'pass a free TCP port from 1 to 65535, e.g. --port 8080' },
    { argv: ['--parallel', '-1'], message: '--parallel takes a whole number of at least 0, got "-1"', hint: 'pass how many steps may build at once, e.g. --parallel 2, or 0 for no cap' },
    { argv: ['--parallel', '1.5'], message: '--parallel takes a whole number of at least 0, got "1.5"', hint: 'pass how many steps may build at once, e.g. --parallel 2, or 0 for no cap' },
    { argv: ['--watch', '--poll', '49'], message: '--poll takes a whole number from 50 to 4294967295, got "49"', hint: 'pass an interval in milliseconds, e.g. --poll 500, or --poll alone for the default' },
    { argv: ['--watch', '--poll', '4294967296'], message: '--poll takes a whole number from 50 to 4294967295, got "4294967296"', hint: 'pass an interval in milliseconds, e.g. --poll 500, or --poll alone for the default' },
    {
      argv: ['--docker-cpu-shares', '262145'],
      message: '--docker-cpu-shares takes a whole number from 0 to 262144, got "262145"',
      hint: "pass a relative weight up to 262144, e.g. --docker-cpu-shares 512; 0 leaves the engine's default of 1024",
    },
    { argv: ['--docker-memory', '512'], message: '--docker-memory: "512" is below the engine\'s minimum memory limit of 6 MB', hint: 'a number without a unit counts bytes: write a unit, e.g. 512m, or 0 for no limit' },
    { argv: ['--docker-memory', '5m'], message: '--docker-memory: "5m" is below the engine\'s minimum memory limit of 6 MB', hint: 'write 6m or more, e.g. 512m, or 0 for no limit' },
    { argv: ['--docker-memory', 'lots'], message: '--docker-memory: invalid size "lots"', hint: 'write a number of bytes or use a unit: 512m, 2g' },
    { argv: ['--docker-memory', '9999999999g'], message: '--docker-memory: "9999999999g" is too large', hint: 'write at most 9007199254740991 bytes, e.g. 64g' },
    { argv: ['--docker-cpuset-cpus', '3-1'], message: '--docker-cpuset-cpus: invalid CPU list "3-1"', hint: 'write CPU numbers and ranges separated by commas, e.g. 0-3 or 0,2' },
    { argv: ['--docker-cpuset-cpus', '0,,1'], message: '--docker-cpuset-cpus: invalid CPU list "0,,1"', hint: 'write CPU numbers and ranges separated by commas, e.g. 0-3 or 0,2' },
  ])('rejects $argv as a usage error', ({ argv, message, hint }) => {
    const { error } = parseError(argv);

    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ message, hint, exitCode: 2 });
  });

  it.each([
    { argv: ['--port', '65535'], key: 'port', value: 65_535 },
    { argv: ['--port', '1'], key: 'port', value: 1 },
    { argv: ['--watch', '--poll', '4294967295'], key: 'poll', value: 4_294_967_295 },
    { argv: ['--docker-cpu-shares', '262144'], key: 'dockerCpuShares', value: 262_144 },
    { argv: ['--docker-memory', '6m'], key: 'dockerMemory', value: 6 * 1024 ** 2 },
    { argv: ['--docker-memory', '1.5g'], key: 'dockerMemory', value: 1.5 * 1024 ** 3 },
    { argv: ['--docker-memory', '0'], key: 'dockerMemory', value: 0 },
    { argv: ['-docker-memory='], key: 'dockerMemory', value: 0 },
    { argv: ['--docker-cpuset-cpus', '0-3,5'], key: 'dockerCpusetCpus', value: '0-3,5' },
  ])('reads $argv as $key $value', ({ argv, key, value }) => {
    const options = parseArguments(argv, '0.0.0');

    expect(options[key as keyof typeof options]).toBe(value);
  });
});

describe('usage errors', () => {
  let cwd: string;

  beforeAll(async () => {
    cwd = await mkdtemp(path.join(os.tmpdir(), 'weld-options-'));
    await writeFile(path.join(cwd, 'ci.yml'), 'build:\n');
    await mkdir(path.join(cwd, 'demo'));
  });

  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  // commander printed `(Did you mean --no-cache?)` under its own error line, while
  // Go-style flags got a `hint:`; each now comes as one InputError with a hint.
  it.each([
    { argv: ['--no-cahce'], message: "unknown option '--no-cahce'", hint: 'did you mean --no-cache?' },
    { argv: ['--keep-artifact'], message: "unknown option '--keep-artifact'", hint: 'did you mean --keep-artifacts?' },
    { argv: ['-nocache'], message: "unknown option '-nocache'", hint: 'did you mean -no-cache?' },
    { argv: ['--frobnicate'], message: "unknown option '--frobnicate'", hint: 'run `weld --help` to list the flags' },
    { argv: ['-x'], message: "unknown option '-x'", hint: 'run `weld --help` to list the flags; the flags of one letter are -v, -f, -d, -h' },
    { argv: ['extra-arg'], message: "unexpected argument 'extra-arg'", hint: 'weld takes no arguments, only flags; run `weld --help` to list the flags' },
    { argv: ['ci.yml'], message: "unexpected argument 'ci.yml'", hint: 'weld takes no arguments, only flags; to build from the file ci.yml, pass `-f ci.yml`' },
    { argv: ['--plain', 'demo'], message: "unexpected argument 'demo'", hint: 'weld takes no arguments, only flags; to build in the folder demo, pass `-d demo`' },
    { argv: ['demo', 'ci.yml'], message: "unexpected arguments 'demo', 'ci.yml'", hint: 'weld takes no arguments, only flags; to build in the folder demo, pass `-d demo`' },
    { argv: ['--level', 'loud'], message: "option '--level <level>' argument 'loud' is invalid", hint: 'allowed choices are debug, info, notice, warning, error, critical' },
    { argv: ['--json', '--plain'], message: "option '--plain' cannot be used with option '--json'", hint: 'pass only one of them' },
    { argv: ['--env', 'A'], message: 'expected NAME=VALUE for --env, got "A"', hint: 'write the name, `=` and the value as one argument, e.g. --env VERSION=1.2' },
  ])('reports $argv with a hint line', ({ argv, message, hint }) => {
    const { error, stderr } = parseError(argv, cwd);

    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ message, hint });
    expect(stderr).toBe('');
  });

  it('still ends with help and the version as no error', () => {
    let stdout = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });

    const help = parseError(['--help']);
    const version = parseError(['--version']);
    write.mockRestore();

    expect(isHelpOrVersion(help.error)).toBe(true);
    expect(help.stderr).toBe('');
    expect(isHelpOrVersion(version.error)).toBe(true);
    expect(stdout).toContain('Usage: weld');
    expect(stdout).toMatch(/\n0\.0\.0\n$/);
  });
});

describe('resolvePaths', () => {
  it('looks for the default build.yml in the work dir', () => {
    expect(resolvePaths({ file: 'build.yml', workdir: 'demo' }, '/repo')).toEqual({ file: '/repo/demo/build.yml', workDir: '/repo/demo' });
  });

  it('reads any other -f path from the current dir', () => {
    expect(resolvePaths({ file: 'ci/build.yml', workdir: 'demo' }, '/repo')).toEqual({ file: '/repo/ci/build.yml', workDir: '/repo/demo' });
  });
});
