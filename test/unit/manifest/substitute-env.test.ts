import { describe, expect, test } from 'vitest';

import { parseManifest } from '../../../src/manifest/load.js';
import type { Manifest } from '../../../src/manifest/types.js';

const HEAD = 'build:\n  version: 2016-03-14\n  steps:\n';

function parse(steps: string, env: Record<string, string | undefined>): Manifest {
  return parseManifest(HEAD + steps, { file: 'build.yml', workDir: '/project', env });
}

describe('_env substitution', () => {
  test('replaces references in every kind of string value', () => {
    const steps = [
      '    app:',
      '      name: _env(REGISTRY)/app:_env(TAG)',
      '      dockerfile: Dockerfile._env(FLAVOUR)',
      '      context: services/_env(FLAVOUR)',
      '      args:',
      '        VERSION: _env(TAG)',
      '      artifacts:',
      '        - /build/_env(FLAVOUR)/server:out/_env(FLAVOUR)',
      '      cleanup:',
      '        commands:',
      '          - rm -rf _env(CACHE_DIR)',
      '      secrets:',
      '        key: { type: file, value: _env(HOME)/.ssh/id_rsa }',
      '',
    ].join('\n');
    const env = { REGISTRY: 'registry.local:5000', TAG: '1.4', FLAVOUR: 'slim', CACHE_DIR: '/var/cache/go', HOME: '/home/dev' };

    const step = parse(steps, env).steps[0]!;

    expect(step.name).toBe('registry.local:5000/app:1.4');
    expect(step.dockerfile).toBe('Dockerfile.slim');
    expect(step.context).toBe('services/slim');
    expect(step.args).toEqual({ VERSION: '1.4' });
    expect(step.artifacts).toEqual([{ source: '/build/slim/server', destination: 'out/slim', spec: '/build/slim/server:out/slim' }]);
    expect(step.cleanupCommands).toEqual(['rm -rf /var/cache/go']);
    expect(step.secrets).toEqual([{ name: 'key', type: 'file', value: '/home/dev/.ssh/id_rsa', line: 16 }]);
  });

  test('replaces references in keys, as Habitus does by substituting the raw text', () => {
    const steps = '    _env(LABEL):\n      name: app\n      args:\n        _env(ARG_NAME): "1"\n';

    const step = parse(steps, { LABEL: 'api', ARG_NAME: 'RETRIES' }).steps[0]!;

    expect(step.label).toBe('api');
    expect(step.args).toEqual({ RETRIES: '1' });
    expect(step.line).toBe(4);
  });

  test('reads only the given values, not process.env', () => {
    const steps = '    app:\n      name: app\n      command: ls _env(HOME)\n';

    const parseWithPairs = () => parse(steps, { OTHER: 'x' });

    expect(process.env.HOME).toBeDefined();
    expect(parseWithPairs).toThrow('environment variable `HOME` is not set');
  });

  test.each([
    {
      name: 'set in the environment',
      shellEnv: { HOME: '/root' },
      hint: 'HOME is set in the environment, but once any `--env` is given weld reads only the --env pairs: add `--env HOME=VALUE`',
    },
    { name: 'set nowhere', shellEnv: {}, hint: 'add `--env HOME=VALUE`; once any `--env` is given, weld reads only the --env pairs' },
  ])('with --env pairs, a name $name is reported against the pairs', ({ shellEnv, hint }) => {
    const text = HEAD + '    app:\n      name: app\n      command: ls _env(HOME)\n';

    const parseWithPairs = () => parseManifest(text, { file: 'build.yml', workDir: '/project', env: { OTHER: 'x' }, shellEnv });

    expect(parseWithPairs).toThrow('`HOME` is not among the --env pairs; `command` in step `app` uses `_env(HOME)`');
    expect(parseWithPairs).toThrow(expect.objectContaining({ hint }));
  });

  test('a variable set to the empty string is not an error', () => {
    const steps = '    app:\n      name: app_env(SUFFIX)\n';

    const step = parse(steps, { SUFFIX: '' }).steps[0]!;

    expect(step.name).toBe('app');
  });

  // Habitus substitutes the raw text, so a value that is only a reference is read as YAML.
  test('whole-value reference read as YAML', () => {
    const steps = '    app:\n      name: app\n      no_cache: _env(NO_CACHE)\n      command: _env(COMMAND)\n';

    const step = parse(steps, { NO_CACHE: 'true', COMMAND: '' }).steps[0]!;

    expect(step.noCache).toBe(true);
    expect(step.command).toBeUndefined();
  });

  test('a substituted value stays one string even when it looks like YAML', () => {
    const steps = '    app:\n      name: app\n      command: echo _env(TEXT)\n';

    const step = parse(steps, { TEXT: 'a: b # not a comment' }).steps[0]!;

    expect(step.command).toBe('echo a: b # not a comment');
  });

  test('a set variable is used even when its name is no shell name', () => {
    const steps = '    app:\n      name: app\n      command: echo _env(my-var)\n';

    const step = parse(steps, { 'my-var': 'set' }).steps[0]!;

    expect(step.command).toBe('echo set');
  });

  test('text without a closing parenthesis is left as written', () => {
    const steps = '    app:\n      name: app\n      command: echo _env(HOME\n';

    const step = parse(steps, {}).steps[0]!;

    expect(step.command).toBe('echo _env(HOME');
  });

  test('each unset variable is reported once per line that uses it', () => {
    const steps = '    app:\n      name: app\n      command: cp _env(SRC) _env(SRC)/_env(DEST)\n';

    const substitute = () => parse(steps, {});

    expect(substitute).toThrow(
      [
        'build.yml has 2 problems:',
        '- environment variable `SRC` is not set; `command` in step `app` uses `_env(SRC)` (build.yml:6); hint: set SRC in the environment, or pass `--env SRC=VALUE` (once any `--env` is given, weld reads only those values)',
        '- environment variable `DEST` is not set; `command` in step `app` uses `_env(DEST)` (build.yml:6); hint: set DEST in the environment, or pass `--env DEST=VALUE` (once any `--env` is given, weld reads only those values)',
      ].join('\n'),
    );
  });

  test('two keys that become one after substitution are rejected', () => {
    const steps = '    app:\n      name: app\n    _env(LABEL):\n      name: other\n';

    const substitute = () => parse(steps, { LABEL: 'app' });

    expect(substitute).toThrow(
      'the key `_env(LABEL)` under `build.steps` becomes `app` after `_env` substitution, which is already a key there (build.yml:6)',
    );
  });
});
