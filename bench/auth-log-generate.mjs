// Writes a realistic auth.log for the benchmarks: what an internet-facing Debian box collects over a
// few months. Mostly SSH brute force (root and invalid users from many addresses, rsyslog's
// `message repeated N times`, PAM lines), some accepted logins and their PAM sessions, sudo, and
// the noise every auth.log carries (cron sessions, logind, scanners that never authenticate).
//
//   node bench/auth-log-generate.mjs OUT [SIZE_BYTES] [--style=rfc3164|rfc3339] [--seed=N] [--intruder]
//
// With an intruder (`--intruder`, or the `intruder` option): nine tenths of the way through, one
// address fails INTRUDER.failures passwords for INTRUDER.user and then logs in with a password: the
// compromise a collection must still find (auth.login-after-failures).
//
// Deterministic for a given seed. The file's mtime is set to its last line's time, as a live log's is.
import { createWriteStream, utimesSync } from 'node:fs';
import { once } from 'node:events';

/** Small, fast, seedable PRNG (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const INVALID_USERS = ['admin', 'test', 'oracle', 'ubuntu', 'user', 'git', 'postgres', 'guest', 'ftpuser', 'pi', 'support', 'deploy', 'hadoop', 'mysql', 'jenkins', 'www', 'nagios', 'tomcat', 'minecraft', 'steam', 'teamspeak', 'centos', 'vagrant', 'dev', 'backup'];
const VALID = ['alice', 'bob', 'deploy-bot'];
/** The compromise the `intruder` option plants. */
export const INTRUDER = { address: '203.0.113.66', user: 'webadmin', failures: 40 };

/**
 * Generates lines into `out` until `sizeBytes` bytes are written. Returns { lines, bytes, lastMs }.
 */
