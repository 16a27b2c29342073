// A temp project for the watch tests: four steps whose contexts overlap, each with
// its own .dockerignore, a Dockerfile outside its context, and an artifact that the
// builder copies into the context of the production step.
//
//   builder     context app/     Dockerfile app/Dockerfile; exports /out/server to deploy/
//   production  context deploy/  Dockerfile Dockerfile.production (outside deploy/); waits for builder
//   docs        context docs/
//   lint        context .        app/ is inside it too; docs/, deploy/, tmp/, *.log and more are excluded

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { planBuild, type BuildPlan } from '../../../src/build/plan.js';
import { loadManifest } from '../../../src/manifest/load.js';

export const BUILD_YML = `build:
  version: 2016-03-14
  steps:
    builder:
      name: app-builder
      context: app
      dockerfile: Dockerfile
      artifacts:
        - /out/server:deploy
    production:
      name: app
      context: deploy
      dockerfile: ../Dockerfile.production
      depends_on:
        - builder
    docs:
      name: docs
      context: docs
      dockerfile: Dockerfile
    lint:
      name: lint
      dockerfile: Dockerfile.lint
`;

export const PROJECT_FILES: Record<string, string> = {
  'build.yml': BUILD_YML,
  '.dockerignore': 'docs\ndeploy\n*.log\nDockerfile.production\nbuild.yml\ntmp\n',
  'Dockerfile.lint': 'FROM busybox:1.35\nCOPY app /app\n',
  'Dockerfile.production': 'FROM busybox:1.35\nCOPY server /server\n',
  'app/.dockerignore': '*.md\nnode_modules\n',
  'app/Dockerfile': 'FROM busybox:1.35\nCOPY main.go /src/\nRUN mkdir /out && cp /src/main.go /out/server\n',
  'app/main.go': 'package main\n',
  'app/README.md': '# app\n',
  'app/node_modules/left-pad/index.js': 'module.exports = 1;\n',
  'deploy/config.txt': 'port=8080\n',
  'docs/Dockerfile': 'FROM busybox:1.35\nCOPY . /docs\n',
  'docs/index.md': '# docs\n',
  'server.log': 'started\n',
  'tmp/cache.bin': 'cache\n',
};

/** Writes files (path relative to `dir` → content), making folders as needed. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
}

/** Makes the project in a new temp folder and returns its path. */
export async function makeWatchProject(files: Record<string, string> = PROJECT_FILES): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weld-test-watch-'));
  await writeFiles(dir, files);
  return dir;
}

export async function removeWatchProject(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Loads and plans the project's build.yml, as the CLI does. */
export async function planProject(dir: string, uid?: string): Promise<BuildPlan> {
  const manifest = await loadManifest({ file: path.join(dir, 'build.yml'), workDir: dir, env: {} });
  return planBuild(manifest, { uid });
}
