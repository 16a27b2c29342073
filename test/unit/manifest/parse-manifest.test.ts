import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, test } from 'vitest';

import { parseManifest } from '../../../src/manifest/load.js';
import type { Step } from '../../../src/manifest/types.js';

const fixtureDir = fileURLToPath(new URL('../../fixtures/manifest/go-service/', import.meta.url));
const fixtureText = readFileSync(path.join(fixtureDir, 'build.yml'), 'utf8');

function parse(text: string, env: Record<string, string | undefined> = {}) {
  return parseManifest(text, { file: '/project/build.yml', workDir: '/project', env });
}

function stepOf(text: string, label = 'app'): Step {
  const step = parse(text).steps.find((candidate) => candidate.label === label);
  if (!step) throw new Error(`no step ${label}`);
  return step;
}

describe('parseManifest on a realistic Habitus build.yml', () => {
  const manifest = parseManifest(fixtureText, {
    file: path.join(fixtureDir, 'build.yml'),
    workDir: fixtureDir,
    env: { HOME: '/home/dev', BUCKET: 'releases' },
  });

  test('reads the file, work dir and version', () => {
    expect(manifest.file).toBe(path.join(fixtureDir, 'build.yml'));

    expect(manifest.workDir).toBe(path.resolve(fixtureDir));
    expect(manifest.version).toBe('2016-03-14');
  });

  test('keeps the steps in file order with their label lines', () => {
    const summary = manifest.steps.map((step) => [step.label, step.name, step.line]);

    expect(summary).toEqual([
      ['compiler', 'quotes-compiler', 7],
      ['runtime', 'quotes:latest', 23],
      ['uploader', 'quotes-uploader', 29],
    ]);
  });

  test('reads every key of the compiler step', () => {
    const compiler = manifest.steps[0]!;

    expect(compiler).toEqual({
      label: 'compiler',
      name: 'quotes-compiler',
      context: '.',
      contextDir: path.resolve(fixtureDir),
      dockerfile: 'Dockerfile.compiler',
      dockerfilePath: path.join(fixtureDir, 'Dockerfile.compiler'),
      args: { GO_VERSION: '1.19', CGO_ENABLED: '0' },
      artifacts: [
        { source: '/src/quotes/bin/quotes-server', destination: '.', spec: '/src/quotes/bin/quotes-server' },
        { source: '/src/quotes/config/defaults.json', destination: 'config', spec: '/src/quotes/config/defaults.json:config' },
      ],
      dependsOn: [],
      dependsOnLines: new Map(),
      target: undefined,
      noCache: false,
      cleanupCommands: ['rm -rf /root/.ssh'],
      command: undefined,
      afterBuildCommand: undefined,
      secrets: [{ name: 'deploy_key', type: 'file', value: '/home/dev/.ssh/quotes_deploy', line: 14 }],
      line: 7,
    });
  });

  test('reads depends_on and no_cache of the runtime step', () => {
    const runtime = manifest.steps[1]!;

    expect(runtime.dependsOn).toEqual(['compiler']);
    expect(runtime.noCache).toBe(true);
  });

  test('keeps the line of each depends_on entry', () => {
    const [, runtime, uploader] = manifest.steps;

    expect(runtime!.dependsOnLines).toEqual(new Map([['compiler', 27]]));
    expect(uploader!.dependsOnLines).toEqual(new Map([['runtime', 32]]));
  });

  test('resolves the uploader context and its default Dockerfile', () => {
    const uploader = manifest.steps[2]!;

    expect(uploader.context).toBe('./uploader');
    expect(uploader.contextDir).toBe(path.join(fixtureDir, 'uploader'));
    expect(uploader.dockerfile).toBe('Dockerfile');
    expect(uploader.dockerfilePath).toBe(path.join(fixtureDir, 'uploader', 'Dockerfile'));
  });

  test('substitutes _env in the commands of the uploader step', () => {
    const uploader = manifest.steps[2]!;

    expect(uploader.command).toBe('aws s3 cp /artifacts/quotes-server s3://releases/quotes-server');
    expect(uploader.afterBuildCommand).toBe('./notify.sh releases');
  });
});

describe('parseManifest schema versions', () => {
  test.each(['2016-03-14', '2016-02-13'])('version %s is read as written', (version) => {
    const text = `build:\n  version: ${version}\n  steps:\n    app:\n      name: app\n`;

    const manifest = parse(text);

    expect(manifest.version).toBe(version);
    expect(manifest.steps.map((step) => step.name)).toEqual(['app']);
  });

  test('a quoted version is read the same as a plain one', () => {
    const text = `build:\n  version: "2016-02-13"\n  steps:\n    app:\n      name: app\n`;

    expect(parse(text).version).toBe('2016-02-13');
  });
});

