import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { extract, listFiles, tmpDir } from '../helpers/bundle.js';
import { isRoot, REPO, runCli } from '../helpers/cli.js';

const NOBODY = 65534;

/** Another user can run the built tool only if every folder up to it is searchable. */
function readableByOthers(p: string): boolean {
  for (let dir = p; dir !== '/'; dir = path.dirname(dir)) if ((statSync(dir).mode & 0o005) !== 0o005) return false;
  return true;
}

const MODES: Record<string, number> = { '': 0o755, 'pscan2': 0o755, 'pass.txt': 0o644, 'sshd': 0o700, 'sub': 0o750, 'sub/vuln.txt': 0o640 };

/** The seed's malware folder, "/tmp/.. /" style, with a link to a file outside it. */
function kit(): { dir: string; outside: string; out: string } {
  const base = tmpDir('irt-e2eq-');
  const dir = path.join(base, '.. ');
  mkdirSync(dir);
  mkdirSync(path.join(dir, 'sub'));
  for (const f of ['pscan2', 'pass.txt', 'sshd', 'sub/vuln.txt']) writeFileSync(path.join(dir, f), `${f}\n`);
  const outside = path.join(base, 'outside');
  writeFileSync(outside, 'x');
  chmodSync(outside, 0o644);
  symlinkSync(outside, path.join(dir, 'link'));
  for (const [rel, m] of Object.entries(MODES)) chmodSync(path.join(dir, rel), m);
  const out = path.join(base, 'out');
  mkdirSync(out);
  return { dir, outside, out };
}

const modes = (dir: string) => Object.fromEntries(Object.keys(MODES).map((rel) => [rel, lstatSync(path.join(dir, rel)).mode & 0o7777]));
const quarantined = Object.fromEntries(Object.entries(MODES).map(([rel, m]) => [rel, m & ~0o555]));

