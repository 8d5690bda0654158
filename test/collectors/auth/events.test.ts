import { describe, expect, it } from 'vitest';
import {
  AuthLogParser, cheapProgram, type AuthLogEvent, type AuthLogParserOptions,
} from '../../../src/collectors/auth/events.js';
import { makeYearResolver, type YearResolver } from '../../../src/collectors/auth/parse-syslog.js';

const MTIME = new Date('2024-12-31T00:00:00Z');

function parser(opts: Partial<AuthLogParserOptions> = {}): AuthLogParser {
  return new AuthLogParser({ source: 'var/log/auth.log', yearResolver: makeYearResolver(MTIME), ...opts });
}

/** Pushes the lines (numbered from 1), then end(). */
function run(lines: string[], opts: Partial<AuthLogParserOptions> = {}): { events: AuthLogEvent[]; p: AuthLogParser } {
  const p = parser(opts);
  const events: AuthLogEvent[] = [];
  lines.forEach((l, i) => events.push(...p.push(l, i + 1)));
  events.push(...p.end());
  return { events, p };
}

/** Failures as a tally counts them: Failed lines plus pam failures not covered by one. */
function failureCount(events: AuthLogEvent[]): number {
  let n = 0;
  for (const e of events) {
    if (e.kind === 'failed') n++;
    else if (e.kind === 'pam-failure' && e.covered === false) n += e.pamCount ?? 1;
  }
  return n;
}

const brief = (e: AuthLogEvent): string => `${e.kind}|${e.user ?? ''}|${e.ip ?? ''}|${e.port ?? ''}`;

describe('AuthLogParser: framings and generations', () => {
  it('gives the same events for one attack in four log generations', () => {
    const loghub = [
      'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186',
      'Dec 10 06:55:46 LabSZ sshd[24200]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186 ',
      'Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2',
      'Dec 10 06:55:48 LabSZ sshd[24200]: Connection closed by 173.234.31.186 [preauth]',
    ];
    const v8 = [
      '2024-01-02T03:04:05.100000+00:00 deb sshd[500]: Invalid user webmaster from 173.234.31.186 port 38926',
      '2024-01-02T03:04:05.200000+00:00 deb sshd[500]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186 ',
      '2024-01-02T03:04:07.300000+00:00 deb sshd[500]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2',
      '2024-01-02T03:04:07.400000+00:00 deb sshd[500]: Connection closed by invalid user webmaster 173.234.31.186 port 38926 [preauth]',
    ];
    const v98 = [
      'Jul  3 14:59:15 host sshd-session[1571]: Invalid user webmaster from 173.234.31.186 port 38926',
      'Jul  3 14:59:15 host sshd-session[1571]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186 ',
      'Jul  3 14:59:17 host sshd-session[1571]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2',
      'Jul  3 14:59:17 host sshd-session[1571]: Connection closed by invalid user webmaster 173.234.31.186 port 38926 [preauth]',
    ];
    const v10rfc5424 = [
      '<38>1 2025-05-01T10:00:00.000001+02:00 h10 sshd-session 900 - - Invalid user webmaster from 173.234.31.186 port 38926',
      '<38>1 2025-05-01T10:00:00.000002+02:00 h10 sshd-session 900 - - pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186 ',
      '<38>1 2025-05-01T10:00:02.000000+02:00 h10 sshd-session 900 - - Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2',
      '<38>1 2025-05-01T10:00:02.000001+02:00 h10 sshd-auth 901 - [meta x="1"] Connection closed by invalid user webmaster 173.234.31.186 port 38926 [preauth]',
    ];
    const shapes = [loghub, v8, v98, v10rfc5424].map((lines) => run(lines).events.map(brief).map((s) => s.replace(/\|38926$/, '|P')));
    // loghub's pre-7.3 lines have no port on Invalid user / Connection closed: normalise those first.
    const expected = [
      'invalid-user|webmaster|173.234.31.186|P',
      // pam_unix writes no user= for an unknown account.
      'pam-failure||173.234.31.186|',
      'failed|webmaster|173.234.31.186|P',
      'preauth-disconnect|webmaster|173.234.31.186|P',
    ];
    for (const s of shapes.slice(1)) expect(s).toEqual(expected);
    expect(shapes[0]).toEqual([
      'invalid-user|webmaster|173.234.31.186|',
      'pam-failure||173.234.31.186|',
      'failed|webmaster|173.234.31.186|P',
      'preauth-disconnect||173.234.31.186|',
    ]);
  });

  it('fills every AuthEvent field', () => {
    const { events } = run([
      '2024-03-04T05:06:07.891+01:00 web1 sshd-session[77]: Accepted publickey for deploy from 2001:db8::9 port 51000 ssh2: ED25519 SHA256:q1w2e3',
    ]);
    expect(events).toEqual([{
      time: '2024-03-04T04:06:07.891Z',
      host: 'web1',
      program: 'sshd-session',
      pid: 77,
      kind: 'accepted',
      method: 'publickey',
      user: 'deploy',
      invalidUser: false,
      ip: '2001:db8::9',
      port: 51000,
      key: 'ED25519 SHA256:q1w2e3',
      source: 'var/log/auth.log',
      lineNo: 1,
      message: 'Accepted publickey for deploy from 2001:db8::9 port 51000 ssh2: ED25519 SHA256:q1w2e3',
    }]);
  });

  it('uses the year resolver for RFC 3164 across a year boundary', () => {
    const { events } = run([
      'Dec 31 23:59:58 h sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2',
      'Jan  1 00:00:03 h sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2',
    ], { yearResolver: makeYearResolver(new Date('2025-01-01T01:00:00Z')) });
    expect(events.map((e) => e.time)).toEqual(['2024-12-31T23:59:58.000Z', '2025-01-01T00:00:03.000Z']);
  });
});

