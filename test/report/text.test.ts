import { describe, expect, it } from 'vitest';
import { csvField } from '../../src/model/text.js';
import { escapeHtml, escapeMarkdown, sanitizeForTerminal } from '../../src/report/text.js';

describe('text from the box', () => {
  it('never lets an escape sequence reach the terminal', () => {
    const hostile = 'pscan2\x1b[2J\x1b]0;owned\x07\r\x9b31m';
    const out = sanitizeForTerminal(hostile);
    expect(out).toBe('pscan2\\x1b[2J\\x1b]0;owned\\x07\\x0d\\x9b31m');
    expect(out).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
  });

  it('makes bidirectional overrides visible', () => {
    expect(sanitizeForTerminal('ab\u202ecd')).toBe('ab\\u202ecd');
  });

  it('escapes HTML markup', () => {
    expect(escapeHtml('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(escapeHtml(`"'&`)).toBe('&quot;&#39;&amp;');
  });

  it('keeps Markdown table cells in one piece', () => {
    expect(escapeMarkdown('a|b\nc <b>')).toBe('a\\|b c \\<b\\>');
  });

  it('quotes CSV fields and defuses formulas', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=cmd|calc')).toBe("'=cmd|calc");
    expect(csvField(null)).toBe('');
  });
});
