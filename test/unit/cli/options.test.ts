import { describe, expect, it } from 'vitest';

import { resolvePaths } from '../../../src/cli/main.js';
import { createProgram, normalizeArguments, parseArguments } from '../../../src/cli/options.js';
import { InputError } from '../../../src/errors.js';

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
    { argv: ['-unknown-flag'], expected: ['-unknown-flag'] },
  ])('turns $argv into $expected', ({ argv, expected }) => {
    expect(normalizeArguments(argv, program)).toEqual(expected);
  });

  it('suggests the close flag for a misspelt Go-style one', () => {
    const rejected = () => normalizeArguments(['-nocache'], program);

    expect(rejected).toThrow(InputError);
    expect(rejected).toThrow("unknown option '-nocache'");
    expect(() => normalizeArguments(['-keep-artifact'], program)).toThrow(expect.objectContaining({ hint: 'did you mean -keep-artifacts?' }));
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

describe('resolvePaths', () => {
  it('looks for the default build.yml in the work dir', () => {
    expect(resolvePaths({ file: 'build.yml', workdir: 'demo' }, '/repo')).toEqual({ file: '/repo/demo/build.yml', workDir: '/repo/demo' });
  });

  it('reads any other -f path from the current dir', () => {
    expect(resolvePaths({ file: 'ci/build.yml', workdir: 'demo' }, '/repo')).toEqual({ file: '/repo/ci/build.yml', workDir: '/repo/demo' });
  });
});
