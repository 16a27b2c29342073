import { describe, expect, test } from 'vitest';

import { parseArtifactSpec } from '../../../src/manifest/artifacts.js';

describe('parseArtifactSpec', () => {
  test.each([
    ['/go/bin/server', '/go/bin/server', '.'],
    ['/go/bin/server:', '/go/bin/server', '.'],
    ['/go/bin/server:bin', '/go/bin/server', 'bin'],
    ['/etc/app/:config/app', '/etc/app/', 'config/app'],
    ['/out:../shared', '/out', '../shared'],
  ])('%s copies %s into %s', (spec, source, destination) => {
    expect(parseArtifactSpec(spec)).toEqual({ source, destination, spec });
  });

  test.each([
    ['/a:b:c', 'has more than one `:`'],
    [':out', 'has no source path before the `:`'],
    ['bin/server', 'has a relative source path'],
    ['bin/server:out', 'has a relative source path `bin/server`'],
    ['/app:/srv/app', 'has an absolute destination `/srv/app`'],
  ])('%s is rejected because it %s', (spec, reason) => {
    expect(parseArtifactSpec(spec)).toMatchObject({ reason });
  });
});
