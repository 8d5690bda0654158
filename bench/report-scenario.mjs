// A fake root for the report: a web server brute-forced from three addresses for three days, one
// of which gets in as `deploy` with a guessed password and tries sudo; the admin's own daily key
// logins beside it; wtmp with the sessions and btmp with the intruder's failures (both written by
// the real `utmpdump -r`). Used by
// test/e2e/report.test.ts and by bench/report-screenshot.mjs, so the picture in the docs shows
// what the tests check.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** The addresses and counts the scenario is built from (the tests check the report against them). */
export const SCENARIO = {
  hostname: 'web-prod-3',
  intruder: { address: '203.0.113.7', user: 'deploy', failures: 212 },
  scanners: [
    { address: '198.51.100.23', failures: 1640 },
    { address: '192.0.2.44', failures: 310 },
  ],
  admin: { address: '192.0.2.10', user: 'alice' },
  /** An attacker-chosen user name holding terminal escapes (only with { hostile: true }). */
  hostileUser: '\x1b]0;pwned\x07\x1b[2J',
  hostileAddress: '192.0.2.99',
};

/** A small deterministic generator: the same scenario on every run. */
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function stamp(ms) {
  // rsyslog's RSYSLOG_FileFormat (RFC 3339, microseconds, the zone).
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

function utmpTime(ms) {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ',$1000+00:00');
}