describe('AuthLogParser: message repeated', () => {
  const block = [
    'Dec 10 07:13:31 LabSZ sshd[24227]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.36.59.76.dynamic-dsl-ip.omantel.net.om  user=root',
    'Dec 10 07:13:43 LabSZ sshd[24227]: Failed password for root from 5.36.59.76 port 42393 ssh2',
    'Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]',
    'Dec 10 07:13:56 LabSZ sshd[24227]: Disconnecting: Too many authentication failures for root [preauth]',
    'Dec 10 07:13:56 LabSZ sshd[24227]: PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.36.59.76.dynamic-dsl-ip.omantel.net.om  user=root',
    'Dec 10 07:13:56 LabSZ sshd[24227]: PAM service(sshd) ignoring max retries; 6 > 3',
  ];

  it('means N more: 1 original + 5 repeats = 6 attempts, as MaxAuthTries 6 and "6 > 3" say', () => {
    const { events, p } = run(block);
    const failed = events.filter((e) => e.kind === 'failed');
    expect(failed).toHaveLength(6);
    expect(failed.filter((e) => e.repeated === true)).toHaveLength(5);
    for (const e of failed.slice(1)) {
      expect(e).toMatchObject({
        time: '2024-12-10T07:13:56.000Z', pid: 24227, lineNo: 3, ip: '5.36.59.76', port: 42393, user: 'root',
        message: 'Failed password for root from 5.36.59.76 port 42393 ssh2',
      });
    }
    expect(failed[0].repeated).toBeUndefined();
    expect(p.stats.repeatLines).toBe(1);
    // The pam failure and the PAM summary are both covered: 6 failures, not 6 + 1 + 5.
    expect(failureCount(events)).toBe(6);
    expect(events.filter((e) => e.kind === 'pam-failure').map((e) => [e.covered, e.pamCount])).toEqual([[true, undefined], [true, 5]]);
    // The ip-less max-attempts line takes the pid's address.
    expect(events.find((e) => e.kind === 'max-attempts')).toMatchObject({ ip: '5.36.59.76', ipFromPid: true, user: 'root' });
  });

  it('expands any count, singular "time" included', () => {
    const one = run(['Jan  1 00:00:00 h sshd[2]: message repeated 1 time: [ Failed password for x from 192.0.2.2 port 2 ssh2]']).events;
    expect(one.filter((e) => e.kind === 'failed')).toHaveLength(1);
    const many = run(['Jan  1 00:00:00 h sshd[2]: message repeated 250 times: [ Invalid user a b from 192.0.2.3 port 3]']).events;
    expect(many).toHaveLength(250);
    expect(new Set(many.map((e) => e.user))).toEqual(new Set(['a b']));
  });

  it('caps a giant count at maxRepeat and says so', () => {
    const { events, p } = run(['Jan  1 00:00:00 h sshd[2]: message repeated 1000000 times: [ Invalid user z from 192.0.2.3]'], { maxRepeat: 1000 });
    expect(events).toHaveLength(1000);
    expect(p.stats.repeatTruncated).toBe(999_000);
  });

  it('expands sysklogd "last message repeated" from the previous auth line only', () => {
    const { events } = run([
      'Jan  1 00:00:00 h sshd[3]: Failed password for root from 192.0.2.4 port 4 ssh2',
      'Jan  1 00:00:09 h last message repeated 3 times',
      'Jan  1 00:00:10 h CRON[5]: (root) CMD (true)',
      'Jan  1 00:00:11 h last message repeated 7 times',
    ]);
    const failed = events.filter((e) => e.kind === 'failed');
    expect(failed).toHaveLength(4);
    expect(failed.slice(1).every((e) => e.repeated && e.time === '2024-01-01T00:00:09.000Z' && e.pid === 3 && e.lineNo === 2)).toBe(true);
  });
});

