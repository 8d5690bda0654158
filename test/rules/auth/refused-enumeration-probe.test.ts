import { runRule } from '../../../src/rules/types.js';
import { describe, expect, it } from 'vitest';
import { bruteforce } from '../../../src/rules/auth/bruteforce.js';
import { enumeration } from '../../../src/rules/auth/enumeration.js';
import { probe } from '../../../src/rules/auth/probe.js';
import { rootLoginRefused } from '../../../src/rules/auth/root-login-refused.js';
import { cleanBaseline, factsFrom, failed } from './helpers.js';

const range = (n: number, f: (i: number) => string[]) => Array.from({ length: n }, (_, i) => f(i)).flat();
const two = (n: number) => String(n).padStart(2, '0');

describe('auth.root-login-refused, auth.enumeration, auth.probe on a clean baseline', () => {
  it('stay silent (scanners that connect once, a few wrong names, a key login)', async () => {
    const facts = await factsFrom(cleanBaseline());
    expect(runRule(rootLoginRefused, facts, rootLoginRefused.thresholds)).toEqual([]);
    expect(runRule(enumeration, facts, enumeration.thresholds)).toEqual([]);
    expect(runRule(probe, facts, probe.thresholds)).toEqual([]);
  });

  it('stay silent on a brute force: its invalid names and closed connections are auth.bruteforce\'s', async () => {
    const facts = await factsFrom([...cleanBaseline(), ...range(30, (i) => failed('198.51.100.90', `user${i}`, 2000 + i, { invalid: true }))]);
    expect(runRule(bruteforce, facts, bruteforce.thresholds)).toHaveLength(1);
    expect(runRule(enumeration, facts, enumeration.thresholds)).toEqual([]);
    expect(runRule(probe, facts, probe.thresholds)).toEqual([]);
  });
});

describe('auth.root-login-refused', () => {
  it('names the address, the times and what it means', async () => {
    const facts = await factsFrom([
      ...cleanBaseline(),
      'Mar  4 09:30:00 web1 sshd[4100]: ROOT LOGIN REFUSED FROM 203.0.113.50 port 41000',
      'Mar  4 09:30:00 web1 sshd[4100]: Failed publickey for root from 203.0.113.50 port 41000 ssh2: ED25519 SHA256:c3RvbGVuLXJvb3Qta2V5',
      'Mar  4 09:30:01 web1 sshd[4100]: Connection closed by authenticating user root 203.0.113.50 port 41000 [preauth]',
      'Mar  4 09:45:00 web1 sshd[4101]: ROOT LOGIN REFUSED FROM 203.0.113.50 port 41001',
    ]);
    const found = runRule(rootLoginRefused, facts, rootLoginRefused.thresholds);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      rule: 'auth.root-login-refused', severity: 'high',
      subject: { ip: '203.0.113.50', user: 'root', refused: 2, first: '2024-03-04T09:30:00.000Z', last: '2024-03-04T09:45:00.000Z' },
    });
    expect(found[0].detail).toContain('holds a key root trusts');
    expect(found[0].detail).toContain('between 2024-03-04T09:30:00.000Z and 2024-03-04T09:45:00.000Z');
  });
});

describe('auth.enumeration', () => {
  it('flags 22 Invalid user lines from one address with no password tried (a keys-only server)', async () => {
    const facts = await factsFrom([
      ...cleanBaseline(),
      ...range(22, (i) => {
        const p = 4200 + i;
        return [
          `Mar  4 10:${two(i)}:00 web1 sshd[${p}]: Invalid user hadoop from 203.0.113.60 port ${42000 + i}`,
          `Mar  4 10:${two(i)}:01 web1 sshd[${p}]: Connection closed by invalid user hadoop 203.0.113.60 port ${42000 + i} [preauth]`,
        ];
      }),
    ]);
    const found = runRule(enumeration, facts, enumeration.thresholds);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ rule: 'auth.enumeration', severity: 'low', subject: { ip: '203.0.113.60', invalidUsers: 22, failures: 0 } });
    expect(found[0].detail).toContain('hadoop 22');
    // The connections it closed are part of the sweep, not a second finding.
    expect(runRule(probe, facts, probe.thresholds)).toEqual([]);
    expect(runRule(enumeration, facts, { invalidUsers: 2 })[0].severity).toBe('medium');
  });
});

describe('auth.probe', () => {
  it('flags key-exchange failures and banners from one address (low)', async () => {
    const facts = await factsFrom([
      ...cleanBaseline(),
      ...range(15, (i) => [`Mar  4 11:${two(i)}:00 web1 sshd[${4300 + i}]: Unable to negotiate with 203.0.113.95 port ${45000 + i}: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]`]),
      ...range(5, (i) => [`Mar  4 11:${two(20 + i)}:00 web1 sshd[${4320 + i}]: banner exchange: Connection from 203.0.113.95 port ${45100 + i}: invalid format`]),
    ]);
    const found = runRule(probe, facts, probe.thresholds);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ rule: 'auth.probe', severity: 'low', subject: { ip: '203.0.113.95', probes: 20, kexFailures: 15, noIdentification: 5 } });
  });

  it('calls many timeouts before authentication the regreSSHion pattern (medium)', async () => {
    const facts = await factsFrom([
      ...cleanBaseline(),
      ...range(25, (i) => [`Mar  4 12:${two(i)}:00 web1 sshd[${4400 + i}]: fatal: Timeout before authentication for 203.0.113.97 port ${46000 + i}`]),
    ]);
    const [f, ...rest] = runRule(probe, facts, probe.thresholds);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'medium', subject: { ip: '203.0.113.97', authTimeouts: 25 } });
    expect(f.detail).toContain('CVE-2024-6387');
  });
});
