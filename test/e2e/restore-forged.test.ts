/**
 * `ir-triage restore` against forged undo records, through the built CLI, as root: each field an
 * attacker could write (the folder, a path, a mode, a line, a unit name, a link) is forged in turn,
 * in temp folders of the test's own, and the canary files beside them must not change. Records the
 * test signs with the record key (the key of this test file: test/helpers/state-dir.ts) show the
 * checks that hold even for an authenticated record; unsigned or edited ones show the MAC check.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signRecord } from '../../src/actions/record-key.js';
import { formatSums, parseSums } from '../../src/evidence/sums.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { isRoot, runCli } from '../helpers/cli.js';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const mode = (p: string) => lstatSync(p).mode & 0o7777;

const MODES: Record<string, number> = { '': 0o755, 'pscan2': 0o755, 'pass.txt': 0o644, 'sub': 0o750, 'sub/vuln.txt': 0o640 };

interface Kit {
  base: string;
  dir: string;
  out: string;
  /** A folder beside the kit, with a file the records try to reach. */
  canaryDir: string;
  canary: string;
}

function kit(): Kit {
  const base = tmpDir('irt-forge-');
  const dir = path.join(base, 'kit');
  mkdirSync(dir);
  mkdirSync(path.join(dir, 'sub'));
  for (const f of ['pscan2', 'pass.txt', 'sub/vuln.txt']) writeFileSync(path.join(dir, f), `${f}\n`);
  for (const [rel, m] of Object.entries(MODES)) chmodSync(path.join(dir, rel), m);
  const canaryDir = path.join(base, 'canary');
  mkdirSync(canaryDir);
  const canary = path.join(canaryDir, 'vuln.txt');
  writeFileSync(canary, 'canary\n');
  chmodSync(canary, 0o200);
  const out = path.join(base, 'out');
  mkdirSync(out);
  return { base, dir, out, canaryDir, canary };
}

async function quarantine(k: Kit, caseId: string): Promise<{ record: Record<string, any>; restoreJson: string; bundle: string; text: string }> {
  const q = await runCli(['quarantine', k.dir, '--yes', '--out', k.out, '--case', caseId]);
  expect(q.code, q.stderr).toBe(0);
  const restoreJson = path.join(k.out, `${caseId}.restore.json`);
  const text = readFileSync(restoreJson, 'utf8');
  return { record: JSON.parse(text), restoreJson, bundle: path.join(k.out, `${caseId}.tar.gz`), text };
}

/** Writes a record where no bundle sits beside it (so only its own MAC speaks for it). */
function writeLoose(k: Kit, name: string, record: unknown): string {
  const dir = path.join(k.base, 'loose');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
  return file;
}

function stat(p: string): { dev: string; ino: string; btime: string } {
  const st = lstatSync(p, { bigint: true });
  return { dev: String(st.dev), ino: String(st.ino), btime: String(st.birthtimeNs) };
}

