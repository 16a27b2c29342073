import { describe, expect, test } from 'vitest';

import { parseArtifactSpec } from '../../../src/manifest/artifacts.js';

describe('parseArtifactSpec', () => {
  test.each([
    ['/go/bin/server', '/go/bin/server', '.'],
    ['/go/bin/server:', '/go/bin/server', '.'],
    ['/go/bin/server:bin', '/go/bin/server', 'bin'],
    ['/etc/app/:config/app', '/etc/app/', 'config/app'],
    ['/out:shared/../dist', '/out', 'shared/../dist'],
    ['/out:./dist/', '/out', './dist/'],
  ])('%s copies %s into %s', (spec, source, destination) => {
    expect(parseArtifactSpec(spec)).toEqual({ source, destination, spec });
  });

  test.each([
    ['/a:b:c', 'has more than one `:`'],
    [':out', 'has no source path before the `:`'],
    ['bin/server', 'has a relative source path'],
    ['bin/server:out', 'has a relative source path `bin/server`'],
    ['/app:/srv/app', 'has an absolute destination `/srv/app`'],
    ['/out:../shared', 'has a destination `../shared` outside the work dir'],
    ['/out:..', 'has a destination `..` outside the work dir'],
    ['/out:a/../../b', 'has a destination `a/../../b` outside the work dir'],
    ['/out:./../b/c', 'has a destination `./../b/c` outside the work dir'],
  ])('%s is rejected because it %s', (spec, reason) => {
    expect(parseArtifactSpec(spec)).toMatchObject({ reason });
  });

  // The run removes the artifact folders it created, so a destination beside the work dir
  // was written and then removed outside the folder weld was given.
  test.each([
    ['/x/f:../escape', '/x/f:escape'],
    ['/x/f:a/../../b/c', '/x/f:b/c'],
    ['/x/f:..', '/x/f:.'],
  ])('%s suggests the destination inside the work dir, %s', (spec, suggestion) => {
    expect(parseArtifactSpec(spec)).toMatchObject({ hint: expect.stringContaining(`e.g. \`${suggestion}\``) });
  });
});