export async function generateAuthLog(out, sizeBytes, { style = 'rfc3164', seed = 42, host = 'web1', startMs = Date.UTC(2025, 9, 1), intruder = false } = {}) {
  const rand = rng(seed);
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  // Attackers: a long tail of addresses, a few that hammer (Zipf-like weights).
  const attackers = Array.from({ length: 5000 }, (_, i) => `${int(1, 223)}.${int(0, 255)}.${int(0, 255)}.${(i % 254) + 1}`);
  const attacker = () => attackers[Math.floor(attackers.length * rand() ** 3)];
  const admins = ['198.51.100.7', '198.51.100.8', '2001:db8::42'];

  let ms = startMs;
  let pid = 1000;
  let bytes = 0;
  let lines = 0;
  const stream = createWriteStream(out);
  let buf = [];
  let bufLen = 0;

  const stamp = () => {
    const d = new Date(ms);
    if (style === 'rfc3339') return `${d.toISOString().slice(0, 19)}.${String(d.getUTCMilliseconds()).padStart(3, '0')}123+00:00`;
    const day = String(d.getUTCDate()).padStart(2, ' ');
    return `${MONTHS[d.getUTCMonth()]} ${day} ${d.toISOString().slice(11, 19)}`;
  };
  const emit = (prog, p, msg) => {
    const line = `${stamp()} ${host} ${prog}${p === null ? '' : `[${p}]`}: ${msg}\n`;
    buf.push(line);
    bufLen += line.length;
    lines++;
  };
  const tick = (maxMs) => {
    ms += int(0, maxMs);
  };

  const bruteForce = () => {
    const ip = attacker();
    const p = ++pid;
    const port = int(1024, 65535);
    const invalid = rand() < 0.45;
    const user = invalid ? (rand() < 0.8 ? pick(INVALID_USERS) : `user${int(1, 99999)}`) : 'root';
    if (invalid) {
      emit('sshd', p, `Invalid user ${user} from ${ip} port ${port}`);
      emit('sshd', p, 'pam_unix(sshd:auth): check pass; user unknown');
      emit('sshd', p, `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}`);
    } else {
      emit('sshd', p, `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=root`);
    }
    tick(2000);
    const who = invalid ? `invalid user ${user}` : user;
    emit('sshd', p, `Failed password for ${who} from ${ip} port ${port} ssh2`);
    const more = rand() < 0.3 ? int(1, 5) : 0;
    if (more > 0) {
      tick(6000);
      emit('sshd', p, `message repeated ${more} times: [ Failed password for ${who} from ${ip} port ${port} ssh2]`);
    }
    tick(1000);
    if (more >= 5) {
      emit('sshd', p, `error: maximum authentication attempts exceeded for ${who} from ${ip} port ${port} ssh2 [preauth]`);
      emit('sshd', p, `Disconnecting ${invalid ? 'invalid' : 'authenticating'} user ${user} ${ip} port ${port}: Too many authentication failures [preauth]`);
    } else if (rand() < 0.5) {
      emit('sshd', p, `Received disconnect from ${ip} port ${port}:11: Bye Bye [preauth]`);
      emit('sshd', p, `Disconnected from ${invalid ? 'invalid' : 'authenticating'} user ${user} ${ip} port ${port} [preauth]`);
    } else {
      emit('sshd', p, `Connection closed by ${invalid ? 'invalid' : 'authenticating'} user ${user} ${ip} port ${port} [preauth]`);
    }
    if (more > 0) emit('sshd', p, `PAM ${more} more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}${invalid ? '' : '  user=root'}`);
  };

  const accepted = () => {
    const ip = pick(admins);
    const p = ++pid;
    const port = int(1024, 65535);
    const user = pick(VALID);
    const byKey = rand() < 0.8;
    emit('sshd', p, byKey ? `Accepted publickey for ${user} from ${ip} port ${port} ssh2: ED25519 SHA256:${'k'.repeat(20)}${int(100000, 999999)}Zq8` : `Accepted password for ${user} from ${ip} port ${port} ssh2`);
    emit('sshd', p, `pam_unix(sshd:session): session opened for user ${user}(uid=1000) by (uid=0)`);
    emit('systemd-logind', int(300, 400), `New session ${int(1, 9999)} of user ${user}.`);
    if (rand() < 0.3) {
      tick(60_000);
      emit('sudo', null, `   ${user} : TTY=pts/0 ; PWD=/home/${user} ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx`);
      emit('sudo', null, 'pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)');
      emit('sudo', null, 'pam_unix(sudo:session): session closed for user root');
    }
    tick(600_000);
    emit('sshd', p + 1, `Received disconnect from ${ip} port ${port}:11: disconnected by user`);
    emit('sshd', p + 1, `Disconnected from user ${user} ${ip} port ${port}`);
    emit('sshd', p, `pam_unix(sshd:session): session closed for user ${user}`);
    pid++;
  };

  const scanner = () => {
    const ip = attacker();
    const p = ++pid;
    const port = int(1024, 65535);
    const kind = int(0, 2);
    if (kind === 0) emit('sshd', p, `Connection closed by ${ip} port ${port} [preauth]`);
    else if (kind === 1) emit('sshd', p, `banner exchange: Connection from ${ip} port ${port}: invalid format`);
    else emit('sshd', p, `Unable to negotiate with ${ip} port ${port}: no matching host key type found. Their offer: ssh-rsa,ssh-dss [preauth]`);
  };

  const noise = () => {
    const p = ++pid;
    const kind = int(0, 3);
    if (kind <= 1) {
      emit('CRON', p, 'pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)');
      emit('CRON', p, 'pam_unix(cron:session): session closed for user root');
    } else if (kind === 2) {
      emit('systemd-logind', int(300, 400), `Session ${int(1, 9999)} logged out. Waiting for processes to exit.`);
    } else {
      emit('systemd-logind', int(300, 400), `Removed session ${int(1, 9999)}.`);
    }
  };

  let intruded = !intruder;
  const intrude = () => {
    intruded = true;
    const { address, user, failures } = INTRUDER;
    for (let i = 0; i < failures; i++) {
      const p = ++pid;
      const port = int(1024, 65535);
      emit('sshd', p, `Failed password for ${user} from ${address} port ${port} ssh2`);
      tick(3000);
      emit('sshd', p, `Connection closed by authenticating user ${user} ${address} port ${port} [preauth]`);
      tick(3000);
    }
    const p = ++pid;
    emit('sshd', p, `Accepted password for ${user} from ${address} port ${int(1024, 65535)} ssh2`);
    emit('sshd', p, `pam_unix(sshd:session): session opened for user ${user}(uid=1001) by (uid=0)`);
  };

  while (bytes < sizeBytes) {
    if (!intruded && bytes + bufLen >= sizeBytes * 0.9) intrude();
    const r = rand();
    if (r < 0.7) bruteForce();
    else if (r < 0.8) scanner();
    else if (r < 0.97) noise();
    else accepted();
    tick(2000);
    if (bufLen >= 1 << 20) {
      const chunk = buf.join('');
      bytes += Buffer.byteLength(chunk);
      buf = [];
      bufLen = 0;
      if (!stream.write(chunk)) await once(stream, 'drain');
    }
  }
  if (buf.length) {
    const chunk = buf.join('');
    bytes += Buffer.byteLength(chunk);
    stream.write(chunk);
  }
  stream.end();
  await once(stream, 'finish');
  utimesSync(out, new Date(ms), new Date(ms));
  return { lines, bytes, lastMs: ms };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [out, size] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const opt = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  if (!out) {
    console.error('usage: node bench/auth-log-generate.mjs OUT [SIZE_BYTES] [--style=rfc3164|rfc3339] [--seed=N]');
    process.exit(2);
  }
  const r = await generateAuthLog(out, Number(size ?? 2 ** 30), { style: opt('style') ?? 'rfc3164', seed: Number(opt('seed') ?? 42), intruder: process.argv.includes('--intruder') });
  console.log(JSON.stringify(r));
}
