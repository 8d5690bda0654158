import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePs, stripForest } from '../../../src/collectors/processes/parse-ps.js';
import { parseStat, parseStatus, splitCmdline } from '../../../src/collectors/processes/parse-proc.js';
import { userNames } from '../../../src/model/passwd.js';

const AUX = String.raw`USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND
root           2  0.0  0.0      0     0 ?        S    Jan01   0:00 [kthreadd]
root          11  0.0  0.0      0     0 ?        I    Jan01   0:03  \_ [kworker/0:1-events]
root           1  0.0  0.1 167700 11864 ?        Ss   2023   12:05 /sbin/init splash
root         812  0.0  0.0  15432  9120 ?        Ss   09:12   0:00 sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups
root        4242  0.0  0.1  17152 10900 ?        Ss   10:01   0:00  \_ sshd: alice [priv]
alice       4250  0.0  0.0  17412  6312 ?        S    10:01   0:00  |   \_ sshd: alice@pts/0
alice       4251  0.0  0.0   8888  5000 pts/0    Ss   10:01   0:00  |       \_ -bash
alice       4300 99.9  1.2 34238796 129112 pts/0 R+   10:02 1234:56  |           \_ /tmp/.. /ss 22 -a 10.0 -i eth0 -s 10
root        4400  0.0  0.0   2592  1624 ?        S    10:05   0:00  \_ sshd: root@notty
systemd+     500  0.0  0.0  90000  6000 ?        Ssl  Jan01   0:01 /lib/systemd/systemd-timesyncd
1001        4500  0.0  0.0   2000  1000 ?        Z    10:06   0:00 [evil) x] <defunct>
root        4600  0.0  0.0   2000  1000 ?        S    10:07   0:00    spaces  in   argv0
`;

describe('parsePs: ps auxwwf', () => {
  it('reads the rows, COMMAND with spaces, forest art removed', () => {
    const rows = parsePs(AUX);
    expect(rows).toEqual([
      { pid: 2, user: 'root', stat: 'S', command: '[kthreadd]' },
      { pid: 11, user: 'root', stat: 'I', command: '[kworker/0:1-events]' },
      { pid: 1, user: 'root', stat: 'Ss', command: '/sbin/init splash' },
      { pid: 812, user: 'root', stat: 'Ss', command: 'sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups' },
      { pid: 4242, user: 'root', stat: 'Ss', command: 'sshd: alice [priv]' },
      { pid: 4250, user: 'alice', stat: 'S', command: 'sshd: alice@pts/0' },
      { pid: 4251, user: 'alice', stat: 'Ss', command: '-bash' },
      { pid: 4300, user: 'alice', stat: 'R+', command: '/tmp/.. /ss 22 -a 10.0 -i eth0 -s 10' },
      { pid: 4400, user: 'root', stat: 'S', command: 'sshd: root@notty' },
      { pid: 500, user: 'systemd+', stat: 'Ssl', command: '/lib/systemd/systemd-timesyncd' },
      { pid: 4500, user: '1001', stat: 'Z', command: '[evil) x] <defunct>' },
      // a top-level command starting with spaces keeps them (no " \_ " forest marker)
      { pid: 4600, user: 'root', stat: 'S', command: '   spaces  in   argv0' },
    ]);
    expect(rows.every((r) => r.ppid === undefined)).toBe(true);
  });

  it('plain ps aux (no forest) and a header with trailing spaces', () => {
    const text =
      'USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND   \n' +
      'www-data  1500  0,5  1,0 200000 20000 ?        S    08:00   0:10 php-fpm: pool www\n';
    expect(parsePs(text)).toEqual([{ pid: 1500, user: 'www-data', stat: 'S', command: 'php-fpm: pool www' }]);
  });

  it('stripForest removes only the forest art', () => {
    expect(stripForest(String.raw` \_ a`)).toBe('a');
    expect(stripForest(String.raw`     \_ a`)).toBe('a');
    expect(stripForest(String.raw` |   \_ a \_ b`)).toBe(String.raw`a \_ b`);
    expect(stripForest(String.raw`     |       \_ x`)).toBe('x');
    expect(stripForest('plain command')).toBe('plain command');
    expect(stripForest('  two spaces')).toBe('  two spaces');
    expect(stripForest(String.raw`\_ no leading space`)).toBe(String.raw`\_ no leading space`);
  });

  it('throws with the line number on a line that does not fit', () => {
    const bad = AUX.replace('root         812  0.0', 'root         81x  0.0');
    expect(() => parsePs(bad)).toThrow(/line 5 /);
    expect(parsePs('')).toEqual([]);
    expect(parsePs('\n\n')).toEqual([]);
  });
});

