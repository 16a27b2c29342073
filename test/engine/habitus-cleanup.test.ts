// `cleanup.commands` and the engine calls behind them (container runs, commit,
// squash) against the real Docker engine. Without an engine these tests fail in
// beforeAll with the reason; they never skip.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extract } from 'tar-stream';

import { connectDocker } from '../../src/engine/docker/connect.js';
import { DockerEngine } from '../../src/engine/docker/docker-engine.js';
import { applySquashInstructions } from '../../src/engine/docker/squash-instructions.js';
import type { ContainerOutput } from '../../src/engine/engine.js';
import { CancelledError, EngineError } from '../../src/errors.js';
import { docker, listContainerIds, makeProject, parseEvents, runWeld, uniqueSuffix } from './helpers.js';

const suffix = uniqueSuffix();
const prefix = `weld-test-habitus-${suffix}`;
const engine = new DockerEngine(connectDocker({ env: process.env }));
const createdDirs: string[] = [];
const labels = { 'weld.test': prefix };

/** A Dockerfile whose image sets every setting a squash must keep, with quoting traps. */
const configDockerfile = [
  'FROM busybox:1.35',
  // USER below makes the cleanup run as 1000, so the file sits in a folder that user owns.
  'RUN mkdir /scratch && echo removable > /scratch/removable.txt && chown -R 1000 /scratch',
  'ENV QUOTED="a \\"quoted\\" \\$dollar \\\\ value" PLAIN=plain',
  'LABEL "org.weld.label"="label with spaces" other=1',
  'EXPOSE 8080/tcp 53/udp',
  'VOLUME ["/data"]',
  'WORKDIR /srv/app',
  'USER 1000:1000',
  'HEALTHCHECK --interval=7s --retries=2 CMD ["true"]',
  // The import API rejects STOPSIGNAL and SHELL, and a build on top of an image runs
  // its ONBUILD triggers, so these three go through the build that follows the import.
  'STOPSIGNAL SIGINT',
  'SHELL ["/bin/sh", "-ec"]',
  'ONBUILD RUN echo "triggered \\$HOME"',
  'ENTRYPOINT ["/bin/sh", "-c"]',
  'CMD ["echo hi"]',
  '',
].join('\n');

/** Config keys a squash must keep, as `docker image inspect` shows them. */
const keptConfigKeys = ['Env', 'Labels', 'ExposedPorts', 'Volumes', 'WorkingDir', 'User', 'Healthcheck', 'StopSignal', 'Shell', 'OnBuild', 'Entrypoint', 'Cmd'];

/** Returns `.Config` of an image, as `docker image inspect` prints it. */
async function inspectConfig(image: string): Promise<Record<string, unknown>> {
  return JSON.parse(await docker('image', 'inspect', '--format', '{{json .Config}}', image)) as Record<string, unknown>;
}

/** Returns the number of filesystem layers of an image (`RootFS.Layers`). */
async function countRootfsLayers(image: string): Promise<number> {
  return (JSON.parse(await docker('image', 'inspect', '--format', '{{json .RootFS.Layers}}', image)) as string[]).length;
}

beforeAll(async () => {
  await docker('version', '--format', '{{.Server.Version}}');
});

afterAll(async () => {
  for (const dir of createdDirs) await rm(dir, { recursive: true, force: true });
  const images = (await docker('images', '--format', '{{.Repository}}:{{.Tag}}')).split('\n').filter((image) => image.startsWith(prefix));
  if (images.length > 0) await docker('rmi', '-f', ...images);
});

async function buildImage(name: string, dockerfile: string): Promise<string> {
  const contextDir = await mkdtemp(path.join(os.tmpdir(), 'weld-habitus-context-'));
  createdDirs.push(contextDir);
  await writeFile(path.join(contextDir, 'Dockerfile'), dockerfile);
  const tag = `${prefix}-${name}:latest`;
  await engine.build(
    {
      contextDir,
      dockerfilePath: 'Dockerfile',
      dockerfileContent: Buffer.from(dockerfile),
      tag,
      buildArgs: {},
      noCache: false,
      rm: true,
      forceRm: true,
      quiet: false,
      labels: {},
    },
    () => {},
    new AbortController().signal,
  );
  return tag;
}

