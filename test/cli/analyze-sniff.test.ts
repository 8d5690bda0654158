import { describe, expect, it } from 'vitest';
import { looksLikeUtmp, sniffKind } from '../../src/cli/analyze.js';
import { decryptedName } from '../../src/cli/decrypt.js';

/** One utmp record as glibc writes it on x86-64 (384 bytes): type, pid, line, …, tv_sec at 340. */
function utmpRecord(type: number, sec: number): Buffer {
  const b = Buffer.alloc(384);
  b.writeInt16LE(type, 0);
  b.writeInt32LE(4242, 4);
  b.write('pts/0', 8);
  b.write('alice', 44);
  b.writeInt32LE(sec, 340);
  return b;
}

describe('analyze: what a file holds, from its first bytes', () => {
  it('tells wtmp and btmp from text logs, by content, the name only choosing between the two', () => {
    const rec = utmpRecord(7, 1_700_000_000);
    expect(looksLikeUtmp(rec)).toBe(true);
    expect(sniffKind(rec, '/evidence/wtmp.1')).toBe('wtmp');
    expect(sniffKind(rec, '/evidence/btmp')).toBe('btmp');
    expect(sniffKind(rec, '/evidence/auth.log')).toBe('wtmp');
  });

  it('refuses what is not a utmp record: short, an unknown type, a time before 1970, no NUL', () => {
    expect(looksLikeUtmp(utmpRecord(7, 1_700_000_000).subarray(0, 383))).toBe(false);
    expect(looksLikeUtmp(utmpRecord(12, 1_700_000_000))).toBe(false);
    expect(looksLikeUtmp(utmpRecord(7, -1))).toBe(false);
    expect(looksLikeUtmp(Buffer.alloc(384, 0x41))).toBe(false);
  });

  it('journal JSON and export formats, else syslog', () => {
    expect(sniffKind(Buffer.from('\n{"MESSAGE":"x"}\n'), 'j')).toBe('journal-json');
    expect(sniffKind(Buffer.from('\x1e{"MESSAGE":"x"}\n'), 'j')).toBe('journal-json');
    expect(sniffKind(Buffer.from('__CURSOR=s=1\nMESSAGE=x\n'), 'j')).toBe('journal-json');
    expect(sniffKind(Buffer.from('Jan  1 00:00:01 web sshd[1]: Accepted password for a from 1.2.3.4 port 5 ssh2\n'), 'auth.log')).toBe('syslog');
    expect(sniffKind(Buffer.alloc(0), 'empty')).toBe('syslog');
  });
});

describe('decrypt: the output name', () => {
  it('drops .age, else appends .decrypted; never keeps a folder of the input', () => {
    expect(decryptedName('/tmp/in/case-1.tar.gz.age')).toBe('case-1.tar.gz');
    expect(decryptedName('case-1.tar.gz')).toBe('case-1.tar.gz.decrypted');
    expect(decryptedName('.age')).toBe('.age.decrypted');
    expect(decryptedName('../../etc/x.age')).toBe('x');
  });
});
