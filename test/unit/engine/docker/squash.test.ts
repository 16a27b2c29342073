import { describe, expect, test } from 'vitest';

import { toSquashSettings, type ImageConfig } from '../../../../src/engine/docker/squash.js';

describe('toSquashSettings', () => {
  test('carries every accepted setting in the import changes, with no build', () => {
    const config: ImageConfig = {
      Env: ['PATH=/usr/bin', 'QUOTED=a "b" $c \\ d', 'EMPTY'],
      Labels: { 'org.example.name': 'with spaces' },
      ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
      Volumes: { '/data': {} },
      WorkingDir: '/srv/$app',
      User: '1000:1000',
      OnBuild: ['RUN echo built'],
      Healthcheck: { Test: ['CMD', 'true'], Interval: 7_000_000_000, Retries: 2 },
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['echo hi'],
    };

    const settings = toSquashSettings(config);

    expect(settings.importChanges).toEqual([
      'ENV PATH="/usr/bin"',
      'ENV QUOTED="a \\"b\\" \\$c \\\\ d"',
      'ENV EMPTY=""',
      'LABEL "org.example.name"="with spaces"',
      'EXPOSE 8080/tcp 53/udp',
      'VOLUME ["/data"]',
      'WORKDIR /srv/\\$app',
      'USER 1000:1000',
      'ONBUILD RUN echo built',
      'HEALTHCHECK --interval=7000000000ns --retries=2 CMD ["true"]',
      'ENTRYPOINT ["/bin/sh","-c"]',
      'CMD ["echo hi"]',
    ]);
    expect(settings.buildInstructions).toEqual([]);
  });

  test.each<[string, ImageConfig, string[]]>([
    ['STOPSIGNAL', { StopSignal: 'SIGQUIT' }, ['STOPSIGNAL SIGQUIT']],
    ['SHELL', { Shell: ['/bin/sh', '-ec'] }, ['SHELL ["/bin/sh","-ec"]']],
    ['both', { StopSignal: '9', Shell: ['/bin/bash', '-o', 'pipefail', '-c'] }, ['STOPSIGNAL 9', 'SHELL ["/bin/bash","-o","pipefail","-c"]']],
  ])('turns %s into build instructions', (_name, config, instructions) => {
    const settings = toSquashSettings({ ...config, Cmd: ['run'] });

    expect(settings.buildInstructions).toEqual(instructions);
    expect(settings.importChanges).toEqual(['CMD ["run"]']);
  });

  test('moves ONBUILD to the build', () => {
    const settings = toSquashSettings({ StopSignal: 'SIGQUIT', OnBuild: ['RUN echo one', 'COPY . /app'], Env: ['A=1'] });

    expect(settings.buildInstructions).toEqual(['STOPSIGNAL SIGQUIT', 'ONBUILD RUN echo one', 'ONBUILD COPY . /app']);
    expect(settings.importChanges).toEqual(['ENV A="1"']);
  });

  test('ignores an empty SHELL and empty lists', () => {
    const settings = toSquashSettings({ Shell: [], OnBuild: null, Env: null, Cmd: [], Entrypoint: null, StopSignal: '' });

    expect(settings.buildInstructions).toEqual([]);
    expect(settings.importChanges).toEqual([]);
  });
});
