import { describe, expect, it } from 'vitest';
import { printable, sanitizeForTerminal } from '../../src/model/text.js';
import { sanitizeForTerminal as fromReport } from '../../src/report/text.js';

describe('sanitizeForTerminal: the one escaping of attacker text', () => {
  it('makes every C0, DEL and C1 control visible; tab and newline only on request', () => {
    let all = '';
    for (let c = 0; c <= 0x9f; c++) if (c < 0x20 || c >= 0x7f) all += String.fromCharCode(c);
    const out = sanitizeForTerminal(all);
    expect(out).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    expect(out.startsWith('\\x00\\x01')).toBe(true);
    expect(out.endsWith('\\x9e\\x9f')).toBe(true);
    expect(sanitizeForTerminal('a\tb\nc\x1b', { keepNewlines: true })).toBe('a\tb\nc\\x1b');
    expect(sanitizeForTerminal('a\tb\nc')).toBe('a\\x09b\\x0ac');
  });

  it('shows bidirectional marks as \\uNNNN, or \\xNNNN for findings', () => {
    expect(sanitizeForTerminal('evil\u202etxt.sh\u2066')).toBe('evil\\u202etxt.sh\\u2066');
    expect(sanitizeForTerminal('evil\u202etxt.sh\u061c', { bidi: 'x' })).toBe('evil\\x202etxt.sh\\x61c');
  });

  it('is what the report and the rules use', () => {
    expect(fromReport).toBe(sanitizeForTerminal);
    // printable: findings keep the form they always had (\x202e) and are cut to a length.
    expect(printable('key\x1b[31m\u202e comment')).toBe('key\\x1b[31m\\x202e comment');
    expect(printable('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(sanitizeForTerminal(null)).toBe('');
    expect(sanitizeForTerminal(42)).toBe('42');
  });
});