describe('parseManifest defaults', () => {
  const minimal = 'build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n';

  test('a step without dockerfile or context builds ./Dockerfile in the work dir', () => {
    const step = stepOf(minimal);

    expect(step.context).toBe('.');
    expect(step.contextDir).toBe('/project');
    expect(step.dockerfile).toBe('Dockerfile');
    expect(step.dockerfilePath).toBe('/project/Dockerfile');
  });

  test('a step without optional keys has empty lists and no commands', () => {
    const step = stepOf(minimal);

    expect(step).toMatchObject({ args: {}, artifacts: [], dependsOn: [], noCache: false, cleanupCommands: [], secrets: [] });
    expect(step.target).toBeUndefined();
    expect(step.command).toBeUndefined();
    expect(step.afterBuildCommand).toBeUndefined();
  });

  test('keys written without a value count as absent', () => {
    const text = 'build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n      dockerfile:\n      context:\n      artifacts:\n      depends_on:\n      cleanup:\n      command:\n';

    const step = stepOf(text);

    expect(step.dockerfile).toBe('Dockerfile');
    expect(step.context).toBe('.');
    expect(step.artifacts).toEqual([]);
    expect(step.dependsOn).toEqual([]);
    expect(step.cleanupCommands).toEqual([]);
    expect(step.command).toBeUndefined();
  });

  test('an artifact without destination goes to the work dir', () => {
    const text = 'build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n      artifacts:\n        - /go/bin/server\n        - "/etc/app.conf:"\n';

    const step = stepOf(text);

    expect(step.artifacts.map((artifact) => artifact.destination)).toEqual(['.', '.']);
  });

  test('without workDir the work dir is the current folder, as with Habitus', () => {
    const manifest = parseManifest('build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n', { file: 'build.yml', env: {} });

    expect(manifest.workDir).toBe(process.cwd());
    expect(manifest.file).toBe(path.join(process.cwd(), 'build.yml'));
  });

  test('a context and Dockerfile resolve against the given work dir', () => {
    const text = 'build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n      context: services/api\n      dockerfile: docker/Dockerfile.prod\n';

    const step = stepOf(text);

    expect(step.contextDir).toBe('/project/services/api');
    expect(step.dockerfilePath).toBe('/project/services/api/docker/Dockerfile.prod');
  });
});

// Habitus reads build.yml with Go's yaml.v2, which takes the YAML 1.1 words for booleans.
const YAML_11_BOOLEANS: Array<[string, boolean]> = [
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((word): [string, boolean] => [word, true]),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((word): [string, boolean] => [word, false]),
];

describe('parseManifest booleans', () => {
  test.each(['2016-03-14', '2016-02-13'].flatMap((version) => YAML_11_BOOLEANS.map(([word, value]) => ({ version, word, value }))))(
    'no_cache: $word is $value under $version',
    ({ version, word, value }) => {
      const text = `build:\n  version: ${version}\n  steps:\n    app:\n      name: app\n      no_cache: ${word}\n`;

      const step = parse(text).steps[0]!;

      expect(step.noCache).toBe(value);
    },
  );

  test('a whole-value _env reference reads a boolean word for no_cache', () => {
    const text = 'build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n      no_cache: _env(NO_CACHE)\n';

    const step = parse(text, { NO_CACHE: 'yes' }).steps[0]!;

    expect(step.noCache).toBe(true);
  });

  test('text keys and values keep boolean words as written', () => {
    const text = [
      'build:',
      '  version: 2016-03-14',
      '  steps:',
      '    yes:',
      '      name: "on"',
      '      args:',
      '        A: yes',
      '        B: No',
      '        C: True',
      '        D: n',
      '        OFF: off',
      '      target: on',
      '      command: y',
      '      after_build_command: NO',
      '      cleanup:',
      '        commands: [Off, TRUE]',
      '    app:',
      '      name: app',
      '      depends_on: [yes]',
      '      command: _env(ANSWER)',
      '',
    ].join('\n');

    const [first, app] = parse(text, { ANSWER: 'yes' }).steps;

    expect(first!.label).toBe('yes');
    expect(first!.name).toBe('on');
    expect(first!.args).toEqual({ A: 'yes', B: 'No', C: 'True', D: 'n', OFF: 'off' });
    expect(first!.target).toBe('on');
    expect(first!.command).toBe('y');
    expect(first!.afterBuildCommand).toBe('NO');
    expect(first!.cleanupCommands).toEqual(['Off', 'TRUE']);
    expect(app!.dependsOn).toEqual(['yes']);
    expect(app!.command).toBe('yes');
  });
});

