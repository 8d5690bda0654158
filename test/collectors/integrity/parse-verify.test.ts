import { describe, expect, it } from 'vitest';
import { contentChanged, parseDpkgVerify, parseRpmVerify, VERIFY_COLUMNS } from '../../../src/collectors/integrity/parse-verify.js';

describe('parseDpkgVerify', () => {
  it('reads a changed binary: only the digest column is checked by dpkg', () => {
    const { lines, other } = parseDpkgVerify('??5??????   /usr/bin/pwdx\n');
    expect(other).toEqual([]);
    expect(lines).toEqual([
      {
        flags: '??5??????',
        missing: false,
        checks: { size: 'unchecked', mode: 'unchecked', digest: 'fail', device: 'unchecked', link: 'unchecked', user: 'unchecked', group: 'unchecked', mtime: 'unchecked', capabilities: 'unchecked' },
        attr: null,
        path: '/usr/bin/pwdx',
        error: null,
      },
    ]);
    expect(contentChanged(lines[0])).toBe(true);
  });

  it('reads the conffile attribute', () => {
    const [line] = parseDpkgVerify('??5?????? c /etc/ssh/sshd_config\n').lines;
    expect(line).toMatchObject({ attr: 'c', path: '/etc/ssh/sshd_config', missing: false });
    expect(line.checks.digest).toBe('fail');
  });

  it('reads a missing file, with and without the errno dpkg appends', () => {
    const { lines } = parseDpkgVerify('missing     /usr/bin/tload\nmissing   c /etc/default/procps\nmissing     /usr/bin/x (Permission denied)\n');
    expect(lines.map((l) => [l.flags, l.missing, l.attr, l.path, l.error])).toEqual([
      ['missing', true, null, '/usr/bin/tload', null],
      ['missing', true, 'c', '/etc/default/procps', null],
      ['missing', true, null, '/usr/bin/x', 'Permission denied'],
    ]);
    expect(Object.values(lines[0].checks).every((c) => c === 'unchecked')).toBe(true);
    expect(contentChanged(lines[0])).toBe(false);
  });

  it('reads every column: its letter fails, a dot passes, a question mark is unchecked', () => {
    const all = VERIFY_COLUMNS.map((c) => c.letter).join('');
    expect(all).toBe('SM5DLUGTP');
    const [failed] = parseDpkgVerify(`${all}   /usr/bin/a\n`).lines;
    expect(Object.values(failed.checks)).toEqual(Array(9).fill('fail'));
    const [passed] = parseDpkgVerify('.........   /usr/bin/b\n').lines;
    expect(Object.values(passed.checks)).toEqual(Array(9).fill('pass'));
    for (const [i, col] of VERIFY_COLUMNS.entries()) {
      const flags = '?'.repeat(i) + col.letter + '?'.repeat(8 - i);
      const [line] = parseDpkgVerify(`${flags}   /usr/bin/c\n`).lines;
      expect(line.checks[col.check], col.check).toBe('fail');
      expect(Object.values(line.checks).filter((c) => c === 'fail')).toHaveLength(1);
    }
  });

  it('keeps file names with spaces and parentheses whole', () => {
    const [line] = parseDpkgVerify('??5??????   /usr/share/doc/a b (c)/x y\n').lines;
    expect(line).toMatchObject({ path: '/usr/share/doc/a b (c)/x y', error: null });
  });

  it('sets aside warnings, letters in the wrong column and lines of another shape', () => {
    const text = [
      "dpkg: warning: package 'x' is not installed",
      '5????????   /usr/bin/wrong-column',
      '??5??????  /usr/bin/one-space-short',
      '??5?????? x /usr/bin/bad-attr',
      '??5??????   relative/path',
    ].join('\n');
    const r = parseDpkgVerify(text);
    expect(r.lines).toEqual([]);
    expect(r.other).toHaveLength(5);
  });

  it('reads a clean verify (no output) as no lines', () => {
    expect(parseDpkgVerify('')).toEqual({ lines: [], other: [] });
  });
});

describe('parseRpmVerify', () => {
  it('reads nine columns, attribute letters and a blank attribute', () => {
    const { lines, other } = parseRpmVerify('S.5....T.  c /etc/ssh/sshd_config\n..5......    /usr/bin/ps\n.M.......  g /var/run/x\n');
    expect(other).toEqual([]);
    expect(lines.map((l) => [l.flags, l.attr, l.path])).toEqual([
      ['S.5....T.', 'c', '/etc/ssh/sshd_config'],
      ['..5......', null, '/usr/bin/ps'],
      ['.M.......', 'g', '/var/run/x'],
    ]);
    expect(lines[0].checks).toMatchObject({ size: 'fail', mode: 'pass', digest: 'fail', mtime: 'fail', capabilities: 'pass' });
    expect(contentChanged(lines[1])).toBe(true);
    expect(contentChanged(lines[2])).toBe(false);
  });

  it("reads old rpm's eight columns (no capabilities) and a changed link", () => {
    const [line] = parseRpmVerify('....L...    /usr/lib64/libkeyutils.so.1\n').lines;
    expect(line.checks).toMatchObject({ link: 'fail', capabilities: 'unchecked' });
    expect(contentChanged(line)).toBe(true);
  });

  it('reads missing files with an attribute, without one, and with an errno', () => {
    const { lines } = parseRpmVerify('missing   c /etc/foo.conf\nmissing     /usr/bin/ss\nmissing     /usr/bin/y (Permission denied)\n');
    expect(lines.map((l) => [l.missing, l.attr, l.path, l.error])).toEqual([
      [true, 'c', '/etc/foo.conf', null],
      [true, null, '/usr/bin/ss', null],
      [true, null, '/usr/bin/y', 'Permission denied'],
    ]);
  });

  it('sets aside dependency problems and unknown packages', () => {
    const r = parseRpmVerify('Unsatisfied dependencies for openssh-server: libfoo\npackage nosuch is not installed\n');
    expect(r.lines).toEqual([]);
    expect(r.other).toHaveLength(2);
  });
});