describe('ir-triage quarantine / restore (the built CLI)', () => {
  it('--dry-run shows the plan and changes nothing, and writes nothing', async () => {
    const { dir, out } = kit();
    const r = await runCli(['quarantine', dir, '--dry-run', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`chmod  ${dir}/pscan2  0755 → 0200`);
    expect(r.stdout).toContain(`chmod  ${dir}  0755 → 0200`);
    expect(r.stdout).toMatch(/dry run: nothing was changed\n$/);
    expect(modes(dir)).toEqual(MODES);
    expect(readdirSync(out)).toEqual([]);
    const json = await runCli(['quarantine', dir, '--dry-run', '--json', '--out', out]);
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({ dryRun: true, plan: { action: 'quarantine', refused: null } });
    expect(parsed.plan.changes).toHaveLength(1 + Object.keys(MODES).length);
  });

  it('without --yes and without a terminal: exit 2, says to use --yes, changes nothing', async () => {
    const { dir, out } = kit();
    const r = await runCli(['quarantine', dir, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('ir-triage: quarantine changes the system and needs a confirmation, but there is no terminal to ask on: re-run with --yes (or --dry-run to see the plan only)\n');
    expect(modes(dir)).toEqual(MODES);
    expect(readdirSync(out)).toEqual([]);
  });

  it('refuses a protected folder (exit 1), even with --yes', async () => {
    const { out } = kit();
    for (const target of ['/etc', '/usr/bin', '/home']) {
      const r = await runCli(['quarantine', target, '--yes', '--out', out]);
      expect(r.code, target).toBe(1);
      expect(r.stdout, target).toMatch(/REFUSED: .* refused \(--force overrides, at your own risk\)/);
    }
    expect(readdirSync(out)).toEqual([]);
  });

  it('--yes: copies, chmods, seals a bundle that verifies; restore --yes brings every mode back', async () => {
    const { dir, outside, out } = kit();
    const r = await runCli(['quarantine', dir, '--yes', '--out', out, '--case', 'Q-1', '--examiner', 'alice']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`undo:     ir-triage restore ${path.join(out, 'Q-1.restore.json')}`);
    expect(modes(dir)).toEqual(quarantined);
    expect(lstatSync(outside).mode & 0o7777).toBe(0o644);
    expect(readdirSync(out).sort()).toEqual(['Q-1.restore.json', 'Q-1.tar.gz', 'Q-1.tar.gz.sha256']);

    const v = await runCli(['verify', path.join(out, 'Q-1.tar.gz')]);
    expect(v.code).toBe(0);
    execFileSync('sha256sum', ['-c', 'Q-1.tar.gz.sha256'], { cwd: out });
    const caseDir = extract(path.join(out, 'Q-1.tar.gz'));
    execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: caseDir });
    expect(listFiles(caseDir)).toEqual([
      'SHA256SUMS', 'actions/quarantine-1.json', 'custody.jsonl',
      'files/quarantine/1/pass.txt', 'files/quarantine/1/pscan2', 'files/quarantine/1/sshd', 'files/quarantine/1/sub/vuln.txt', 'manifest.json',
    ]);
    expect(readFileSync(path.join(caseDir, 'files/quarantine/1/sub/vuln.txt'), 'utf8')).toBe('sub/vuln.txt\n');
    // The copy beside the bundle is byte for byte the sealed record.
    expect(readFileSync(path.join(out, 'Q-1.restore.json'))).toEqual(readFileSync(path.join(caseDir, 'actions/quarantine-1.json')));
    const custody = readFileSync(path.join(caseDir, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(custody.map((e) => e.event)).toEqual(['case-opened', 'action-planned', 'answer', 'action-applied', 'case-closed']);
    // The tool opens and closes the case; what the examiner decided is theirs (docs/bundle.md).
    expect(custody.map((e) => e.actor)).toEqual(['ir-triage', 'examiner:alice', 'examiner:alice', 'examiner:alice', 'ir-triage']);
    expect(custody[2]).toMatchObject({ answer: 'yes', by: '--yes' });
    const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ case: 'Q-1', examiner: 'alice', action: 'quarantine', folder: dir, ok: true, undoRecord: 'actions/quarantine-1.json' });

    const dry = await runCli(['restore', path.join(out, 'Q-1.restore.json'), '--dry-run', '--out', out]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`chmod  ${dir}  0200 → 0755`);
    expect(modes(dir)).toEqual(quarantined);

    const back = await runCli(['restore', path.join(out, 'Q-1.restore.json'), '--yes', '--out', out, '--case', 'R-1']);
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(/^done: restored 6 of 6 entries of /m);
    expect(modes(dir)).toEqual(MODES);
    expect(lstatSync(outside).mode & 0o7777).toBe(0o644);
    // The undo has its own verifiable bundle; the quarantine bundle is untouched.
    expect((await runCli(['verify', path.join(out, 'R-1.tar.gz')])).code).toBe(0);
    expect((await runCli(['verify', path.join(out, 'Q-1.tar.gz')])).code).toBe(0);
    const rcase = extract(path.join(out, 'R-1.tar.gz'));
    const revents = readFileSync(path.join(rcase, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).event);
    expect(revents).toEqual(['case-opened', 'record-loaded', 'action-planned', 'answer', 'action-undone', 'case-closed']);
    expect(listFiles(rcase)).toContain('files/restore/quarantine-record-1.json');
  });

  it('restore takes the bundle itself, and refuses a .restore.json that differs from its sealed record', async () => {
    const { dir, out } = kit();
    const q = await runCli(['quarantine', dir, '--yes', '--json', '--out', out, '--case', 'Q-2']);
    expect(q.code).toBe(0);
    // --json: stdout is one JSON object (the plan went to stderr).
    const summary = JSON.parse(q.stdout);
    expect(summary).toMatchObject({ ok: true, case: 'Q-2', bundle: path.join(out, 'Q-2.tar.gz'), restore: path.join(out, 'Q-2.restore.json'), undoRecord: 'actions/quarantine-1.json' });
    expect(summary.sha256).toBe(readFileSync(path.join(out, 'Q-2.tar.gz.sha256'), 'utf8').split(' ')[0]);
    expect(q.stderr).toContain(`quarantine: ${dir} (6 entries to chmod, 1 left alone)`);
    const record = path.join(out, 'Q-2.restore.json');
    const text = readFileSync(record, 'utf8');
    // 0755 → 0711: a change restore could make (only r and x differ), so only the seal can catch it.
    writeFileSync(record, text.replace('"modeBefore": 493', '"modeBefore": 457'));
    const tampered = await runCli(['restore', record, '--yes', '--out', out]);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toBe(`ir-triage: ${record} is not the undo record sealed in ${path.join(out, 'Q-2.tar.gz')} (actions/quarantine-1.json there has another sha256): it was changed\n`);
    expect(modes(dir)).toEqual(quarantined);

    const fromBundle = await runCli(['restore', path.join(out, 'Q-2.tar.gz'), '--yes', '--out', out, '--case', 'R-2']);
    expect(fromBundle.code).toBe(0);
    expect(modes(dir)).toEqual(MODES);
  });

  it.skipIf(!isRoot)('as the unprivileged owner of the folder (no root, so no reading a 0200 file): quarantine and restore still work (needs root to switch user)', async (t) => {
    if (!readableByOthers(REPO)) return t.skip(`${REPO} is not readable by other users`);
    const { dir, out } = kit();
    chmodSync(path.dirname(out), 0o755);
    for (const rel of [...Object.keys(MODES), 'link']) chownSync(path.join(dir, rel), NOBODY, NOBODY);
    chownSync(out, NOBODY, NOBODY);
    const asNobody = { prefix: ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'], env: { ...process.env, HOME: out, IR_TRIAGE_STATE_DIR: path.join(out, 'state') } };
    const q = await runCli(['quarantine', dir, '--yes', '--out', out, '--case', 'U-1'], asNobody);
    expect(q.stderr).toBe('');
    expect(q.code).toBe(0);
    expect(modes(dir)).toEqual(quarantined);
    const r = await runCli(['restore', path.join(out, 'U-1.restore.json'), '--yes', '--out', out, '--case', 'U-2'], asNobody);
    expect(r.code).toBe(0);
    expect(modes(dir)).toEqual(MODES);
  });

  it('shows attacker-chosen file names without their escape sequences', async () => {
    const { dir, out } = kit();
    writeFileSync(path.join(dir, 'x\u001b[2J\u001b]0;owned\u0007'), 'x');
    const r = await runCli(['quarantine', dir, '--dry-run', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(r.stdout).toContain('x\\x1b[2J\\x1b]0;owned\\x07');
  });
});