describe('parseManifest values', () => {
  test('args scalars become strings', () => {
    const text = 'build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n      args:\n        GO: 1.10\n        RETRIES: 3\n        DEBUG: true\n        HEX: 0x1F\n        EMPTY:\n';

    const step = stepOf(text);

    expect(step.args).toEqual({ GO: '1.10', RETRIES: '3', DEBUG: 'true', HEX: '0x1F', EMPTY: '' });
  });

  test('depends_on entries keep their own lines', () => {
    const text = [
      'build:',
      '  version: 2016-03-14',
      '  steps:',
      '    a:',
      '      name: a',
      '    b:',
      '      name: b',
      '    c:',
      '      name: c',
      '      depends_on:',
      '        - a',
      '',
      '        - b',
      '        - a',
      '',
    ].join('\n');

    const step = stepOf(text, 'c');

    expect(step.line).toBe(8);
    expect(step.dependsOnLines).toEqual(new Map([['a', 11], ['b', 13]]));
  });

  test('secrets of both types keep their names and values', () => {
    const text = [
      'build:',
      '  version: 2016-03-14',
      '  steps:',
      '    app:',
      '      name: app',
      '      secrets:',
      '        id_rsa:',
      '          type: file',
      '          value: /home/dev/.ssh/id_rsa',
      '        npm_token: { type: env, value: NPM_TOKEN }',
      '',
    ].join('\n');

    const step = stepOf(text);

    expect(step.secrets).toEqual([
      { name: 'id_rsa', type: 'file', value: '/home/dev/.ssh/id_rsa', line: 7 },
      { name: 'npm_token', type: 'env', value: 'NPM_TOKEN', line: 10 },
    ]);
  });

  test('target keeps the line of its key', () => {
    const text = ['build:', '  version: 2016-03-14', '  steps:', '    app:', '      name: app', '      target: runtime', ''].join('\n');

    const step = stepOf(text);

    expect(step.target).toBe('runtime');
    expect(step.targetLine).toBe(6);
  });

  test('cleanup commands keep their order', () => {
    const text = 'build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n      cleanup:\n        commands:\n          - rm -rf /root/.ssh\n          - rm /tmp/token\n';

    const step = stepOf(text);

    expect(step.cleanupCommands).toEqual(['rm -rf /root/.ssh', 'rm /tmp/token']);
  });

  test('target, command and after_build_command are read as written', () => {
    const text = 'build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n      target: build\n      command: go test ./...\n      after_build_command: echo built\n';

    const step = stepOf(text);

    expect(step.target).toBe('build');
    expect(step.command).toBe('go test ./...');
    expect(step.afterBuildCommand).toBe('echo built');
  });

  test('labels that look like numbers keep the order of the file', () => {
    const text = 'build:\n  version: 2016-03-14\n  steps:\n    10:\n      name: ten\n    2:\n      name: two\n';

    const labels = parse(text).steps.map((step) => [step.label, step.line]);

    expect(labels).toEqual([
      ['10', 4],
      ['2', 6],
    ]);
  });

  test('merge keys inside steps apply to each step', () => {
    const text = [
      'build:',
      '  version: 2016-03-14',
      '  steps:',
      '    api:',
      '      <<: { dockerfile: Dockerfile.shared, no_cache: true }',
      '      name: api',
      '',
    ].join('\n');

    const step = parse(text).steps[0]!;

    expect(step.dockerfile).toBe('Dockerfile.shared');
    expect(step.noCache).toBe(true);
  });

  test('top-level anchor holders beside build are ignored', () => {
    const text = [
      'defaults: &defaults',
      '  dockerfile: Dockerfile.shared',
      '  no_cache: true',
      'notes: built by CI',
      'build:',
      '  version: 2016-03-14',
      '  steps:',
      '    api:',
      '      <<: *defaults',
      '      name: api',
      '',
    ].join('\n');

    const manifest = parse(text);

    expect(manifest.steps.map((step) => step.label)).toEqual(['api']);
    expect(manifest.steps[0]!.dockerfile).toBe('Dockerfile.shared');
    expect(manifest.steps[0]!.noCache).toBe(true);
  });
});
