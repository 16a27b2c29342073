import { describe, expect, test } from 'vitest';

import { InputError } from '../../../src/errors.js';
import { parseManifest } from '../../../src/manifest/load.js';

// `file: 'build.yml'` is relative to the current folder, so messages name it `build.yml`.
function errorOf(text: string, env: Record<string, string | undefined> = {}): InputError {
  try {
    parseManifest(text, { file: 'build.yml', workDir: '/project', env });
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('parseManifest accepted the text');
}

const HEAD = 'build:\n  version: 2016-03-14\n  steps:\n';

interface BadInput {
  name: string;
  text: string;
  env?: Record<string, string>;
  message: string;
  hint: string;
}

const BAD_INPUTS: BadInput[] = [
  {
    name: 'YAML syntax error',
    text: 'build:\n  version: 2016-03-14\n   steps:\n',
    message: [
      'invalid YAML: bad indentation of a mapping entry (build.yml:3:9)',
      ' 1 | build:',
      ' 2 |   version: 2016-03-14',
      ' 3 |    steps:',
      '-------------^',
    ].join('\n'),
    hint: 'indent with spaces, and line up the keys of one mapping at the same column',
  },
  {
    name: 'tab in indentation',
    text: 'build:\n\tversion: 2016-03-14\n',
    message: 'invalid YAML: tab characters must not be used in indentation (build.yml:2:1)\n 1 | build:\n 2 | →version: 2016-03-14\n-----^',
    hint: 'indent with spaces, and line up the keys of one mapping at the same column',
  },
  {
    name: 'key repeated in a step',
    text: HEAD + '    app:\n      name: a\n      name: b\n',
    message: [
      'invalid YAML: duplicated mapping key (build.yml:6:7)',
      ' 3 |   steps:',
      ' 4 |     app:',
      ' 5 |       name: a',
      ' 6 |       name: b',
      '-----------^',
    ].join('\n'),
    hint: 'a key may appear only once in a mapping; remove or rename the repeated one',
  },
  {
    name: 'empty file',
    text: '# only a comment\n',
    message: 'the file is empty (build.yml:1)',
    hint: 'start the file with `build:`, with `version:` and `steps:` indented under it',
  },
  {
    name: 'list at the top level',
    text: '- build\n',
    message: 'the file must be a mapping with the key `build`, found a list (build.yml:1)',
    hint: 'start the file with `build:`, with `version:` and `steps:` indented under it',
  },
  {
    name: 'misspelt top-level key',
    text: 'bulid:\n  version: 2016-03-14\n',
    message: 'unknown key `bulid` at the top level (build.yml:1)',
    hint: 'did you mean `build`?',
  },
  {
    name: 'misspelt build beside another top-level key',
    text: 'common: &common\n  name: x\nbuidl:\n  version: 2016-03-14\n',
    message: 'unknown key `buidl` at the top level (build.yml:3)',
    hint: 'did you mean `build`?',
  },
  {
    name: 'no build beside another top-level key',
    text: 'common: &common\n  name: x\n',
    message: 'missing key `build` at the top level (build.yml:1)',
    hint: 'indent `version:` and `steps:` under `build:`',
  },
  {
    name: 'build given as a list',
    text: 'build:\n  - version: 2016-03-14\n',
    message: '`build` must be a mapping with `version` and `steps`, found a list (build.yml:2)',
    hint: 'indent `version:` and `steps:` under `build:`',
  },
  {
    name: 'uppercase image name',
    text: HEAD + '    app:\n      name: Team/App:1.0\n',
    message: 'image name `Team/App:1.0` in step `app` has an uppercase letter (build.yml:5)',
    hint: 'image names are lowercase: write `team/app:1.0`',
  },
  {
    name: 'misspelt step key',
    text: HEAD + '    builder:\n      name: builder\n      dependson:\n        - base\n    base:\n      name: base\n',
    message: 'unknown key `dependson` in step `builder` (build.yml:6)',
    hint: 'did you mean `depends_on`?',
  },
  {
    name: 'image instead of name',
    text: HEAD + '    app:\n      image: app\n',
    message: 'unknown key `image` in step `app` (build.yml:5)',
    hint: 'did you mean `name`?',
  },
  {
    name: 'step key with no likely meaning',
    text: HEAD + '    app:\n      name: app\n      privileged: true\n',
    message: 'unknown key `privileged` in step `app` (build.yml:6)',
    hint: 'valid keys here: name, dockerfile, context, args, artifacts, depends_on, target, no_cache, cleanup, command, after_build_command, secrets',
  },
  {
    name: 'misspelt cleanup key',
    text: HEAD + '    app:\n      name: app\n      cleanup:\n        command:\n          - rm -rf /root/.ssh\n',
    message: 'unknown key `command` in `cleanup` of step `app` (build.yml:7)',
    hint: 'did you mean `commands`?',
  },
  {
    name: 'shortened secret key',
    text: HEAD + '    app:\n      name: app\n      secrets:\n        id_rsa: { type: file, val: /keys/id_rsa }\n',
    message: 'unknown key `val` in secret `id_rsa` of step `app` (build.yml:7)',
    hint: 'did you mean `value`?',
  },
  {
    name: 'missing version',
    text: 'build:\n  steps:\n    app:\n      name: app\n',
    message: 'missing key `version` under `build` (build.yml:1)',
    hint: 'write `version: 2016-03-14` (supported versions: 2016-03-14, 2016-02-13)',
  },
  {
    name: 'unsupported version',
    text: 'build:\n  version: 2017-01-01\n  steps:\n    app:\n      name: app\n',
    message: '`version` under `build` must be one of 2016-03-14, 2016-02-13, found the string `2017-01-01` (build.yml:2)',
    hint: 'write `version: 2016-03-14` (supported versions: 2016-03-14, 2016-02-13)',
  },
  {
    name: 'missing steps',
    text: 'build:\n  version: 2016-03-14\n',
    message: 'missing key `steps` under `build` (build.yml:1)',
    hint: 'add `steps:` with at least one step indented under it',
  },
  {
    name: 'steps with no value',
    text: HEAD,
    message: 'no steps under `build.steps` (build.yml:3)',
    hint: 'add a step: a label such as `app:` with `name: app` indented under it',
  },
  {
    name: 'steps as an empty mapping',
    text: 'build:\n  version: 2016-03-14\n  steps: {}\n',
    message: 'no steps under `build.steps` (build.yml:3)',
    hint: 'add a step: a label such as `app:` with `name: app` indented under it',
  },
  {
    name: 'steps as a list, as in the old Habitus docs',
    text: 'build:\n  version: 2016-02-13\n  steps:\n    - builder:\n      name: builder\n',
    message: '`steps` under `build` is a list, but Habitus reads steps as a mapping keyed by step label (build.yml:3)',
    hint: 'remove the `- ` before each step label, so that each step is `label:` with its keys indented under it',
  },
  {
    name: 'step with no value',
    text: HEAD + '    app:\n',
    message: 'step `app` has no value (build.yml:4)',
    hint: "indent the step's keys under its label, e.g. `name: app`",
  },
  {
    name: 'missing name',
    text: HEAD + '    app:\n      dockerfile: Dockerfile.app\n',
    message: 'missing key `name` in step `app` (build.yml:4)',
    hint: 'write the image name, e.g. `name: app` or `name: app:1.0`',
  },
  {
    name: 'empty name',
    text: HEAD + '    app:\n      name: ""\n',
    message: '`name` in step `app` is empty (build.yml:5)',
    hint: 'write the image name, e.g. `name: app` or `name: app:1.0`',
  },
  {
    name: 'depends_on written as a string',
    text: HEAD + '    base:\n      name: base\n    app:\n      name: app\n      depends_on: base\n',
    message: '`depends_on` in step `app` must be a list of step labels, found the string `base` (build.yml:8)',
    hint: 'write `depends_on: [label]`, or one `- label` line per step',
  },
  {
    name: 'no_cache written as a word that is no YAML boolean',
    text: HEAD + '    app:\n      name: app\n      no_cache: always\n',
    message: '`no_cache` in step `app` must be `true` or `false`, found the string `always` (build.yml:6)',
    hint: 'write `no_cache: true` or `no_cache: false` (`yes`/`no` and `on`/`off` work too)',
  },
  {
    name: 'arg value that is a list',
    text: HEAD + '    app:\n      name: app\n      args:\n        TARGETS: [linux, darwin]\n',
    message: '`args.TARGETS` in step `app` must be a string, number or boolean, found a list (build.yml:7)',
    hint: 'write a single value, quoted if needed, e.g. `VERSION: "1.2"`',
  },
  {
    name: 'artifact entry ending with a colon',
    text: HEAD + '    app:\n      name: app\n      artifacts:\n        - /app/server:\n',
    message: '`artifacts[0]` in step `app` must be a string, found a mapping (build.yml:7)',
    hint: 'write `/path/in/image` or `/path/in/image:destination`, quoted if it ends with `:`',
  },
  {
    name: 'cleanup given as a list',
    text: HEAD + '    app:\n      name: app\n      cleanup:\n        - rm -rf /root/.ssh\n',
    message: '`cleanup` in step `app` must be a mapping with `commands`, found a list (build.yml:7)',
    hint: 'write `cleanup:` with `commands:` and a list of commands indented under it',
  },
  {
    name: 'unsupported secret type',
    text: HEAD + '    app:\n      name: app\n      secrets:\n        id_rsa:\n          type: ssh\n          value: /keys/id_rsa\n',
    message: '`type` in secret `id_rsa` of step `app` must be `file` or `env`, found the string `ssh` (build.yml:8)',
    hint: 'write `type: file` (the value is a file path) or `type: env` (the value is a variable name)',
  },
  {
    name: 'secrets under version 2016-02-13',
    text: 'build:\n  version: 2016-02-13\n  steps:\n    app:\n      name: app\n      secrets:\n        id_rsa: { type: file, value: /keys/id_rsa }\n',
    message: '`secrets` in step `app` need build schema version 2016-03-14, but the file declares 2016-02-13 (build.yml:6)',
    hint: 'set `version: 2016-03-14`; Habitus ignores `secrets` under 2016-02-13, so the build would run without them',
  },
  {
    name: 'image name used by two steps',
    text: HEAD + '    one:\n      name: app\n    two:\n      name: app\n',
    message: 'step `two` builds image `app`, which step `one` also builds (build.yml:7)',
    hint: "give each step its own `name`; later steps refer to an earlier step's image by this name in `FROM`",
  },
  {
    name: 'image name used by two steps, once with the implied tag',
    text: HEAD + '    one:\n      name: app\n    two:\n      name: app:latest\n',
    message: 'step `two` builds image `app:latest`, which step `one` also builds (written `app` there) (build.yml:7)',
    hint: "give each step its own `name`; later steps refer to an earlier step's image by this name in `FROM`",
  },
  {
    name: 'depends_on with a misspelt label',
    text: HEAD + '    builder:\n      name: builder\n    app:\n      name: app\n      depends_on:\n        - buidler\n',
    message: 'step `app` depends on `buidler`, which is not a step label (build.yml:9)',
    hint: 'did you mean `builder`?',
  },
  {
    name: 'depends_on with an image name',
    text: HEAD + '    compile:\n      name: go-builder\n    app:\n      name: app\n      depends_on: [go-builder]\n',
    message: 'step `app` depends on `go-builder`, which is not a step label (build.yml:8)',
    hint: '`go-builder` is the image name of step `compile`; `depends_on` lists step labels, so write `compile`',
  },
  {
    name: 'depends_on with an unrelated word',
    text: HEAD + '    compile:\n      name: compile\n    app:\n      name: app\n      depends_on: [database]\n',
    message: 'step `app` depends on `database`, which is not a step label (build.yml:8)',
    hint: '`depends_on` lists step labels; the steps here are `compile`, `app`',
  },
  {
    name: 'artifact with two colons',
    text: HEAD + '    app:\n      name: app\n      artifacts:\n        - /app/server:bin:extra\n',
    message: 'artifact `/app/server:bin:extra` in step `app` has more than one `:` (build.yml:7)',
    hint: 'write `/path/in/image` or `/path/in/image:destination`; a path that contains `:` cannot be an artifact',
  },
  {
    name: 'artifact with a relative source',
    text: HEAD + '    app:\n      name: app\n      artifacts:\n        - bin/server:out\n',
    message: 'artifact `bin/server:out` in step `app` has a relative source path `bin/server` (build.yml:7)',
    hint: 'write the absolute path inside the image, starting with `/`',
  },
  {
    name: 'artifact with an absolute destination',
    text: HEAD + '    app:\n      name: app\n      artifacts:\n        - /app/server:/out\n',
    message: 'artifact `/app/server:/out` in step `app` has an absolute destination `/out` (build.yml:7)',
    hint: 'write a folder relative to the work dir, e.g. `/app/server:out`',
  },
  {
    name: 'artifact destination that leads out of the work dir',
    text: HEAD + '    app:\n      name: app\n      artifacts:\n        - /app/server:bin\n        - /x/f:../escape\n',
    message: 'artifact `/x/f:../escape` in step `app` has a destination `../escape` outside the work dir (build.yml:8)',
    hint: 'weld writes artifacts only inside the work dir, which `-d` sets; write a folder relative to it, e.g. `/x/f:escape`',
  },
  {
    name: 'artifact destination that leads out of the work dir after normalisation',
    text: HEAD + '    app:\n      name: app\n      artifacts: [/x/f:a/../../b]\n',
    message: 'artifact `/x/f:a/../../b` in step `app` has a destination `a/../../b` outside the work dir (build.yml:6)',
    hint: 'weld writes artifacts only inside the work dir, which `-d` sets; write a folder relative to it, e.g. `/x/f:b`',
  },
  {
    name: 'unset environment variable',
    text: HEAD + '    app:\n      name: app\n      command: s3cmd put /app s3://_env(BUCKET)/app\n',
    message: 'environment variable `BUCKET` is not set; `command` in step `app` uses `_env(BUCKET)` (build.yml:6)',
    hint: 'set BUCKET in the environment, or pass `--env BUCKET=VALUE` (once any `--env` is given, weld reads only those values)',
  },
  {
    name: 'unset environment variable in a key',
    text: HEAD + '    _env(LABEL):\n      name: app\n',
    message: 'environment variable `LABEL` is not set; the key `_env(LABEL)` under `build.steps` uses `_env(LABEL)` (build.yml:4)',
    hint: 'set LABEL in the environment, or pass `--env LABEL=VALUE` (once any `--env` is given, weld reads only those values)',
  },
  {
    name: '_env with a space in the name',
    text: HEAD + '    app:\n      name: app\n      command: echo _env(A B)\n',
    message: '`command` in step `app` uses `_env(A B)`, but `A B` is not a valid environment variable name (build.yml:6)',
    hint: 'a name is letters, digits and `_`, and does not start with a digit; write one name between the parentheses, e.g. `_env(BUCKET_NAME)`',
  },
  {
    name: '_env with a name that starts with a digit, in a key',
    text: HEAD + '    _env(1ST):\n      name: app\n',
    message: 'the key `_env(1ST)` under `build.steps` uses `_env(1ST)`, but `1ST` is not a valid environment variable name (build.yml:4)',
    hint: 'a name is letters, digits and `_`, and does not start with a digit; write one name between the parentheses, e.g. `_env(BUCKET_NAME)`',
  },
  {
    name: '_env without a name',
    text: HEAD + '    app:\n      name: app_env()\n',
    message: '`name` in step `app` uses `_env()`, which names no environment variable (build.yml:5)',
    hint: 'write the variable name between the parentheses, e.g. `_env(HOME)`',
  },
];

describe('parseManifest rejects bad input', () => {
  test.each(BAD_INPUTS)('$name', ({ text, env, message, hint }) => {
    const error = errorOf(text, env);

    expect(error.message).toBe(message);
    expect(error.hint).toBe(hint);
  });
});

describe('parseManifest with several problems', () => {
  const text = [
    'build:', //                                 1
    '  version: 2016-03-14', //                  2
    '  steps:', //                               3
    '    builder:', //                           4
    '      name: go-builder', //                 5
    '      dependson: [base]', //                6
    '      artifacts:', //                       7
    '        - bin/server', //                   8
    '    app:', //                               9
    '      name: go-builder', //                 10
    '      depends_on: [biulder]', //            11
    '      no_cache: 1', //                      12
    '',
  ].join('\n');

  test('lists every problem in line order, each with its hint', () => {
    const error = errorOf(text);

    expect(error.message).toBe(
      [
        'build.yml has 5 problems:',
        '- unknown key `dependson` in step `builder` (build.yml:6); hint: did you mean `depends_on`?',
        '- artifact `bin/server` in step `builder` has a relative source path (build.yml:8); hint: write the absolute path inside the image, starting with `/`',
        "- step `app` builds image `go-builder`, which step `builder` also builds (build.yml:10); hint: give each step its own `name`; later steps refer to an earlier step's image by this name in `FROM`",
        '- step `app` depends on `biulder`, which is not a step label (build.yml:11); hint: did you mean `builder`?',
        '- `no_cache` in step `app` must be `true` or `false`, found the string `1` (build.yml:12); hint: write `no_cache: true` or `no_cache: false` (`yes`/`no` and `on`/`off` work too)',
      ].join('\n'),
    );
    expect(error.hint).toBe('fix each problem at the line it names, then run weld again');
  });

  test('is an InputError that exits with 2', () => {
    const error = errorOf(text);

    expect(error.exitCode).toBe(2);
  });
});

describe('parseManifest keeps unset variables from causing more problems', () => {
  test('an unresolved artifact is reported once, as the unset variable', () => {
    const text = HEAD + '    app:\n      name: _env(IMAGE)\n      artifacts:\n        - _env(OUT_DIR)/server\n';

    const error = errorOf(text);

    expect(error.message).toBe(
      [
        'build.yml has 2 problems:',
        '- environment variable `IMAGE` is not set; `name` in step `app` uses `_env(IMAGE)` (build.yml:5); hint: set IMAGE in the environment, or pass `--env IMAGE=VALUE` (once any `--env` is given, weld reads only those values)',
        '- environment variable `OUT_DIR` is not set; `artifacts[0]` in step `app` uses `_env(OUT_DIR)` (build.yml:7); hint: set OUT_DIR in the environment, or pass `--env OUT_DIR=VALUE` (once any `--env` is given, weld reads only those values)',
      ].join('\n'),
    );
  });
});
