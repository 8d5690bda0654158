/**
 * `ir-triage summarize DIR` on real bundles: `ir-triage collect --root` on fake roots whose
 * /var/log/auth.log is a fixture from test/fixtures/auth (a break-in after a brute force, the brute
 * force alone, nothing), laid out as the fleet playbook leaves them, plus a kept case folder, a
 * copy with one byte changed, a file that is not a bundle at all and a symlink loop.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEVERITIES, type Finding } from '../../src/model/finding.js';
import { tmpDir } from '../helpers/bundle.js';
import { REPO, runCli } from '../helpers/cli.js';

const AUTH_LOG = path.join(REPO, 'test/fixtures/auth/openssh-10.0-debian13-rfc3339.log');
// In that log 203.0.113.9 fails 12 times and never gets in; 203.0.113.66 fails 15 times, then root logs in.
const BRUTE_ONLY = '203.0.113.9 ';

interface Collected {
  bundle: string;
  case: string;
  partial: boolean;
  findings: Finding[];
}

const made: string[] = [];
function tmp(prefix: string): string {
  const d = tmpDir(prefix);
  made.push(d);
  return d;
}

/** A fake root named `hostname` whose auth.log holds `log` (none: no log at all). */
function fakeRoot(hostname: string, log: string | null): string {
  const root = tmp('irt-fleet-root-');
  mkdirSync(path.join(root, 'etc'));
  mkdirSync(path.join(root, 'var/log'), { recursive: true });
  writeFileSync(path.join(root, 'etc/hostname'), `${hostname}\n`);
  writeFileSync(path.join(root, 'etc/timezone'), 'UTC\n');
  writeFileSync(path.join(root, 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nVERSION_ID="13"\n');
  writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n');
  if (log !== null) writeFileSync(path.join(root, 'var/log/auth.log'), log);
  return root;
}

async function collect(root: string, out: string, caseId: string, extra: string[] = []): Promise<Collected> {
  const r = await runCli(['collect', '--root', root, '--out', out, '--case', caseId, '--json', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Collected;
}

function counts(findings: Finding[]): Record<string, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length]));
}

interface Row {
  bundle: string;
  ok: boolean;
  problems: string[];
  host: string | null;
  case: string | null;
  examiner: string | null;
  verdict: string | null;
  headline: string | null;
  partial: boolean | null;
  counts: Record<string, number> | null;
  findings: number | null;
  top: string[];
}

