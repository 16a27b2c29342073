import { describe, expect, test } from 'vitest';

import { checkImageName } from '../../../src/manifest/image-name.js';

describe('checkImageName', () => {
  test.each([
    'app',
    'app:latest',
    'app:1.0-rc_2',
    'team/app',
    'team/sub.team/my__app-x:v1',
    'a--b',
    'localhost/app',
    'localhost:5000/app:1',
    'registry.example/team/app',
    'Registry.Example:443/team/app:Tag_1',
  ])('accepts %s', (name) => {
    expect(checkImageName(name)).toBeUndefined();
  });

  test.each([
    ['App', 'has an uppercase letter', 'image names are lowercase: write `app`'],
    ['registry.example/Team/App:V1', 'has an uppercase letter', 'image names are lowercase: write `registry.example/team/app:V1`'],
    ['my app', 'contains a space', undefined],
    ['app:', 'has an empty tag after `:`', undefined],
    ['app:-x', 'has an invalid tag `-x`', undefined],
    ['app:bad/tag', 'has an invalid registry host `app:bad`', undefined],
    ['app@sha256:0123456789abcdef0123456789abcdef', 'has a digest', undefined],
    ['team//app', 'has an empty part between `/`', undefined],
    ['-app', 'has an invalid part `-app`', undefined],
    ['app.', 'has an invalid part `app.`', undefined],
    ['app_-x', 'has an invalid part `app_-x`', undefined],
    ['bad_host.example:port/app', 'has an invalid registry host `bad_host.example:port`', undefined],
    ['a'.repeat(256), 'is longer than 255 characters', undefined],
  ])('rejects %s', (name, reason, hint) => {
    const error = checkImageName(name);

    expect(error?.reason).toBe(reason);
    if (hint !== undefined) expect(error?.hint).toBe(hint);
  });
});