describe('parsePs: ps -eo pid=,ppid=,user=,stat=,comm=', () => {
  const EO = [
    '    1     0 root     Ss   systemd',
    '    2     0 root     S    kthreadd',
    '   45     2 root     S    kswapd0',
    ' 6674  6673 root     S    evil) x',
    '12345     1 systemd+ S<sl systemd-journal',
    '  800     1 root     SNsl+ (sd-pam)',
    '',
  ].join('\n');

  it('reads pid, ppid, user, stat and comm (comm may hold spaces)', () => {
    expect(parsePs(EO)).toEqual([
      { pid: 1, ppid: 0, user: 'root', stat: 'Ss', command: 'systemd' },
      { pid: 2, ppid: 0, user: 'root', stat: 'S', command: 'kthreadd' },
      { pid: 45, ppid: 2, user: 'root', stat: 'S', command: 'kswapd0' },
      { pid: 6674, ppid: 6673, user: 'root', stat: 'S', command: 'evil) x' },
      { pid: 12345, ppid: 1, user: 'systemd+', stat: 'S<sl', command: 'systemd-journal' },
      { pid: 800, ppid: 1, user: 'root', stat: 'SNsl+', command: '(sd-pam)' },
    ]);
  });

  it('accepts the same columns with their header', () => {
    const text = '  PID  PPID USER     STAT COMMAND\n    1     0 root     Ss   init\n';
    expect(parsePs(text)).toEqual([{ pid: 1, ppid: 0, user: 'root', stat: 'Ss', command: 'init' }]);
  });

  it('throws with the line number on a line that does not fit', () => {
    expect(() => parsePs('    1     0 root     Ss   init\nWarning: bad ps syntax\n')).toThrow(/line 2 /);
  });
});

describe('parsePs on this machine', () => {
  const env = { ...process.env, LC_ALL: 'C' };
  const users = userNames(readFileSync('/etc/passwd', 'utf8'));
  /** ps prints a name longer than its column as the first characters plus "+". */
  const expectUser = (printed: string, uid: number): void => {
    const name = users.get(uid) ?? String(uid);
    if (printed === name) return;
    expect(printed.endsWith('+') && name.startsWith(printed.slice(0, -1)), `${printed} vs ${name}`).toBe(true);
  };

  it('ps auxwwf lists this test process and pid 1 with the right user and command', () => {
    const rows = parsePs(execFileSync('ps', ['auxwwf'], { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 }));
    expect(rows.length).toBeGreaterThan(1);
    expect(new Set(rows.map((r) => r.pid)).size).toBe(rows.length);

    const me = rows.find((r) => r.pid === process.pid);
    expect(me).toBeDefined();
    expectUser(me!.user, process.geteuid!());
    // ps shows the command line joined with spaces; the forest art in front of it must be gone.
    expect(me!.command).toBe(splitCmdline(readFileSync('/proc/self/cmdline')).join(' '));

    const init = rows.find((r) => r.pid === 1);
    expect(init).toBeDefined();
    expectUser(init!.user, parseStatus(readFileSync('/proc/1/status', 'utf8')).uid.effective);
    const initArgv = splitCmdline(readFileSync('/proc/1/cmdline'));
    if (initArgv.length > 0 && initArgv.every((a) => !/[^\x20-\x7e]/.test(a))) {
      expect(init!.command).toBe(initArgv.join(' '));
    }
  });

  it('ps -eo pid=,ppid=,user=,stat=,comm= lists this test process with its parent and comm', () => {
    const rows = parsePs(
      execFileSync('ps', ['-eo', 'pid=,ppid=,user=,stat=,comm='], { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 }),
    );
    const me = rows.find((r) => r.pid === process.pid);
    expect(me).toBeDefined();
    expect(me!.ppid).toBe(process.ppid);
    expectUser(me!.user, process.geteuid!());
    expect(me!.command).toBe(parseStat(readFileSync('/proc/self/stat', 'utf8')).comm);
    const init = rows.find((r) => r.pid === 1);
    expect(init?.ppid).toBe(0);
    expect(init?.command).toBe(parseStat(readFileSync('/proc/1/stat', 'utf8')).comm);
  });
});
