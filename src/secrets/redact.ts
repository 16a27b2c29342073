// Redaction of secret values from everything weld prints: each event passes through
// here on its way to the reporter, so the console, the plain lines and the NDJSON
// stream all see the same redacted text.

import type { BuildEvent, EventSink } from '../build/events.js';

/** Replacement text of a redacted value. */
export const REDACTED = '***';

/**
 * Shortest value redacted. NOTE: a shorter secret is printed as it is, because
 * replacing every `ab` or `1` in the output would make it unreadable and would reveal
 * the secret by its gaps anyway.
 */
export const MIN_REDACTED_LENGTH = 4;

/** Replaces known secret values in text. Values can be added while a run goes on. */
export class Redactor {
  private readonly values = new Set<string>();
  /** Candidates, longest first, so that a value containing another is replaced whole. */
  private candidates: string[] = [];

  /**
   * Adds a value to redact. A value of several lines is also redacted line by line,
   * because build output reaches weld one line at a time.
   */
  add(value: string): void {
    const parts = [value, ...value.split(/\r?\n/).map((line) => line.trim())];
    let changed = false;
    for (const part of parts) {
      if (part.length < MIN_REDACTED_LENGTH || this.values.has(part)) continue;
      this.values.add(part);
      changed = true;
    }
    if (changed) this.candidates = [...this.values].sort((a, b) => b.length - a.length);
  }

  /** Returns whether any value is known. */
  get active(): boolean {
    return this.candidates.length > 0;
  }

  /** Returns `text` with every known value replaced by `REDACTED`. */
  redact(text: string): string {
    let result = text;
    for (const candidate of this.candidates) {
      if (result.includes(candidate)) result = result.split(candidate).join(REDACTED);
    }
    return result;
  }
}

function redactValue(value: unknown, redactor: Redactor): unknown {
  if (typeof value === 'string') return redactor.redact(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redactor));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactValue(item, redactor)]));
  }
  return value;
}

/** Returns a copy of `event` with every string in it redacted. */
export function redactEvent(event: BuildEvent, redactor: Redactor): BuildEvent {
  if (!redactor.active) return event;
  return redactValue(event, redactor) as BuildEvent;
}

/** Wraps an event sink so that every event it receives is redacted first. */
export function createRedactingSink(sink: EventSink, redactor: Redactor): EventSink {
  return (event) => sink(redactEvent(event, redactor));
}