describe('AuthLogParser: pam failure + Failed line counted once', () => {
  const pam = (t: string, pid: number, ip: string, host = 'h'): string =>
    `Jan  1 ${t} ${host} sshd[${pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=root`;
  const failed = (t: string, pid: number, ip: string, method = 'password', host = 'h'): string =>
    `Jan  1 ${t} ${host} sshd[${pid}]: Failed ${method} for root from ${ip} port 22 ssh2`;

  it('marks the pam event covered and emits it just before its Failed line', () => {
    const p = parser();
    expect(p.push(pam('00:00:01', 10, '192.0.2.10'), 1)).toEqual([]);
    const out = p.push(failed('00:00:03', 10, '192.0.2.10'), 2);
    expect(out.map((e) => [e.kind, e.covered, e.lineNo])).toEqual([['pam-failure', true, 1], ['failed', undefined, 2]]);
    expect(p.end()).toEqual([]);
    expect(failureCount(out)).toBe(1);
  });

  it('pairs by pid when connections interleave', () => {
    const { events } = run([
      pam('00:00:01', 11, '192.0.2.11'),
      pam('00:00:01', 12, '192.0.2.12'),
      failed('00:00:02', 12, '192.0.2.12'),
      failed('00:00:03', 11, '192.0.2.11'),
    ]);
    expect(events.filter((e) => e.kind === 'pam-failure').every((e) => e.covered === true)).toBe(true);
    expect(failureCount(events)).toBe(2);
  });

  it('counts a pam failure on its own when its connection ends without a Failed line', () => {
    const { events } = run([
      pam('00:00:01', 13, '192.0.2.13'),
      'Jan  1 00:00:02 h sshd[13]: Connection closed by authenticating user root 192.0.2.13 port 22 [preauth]',
    ]);
    expect(events.map((e) => [e.kind, e.covered])).toEqual([['pam-failure', false], ['preauth-disconnect', undefined]]);
    expect(failureCount(events)).toBe(1);
  });

  it('flushes what is still pending at end()', () => {
    const p = parser();
    p.push(pam('00:00:01', 14, '192.0.2.14'), 1);
    const rest = p.end();
    expect(rest.map((e) => [e.kind, e.covered, e.lineNo])).toEqual([['pam-failure', false, 1]]);
    expect(p.stats.events).toBe(1);
  });

  it('does not let a Failed publickey, another host, or another pid cover it', () => {
    const { events } = run([
      pam('00:00:01', 15, '192.0.2.15'),
      failed('00:00:02', 15, '192.0.2.15', 'publickey'),
      failed('00:00:02', 16, '192.0.2.15'),
      pam('00:00:03', 17, '192.0.2.17', 'hostA'),
      failed('00:00:04', 17, '192.0.2.17', 'password', 'hostB'),
    ]);
    expect(events.filter((e) => e.kind === 'pam-failure').map((e) => e.covered)).toEqual([false, false]);
    expect(failureCount(events)).toBe(5);
  });

  it('lets keyboard-interactive/pam cover it', () => {
    const { events } = run([pam('00:00:01', 18, '192.0.2.18'), failed('00:00:02', 18, '192.0.2.18', 'keyboard-interactive/pam')]);
    expect(failureCount(events)).toBe(1);
  });

  it('counts a second pam failure of the pid without a Failed line between as a failure of its own', () => {
    const { events } = run([pam('00:00:01', 19, '192.0.2.19'), pam('00:00:03', 19, '192.0.2.19'), failed('00:00:04', 19, '192.0.2.19')]);
    expect(events.map((e) => `${e.kind}:${String(e.covered)}`)).toEqual(['pam-failure:false', 'pam-failure:true', 'failed:undefined']);
    expect(failureCount(events)).toBe(2);
  });

  it('counts "PAM N more" only when the pid produced no Failed line', () => {
    const more = (pid: number, n: number): string =>
      `Jan  1 00:00:09 h sshd[${pid}]: PAM ${n} more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.20  user=root`;
    const covered = run([pam('00:00:01', 20, '192.0.2.20'), failed('00:00:02', 20, '192.0.2.20'), failed('00:00:05', 20, '192.0.2.20'), more(20, 1)]);
    expect(failureCount(covered.events)).toBe(2);
    const alone = run([pam('00:00:01', 21, '192.0.2.20'), more(21, 2)]);
    expect(alone.events.map((e) => [e.kind, e.covered, e.pamCount])).toEqual([['pam-failure', false, undefined], ['pam-failure', false, 2]]);
    expect(failureCount(alone.events)).toBe(3);
  });

  it('gives up on a pid silent for pidWindowMs (log time), at the next line of any pid', () => {
    const p = parser({ pidWindowMs: 60_000 });
    p.push(pam('00:00:00', 22, '192.0.2.22'), 1);
    expect(p.push('Jan  1 00:00:59 h sshd[99]: Server listening on 0.0.0.0 port 22.', 2).map((e) => e.kind)).toEqual(['other']);
    const out = p.push('Jan  1 00:01:01 h sshd[99]: Server listening on :: port 22.', 3);
    expect(out.map((e) => [e.kind, e.covered, e.lineNo])).toEqual([['pam-failure', false, 1], ['other', undefined, 3]]);
    // A late Failed line of that pid no longer covers anything.
    expect(p.push(failed('00:01:02', 22, '192.0.2.22'), 4).map((e) => e.kind)).toEqual(['failed']);
  });

  it('holds at most maxPids pids, flushing the least recently seen', () => {
    const p = parser({ maxPids: 2 });
    p.push(pam('00:00:01', 31, '192.0.2.31'), 1);
    p.push(pam('00:00:02', 32, '192.0.2.32'), 2);
    const out = p.push(pam('00:00:03', 33, '192.0.2.33'), 3);
    expect(out.map((e) => [e.pid, e.covered])).toEqual([[31, false]]);
    expect(p.end().map((e) => e.pid)).toEqual([32, 33]);
  });

  it('resets a pid reused by a connection from another address', () => {
    const { events } = run([
      pam('00:00:01', 40, '192.0.2.40'),
      failed('00:00:02', 40, '192.0.2.41'),
      'Jan  1 00:00:03 h sshd[40]: Disconnecting: Too many authentication failures for root [preauth]',
    ]);
    expect(events.map((e) => `${e.kind}:${String(e.covered)}:${e.ip}`)).toEqual([
      'pam-failure:false:192.0.2.40', 'failed:undefined:192.0.2.41', 'max-attempts:undefined:192.0.2.41',
    ]);
  });

  it('never holds back pam failures of sudo or of old sshd(pam_unix) logs past their pid', () => {
    const sudo = run(['Jan  1 00:00:01 h sudo: pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice']);
    expect(sudo.events.map((e) => [e.kind, e.covered])).toEqual([['pam-failure', false]]);
    // Linux_2k style: no Failed lines at all; each pam line is one failure.
    const old = run([
      'Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root',
      'Jun 15 02:04:59 combo sshd(pam_unix)[20884]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ',
    ]);
    expect(failureCount(old.events)).toBe(2);
    expect(old.events.map((e) => [e.program, e.ip, e.rhost])).toEqual([
      ['sshd(pam_unix)', null, '220-135-151-1.hinet-ip.hinet.net'],
      ['sshd(pam_unix)', '218.188.2.4', undefined],
    ]);
  });
});

