import { describe, expect, it } from 'vitest';
import { ptyLineOf, sshdPtySession, sshdWithoutUtmp, type SessionWitness } from '../../../src/collectors/logins/cross-check.js';
import type { UtmpRecord } from '../../../src/model/logins.js';
import { proc } from '../../helpers/records.js';

function userRecord(user: string, line: string, pid: number): UtmpRecord {
  return {
    file: '/run/utmp', index: 0, type: 7, typeName: 'USER_PROCESS', pid, line, id: line.slice(-4), user, host: '203.0.113.9', addr: '203.0.113.9',
    exitTermination: 0, exitStatus: 0, session: 0, time: '2026-01-01T00:00:00.000000Z', sec: 1767225600, usec: 0,
  };
}

const witnesses = (w: Record<number, SessionWitness>) => (pid: number) => w[pid];

describe('sshd sessions that utmp does not list: only believed sessions are claimed', () => {
  const fake = proc({ pid: 4242, comm: 'sshd', argv: ['sshd: root@pts/2'], exe: '/dev/shm/.irt/sshd' });

  it('a process that only calls itself "sshd: root@pts/2" (no terminal, not the system sshd) claims nothing', () => {
    expect(sshdWithoutUtmp([fake], [], '/run/utmp', witnesses({ 4242: { systemSshd: null, heldLines: [] } }))).toEqual([]);
  });

  it('holding another terminal than the one its title names is no witness either', () => {
    expect(sshdWithoutUtmp([fake], [], '/run/utmp', witnesses({ 4242: { systemSshd: null, heldLines: ['pts/9'] } }))).toEqual([]);
  });

  it('a process with no witness at all (it ended, or was never read) claims nothing', () => {
    expect(sshdWithoutUtmp([fake], [], '/run/utmp', () => undefined)).toEqual([]);
  });

  it('the same title holding /dev/pts/2 open is a session utmp lost, and the detail says why it is believed', () => {
    const [s] = sshdWithoutUtmp([fake], [], '/run/utmp', witnesses({ 4242: { systemSshd: null, heldLines: ['pts/2'] } }));
    expect(s).toMatchObject({ kind: 'sshd-without-utmp', pid: 4242, user: 'root', line: 'pts/2' });
    expect(s.detail).toBe('"sshd: root@pts/2" (pid 4242, /dev/shm/.irt/sshd) holds /dev/pts/2 open, with a session for root on pts/2, but /run/utmp has no record of root on pts/2');
  });

  it("the system's sshd is believed without holding the pty slave (it keeps only ptmx), one signal per missing line", () => {
    const real = proc({ pid: 601, comm: 'sshd-session', argv: ['sshd-session: alice@pts/1,pts/3'], exe: '/usr/lib/openssh/sshd-session', user: 'alice' });
    const out = sshdWithoutUtmp([real], [userRecord('alice', 'pts/1', 601)], '/run/utmp', witnesses({ 601: { systemSshd: '/usr/lib/openssh/sshd-session', heldLines: [] } }));
    expect(out.map((s) => [s.user, s.line])).toEqual([['alice', 'pts/3']]);
    expect(out[0].detail).toContain("runs the system's /usr/lib/openssh/sshd-session (same device and inode)");
  });

  it('a session utmp lists is never claimed, whatever backs it', () => {
    expect(sshdWithoutUtmp([fake], [userRecord('root', 'pts/2', 4242)], '/run/utmp', witnesses({ 4242: { systemSshd: '/usr/sbin/sshd', heldLines: ['pts/2'] } }))).toEqual([]);
  });

  it('reads pty titles and pty fd targets, nothing else', () => {
    expect(sshdPtySession('sshd: root@pts/2')).toEqual({ user: 'root', lines: ['pts/2'] });
    expect(sshdPtySession('sshd: root@notty')).toBeNull();
    expect(ptyLineOf('/dev/pts/12')).toBe('pts/12');
    for (const t of ['/dev/ptmx', '/dev/pts/ptmx', '/dev/tty1', '/dev/pts/2 (deleted)', '/tmp/dev/pts/2', 'socket:[1]']) expect(ptyLineOf(t)).toBeNull();
  });
});
