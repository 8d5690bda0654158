import { runRule } from '../../../src/rules/types.js';
import { describe, expect, it } from 'vitest';
import type { IntegrityRecord } from '../../../src/model/integrity.js';
import { RULES } from '../../../src/rules/index.js';
import { modifiedBinary } from '../../../src/rules/integrity/modified-binary.js';

const MD5_OK = '3e45178fc809449f7ba05bd335791b21';

function rec(over: Partial<IntegrityRecord> & { path: string }): IntegrityRecord {
  return {
    realPath: over.path,
    tools: [],
    package: 'procps',
    packageVersion: '2:4.0.2-3',
    packageState: 'installed',
    status: 'ok',
    reason: null,
    packageDb: 'dpkg',
    expectedMd5: MD5_OK,
    expectedSha256: null,
    md5: MD5_OK,
    sha256: 'a'.repeat(64),
    size: 1234,
    mode: '0755',
    uid: 0,
    gid: 0,
    owner: 'root',
    mtime: '2026-11-20T03:00:00.000Z',
    ctime: '2026-11-20T03:00:00.000Z',
    birth: null,
    unexpectedSetuid: false,
    shadows: null,
    diversion: null,
    secondView: null,
    runningPids: [],
    runningMismatchPids: [],
    preserved: null,
    ...over,
  };
}

/** A clean box: packaged files that match, a tool built from source, files that could not be verified. */
function clean(): IntegrityRecord[] {
  return [
    rec({ path: '/bin/ps', realPath: '/usr/bin/ps', tools: ['ps'] }),
    rec({ path: '/usr/bin/pwdx' }),
    rec({ path: '/bin/su', realPath: '/usr/bin/su', tools: ['su'], package: 'util-linux', mode: '4755' }),
    rec({ path: '/usr/local/bin/lsof', tools: ['lsof'], package: null, status: 'not-packaged', expectedMd5: null, reason: 'no package owns this file' }),
    rec({ path: '/usr/bin/who', tools: ['who'], package: null, status: 'unverified', expectedMd5: null }),
    rec({ path: '/usr/bin/top', tools: ['top'], status: 'unreadable', md5: null, sha256: null, reason: 'EACCES: /usr/bin/top: permission denied' }),
    rec({ path: '/usr/sbin/sshd', tools: ['sshd'], package: 'openssh-server', runningPids: [500], secondView: { tool: 'dpkg --verify', flags: null, agrees: true } }),
  ];
}

const detect = (records: IntegrityRecord[]) => runRule(modifiedBinary, { integrity: records }, {});

