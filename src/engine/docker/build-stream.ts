// Decoder for the response body of the classic builder (`POST /build`): JSON objects,
// one a line, cut into chunks at arbitrary points. It turns them into `BuildOutput`s
// and keeps what the build reported about itself: the image id, a failure, and the
// ids of the containers and images it created.

import { StringDecoder } from 'node:string_decoder';

import type { BuildOutput } from '../engine.js';

/** A build error the engine reported inside a successful (200) response. */
export interface BuildFailure {
  /** The engine's message, e.g. `The command '/bin/sh -c exit 3' returned a non-zero code: 3`. */
  message: string;
  /** Exit code of the failed command, when the engine gives one. */
  code?: number;
  /** Text of the last `Step N/M : ...` line before the error, e.g. `RUN exit 3`. */
  instruction?: string;
  /** N of that `Step N/M` line: the 1-based number of the instruction. */
  index?: number;
}

const STEP_PATTERN = /^Step (\d+)\/(\d+) : ([\s\S]*)$/;
const USING_CACHE_LINE = ' ---> Using cache';
const RUNNING_IN_PATTERN = /^ ---> Running in ([0-9a-f]{12,64})$/;
const STEP_IMAGE_PATTERN = /^ ---> ([0-9a-f]{12,64})$/;
/** With `q=1` the engine prints only the full image id. */
const QUIET_IMAGE_ID_PATTERN = /^sha256:[0-9a-f]{64}$/;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJsonObject(line: string): JsonObject | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Returns what a terminal would show for a line with carriage returns in it: a `\r`
 * moves the cursor back to the start, so the text after the last one wins.
 */
export function collapseCarriageReturns(line: string): string {
  const trimmed = line.replace(/\r+$/, '');
  const lastReturn = trimmed.lastIndexOf('\r');
  return lastReturn < 0 ? trimmed : trimmed.slice(lastReturn + 1);
}

/** Returns the message and code of an `error`/`errorDetail` pair, if the object has one. */
function readError(message: JsonObject): { message: string; code?: number } | undefined {
  const detail = isObject(message.errorDetail) ? message.errorDetail : undefined;
  const text = typeof detail?.message === 'string' ? detail.message : typeof message.error === 'string' ? message.error : undefined;
  if (text === undefined) return undefined;
  const code = typeof detail?.code === 'number' ? detail.code : undefined;
  return code === undefined ? { message: text.trim() } : { message: text.trim(), code };
}

/** Returns the line for a pull `status` message, or undefined for progress-bar updates. */
function readStatus(message: JsonObject): string | undefined {
  if (typeof message.status !== 'string') return undefined;
  // Pull progress repeats the same status with a growing byte count: one line a
  // layer and phase is enough for a log.
  if (isObject(message.progressDetail) && typeof message.progressDetail.current === 'number') return undefined;
  return typeof message.id === 'string' ? `${message.id}: ${message.status}` : message.status;
}

export class BuildStreamDecoder {
  /** Image id the engine reported: the last `aux.ID`, or the id a quiet build prints. */
  imageId: string | undefined;
  /** The error the engine reported, if any. */
  failure: BuildFailure | undefined;
  /** Short ids of the containers the build created (` ---> Running in <id>`), in order. */
  readonly containerIds: string[] = [];
  /** Short ids of the images the steps started from or produced (` ---> <id>`), in order. */
  readonly imageIds: string[] = [];

  private readonly textDecoder = new StringDecoder('utf8');
  private pendingBody = '';
  private pendingText = '';
  private instruction: { index: number; text: string } | undefined;

  constructor(private readonly onOutput: (output: BuildOutput) => void) {}

  /** Decodes one chunk of the response body. */
  write(chunk: Buffer | string): void {
    this.pendingBody += typeof chunk === 'string' ? chunk : this.textDecoder.write(chunk);
    let newline: number;
    while ((newline = this.pendingBody.indexOf('\n')) >= 0) {
      const line = this.pendingBody.slice(0, newline);
      this.pendingBody = this.pendingBody.slice(newline + 1);
      this.acceptBodyLine(line);
    }
  }

  /** Decodes what is left after the last newline; call it once the body has ended. */
  end(): void {
    this.pendingBody += this.textDecoder.end();
    if (this.pendingBody !== '') this.acceptBodyLine(this.pendingBody);
    this.pendingBody = '';
    this.flushText();
  }

  private acceptBodyLine(rawLine: string): void {
    const line = rawLine.replace(/\r+$/, '');
    if (line.trim() === '') return;

    const message = parseJsonObject(line);
    if (message === undefined) {
      // Not JSON (a proxy's error page, a truncated object): still worth showing.
      this.flushText();
      this.acceptLine(collapseCarriageReturns(line));
      return;
    }
    this.acceptMessage(message);
  }

  private acceptMessage(message: JsonObject): void {
    if (typeof message.stream === 'string') this.acceptText(message.stream);

    if (isObject(message.aux) && typeof message.aux.ID === 'string') this.imageId = message.aux.ID;

    const status = readStatus(message);
    if (status !== undefined) {
      this.flushText();
      this.acceptLine(status);
    }

    const error = readError(message);
    if (error !== undefined) {
      this.flushText();
      this.failure = { ...error, instruction: this.instruction?.text, index: this.instruction?.index };
    }
  }

  /** Collects `stream` text, which the engine sends in pieces that need not end at a newline. */
  private acceptText(text: string): void {
    this.pendingText += text;
    let newline: number;
    while ((newline = this.pendingText.indexOf('\n')) >= 0) {
      const line = this.pendingText.slice(0, newline);
      this.pendingText = this.pendingText.slice(newline + 1);
      this.acceptLine(collapseCarriageReturns(line));
    }
  }

  private flushText(): void {
    if (this.pendingText === '') return;
    const line = this.pendingText;
    this.pendingText = '';
    this.acceptLine(collapseCarriageReturns(line));
  }

  private acceptLine(line: string): void {
    const step = line.match(STEP_PATTERN);
    if (step) {
      const index = Number(step[1]);
      const text = step[3]!.trim();
      this.instruction = { index, text };
      this.onOutput({ kind: 'instruction', index, total: Number(step[2]), text });
      return;
    }
    if (line === USING_CACHE_LINE && this.instruction) {
      this.onOutput({ kind: 'cached', index: this.instruction.index });
      return;
    }

    const container = line.match(RUNNING_IN_PATTERN);
    if (container) this.containerIds.push(container[1]!);
    const image = line.match(STEP_IMAGE_PATTERN);
    if (image) this.imageIds.push(image[1]!);
    if (QUIET_IMAGE_ID_PATTERN.test(line)) this.imageId = line;

    this.onOutput({ kind: 'log', line });
  }
}