describe('ir-triage summarize', () => {
  let dir: string;
  let compromised: Collected;
  let attacked: Collected;
  let clean: Collected;
  let corrupt: string;
  let junk: string;

  beforeAll(async () => {
    dir = tmp('irt-fleet-dir-');
    const log = readFileSync(AUTH_LOG, 'utf8');
    const bruteOnly = log.split('\n').filter((l) => l.includes(BRUTE_ONLY)).join('\n') + '\n';
    // Every collect finishes before a failure is reported, so the clean-up finds no writer left.
    const settled = await Promise.allSettled([
      collect(fakeRoot('web-1', log), path.join(dir, 'web-1'), 'WEB1', ['--examiner', 'alice']),
      collect(fakeRoot('web-2', bruteOnly), path.join(dir, 'web-2'), 'WEB2'),
      // --keep-dir leaves the case folder beside the archive: both are listed.
      collect(fakeRoot('db-1', null), path.join(dir, 'db-1'), 'DB1', ['--keep-dir']),
    ]);
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
    [compromised, attacked, clean] = settled.map((s) => (s as PromiseFulfilledResult<Collected>).value);
    // An archive without its sidecar is still read (verify notes the missing sidecar).
    unlinkSync(`${clean.bundle}.sha256`);

    // A copy of web-1's bundle with one byte changed, its sidecar beside it.
    mkdirSync(path.join(dir, 'copies'));
    corrupt = path.join(dir, 'copies/WEB1.tar.gz');
    copyFileSync(compromised.bundle, corrupt);
    copyFileSync(`${compromised.bundle}.sha256`, `${corrupt}.sha256`);
    const bytes = readFileSync(corrupt);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    writeFileSync(corrupt, bytes);

    junk = path.join(dir, 'junk.tar.gz');
    writeFileSync(junk, 'this is not a bundle\n');
    // Not followed: it would list every bundle again, forever.
    symlinkSync(dir, path.join(dir, 'loop'));
  }, 120_000);

  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });

  it('--json: one object per bundle, most severe first, broken ones last and named by their path; exit 1', async () => {
    const r = await runCli(['summarize', dir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows.slice(0, 4).map((x) => [x.bundle, x.ok, x.verdict])).toEqual([
      [compromised.bundle, true, 'compromised'],
      [attacked.bundle, true, 'attacked'],
      [path.join(dir, 'db-1/DB1'), true, 'clean'],
      [clean.bundle, true, 'clean'],
    ]);
    expect(rows.slice(4).map((x) => x.bundle).sort()).toEqual([corrupt, junk].sort());

    const [c, a, folder, archive] = rows;
    // What summarize read is what collect found: counts per level, the three most severe titles.
    expect(c).toMatchObject({ host: 'web-1', case: 'WEB1', examiner: 'alice', partial: compromised.partial, problems: [] });
    expect(c.counts).toEqual(counts(compromised.findings));
    expect(c.findings).toBe(compromised.findings.length);
    expect(c.top).toEqual(compromised.findings.slice(0, 3).map((f) => f.title));
    expect(c.headline).toMatch(/^Likely compromised: login as root from 203\.0\.113\.66 after 15 failed attempts/);
    expect(compromised.findings.map((f) => f.rule)).toContain('auth.login-after-failures');

    expect(a).toMatchObject({ host: 'web-2', case: 'WEB2', examiner: null, partial: attacked.partial, problems: [] });
    expect(attacked.findings.map((f) => [f.rule, f.subject.ip])).toEqual([['auth.bruteforce', '203.0.113.9']]);
    expect(a.counts).toEqual(counts(attacked.findings));
    expect(a.headline).toMatch(/^Under attack, no sign of entry: 1 address made 12 failed attempts( \(partial collection: .*\))?$/);

    for (const x of [folder, archive]) {
      expect(x).toMatchObject({ host: 'db-1', case: 'DB1', verdict: 'clean', findings: 0, top: [], problems: [] });
      expect(x.counts).toEqual(counts([]));
    }
    expect(clean.findings).toEqual([]);

    const broken = rows.slice(4);
    const byPath = Object.fromEntries(broken.map((x) => [x.bundle, x]));
    expect(byPath[corrupt].problems[0]).toMatch(/^the bundle's sha256 [0-9a-f]{64} does not match WEB1\.tar\.gz\.sha256 \([0-9a-f]{64}\)$/);
    expect(byPath[junk].problems).toEqual([expect.stringMatching(/^junk\.tar\.gz is not a readable \.tar\.gz: /)]);
    for (const x of broken) expect(x).toMatchObject({ ok: false, verdict: null, counts: null, top: [] });
  });

  it('prints the table and names each broken bundle below it; exit 1', async () => {
    const r = await runCli(['summarize', dir], { env: { ...process.env, COLUMNS: '' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^host\s+case\s+verdict\s+partial\s+crit\s+high\s+med\s+low\s+info\s+main incident\s+top findings\s+bundle$/);
    expect(lines[1]).toMatch(/^─+( +─+)+$/);
    const body = lines.slice(2, 8);
    expect(body[0]).toMatch(new RegExp(`^web-1\\s+WEB1\\s+compromised\\s+(no|yes)\\s+${SEVERITIES.map((s) => counts(compromised.findings)[s]).reverse().join('\\s+')}\\s+`));
    expect(body[0]).toContain(compromised.findings.slice(0, 3).map((f) => f.title).join('; '));
    expect(body[0].endsWith(compromised.bundle)).toBe(true);
    expect(body[1]).toMatch(/^web-2\s+WEB2\s+attacked\s/);
    expect(body[2]).toMatch(/^db-1\s+DB1\s+clean\s+(no|yes)\s+0\s+0\s+0\s+0\s+0\s+-\s+-\s+\S+\/db-1\/DB1$/);
    expect(body[3]).toMatch(/^db-1\s+DB1\s+clean\s.*\/db-1\/DB1\.tar\.gz$/);
    expect(body.slice(4).every((l) => /\sNOT INTACT\s/.test(l))).toBe(true);
    expect(lines[8]).toBe('');
    expect(lines[9]).toBe('6 bundles: 1 compromised, 1 attacked, 2 clean; 2 NOT INTACT');
    expect(lines.slice(10)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^NOT INTACT: ${corrupt.replaceAll('.', '\\.')}: the bundle's sha256 `)),
        expect.stringMatching(new RegExp(`^NOT INTACT: ${junk.replaceAll('.', '\\.')}: junk\\.tar\\.gz is not a readable \\.tar\\.gz: `)),
      ]),
    );
    expect(lines).toHaveLength(12);
  });

  it('fits a narrow terminal: the bundle path gives way from its start, the titles from their end', async () => {
    const r = await runCli(['summarize', dir], { env: { ...process.env, COLUMNS: '150' } });
    const table = r.stdout.split('\n\n')[0].split('\n');
    for (const l of table) expect(l.length).toBeLessThanOrEqual(150);
    const web1 = table.find((l) => l.startsWith('web-1'))!;
    expect(web1).toMatch(/ …\S*\/web-1\/WEB1\.tar\.gz$/);
    expect(web1).toMatch(/\S… +…/);
  });

  it('shows box text as data: a title with escape sequences reaches the terminal defused', async () => {
    const d = tmp('irt-fleet-esc-');
    const hostile = fakeRoot('evil\x1b]0;owned\x07', readFileSync(AUTH_LOG, 'utf8'));
    const c = await collect(hostile, d, 'ESC');
    expect(c.findings.length).toBeGreaterThan(0);
    const r = await runCli(['summarize', d]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    const json = JSON.parse((await runCli(['summarize', d, '--json'])).stdout) as Row[];
    // In JSON the hostname is what the image's /etc/hostname says, control characters and all.
    expect(json[0].host).toBe('evil\x1b]0;owned\x07');
    expect(r.stdout).toContain('evil\\x1b]0;owned\\x07');
  });

  it('an empty folder, a missing folder or none at all: exit 2 with one line', async () => {
    const empty = tmp('irt-fleet-empty-');
    mkdirSync(path.join(empty, 'sub'));
    writeFileSync(path.join(empty, 'sub/notes.txt'), 'no bundles here\n');
    const a = await runCli(['summarize', empty]);
    expect([a.code, a.stdout, a.stderr]).toEqual([2, '', `ir-triage: no bundles (*.tar.gz or case folders) under ${empty}\n`]);
    const b = await runCli(['summarize']);
    expect([b.code, b.stdout, b.stderr]).toEqual([2, '', 'ir-triage: summarize needs a folder: ir-triage summarize DIR\n']);
    const c = await runCli(['summarize', path.join(empty, 'nope')]);
    expect([c.code, c.stdout, c.stderr]).toEqual([2, '', `ir-triage: ${path.join(empty, 'nope')} is not a folder\n`]);
  });

  it('every bundle intact: exit 0', async () => {
    const r = await runCli(['summarize', path.join(dir, 'web-2')]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('1 bundle: 1 attacked');
  });

  it('encrypted bundles (.tar.gz.age) are left out and said so: they need the officer\'s key', async () => {
    const d = tmp('irt-fleet-age-');
    mkdirSync(path.join(d, 'web-2'));
    mkdirSync(path.join(d, 'web-3'));
    copyFileSync(attacked.bundle, path.join(d, 'web-2/WEB2.tar.gz'));
    writeFileSync(path.join(d, 'web-3/WEB3.tar.gz.age'), 'age-encryption.org/v1\n');
    const r = await runCli(['summarize', d]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('ir-triage: note: 1 encrypted .tar.gz.age file left out: open it with ir-triage decrypt first\n');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('1 bundle: 1 attacked');
    rmSync(path.join(d, 'web-2'), { recursive: true });
    const only = await runCli(['summarize', d]);
    expect([only.code, only.stdout, only.stderr]).toEqual([
      2,
      '',
      `ir-triage: no bundles (*.tar.gz or case folders) under ${d} (1 encrypted .tar.gz.age file left out: open it with ir-triage decrypt first)\n`,
    ]);
  });
});