describe.skipIf(!isRoot)('restore refuses forged quarantine records (the built CLI, as root)', () => {
  it('a record pointing at a canary outside the quarantined folder: refused unsigned, refused once edited, refused when its folder is not the quarantined inode', async () => {
    const k = kit();
    const { record, restoreJson } = await quarantine(k, 'F1');
    // The forger re-aims the record at the canary, with the canary's real identity and modes.
    const forged = structuredClone(record);
    forged.folder = forged.hostFolder = k.canaryDir;
    forged.target = k.canaryDir;
    const top = forged.entries.find((e: { relHex: string }) => e.relHex === '');
    Object.assign(top, stat(k.canaryDir), { modeBefore: 0o755, modeAfter: 0o200 });
    const vuln = forged.entries.find((e: { rel: string }) => e.rel === 'sub/vuln.txt');
    Object.assign(vuln, stat(k.canary), { rel: 'vuln.txt', relHex: Buffer.from('vuln.txt').toString('hex'), modeBefore: 0o755, modeAfter: 0o200 });

    // 1. As the forger wrote it: the MAC no longer matches its fields.
    const edited = writeLoose(k, 'edited.restore.json', forged);
    const r1 = await runCli(['restore', edited, '--yes', '--out', k.out]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain('cannot be authenticated: its MAC does not match: the record was changed after ir-triage wrote it.');
    expect(r1.stderr).toContain(`record sha256: ${sha256(readFileSync(edited))}`);
    expect(r1.stderr).toContain('--trust-record');
    // 2. Without any MAC (a record made from scratch): refused the same, even with --yes.
    const { mac: _mac, ...bare } = forged;
    const r2 = await runCli(['restore', writeLoose(k, 'bare.restore.json', bare), '--yes', '--out', k.out]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('cannot be authenticated: it carries no MAC');
    // 3. Beside the real bundle, an edited .restore.json is not the sealed one.
    writeFileSync(restoreJson, JSON.stringify(forged, null, 2));
    expect((await runCli(['restore', restoreJson, '--yes', '--out', k.out])).stderr).toMatch(/is not the undo record sealed in/);
    expect(mode(k.canary)).toBe(0o200);
    expect(mode(k.canaryDir)).toBe(0o755);

    // 4. Even authenticated (signed with the key), a record whose folder is another inode than the
    // one quarantined changes nothing, and a path with .. is refused outright.
    const signedElsewhere = structuredClone(record);
    signedElsewhere.folder = signedElsewhere.hostFolder = k.canaryDir;
    const r4 = await runCli(['restore', writeLoose(k, 'elsewhere.restore.json', signRecord(signedElsewhere)), '--yes', '--out', k.out]);
    expect(r4.code).toBe(1);
    expect(r4.stdout).toContain(`REFUSED: ${k.canaryDir} is not the folder that was quarantined: replaced by another file since the quarantine (inode changed): nothing is changed`);
    const climbing = structuredClone(record);
    climbing.entries.find((e: { rel: string }) => e.rel === 'sub/vuln.txt').relHex = Buffer.from('../canary/vuln.txt').toString('hex');
    const r5 = await runCli(['restore', writeLoose(k, 'climb.restore.json', signRecord(climbing)), '--yes', '--out', k.out]);
    expect(r5.code).toBe(1);
    expect(r5.stderr).toContain('quarantine record with a path that leaves the folder');
    expect(mode(k.canary)).toBe(0o200);
    expect(mode(path.join(k.dir, 'sub/vuln.txt'))).toBe(0o200);
  });

  it('a record asking for 4777, or any bit the entry did not have before: refused, even signed and vouched for', async () => {
    const k = kit();
    const { record } = await quarantine(k, 'F2');
    for (const modeBefore of [0o4777, 0o2640, 0o1640, 0o666]) {
      const forged = structuredClone(record);
      forged.entries.find((e: { rel: string }) => e.rel === 'sub/vuln.txt').modeBefore = modeBefore;
      const file = writeLoose(k, `mode-${modeBefore.toString(8)}.json`, signRecord(forged));
      const r = await runCli(['restore', file, '--yes', '--out', k.out, '--trust-record', sha256(readFileSync(file))]);
      expect(r.code, modeBefore.toString(8)).toBe(1);
      expect(r.stderr).toContain('quarantine record with a mode change quarantine cannot have made');
    }
    expect(mode(path.join(k.dir, 'sub/vuln.txt'))).toBe(0o200);
    expect(mode(path.join(k.dir, 'pscan2'))).toBe(0o200);
  });

  it('a component swapped for a symlink (a folder inside, the folder itself): never followed', async () => {
    const k = kit();
    const { restoreJson } = await quarantine(k, 'F3');
    // sub → a link to the canary folder, which holds a vuln.txt of its own.
    renameSync(path.join(k.dir, 'sub'), path.join(k.base, 'sub.real'));
    symlinkSync(k.canaryDir, path.join(k.dir, 'sub'));
    const r = await runCli(['restore', restoreJson, '--yes', '--out', k.out, '--case', 'F3R']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/not done: .*\/kit\/sub: replaced by another file since the quarantine/);
    expect(r.stdout).toMatch(/not done: .*\/kit\/sub\/vuln\.txt: (?:a part of its path|replaced|gone)/);
    expect(mode(k.canary)).toBe(0o200);
    expect(mode(k.canaryDir)).toBe(0o755);
    expect(mode(path.join(k.dir, 'pscan2'))).toBe(0o755); // the rest of the folder came back

    // The quarantined folder itself replaced by a link to the canary folder: nothing at all.
    const k2 = kit();
    const q2 = await quarantine(k2, 'F3b');
    renameSync(k2.dir, path.join(k2.base, 'kit.real'));
    symlinkSync(k2.canaryDir, k2.dir);
    const r2 = await runCli(['restore', q2.restoreJson, '--yes', '--out', k2.out]);
    expect(r2.code).toBe(1);
    expect(r2.stdout).toContain(`REFUSED: ${k2.dir}: a part of its path is now a symbolic link or not a folder: not followed: nothing is changed`);
    expect(mode(k2.canary)).toBe(0o200);
    expect(mode(path.join(k2.base, 'kit.real', 'pscan2'))).toBe(0o200);
  });

  it('a folder swapped for a symlink over and over while restore runs: the canary never changes', async () => {
    const k = kit();
    // Many entries below sub, so restore spends a while there.
    for (let i = 0; i < 400; i++) writeFileSync(path.join(k.dir, 'sub', `f${i}`), 'x');
    for (let i = 0; i < 400; i++) {
      writeFileSync(path.join(k.canaryDir, `f${i}`), 'canary');
      chmodSync(path.join(k.canaryDir, `f${i}`), 0o200);
    }
    const { restoreJson } = await quarantine(k, 'F4');
    const sub = path.join(k.dir, 'sub');
    const script = `
      const fs = require('fs');
      const [sub, real, canary] = process.argv.slice(1);
      const until = Date.now() + 20000;
      while (Date.now() < until) {
        try { fs.renameSync(sub, real); fs.symlinkSync(canary, sub); fs.unlinkSync(sub); fs.renameSync(real, sub); } catch {}
      }`;
    const swapper = spawn(process.execPath, ['-e', script, sub, path.join(k.base, 'sub.real'), k.canaryDir], { stdio: 'ignore' });
    try {
      for (let round = 0; round < 3; round++) await runCli(['restore', restoreJson, '--yes', '--out', k.out, '--case', `F4R${round}`, '--force']);
    } finally {
      swapper.kill('SIGKILL');
    }
    await new Promise((resolve) => swapper.once('exit', resolve));
    for (let i = 0; i < 400; i++) expect(mode(path.join(k.canaryDir, `f${i}`))).toBe(0o200);
    expect(mode(k.canary)).toBe(0o200);
    expect(mode(k.canaryDir)).toBe(0o755);
  }, 120_000);

  it('a self-made bundle that verifies is still not trusted: its records need the MAC (or the responder vouching for its sha256)', async () => {
    const k = kit();
    const { bundle } = await quarantine(k, 'F5');
    // Re-made by someone without the key: the record edited (0755 → 0711 on pscan2), every hash recomputed.
    const caseDir = extract(bundle);
    const rec = path.join(caseDir, 'actions/quarantine-1.json');
    writeFileSync(rec, readFileSync(rec, 'utf8').replace('"modeBefore": 493', '"modeBefore": 457'));
    const sums = parseSums(readFileSync(path.join(caseDir, 'SHA256SUMS'), 'utf8')).entries;
    sums.set('actions/quarantine-1.json', sha256(readFileSync(rec)));
    const manifestFile = path.join(caseDir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    for (const f of manifest.files) if (f.path === 'actions/quarantine-1.json') Object.assign(f, { sha256: sums.get(f.path), ...(f.size !== undefined ? { size: statSync(rec).size } : {}) });
    writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
    sums.set('manifest.json', sha256(readFileSync(manifestFile)));
    writeFileSync(path.join(caseDir, 'SHA256SUMS'), formatSums([...sums].map(([p, s]) => ({ path: p, sha256: s }))));
    const forgedDir = path.join(k.base, 'forged');
    mkdirSync(forgedDir);
    const forged = path.join(forgedDir, 'F5.tar.gz');
    execFileSync('tar', ['czf', forged, '-C', path.dirname(caseDir), path.basename(caseDir)]);
    writeFileSync(`${forged}.sha256`, `${sha256(readFileSync(forged))}  F5.tar.gz\n`);
    const v = await runCli(['verify', forged]);
    expect(v.code, v.stdout + v.stderr).toBe(0);

    const r = await runCli(['restore', forged, '--yes', '--out', k.out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot be authenticated: its MAC does not match');
    expect(r.stderr).toContain(`bundle sha256: ${sha256(readFileSync(forged))}`);
    expect(mode(path.join(k.dir, 'pscan2'))).toBe(0o200);
    // A --trust-record naming another sha256 does not help.
    const wrong = await runCli(['restore', forged, '--yes', '--out', k.out, '--trust-record', sha256('something else')]);
    expect(wrong.code).toBe(1);
    expect(mode(path.join(k.dir, 'pscan2'))).toBe(0o200);
    // The genuine bundle restores (MAC checked), byte for byte the modes before.
    const ok = await runCli(['restore', bundle, '--yes', '--out', k.out, '--case', 'F5R']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    for (const [rel, m] of Object.entries(MODES)) expect(mode(path.join(k.dir, rel)), rel).toBe(m);
    const custody = readFileSync(path.join(extract(path.join(k.out, 'F5R.tar.gz')), 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(custody.find((e) => e.event === 'record-loaded').trusted).toMatchObject({ by: 'mac' });
  });

  it('an unsigned record the responder vouches for with --trust-record SHA256 is restored, and the custody log says so', async () => {
    const k = kit();
    const { record } = await quarantine(k, 'F6');
    const { mac: _mac, ...bare } = record;
    const file = writeLoose(k, 'old.restore.json', bare);
    const r = await runCli(['restore', file, '--yes', '--out', k.out, '--case', 'F6R', '--trust-record', sha256(readFileSync(file)).toUpperCase()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain('accepted because --trust-record names its sha256');
    for (const [rel, m] of Object.entries(MODES)) expect(mode(path.join(k.dir, rel)), rel).toBe(m);
    const custody = readFileSync(path.join(extract(path.join(k.out, 'F6R.tar.gz')), 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(custody.find((e) => e.event === 'record-loaded').trusted).toMatchObject({ by: '--trust-record', sha256: sha256(readFileSync(file)) });
    const bad = await runCli(['restore', file, '--dry-run', '--trust-record', 'abc']);
    expect(bad.code).toBe(2);
  });
});

/** A disable record as ir-triage would write it for `line` of `file` (which must already hold it commented out). */
function lineRecord(file: string, line: number, lineBefore: string): Record<string, unknown> {
  const now = readFileSync(file);
  const st = lstatSync(file);
  const original = Buffer.from(now.toString('utf8').replace(`#${lineBefore}`, lineBefore));
  const state = (data: Buffer) => ({ sha256: sha256(data), size: data.length, dev: String(st.dev), ino: String(st.ino), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
  return {
    action: 'disable', version: 1, appliedAt: new Date().toISOString(), record: 'actions/disable-1.json', summary: `comment out ${file} line ${line}`,
    method: 'comment-line', path: file, hostPath: file, copy: null, before: state(original), after: state(now), line, lineBefore, lineAfter: `#${lineBefore}`, prefix: '#',
    modeBefore: null, modeAfter: null, units: [], systemctl: false, outcome: `line ${line} commented out`,
  };
}

function unitRecord(root: string, units: unknown[], systemctl = false): Record<string, unknown> {
  const unitFile = path.join(root, 'etc/systemd/system/ok.service');
  const data = readFileSync(unitFile);
  const st = lstatSync(unitFile);
  const state = { sha256: sha256(data), size: data.length, dev: String(st.dev), ino: String(st.ino), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  return {
    action: 'disable', version: 1, appliedAt: new Date().toISOString(), record: 'actions/disable-1.json', summary: 'disable', method: 'unit', path: '/etc/systemd/system/ok.service', hostPath: unitFile,
    copy: null, before: state, after: state, line: null, lineBefore: null, lineAfter: null, prefix: null, modeBefore: null, modeAfter: null, units, systemctl, outcome: '1 link(s) removed',
  };
}

describe.skipIf(!isRoot)('restore refuses forged disable records (the built CLI, as root)', () => {
  it('a forged record uncommenting a line in a canary file that was never disabled: refused unless the responder vouches for it', async () => {
    const base = tmpDir('irt-forge-d-');
    const canary = path.join(base, 'sudoers-like');
    writeFileSync(canary, 'Defaults env_reset\n#attacker ALL=(ALL) NOPASSWD: ALL\n');
    const before = readFileSync(canary);
    const rec = lineRecord(canary, 2, 'attacker ALL=(ALL) NOPASSWD: ALL');
    const file = path.join(base, 'disable-1.json');
    writeFileSync(file, JSON.stringify(rec, null, 2));
    const r = await runCli(['restore', file, '--yes', '--out', base]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot be authenticated: it carries no MAC');
    expect(readFileSync(canary)).toEqual(before);
    // A MAC made with another key (another machine's, or made up).
    writeFileSync(file, JSON.stringify({ ...rec, mac: { alg: 'HMAC-SHA256', keyId: '0123456789abcdef', value: 'ab'.repeat(32) } }, null, 2));
    const r2 = await runCli(['restore', file, '--yes', '--out', base]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('it was signed with another key (key id 0123456789abcdef;');
    expect(readFileSync(canary)).toEqual(before);
    // A record whose "after" line is not its "before" line commented out is refused even signed.
    writeFileSync(file, JSON.stringify(signRecord({ ...rec, lineBefore: 'something else' }), null, 2));
    const r3 = await runCli(['restore', file, '--yes', '--out', base]);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toContain('disable record whose line after is not its line before commented out');
    expect(readFileSync(canary)).toEqual(before);
  });

  it('a file whose folder is swapped for a symlink: the line is not put back through it', async () => {
    const base = tmpDir('irt-forge-d-');
    const cron = path.join(base, 'spool');
    mkdirSync(cron);
    const tab = path.join(cron, 'root');
    writeFileSync(tab, '#* * * * * /tmp/x\n');
    const rec = signRecord(lineRecord(tab, 1, '* * * * * /tmp/x'));
    const file = path.join(base, 'disable-1.json');
    writeFileSync(file, JSON.stringify(rec, null, 2));
    // The attacker's folder with the same content, reached through a link where the spool was.
    renameSync(cron, path.join(base, 'spool.real'));
    const other = path.join(base, 'other');
    mkdirSync(other);
    writeFileSync(path.join(other, 'root'), '#* * * * * /tmp/x\n');
    symlinkSync(other, cron);
    const r = await runCli(['restore', file, '--yes', '--out', base]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('a part of its path is a symbolic link (or not a folder) now: not followed');
    expect(readFileSync(path.join(other, 'root'), 'utf8')).toBe('#* * * * * /tmp/x\n');
    // Back in place, the genuine record puts the line back byte for byte.
    rmSync(cron);
    renameSync(path.join(base, 'spool.real'), cron);
    const ok = await runCli(['restore', file, '--yes', '--out', base, '--case', 'DOK']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(readFileSync(tab, 'utf8')).toBe('* * * * * /tmp/x\n');
  });

  it('unit names outside systemd\'s grammar (an option, a shell word) and links or targets outside unit folders: refused, even signed', async () => {
    const root = tmpDir('irt-forge-u-');
    mkdirSync(path.join(root, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
    writeFileSync(path.join(root, 'etc/systemd/system/ok.service'), '[Service]\nExecStart=/bin/true\n');
    const out = path.join(root, 'out');
    mkdirSync(out);
    const wants = '/etc/systemd/system/multi-user.target.wants';
    const link = (name: string, target = `/etc/systemd/system/${name}`, dir = wants) => ({ link: `${dir}/${name}`, hostLink: `${root}${dir}/${name}`, target });
    const unit = (name: string, links: ReturnType<typeof link>[]) => ({ name, path: `/etc/systemd/system/${name}`, scope: 'system', links, wasActive: true, removed: links.map((l) => l.link) });
    const cases: Array<[string, unknown[], RegExp]> = [
      ['--root=/', [unit('--root=/', [])], /unit name systemd would not accept: "--root=\/"/],
      ['foo;rm', [unit('foo;rm -rf .service', [])], /unit name systemd would not accept/],
      ['a link outside .wants', [unit('ok.service', [link('ok.service', '/etc/systemd/system/ok.service', '/etc/cron.d')])], /outside a .wants\/.requires folder of a unit folder/],
      ['a .wants folder outside a unit folder', [unit('ok.service', [link('ok.service', '/etc/systemd/system/ok.service', '/tmp/x.wants')])], /outside a .wants\/.requires folder of a unit folder/],
      ['a target outside unit folders', [unit('ok.service', [link('ok.service', '/tmp/evil/ok.service')])], /link target that is not a unit file in a unit folder/],
      ['a link named for another unit', [unit('ok.service', [link('sshd.service')])], /a link that does not enable ok.service/],
    ];
    for (const [what, units, why] of cases) {
      const file = path.join(root, `${what.replace(/\W+/g, '_')}.json`);
      writeFileSync(file, JSON.stringify(signRecord(unitRecord(root, units, true)), null, 2));
      const r = await runCli(['restore', file, '--yes', '--out', out]);
      expect(r.code, what).toBe(1);
      expect(r.stderr, what).toMatch(why);
    }
    expect(readdirSync(path.join(root, 'etc/systemd/system/multi-user.target.wants'))).toEqual([]);
    expect(existsSync(path.join(root, 'etc/cron.d'))).toBe(false);
    expect(existsSync(path.join(root, 'tmp'))).toBe(false);

    // A genuine one: the dry run shows the names after --, and the link comes back exactly, in its folder only.
    const good = path.join(root, 'good.json');
    writeFileSync(good, JSON.stringify(signRecord(unitRecord(root, [unit('ok.service', [link('ok.service')])], true)), null, 2));
    const dry = await runCli(['restore', good, '--dry-run', '--out', out]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('systemctl start -- ok.service');
    const g = await runCli(['restore', writeUnsystemd(root, good), '--yes', '--out', out, '--case', 'UOK']);
    expect(g.code, g.stdout + g.stderr).toBe(0);
    expect(readlinkSync(path.join(root, 'etc/systemd/system/multi-user.target.wants/ok.service'))).toBe('/etc/systemd/system/ok.service');
  });

  it('a .wants folder swapped for a symlink: no link is made through it', async () => {
    const root = tmpDir('irt-forge-u-');
    mkdirSync(path.join(root, 'etc/systemd/system'), { recursive: true });
    writeFileSync(path.join(root, 'etc/systemd/system/ok.service'), '[Service]\nExecStart=/bin/true\n');
    const elsewhere = path.join(root, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, path.join(root, 'etc/systemd/system/multi-user.target.wants'));
    const l = { link: '/etc/systemd/system/multi-user.target.wants/ok.service', hostLink: `${root}/etc/systemd/system/multi-user.target.wants/ok.service`, target: '/etc/systemd/system/ok.service' };
    const file = path.join(root, 'rec.json');
    writeFileSync(file, JSON.stringify(signRecord(unitRecord(root, [{ name: 'ok.service', path: '/etc/systemd/system/ok.service', scope: 'system', links: [l], wasActive: null, removed: [l.link] }])), null, 2));
    const r = await runCli(['restore', file, '--yes', '--out', root]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('not done: /etc/systemd/system/multi-user.target.wants/ok.service: a part of its path is a symbolic link (or not a folder) now: not followed');
    expect(readdirSync(elsewhere)).toEqual([]);
  });
});

/** The same record without systemctl (this test must not start units on the machine). */
function writeUnsystemd(root: string, file: string): string {
  const rec = JSON.parse(readFileSync(file, 'utf8'));
  const out = path.join(root, 'good-offline.json');
  writeFileSync(out, JSON.stringify(signRecord({ ...rec, systemctl: false }), null, 2));
  return out;
}
