import { describe, expect, test } from 'vitest';

import { readYaml } from '../../../src/manifest/read-yaml.js';

function positionsOf(text: string) {
  return readYaml(text, 'build.yml').positions;
}

describe('positions of keys and values', () => {
  const text = [
    '# header comment', //                 1
    '', //                                 2
    'build:', //                           3
    '  version: 2016-03-14  # trailing', // 4
    '  steps:', //                         5
    '    # a comment before the label', // 6
    '    app:', //                         7
    '      name:', //                      8
    '', //                                 9
    '        app', //                      10
    '      args: { A: 1,', //              11
    '        B: 2 }', //                   12
    '      artifacts:', //                 13
    '        - /one', //                   14
    '        -', //                        15
    '          /two', //                   16
    '      command: |', //                 17
    '        echo one', //                 18
    '      target:', //                    19
    '      depends_on: [a,', //            20
    '        b]', //                       21
    '',
  ].join('\n');
  const positions = positionsOf(text);

  test.each([
    [['build'], 3, 4],
    [['build', 'version'], 4, 4],
    [['build', 'steps', 'app'], 7, 8],
    [['build', 'steps', 'app', 'name'], 8, 10],
    [['build', 'steps', 'app', 'args', 'A'], 11, 11],
    [['build', 'steps', 'app', 'args', 'B'], 12, 12],
    [['build', 'steps', 'app', 'artifacts'], 13, 14],
    [['build', 'steps', 'app', 'command'], 17, 17],
    [['build', 'steps', 'app', 'target'], 19, 19],
    [['build', 'steps', 'app', 'depends_on'], 20, 20],
  ])('%j has its key on line %i and its value on line %i', (path, keyLine, valueLine) => {
    expect(positions.keyLine(path)).toBe(keyLine);

    expect(positions.valueLine(path)).toBe(valueLine);
  });

  test.each([
    [['build', 'steps', 'app', 'artifacts', 0], 14],
    [['build', 'steps', 'app', 'artifacts', 1], 16],
    [['build', 'steps', 'app', 'depends_on', 1], 21],
  ])('list item %j is on line %i', (path, line) => {
    expect(positions.valueLine(path)).toBe(line);
  });

  test('a path the text does not have falls back to its nearest ancestor', () => {
    expect(positions.valueLine(['build', 'steps', 'app', 'secrets', 'key'])).toBe(8);

    expect(positions.keyLine(['build', 'steps', 'missing'])).toBe(5);
  });

  test('keys come in the order of the text', () => {
    expect(positions.keysInOrder(['build', 'steps', 'app'])).toEqual(['name', 'args', 'artifacts', 'command', 'target', 'depends_on']);
  });
});

describe('positions with anchors and merge keys', () => {
  test('keys merged from an inline mapping keep their own lines', () => {
    const text = 'step:\n  <<: {\n    a: 1,\n    b: 2 }\n  c: 3\n';

    const positions = positionsOf(text);

    expect(positions.keyLine(['step', 'b'])).toBe(4);
    expect(positions.keyLine(['step', 'c'])).toBe(5);
  });

  test('keys merged through an alias fall back to the line of the mapping', () => {
    const text = 'base: &base\n  a: 1\nstep:\n  <<: *base\n  c: 3\n';

    const positions = positionsOf(text);

    expect(positions.valueLine(['step', 'a'])).toBe(4);
    expect(positions.keyLine(['step', 'c'])).toBe(5);
  });
});
