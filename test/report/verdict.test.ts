import { describe, expect, it } from 'vitest';
import type { Finding, Severity } from '../../src/model/finding.js';
import { computeVerdict, VERDICT_LEVELS, verdictRank } from '../../src/report/verdict.js';

let n = 0;
function finding(rule: string, severity: Severity, subject: Finding['subject'] = {}, title = `${rule} title`): Finding {
  n++;
  return { id: `F-${String(n).padStart(4, '0')}`, rule, severity, title, detail: '', mitre: [], subject, evidence: [] };
}

const login = (user: string, ip: string, failuresBefore: number) =>
  finding('auth.login-after-failures', 'critical', { user, ip, pid: 100, path: null, failuresBefore });
const brute = (ip: string, failures: number) => finding('auth.bruteforce', failures >= 100 ? 'high' : 'medium', { ip, failures });
const fanout = (comm: string, pid: number, hosts: number, ports = 'port 22') =>
  finding('network.ssh-outbound-fanout', 'high', { pid, comm, hosts, path: `/tmp/${comm}` }, `Outbound SSH fan-out: ${comm} (pid ${pid}) connects to ${hosts} hosts on ${ports}`);

describe('computeVerdict', () => {
  it('says nothing was found when there is nothing, and says partial when the run was', () => {
    expect(computeVerdict([], false)).toEqual({ level: 'clean', headline: 'No sign of compromise found', partial: false });
    expect(computeVerdict([], true)).toEqual({ level: 'clean', headline: 'No sign of compromise found (partial collection)', partial: true });
  });

  it('leaves a box with informational findings alone clean', () => {
    expect(computeVerdict([finding('process.deleted-exe', 'informational')], false).level).toBe('clean');
  });

  it('names the break-in: the user, the address and the failures before it', () => {
    const v = computeVerdict([brute('203.0.113.7', 212), login('deploy', '203.0.113.7', 212)], false);
    expect(v).toEqual({ level: 'compromised', headline: 'Likely compromised: login as deploy from 203.0.113.7 after 212 failed attempts', partial: false });
  });

  it('adds the attack on others to the break-in, or else counts the other signs of entry', () => {
    const v = computeVerdict([login('deploy', '203.0.113.7', 212), finding('process.masquerade', 'critical'), fanout('pscan2', 4242, 812)], true);
    expect(v.level).toBe('compromised');
    expect(v.headline).toBe(
      'Likely compromised: login as deploy from 203.0.113.7 after 212 failed attempts; this box is also attacking others: pscan2 (pid 4242) connects to 812 hosts on port 22 (partial collection)',
    );
    expect(computeVerdict([login('deploy', '203.0.113.7', 212), finding('process.masquerade', 'critical'), finding('process.preload', 'high')], false).headline).toBe(
      'Likely compromised: login as deploy from 203.0.113.7 after 212 failed attempts (and 2 more signs)',
    );
  });

  it('leads with the attack on others when a scanner also trips the tool list and the folder rules', () => {
    const v = computeVerdict([finding('process.known-tool', 'high', { pid: 4242, comm: 'pscan2' }), finding('process.exe-in-writable-dir', 'high'), fanout('pscan2', 4242, 812)], false);
    expect(v).toEqual({ level: 'attacking', headline: 'This box is attacking others: pscan2 (pid 4242) connects to 812 hosts on port 22', partial: false });
  });

  it('names the ports of the fan-out and counts further sources; a uid without a process', () => {
    const uidOnly = finding('network.ssh-outbound-fanout', 'high', { pid: null, uid: 33, hosts: 40 }, 'Outbound SSH fan-out: uid 33 (www-data), no visible process connects to 40 hosts on ports 22, 2222');
    const v = computeVerdict([uidOnly, fanout('x', 1, 12)], false);
    expect(v.headline).toBe('This box is attacking others: uid 33 connects to 40 hosts on ports 22, 2222 (and 1 more source)');
  });

  it('treats any foothold rule, and any critical finding of a rule it does not know, as entry', () => {
    expect(computeVerdict([finding('process.preload', 'high', {}, 'LD_PRELOAD in pid 7')], false)).toEqual({
      level: 'compromised',
      headline: 'Likely compromised: LD_PRELOAD in pid 7',
      partial: false,
    });
    expect(computeVerdict([finding('persistence.new-key', 'critical', {}, 'A key was added')], false).headline).toBe('Likely compromised: A key was added');
  });

  it('sums the failures of every attacking address when nothing got in', () => {
    const v = computeVerdict([brute('198.51.100.1', 4000), brute('198.51.100.2', 1000), brute('198.51.100.3', 120)], false);
    expect(v).toEqual({ level: 'attacked', headline: 'Under attack, no sign of entry: 3 addresses made 5,120 failed attempts', partial: false });
    expect(computeVerdict([brute('198.51.100.1', 12)], false).headline).toBe('Under attack, no sign of entry: 1 address made 12 failed attempts');
  });

  it('reports an inbound flood alone as an attack', () => {
    const v = computeVerdict([finding('network.ssh-inbound-flood', 'medium', { ip: '198.51.100.9' })], false);
    expect(v).toMatchObject({ level: 'attacked', headline: 'Under attack, no sign of entry: 1 address floods the ssh port with connections' });
  });

  it('reports user enumeration and probes as attacks, counting names and probes', () => {
    const enumeration = (ip: string, invalidUsers: number) => finding('auth.enumeration', 'low', { ip, invalidUsers, failures: 0 });
    const probe = (ip: string, probes: number) => finding('auth.probe', 'low', { ip, probes });
    expect(computeVerdict([enumeration('198.51.100.4', 22), enumeration('198.51.100.5', 30)], false)).toEqual({
      level: 'attacked', headline: 'Under attack, no sign of entry: 2 addresses tried 52 user names that are not accounts', partial: false,
    });
    expect(computeVerdict([probe('198.51.100.6', 1500)], true)).toEqual({
      level: 'attacked', headline: 'Under attack, no sign of entry: 1 address probed the ssh port 1,500 times without logging in (partial collection)', partial: true,
    });
    // A brute force is named first when there is one.
    expect(computeVerdict([probe('198.51.100.6', 40), brute('198.51.100.1', 12)], false).headline).toBe('Under attack, no sign of entry: 1 address made 12 failed attempts');
  });

  describe('a key root trusts, used and refused only by PermitRootLogin', () => {
    const refused = (ip: string) => finding('auth.root-login-refused', 'high', { ip, user: 'root', refused: 1 });

    it('alone: suspicious, named first, whatever else is there to review', () => {
      expect(computeVerdict([refused('203.0.113.50')], false)).toEqual({
        level: 'suspicious', headline: 'Suspicious: a key root trusts was used from 203.0.113.50; only PermitRootLogin refused the login', partial: false,
      });
      const v = computeVerdict([finding('login.log-tampering', 'medium', {}, 'wtmp cut'), refused('203.0.113.50'), refused('203.0.113.51')], false);
      expect(v.headline).toBe('Suspicious: a key root trusts was used from 203.0.113.50 (and 1 more address); only PermitRootLogin refused the login (and 1 more finding to review)');
    });

    it('beside an attack from other addresses: attacked, and the key is named, never "no sign of entry"', () => {
      const v = computeVerdict([brute('198.51.100.1', 400), refused('203.0.113.50')], false);
      expect(v).toEqual({
        level: 'attacked', headline: 'Under attack: 1 address made 400 failed attempts; and a key root trusts was used from 203.0.113.50; only PermitRootLogin refused the login', partial: false,
      });
    });

    it('from an address that also brute-forced, enumerated or probed: the key is in an attacker\'s hands, compromised', () => {
      for (const attack of [brute('203.0.113.50', 30), finding('auth.enumeration', 'low', { ip: '203.0.113.50', invalidUsers: 25 }), finding('auth.probe', 'low', { ip: '203.0.113.50', probes: 60 })]) {
        expect(computeVerdict([attack, refused('203.0.113.50'), brute('198.51.100.1', 12)], false)).toEqual({
          level: 'compromised',
          headline: 'Likely compromised: a key root trusts was used from 203.0.113.50, which also attacked the ssh login; only PermitRootLogin refused the login',
          partial: false,
        });
      }
    });

    it('an actual break-in still leads', () => {
      const v = computeVerdict([brute('203.0.113.7', 212), login('deploy', '203.0.113.7', 212), refused('203.0.113.7')], false);
      expect(v.headline).toBe('Likely compromised: login as deploy from 203.0.113.7 after 212 failed attempts (and 1 more sign)');
    });
  });

  it('calls anything else suspicious and names the most severe', () => {
    const v = computeVerdict([finding('login.log-tampering', 'medium', {}, 'wtmp cut'), finding('auth.root-login', 'high', {}, 'root logged in over ssh')], false);
    expect(v).toEqual({ level: 'suspicious', headline: 'Suspicious, not conclusive: 2 findings to review, most severe: root logged in over ssh', partial: false });
  });

  it('keeps the box text of a finding as it is (the renderers escape it)', () => {
    const v = computeVerdict([login('\x1b]0;pwned\x07', '<b>', 11)], false);
    expect(v.headline).toBe('Likely compromised: login as \x1b]0;pwned\x07 from <b> after 11 failed attempts');
  });

  it('orders the levels for a fleet table, worst first', () => {
    expect(VERDICT_LEVELS).toEqual(['compromised', 'attacking', 'attacked', 'suspicious', 'clean']);
    expect([...VERDICT_LEVELS].sort((a, b) => verdictRank(b) - verdictRank(a))).toEqual(['clean', 'suspicious', 'attacked', 'attacking', 'compromised']);
  });
});