describe('AuthLogParser: prefilter, unknown lines, programs', () => {
  it('skips lines without key substrings before any regex, but counts them', () => {
    let resolverCalls = 0;
    const inner = makeYearResolver(MTIME);
    const yearResolver: YearResolver = (...a) => {
      resolverCalls++;
      return inner(...a);
    };
    const { events, p } = run([
      'Jan  1 00:00:00 h CRON[5]: (root) CMD (run-parts /etc/cron.hourly)',
      'Jan  1 00:00:01 h kernel: [ 1.0] usb 1-1: new device',
      'Jan  1 00:00:02 h CRON[6]: (root) CMD (sudo -n /usr/bin/true)',
      'Jan  1 00:00:03 h sshd[7]: Accepted password for a from 192.0.2.7 port 7 ssh2',
      'Jan  1 00:00:04 h su[8]: (to root) alice on pts/0',
    ], { yearResolver });
    expect(p.stats).toMatchObject({ lines: 5, prefiltered: 2, unparsed: 0 });
    // The two prefiltered lines never reached the syslog regexes (and so not the resolver).
    expect(resolverCalls).toBe(3);
    expect(events.map((e) => e.kind)).toEqual(['accepted', 'su']);
    expect([...p.unknownByProgram]).toEqual([['CRON', 2], ['kernel', 1]]);
  });

  it('does not prefilter an RFC 5424 su line (no key substring, but the program is su)', () => {
    const { events, p } = run(['<86>1 2024-01-01T00:00:00Z h su 812 - - (to root) alice on pts/0']);
    expect(p.stats.prefiltered).toBe(0);
    expect(events.map((e) => [e.kind, e.user, e.targetUser])).toEqual([['su', 'alice', 'root']]);
  });

  it('counts unknown lines per program and emits only auth programs', () => {
    const { events, p } = run([
      'Jan  1 00:00:00 h sshd[1]: Server listening on 0.0.0.0 port 22.',
      'Jan  1 00:00:00 h sshd[1]: Received signal 15; terminating.',
      'Jan  1 00:00:01 h ftpd[2]: connection from sshd.example.com',
      'garbage mentioning sshd',
      'Jan  1 00:00:02 h sshd-auth[3]: something new in 10.x',
      'Jan  1 00:00:03 h sudo[4]: alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/id',
      'Jan  1 00:00:04 h systemd-logind[5]: New session 3 of user sshd-tester.',
    ]);
    expect(events.map((e) => `${e.program}:${e.kind}`)).toEqual(['sshd:other', 'sshd:other', 'sshd-auth:other', 'sudo:sudo']);
    expect(Object.fromEntries(p.unknownByProgram)).toEqual({ sshd: 2, ftpd: 1, '(unparsed)': 1, 'sshd-auth': 1, 'systemd-logind': 1 });
    expect(p.stats).toMatchObject({ lines: 7, unparsed: 1, events: 4 });
  });

  it('filters by host', () => {
    const lines = [
      'Jan  1 00:00:00 a sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2',
      'Jan  1 00:00:00 b sshd[1]: Failed password for root from 192.0.2.2 port 1 ssh2',
      'Jan  1 00:00:00 a2 sshd[1]: Failed password for root from 192.0.2.3 port 1 ssh2',
    ];
    expect(run(lines, { hostFilter: 'a' }).events.map((e) => e.ip)).toEqual(['192.0.2.1']);
    expect(run(lines, { hostFilter: /^a/ }).events.map((e) => e.ip)).toEqual(['192.0.2.1', '192.0.2.3']);
    const r = run(lines, { hostFilter: (h) => h === 'b' });
    expect(r.events.map((e) => e.ip)).toEqual(['192.0.2.2']);
    expect(r.p.stats.hostFiltered).toBe(2);
  });

  it('gives kex_exchange_identification the address of its pid', () => {
    const { events } = run([
      'Jan  1 00:00:00 h sshd[60]: Connection from 192.0.2.60 port 6000 on 10.0.0.1 port 22 rdomain ""',
      'Jan  1 00:00:01 h sshd[60]: error: kex_exchange_identification: Connection closed by remote host',
      'Jan  1 00:00:02 h sshd[61]: error: kex_exchange_identification: read: Connection reset by peer',
    ]);
    expect(events.slice(1).map((e) => [e.kind, e.ip, e.ipFromPid])).toEqual([
      ['no-identification', '192.0.2.60', true],
      ['no-identification', null, undefined],
    ]);
  });
});

describe('cheapProgram', () => {
  it('finds the tag without regexes in each framing', () => {
    expect(cheapProgram('Dec 10 06:55:46 LabSZ sshd[24200]: x')).toBe('sshd');
    expect(cheapProgram('Jul  3 14:59:17 host sshd-session[1571]: x')).toBe('sshd-session');
    expect(cheapProgram('Jun 15 04:06:20 combo logrotate: ALERT')).toBe('logrotate');
    expect(cheapProgram('2024-01-02T03:04:05.123456+00:00 deb CRON[1]: x')).toBe('CRON');
    expect(cheapProgram('<38>1 2019-07-08T17:40:16Z h su 57915 - - x')).toBe('su');
    expect(cheapProgram('<38>Dec 10 06:55:46 h kernel: x')).toBe('kernel');
    expect(cheapProgram('Dec 10 07:13:56 LabSZ last message repeated 5 times')).toBeNull();
    expect(cheapProgram('nothing')).toBeNull();
  });
});
