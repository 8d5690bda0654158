/**
 * Every input either parses or says so: the same failed login in each framing syslog daemons and
 * journalctl write, through the built CLI; a file of nothing understood warns and exits 1.
 */
import { utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnalyzeResult } from '../../src/cli/analyze.js';
import { tmpDir } from '../helpers/bundle.js';
import { runCli } from '../helpers/cli.js';

const MSG = 'Failed password for root from 203.0.113.7 port 50022 ssh2';
const T = Date.UTC(2023, 10, 23, 21, 50, 37, 123);

const SYSLOG: Record<string, string> = {
  'rfc3164 with host': `Nov 23 21:50:37 web1 sshd[8148]: ${MSG}`,
  'rfc3164 without host': `Nov 23 21:50:37 sshd[8148]: ${MSG}`,
  'journalctl short-precise': `Nov 23 21:50:37.123456 web1 sshd[8148]: ${MSG}`,
  'journalctl short-iso': `2023-11-23T21:50:37+00:00 web1 sshd[8148]: ${MSG}`,
  'journalctl short-iso-precise / rsyslog high precision': `2023-11-23T21:50:37.123456+00:00 web1 sshd[8148]: ${MSG}`,
  'journalctl short-full': `Thu 2023-11-23 21:50:37 UTC web1 sshd[8148]: ${MSG}`,
  'journalctl short-unix': `1700776237.123456 web1 sshd[8148]: ${MSG}`,
  'rfc5424': `<38>1 2023-11-23T21:50:37.123Z web1 sshd 8148 - - ${MSG}`,
  'busybox syslogd': `Nov 23 21:50:37 web1 authpriv.info sshd[8148]: ${MSG}`,
  'macOS': `Nov 23 21:50:37 web1 sshd[8148] <Info>: ${MSG}`,
  'socklog (svlogd -tt)': `2023-11-23_21:50:37.12345 auth.info: Nov 23 21:50:37 sshd[8148]: ${MSG}`,
  'dropbear (an appliance)': "Nov 23 21:50:37 router dropbear[8148]: Bad password attempt for 'root' from 203.0.113.7:50022",
};

const journal = { __REALTIME_TIMESTAMP: String(T * 1000), _HOSTNAME: 'web1', SYSLOG_IDENTIFIER: 'sshd', _COMM: 'sshd', _PID: '8148', MESSAGE: MSG };
const JOURNAL: Record<string, string> = {
  'journalctl -o json': JSON.stringify(journal),
  'journalctl -o json-seq': `\x1e${JSON.stringify(journal)}`,
  'journalctl -o json-pretty': JSON.stringify(journal, null, '\t'),
  'journalctl -o export': `__CURSOR=s=1;i=1\n${Object.entries(journal).map(([k, v]) => `${k}=${v}`).join('\n')}\n`,
};

async function analyze(content: string): Promise<{ result: AnalyzeResult; code: number | null; stderr: string }> {
  const dir = tmpDir('irt-formats-');
  const file = path.join(dir, 'log');
  writeFileSync(file, content + '\n');
  utimesSync(file, new Date(Date.UTC(2023, 11, 1)), new Date(Date.UTC(2023, 11, 1)));
  const r = await runCli(['analyze', '--json', file]);
  return { result: JSON.parse(r.stdout) as AnalyzeResult, code: r.code, stderr: r.stderr };
}

describe('analyze reads every framing', () => {
  for (const [name, line] of Object.entries({ ...SYSLOG, ...JOURNAL })) {
    it(name, async () => {
      const { result, code, stderr } = await analyze(line);
      expect(code, stderr).toBe(0);
      expect(result.warnings).toEqual([]);
      expect(result.files[0].stats).toMatchObject({ notUnderstood: 0 });
      expect(result.addresses.map((a) => [a.address, a.failures])).toEqual([['203.0.113.7', 1]]);
      expect(result.addresses[0].firstFailure!.slice(0, 19)).toBe('2023-11-23T21:50:37');
    });
  }
});

describe('analyze says when nothing was understood', () => {
  it('warns on stderr and in --json, counts not understood apart from ignored, and exits 1', async () => {
    const { result, code, stderr } = await analyze(['[  12.345678] web1 sshd[8148]: ' + MSG, 'garbage line', 'Nov 23 21:50:37 web1 CRON[1]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)'].join('\n'));
    expect(code).toBe(1);
    expect(result.files[0].stats).toMatchObject({ lines: 3, events: 0, notUnderstood: 2, ignored: 1 });
    expect(result.warnings[0]).toMatch(/none of its 3 lines was understood \(2 not understood/);
    expect(stderr).toMatch(/warning: .*none of its 3 lines was understood/);
    expect(stderr).toMatch(/no input yielded any event or record/);
  });

  it('a file of other programs only: a warning that says so, exit 1', async () => {
    const { result, code } = await analyze('Nov 23 21:50:37 web1 kernel: eth0: link up');
    expect(code).toBe(1);
    expect(result.warnings[0]).toMatch(/none from sshd, Dropbear, sudo or su \(all 1 ignored\)/);
  });
});