function pad(s, n) {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** One `utmpdump` text line. */
function utmpLine(type, pid, id, user, line, host, addr, ms) {
  return `[${type}] [${String(pid).padStart(5, '0')}] [${pad(id, 4)}] [${pad(user, 8)}] [${pad(line, 12)}] [${pad(host, 20)}] [${pad(addr, 15)}] [${utmpTime(ms)}]`;
}

/** Binary utmp records from `utmpdump` text lines, written by the real `utmpdump -r`. */
function undump(lines) {
  const r = spawnSync('/usr/bin/utmpdump', ['-r'], { input: lines.join('\n') + '\n', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`utmpdump -r failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * Writes the root under `root`. `now` (ms) is the moment of the collection: the intruder logs in
 * five hours before it. Returns the times of what happened, for the tests.
 */
export function writeBruteForceRoot(root, { now = Date.parse('2026-11-22T12:00:00Z'), hostile = false } = {}) {
  const rnd = random(42);
  const S = SCENARIO;
  const host = S.hostname;
  const lines = [];
  let pid = 20000;
  const log = (ms, program, p, message) => lines.push({ ms, text: `${stamp(ms)} ${host} ${program}[${p}]: ${message}` });
  const port = () => 30000 + Math.floor(rnd() * 30000);

  // The noise of the internet: a scanner hammering root and common names in bursts over three days.
  const [big, burst] = S.scanners;
  for (let i = 0; i < big.failures; i++) {
    const hourOffset = Math.floor(i / 40) * (66 * HOUR) / Math.ceil(big.failures / 40);
    const ms = now - 3 * DAY + hourOffset + Math.floor(rnd() * 40 * MIN);
    const user = ['root', 'admin', 'ubuntu', 'test', 'postgres'][Math.floor(rnd() * 5)];
    const p = pid++;
    if (user !== 'root' && user !== 'postgres') log(ms - 400, 'sshd', p, `Invalid user ${user} from ${big.address} port ${port()}`);
    log(ms, 'sshd', p, `Failed password for ${user === 'root' || user === 'postgres' ? '' : 'invalid user '}${user} from ${big.address} port ${port()} ssh2`);
  }
  // A two-hour spray from another address, two days ago.
  for (let i = 0; i < burst.failures; i++) {
    const ms = now - 2 * DAY + Math.floor((i / burst.failures) * 2 * HOUR);
    const user = ['oracle', 'git', 'postgres', 'ftpuser', 'www'][i % 5];
    const p = pid++;
    log(ms, 'sshd', p, `Invalid user ${user} from ${burst.address} port ${port()}`);
    log(ms + 700, 'sshd', p, `Failed password for invalid user ${user} from ${burst.address} port ${port()} ssh2`);
  }
  // The break-in: 212 guesses in forty minutes, then deploy's password works.
  const intruder = S.intruder;
  const attackStart = now - 6 * HOUR;
  // sshd also writes each failure to btmp, as `lastb` shows them.
  const btmp = [];
  for (let i = 0; i < intruder.failures; i++) {
    const ms = attackStart + Math.floor((i / intruder.failures) * 40 * MIN);
    const user = i % 4 === 3 ? 'admin' : intruder.user;
    const p = pid++;
    btmp.push(utmpLine(6, p, '', user, 'ssh:notty', intruder.address, intruder.address, ms));
    if (user === 'admin') log(ms - 300, 'sshd', p, `Invalid user admin from ${intruder.address} port ${port()}`);
    log(ms, 'sshd', p, `Failed password for ${user === 'admin' ? 'invalid user ' : ''}${user} from ${intruder.address} port ${port()} ssh2`);
  }
  const loginMs = now - 5 * HOUR - 12 * MIN;
  const logoutMs = now - 4 * HOUR;
  const sshdPid = 31337;
  log(loginMs, 'sshd', sshdPid, `Accepted password for ${intruder.user} from ${intruder.address} port 51122 ssh2`);
  log(loginMs + 40, 'sshd', sshdPid, `pam_unix(sshd:session): session opened for user ${intruder.user}(uid=1001) by (uid=0)`);
  log(loginMs + 4 * MIN, 'sudo', 31402, `   ${intruder.user} : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/${intruder.user} ; USER=root ; COMMAND=/bin/bash`);
  log(logoutMs, 'sshd', sshdPid, `pam_unix(sshd:session): session closed for user ${intruder.user}`);

  // The admin's own daily logins by key, and a sudo.
  const admin = S.admin;
  const adminLogins = [];
  for (let d = 3; d >= 1; d--) {
    const ms = Math.floor((now - d * DAY) / DAY) * DAY + 8 * HOUR + 5 * MIN;
    const p = pid++;
    adminLogins.push(ms);
    log(ms, 'sshd', p, `Accepted publickey for ${admin.user} from ${admin.address} port ${port()} ssh2: ED25519 SHA256:m3Vb0xq6r5JkYp2nWc8uT1dZ9aQ4eF7hL0sR2yX5vKo`);
    log(ms + 30, 'sshd', p, `pam_unix(sshd:session): session opened for user ${admin.user}(uid=1000) by (uid=0)`);
    log(ms + 5 * MIN, 'sudo', pid++, `   ${admin.user} : TTY=pts/0 ; PWD=/home/${admin.user} ; USER=root ; COMMAND=/usr/bin/apt update`);
    log(ms + 40 * MIN, 'sshd', p, `pam_unix(sshd:session): session closed for user ${admin.user}`);
  }
  if (hostile) {
    const ms = now - 3 * HOUR;
    log(ms, 'sshd', 40001, `Invalid user ${S.hostileUser} from ${S.hostileAddress} port 4444`);
    log(ms + 500, 'sshd', 40001, `Failed password for invalid user ${S.hostileUser} from ${S.hostileAddress} port 4444 ssh2`);
  }

  lines.sort((a, b) => a.ms - b.ms);
  const cut = now - DAY;
  const older = lines.filter((l) => l.ms < cut).map((l) => l.text);
  const newer = lines.filter((l) => l.ms >= cut).map((l) => l.text);
  const put = (rel, data, mtimeMs) => {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, data);
    return file;
  };
  put('etc/hostname', `${host}\n`);
  put('etc/timezone', 'Etc/UTC\n');
  put('etc/os-release', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nID=debian\n');
  put('etc/passwd', ['root:x:0:0:root:/root:/bin/bash', 'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin', `${admin.user}:x:1000:1000:Alice Admin:/home/${admin.user}:/bin/bash`, `${intruder.user}:x:1001:1001:Deploy:/home/${intruder.user}:/bin/bash`].join('\n') + '\n');
  put('var/log/auth.log.1', older.join('\n') + '\n');
  put('var/log/auth.log', newer.join('\n') + '\n');

  // wtmp: a reboot, the admin's sessions, the intruder's session.
  const wtmp = [utmpLine(2, 0, '~~', 'reboot', '~', '6.1.0-27-amd64', '0.0.0.0', now - 20 * DAY)];
  adminLogins.forEach((ms, i) => {
    wtmp.push(utmpLine(7, 21000 + i, 'ts/0', admin.user, 'pts/0', admin.address, admin.address, ms + 2000));
    wtmp.push(utmpLine(8, 21000 + i, 'ts/0', '', 'pts/0', '', '0.0.0.0', ms + 40 * MIN));
  });
  wtmp.push(utmpLine(7, sshdPid, 'ts/1', intruder.user, 'pts/1', intruder.address, intruder.address, loginMs + 2000));
  wtmp.push(utmpLine(8, sshdPid, 'ts/1', '', 'pts/1', '', '0.0.0.0', logoutMs));
  put('var/log/wtmp', undump(wtmp));
  put('var/log/btmp', undump(btmp));

  return { loginMs, logoutMs, attackStart, authLines: lines.length };
}
