/**
 * Lines an attacker writes: a user name that carries an address, text after `ssh2:`, a forged
 * `[preauth]` twin of a root refusal, months stepped forward to push the year. Through the built
 * CLI, each time checking what analyze charges to whom and where it places the lines in time.
 */
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnalyzeResult } from '../../src/cli/analyze.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { runCli } from '../helpers/cli.js';

const two = (n: number) => String(n).padStart(2, '0');
const MTIME = new Date(Date.UTC(2025, 2, 8, 12));

async function analyze(lines: string[], args: string[] = []): Promise<AnalyzeResult> {
  const file = path.join(tmpDir('irt-forged-'), 'auth.log');
  writeFileSync(file, lines.join('\n') + '\n');
  utimesSync(file, MTIME, MTIME);
  const r = await runCli(['analyze', '--json', ...args, file]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as AnalyzeResult;
}

describe('analyze on lines an attacker wrote', () => {
  it('charges a failure to the address sshd wrote, not one carried in a user name or after ssh2:', async () => {
    const r = await analyze([
      // The client chose the user name "x from 10.0.0.1 port 22": sshd writes the real peer last.
      ...Array.from({ length: 12 }, (_, i) => `Mar  1 10:00:${two(i)} web1 sshd[${100 + i}]: Failed password for invalid user x from 10.0.0.1 port 22 from 203.0.113.9 port ${4000 + i} ssh2`),
      // Text after "ssh2: " (a key or certificate ID) is never an address.
      ...Array.from({ length: 12 }, (_, i) => `Mar  1 11:00:${two(i)} web1 sshd[${200 + i}]: Failed password for root from 198.51.100.3 port ${5000 + i} ssh2: from 10.10.1.2 port 55555 ssh2`),
    ]);
    expect(r.addresses.map((a) => [a.address, a.failures]).sort()).toEqual([['198.51.100.3', 12], ['203.0.113.9', 12]]);
    expect(r.findings.filter((f) => f.rule === 'auth.bruteforce').map((f) => f.subject.ip).sort()).toEqual(['198.51.100.3', '203.0.113.9']);
  });

  it('a [preauth] line cannot hide a refusal: only the twin right after its own monitor line is the same attempt', async () => {
    const r = await analyze([
      'Mar  1 10:00:00 web1 sshd[300]: ROOT LOGIN REFUSED FROM 203.0.113.50 port 41000 [preauth]',
      'Mar  1 10:00:01 web1 sshd[301]: ROOT LOGIN REFUSED FROM 203.0.113.50 port 41001 [preauth]',
      'Mar  1 10:00:02 web1 sshd[302]: ROOT LOGIN REFUSED FROM 203.0.113.50 port 41002',
      'Mar  1 10:00:02 web1 sshd[303]: ROOT LOGIN REFUSED FROM 203.0.113.50 port 41002 [preauth]',
    ]);
    const refused = r.findings.filter((f) => f.rule === 'auth.root-login-refused');
    expect(refused.map((f) => [f.subject.ip, f.subject.refused])).toEqual([['203.0.113.50', 4]]);
  });

  it('months stepped forward by forged lines do not carry the real lines past the file mtime', async () => {
    const r = await analyze([
      'Mar  1 10:00:00 web1 sshd[400]: Failed password for root from 203.0.113.70 port 1 ssh2',
      // Forged (logger -t sshd): Jun, Sep, Dec, then back to March would read a year later.
      'Jun  1 10:00:00 web1 sshd[401]: Connection closed by 192.0.2.1 port 2 [preauth]',
      'Sep  1 10:00:00 web1 sshd[402]: Connection closed by 192.0.2.1 port 3 [preauth]',
      'Dec  1 10:00:00 web1 sshd[403]: Connection closed by 192.0.2.1 port 4 [preauth]',
      'Mar  2 10:00:00 web1 sshd[404]: Failed password for root from 203.0.113.70 port 5 ssh2',
    ]);
    const row = r.addresses.find((a) => a.address === '203.0.113.70')!;
    expect(row).toMatchObject({ failures: 2, firstFailure: '2025-03-01T10:00:00.000Z', lastFailure: '2025-03-02T10:00:00.000Z' });
    expect(r.files[0].stats!.lastTime! <= MTIME.toISOString()).toBe(true);
  });

  it('collect: an auth.log replaced by something that is not a log warns in the manifest and the report', async () => {
    const root = tmpDir('irt-forged-root-');
    mkdirSync(path.join(root, 'etc'));
    mkdirSync(path.join(root, 'var/log'), { recursive: true });
    writeFileSync(path.join(root, 'etc/hostname'), 'forged\n');
    writeFileSync(path.join(root, 'etc/timezone'), 'UTC\n');
    writeFileSync(path.join(root, 'var/log/auth.log'), Array.from({ length: 40 }, (_, i) => `${i} all quiet here <b>nothing</b>`).join('\n') + '\n');
    const out = tmpDir('irt-forged-out-');
    const r = await runCli(['collect', '--root', root, '--out', out, '--case', 'FORGED', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const caseDir = extract(JSON.parse(r.stdout).bundle);
    const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));
    expect(manifest.sources.find((s: { id: string }) => s.id === 'auth-log.auth.log')).toMatchObject({
      status: 'ok', path: '/var/log/auth.log', warning: expect.stringMatching(/^none of its 40 lines was understood \(40 not understood: \(unparsed\) 40; 0 ignored\)/),
    });
    expect(readFileSync(path.join(caseDir, 'report.md'), 'utf8')).toMatch(/^\| auth-log\.auth\.log \| warning \| none of its 40 lines was understood /m);
    const stats = JSON.parse(readFileSync(path.join(caseDir, 'artifacts/auth-log-stats.json'), 'utf8'));
    expect(stats.lines).toEqual({ total: 40, notUnderstood: 40, ignored: 0, sourcesNothingUnderstood: ['/var/log/auth.log'] });
  }, 120_000);
});
