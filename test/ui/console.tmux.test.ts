// The console in a real terminal: tmux runs the compiled weld CLI against the real
// engine, and the tests read the screen with `tmux capture-pane`. A last group runs
// weld with pipes instead of a terminal. Needs tmux, busybox:1.35 and dist/ (run
// `npm run build` first; test/run.sh does).
//
// Ink draws no live frames, and reads no keys, when CI or CONTINUOUS_INTEGRATION is
// set in its environment, and CI runs these tests with CI=true. So weld is started
// with both removed, as in a developer's terminal.

import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { docker, repoRoot, uniqueSuffix, waitFor, weldBin } from '../engine/helpers.js';

const execFileAsync = promisify(execFile);

const PREFIX = 'weld-test-console-';
const uid = `tc${uniqueSuffix()}`;
const COLUMNS = 100;
const ROWS = 40;
const BUILD_TIMEOUT_MS = 240_000;
/** Time tmux gets to draw what weld wrote before it exited. */
const SCREEN_SETTLE_MS = 5_000;
/** Seconds the step of the cancel test sleeps; a cancel must end the run well before. */
const SLEEP_SECONDS = 30;

const createdDirs: string[] = [];
/** Folder of exit code files and tmux sockets. Each test gets a tmux server of its own, so that no other session is touched. */
let scratchDir = '';
let sessionCount = 0;
let socket: string | undefined;

/** Returns this process's environment without the variables that turn Ink's CI mode on (see the file comment). */
function environmentOutsideCi(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.CI;
  delete env.CONTINUOUS_INTEGRATION;
  return env;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function quoteShell(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

async function tmux(socketPath: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('tmux', ['-S', socketPath, ...args]);
  return stdout;
}

async function makeProject(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), PREFIX));
  createdDirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

