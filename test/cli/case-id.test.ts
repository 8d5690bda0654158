import { describe, expect, it } from 'vitest';
import { checkCaseId, defaultCaseId } from '../../src/case/case-id.js';
import { CliError } from '../../src/model/errors.js';

describe('case ids', () => {
  it('default: the hostname made safe for a file name, then the UTC time', () => {
    const at = new Date('2026-03-04T05:06:07.890Z');
    expect(defaultCaseId('web-7.example.org', at)).toBe('web-7.example.org-20260304T050607Z');
    expect(defaultCaseId('../etc/evil host\x1b', at)).toBe('_etc_evil_host_-20260304T050607Z');
    expect(defaultCaseId('...', at)).toBe('host-20260304T050607Z');
    expect(checkCaseId(defaultCaseId('../etc/evil host\x1b', at))).toBe('_etc_evil_host_-20260304T050607Z');
  });

  it('--case: letters, digits, dot, dash and underscore, never a path or a hidden name', () => {
    expect(checkCaseId('IR-2026_01.a')).toBe('IR-2026_01.a');
    for (const bad of ['../x', 'a/b', '.hidden', '-flag', '', 'x'.repeat(129), 'name\n', 'café']) {
      expect(() => checkCaseId(bad)).toThrow(CliError);
    }
    try {
      checkCaseId('a/b');
    } catch (err) {
      expect((err as CliError).exitCode).toBe(2);
    }
    expect(checkCaseId('x'.repeat(128))).toHaveLength(128);
  });
});
