import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { runCli } from '../helpers/cli.js';

/*
 * `collect --root` on an image whose auth.log is bigger than `--max-log-bytes`: the bundle's copy
 * is the log's end from the start of a line, the manifest and the source's detail say which part
 * was kept and what was dropped, the whole log is still read (the intruder's failures in the part
 * left out still count), and the login at the end is found with the copy among its evidence.
 */

const CAP = 64 * 1024;
const INTRUDER = '203.0.113.77';
const EARLY_FAILURES = 12;
const LATE_FAILURES = 8;

function stamp(s: number): string {
  return new Date(Date.UTC(2025, 2, 3, 8, 0, 0) + s * 1000).toISOString().replace('.000Z', '+00:00');
}

/** About 300 KB: brute force from many addresses, the intruder's first failures early, its last ones and its login at the end. */
function authLog(): string {
  const lines: string[] = [];
  let t = 0;
  let pid = 2000;
  for (let i = 0; i < EARLY_FAILURES; i++) lines.push(`${stamp(t++)} victim sshd[${pid++}]: Failed password for webadmin from ${INTRUDER} port ${40000 + i} ssh2`);
  for (let i = 0; i < 3000; i++) {
    const ip = `198.51.100.${10 + (i % 200)}`;
    lines.push(`${stamp(t++)} victim sshd[${pid++}]: Failed password for invalid user guest${i % 50} from ${ip} port ${30000 + (i % 30000)} ssh2`);
  }
  for (let i = 0; i < LATE_FAILURES; i++) lines.push(`${stamp(t++)} victim sshd[${pid++}]: Failed password for webadmin from ${INTRUDER} port ${41000 + i} ssh2`);
  lines.push(`${stamp(t++)} victim sshd[${pid}]: Accepted password for webadmin from ${INTRUDER} port 42000 ssh2`);
  lines.push(`${stamp(t++)} victim sshd[${pid}]: pam_unix(sshd:session): session opened for user webadmin(uid=1001) by (uid=0)`);
  return lines.join('\n') + '\n';
}

describe('an auth log over --max-log-bytes', () => {
  const dirs: string[] = [];
  let log: Buffer;
  let caseDir: string;
  let manifest: {
    copiesCut: { path: string; source: string; size: number; kept: string; fromByte: number; fromLine: number; atLineStart: boolean; keptBytes: number; droppedBytes: number; cap: number; option: string }[];
    sources: { id: string; status: string; detail?: string }[];
  };
  let findings: Finding[];
  let bundle: string;

  beforeAll(async () => {
    const root = tmpDir('irt-logcut-root-');
    const out = tmpDir('irt-logcut-out-');
    dirs.push(root, out);
    mkdirSync(path.join(root, 'etc'));
    writeFileSync(path.join(root, 'etc/hostname'), 'victim\n');
    writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\nwebadmin:x:1001:1001::/home/webadmin:/bin/bash\n');
    mkdirSync(path.join(root, 'var/log'), { recursive: true });
    log = Buffer.from(authLog(), 'utf8');
    expect(log.length).toBeGreaterThan(4 * CAP);
    writeFileSync(path.join(root, 'var/log/auth.log'), log);
    const r = await runCli(['collect', '--root', root, '--out', out, '--case', 'LOGCUT', '--json', '--max-log-bytes', String(CAP)]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    bundle = summary.bundle;
    findings = summary.findings;
    caseDir = extract(bundle);
    dirs.push(path.dirname(caseDir));
    manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));
  }, 180_000);

  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('keeps the end of the log in the bundle, from the start of a line, within the cap', () => {
    const copy = readFileSync(path.join(caseDir, 'files/logs/var/log/auth.log'));
    expect(copy.length).toBeLessThanOrEqual(CAP);
    // The longest line is under 120 bytes: a cut at a line start loses less than one line of the cap.
    expect(copy.length).toBeGreaterThan(CAP - 120);
    expect(copy.equals(log.subarray(log.length - copy.length))).toBe(true);
    expect(log[log.length - copy.length - 1]).toBe(0x0a);
    expect(copy.toString('utf8')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(copy.toString('utf8')).toContain(`Accepted password for webadmin from ${INTRUDER} port 42000 ssh2\n`);
    // The intruder's early failures are in the part left out.
    expect(copy.toString('utf8')).not.toContain('port 40000 ssh2');
    execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: caseDir });
  });

  it('says in the manifest which part was kept and what was dropped', () => {
    const copy = readFileSync(path.join(caseDir, 'files/logs/var/log/auth.log'));
    const fromByte = log.length - copy.length;
    const linesBefore = log.subarray(0, fromByte).toString('latin1').split('\n').length - 1;
    expect(manifest.copiesCut).toEqual([{
      path: 'files/logs/var/log/auth.log', source: '/var/log/auth.log', size: log.length, kept: 'tail', fromByte, fromLine: linesBefore + 1,
      atLineStart: true, keptBytes: copy.length, droppedBytes: fromByte, cap: CAP, option: '--max-log-bytes',
    }]);
    const source = manifest.sources.find((s) => s.id === 'auth-log.auth.log');
    expect(source?.status).toBe('ok');
    expect(source?.detail).toContain(`copied to files/logs/var/log/auth.log (its last ${copy.length} of ${log.length} bytes, from line ${linesBefore + 1}; ${fromByte} bytes left out by the ${CAP}-byte cap, --max-log-bytes; the whole file was read)`);
    // Every line was read, not only the copy's.
    expect(source?.detail).toMatch(new RegExp(`^${EARLY_FAILURES + 3000 + LATE_FAILURES + 2} lines, `));
  });

  it('finds the login at the end of the log with every failure before it, the copy in its evidence', () => {
    const f = findings.find((x) => x.rule === 'auth.login-after-failures' && x.subject.ip === INTRUDER);
    expect(f, JSON.stringify(findings.map((x) => x.rule))).toBeDefined();
    expect(f!.evidence).toContain('files/logs/var/log/auth.log');
    // The early failures, in the part not copied, still count.
    expect(f!.subject.failuresBefore).toBe(EARLY_FAILURES + LATE_FAILURES);
    expect(f!.title).toBe(`Login accepted after ${EARLY_FAILURES + LATE_FAILURES} failures: webadmin from ${INTRUDER} (password)`);
  });

  it('verifies', async () => {
    const v = await runCli(['verify', bundle]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });
});