/** Returns a build.yml with the given steps, each a map of fields written as YAML. */
function buildYml(steps: Record<string, Record<string, string | string[]>>): string {
  const lines = ['build:', '  version: 2016-03-14', '  steps:'];
  for (const [label, fields] of Object.entries(steps)) {
    lines.push(`    ${label}:`);
    for (const [key, value] of Object.entries(fields)) {
      if (Array.isArray(value)) lines.push(`      ${key}:`, ...value.map((item) => `        - ${item}`));
      else lines.push(`      ${key}: ${value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

interface TerminalRun {
  socket: string;
  session: string;
  /** File the shell writes weld's exit code to once weld exited. */
  codeFile: string;
}

/**
 * Starts weld on `project` in a new tmux session of COLUMNS×ROWS. The shell writes
 * weld's exit code to a file and then sleeps, so that the pane stays to be read.
 */
async function startInTerminal(project: string, extraArgs: string[] = [], stderrFile?: string): Promise<TerminalRun> {
  sessionCount++;
  const session = `${PREFIX}${uid}-${sessionCount}`;
  socket = path.join(scratchDir, `${session}.sock`);
  const codeFile = path.join(scratchDir, `${session}.code`);
  const weld = [process.execPath, weldBin, '-d', project, '--uid', uid, ...extraArgs].map(quoteShell).join(' ');
  const redirect = stderrFile === undefined ? '' : ` 2> ${quoteShell(stderrFile)}`;
  const command = `env -u CI -u CONTINUOUS_INTEGRATION ${weld}${redirect}; echo $? > ${quoteShell(codeFile)}; exec sleep 3600`;

  await tmux(socket, 'new-session', '-d', '-x', String(COLUMNS), '-y', String(ROWS), '-s', session, '-c', repoRoot, command);
  return { socket, session, codeFile };
}

/** Waits for weld to exit and returns its exit code. */
async function waitForExitCode(run: TerminalRun, timeoutMs = BUILD_TIMEOUT_MS): Promise<number> {
  const text = await waitFor(
    async () => {
      const content = await readFile(run.codeFile, 'utf8').catch(() => '');
      return content.endsWith('\n') ? content : undefined;
    },
    timeoutMs,
    `weld in tmux session ${run.session} to exit`,
  );
  return Number(text.trim());
}

/** Returns the pane's scrollback and screen as text, without trailing blank lines. */
async function capturePane(run: TerminalRun): Promise<string> {
  const screen = await tmux(run.socket, 'capture-pane', '-p', '-J', '-S', '-200', '-t', run.session);
  return screen.replace(/\s+$/, '');
}

/** Captures the pane once it contains `pattern`. */
function captureWhen(run: TerminalRun, pattern: RegExp, timeoutMs = SCREEN_SETTLE_MS): Promise<string> {
  return waitFor(
    async () => {
      const screen = await capturePane(run);
      return pattern.test(screen) ? screen : undefined;
    },
    timeoutMs,
    `the screen of ${run.session} to match ${pattern}`,
  );
}

/** Returns the ids of containers, running or not, whose command contains `token`. */
async function listContainersWithCommand(token: string): Promise<string[]> {
  const output = await docker('ps', '-a', '--no-trunc', '--format', '{{.ID}}\t{{.Command}}');
  return output
    .split('\n')
    .filter((line) => line.includes(token))
    .map((line) => line.split('\t')[0]!);
}

beforeAll(async () => {
  // These tests need tmux and a real engine; without either they fail here with the reason.
  await execFileAsync('tmux', ['-V']);
  await docker('version', '--format', '{{.Server.Version}}');
  scratchDir = await mkdtemp(path.join(os.tmpdir(), PREFIX));
  createdDirs.push(scratchDir);
});

afterEach(async () => {
  if (socket !== undefined) await tmux(socket, 'kill-server').catch(() => undefined);
  socket = undefined;
});

afterAll(async () => {
  for (const dir of createdDirs) await rm(dir, { recursive: true, force: true });
  const images = await docker('images', '--format', '{{.Repository}}:{{.Tag}}');
  const ours = images.split('\n').filter((image) => image.startsWith(PREFIX) && image.split(':')[0]!.endsWith(`-${uid}`));
  if (ours.length > 0) await docker('rmi', '-f', ...ours);
});

describe('console in a tmux terminal', () => {
  it('shows a fan-in build to its layer table and savings, exit 0', async () => {
    const project = await makeProject({
      'Dockerfile.compiler': 'FROM busybox:1.35\nRUN mkdir /out && head -c 300000 /dev/urandom > /out/app.bin && echo compiled\n',
      'Dockerfile.assets': 'FROM busybox:1.35\nRUN mkdir /out && echo "body { color: teal }" > /out/style.css\n',
      'Dockerfile.release': 'FROM scratch\nCOPY app.bin style.css /\n',
      'build.yml': buildYml({
        compiler: { name: `${PREFIX}compiler`, dockerfile: 'Dockerfile.compiler', no_cache: 'true', artifacts: ['/out/app.bin'] },
        assets: { name: `${PREFIX}assets`, dockerfile: 'Dockerfile.assets', no_cache: 'true', artifacts: ['/out/style.css'] },
        release: { name: `${PREFIX}release`, dockerfile: 'Dockerfile.release', depends_on: ['compiler', 'assets'] },
      }),
    });

    const run = await startInTerminal(project);
    const code = await waitForExitCode(run);
    const screen = await captureWhen(run, /smaller \(/);

    expect(code, screen).toBe(0);
    const lines = screen.split('\n');
    expect(lines.find((line) => line.startsWith('weld '))).toMatch(new RegExp(`^weld build\\.yml · ${escapeRegExp(project)} {2,}Docker `));
    expect(screen).toMatch(/^succeeded in [\d.]+s · steps 3\/3 done/m);
    expect(screen).toMatch(/^ ✓ compiler\s+built\s+[\d.]+s\s+[\d.]+ MB/m);
    expect(screen).toMatch(/^ ✓ assets\s+built\s+[\d.]+s\s+[\d.]+ MB/m);
    expect(screen).toMatch(/^ ✓ release\s+← compiler, assets\s+built\s+[\d.]+s\s+300 kB ◆$/m);
    expect(screen).toMatch(/^ ◆ critical path: (compiler|assets) → release$/m);
    expect(screen).toMatch(/^✓ \/out\/app\.bin → \.\s+█+\s+300 kB\s+in [\d.]+m?s$/m);
    expect(screen).toMatch(/^✓ \/out\/style\.css → \.\s+█+\s+\d+ B\s+in [\d.]+m?s$/m);
    expect(screen).toContain(`${PREFIX}release-${uid} · release · 300 kB · 1 layer`);
    expect(screen).toMatch(/^\s+#\s+LAYER\s+SIZE\s+SHARE\s+CREATED BY$/m);
    expect(screen).toMatch(/^\s+1\s+[0-9a-f]{12}\s+300 kB\s+█{10}\s+100\.0 %\s+COPY multi:[0-9a-f]+… in \/$/m);
    expect(screen).toMatch(new RegExp(`^${PREFIX}release-${uid} 300 kB · compiler [\\d.]+ MB · [\\d.]+× smaller \\([\\d.]+ % saved\\)$`, 'm'));
    expect(screen).toMatch(new RegExp(`^${PREFIX}release-${uid} 300 kB · assets [\\d.]+ MB · [\\d.]+× smaller \\([\\d.]+ % saved\\)$`, 'm'));
    // The live region, with its key hints, is gone once the run ended.
    expect(screen).not.toContain('q cancel');
    // -J joined lines the terminal wrapped, so a longer line means the layout overflowed.
    expect(lines.filter((line) => line.length > COLUMNS)).toEqual([]);
  });

  it('writes no escape codes to a stderr redirected to a file', async () => {
    const project = await makeProject({
      'Dockerfile': 'FROM busybox:1.35\nRUN echo quick\n',
      'build.yml': buildYml({ quick: { name: `${PREFIX}quick`, dockerfile: 'Dockerfile' } }),
    });
    const stderrFile = path.join(scratchDir, 'stderr.txt');

    const run = await startInTerminal(project, [], stderrFile);
    const code = await waitForExitCode(run);
    const screen = await captureWhen(run, /^succeeded in/m);

    expect(code, screen).toBe(0);
    expect(JSON.stringify(await readFile(stderrFile, 'utf8'))).toBe('""');
  });

  it('shows the failed step, its log tail and the error, exit 1', async () => {
    const project = await makeProject({
      'Dockerfile': 'FROM busybox:1.35\nRUN echo about to fail && exit 3\n',
      'Dockerfile.after': 'FROM busybox:1.35\nRUN echo never built\n',
      'build.yml': buildYml({
        broken: { name: `${PREFIX}broken`, no_cache: 'true' },
        after: { name: `${PREFIX}after`, dockerfile: 'Dockerfile.after', depends_on: ['broken'] },
      }),
    });

    const run = await startInTerminal(project);
    const code = await waitForExitCode(run);
    const screen = await captureWhen(run, /error:/);

    expect(code, screen).toBe(1);
    expect(screen).toMatch(/^failed after [\d.]+s · steps 0\/2 done/m);
    expect(screen).toMatch(/^›✗ broken\s+failed at 2\/2 RUN echo about to fail && exit 3\s+[\d.]+s$/m);
    expect(screen).toMatch(/^ – after\s+← broken\s+skipped: broken failed$/m);
    // The error quotes the instruction, so the title does not repeat it.
    expect(screen).toMatch(/^✗ broken failed after [\d.]+s$/m);
    expect(screen).toMatch(/^ {2}│ about to fail$/m);
    // Ink wraps the error message at the screen width, so spaces and line breaks are one.
    expect(screen.replace(/\s+/g, ' ')).toMatch(/ error: RUN echo about to fail && exit 3 at Dockerfile:2 exited with code 3/);
    expect(screen).not.toContain('q cancel');
  });

  it('cancels the run on q, exit 130, and leaves no container', async () => {
    const token = `${PREFIX}sleep-${uid}`;
    const project = await makeProject({
      'Dockerfile': `FROM busybox:1.35\nRUN echo ${token} && sleep ${SLEEP_SECONDS}\n`,
      'build.yml': buildYml({ sleeper: { name: `${PREFIX}sleeper`, no_cache: 'true' } }),
    });
    const run = await startInTerminal(project);
    await waitFor(async () => ((await listContainersWithCommand(token)).length > 0 ? true : undefined), 120_000, 'the RUN container to start');
    await captureWhen(run, /●\s*sleeper/);

    const pressedAt = Date.now();
    await tmux(run.socket, 'send-keys', '-t', run.session, 'q');
    const code = await waitForExitCode(run, 60_000);
    const cancelMs = Date.now() - pressedAt;
    const screen = await captureWhen(run, /cancelled after/);

    expect(code, screen).toBe(130);
    expect(cancelMs).toBeLessThan((SLEEP_SECONDS * 1000) / 2);
    expect(screen).toMatch(/^cancelled after [\d.]+s · steps 0\/1 done/m);
    expect(screen).toMatch(/^[ ›]⊘ sleeper\s+cancelled\s+[\d.]+s$/m);
    expect(await listContainersWithCommand(token)).toEqual([]);
  });
});

describe('weld with pipes instead of a terminal', () => {
  /** Runs weld with stdin, stdout and stderr as pipes, stdin closed at once, outside CI. */
  async function runPiped(project: string, extraArgs: string[] = []) {
    const child = spawn(process.execPath, [weldBin, '-d', project, '--uid', uid, ...extraArgs], {
      cwd: repoRoot,
      env: environmentOutsideCi(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stdout, stderr };
  }

  /** Makes a one-step project; each test names its image apart, so that no run leaves an untagged image behind. */
  async function makeGreeter(imageName: string): Promise<string> {
    return makeProject({
      'Dockerfile': 'FROM busybox:1.35\nRUN echo hello from the pipe test\n',
      'build.yml': buildYml({ greeter: { name: `${PREFIX}${imageName}`, no_cache: 'true' } }),
    });
  }

  it('prints plain lines without escape codes, exit 0', async () => {
    const project = await makeGreeter('greeter-plain');

    const run = await runPiped(project);

    expect(run.stderr).toBe('');
    expect(run.code, run.stdout).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.filter((line) => !/^\w+\s+\| /.test(line))).toEqual([]);
    expect(run.stdout).toMatch(/^greeter\s+\| hello from the pipe test$/m);
    expect(run.stdout).toMatch(/^weld\s+\| succeeded in [\d.]+s$/m);
    expect(run.stdout).not.toContain('\u001b');
  });

  it('draws the console with --tui into a pipe, exit 0', async () => {
    const project = await makeGreeter('greeter-tui');

    const run = await runPiped(project, ['--tui']);

    expect(run.stderr).toBe('');
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/succeeded.* in [\d.]+s · steps 1\/1 done/);
    expect(run.stdout).toMatch(/✓.* greeter.*built/);
    // Piped stdin gives no keys, so the key hints are never offered.
    expect(run.stdout).not.toContain('q cancel');
  });
});
