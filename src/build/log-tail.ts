// A fixed-size ring of the last lines a step printed, for the failure report.

/** Lines of a failed step repeated at the end of the run. */
export const FAILURE_TAIL_LINES = 20;

export class LogTail {
  private readonly lines: string[] = [];

  constructor(private readonly capacity = FAILURE_TAIL_LINES) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.shift();
  }

  toArray(): string[] {
    return [...this.lines];
  }
}
