import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUtmp } from '../../../src/collectors/logins/parse-utmp.js';
import { pairSessions } from '../../../src/collectors/logins/sessions.js';
import type { SessionRecord, UtmpRecord } from '../../../src/model/logins.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/logins/', import.meta.url));
const UTMPDUMP = '/usr/bin/utmpdump';
const hasUtmpdump = existsSync(UTMPDUMP);
const NO_UTMPDUMP = 'utmpdump (util-linux) is not installed at /usr/bin/utmpdump';

function findLast(): string | null {
  for (const p of ['/usr/bin/last', '/bin/last']) if (existsSync(p)) return p;
  return null;
}
const LAST = findLast();
const NO_LAST = '`last` (util-linux) is not installed';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ir-triage-sessions-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function undump(text: string): Buffer {
  const r = spawnSync(UTMPDUMP, ['-r'], { input: text });
  if (r.status !== 0) throw new Error(`utmpdump -r failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/** Write the binary made by `utmpdump -r` from a text fixture; returns its path and records. */
function build(name: string, text?: string): { path: string; records: UtmpRecord[] } {
  const bin = undump(text ?? readFileSync(join(FIXTURES, name), 'utf8'));
  const path = join(dir, name.replace(/\.utmpdump\.txt$/, ''));
  writeFileSync(path, bin);
  return { path, records: parseUtmp(bin, 'var/log/wtmp').records };
}

interface LastLine {
  user: string;
  line: string;
  host: string;
  /** Login, ISO seconds. */
  login: string;
  /** ISO seconds, or crash / down / still logged in / gone - no logout / still running. */
  out: string;
  /** The duration column, when printed: (HH:MM) or (D+HH:MM). */
  length: string | null;
}

const CTIME = '[A-Z][a-z]{2} [A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4}';
const LAST_RE = new RegExp(
  `^(.*?) (${CTIME}) (?:- (${CTIME})|- (crash)|- (down) |  (still logged in)|  (gone - no logout)|  (still running))\\s*(\\((?:\\d+\\+)?\\d\\d:\\d\\d\\))?$`,
);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ctime in UTC ("Mon Jan  1 08:00:00 2024") to ISO seconds. */
function ctimeToIso(s: string): string {
  const m = /^\w{3} (\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) (\d{4})$/.exec(s);
  if (!m) throw new Error(`bad ctime ${s}`);
  const t = Date.UTC(Number(m[6]), MONTHS.indexOf(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
  return new Date(t).toISOString().replace('.000Z', 'Z');
}

/** The oracle: `last -F -w -f FILE` with TZ=UTC, parsed. Every output line must parse. */
function runLast(path: string): LastLine[] {
  const r = spawnSync(LAST!, ['-F', '-w', '-f', path], { env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' } });
  if (r.status !== 0) throw new Error(`last failed: ${r.stderr.toString()}`);
  const lines = r.stdout.toString().split('\n').filter((l) => l.trim() !== '' && !/ begins /.test(l));
  return lines.map((l) => {
    const m = LAST_RE.exec(l);
    if (!m) throw new Error(`unexpected last line: ${JSON.stringify(l)}`);
    const tokens = m[1].trim().split(/\s+/);
    const boot = tokens[1] === 'system' && tokens[2] === 'boot';
    return {
      user: tokens[0],
      line: boot ? 'system boot' : tokens[1],
      host: tokens.slice(boot ? 3 : 2).join(' '),
      login: ctimeToIso(m[2]),
      out: m[3] ? ctimeToIso(m[3]) : (m[4] ?? m[5] ?? m[6] ?? m[7] ?? m[8]),
      length: m[9] ?? null,
    };
  });
}

const toSec = (iso: string) => `${iso.slice(0, 19)}Z`;
const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** last's duration column (login-utils/last.c list()) for whole seconds. */
function lastLength(loginIso: string, endIso: string): string {
  const secs = epoch(endIso) - epoch(loginIso);
  const mins = Math.trunc(secs / 60) % 60;
  const hours = Math.trunc(secs / 3600) % 24;
  const days = Math.trunc(secs / 86400);
  const p = (n: number) => String(Math.abs(n)).padStart(2, '0');
  if (days) return `(${days}+${p(hours)}:${p(mins)})`;
  return `(${p(hours)}:${p(mins)})`;
}

/** Our session as `last -F -w` would print it. */
function asLast(s: SessionRecord): LastLine {
  const out = {
    logout: s.logout ? toSec(s.logout) : '?',
    crash: 'crash',
    shutdown: 'down',
    'still-logged-in': 'still logged in',
    gone: 'gone - no logout',
    reboot: s.logout ? toSec(s.logout) : 'still running',
    unknown: '?',
  }[s.end];
  const timed = s.end === 'logout' || s.end === 'crash' || s.end === 'shutdown' || (s.end === 'reboot' && s.logout);
  return {
    user: s.user,
    line: s.line.slice(0, 12), // %-12.12s
    host: s.host,
    login: toSec(s.login),
    out,
    length: timed ? lastLength(s.login, s.logout!) : null,
  };
}

describe('pairSessions agrees with util-linux last', () => {
  it('wtmp fixture: logouts, shutdown, crash, a session with no logout, boots', (ctx) => {
    ctx.skip(!hasUtmpdump, NO_UTMPDUMP);
    ctx.skip(LAST === null, NO_LAST);
    const { path, records } = build('wtmp.utmpdump.txt');
    // No process of the fixture is alive here: last reports open sessions as "gone - no logout".
    const sessions = pairSessions(records, { source: 'wtmp', livePids: new Set() });
    const expected = runLast(path);
    expect(expected).toHaveLength(13);
    expect([...sessions].reverse().map(asLast)).toEqual(expected);
  });

  it('still logged in: a live session of root on a tty root owns, as last judges it', (ctx) => {
    ctx.skip(!hasUtmpdump, NO_UTMPDUMP);
    ctx.skip(LAST === null, NO_LAST);
    // last calls a session without logout "still logged in" only if it started after this boot and
    // its pid or tty belongs to the user; so the time is the current time, the line is "null"
    // (/dev/null is root's) and the pid cannot exist (above pid_max). The second one is on a tty that
    // does not exist here, so last says "gone - no logout".
    const now = new Date().toISOString().slice(0, 19);
    const text = readFileSync(join(FIXTURES, 'wtmp-live.utmpdump.txt'), 'utf8').replaceAll('@NOW@', `${now},000000+00:00`);
    const { path, records } = build('wtmp-live.utmpdump.txt', text);
    const expected = runLast(path);
    expect(expected.map((l) => [l.user, l.line, l.out])).toEqual([
      ['root', 'pts/9', 'gone - no logout'],
      ['root', 'null', 'still logged in'],
    ]);
    const sessions = pairSessions(records, { source: 'wtmp', livePids: new Set([2147483646]) });
    expect([...sessions].reverse().map(asLast)).toEqual(expected);
    expect(sessions.map((s) => [s.pid, s.end, s.logout])).toEqual([
      [2147483646, 'still-logged-in', null],
      [777, 'gone', null],
    ]);
  });
});

describe('pairSessions fields', () => {
  it('exact sessions for the wtmp fixture (oldest first)', (ctx) => {
    ctx.skip(!hasUtmpdump, NO_UTMPDUMP);
    const { records } = build('wtmp.utmpdump.txt');
    const sessions = pairSessions(records, { source: 'wtmp' });
    const f = 'var/log/wtmp';
    expect(sessions).toEqual<SessionRecord[]>([
      { user: 'reboot', line: 'system boot', host: '6.1.0-18-amd64', addr: null, pid: 0, login: '2024-01-01T00:00:00.000000Z', logout: '2024-01-01T13:00:00.000000Z', end: 'reboot', source: 'wtmp', file: f },
      { user: 'alice', line: 'pts/0', host: '203.0.113.7', addr: '203.0.113.7', pid: 1234, login: '2024-01-01T08:00:00.123456Z', logout: '2024-01-01T09:30:15.654321Z', end: 'logout', source: 'wtmp', file: f },
      { user: 'bob', line: 'pts/1', host: '2001:db8::7', addr: '2001:db8::7', pid: 2345, login: '2024-01-01T09:00:00.000001Z', logout: '2024-01-01T10:45:00.000000Z', end: 'logout', source: 'wtmp', file: f },
      { user: 'deploy_automation_svc_account_01', line: 'pts/2', host: '198.51.100.9', addr: '198.51.100.9', pid: 3456, login: '2024-01-01T11:00:00.500000Z', logout: '2024-01-01T13:00:00.000000Z', end: 'shutdown', source: 'wtmp', file: f },
      { user: 'alice', line: 'pts/0', host: '203.0.113.7', addr: '203.0.113.7', pid: 4567, login: '2024-01-01T12:00:00.000000Z', logout: '2024-01-01T13:00:00.000000Z', end: 'shutdown', source: 'wtmp', file: f },
      // A boot that ended in a crash is shown as running until the next shutdown (none): last's quirk.
      { user: 'reboot', line: 'system boot', host: '6.1.0-18-amd64', addr: null, pid: 0, login: '2024-01-02T00:00:00.000000Z', logout: null, end: 'reboot', source: 'wtmp', file: f },
      { user: 'carol', line: 'pts/0', host: '192.0.2.44', addr: '192.0.2.44', pid: 5678, login: '2024-01-02T01:00:00.000000Z', logout: '2024-01-03T00:00:00.000000Z', end: 'crash', source: 'wtmp', file: f },
      { user: 'dave', line: 'pts/1', host: '2001:db8:0:1::a3', addr: '2001:db8:0:1::a3', pid: 6789, login: '2024-01-02T02:00:00.000000Z', logout: '2024-01-02T02:30:00.000000Z', end: 'logout', source: 'wtmp', file: f },
      { user: 'reboot', line: 'system boot', host: '6.1.0-18-amd64', addr: null, pid: 0, login: '2024-01-03T00:00:00.000000Z', logout: null, end: 'reboot', source: 'wtmp', file: f },
      // No logout record: ended by the next login on the same line, as last shows it.
      { user: 'grace', line: 'pts/4', host: '203.0.113.99', addr: '203.0.113.99', pid: 8100, login: '2024-01-03T10:00:00.000000Z', logout: '2024-01-03T11:00:00.000000Z', end: 'logout', source: 'wtmp', file: f },
      { user: 'heidi', line: 'pts/4', host: '203.0.113.98', addr: '203.0.113.98', pid: 8200, login: '2024-01-03T11:00:00.000000Z', logout: '2024-01-03T11:30:00.000000Z', end: 'logout', source: 'wtmp', file: f },
      { user: 'erin', line: 'pts/0', host: '203.0.113.200', addr: '203.0.113.200', pid: 7890, login: '2024-01-03T12:00:00.000000Z', logout: null, end: 'still-logged-in', source: 'wtmp', file: f },
      // Paired on the line only, like last: the first DEAD_PROCESS on pts/5 (another pid) ends it.
      { user: 'ivan', line: 'pts/5', host: '192.0.2.150', addr: '192.0.2.150', pid: 9000, login: '2024-01-03T13:00:00.000000Z', logout: '2024-01-03T13:10:00.000000Z', end: 'logout', source: 'wtmp', file: f },
    ]);
  });

  it('livePids decides between still-logged-in and gone for open sessions only', (ctx) => {
    ctx.skip(!hasUtmpdump, NO_UTMPDUMP);
    const { records } = build('wtmp.utmpdump.txt');
    const endOf = (live: Set<number> | null | undefined, user: string) =>
      pairSessions(records, { source: 'wtmp', livePids: live }).filter((s) => s.user === user).map((s) => s.end);
    expect(endOf(undefined, 'erin')).toEqual(['still-logged-in']);
    expect(endOf(null, 'erin')).toEqual(['still-logged-in']);
    expect(endOf(new Set([7890]), 'erin')).toEqual(['still-logged-in']);
    expect(endOf(new Set([1, 2, 3]), 'erin')).toEqual(['gone']);
    // Closed sessions are not affected by livePids.
    expect(endOf(new Set(), 'carol')).toEqual(['crash']);
    expect(endOf(new Set(), 'alice')).toEqual(['logout', 'shutdown']);
  });

  it('a RUN_LVL record to runlevel 0 or 6 ends open sessions as shutdown', () => {
    const rec = (index: number, type: number, user: string, line: string, pid: number, sec: number): UtmpRecord => ({
      file: 'wtmp', index, type, typeName: '', pid, line, id: '', user, host: '', addr: null,
      exitTermination: 0, exitStatus: 0, session: 0, time: new Date(sec * 1000).toISOString(), sec, usec: 0,
    });
    const records = [
      rec(0, 7, 'alice', 'pts/0', 100, 1000),
      rec(1, 1, 'runlevel', '~', 0x36 /* '6' */, 2000),
      rec(2, 7, 'bob', 'pts/1', 200, 3000),
      rec(3, 1, 'runlevel', '~', 0x33 /* '3' */, 4000),
    ];
    const s = pairSessions(records, { source: 'wtmp', livePids: new Set() });
    expect(s.map((x) => [x.user, x.end, x.logout])).toEqual([
      ['alice', 'shutdown', new Date(2000_000).toISOString()],
      ['bob', 'gone', null],
    ]);
  });
});
