import { describe, expect, test } from 'vitest';
import { MAX_LINE_CHARS, sanitizeLogLine } from '../../src/ui/log-line.js';

const ESC = '\u001b';

describe('sanitizeLogLine', () => {
  test.each([
    ['plain text', 'go: downloading golang.org/x/sys', 'go: downloading golang.org/x/sys'],
    ['colour codes', `${ESC}[1;31mred${ESC}[0m`, `${ESC}[1;31mred${ESC}[0m`],
    ['256 and true colour codes', `${ESC}[38;5;208ma${ESC}[38:2::1:2:3mb`, `${ESC}[38;5;208ma${ESC}[38:2::1:2:3mb`],
    ['cursor up and erase line', `${ESC}[1A${ESC}[2Kstep 3`, 'step 3'],
    ['clear screen and home', `${ESC}[2J${ESC}[Hfresh`, 'fresh'],
    ['cursor save and restore', `${ESC}7saved${ESC}8`, 'saved'],
    ['charset switch', `${ESC}(Bascii`, 'ascii'],
    ['window title with BEL', `${ESC}]0;title\u0007after`, 'after'],
    ['hyperlink with ST', `${ESC}]8;;https://example.com${ESC}\\link${ESC}]8;;${ESC}\\`, 'link'],
    ['private mode switch', `${ESC}[?25lhidden cursor`, 'hidden cursor'],
    ['carriage-return redraws', 'progress 10%\rprogress 55%\rprogress 100%', 'progress 100%'],
    ['trailing CRLF', 'windows line\r\n', 'windows line'],
    ['tabs to the next stop', 'a\tbc\td', 'a       bc      d'],
    ['tabs after colour codes', `${ESC}[32mok${ESC}[0m\tpkg`, `${ESC}[32mok${ESC}[0m      pkg`],
    ['bell and backspace', 'bell\u0007 back\bspace', 'bell backspace'],
    ['lone escape at the end', `text${ESC}`, 'text'],
  ])('keeps what a terminal shows of %s', (_case, line, expected) => {
    expect(sanitizeLogLine(line)).toBe(expected);
  });

  test('long line is cut at the limit with an ellipsis', () => {
    const line = 'x'.repeat(MAX_LINE_CHARS + 100);

    const cleaned = sanitizeLogLine(line);

    expect(cleaned).toBe(`${'x'.repeat(MAX_LINE_CHARS)}…`);
  });

  test('long coloured line is cut by visible characters and its colour reset', () => {
    const line = `${ESC}[31m${'x'.repeat(MAX_LINE_CHARS + 100)}${ESC}[0m`;

    const cleaned = sanitizeLogLine(line);

    expect(cleaned).toBe(`${ESC}[31m${'x'.repeat(MAX_LINE_CHARS)}…${ESC}[0m`);
  });

  test('line at the limit with colour codes is not cut', () => {
    const line = `${ESC}[31m${'x'.repeat(MAX_LINE_CHARS)}${ESC}[0m`;

    expect(sanitizeLogLine(line)).toBe(line);
  });
});
