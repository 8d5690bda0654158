import { Readable } from 'node:stream';
import { AuthAnalysis } from '../../../src/collectors/auth/analysis.js';
import { makeYearResolver } from '../../../src/collectors/auth/parse-syslog.js';
import { readLineBatches } from '../../../src/collectors/auth/read-lines.js';
import type { KnownFacts } from '../../../src/model/facts.js';

/** The facts the auth-log collector would give for these auth.log lines (year 2024, UTC). */
export async function factsFrom(lines: string[]): Promise<KnownFacts> {
  const a = new AuthAnalysis();
  await a.readSyslog(readLineBatches(Readable.from([Buffer.from(lines.join('\n') + '\n')])), {
    source: '/var/log/auth.log',
    yearResolver: makeYearResolver(new Date('2024-12-31T00:00:00Z')),
  });
  return { ...a.facts(), authEvidence: ['artifacts/auth-tally.json', 'artifacts/auth-events.jsonl'] };
}

let pid = 1000;
const two = (n: number) => String(n).padStart(2, '0');
/** hh:mm:ss from seconds after 08:00. */
const clock = (s: number) => `${two(8 + Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;

/** A failed password attempt as OpenSSH 8.x with PAM logs it (the PAM line, then the Failed line). */
export function failed(ip: string, user: string, at: number, opts: { invalid?: boolean; method?: string } = {}): string[] {
  const p = ++pid;
  const who = opts.invalid ? `invalid user ${user}` : user;
  return [
    ...(opts.invalid ? [`Mar  4 ${clock(at)} web1 sshd[${p}]: Invalid user ${user} from ${ip} port ${30000 + p}`] : []),
    `Mar  4 ${clock(at)} web1 sshd[${p}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}${opts.invalid ? '' : `  user=${user}`}`,
    `Mar  4 ${clock(at)} web1 sshd[${p}]: Failed ${opts.method ?? 'password'} for ${who} from ${ip} port ${30000 + p} ssh2`,
    `Mar  4 ${clock(at)} web1 sshd[${p}]: Connection closed by ${opts.invalid ? 'invalid' : 'authenticating'} user ${user} ${ip} port ${30000 + p} [preauth]`,
  ];
}

/** An accepted login, its PAM session and, after `minutes`, its end. */
export function accepted(ip: string, user: string, at: number, method = 'password', minutes = 10): string[] {
  const p = ++pid;
  const key = method === 'publickey' ? ': ED25519 SHA256:Q2hlY2sgdGhhdCB0aGlzIGlzIGEgZmluZ2VycHJpbnQ' : '';
  return [
    `Mar  4 ${clock(at)} web1 sshd[${p}]: Accepted ${method} for ${user} from ${ip} port ${40000 + p} ssh2${key}`,
    `Mar  4 ${clock(at)} web1 sshd[${p}]: pam_unix(sshd:session): session opened for user ${user}(uid=1000) by (uid=0)`,
    `Mar  4 ${clock(at + minutes * 60)} web1 sshd[${p}]: pam_unix(sshd:session): session closed for user ${user}`,
  ];
}

/**
 * A clean box: administrators log in with keys, one mistypes a password twice, scanners connect
 * and leave, a few addresses try a handful of names, cron and sudo do their work.
 */
export function cleanBaseline(): string[] {
  return [
    'Mar  4 07:59:00 web1 CRON[900]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)',
    ...accepted('192.0.2.10', 'alice', 0, 'publickey'),
    'Mar  4 08:01:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx',
    ...failed('192.0.2.11', 'bob', 100),
    ...failed('192.0.2.11', 'bob', 110),
    ...accepted('192.0.2.11', 'bob', 120),
    'Mar  4 08:05:00 web1 sshd[950]: Connection closed by 198.51.100.200 port 51000 [preauth]',
    'Mar  4 08:05:01 web1 sshd[951]: error: kex_exchange_identification: Connection closed by remote host',
    ...Array.from({ length: 9 }, (_, i) => failed('203.0.113.20', ['admin', 'test', 'oracle'][i % 3], 400 + i * 5, { invalid: true })).flat(),
    ...Array.from({ length: 3 }, (_, i) => failed('203.0.113.21', 'root', 500 + i * 5)).flat(),
    ...accepted('192.0.2.10', 'alice', 900, 'publickey'),
  ];
}