describe('integrity.modified-binary', () => {
  it('is registered, critical by default, and needs the integrity records', () => {
    expect(RULES).toContain(modifiedBinary);
    expect(modifiedBinary.level).toBe('critical');
    expect(modifiedBinary.needs).toEqual(['integrity']);
    expect(modifiedBinary.mitre).toContain('T1554');
  });

  it('stays silent on a clean box', () => {
    expect(detect(clean())).toEqual([]);
  });

  it('flags a modified tool as critical and says plainly what it means and what to do', () => {
    const ps = rec({ path: '/bin/ps', realPath: '/usr/bin/ps', tools: ['ps'], status: 'modified', md5: 'b'.repeat(32), reason: 'its content is not what procps 2:4.0.2-3 installed (md5 differs)', preserved: 'files/integrity/usr/bin/ps', secondView: { tool: 'dpkg --verify', flags: '??5??????', agrees: true } });
    const [f, ...rest] = detect([...clean(), ps]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      rule: 'integrity.modified-binary',
      severity: 'critical',
      title: 'Modified ps: /usr/bin/ps is not what procps installed',
      subject: { path: '/usr/bin/ps', package: 'procps', packagePath: '/bin/ps', status: 'modified', md5: 'b'.repeat(32), expectedMd5: MD5_OK, sha256: 'a'.repeat(64) },
      evidence: ['artifacts/integrity.jsonl', 'artifacts/integrity-hashes.txt', 'files/integrity/usr/bin/ps', 'commands/dpkg-verify.txt'],
    });
    expect(f.detail.startsWith('Its content is not what procps 2:4.0.2-3 installed (md5 differs).')).toBe(true);
    expect(f.detail).toContain(`Package md5 ${MD5_OK}; on disk: md5 ${'b'.repeat(32)}, sha256 ${'a'.repeat(64)}, 1234 bytes, mode 0755, owner root`);
    expect(f.detail).toContain('dpkg --verify on the box reports it too (??5??????)');
    expect(f.detail).toContain('A replaced ps or top hides the scanner');
    expect(f.detail).toContain("The box's own tools may lie");
    expect(f.detail).toContain('process.hidden, network.hidden-socket');
    expect(f.detail).toContain('`apt-get download procps=2:4.0.2-3`');
    expect(f.detail).toContain('debsums -c');
    expect(f.detail).toContain('Reinstall (`apt-get install --reinstall procps`) only after imaging');
    expect(f.detail).toContain('preserved in the bundle as files/integrity/usr/bin/ps');
  });

  it('flags the other files of the same packages as high', () => {
    const pwdx = rec({ path: '/usr/bin/pwdx', status: 'modified', md5: 'c'.repeat(32) });
    expect(detect([pwdx]).map((f) => [f.severity, f.title])).toEqual([['high', 'Modified pwdx: /usr/bin/pwdx is not what procps installed']]);
  });

  it('flags a missing packaged file, critical for a listed tool', () => {
    const found = detect([
      rec({ path: '/bin/ss', realPath: null, tools: ['ss'], package: 'iproute2', status: 'missing', md5: null, sha256: null }),
      rec({ path: '/usr/bin/pwdx', realPath: null, status: 'missing', md5: null, sha256: null }),
    ]);
    expect(found.map((f) => [f.severity, f.title])).toEqual([
      ['critical', 'Missing ss: /bin/ss of iproute2 is gone'],
      ['high', 'Missing pwdx: /usr/bin/pwdx of procps is gone'],
    ]);
  });

  it('flags an unpackaged tool earlier in PATH, and an unpackaged copy of a packaged library', () => {
    const found = detect([
      rec({ path: '/usr/local/bin/ss', tools: ['ss'], package: null, packageVersion: null, packageState: null, status: 'not-packaged', expectedMd5: null, shadows: '/usr/bin/ss' }),
      rec({ path: '/usr/lib64/tls/libkeyutils.so.1', tools: ['libkeyutils.so'], package: null, status: 'not-packaged', expectedMd5: null, shadows: '/usr/lib64/libkeyutils.so.1.6' }),
    ]);
    expect(found.map((f) => [f.severity, f.title])).toEqual([
      ['critical', 'Unpackaged copy of libkeyutils.so: /usr/lib64/tls/libkeyutils.so.1 beside the packaged /usr/lib64/libkeyutils.so.1.6'],
      ['critical', 'Unpackaged ss shadows the packaged one: /usr/local/bin/ss comes before /usr/bin/ss in PATH'],
    ]);
    expect(found[0].detail).toContain('Ebury');
    expect(found[1].detail).toContain('run the packaged tool by its full path (/usr/bin/ss)');
    expect(found[1].mitre).toContain('T1036.005');
  });

  it('reports a diverted file as informational, and names a local diversion as such', () => {
    const byPackage = rec({ path: '/usr/bin/w', tools: ['w'], status: 'diverted', md5: 'd'.repeat(32), diversion: { to: '/usr/bin/w.procps', by: 'some-pkg' } });
    const byAdmin = rec({ path: '/bin/ps', realPath: '/usr/bin/ps', tools: ['ps'], status: 'diverted', md5: 'd'.repeat(32), diversion: { to: '/bin/ps.real', by: ':' } });
    const found = detect([byPackage, byAdmin]);
    expect(found.map((f) => f.severity)).toEqual(['informational', 'informational']);
    expect(found.find((f) => f.subject.path === '/usr/bin/ps')!.detail).toContain('a local diversion of a system tool');
    expect(found.find((f) => f.subject.path === '/usr/bin/w')!.detail).toContain('check that the diverting package is expected');
  });

  it('lowers a modified file of a half-installed or unpacked package to medium, with the reason', () => {
    const found = detect([
      rec({ path: '/bin/ps', realPath: '/usr/bin/ps', tools: ['ps'], status: 'modified', md5: 'e'.repeat(32), packageState: 'unpacked' }),
      rec({ path: '/usr/bin/pwdx', status: 'missing', md5: null, packageState: 'half-installed' }),
    ]);
    expect(found.map((f) => f.severity)).toEqual(['medium', 'medium']);
    expect(found[0].detail).toMatch(/dpkg state "(unpacked|half-installed)": an install or upgrade did not finish/);
  });

  it("says when the box's dpkg did not report what the database shows", () => {
    const [f] = detect([rec({ path: '/usr/sbin/sshd', tools: ['sshd'], package: 'openssh-server', status: 'modified', md5: 'f'.repeat(32), secondView: { tool: 'dpkg --verify', flags: null, agrees: false } })]);
    expect(f.severity).toBe('critical');
    expect(f.detail).toContain("dpkg --verify on the box did not say so: the box's package tool, or a library under it, may lie as well");
    expect(f.detail).toContain('records every password and key typed');
  });

  it('flags an unexpected setuid bit as high, even on unchanged content', () => {
    const [f, ...rest] = detect([rec({ path: '/usr/bin/find', tools: ['find'], package: 'findutils', mode: '4755', unexpectedSetuid: true })]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'high', title: 'Unexpected setuid/setgid bit on find: /usr/bin/find (mode 4755)', mitre: ['T1548.001'] });
    expect(f.detail).toContain('still what findutils installed');
    expect(f.detail).toContain('chmod u-s,g-s /usr/bin/find');
  });

  it('flags a running program whose executable is not the file on disk, naming that pid', () => {
    const [f] = detect([rec({ path: '/usr/sbin/sshd', tools: ['sshd'], package: 'openssh-server', runningPids: [500, 501], runningMismatchPids: [501] })]);
    expect(f).toMatchObject({ severity: 'critical', subject: { pid: 501, path: '/usr/sbin/sshd' } });
    expect(f.title).toBe('Running sshd is not the file on disk: pid 501 runs a different /usr/sbin/sshd');
  });

  it('tells an RPM box to use its own tools', () => {
    const [f] = detect([rec({ path: '/usr/bin/ps', tools: ['ps'], package: 'procps-ng', packageVersion: null, status: 'modified', expectedMd5: null, secondView: { tool: 'rpm -V', flags: '..5......', agrees: true } })]);
    expect(f.detail).toContain('`dnf download procps-ng`');
    expect(f.detail).toContain('`dnf reinstall procps-ng`');
    expect(f.evidence).toContain('commands/rpm-V.txt');
  });

  it('orders findings most severe first', () => {
    const found = detect([
      rec({ path: '/usr/bin/w', tools: ['w'], status: 'diverted', diversion: { to: '/usr/bin/w.x', by: 'x' } }),
      rec({ path: '/usr/bin/pwdx', status: 'modified', md5: '1'.repeat(32) }),
      rec({ path: '/bin/ps', realPath: '/usr/bin/ps', tools: ['ps'], status: 'modified', md5: '2'.repeat(32) }),
    ]);
    expect(found.map((f) => f.severity)).toEqual(['critical', 'high', 'informational']);
  });
});
