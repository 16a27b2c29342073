// Cleaning of build output before the console shows it: colours stay, anything
// that would move the cursor, clear the screen or change the terminal goes, so a
// build's own progress bars cannot break the layout around them.

/** Visible characters kept of one line; the rest is cut and marked with `…`. */
export const MAX_LINE_CHARS = 500;

const TAB_WIDTH = 8;
/** Any C0 control character, DEL or the one-byte CSI (0x9b). */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f\u009b]/;
/**
 * Escape sequences of three kinds. A CSI is `ESC [`, parameters, intermediates and a
 * final byte. OSC, DCS, APC, PM and SOS strings end with BEL or `ESC \`. Short ones
 * are like `ESC 7` or `ESC ( B`.
 */
// eslint-disable-next-line no-control-regex
const ESCAPE_SEQUENCE = /\u001b\[[0-?]*[ -/]*[@-~]?|\u001b[\]PX^_][\s\S]*?(?:\u0007|\u001b\\|$)|\u001b[ -/]*[0-~]?/g;
/** A colour (SGR) sequence: `ESC [`, digits, `;` or `:`, then `m`. */
// eslint-disable-next-line no-control-regex
const SGR_SEQUENCE = /^\u001b\[[\d;:]*m$/;
// eslint-disable-next-line no-control-regex
const SGR_SEQUENCES = /\u001b\[[\d;:]*m/g;
/** Control characters but tab and ESC, which is left only at the start of colour sequences. */
// eslint-disable-next-line no-control-regex
const OTHER_CONTROL_CHARACTERS = /[\u0000-\u0008\u000a-\u001a\u001c-\u001f\u007f\u009b]/g;

/** Returns `text` with tabs replaced by spaces up to the next stop, counting visible characters only. */
function expandTabs(text: string): string {
  let output = '';
  let column = 0;
  for (const part of text.split(/(\u001b\[[\d;:]*m|\t)/)) {
    if (part === '\t') {
      const spaces = TAB_WIDTH - (column % TAB_WIDTH);
      output += ' '.repeat(spaces);
      column += spaces;
    } else {
      output += part;
      if (!SGR_SEQUENCE.test(part)) column += part.length;
    }
  }
  return output;
}

/** Returns `text` cut after MAX_LINE_CHARS visible characters, keeping the colour sequences before the cut. */
function cutVisible(text: string): string {
  if (text.length <= MAX_LINE_CHARS || text.replace(SGR_SEQUENCES, '').length <= MAX_LINE_CHARS) return text;

  let output = '';
  let visible = 0;
  for (const part of text.split(/(\u001b\[[\d;:]*m)/)) {
    if (SGR_SEQUENCE.test(part)) {
      output += part;
      continue;
    }
    const room = MAX_LINE_CHARS - visible;
    if (part.length > room) {
      // A colour opened before the cut would otherwise run on into the next cell.
      return `${output}${part.slice(0, room)}…${output.includes('\u001b') ? '\u001b[0m' : ''}`;
    }
    output += part;
    visible += part.length;
  }
  return output;
}

/**
 * Returns `line` as the console shows it. SGR colour codes stay, and other escape
 * sequences and control characters go. Only the text after the last carriage
 * return is kept, as a terminal shows it after a redraw. Tabs are expanded and
 * the line is cut at MAX_LINE_CHARS visible characters.
 */
export function sanitizeLogLine(line: string): string {
  if (!CONTROL_CHARACTER.test(line) && line.length <= MAX_LINE_CHARS) return line;

  const trimmed = line.replace(/[\r\n]+$/, '');
  const lastReturn = trimmed.lastIndexOf('\r');
  const redrawn = lastReturn >= 0 ? trimmed.slice(lastReturn + 1) : trimmed;
  const withoutEscapes = redrawn.replace(ESCAPE_SEQUENCE, (sequence) => (SGR_SEQUENCE.test(sequence) ? sequence : ''));
  const visibleOnly = withoutEscapes.replace(OTHER_CONTROL_CHARACTERS, '');
  const expanded = visibleOnly.includes('\t') ? expandTabs(visibleOnly) : visibleOnly;
  return cutVisible(expanded);
}