/** Runs `docker save` and returns the name and content of every entry of the archive. */
async function saveImage(image: string): Promise<Map<string, Buffer>> {
  const entries = new Map<string, Buffer>();
  const child = spawn('docker', ['save', image], { stdio: ['ignore', 'pipe', 'inherit'] });
  const unpack = extract();
  unpack.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => {
      chunks.push(chunk as Buffer);
    });
    stream.on('end', () => {
      entries.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  const finished = new Promise<void>((resolve, reject) => {
    unpack.on('finish', resolve);
    unpack.on('error', reject);
  });
  child.stdout.pipe(unpack);
  await finished;
  return entries;
}

/** Returns the names of the archive entries that contain `marker`. */
function entriesContaining(entries: Map<string, Buffer>, marker: string): string[] {
  return [...entries].filter(([, content]) => content.includes(marker)).map(([name]) => name);
}

describe('DockerEngine container runs', () => {
  it('streams stdout and stderr line by line and returns the exit code', async () => {
    const outputs: ContainerOutput[] = [];

    const exit = await engine.runContainer(
      { image: 'busybox:1.35', argv: ['sh', '-c', 'echo one; echo two >&2; printf "no newline"; exit 7'], labels },
      (output) => outputs.push(output),
      new AbortController().signal,
    );

    expect(exit.exitCode).toBe(7);
    // The engine reads stdout and stderr from separate pipes, so only the order within one stream is fixed.
    expect(outputs.filter((output) => output.stream === 'stdout').map((output) => output.line)).toEqual(['one', 'no newline']);
    expect(outputs.filter((output) => output.stream === 'stderr').map((output) => output.line)).toEqual(['two']);
    expect(await listContainerIds()).not.toContain(exit.containerId);
  });

  it('passes arguments with spaces as they are, without a shell', async () => {
    const outputs: ContainerOutput[] = [];

    await engine.runContainer({ image: 'busybox:1.35', argv: ['echo', 'two  spaces', '$HOME'], labels }, (output) => outputs.push(output), new AbortController().signal);

    expect(outputs).toEqual([{ stream: 'stdout', line: 'two  spaces $HOME' }]);
  });

  it('rejects with an EngineError naming the program when the image lacks it', async () => {
    const run = engine.runContainer({ image: 'busybox:1.35', argv: ['no-such-program', '--flag'], labels }, () => {}, new AbortController().signal);

    await expect(run).rejects.toThrow(EngineError);
    await expect(run).rejects.toThrow(/cannot start no-such-program --flag in a container of busybox:1.35/);
  });

  it('removes the container and rejects with CancelledError when aborted', async () => {
    const controller = new AbortController();
    const startedAt = Date.now();
    const run = engine.runContainer(
      { image: 'busybox:1.35', argv: ['sh', '-c', 'echo started; sleep 60'], labels },
      (output) => {
        if (output.line === 'started') controller.abort();
      },
      controller.signal,
    );

    await expect(run).rejects.toThrow(CancelledError);

    expect(Date.now() - startedAt).toBeLessThan(20_000);
    expect(await docker('ps', '-a', '-q', '--filter', `label=weld.test=${prefix}`)).toBe('');
  });
});

describe('DockerEngine squash', () => {
  it('makes a one-layer image without the removed file and with the configuration kept', async () => {
    const image = await buildImage('config', configDockerfile);
    const original = await inspectConfig(image);
    const signal = new AbortController().signal;
    const exit = await engine.runContainer({ image, argv: ['rm', '/scratch/removable.txt'], labels, keep: true, network: 'none' }, () => {}, signal);
    expect(exit.exitCode).toBe(0);

    let result;
    try {
      result = await engine.squashContainer({ containerId: exit.containerId, configFrom: image, tag: `${prefix}-squashed:1` }, signal);
    } finally {
      await engine.removeContainer(exit.containerId);
    }

    const squashedImage = `${prefix}-squashed:1`;
    const squashed = await inspectConfig(squashedImage);
    for (const key of keptConfigKeys) {
      expect(squashed[key], key).toEqual(original[key]);
    }
    expect(squashed.StopSignal).toBe('SIGINT');
    expect(squashed.OnBuild).toEqual(['RUN echo "triggered \\$HOME"']);
    expect(await docker('image', 'inspect', '--format', '{{.Id}}', squashedImage)).toBe(result.imageId);
    expect(await countRootfsLayers(squashedImage)).toBe(1);

    // Newest first: the build's 0 B metadata entries, then the import, which keeps the squash comment.
    const history = (await docker('history', '--no-trunc', '--format', '{{.ID}}|{{.Size}}|{{.Comment}}', squashedImage)).split('\n').map((line) => line.split('|'));
    expect(history[0]![0]).toBe(result.imageId);
    expect(history.slice(0, -1).map((entry) => entry[1])).toEqual(history.slice(0, -1).map(() => '0B'));
    expect(history.at(-1)![2]).toBe('weld: squashed after cleanup.commands');
    const importedId = history.at(-1)![0]!;
    expect(await docker('images', '-q', '--no-trunc', '--filter', 'dangling=true')).not.toContain(importedId);

    const listing = await docker('run', '--rm', '--entrypoint', 'ls', squashedImage, '/scratch');
    expect(listing).toBe('');
  });

  it('imports alone without STOPSIGNAL or SHELL', async () => {
    const image = await buildImage('plain-config', ['FROM busybox:1.35', 'ENV KEPT=yes', 'ONBUILD RUN echo trigger', 'CMD ["true"]', ''].join('\n'));
    const signal = new AbortController().signal;
    const exit = await engine.runContainer({ image, argv: ['true'], labels, keep: true, network: 'none' }, () => {}, signal);

    let result;
    try {
      result = await engine.squashContainer({ containerId: exit.containerId, configFrom: image, tag: `${prefix}-plain-squashed:1` }, signal);
    } finally {
      await engine.removeContainer(exit.containerId);
    }

    expect(await docker('history', '-q', '--no-trunc', `${prefix}-plain-squashed:1`)).toBe(result.imageId);
    const squashed = await inspectConfig(`${prefix}-plain-squashed:1`);
    expect(squashed.OnBuild).toEqual(['RUN echo trigger']);
    expect(squashed.Env).toContain('KEPT=yes');
  });

  it('leaves nothing behind when cancelled', async () => {
    // The marker travels in ENV into every image and container the squash makes, so
    // that its leftovers are distinguished from what other clients of the engine make.
    const marker = `WELD_CANCEL_TEST=${suffix}`;
    const image = await buildImage('cancel', ['FROM busybox:1.35', `ENV ${marker}`, 'STOPSIGNAL SIGQUIT', 'SHELL ["/bin/sh", "-ec"]', ''].join('\n'));
    const imagesBefore = new Set((await docker('images', '-a', '-q', '--no-trunc')).split('\n'));
    const exit = await engine.runContainer({ image, argv: ['true'], labels, keep: true, network: 'none' }, () => {}, new AbortController().signal);

    // The engine reports the finished import as an event; aborting then cancels the
    // build that follows it. An import by another client may abort earlier, during
    // the export or the import, which must leave nothing behind either.
    const controller = new AbortController();
    const since = (Date.now() / 1000).toFixed(3);
    const events = spawn('docker', ['events', '--since', since, '--filter', 'type=image', '--filter', 'event=import', '--format', '{{.ID}}'], { stdio: ['ignore', 'pipe', 'inherit'] });
    events.stdout.once('data', () => controller.abort());
    let outcome: unknown;
    try {
      outcome = await engine
        .squashContainer({ containerId: exit.containerId, configFrom: image, tag: `${prefix}-cancelled:1` }, controller.signal)
        .catch((error: unknown) => error);
    } finally {
      events.kill();
      await engine.removeContainer(exit.containerId);
    }

    expect(outcome).toBeInstanceOf(CancelledError);
    await expect(docker('image', 'inspect', `${prefix}-cancelled:1`)).rejects.toThrow(/No such image/);
    const newImages = (await docker('images', '-a', '-q', '--no-trunc')).split('\n').filter((id) => id !== '' && !imagesBefore.has(id));
    for (const id of newImages) {
      const env = await docker('image', 'inspect', '--format', '{{json .Config.Env}}', id).catch(() => '');
      expect(env, `image ${id} was made by the cancelled squash`).not.toContain(marker);
    }
    for (const id of await listContainerIds()) {
      const env = await docker('container', 'inspect', '--format', '{{json .Config.Env}}', id).catch(() => '');
      expect(env, `container ${id} was made by the cancelled squash`).not.toContain(marker);
    }
  });

  it('names the tag when the settings build fails', async () => {
    const signal = new AbortController().signal;
    const exit = await engine.runContainer({ image: 'busybox:1.35', argv: ['true'], labels, keep: true, network: 'none' }, () => {}, signal);
    let importedId: string;
    try {
      importedId = await engine.commitContainer(exit.containerId, signal);
    } finally {
      await engine.removeContainer(exit.containerId);
    }
    const connection = connectDocker({ env: process.env });

    // The engine accepts no such signal, so the build FROM the untagged image fails.
    const failure = await applySquashInstructions(connection.docker, connection.endpoint, { importedId, instructions: ['STOPSIGNAL SIGWELD'], tag: `${prefix}-invalid:1` }, signal).catch(
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(EngineError);
    expect((failure as EngineError).message).toMatch(/^setting STOPSIGNAL on the squashed image weld-test-habitus-\w+-invalid:1 failed: .*SIGWELD/);
    expect((failure as EngineError).hint).toMatch(/--debug/);
    expect((failure as EngineError).hint).toMatch(/--no-cleanup/);
    await expect(docker('image', 'inspect', importedId)).rejects.toThrow(/No such image/);
    await expect(docker('image', 'inspect', `${prefix}-invalid:1`)).rejects.toThrow(/No such image/);
  });

  it('commits a stopped container into an image that has its changes', async () => {
    const signal = new AbortController().signal;
    const exit = await engine.runContainer({ image: 'busybox:1.35', argv: ['sh', '-c', 'echo committed > /c.txt'], labels, keep: true }, () => {}, signal);

    let imageId: string;
    try {
      imageId = await engine.commitContainer(exit.containerId, signal);
    } finally {
      await engine.removeContainer(exit.containerId);
    }

    try {
      expect(await docker('run', '--rm', '--entrypoint', 'cat', imageId, '/c.txt')).toBe('committed');
    } finally {
      await docker('rmi', imageId);
    }
  });
});

describe('cleanup.commands in a weld run', () => {
  // The marker is computed while the image builds, so that it appears in the file
  // the cleanup removes but not in the Dockerfile text the history records.
  const marker = `weld-marker-42-${suffix}`;
  const dockerfile = [
    'FROM busybox:1.35',
    `RUN mkdir -p /root/.ssh && echo "weld-marker-$((6*7))-${suffix}" > /root/.ssh/id_rsa && echo kept > /kept.txt`,
    'ENV GREETING="hello world"',
    'CMD ["cat", "/kept.txt"]',
    '',
  ].join('\n');
  // Each test names its own image, so that no run leaves another test's image untagged.
  const buildFile = (name: string, cleanup: string[]) =>
    [
      'build:',
      '  version: 2016-03-14',
      '  steps:',
      '    builder:',
      `      name: ${prefix}-${name}`,
      '      cleanup:',
      '        commands:',
      ...cleanup.map((command) => `          - ${command}`),
      '',
    ].join('\n');

  it('leaves no trace of removed files', async () => {
    const project = await makeProject({ Dockerfile: dockerfile, 'build.yml': buildFile('cleanup', ['rm -rf /root/.ssh', "sh -c 'echo cleaned > /cleaned.txt'"]) });
    createdDirs.push(project);
    const imagesBefore = new Set((await docker('images', '-a', '-q', '--no-trunc')).split('\n'));

    const run = await runWeld(['-d', project, '--json']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const image = `${prefix}-cleanup:latest`;
    const entries = await saveImage(image);
    const layers = [...entries.keys()].filter((name) => name.endsWith('/layer.tar'));
    expect(layers).toHaveLength(1);
    expect(entriesContaining(entries, marker)).toEqual([]);
    expect(entriesContaining(entries, 'cleaned')).toEqual([layers[0]]);
    expect(await docker('history', '--no-trunc', '--format', '{{.CreatedBy}} {{.Comment}}', image)).not.toContain(marker);
    expect(await docker('run', '--rm', image)).toBe('kept');
    expect(await docker('image', 'inspect', '--format', '{{json .Config.Env}}', image)).toContain('GREETING=hello world');

    // The build's own image, and the layers it had, are gone from the engine too.
    const newImages = (await docker('images', '-a', '-q', '--no-trunc')).split('\n').filter((id) => id !== '' && !imagesBefore.has(id));
    for (const id of newImages) {
      const config = await docker('image', 'inspect', '--format', '{{json .ContainerConfig.Cmd}}', id).catch(() => '');
      expect(config, `image ${id} was made by this build`).not.toContain(suffix);
    }

    const cleanupLines = parseEvents(run.stdout).flatMap((event) => (event.type === 'step-log' && event.source === 'cleanup' ? [event.line] : []));
    expect(cleanupLines[0]).toBe('running rm -rf /root/.ssh');
    expect(cleanupLines.at(-1)).toMatch(/^squashed weld-test-habitus-\w+-cleanup into one layer \([0-9a-f]{12}\)$/);
  });

  it('replaces the squash of the run before', async () => {
    const project = await makeProject({ Dockerfile: dockerfile, 'build.yml': buildFile('rerun', ['rm -rf /root/.ssh']) });
    createdDirs.push(project);
    const image = `${prefix}-rerun:latest`;
    await runWeld(['-d', project, '--plain']);
    const firstSquash = await docker('image', 'inspect', '--format', '{{.Id}}', image);

    const run = await runWeld(['-d', project, '--plain']);

    expect(run.code).toBe(0);
    expect(await docker('image', 'inspect', '--format', '{{.Id}}', image)).not.toBe(firstSquash);
    await expect(docker('image', 'inspect', firstSquash)).rejects.toThrow(/No such image/);
  });

  it('keeps STOPSIGNAL and SHELL in one layer', async () => {
    const settingsDockerfile = dockerfile.replace('CMD', 'STOPSIGNAL SIGQUIT\nSHELL ["/bin/sh", "-ec"]\nCMD');
    const project = await makeProject({ Dockerfile: settingsDockerfile, 'build.yml': buildFile('settings', ['rm -rf /root/.ssh']) });
    createdDirs.push(project);
    const image = `${prefix}-settings:latest`;

    const run = await runWeld(['-d', project, '--json']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const config = await inspectConfig(image);
    expect(config.StopSignal).toBe('SIGQUIT');
    expect(config.Shell).toEqual(['/bin/sh', '-ec']);
    expect(config.Env).toContain('GREETING=hello world');
    expect(await countRootfsLayers(image)).toBe(1);
    expect(entriesContaining(await saveImage(image), marker)).toEqual([]);
    expect(await docker('run', '--rm', image)).toBe('kept');
    const cleanupLines = parseEvents(run.stdout).flatMap((event) => (event.type === 'step-log' && event.source === 'cleanup' ? [event.line] : []));
    expect(cleanupLines.filter((line) => line.startsWith('warning'))).toEqual([]);
    expect(cleanupLines.at(-1)).toMatch(/^squashed weld-test-habitus-\w+-settings into one layer \([0-9a-f]{12}\)$/);

    // A second run recognises the first squash, whose history now has the build's
    // entries too, and removes it with the import it was built on.
    const firstSquash = await docker('image', 'inspect', '--format', '{{.Id}}', image);
    const firstImport = (await docker('history', '-q', '--no-trunc', image)).split('\n').at(-1)!;
    const rerun = await runWeld(['-d', project, '--plain']);

    expect(rerun.code).toBe(0);
    expect(await docker('image', 'inspect', '--format', '{{.Id}}', image)).not.toBe(firstSquash);
    await expect(docker('image', 'inspect', firstSquash)).rejects.toThrow(/No such image/);
    await expect(docker('image', 'inspect', firstImport)).rejects.toThrow(/No such image/);
  });

  it('with --no-cleanup keeps the file, which the same scan finds', async () => {
    const project = await makeProject({ Dockerfile: dockerfile, 'build.yml': buildFile('no-cleanup', ['rm -rf /root/.ssh']) });
    createdDirs.push(project);

    const run = await runWeld(['-d', project, '--plain', '--no-cleanup']);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('skipped 1 cleanup command: --no-cleanup');
    const entries = await saveImage(`${prefix}-no-cleanup:latest`);
    expect(entriesContaining(entries, marker).length).toBeGreaterThan(0);
  });

  it('fails the run naming the cleanup command that exited non-zero', async () => {
    const project = await makeProject({ Dockerfile: dockerfile, 'build.yml': buildFile('failing-cleanup', ['rm /no/such/file']) });
    createdDirs.push(project);

    const run = await runWeld(['-d', project, '--plain']);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `step builder: cleanup command \`rm /no/such/file\` exited with code 1; weld removed the tag ${prefix}-failing-cleanup from the image before cleanup`,
    );
    expect(run.stdout).toMatch(/builder\s+\| rm: can't remove '\/no\/such\/file'/);
    // The image before cleanup still has the file the cleanup should remove: no tag may name it.
    await expect(docker('image', 'inspect', `${prefix}-failing-cleanup:latest`)).rejects.toThrow(/No such image/);
    // Other tests may run containers at the same time, so only this image's count.
    expect(await docker('ps', '-a', '-q', '--filter', `ancestor=${prefix}-failing-cleanup:latest`)).toBe('');
  });

  it('tags the image from before the run again when a cleanup command fails', async () => {
    const project = await makeProject({ Dockerfile: dockerfile, 'build.yml': buildFile('restored', ['rm -rf /root/.ssh']) });
    createdDirs.push(project);
    const image = `${prefix}-restored:latest`;
    await runWeld(['-d', project, '--plain']);
    const cleanedId = await docker('image', 'inspect', '--format', '{{.Id}}', image);
    await writeFile(path.join(project, 'build.yml'), buildFile('restored', ['rm /no/such/file']));

    const run = await runWeld(['-d', project, '--plain']);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`; ${prefix}-restored names the image from before this run again (${cleanedId.slice(7, 19)})`);
    expect(await docker('image', 'inspect', '--format', '{{.Id}}', image)).toBe(cleanedId);
    expect(entriesContaining(await saveImage(image), marker)).toEqual([]);
  });
});
